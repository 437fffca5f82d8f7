//! `kms-share serve`: the vendor's RPC API over HTTP, for the official SDKs.
//!
//! The SDKs point at `127.0.0.1:PORT` and sign as they sign for the cloud (ACS3-HMAC-SHA256,
//! RPC v1 HMAC-SHA1, ACS4-HMAC-SHA256 for KMS); the server recomputes each signature from
//! the AccessKey's secret, then makes the call as the AccessKey's RAM identity, so every
//! answer (and every `Forbidden.NoPermission`, with its explained decision) is the engine's.
//!
//! The core stays free of I/O: this crate holds the sockets, the clock, the AccessKeys and
//! the thread that owns the organization. [`service`] is the request-to-answer function,
//! [`http`] the transport, [`sign`] the three signatures.

pub mod http;
pub mod keys;
pub mod service;
pub mod sign;
pub mod store;
pub mod tape;
pub mod wire;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;

use kms_share_core::api::Organization;

use crate::keys::{AccessKey, AccessKeys};
use crate::service::Service;
use crate::store::Store;
use crate::tape::Tape;

/// The account that operates the endpoint when nothing says otherwise (the management
/// account of the corpus and of the vendor's Department A/B story).
pub const DEFAULT_ACCOUNT: &str = "1000000000000001";

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen (`127.0.0.1:8787`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// The region the endpoint stands for (`cn-hangzhou`): the region of ACS4 signatures.
    pub region: String,
    /// A scenario document whose steps build the starting organization.
    pub from: Option<String>,
    /// The operator's AccessKey (id, secret), usually from `ALIBABA_CLOUD_ACCESS_KEY_ID` /
    /// `ALIBABA_CLOUD_ACCESS_KEY_SECRET`; made at first start when absent.
    pub operator_key: Option<(String, String)>,
    /// Where the organization is kept durably (`--state DIR`); in memory only without.
    pub state_dir: Option<PathBuf>,
    /// The 32-byte root key the state is sealed under (required with `state_dir`).
    pub root_key: Option<Vec<u8>>,
    /// Calls recorded between two snapshots ([`store::SNAPSHOT_EVERY`] by default).
    pub snapshot_every: u64,
    /// The simulator's built page (`web-demo/dist`) to serve at `/`, with the live
    /// organization (read-only) at [`http::PAGE_STATE`].
    pub web: Option<PathBuf>,
}

impl Config {
    /// Listen on `listen`, region `cn-hangzhou`, in memory, the operator's key made at start.
    pub fn new(listen: SocketAddr) -> Self {
        Config {
            listen,
            region: "cn-hangzhou".into(),
            from: None,
            operator_key: None,
            state_dir: None,
            root_key: None,
            snapshot_every: store::SNAPSHOT_EVERY,
            web: None,
        }
    }
}

/// A started server.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The operator's identity (the management account's root).
    pub operator: String,
    /// The operator's AccessKey, when the server made it (print it once: it is not kept
    /// anywhere else).
    pub made_key: Option<(String, String)>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Stop accepting, finish, and wait for the server's threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Block until the server stops (it stops on its own only if its engine thread ends).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Build the organization and start serving it.
///
/// # Errors
/// A message for a scenario that does not parse or whose steps fail, a port that cannot
/// be bound, or no randomness.
pub fn start(config: Config) -> Result<Running, String> {
    let tape = Tape::default();
    let now = http::wall_clock();
    let mut stored = match &config.state_dir {
        Some(dir) => {
            let root = config.root_key.clone().ok_or(
                "--state needs the root key the state is sealed under: set KMS_SHARE_ROOT_KEY (64 hex digits) or pass --root-key-file",
            )?;
            let (mut store, loaded) = Store::open(dir, &root)?;
            store.snapshot_every(config.snapshot_every);
            Some((store, loaded, root))
        }
        None => None,
    };
    let resumed = stored.as_ref().is_some_and(|(_, l, _)| l.snapshot.is_some());
    if resumed && config.from.is_some() {
        return Err("--from seeds a new state only: this state directory already holds an organization".into());
    }
    let mut keys = AccessKeys::default();
    // The snapshot's text is handed over (and freed once read): a large organization's
    // text and its loaded state are not held at once.
    let org = match stored.as_mut().and_then(|(_, l, root)| l.snapshot.as_mut().map(|s| (s, &*root))) {
        Some(((text, saved_keys, _), root)) => {
            for k in saved_keys.iter() {
                keys.insert(k.clone());
            }
            Organization::load_sealed_owned(core::mem::take(text), root, Box::new(tape.clone()))
                .map_err(|e| format!("the state's snapshot does not load: {e}"))?
        }
        None => fresh_organization(&config, &tape, now)?,
    };
    let operator = operator_of(&org);
    let created = kms_share_core::time::format(now);
    let made_key = match &config.operator_key {
        Some((id, secret)) => {
            if id.is_empty() || secret.is_empty() {
                return Err("the operator's AccessKey id and secret must both be non-empty".to_string());
            }
            keys.insert(AccessKey {
                id: id.clone(),
                secret: secret.clone(),
                identity: operator.clone(),
                active: true,
                created,
                temporary: None,
            });
            None
        }
        // A resumed state keeps the key made at its first start.
        None if resumed => None,
        None => {
            let k = keys.create(&mut tape.clone(), &operator, &created)?;
            Some((k.id, k.secret))
        }
    };
    let mut service = Service::new(org, keys, operator.clone(), config.region.clone(), tape);
    if let Some((store, loaded, root)) = stored {
        if let Some((_, _, offset)) = &loaded.snapshot {
            service.set_clock_offset(*offset);
        }
        service = service.with_store(store, root);
        for (n, expires) in &loaded.nonces {
            service.remember_nonce(n, now, *expires);
        }
        for call in &loaded.calls {
            service.replay(call)?;
        }
        if !loaded.calls.is_empty() || !resumed {
            service.snapshot()?;
        }
    }

    let std_listener =
        std::net::TcpListener::bind(config.listen).map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    std_listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let addr = std_listener.local_addr().map_err(|e| e.to_string())?;

    let (jobs_tx, jobs_rx) = mpsc::channel::<http::Job>();
    let engine = std::thread::Builder::new()
        .name("kms-share-engine".into())
        .spawn(move || engine_loop(service, &jobs_rx))
        .map_err(|e| format!("cannot start the engine thread: {e}"))?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    let web: Option<std::sync::Arc<std::path::Path>> = config.web.as_deref().map(std::sync::Arc::from);
    let thread = std::thread::Builder::new()
        .name("kms-share-http".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("kms-share serve: cannot start the async runtime: {e}");
                    return;
                }
            };
            rt.block_on(async move {
                match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(listener) => http::serve(listener, jobs_tx, web, stop_rx).await,
                    Err(e) => eprintln!("kms-share serve: cannot use the listening socket: {e}"),
                }
            });
            drop(rt);
            let _ = engine.join();
        })
        .map_err(|e| format!("cannot start the HTTP thread: {e}"))?;
    Ok(Running { addr, operator, made_key, stop: Some(stop_tx), thread: Some(thread) })
}

/// A new organization: built by the scenario of `--from`, else empty, its clock at `now`.
fn fresh_organization(config: &Config, tape: &Tape, now: u64) -> Result<Organization, String> {
    match &config.from {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
            let (org, run) =
                Organization::from_scenario(&text, Box::new(tape.clone())).map_err(|e| format!("{path}: {e}"))?;
            if !run.passed {
                let failed: Vec<String> = run
                    .steps
                    .iter()
                    .filter(|s| s.expect_held == Some(false))
                    .map(|s| format!("step {}: {}", s.index, s.expect_failures.join(", ")))
                    .take(5)
                    .collect();
                return Err(format!(
                    "{path}: the scenario's expectations fail, so it is not served: {}",
                    failed.join("; ")
                ));
            }
            Ok(org)
        }
        None => Organization::new(None, Box::new(tape.clone()), Some(&kms_share_core::time::format(now)))
            .map_err(|e| e.to_string()),
    }
}

/// The operator: the directory's management account's root, else [`DEFAULT_ACCOUNT`]'s.
fn operator_of(org: &Organization) -> String {
    let account = org
        .state()
        .directory
        .as_ref()
        .map(|d| d.management_account.to_string())
        .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string());
    format!("acs:ram::{account}:root")
}

/// The engine's thread: one request at a time, so state changes never interleave. It
/// answers the requests queued so far (at most [`BATCH`]), records their calls in one
/// transaction, and only then sends the replies (group commit). A panic in a call (a bug)
/// answers `InternalError` and the server keeps answering; calls that cannot be recorded
/// end the process without acknowledging them (a restart replays what was recorded).
fn engine_loop(mut service: Service, jobs: &mpsc::Receiver<http::Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut replies = Vec::with_capacity(batch.len());
        for job in batch {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &job.work {
                http::Work::Call(request) => service.handle(request, job.now),
                http::Work::PageState => service.page_state(),
            }));
            let reply = outcome.unwrap_or_else(|_| service::Reply {
                status: 500,
                request_id: "00000000-0000-0000-0000-000000000000".into(),
                body: r#"{"Code":"InternalError","Message":"the engine failed on this request (a bug: please report it with the request)"}"#.into(),
            });
            replies.push((job.reply, reply));
        }
        if let Err(why) = service.commit(http::wall_clock()) {
            for (to, reply) in replies {
                let _ = to.send(service::Reply {
                    status: 500,
                    request_id: reply.request_id,
                    body: r#"{"Code":"InternalError","Message":"the call could not be recorded, so it is not acknowledged; the server stops"}"#.into(),
                });
            }
            eprintln!("kms-share serve: stopping: {why}");
            std::process::exit(70);
        }
        for (to, reply) in replies {
            let _ = to.send(reply);
        }
    }
}

/// The most requests answered between two commits.
const BATCH: usize = 64;
