//! Part 4 of the issue: a 64-byte `kms:Encrypt` through the whole engine (decision, blob,
//! AES-256-GCM, audit event) next to a bare AES-256-GCM seal of the same 64 bytes with
//! `ring`; bulk AES-256-GCM throughput at 4 KiB and 1 MiB: the core's `AesKey`
//! (RustCrypto aes-gcm 0.11), graviola and ring, interleaved round by round, with the two
//! passes aes-gcm makes over the buffer (AES-256 counter mode, then GHASH) timed apart in
//! the same rounds, to say which of them the bulk figure waits on, and the two primitives
//! under those passes (`aes` on the buffer's blocks, `polyval`), whose times added bound
//! what any seal composed of them can do. graviola
//! needs AES-NI, PCLMULQDQ, AVX2, BMI1 and ADX (it panics without them): on a CPU that
//! lacks one its rows are left out.

use std::hint::black_box;
use std::time::Instant;

use kms_share_core::audit::{AuditLog, NewEvent};
use kms_share_core::crypto::{AesKey, OsRng, RandomSource, SeededRng};
use kms_share_core::engine::Call;
use kms_share_core::ids::Identity;
use kms_share_core::matrix::ResourceKind;
use kms_share_core::policy::Context;
use kms_share_server::tape::Tape;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use serde_json::{json, Value};

use crate::org;
use crate::stats::Summary;
use crate::{log, Args};

const KEY: [u8; 32] = [7u8; 32];
const NONCE: [u8; 12] = [3u8; 12];
const AAD: [u8; 32] = [0u8; 32];

/// Time several closures in interleaved rounds (each runs `ops` operations per call).
fn interleave(rounds: usize, ops: usize, fs: &mut [&mut dyn FnMut()]) -> Vec<Summary> {
    for f in fs.iter_mut() {
        f();
    }
    let mut samples = vec![Vec::new(); fs.len()];
    for _ in 0..rounds {
        for (i, f) in fs.iter_mut().enumerate() {
            let t = Instant::now();
            f();
            samples[i].push(t.elapsed().as_nanos() as f64 / ops as f64);
        }
    }
    samples.into_iter().map(|v| Summary::from_samples(v, ops)).collect()
}

fn ratios(a: &Summary, b: &Summary) -> f64 {
    a.median / b.median
}

/// The engine of part 4's 64-byte Encrypt: a 1,000-account organization, the first key
/// whose creator's `app` user may encrypt with it, and the call (made once).
struct EncryptSetup {
    engine: kms_share_core::engine::Engine,
    caller: Identity,
    key: String,
    call: Call,
}

fn encrypt_setup() -> EncryptSetup {
    let o = org::generate(1_000, 10);
    let ctx = Context::default();
    let mut engine = o.engine;
    let (caller, key) = o
        .resources
        .iter()
        .filter(|r| r.kind == ResourceKind::Key)
        .find_map(|r| {
            let id = Identity::parse(&format!("acs:ram::{}:user/app", org::acct_str(r.creator))).ok()?;
            let d = engine.explain(&id, "kms:Encrypt", &r.name, None, &ctx).ok()?;
            d.allowed().then(|| (id, r.name.clone()))
        })
        .expect("an allowed Encrypt");
    let call = Call {
        caller: caller.clone(),
        action: "kms:Encrypt".into(),
        params: json!({"KeyId": key, "Plaintext": "a".repeat(64)}),
        at: org::AT + 10,
        dialect: Default::default(),
    };
    engine.execute(&call).expect("encrypt");
    // Randomness as `kms-share serve` draws it (the generator's seeded source made the
    // organization's ids reproducible).
    engine.set_random_source(Box::new(Tape::default()));
    EncryptSetup { engine, caller, key, call }
}

/// One round of `ops` Encrypt calls; `calls` counts them across rounds. The audit trail is
/// not what is measured: it is emptied every 50,000 calls, so that it does not grow.
fn encrypt_round(engine: &mut kms_share_core::engine::Engine, call: &Call, calls: &mut usize, ops: usize) {
    for _ in 0..ops {
        *calls += 1;
        if calls.is_multiple_of(50_000) {
            engine.state_mut().audit = Default::default();
        }
        black_box(engine.execute(call).expect("encrypt"));
    }
}

/// `encrypt-loop (--seconds S | --rounds R)`: part 4's 64-byte Encrypt through the engine
/// as `kms-share serve` runs it (its random source too), and nothing else, in rounds of
/// 2,000 calls as part 4 makes them: a process to hand to `perf record`.
pub fn encrypt_loop(args: &Args) -> Value {
    const OPS: usize = 2_000;
    let seconds = args.usize("seconds", 10) as f64;
    let rounds = args.0.contains_key("rounds").then(|| args.usize("rounds", 0));
    let EncryptSetup { mut engine, call, .. } = encrypt_setup();
    engine.explain_allowed(false);
    let started = Instant::now();
    let (mut samples, mut calls) = (Vec::new(), 0usize);
    while rounds.map_or(started.elapsed().as_secs_f64() < seconds, |r| samples.len() < r) {
        let t = Instant::now();
        encrypt_round(&mut engine, &call, &mut calls, OPS);
        samples.push(t.elapsed().as_nanos() as f64 / OPS as f64);
    }
    if samples.is_empty() {
        return json!({"rounds": 0});
    }
    let s = Summary::from_samples(samples, OPS);
    log(format!("encrypt-loop: median {:.0} ns per call over {calls} calls", s.median));
    json!({"ns": s})
}

pub fn run(args: &Args) -> Value {
    let rounds = args.usize("rounds", 30);
    let bulk_only = args.str("bulk-only", "no") == "yes";
    let ring_key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &KEY).expect("ring key"));
    let core_key = AesKey::from_bytes(&KEY).expect("core key");
    let ring_seal = |pt: &[u8]| {
        let mut buf = pt.to_vec();
        ring_key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(NONCE), Aad::from(&AAD), &mut buf)
            .expect("ring seal");
        buf
    };
    let fast = graviola_runs();
    let graviola_key = graviola::aead::AesGcm::new(&KEY);
    let graviola_seal = |pt: &[u8]| {
        let mut buf = Vec::with_capacity(pt.len() + 16);
        buf.extend_from_slice(pt);
        if fast {
            let mut tag = [0u8; 16];
            graviola_key.encrypt(&NONCE, &AAD, &mut buf, &mut tag);
            buf.extend_from_slice(&tag);
        }
        buf
    };
    // Same ciphertext from all three (they are the same algorithm).
    let probe = vec![0x61u8; 100];
    let c = core_key.seal(&NONCE, &AAD, &probe).expect("seal");
    assert_eq!(c, ring_seal(&probe));
    if fast {
        assert_eq!(c, graviola_seal(&probe));
    }

    // 1. kms:Encrypt of 64 bytes through the engine (left out with `--bulk-only yes`: the
    // run of this part built for the host's CPU, which only compares the AES figures).
    let encrypt64 = if bulk_only {
        Value::Null
    } else {
        log("crypto: engine Encrypt vs ring");
        let ctx = Context::default();
        let EncryptSetup { mut engine, caller, key, call } = encrypt_setup();
        // The decision of the same call, on a copy of the engine (execute needs it mutably).
        let reader = engine.fork();
        // Of record: the engine as `kms-share serve` runs it, which never shows an allowed
        // call's explanation; beside it, the default engine, which builds it for the reply.
        let mut explained = engine.fork();
        // (A fork draws from a seeded source of its own.)
        explained.set_random_source(Box::new(Tape::default()));
        engine.explain_allowed(false);
        const OPS: usize = 2_000;
        let pt64 = vec![b'a'; 64];
        let (mut n, mut m) = (0usize, 0usize);
        let mut audit = AuditLog::default();
        let mut audit_n = 0usize;
        let summaries = interleave(
            rounds,
            OPS,
            &mut [
                &mut || encrypt_round(&mut engine, &call, &mut n, OPS),
                &mut || encrypt_round(&mut explained, &call, &mut m, OPS),
                &mut || {
                    for _ in 0..OPS {
                        black_box(reader.denied_by(&caller, "kms:Encrypt", &key, None, &ctx).expect("denied_by"));
                    }
                },
                &mut || {
                    for _ in 0..OPS {
                        black_box(ring_seal(black_box(&pt64)));
                    }
                },
                &mut || {
                    for _ in 0..OPS {
                        black_box(core_key.seal(&NONCE, &AAD, black_box(&pt64)).expect("seal"));
                    }
                },
                &mut || {
                    for _ in 0..OPS {
                        black_box(graviola_seal(black_box(&pt64)));
                    }
                },
                &mut || {
                    for _ in 0..OPS {
                        black_box(reader.explain(&caller, "kms:Encrypt", &key, None, &ctx).expect("explain"));
                    }
                },
                &mut || {
                    for _ in 0..OPS {
                        audit_n += 1;
                        if audit_n.is_multiple_of(50_000) {
                            audit = AuditLog::default();
                        }
                        // The texts an engine's call makes for its event: the caller's and the
                        // resource's (the others are ids it holds).
                        let (caller_text, resource) =
                            (caller.to_string(), format!("acs:kms:cn-hangzhou:{}:key/{key}", caller.account));
                        black_box(audit.append(NewEvent {
                            request_id: "0123456789abcdef",
                            time: org::AT,
                            caller: &caller_text,
                            account: caller.account.as_str(),
                            action: "kms:Encrypt",
                            resource: &resource,
                            instance: Some("kst-1"),
                            instance_owner: Some("1000000000000001"),
                            outcome: "Success",
                        }));
                    }
                },
            ],
        );
        let [engine_t, explained_t, effect_t, ring_t, core_t, graviola_t, explain_t, audit_t] =
            <[Summary; 8]>::try_from(summaries).expect("eight");
        // Inside the audit event: its SHA-256; and hex by one `format!` per byte (as
        // `audit::event_hash` once wrote the digest) against the core's `crypto::hex`.
        let digest = kms_share_core::crypto::sha256(b"an event");
        let event = vec![b'e'; 320];
        // The random bytes of one Encrypt (its request id, its nonce), from the operating
        // system a call at a time, from the server's source, and from the seeded source
        // the generated engine was made with.
        let (mut os, mut tape, mut seeded) = (OsRng, Tape::default(), SeededRng::new(1));
        let draw = |r: &mut dyn RandomSource| {
            let (mut id, mut nonce) = ([0u8; 8], [0u8; 12]);
            r.fill(&mut id).expect("random");
            r.fill(&mut nonce).expect("random");
            black_box((id, nonce));
        };
        let random = interleave(
            rounds,
            OPS,
            &mut [
                &mut || (0..OPS).for_each(|_| draw(&mut os)),
                &mut || (0..OPS).for_each(|_| draw(&mut tape)),
                &mut || (0..OPS).for_each(|_| draw(&mut seeded)),
            ],
        );
        let parts = interleave(
            rounds,
            OPS,
            &mut [
                &mut || {
                    for _ in 0..OPS {
                        let mut out = String::with_capacity(64);
                        for b in black_box(&digest).iter() {
                            out.push_str(&format!("{b:02x}"));
                        }
                        black_box(out);
                    }
                },
                &mut || {
                    for _ in 0..OPS {
                        black_box(kms_share_core::crypto::hex(black_box(&digest)));
                    }
                },
                &mut || {
                    for _ in 0..OPS {
                        black_box(kms_share_core::crypto::sha256(black_box(&event)));
                    }
                },
            ],
        );
        json!({
            "engineEncrypt": engine_t,
            "engineEncryptExplained": explained_t,
            "engineDeniedBySameCall": effect_t,
            "ringSeal": ring_t,
            "coreAesKeySeal": core_t,
            "graviolaSeal": fast.then_some(graviola_t),
            "engineExplainSameCall": explain_t,
            "auditAppend": audit_t,
            "auditParts": {"hexFormatPerByte": parts[0], "hexCoreHex": parts[1], "sha256Event": parts[2]},
            "randomOfOneCall": {"osRng": random[0], "serverTape": random[1], "seededRng": random[2]},
            "ratioEngineOverRing": ratios(&engine_t, &ring_t),
            "ratioEngineOverCoreSeal": ratios(&engine_t, &core_t),
            "ratioCoreSealOverRing": ratios(&core_t, &ring_t),
            "call": {"caller": caller.to_string(), "key": key, "plaintextBytes": 64},
        })
    };

    // 2. Bulk throughput, and aes-gcm's two passes: counter mode (as aes-gcm runs it,
    // a 32-bit big-endian counter, over a copy of the buffer as a seal writes one) and
    // GHASH of the result (GHASH's time does not depend on the bytes).
    use aes::cipher::{KeyIvInit, StreamCipher};
    use ghash::universal_hash::{KeyInit, UniversalHash};
    // The counter blocks: the nonce, then a 32-bit big-endian counter (J0 is 1).
    let counter_block = |n: u8| {
        let mut block = [0u8; 16];
        block[..12].copy_from_slice(&NONCE);
        block[15] = n;
        block
    };
    let iv = counter_block(2);
    let ctr_pass = |pt: &[u8]| {
        let mut buf = pt.to_vec();
        let mut c = ctr::Ctr32BE::<aes::Aes256>::new_from_slices(&KEY, &iv).expect("ctr key");
        c.apply_keystream(&mut buf);
        buf
    };
    // H, the GHASH key aes-gcm derives: AES-256 of the zero block.
    let ghash_key = {
        use aes::cipher::{BlockCipherEncrypt, KeyInit as _};
        let mut h = aes::Block::default();
        aes::Aes256::new_from_slice(&KEY).expect("aes key").encrypt_block(&mut h);
        h
    };
    let ghash_pass = |ct: &[u8]| {
        let mut g = ghash::GHash::new_from_slice(&ghash_key).expect("ghash key");
        g.update_padded(ct);
        g.finalize()
    };
    // The primitives under the two passes, alone: AES-256 on the buffer's blocks (what
    // counter mode does less the counters and the XOR) and POLYVAL (what GHASH does less
    // reversing each block's bytes, RFC 8452 appendix A), each called once on the whole
    // buffer. No seal made of these two, one after the other, can beat their times added.
    // The blocks are encrypted in place in a buffer made once per size (the seals and the
    // counter pass time a fresh buffer as a seal fills one; the bound leaves that out).
    let block_cipher = {
        use aes::cipher::KeyInit as _;
        aes::Aes256::new_from_slice(&KEY).expect("aes key")
    };
    let blocks_pass = |buf: &mut [u8]| {
        use aes::cipher::BlockCipherEncrypt;
        let (blocks, _) = buf.as_chunks_mut::<16>();
        block_cipher.encrypt_blocks(aes::cipher::array::Array::cast_slice_from_core_mut(blocks));
    };
    let polyval_pass = |ct: &[u8]| {
        use polyval::universal_hash::{KeyInit as _, UniversalHash};
        let mut g = polyval::Polyval::new_from_slice(&ghash_key).expect("polyval key");
        g.update_padded(ct);
        g.finalize()
    };
    // The two passes are the seal's own: its ciphertext is the counter pass of the probe,
    // and its tag is E(K, J0) xor the GHASH of the data and ciphertext with their lengths.
    {
        let (ct, tag) = c.split_at(probe.len());
        assert_eq!(ctr_pass(&probe), ct);
        let mut g = ghash::GHash::new_from_slice(&ghash_key).expect("ghash key");
        g.update_padded(&AAD);
        g.update_padded(ct);
        let mut lens = [0u8; 16];
        lens[..8].copy_from_slice(&((AAD.len() as u64) * 8).to_be_bytes());
        lens[8..].copy_from_slice(&((ct.len() as u64) * 8).to_be_bytes());
        g.update_padded(&lens);
        let mut ek = ctr::Ctr32BE::<aes::Aes256>::new_from_slices(&KEY, &counter_block(1)).expect("ctr key");
        let mut expected = g.finalize().to_vec();
        ek.apply_keystream(&mut expected);
        assert_eq!(expected, tag, "GHASH and counter mode as timed give the seal's tag");
    }
    let mut bulk = Vec::new();
    for (size, ops) in [(4096usize, 2_000usize), (1 << 20, 16)] {
        log(format!("crypto: bulk {size} bytes"));
        let pt = vec![0x5au8; size];
        let mut in_place = pt.clone();
        let s = interleave(
            rounds.min(20),
            ops,
            &mut [
                &mut || {
                    for _ in 0..ops {
                        black_box(core_key.seal(&NONCE, &AAD, black_box(&pt)).expect("seal"));
                    }
                },
                &mut || {
                    for _ in 0..ops {
                        black_box(graviola_seal(black_box(&pt)));
                    }
                },
                &mut || {
                    for _ in 0..ops {
                        black_box(ring_seal(black_box(&pt)));
                    }
                },
                &mut || {
                    for _ in 0..ops {
                        black_box(ctr_pass(black_box(&pt)));
                    }
                },
                &mut || {
                    for _ in 0..ops {
                        black_box(ghash_pass(black_box(&pt)));
                    }
                },
                &mut || {
                    for _ in 0..ops {
                        blocks_pass(black_box(&mut in_place));
                        black_box(&in_place);
                    }
                },
                &mut || {
                    for _ in 0..ops {
                        black_box(polyval_pass(black_box(&pt)));
                    }
                },
            ],
        );
        // ns per op -> GB/s (1e9 bytes per second).
        let gbps = |x: &Summary| x.map(|ns| size as f64 / ns);
        bulk.push(json!({
            "bytes": size,
            "nsPerOp": {"core": s[0], "graviola": fast.then_some(&s[1]), "ring": s[2],
                        "coreCtrPass": s[3], "coreGhashPass": s[4], "aesBlocks": s[5], "polyval": s[6]},
            "gbPerSecond": {"core": gbps(&s[0]), "graviola": fast.then(|| gbps(&s[1])), "ring": gbps(&s[2]),
                            "coreCtrPass": gbps(&s[3]), "coreGhashPass": gbps(&s[4]),
                            "aesBlocks": gbps(&s[5]), "polyval": gbps(&s[6])},
            "ratioRingOverCore": s[0].median / s[2].median,
            "ratioGraviolaOverCore": fast.then(|| s[0].median / s[1].median),
        }));
    }
    json!({
        "encrypt64": encrypt64,
        "bulk": bulk,
        "sizes": {
            "coreAesKey": std::mem::size_of::<AesKey>(),
            "coreExpandedCipher": std::mem::size_of::<aes_gcm::Aes256Gcm>(),
            "ringLessSafeKey": std::mem::size_of::<LessSafeKey>(),
        },
        "cpuFlags": cpu_flags(),
        "graviolaMeasured": fast,
    })
}

/// Whether this CPU has what graviola's AES-GCM requires (it panics otherwise).
fn graviola_runs() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("aes")
            && std::is_x86_feature_detected!("pclmulqdq")
            && std::is_x86_feature_detected!("avx")
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("adx")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The AES-related CPU flags of this machine.
pub fn cpu_flags() -> Vec<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags = info.lines().find(|l| l.starts_with("flags")).unwrap_or("");
    let wanted = ["aes", "pclmulqdq", "vaes", "vpclmulqdq", "avx2", "avx512f", "sha_ni"];
    wanted.iter().filter(|w| flags.split_whitespace().any(|f| f == **w)).map(|w| w.to_string()).collect()
}
