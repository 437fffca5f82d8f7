//! Part 7: `kms-share serve` under load. A 64-byte `Encrypt` by Department B's `alice`
//! (the vendor's example, tests/scenarios/01), ACS3-signed as the SDKs sign it, from
//! `--clients` keep-alive connections at once over loopback; throughput and the latency
//! percentiles of every request, in memory and with `--state` (each call recorded with a
//! full sync before it is answered). Beside them, the same call made in process through
//! `Organization::call`: the ratio is what the wire (HTTP, signature, JSON) costs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use kms_share_core::api::Organization;
use kms_share_core::crypto::OsRng;
use kms_share_server::sign::{acs3_authorization, Signed};
use kms_share_server::{start, Config};
use serde_json::{json, Value};

use crate::{log, Args};

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios/01-dept-a-shares-with-dept-b.json");
const OPERATOR: (&str, &str) = ("LTAIbenchOperator000000", "bench-operator-secret-0123456789");
const PLAINTEXT: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg==";

/// One keep-alive connection.
struct Conn {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    nonce: u64,
    tag: usize,
}

impl Conn {
    fn open(addr: SocketAddr, tag: usize) -> Conn {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        s.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
        Conn { addr, reader: BufReader::new(s.try_clone().expect("clone")), writer: s, nonce: 0, tag }
    }

    /// A signed call; the status and the body.
    fn call(&mut self, (ak, sk): (&str, &str), action: &str, version: &str, query: &str) -> (u16, Value) {
        self.nonce += 1;
        let nonce = format!("bench-{}-{}-{}", self.tag, self.nonce, std::process::id());
        let date = kms_share_core::time::format(kms_share_server::http::wall_clock());
        let host = self.addr.to_string();
        let headers: Vec<(String, String)> = vec![
            ("host".into(), host),
            ("x-acs-action".into(), action.into()),
            ("x-acs-date".into(), date),
            ("x-acs-signature-nonce".into(), nonce),
            ("x-acs-version".into(), version.into()),
        ];
        let pairs = kms_share_server::wire::parse_form(query).expect("query");
        let req = Signed { method: "POST", path: "/", query: &pairs, form: &[], headers: &headers, body: b"" };
        let names: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
        let auth = acs3_authorization(&req, ak, sk, &names).expect("sign");
        let mut raw = format!("POST /?{query} HTTP/1.1\r\n");
        for (k, v) in &headers {
            raw.push_str(&format!("{k}: {v}\r\n"));
        }
        raw.push_str(&format!("authorization: {auth}\r\ncontent-length: 0\r\n\r\n"));
        self.writer.write_all(raw.as_bytes()).expect("write");
        let mut status = String::new();
        self.reader.read_line(&mut status).expect("status line");
        let code: u16 = status.get(9..12).and_then(|c| c.parse().ok()).expect("a status");
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().expect("length");
                }
            }
        }
        let mut body = vec![0u8; len];
        self.reader.read_exact(&mut body).expect("body");
        (code, serde_json::from_slice(&body).expect("a JSON body"))
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Run the load against one server; latencies in microseconds.
fn load(durable: Option<&std::path::Path>, clients: usize, per_client: usize) -> Value {
    let mut cfg = Config::new("127.0.0.1:0".parse().expect("addr"));
    cfg.from = Some(SCENARIO.to_string());
    cfg.operator_key = Some((OPERATOR.0.into(), OPERATOR.1.into()));
    if let Some(dir) = durable {
        let _ = std::fs::remove_dir_all(dir);
        cfg.state_dir = Some(dir.to_path_buf());
        cfg.root_key = Some(vec![3u8; 32]);
    }
    let server = start(cfg).expect("the server starts");
    let addr = server.addr;
    let mut setup = Conn::open(addr, 9999);
    let (st, b) = setup.call(OPERATOR, "CreateAccountAccessKey", "2026-01-01", "AccountId=1000000000000003");
    assert_eq!(st, 200, "{b}");
    let dept_b = (
        b["AccessKey"]["AccessKeyId"].as_str().expect("id").to_string(),
        b["AccessKey"]["AccessKeySecret"].as_str().expect("secret").to_string(),
    );
    let (st, b) = setup.call((&dept_b.0, &dept_b.1), "CreateAccessKey", "2015-05-01", "UserName=alice");
    assert_eq!(st, 200, "{b}");
    let alice = (
        b["AccessKey"]["AccessKeyId"].as_str().expect("id").to_string(),
        b["AccessKey"]["AccessKeySecret"].as_str().expect("secret").to_string(),
    );
    let query = format!("KeyId=key-b1&Plaintext={}", PLAINTEXT.replace('=', "%3D"));
    // Warm up: connections, caches, the key's expanded cipher.
    for _ in 0..50 {
        let (st, b) = setup.call((&alice.0, &alice.1), "Encrypt", "2016-01-20", &query);
        assert_eq!(st, 200, "{b}");
    }
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|t| {
            let alice = alice.clone();
            let query = query.clone();
            std::thread::spawn(move || {
                let mut c = Conn::open(addr, t);
                let mut lat = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let t0 = Instant::now();
                    let (st, b) = c.call((&alice.0, &alice.1), "Encrypt", "2016-01-20", &query);
                    lat.push(t0.elapsed().as_secs_f64() * 1e6);
                    assert_eq!(st, 200, "{b}");
                }
                lat
            })
        })
        .collect();
    let mut all: Vec<f64> = threads.into_iter().flat_map(|t| t.join().expect("a client")).collect();
    let wall = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.partial_cmp(b).expect("numbers"));
    server.stop();
    if let Some(dir) = durable {
        let _ = std::fs::remove_dir_all(dir);
    }
    json!({
        "clients": clients,
        "requests": all.len(),
        "throughputPerSecond": all.len() as f64 / wall,
        "p50Us": percentile(&all, 0.50),
        "p99Us": percentile(&all, 0.99),
        "maxUs": percentile(&all, 1.0),
    })
}

/// The same Encrypt through the engine in process (no HTTP, no signature).
fn in_process(n: usize) -> Value {
    let text = std::fs::read_to_string(SCENARIO).expect("scenario");
    let (mut org, _) = Organization::from_scenario(&text, Box::new(OsRng)).expect("scenario runs");
    let params = json!({"KeyId": "key-b1", "Plaintext": PLAINTEXT});
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        org.call("acs:ram::1000000000000003:user/alice", "kms:Encrypt", params.clone(), None).expect("encrypts");
        lat.push(t0.elapsed().as_secs_f64() * 1e6);
    }
    lat.sort_by(|a, b| a.partial_cmp(b).expect("numbers"));
    json!({"requests": n, "p50Us": percentile(&lat, 0.5), "p99Us": percentile(&lat, 0.99)})
}

pub fn run(args: &Args) -> Value {
    let clients = args.usize("clients", 8);
    let per_client = args.usize("requests", 2000);
    let durable_per_client = args.usize("durable-requests", 200);
    log(format!("endpoint: in process, {} calls", clients * per_client));
    let engine = in_process(clients * per_client);
    log(format!("endpoint: in memory, {clients} clients x {per_client} Encrypt calls"));
    let memory = load(None, clients, per_client);
    let dir = std::path::PathBuf::from(crate::target_dir()).join("endpoint-state");
    log(format!("endpoint: --state, {clients} clients x {durable_per_client} Encrypt calls"));
    let durable = load(Some(&dir), clients, durable_per_client);
    json!({
        "call": "kms:Encrypt of 64 bytes by acs:ram::1000000000000003:user/alice with key-b1 (tests/scenarios/01), ACS3-signed, keep-alive, loopback",
        "inProcess": engine,
        "memory": memory,
        "durable": durable,
    })
}
