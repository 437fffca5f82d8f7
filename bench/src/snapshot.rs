//! Part 5 (state: sealed snapshot save and load of the 100,000-account organization) and
//! the memory figure of part 2 (peak RSS), each RSS figure in a process of its own.

use std::hint::black_box;
use std::time::Instant;

use kms_share_core::api::Organization;
use kms_share_core::crypto::{b64_decode, AesKey, SeededRng};
use kms_share_core::snapshot::policy_export;
use kms_share_core::state::State;
use kms_share_core::Engine;
use serde_json::{json, Value};

use crate::org;
use crate::stats::{self, Summary};
use crate::{log, Args};

pub const ROOT_KEY: [u8; 32] = [0x42; 32];

extern "C" {
    fn malloc_trim(pad: usize) -> i32;
}

/// Give freed memory back to the OS so that VmRSS shows what is live.
pub fn trim() {
    // SAFETY: glibc's malloc_trim only releases free heap memory; no pointer is involved.
    #[allow(unsafe_code)]
    unsafe {
        malloc_trim(0);
    }
}

fn secs(v: Vec<f64>) -> Summary {
    Summary::from_samples(v, 1)
}

pub fn run(args: &Args) -> Value {
    let n = args.usize("accounts", 100_000);
    let reps = args.usize("rounds", 3);
    let snap_path = args.str("snapshot", "/work/main/target/bench/org.snapshot");
    let export_path = args.str("export", "/work/main/target/bench/org.policy.json");
    log(format!("state: generating {n} accounts"));
    let org = org::generate(n, 10);
    let (keys, secrets) = (org.keys, org.secrets);
    let mut engine = org.engine;
    let versions: usize = engine.state().keys.values().map(|k| k.versions.len()).sum();

    log("state: save_sealed");
    let mut save = Vec::new();
    let mut text = String::new();
    for _ in 0..reps {
        let t = Instant::now();
        text = engine.save_sealed(&ROOT_KEY).expect("save_sealed");
        save.push(t.elapsed().as_secs_f64());
    }
    std::fs::write(&snap_path, &text).expect("write snapshot");
    let env: Value = serde_json::from_str(&text).expect("envelope");
    let body_len = env["body"].as_str().map(str::len).unwrap_or(0);
    let body: Value = serde_json::from_str(env["body"].as_str().expect("body")).expect("body json");
    let state_len = serde_json::to_string(&body["state"]).expect("state").len();
    let sealed_len = serde_json::to_string(&body["sealedKeys"]).expect("sealed").len();
    drop(body);
    drop(env);

    std::fs::write(&export_path, serde_json::to_string(&policy_export(engine.state())).expect("export"))
        .expect("write export");

    // Where load time goes (each stage timed on its own, with the engine's public pieces).
    log("state: load breakdown");
    let key_count = engine.state().keys.len();
    let state_text = serde_json::to_string(engine.state()).expect("state json");
    drop(engine);
    let t = Instant::now();
    let mut parsed: State = serde_json::from_str(&state_text).expect("state parse");
    let t_parse_state = t.elapsed().as_secs_f64();
    drop(state_text);
    let t = Instant::now();
    parsed.rebuild_index();
    let t_index = t.elapsed().as_secs_f64();
    drop(parsed);
    let t = Instant::now();
    let env: serde_json::Map<String, Value> = serde_json::from_str(&text).expect("envelope");
    let t_envelope = t.elapsed().as_secs_f64();
    let body_text = env["body"].as_str().expect("body").to_string();
    drop(env);
    let root = AesKey::from_bytes(&ROOT_KEY).expect("root");
    let t = Instant::now();
    black_box(root.seal(&[0u8; 12], body_text.as_bytes(), &[]).expect("tag"));
    let t_tag = t.elapsed().as_secs_f64();
    // Unsealing one key: base64, AES-256-GCM open of 32 bytes, key expansion. Timed on a
    // sample of the snapshot's own sealed keys and scaled to all of them.
    let body: Value = serde_json::from_str(&body_text).expect("body");
    drop(body_text);
    let sealed: Vec<(String, String)> = body["sealedKeys"]
        .as_object()
        .expect("sealed keys")
        .iter()
        .take(20_000)
        .map(|(h, v)| (h.clone(), v.as_str().expect("b64").to_string()))
        .collect();
    drop(body);
    let t = Instant::now();
    for (h, b) in &sealed {
        let blob = b64_decode("x", b).expect("b64");
        let mut aad = b"kms-share/sealed-key/v1:".to_vec();
        aad.extend_from_slice(h.as_bytes());
        // The sealed-key layout of core/src/keystore.rs (nonce || AES-256-GCM, the handle as
        // authenticated data); should it change, the timing stays representative.
        let m = root.open(&blob[..12], &aad, &blob[12..]).unwrap_or_else(|_| vec![0u8; 32]);
        black_box(AesKey::from_bytes(&m).ok());
    }
    let t_unseal = t.elapsed().as_secs_f64() / sealed.len() as f64 * versions as f64;

    log("state: load_sealed");
    let mut load = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        let e = Engine::load_sealed(&text, &ROOT_KEY, Box::new(SeededRng::new(3))).expect("load_sealed");
        load.push(t.elapsed().as_secs_f64());
        assert_eq!(e.state().keys.len(), key_count);
        drop(e);
    }

    json!({
        "accounts": n,
        "keys": keys,
        "secrets": secrets,
        "keyVersions": versions,
        "snapshotBytes": text.len(),
        "bodyBytes": body_len,
        "stateJsonBytes": state_len,
        "sealedKeysJsonBytes": sealed_len,
        "bytesPerKey": text.len() as f64 / keys as f64,
        "saveSeconds": secs(save),
        "loadSeconds": secs(load),
        "loadBreakdownSeconds": {
            "envelopeParse": t_envelope,
            "integrityTag": t_tag,
            "stateParse": t_parse_state,
            "unsealKeys": t_unseal,
            "rebuildIndex": t_index,
        },
        "snapshotPath": snap_path,
        "exportPath": export_path,
    })
}

fn rss_json(what: &str, keys: usize, peak: u64, steady: u64, extra: Value) -> Value {
    let per = |b: u64| if keys == 0 { Value::Null } else { json!(b as f64 / keys as f64) };
    json!({
        "what": what,
        "keys": keys,
        "peakRssBytes": peak,
        "steadyRssBytes": steady,
        "peakBytesPerKey": per(peak),
        "steadyBytesPerKey": per(steady),
        "detail": extra,
    })
}

/// The organization as the generator builds it (structure, then 10 keys per account
/// through `kms:CreateKey`): the engine with every key's material.
pub fn rss_build(args: &Args) -> Value {
    let n = args.usize("accounts", 100_000);
    let kpa = args.usize("keys-per-account", 10);
    let (_, base) = stats::rss();
    let org = org::generate(n, kpa);
    let keys = org.keys;
    let engine = org.engine;
    drop((org.reach, org.resources, org.owners));
    trim();
    let (peak, steady) = stats::rss();
    black_box(&engine);
    rss_json(
        if kpa == 0 {
            "generated organization without keys (directory, instances, shares, RAM)"
        } else {
            "generated organization, engine with key material"
        },
        keys,
        peak,
        steady,
        json!({"accounts": n, "processBaselineRssBytes": base,
               "sizeOfAesKey": std::mem::size_of::<AesKey>(),
               "sizeOfKey": std::mem::size_of::<kms_share_core::model::Key>()}),
    )
}

/// A process that loads the sealed snapshot (`Engine::load_sealed`): peak during the
/// load (the snapshot text is held), steady once the text is dropped.
pub fn rss_load(args: &Args) -> Value {
    let path = args.str("snapshot", "/work/main/target/bench/org.snapshot");
    let (_, base) = stats::rss();
    let text = std::fs::read_to_string(&path).expect("snapshot");
    let bytes = text.len();
    let engine = Engine::load_sealed(&text, &ROOT_KEY, Box::new(SeededRng::new(3))).expect("load");
    drop(text);
    trim();
    let (peak, steady) = stats::rss();
    let keys = engine.state().keys.len();
    black_box(&engine);
    rss_json(
        "Engine::load_sealed of the snapshot, engine with key material",
        keys,
        peak,
        steady,
        json!({"snapshotBytes": bytes, "processBaselineRssBytes": base}),
    )
}

/// A process that loads the policy-only export (what a decision-only host holds: no key
/// material, no secret values).
pub fn rss_policy(args: &Args) -> Value {
    let path = args.str("export", "/work/main/target/bench/org.policy.json");
    let (_, base) = stats::rss();
    let text = std::fs::read_to_string(&path).expect("export");
    let bytes = text.len();
    let state: State = serde_json::from_str(&text).expect("state");
    drop(text);
    let mut o = Organization::new(Some(1), Box::new(SeededRng::new(1)), None).expect("org");
    o.load_state(state);
    trim();
    let (peak, steady) = stats::rss();
    let keys = o.state().keys.len();
    black_box(&o);
    rss_json(
        "policy-only export loaded (Organization::load_state), no key material",
        keys,
        peak,
        steady,
        json!({"exportBytes": bytes, "processBaselineRssBytes": base}),
    )
}
