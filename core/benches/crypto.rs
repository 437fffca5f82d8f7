//! The `crypto` bench: `kms:Encrypt` through the whole engine (decision, blob,
//! AES-256-GCM, audit event) on 64 bytes and 4 KiB, next to a bare AES-256-GCM seal
//! of the same data with the core's `AesKey`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kms_share_core::api::Organization;
use kms_share_core::crypto::{AesKey, SeededRng};
use kms_share_core::engine::Call;
use kms_share_core::ids::Identity;
use serde_json::json;

const SCENARIO: &str = include_str!("../../tests/scenarios/01-dept-a-shares-with-dept-b.json");

fn bench(c: &mut Criterion) {
    let (org, res) = Organization::from_scenario(SCENARIO, Box::new(SeededRng::new(1))).unwrap();
    assert!(res.passed);
    // Take the engine out of the facade to call execute directly.
    let snap = {
        let mut o = org;
        o.save_sealed(&[1u8; 32]).unwrap()
    };
    let mut engine = kms_share_core::Engine::load_sealed(&snap, &[1u8; 32], Box::new(SeededRng::new(2))).unwrap();
    let alice = Identity::parse("acs:ram::1000000000000003:user/alice").unwrap();
    let key = AesKey::from_bytes(&[7u8; 32]).unwrap();
    let nonce = [3u8; 12];
    let aad = [0u8; 32];
    let mut g = c.benchmark_group("encrypt");
    for size in [64usize, 4096] {
        let text = "a".repeat(size);
        let call = Call {
            caller: alice.clone(),
            action: "kms:Encrypt".into(),
            params: json!({"KeyId": "key-b1", "Plaintext": text}),
            at: 1_767_225_700,
            dialect: Default::default(),
        };
        g.throughput(Throughput::Bytes(size as u64));
        let mut n = 0u64;
        g.bench_with_input(BenchmarkId::new("engine kms:Encrypt", size), &call, |b, call| {
            b.iter(|| {
                n += 1;
                if n % 50_000 == 0 {
                    // Keep the audit trail from growing without bound during the bench.
                    engine.state_mut().audit = Default::default();
                }
                black_box(engine.execute(call).unwrap())
            })
        });
        let pt = vec![b'a'; size];
        g.bench_with_input(BenchmarkId::new("bare AES-256-GCM seal", size), &pt, |b, pt| {
            b.iter(|| black_box(key.seal(&nonce, &aad, pt).unwrap()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
