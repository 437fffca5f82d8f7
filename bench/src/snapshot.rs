//! Part 5 (state: sealed snapshot save and load of the 100,000-account organization) and
//! the memory figure of part 2 (peak RSS), each RSS figure in a process of its own.

use std::hint::black_box;
use std::time::Instant;

use kms_share_core::api::Organization;
use kms_share_core::crypto::{b64_decode, AesKey, SeededRng};
use kms_share_core::keystore::{KeyBackend, SoftwareBackend};
use kms_share_core::snapshot::{policy_export, read_body_parts};
use kms_share_core::state::State;
use kms_share_core::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;
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

/// The sealed snapshot's envelope as `Engine::load_sealed_into` reads it (version 2):
/// the body borrowed as its exact text, never copied.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Envelope<'a> {
    format: String,
    version: u32,
    #[serde(borrow)]
    body: &'a RawValue,
    nonce: String,
    tag: String,
}

/// The body's members as their exact text, for their sizes and for timing the state alone.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BodyRaw<'a> {
    #[serde(borrow)]
    state: &'a RawValue,
    #[serde(borrow)]
    sealed_keys: &'a RawValue,
    #[serde(borrow, default)]
    hardware_keys: Option<&'a RawValue>,
}

/// The label a version 2 tag seals (core/src/snapshot.rs).
const TAG_LABEL_V2: &[u8] = b"kms-share/snapshot/v2";

pub fn run(args: &Args) -> Value {
    let n = args.usize("accounts", 100_000);
    let reps = args.usize("rounds", 3);
    let snap_path = args.path("snapshot", "org.snapshot");
    let export_path = args.path("export", "org.policy.json");
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
    let (version, body_len, state_len, sealed_len) = {
        let env: Envelope = serde_json::from_str(&text).expect("envelope");
        let raw: BodyRaw = serde_json::from_str(env.body.get()).expect("body members");
        assert!(raw.hardware_keys.is_none_or(|h| h.get() == "{}"), "no hardware instance in the generated org");
        (env.version, env.body.get().len(), raw.state.get().len(), raw.sealed_keys.get().len())
    };
    assert_eq!(version, 2, "this breakdown follows the version 2 load");

    std::fs::write(&export_path, serde_json::to_string(&policy_export(engine.state())).expect("export"))
        .expect("write export");

    // Where load time goes: the stages of `Engine::load_sealed_into`, run in its order on
    // the snapshot text with the engine's public pieces, each timed on its own; a round of
    // them after each timed load, so both see the allocator in the same state.
    let key_count = engine.state().keys.len();
    drop(engine);
    log("state: load_sealed, each followed by its breakdown");
    let loads = time_loads(&text, versions, key_count, reps);

    json!({
        "accounts": n,
        "keys": keys,
        "secrets": secrets,
        "keyVersions": versions,
        "snapshotVersion": version,
        "snapshotBytes": text.len(),
        "bodyBytes": body_len,
        "stateJsonBytes": state_len,
        "sealedKeysJsonBytes": sealed_len,
        "bytesPerKey": text.len() as f64 / keys as f64,
        "saveSeconds": secs(save),
        "loadSeconds": loads["loadSeconds"],
        "loadBreakdownSeconds": loads["loadBreakdownSeconds"],
        "loadBreakdownRounds": reps,
        "bodyParseStateSeconds": loads["bodyParseStateSeconds"],
        "snapshotPath": snap_path,
        "exportPath": export_path,
    })
}

/// `reps` timed loads of the snapshot `text`, each followed by a timed run of its stages
/// (both see the allocator in the same state): `loadSeconds`, `loadBreakdownSeconds`
/// (medians, in [`STAGES`]' order) and `bodyParseStateSeconds`.
fn time_loads(text: &str, versions: usize, key_count: usize, reps: usize) -> Value {
    let mut load = Vec::new();
    let mut stages: [Vec<f64>; STAGES.len()] = Default::default();
    let mut state_alone = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        let e = Engine::load_sealed(text, &ROOT_KEY, Box::new(SeededRng::new(3))).expect("load_sealed");
        load.push(t.elapsed().as_secs_f64());
        assert_eq!(e.state().keys.len(), key_count);
        drop(e);
        let (b, st) = load_stages(text, versions);
        for (v, x) in stages.iter_mut().zip(b) {
            v.push(x);
        }
        state_alone.push(st);
    }
    let median = |v: &Vec<f64>| Summary::from_samples(v.clone(), 1).median;
    let breakdown: serde_json::Map<String, Value> =
        STAGES.iter().zip(&stages).map(|(k, v)| (k.to_string(), json!(median(v)))).collect();
    json!({
        "loadSeconds": secs(load),
        "loadBreakdownSeconds": breakdown,
        "bodyParseStateSeconds": median(&state_alone),
    })
}

/// `load --snapshot F [--rounds N]`: the load figures of `state` on a snapshot it wrote,
/// without generating the organization again (for comparing builds of the engine), and
/// the time to save the loaded engine again under the same root.
pub fn load(args: &Args) -> Value {
    let reps = args.usize("rounds", 3);
    let path = args.path("snapshot", "org.snapshot");
    let text = std::fs::read_to_string(&path).expect("snapshot");
    let mut e = Engine::load_sealed(&text, &ROOT_KEY, Box::new(SeededRng::new(3))).expect("load_sealed");
    let key_count = e.state().keys.len();
    let versions: usize = e.state().keys.values().map(|k| k.versions.len()).sum();
    // Saving what was loaded, under the same root (what a server restarted from its
    // snapshot does next).
    let mut resave = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        black_box(e.save_sealed(&ROOT_KEY).expect("save_sealed"));
        resave.push(t.elapsed().as_secs_f64());
    }
    drop(e);
    let mut out = time_loads(&text, versions, key_count, reps);
    out["resaveSeconds"] = json!(secs(resave));
    out["keys"] = json!(key_count);
    out["snapshotBytes"] = json!(text.len());
    out["loadBreakdownRounds"] = json!(reps);
    out
}

/// The stages of a version 2 load, in `Engine::load_sealed_into`'s order.
const STAGES: [&str; 5] = ["envelopeParse", "integrityTag", "bodyParse", "unsealKeys", "rebuildIndex"];

/// One timed run of the load's stages on the snapshot `text` (seconds per stage, in
/// [`STAGES`]' order), and the time to parse the body's state alone.
fn load_stages(text: &str, versions: usize) -> ([f64; STAGES.len()], f64) {
    let root = AesKey::from_bytes(&ROOT_KEY).expect("root");
    // The envelope: the body borrowed as raw text (scanned, not parsed into values).
    let t = Instant::now();
    let env: Envelope = serde_json::from_str(text).expect("envelope");
    let nonce: [u8; 12] = b64_decode("nonce", &env.nonce).expect("nonce").try_into().expect("12 bytes");
    let tag = b64_decode("tag", &env.tag).expect("tag");
    let t_envelope = t.elapsed().as_secs_f64();
    assert_eq!((env.format.as_str(), env.version), ("kms-share-snapshot", 2));
    let body_text = env.body.get();
    // The integrity check: the tag opens to the version label, with the body's bytes as
    // authenticated data, in place.
    let t = Instant::now();
    let label = root.open(&nonce, body_text.as_bytes(), &tag).expect("integrity tag");
    let t_tag = t.elapsed().as_secs_f64();
    assert_eq!(label, TAG_LABEL_V2);
    // The body: the state (every id validated) and the sealed-keys map.
    let t = Instant::now();
    let (mut state, sealed_keys, hardware_keys) = read_body_parts(body_text).expect("body");
    let t_body = t.elapsed().as_secs_f64();
    assert_eq!(sealed_keys.len(), versions);
    assert!(hardware_keys.is_empty());
    // Every key version unsealed into a new software backend.
    let t = Instant::now();
    let mut software = SoftwareBackend::new();
    software.unseal_all(&root, sealed_keys).expect("unseal");
    let t_unseal = t.elapsed().as_secs_f64();
    let t = Instant::now();
    state.rebuild_index();
    let t_index = t.elapsed().as_secs_f64();
    black_box(&software);
    drop((state, software));
    // Of the body's parse, the state's share alone (the rest is the sealed-keys map).
    let state_raw = serde_json::from_str::<BodyRaw>(body_text).expect("body members").state;
    let t = Instant::now();
    let parsed = State::from_text(state_raw.get()).expect("state");
    let t_state = t.elapsed().as_secs_f64();
    drop(parsed);
    ([t_envelope, t_tag, t_body, t_unseal, t_index], t_state)
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
    let path = args.path("snapshot", "org.snapshot");
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
    let path = args.path("export", "org.policy.json");
    let (_, base) = stats::rss();
    let text = std::fs::read_to_string(&path).expect("export");
    let bytes = text.len();
    let state = State::from_text(&text).expect("state");
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
