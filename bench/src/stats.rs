//! Timing helpers: repeated rounds, medians with spread, a small deterministic PRNG.

use std::time::Instant;

use serde::Serialize;

/// A distribution of per-operation times (ns) over rounds: the median with its spread.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Median over rounds of the mean time of one operation in a round.
    pub median: f64,
    /// 25th percentile over rounds.
    pub p25: f64,
    /// 75th percentile over rounds.
    pub p75: f64,
    /// Fastest round.
    pub min: f64,
    /// Slowest round.
    pub max: f64,
    /// Rounds.
    pub rounds: usize,
    /// Operations per round.
    pub ops_per_round: usize,
}

impl Summary {
    pub fn from_samples(mut v: Vec<f64>, ops_per_round: usize) -> Summary {
        assert!(!v.is_empty(), "no samples");
        v.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let idx = p * (v.len() - 1) as f64;
            let lo = idx.floor() as usize;
            let hi = idx.ceil() as usize;
            v[lo] + (v[hi] - v[lo]) * (idx - lo as f64)
        };
        Summary {
            median: q(0.5),
            p25: q(0.25),
            p75: q(0.75),
            min: v[0],
            max: v[v.len() - 1],
            rounds: v.len(),
            ops_per_round,
        }
    }

    /// Scale every figure (e.g. ns -> bytes/s conversions are done by the caller).
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Summary {
        let (a, b) = (f(self.min), f(self.max));
        Summary {
            median: f(self.median),
            p25: f(self.p25).min(f(self.p75)),
            p75: f(self.p25).max(f(self.p75)),
            min: a.min(b),
            max: a.max(b),
            rounds: self.rounds,
            ops_per_round: self.ops_per_round,
        }
    }
}

/// Time `f` (which performs `ops` operations) `rounds` times after one warm-up call;
/// per-operation ns per round.
pub fn rounds(rounds: usize, ops: usize, mut f: impl FnMut()) -> Summary {
    f();
    let mut v = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        f();
        v.push(t.elapsed().as_nanos() as f64 / ops as f64);
    }
    Summary::from_samples(v, ops)
}

/// Time two functions alternately (A, B, A, B, ...) so that both see the same machine
/// load; returns the two summaries and the per-round ratios B/A.
pub fn interleaved(
    rounds: usize,
    ops: usize,
    mut a: impl FnMut(usize),
    mut b: impl FnMut(usize),
) -> (Summary, Summary, Summary) {
    a(0);
    b(0);
    let (mut va, mut vb, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..rounds {
        let t = Instant::now();
        a(r);
        let ta = t.elapsed().as_nanos() as f64 / ops as f64;
        let t = Instant::now();
        b(r);
        let tb = t.elapsed().as_nanos() as f64 / ops as f64;
        va.push(ta);
        vb.push(tb);
        ratio.push(tb / ta);
    }
    (Summary::from_samples(va, ops), Summary::from_samples(vb, ops), Summary::from_samples(ratio, 1))
}

/// SplitMix64: small, fast, deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// Pick by integer weights.
    pub fn weighted<T: Copy>(&mut self, items: &[(u32, T)]) -> T {
        let total: u32 = items.iter().map(|(w, _)| *w).sum();
        let mut x = self.below(total as usize) as u32;
        for (w, t) in items {
            if x < *w {
                return *t;
            }
            x -= *w;
        }
        items[items.len() - 1].1
    }
}

/// Peak and current resident set size of this process, in bytes (Linux /proc).
pub fn rss() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}
