//! `kms-share`: run scenario documents and ask the engine questions from a shell.
//!
//! ```text
//! kms-share run scenario.json [--check]      print the result document; exit 1 if an expect failed
//! kms-share explain scenario.json CALLER ACTION RESOURCE
//! kms-share matrix scenario.json INSTANCE-ID
//! kms-share migrate scenario.json            a version 1 document in version 2's names
//! kms-share serve [--listen ADDR] [--region R] [--from SCENARIO.json]
//! kms-share --help | --version
//! ```
//! `explain` and `matrix` first run the scenario, then ask about the state it built.

use std::io::Write;
use std::process::ExitCode;

use kms_share_core::crypto::OsRng;
use kms_share_core::ids::{Identity, InstanceId};
use kms_share_core::policy::Context;
use kms_share_core::scenario::{self, RunOptions, Runner};

const USAGE: &str = "usage:
  kms-share run SCENARIO.json [--check]
  kms-share explain SCENARIO.json CALLER ACTION RESOURCE
  kms-share matrix SCENARIO.json INSTANCE-ID
  kms-share migrate SCENARIO.json      a version 1 document in the vendor's names (version 2)
  kms-share serve [--listen 127.0.0.1:8787] [--region cn-hangzhou] [--from SCENARIO.json]
                                       the vendor's API over HTTP for the official SDKs
  kms-share --help | --version

exit status: 0 ok, 1 an expect failed, 2 bad input";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
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

fn load(path: &str) -> Result<scenario::Scenario, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
    scenario::parse(&text).map_err(|e| format!("{path}: {e}"))
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["--help" | "-h" | "help"] => {
            emit(USAGE)?;
            Ok(ExitCode::SUCCESS)
        }
        ["--version" | "-V"] => {
            emit(concat!("kms-share ", env!("CARGO_PKG_VERSION")))?;
            Ok(ExitCode::SUCCESS)
        }
        ["run", file] | ["run", file, "--check"] => {
            let sc = load(file)?;
            let check = a.len() == 3;
            let mut r = Runner::new(&sc, Box::new(OsRng)).map_err(|e| e.to_string())?;
            let res = r.run(&sc, RunOptions { check_unchanged_on_failure: check });
            emit(&scenario::to_json(&res))?;
            Ok(if res.passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        ["explain", file, caller, action, resource] => {
            let sc = load(file)?;
            let mut r = Runner::new(&sc, Box::new(OsRng)).map_err(|e| e.to_string())?;
            r.run(&sc, RunOptions::default());
            let caller = Identity::parse(caller).map_err(|e| e.to_string())?;
            let d =
                r.engine().explain(&caller, action, resource, None, &Context::default()).map_err(|e| e.to_string())?;
            emit(&serde_json::to_string_pretty(&d).map_err(|e| e.to_string())?)?;
            Ok(ExitCode::SUCCESS)
        }
        ["migrate", file] => {
            let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read `{file}`: {e}"))?;
            let (v2, notes) = scenario::migrate_text(&text).map_err(|e| format!("{file}: {e}"))?;
            for n in &notes {
                eprintln!("kms-share migrate: {file}: {n}");
            }
            emit(&v2)?;
            Ok(ExitCode::SUCCESS)
        }
        ["serve", rest @ ..] => serve(rest),
        ["matrix", file, instance] => {
            let sc = load(file)?;
            let mut r = Runner::new(&sc, Box::new(OsRng)).map_err(|e| e.to_string())?;
            r.run(&sc, RunOptions::default());
            let inst = InstanceId::parse(instance).map_err(|e| e.to_string())?;
            let m = r.engine().access_matrix(&inst).map_err(|e| e.to_string())?;
            emit(&serde_json::to_string_pretty(&m).map_err(|e| e.to_string())?)?;
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(USAGE.to_string()),
    }
}

const SERVE_USAGE: &str = "usage: kms-share serve [--listen ADDR] [--region REGION] [--from SCENARIO.json]
                       [--state DIR [--root-key-file FILE]]

Serve the vendor's RPC API (KMS 2016-01-20, ResourceSharing 2020-01-10, ResourceManager
2020-03-31, RAM 2015-05-01, STS 2015-04-01) over HTTP, signed as the official SDKs sign.

  --listen ADDR      where to listen (default 127.0.0.1:8787; port 0 picks a free one)
  --region REGION    the region the endpoint stands for (default cn-hangzhou)
  --from FILE        build the starting organization from a scenario document (a new
                     state only)
  --state DIR        keep the organization in DIR: every accepted call is recorded
                     (SQLite, sealed with the root key) before it is answered, and a
                     restart resumes where it stopped
  --root-key-file F  the root key the state is sealed under, 64 hex digits; else the
                     KMS_SHARE_ROOT_KEY variable. It is never stored in DIR

The operator is the management account's root. Its AccessKey is taken from
ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET when both are set (the
variables the SDKs' credential chain reads); otherwise one is made and printed once (with
--state, at the first start only). Without --state the organization lives in memory.";

fn serve(args: &[&str]) -> Result<ExitCode, String> {
    let mut listen = "127.0.0.1:8787".to_string();
    let mut region = "cn-hangzhou".to_string();
    let mut from = None;
    let mut state_dir = None;
    let mut key_file = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next().map(|v| (*v).to_string()).ok_or_else(|| format!("serve: {name} needs a value\n\n{SERVE_USAGE}"))
        };
        match *arg {
            "--help" | "-h" => {
                emit(SERVE_USAGE)?;
                return Ok(ExitCode::SUCCESS);
            }
            "--listen" => listen = value("--listen")?,
            "--region" => region = value("--region")?,
            "--from" => from = Some(value("--from")?),
            "--state" => state_dir = Some(std::path::PathBuf::from(value("--state")?)),
            "--root-key-file" => key_file = Some(value("--root-key-file")?),
            other => return Err(format!("serve: unknown argument `{other}`\n\n{SERVE_USAGE}")),
        }
    }
    let listen =
        listen.parse().map_err(|_| format!("serve: --listen takes HOST:PORT (an IP address), not `{listen}`"))?;
    let operator_key =
        match (std::env::var("ALIBABA_CLOUD_ACCESS_KEY_ID"), std::env::var("ALIBABA_CLOUD_ACCESS_KEY_SECRET")) {
            (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => Some((id, secret)),
            _ => None,
        };
    let root_text = match &key_file {
        Some(path) => Some(
            std::fs::read_to_string(path).map_err(|e| format!("serve: cannot read the root key file `{path}`: {e}"))?,
        ),
        None => std::env::var("KMS_SHARE_ROOT_KEY").ok(),
    };
    let root_key = match (&state_dir, root_text) {
        (Some(_), Some(t)) => Some(kms_share_server::store::parse_root_key(&t).map_err(|e| format!("serve: {e}"))?),
        (Some(_), None) => {
            return Err("serve: --state needs the root key the state is sealed under: set KMS_SHARE_ROOT_KEY \
                 (64 hex digits, e.g. `openssl rand -hex 32`) or pass --root-key-file"
                .into())
        }
        (None, _) => None,
    };
    let config = kms_share_server::Config {
        region: region.clone(),
        from,
        operator_key,
        state_dir: state_dir.clone(),
        root_key,
        ..kms_share_server::Config::new(listen)
    };
    let running = kms_share_server::start(config).map_err(|e| format!("serve: {e}"))?;
    emit(&format!("kms-share serve: listening on http://{} (region {region})", running.addr))?;
    emit(&format!("operator: {}", running.operator))?;
    if let Some(dir) = &state_dir {
        emit(&format!("state: {} (every accepted call recorded before it is answered)", dir.display()))?;
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
