//! `kms-share-bench`: the benchmark suite of issue #8. Each subcommand measures one part
//! and writes one JSON document; `scripts/bench.sh` runs them all and
//! `bench/report.py` turns the documents into BENCHMARKS.md.
//!
//! ```text
//! kms-share-bench scale    --sizes 100,10000,100000 --out scale.json
//! kms-share-bench decide-loop --accounts 100000 (--seconds 10 | --rounds 20) [--explained yes] (for perf, cachegrind)
//! kms-share-bench latency  --out latency.json    (one dependent read from memory, by buffer size)
//! kms-share-bench cedar    --accounts 10000 --requests 100000 --out cedar.json
//! kms-share-bench crypto   --out crypto.json
//! kms-share-bench encrypt-loop (--seconds 10 | --rounds 20)   (part 4's Encrypt alone, for perf)
//! kms-share-bench state    --accounts 100000 --snapshot org.snapshot --out state.json
//! kms-share-bench load     --snapshot org.snapshot --rounds 3 (the load figures of `state` again)
//! kms-share-bench rss-build --accounts 100000      (prints JSON; run in its own process)
//! kms-share-bench rss-load  --snapshot org.snapshot (prints JSON; run in its own process)
//! kms-share-bench rss-policy --export org.policy.json (prints JSON; run in its own process)
//! kms-share-bench export   --accounts 10000 --requests 100000 --dir DIR
//! kms-share-bench native   --dir DIR --out native.json
//! kms-share-bench endpoint --clients 8 --requests 2000 --out endpoint.json
//! ```

mod cedar;
mod crypto;
mod endpoint;
mod org;
mod runtimes;
mod scale;
mod snapshot;
mod stats;

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{json, Value};

/// `--name value` pairs.
pub struct Args(BTreeMap<String, String>);

impl Args {
    fn parse(v: &[String]) -> Result<Args, String> {
        let mut m = BTreeMap::new();
        let mut it = v.iter();
        while let Some(k) = it.next() {
            let k = k.strip_prefix("--").ok_or_else(|| format!("expected --name value, got `{k}`"))?;
            let val = it.next().ok_or_else(|| format!("--{k} needs a value"))?;
            m.insert(k.to_string(), val.clone());
        }
        Ok(Args(m))
    }
    pub fn str(&self, k: &str, default: &str) -> String {
        self.0.get(k).cloned().unwrap_or_else(|| default.to_string())
    }
    pub fn usize(&self, k: &str, default: usize) -> usize {
        match self.0.get(k).map(|v| v.replace('_', "").parse()) {
            None => default,
            Some(Ok(n)) => n,
            Some(Err(_)) => usage_error(&format!("--{k} takes a whole number, not `{}`", self.0[k])),
        }
    }
    /// A path argument, by default `NAME` in the bench's target directory ([`target_dir`]).
    pub fn path(&self, k: &str, name: &str) -> String {
        self.0.get(k).cloned().unwrap_or_else(|| format!("{}/{name}", target_dir()))
    }
    pub fn out(&self) -> Option<String> {
        self.0.get("out").cloned()
    }
}

/// Where files go by default: `$CARGO_TARGET_DIR` (scripts/bench.sh exports it as
/// `<repo>/target/bench`), else `target/bench` of the repository this crate was built from.
pub fn target_dir() -> String {
    std::env::var("CARGO_TARGET_DIR")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench").to_string())
}

fn write(args: &Args, v: Value) {
    let text = serde_json::to_string_pretty(&v).expect("json");
    match args.out() {
        Some(p) => std::fs::write(&p, text + "\n").unwrap_or_else(|e| panic!("{p}: {e}")),
        None => println!("{text}"),
    }
}

/// Log progress on stderr with the elapsed time.
pub fn log(msg: impl AsRef<str>) {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    let t = START.get_or_init(Instant::now).elapsed().as_secs_f64();
    eprintln!("[bench {t:7.1}s] {}", msg.as_ref());
}

const USAGE: &str = "usage: kms-share-bench <scale|decide-loop|latency|cedar|crypto|encrypt-loop|state|load|rss-build|rss-load|rss-policy|export|native|endpoint> [--name value]...
  (each subcommand's options: the module documentation of bench/src/main.rs and scripts/bench.sh)";

/// A command line the suite cannot run: the reason and the usage on stderr, exit status 2.
fn usage_error(why: &str) -> ! {
    eprintln!("kms-share-bench: {why}\n{USAGE}");
    std::process::exit(2);
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return;
    }
    let Some(cmd) = argv.first().cloned() else { usage_error("no subcommand") };
    let args = Args::parse(&argv[1..]).unwrap_or_else(|why| usage_error(&why));
    let started = Instant::now();
    let mut v = match cmd.as_str() {
        "scale" => scale::run(&args),
        "decide-loop" => scale::decide_loop(&args),
        "latency" => scale::latency(&args),
        "cedar" => cedar::run(&args),
        "crypto" => crypto::run(&args),
        "encrypt-loop" => crypto::encrypt_loop(&args),
        "state" => snapshot::run(&args),
        "load" => snapshot::load(&args),
        "rss-build" => snapshot::rss_build(&args),
        "rss-load" => snapshot::rss_load(&args),
        "rss-policy" => snapshot::rss_policy(&args),
        "export" => runtimes::export(&args),
        "native" => runtimes::native(&args),
        "endpoint" => endpoint::run(&args),
        other => usage_error(&format!("unknown subcommand `{other}`")),
    };
    if let Value::Object(m) = &mut v {
        m.insert("wallSeconds".into(), json!(started.elapsed().as_secs_f64()));
    }
    write(&args, v);
}
