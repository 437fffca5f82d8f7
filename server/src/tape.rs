//! The randomness the engine draws, recorded per call so that replaying the durable log
//! reproduces every id, key and nonce exactly.
//!
//! The engine is deterministic given its state, the call, the call's time and the random
//! bytes it draws. The durable log (see [`crate::store`]) therefore keeps, for each call,
//! the bytes drawn while it ran (sealed with the root key: they are key material); on
//! restart the same bytes are fed back in the same order.
//!
//! Fresh bytes come from the operating system a block at a time ([`OsBlock`]): a call
//! such as Encrypt draws twice (its request id, its nonce), and one `getrandom` system
//! call per draw cost about 0.4 µs in this project's virtual machines, a quarter of what
//! the engine spends on the rest of a 64-byte Encrypt.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use kms_share_core::crypto::{OsRng, RandomSource};
use kms_share_core::error::{Error, ErrorCode};
use zeroize::Zeroize;

/// Bytes drawn from the operating system at once by [`OsBlock`].
pub const BLOCK: usize = 1024;

/// The operating system's random bytes, drawn [`BLOCK`] at a time and handed out in
/// order; each byte is wiped from the block as it is handed out (they become keys and
/// nonces), and the rest when the block is dropped. A process that forked would hand the
/// same block out twice: `kms-share serve` never forks, and only it uses this (its [`Tape`]
/// and its responses' request ids).
pub struct OsBlock {
    bytes: Box<[u8; BLOCK]>,
    /// Where the bytes not yet handed out start (`BLOCK`: none left).
    next: usize,
}

impl Default for OsBlock {
    fn default() -> Self {
        OsBlock { bytes: Box::new([0; BLOCK]), next: BLOCK }
    }
}

impl std::fmt::Debug for OsBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsBlock").field("left", &(BLOCK - self.next)).finish()
    }
}

impl Drop for OsBlock {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl RandomSource for OsBlock {
    fn fill(&mut self, buf: &mut [u8]) -> kms_share_core::error::Result<()> {
        let mut out = buf;
        while !out.is_empty() {
            if self.next >= BLOCK {
                OsRng.fill(&mut self.bytes[..])?;
                self.next = 0;
            }
            let n = out.len().min(BLOCK - self.next);
            let (head, tail) = out.split_at_mut(n);
            let end = self.next + n;
            if let Some(from) = self.bytes.get_mut(self.next..end) {
                head.copy_from_slice(from);
                from.zeroize();
            }
            self.next = end;
            out = tail;
        }
        Ok(())
    }
}

#[derive(Default)]
enum Mode {
    /// Straight from the operating system, nothing kept (snapshots, start-up).
    #[default]
    Live,
    /// From the operating system, and kept.
    Record(Vec<u8>),
    /// From a log entry; running out is a failed replay, never fresh randomness.
    Replay(VecDeque<u8>),
}

/// The mode without the bytes it keeps or replays: they become keys and nonces.
impl std::fmt::Debug for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mode::Live => f.write_str("Live"),
            Mode::Record(kept) => write!(f, "Record({} bytes)", kept.len()),
            Mode::Replay(rest) => write!(f, "Replay({} bytes left)", rest.len()),
        }
    }
}

/// A [`RandomSource`] shared between the engine and the service; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Tape {
    inner: Arc<Mutex<(Mode, OsBlock)>>,
}

impl Tape {
    fn with<R>(&self, f: impl FnOnce(&mut Mode) -> R) -> R {
        self.with_os(|m, _| f(m))
    }

    fn with_os<R>(&self, f: impl FnOnce(&mut Mode, &mut OsBlock) -> R) -> R {
        let mut guard = match self.inner.lock() {
            Ok(g) => g,
            // A panic while holding the lock left a mode behind: it is still a mode.
            Err(poisoned) => poisoned.into_inner(),
        };
        let (mode, os) = &mut *guard;
        f(mode, os)
    }

    /// Start keeping what is drawn.
    pub fn record(&self) {
        self.with(|m| *m = Mode::Record(Vec::new()));
    }

    /// Stop keeping and hand over what was drawn since [`Tape::record`].
    pub fn take(&self) -> Vec<u8> {
        self.with(|m| match std::mem::take(m) {
            Mode::Record(v) => v,
            _ => Vec::new(),
        })
    }

    /// Feed `bytes` back, in order, until [`Tape::finish_replay`].
    pub fn replay(&self, bytes: Vec<u8>) {
        self.with(|m| *m = Mode::Replay(bytes.into()));
    }

    /// Back to live randomness; `Err` with the count of bytes the replayed call did not
    /// draw (a log entry that does not match the engine replaying it).
    pub fn finish_replay(&self) -> Result<(), usize> {
        self.with(|m| match std::mem::take(m) {
            Mode::Replay(rest) if !rest.is_empty() => Err(rest.len()),
            _ => Ok(()),
        })
    }
}

impl RandomSource for Tape {
    fn fill(&mut self, buf: &mut [u8]) -> kms_share_core::error::Result<()> {
        self.with_os(|m, os| match m {
            Mode::Live => os.fill(buf),
            Mode::Record(kept) => {
                os.fill(buf)?;
                kept.extend_from_slice(buf);
                Ok(())
            }
            Mode::Replay(rest) => {
                if rest.len() < buf.len() {
                    return Err(Error::new(
                        ErrorCode::InternalError,
                        None,
                        "a replayed call drew more randomness than it drew when it was made: the log does not match this engine",
                    ));
                }
                for b in buf.iter_mut() {
                    *b = rest.pop_front().unwrap_or(0);
                }
                Ok(())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_names_no_drawn_byte() {
        let mut t = Tape::default();
        t.record();
        let mut key = [0u8; 32];
        t.fill(&mut key).unwrap();
        let shown = format!("{t:?}");
        assert!(shown.contains("Record(32 bytes)") && shown.contains("left: 992"), "{shown}");
        assert!(!shown.contains(&format!("{}, {}", key[0], key[1])), "{shown}");
        t.replay(key.to_vec());
        assert!(format!("{t:?}").contains("Replay(32 bytes left)"));
    }

    #[test]
    fn os_block_hands_out_fresh_bytes_across_blocks_and_wipes_them() {
        let mut os = OsBlock::default();
        let mut a = vec![0u8; BLOCK - 24];
        os.fill(&mut a).unwrap();
        assert_eq!(os.next, BLOCK - 24);
        assert!(os.bytes[..os.next].iter().all(|b| *b == 0), "what was handed out is wiped");
        assert!(os.bytes[os.next..].iter().any(|b| *b != 0), "the rest waits its turn");
        // 24 bytes left in this block, 16 from the next.
        let mut b = [0u8; 40];
        os.fill(&mut b).unwrap();
        assert_eq!(os.next, 16);
        assert!(os.bytes[..16].iter().all(|b| *b == 0));
        let (mut c, mut d) = ([0u8; 32], [0u8; 32]);
        os.fill(&mut c).unwrap();
        os.fill(&mut d).unwrap();
        assert_ne!(c, d);
        assert_ne!(c, [0u8; 32]);
        // More than a block at once.
        let mut big = vec![0u8; 3 * BLOCK + 5];
        os.fill(&mut big).unwrap();
        assert!(big[..BLOCK].iter().any(|b| *b != 0) && big[2 * BLOCK..].iter().any(|b| *b != 0));
        assert_eq!(os.next, 16 + 64 + 3 * BLOCK + 5 - 3 * BLOCK);
    }

    #[test]
    fn what_was_recorded_comes_back_in_order_and_no_more() {
        let mut t = Tape::default();
        t.record();
        let mut a = [0u8; 16];
        let mut b = [0u8; 8];
        t.fill(&mut a).unwrap();
        t.fill(&mut b).unwrap();
        let kept = t.take();
        assert_eq!(kept.len(), 24);
        t.replay(kept);
        let (mut a2, mut b2) = ([0u8; 16], [0u8; 8]);
        t.fill(&mut a2).unwrap();
        t.fill(&mut b2).unwrap();
        assert_eq!((a, b), (a2, b2));
        assert!(t.fill(&mut [0u8; 1]).is_err(), "past the tape's end is an error, not fresh bytes");
        assert_eq!(t.finish_replay(), Ok(()));
        t.replay(vec![1, 2, 3]);
        assert_eq!(t.finish_replay(), Err(3));
    }
}
