//! `kms-share`: run scenario documents, ask the engine questions, and serve the vendor's
//! API, from a shell. `kms-share --help` and `kms-share <command> --help` say how.
//!
//! Exit status: 0 ok, 1 an expect failed, 2 bad input (usage, unreadable or invalid files).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kms_share_core::api::Organization;
use kms_share_core::crypto::OsRng;
use kms_share_core::ids::{Identity, InstanceId};
use kms_share_core::policy::Context;
use kms_share_core::scenario::{self, RunOptions, Runner};

/// The reference engine for sharing a KMS instance across an organization's accounts.
#[derive(Parser)]
#[command(name = "kms-share", version, after_help = "exit status: 0 ok, 1 an expect failed, 2 bad input")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario document and print its result document (exit 1 if an expect failed).
    Run {
        /// The scenario document (JSON, version 1 or 2).
        scenario: PathBuf,
        /// Also check that every failed step left the organization unchanged.
        #[arg(long)]
        check: bool,
    },
    /// Explain one request against an organization (a scenario document, run first, or a
    /// state document such as `kms-share import` writes).
    Explain {
        /// The scenario or state document.
        document: PathBuf,
        /// The caller, `acs:ram::<account>:root|user/<name>|role/<name>`.
        caller: String,
        /// The action, `kms:Encrypt`.
        action: String,
        /// The resource: key id, alias, secret name or ARN, instance id.
        resource: String,
    },
    /// Print the access matrix of one instance of an organization (a scenario or state
    /// document).
    Matrix {
        /// The scenario or state document.
        document: PathBuf,
        /// The instance, `kst-...`.
        instance: String,
    },
    /// Who can perform an action on a resource of an organization (a scenario or state
    /// document): each identity with its reason, `undetermined` set where the answer
    /// depends on what the document does not say.
    WhoCan {
        /// The scenario or state document.
        document: PathBuf,
        /// The action, `kms:Decrypt`.
        action: String,
        /// The resource: key id, alias, secret name or ARN, instance id.
        resource: String,
    },
    /// Make a state document from a folder of saved vendor responses (docs/import.md):
    /// the organization as read, with what could not be read listed in its `gaps`.
    Import {
        /// The folder the collector (`python -m kms_share import`) or a person wrote.
        folder: PathBuf,
        /// Where to write the state document (default: stdout).
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Review an organization (a scenario document, or a state document as `Export state`
    /// or the policy export writes it): findings with their rules and fixes as JSON on
    /// stdout, and the same as a self-contained HTML report.
    Review {
        /// The scenario or state document.
        document: PathBuf,
        /// Where to write the HTML report.
        #[arg(long, value_name = "FILE", default_value = "kms-share-review.html")]
        html: PathBuf,
    },
    /// Print a version 1 document in the vendor's names (version 2).
    Migrate {
        /// The version 1 scenario document.
        scenario: PathBuf,
    },
    /// Serve the vendor's API over HTTP for the official SDKs.
    #[command(long_about = SERVE_ABOUT)]
    Serve(ServeArgs),
}

const SERVE_ABOUT: &str = "Serve the vendor's RPC API (KMS 2016-01-20, ResourceSharing 2020-01-10,
ResourceManager 2020-03-31, RAM 2015-05-01, STS 2015-04-01) over HTTP, signed as the official
SDKs sign (ACS3-HMAC-SHA256, RPC v1 HMAC-SHA1, ACS4-HMAC-SHA256 for KMS).

The operator is the management account's root. Its AccessKey is taken from
ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET when both are set (the
variables the SDKs' credential chain reads); otherwise one is made and printed once (with
--state, at the first start only). Without --state the organization lives in memory.";

#[derive(clap::Args)]
struct ServeArgs {
    /// Where to listen (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: std::net::SocketAddr,
    /// The region the endpoint stands for (ACS4 credentials name it).
    #[arg(long, default_value = "cn-hangzhou")]
    region: String,
    /// Build the starting organization from a scenario document (a new state only).
    #[arg(long)]
    from: Option<String>,
    /// Keep the organization in DIR: every accepted call is recorded (SQLite, sealed with
    /// the root key) before it is answered, and a restart resumes where it stopped.
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// The root key the state is sealed under, 64 hex digits; else the KMS_SHARE_ROOT_KEY
    /// variable. It is never stored in DIR.
    #[arg(long, value_name = "FILE", requires = "state")]
    root_key_file: Option<String>,
    /// Serve the simulator's built page (web-demo/dist, from `make web-build`) at `/`,
    /// showing the live organization (read-only) and every call in its audit trail.
    #[arg(long, value_name = "DIR")]
    web: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print to stdout and exit 0; usage errors to stderr, 2.
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match run(cli.command) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("kms-share: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Print to stdout; a closed pipe (`kms-share run x.json | head`) is not an error.
fn emit(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write the output: {e}")),
        _ => Ok(()),
    }
}

fn read(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
}

fn load(path: &std::path::Path) -> Result<scenario::Scenario, String> {
    scenario::parse(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// The organization a scenario document builds or a state document holds.
fn organization(path: &std::path::Path) -> Result<Organization, String> {
    Organization::from_document(&read(path)?, Box::new(OsRng)).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every `.json` file under `dir`, by its path relative to `dir` with `/` separators.
fn responses(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("cannot read the folder `{}`: {e}", d.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("cannot read the folder `{}`: {e}", d.display()))?.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let rel = path.strip_prefix(dir).map_err(|e| e.to_string())?;
                let rel: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                out.push((rel.join("/"), read(&path)?));
            }
        }
    }
    Ok(out)
}

fn import(folder: &Path, out: Option<&Path>) -> Result<ExitCode, String> {
    let files = responses(folder)?;
    if files.is_empty() {
        return Err(format!("`{}` holds no saved responses (*.json): see docs/import.md", folder.display()));
    }
    let imported =
        kms_share_core::import::import(&files).map_err(|e| format!("import of `{}`: {e}", folder.display()))?;
    // The core's pretty form of the compact text: a policy's document is written as the
    // compact text it is kept as, which serde_json's pretty writer would not indent.
    let text = kms_share_core::json::pretty(&kms_share_core::json::text(&imported.state));
    match out {
        Some(path) => {
            std::fs::write(path, text + "\n").map_err(|e| format!("cannot write `{}`: {e}", path.display()))?
        }
        None => emit(&text)?,
    }
    for line in imported.summary.report(&imported.state.gaps) {
        eprintln!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Run { scenario: file, check } => {
            let sc = load(&file)?;
            let mut r = Runner::new(&sc, Box::new(OsRng)).map_err(|e| e.to_string())?;
            let res = r.run(&sc, RunOptions { check_unchanged_on_failure: check });
            emit(&scenario::to_json(&res))?;
            Ok(if res.passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Explain { document, caller, action, resource } => {
            let org = organization(&document)?;
            let caller = Identity::parse(&caller).map_err(|e| e.to_string())?;
            let d = org
                .engine()
                .explain(&caller, &action, &resource, None, &Context::default())
                .map_err(|e| e.to_string())?;
            emit(&serde_json::to_string_pretty(&d).map_err(|e| e.to_string())?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Matrix { document, instance } => {
            let org = organization(&document)?;
            let inst = InstanceId::parse(&instance).map_err(|e| e.to_string())?;
            let m = org.engine().access_matrix(&inst).map_err(|e| e.to_string())?;
            emit(&serde_json::to_string_pretty(&m).map_err(|e| e.to_string())?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::WhoCan { document, action, resource } => {
            let org = organization(&document)?;
            let who = org.who_can(&action, &resource).map_err(|e| e.to_string())?;
            emit(&serde_json::to_string_pretty(&who).map_err(|e| e.to_string())?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { folder, out } => import(&folder, out.as_deref()),
        Command::Migrate { scenario: file } => {
            let (v2, notes) = scenario::migrate_text(&read(&file)?).map_err(|e| format!("{}: {e}", file.display()))?;
            for n in &notes {
                eprintln!("kms-share migrate: {}: {n}", file.display());
            }
            emit(&v2)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => serve(args),
        Command::Review { document, html } => {
            let org = organization(&document)?;
            let r = org.review().map_err(|e| e.to_string())?;
            std::fs::write(&html, kms_share_core::review::html(&r))
                .map_err(|e| format!("cannot write `{}`: {e}", html.display()))?;
            emit(&serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?)?;
            eprintln!("kms-share review: {} finding(s); report written to {}", r.findings.len(), html.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    let operator_key =
        match (std::env::var("ALIBABA_CLOUD_ACCESS_KEY_ID"), std::env::var("ALIBABA_CLOUD_ACCESS_KEY_SECRET")) {
            (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => Some((id, secret)),
            _ => None,
        };
    let root_text = match &args.root_key_file {
        Some(path) => Some(
            std::fs::read_to_string(path).map_err(|e| format!("serve: cannot read the root key file `{path}`: {e}"))?,
        ),
        None => std::env::var("KMS_SHARE_ROOT_KEY").ok(),
    };
    let root_key = match (&args.state, root_text) {
        (Some(_), Some(t)) => Some(kms_share_server::store::parse_root_key(&t).map_err(|e| format!("serve: {e}"))?),
        (Some(_), None) => {
            return Err("serve: --state needs the root key the state is sealed under: set KMS_SHARE_ROOT_KEY \
                 (64 hex digits, e.g. `openssl rand -hex 32`) or pass --root-key-file"
                .into())
        }
        (None, _) => None,
    };
    let config = kms_share_server::Config {
        region: args.region.clone(),
        from: args.from,
        operator_key,
        state_dir: args.state.clone(),
        root_key,
        web: args.web.clone(),
        ..kms_share_server::Config::new(args.listen)
    };
    let running = kms_share_server::start(config).map_err(|e| format!("serve: {e}"))?;
    emit(&format!("kms-share serve: listening on http://{} (region {})", running.addr, args.region))?;
    emit(&format!("operator: {}", running.operator))?;
    if let Some(dir) = &args.state {
        emit(&format!("state: {} (every accepted call recorded before it is answered)", dir.display()))?;
    }
    if args.web.is_some() {
        emit(&format!("page: http://{}/ (the live organization, read-only)", running.addr))?;
    }
    match &running.made_key {
        Some((id, secret)) => emit(&format!(
            "operator AccessKey (made now, shown once):\n  export ALIBABA_CLOUD_ACCESS_KEY_ID={id}\n  export ALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}"
        ))?,
        None if std::env::var("ALIBABA_CLOUD_ACCESS_KEY_ID").is_ok() => {
            emit("operator AccessKey: the one in ALIBABA_CLOUD_ACCESS_KEY_ID")?
        }
        None => emit("operator AccessKey: the one printed at this state's first start")?,
    }
    running.wait();
    Ok(ExitCode::SUCCESS)
}
