//! The randomness the engine draws, recorded per call so that replaying the durable log
//! reproduces every id, key and nonce exactly.
//!
//! The engine is deterministic given its state, the call, the call's time and the random
//! bytes it draws. The durable log (see [`crate::store`]) therefore keeps, for each call,
//! the bytes drawn while it ran (sealed with the root key: they are key material); on
//! restart the same bytes are fed back in the same order.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use kms_share_core::crypto::{OsRng, RandomSource};
use kms_share_core::error::{Error, ErrorCode};

#[derive(Debug, Default)]
enum Mode {
    /// Straight from the operating system, nothing kept (snapshots, start-up).
    #[default]
    Live,
    /// From the operating system, and kept.
    Record(Vec<u8>),
    /// From a log entry; running out is a failed replay, never fresh randomness.
    Replay(VecDeque<u8>),
}

/// A [`RandomSource`] shared between the engine and the service; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Tape {
    mode: Arc<Mutex<Mode>>,
}

impl Tape {
    fn with<R>(&self, f: impl FnOnce(&mut Mode) -> R) -> R {
        let mut guard = match self.mode.lock() {
            Ok(g) => g,
            // A panic while holding the lock left a mode behind: it is still a mode.
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
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
        self.with(|m| match m {
            Mode::Live => OsRng.fill(buf),
            Mode::Record(kept) => {
                OsRng.fill(buf)?;
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
