//! A small pool of logged-in read/write sessions, shared by threads.
//!
//! A PKCS#11 session serves one thread at a time, so each operation takes a session out
//! of the pool, uses it without holding any lock, and puts it back: operations on
//! several threads run in parallel on the token, up to `max` sessions, and callers
//! beyond that wait. [`Pool::run`] also recovers from what a long-lived session meets:
//! a login that went away (`CKR_USER_NOT_LOGGED_IN`: log in again and retry), a
//! session the token closed (open a new one and retry), a stale object handle (retry).

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use cryptoki::context::Pkcs11;
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use kms_share_core::{Error, Result};

use crate::config::Pin;
use crate::error::{backend, other};

/// Attempts of one operation: the first, plus one recovery for each of two causes
/// (for example a stale object handle, then a lost login).
const ATTEMPTS: usize = 3;

/// Why one attempt of an operation failed.
#[derive(Debug)]
pub(crate) enum Fail {
    /// A PKCS#11 call failed.
    P11(P11Error),
    /// The object is not in the token.
    Missing,
    /// A cached object handle was stale and has been forgotten: try again.
    Retry,
    /// Already an engine error; not retried.
    Core(Error),
}

impl From<P11Error> for Fail {
    fn from(e: P11Error) -> Self {
        Fail::P11(e)
    }
}

impl Fail {
    /// The engine error for a failure while `doing` something (`Missing` is the
    /// caller's to interpret first).
    pub(crate) fn into_error(self, doing: &str) -> Error {
        match self {
            Fail::P11(e) => backend(doing, &e),
            Fail::Missing => other(format!("{doing}: the token object is missing")),
            Fail::Retry => other(format!("{doing}: the token kept invalidating the object handle")),
            Fail::Core(e) => e,
        }
    }
}

struct State {
    idle: Vec<Session>,
    /// Sessions open, idle or lent out.
    // INVARIANT: idle.len() <= open <= max.
    open: usize,
}

/// The session pool of one backend.
pub(crate) struct Pool {
    ctx: Pkcs11,
    slot: Slot,
    token: String,
    pin: Pin,
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

impl Pool {
    pub(crate) fn new(ctx: Pkcs11, slot: Slot, token: String, pin: Pin, max: usize) -> Self {
        Pool {
            ctx,
            slot,
            token,
            pin,
            max: max.max(1),
            state: Mutex::new(State { idle: Vec::new(), open: 0 }),
            freed: Condvar::new(),
        }
    }

    /// The label of the pool's token.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Sessions open now (idle or in use).
    pub(crate) fn open(&self) -> usize {
        self.lock().open
    }

    /// Run `op` on a pooled session, recovering as the module docs say.
    ///
    /// # Errors
    /// The last failure: a `Fail::P11` the caller maps with the function name, or a
    /// `Fail::Core` for a session that could not be opened or logged in.
    pub(crate) fn run<T>(&self, mut op: impl FnMut(&Session) -> Result<T, Fail>) -> Result<T, Fail> {
        let mut last = Fail::Retry;
        for _ in 0..ATTEMPTS {
            let session = self.acquire().map_err(Fail::Core)?;
            match op(&session) {
                Ok(v) => {
                    self.release(session);
                    return Ok(v);
                }
                Err(Fail::P11(P11Error::Pkcs11(RvError::UserNotLoggedIn, f))) => {
                    // Login state belongs to the application, not the session: logging
                    // this session in logs them all in again.
                    self.login(&session).map_err(Fail::Core)?;
                    self.release(session);
                    last = Fail::P11(P11Error::Pkcs11(RvError::UserNotLoggedIn, f));
                }
                Err(Fail::P11(P11Error::Pkcs11(rv, f))) if session_is_broken(rv) => {
                    self.discard(session);
                    last = Fail::P11(P11Error::Pkcs11(rv, f));
                }
                Err(Fail::Retry) => {
                    self.release(session);
                    last = Fail::Retry;
                }
                Err(other) => {
                    self.release(session);
                    return Err(other);
                }
            }
        }
        Err(last)
    }

    /// Log in as the user; already being logged in (by another session or backend of this
    /// process on the same token) is success.
    fn login(&self, session: &Session) -> Result<()> {
        let pin = AuthPin::from(self.pin.expose());
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(P11Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            Err(e) => Err(backend(&format!("logging in to token `{}`", self.token), &e)),
        }
    }

    fn acquire(&self) -> Result<Session> {
        let mut state = self.lock();
        loop {
            if let Some(s) = state.idle.pop() {
                return Ok(s);
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return self.open_session().inspect_err(|_| {
                    self.lock().open -= 1;
                    self.freed.notify_one();
                });
            }
            state = self.freed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn open_session(&self) -> Result<Session> {
        let session = self
            .ctx
            .open_rw_session(self.slot)
            .map_err(|e| backend(&format!("opening a session with token `{}`", self.token), &e))?;
        // The first session of the process logs in; later ones find the login in place.
        self.login(&session)?;
        Ok(session)
    }

    fn release(&self, session: Session) {
        self.lock().idle.push(session);
        self.freed.notify_one();
    }

    fn discard(&self, session: Session) {
        // Closing may fail on a session the token already dropped: it is gone either way.
        let _ = session.close();
        let mut state = self.lock();
        state.open = state.open.saturating_sub(1);
        drop(state);
        self.freed.notify_one();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave State inconsistent: every update is one statement.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Return values after which a session is of no further use.
fn session_is_broken(rv: RvError) -> bool {
    matches!(
        rv,
        RvError::SessionHandleInvalid
            | RvError::SessionClosed
            | RvError::OperationActive
            | RvError::DeviceRemoved
            | RvError::TokenNotPresent
    )
}
