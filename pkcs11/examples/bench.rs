//! Encrypt and decrypt throughput of the PKCS#11 backend next to the software backend,
//! on 64-byte messages with the engine's authenticated data, measured in one run.
//!
//! ```sh
//! make bench-pkcs11        # SoftHSM2, set up and torn down by pkcs11/scripts/with-softhsm.sh
//! ```
//!
//! or, against any configured token (a test token: the bench creates and destroys a key),
//! `cargo run --release -p kms-share-pkcs11 --example bench` with `KMS_SHARE_PKCS11_*` set.
//! Each figure is the median of 5 rounds of about 0.5 s each; rounds alternate between
//! the backends so machine noise hits both alike. The ratio is the figure to compare.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use kms_share_core::crypto::{blob, OsRng};
use kms_share_core::keystore::{KeyBackend, SoftwareBackend};
use kms_share_pkcs11::Pkcs11Backend;

const ROUNDS: usize = 5;
const ROUND: Duration = Duration::from_millis(500);
const MESSAGE: [u8; 64] = [0x61; 64];

fn main() {
    let Some(mut token) = Pkcs11Backend::from_env().unwrap() else {
        eprintln!("bench: no PKCS#11 module configured (KMS_SHARE_PKCS11_MODULE); run `make bench-pkcs11`");
        std::process::exit(2);
    };
    let mut software = SoftwareBackend::new();
    let sw = software.generate("key-bench/v1", &mut OsRng).unwrap();
    let hw = token.generate("key-bench/v1", &mut OsRng).unwrap();
    let aad = blob::aad("key-bench", 1, &[("app".to_string(), "bench".to_string())].into_iter().collect());
    println!("64-byte plaintext, {}-byte AAD; median of {ROUNDS} rounds of {ROUND:?}", aad.len());

    let mut enc = (Vec::new(), Vec::new());
    let mut dec = (Vec::new(), Vec::new());
    let sw_ct = software.encrypt(&sw, &[1; 12], &aad, &MESSAGE).unwrap();
    let hw_ct = token.encrypt(&hw, &[1; 12], &aad, &MESSAGE).unwrap();
    for _ in 0..ROUNDS {
        enc.0.push(rate(|n| software.encrypt(&sw, &nonce(n), &aad, &MESSAGE).map(drop).unwrap()));
        enc.1.push(rate(|n| token.encrypt(&hw, &nonce(n), &aad, &MESSAGE).map(drop).unwrap()));
        dec.0.push(rate(|_| software.decrypt(&sw, &[1; 12], &aad, &sw_ct).map(drop).unwrap()));
        dec.1.push(rate(|_| token.decrypt(&hw, &[1; 12], &aad, &hw_ct).map(drop).unwrap()));
    }
    report("encrypt", median(enc.0), median(enc.1));
    report("decrypt", median(dec.0), median(dec.1));

    // Two threads on one backend (this machine has two cores): the session pool at work.
    let shared = Arc::new(token.clone());
    let threads = 2;
    let mut parallel = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let counts: Vec<u64> = (0..threads)
            .map(|t| {
                let (b, hw, aad) = (Arc::clone(&shared), hw.clone(), aad.clone());
                thread::spawn(move || {
                    let mut n = 0u64;
                    while start.elapsed() < ROUND {
                        b.encrypt(&hw, &nonce(n << 8 | t), &aad, &MESSAGE).unwrap();
                        n += 1;
                    }
                    n
                })
            })
            .map(|h| h.join().unwrap())
            .collect();
        parallel.push(counts.iter().sum::<u64>() as f64 / start.elapsed().as_secs_f64());
    }
    println!("pkcs11 encrypt, {threads} threads: {:>10.0} ops/s", median(parallel));
    token.destroy(&hw).unwrap();
}

fn nonce(n: u64) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[4..].copy_from_slice(&n.to_be_bytes());
    out
}

/// Operations per second of `op` over one round.
fn rate(mut op: impl FnMut(u64)) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < ROUND {
        for _ in 0..64 {
            op(n);
            n += 1;
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report(what: &str, software: f64, token: f64) {
    println!(
        "{what}: software {software:>10.0} ops/s ({:>6.2} us)  \
         pkcs11 {token:>8.0} ops/s ({:>6.2} us)  software/pkcs11 = {:.0}x",
        1e6 / software,
        1e6 / token,
        software / token
    );
}
