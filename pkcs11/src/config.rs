//! Where the token is and how to log in: [`Pkcs11Config`] and the secret [`Pin`].
//!
//! The PIN is a secret from the moment it is read: it lives in a zeroizing buffer, its
//! `Debug` form is redacted, and it comes from configuration or the environment, never
//! from a command line (where `ps` and shell history would show it).

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use kms_share_core::{Error, ErrorCode, Result};

use crate::error::RULE;
use zeroize::Zeroizing;

/// The environment variable naming the PKCS#11 module (a shared library path).
pub const ENV_MODULE: &str = "KMS_SHARE_PKCS11_MODULE";
/// The environment variable naming the token, by its label.
pub const ENV_TOKEN: &str = "KMS_SHARE_PKCS11_TOKEN";
/// The environment variable holding the user PIN of the token.
pub const ENV_PIN: &str = "KMS_SHARE_PKCS11_PIN";
/// The optional environment variable bounding the session pool (default [`DEFAULT_MAX_SESSIONS`]).
pub const ENV_MAX_SESSIONS: &str = "KMS_SHARE_PKCS11_MAX_SESSIONS";

/// Sessions the backend keeps open at most, unless configured otherwise. Small on
/// purpose: HSMs limit sessions per application, and the backend's work is short calls.
pub const DEFAULT_MAX_SESSIONS: usize = 4;

/// A token user PIN: zeroized on drop, never shown by `Debug`.
#[derive(Clone)]
pub struct Pin(Zeroizing<String>);

impl Pin {
    /// Wrap a PIN. The `String` is moved in, so no unzeroized copy stays behind.
    pub fn new(pin: String) -> Self {
        Pin(Zeroizing::new(pin))
    }

    /// The PIN itself, for logging in.
    pub(crate) fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(redacted)")
    }
}

/// Which PKCS#11 module and token to use, and the PIN to log in with.
#[derive(Debug, Clone)]
pub struct Pkcs11Config {
    /// The PKCS#11 module: the vendor's shared library (for SoftHSM2,
    /// `/usr/lib/softhsm/libsofthsm2.so`).
    pub module: PathBuf,
    /// The label of the token to use (slot ids can change, labels do not: SoftHSM2 moves
    /// a token to a new slot when it is initialized).
    pub token_label: String,
    /// The user PIN of the token.
    pub pin: Pin,
    /// Sessions kept open at most; callers beyond that wait for a free session.
    pub max_sessions: usize,
}

impl Pkcs11Config {
    /// A configuration with the default session pool size.
    pub fn new(module: impl Into<PathBuf>, token_label: impl Into<String>, pin: Pin) -> Self {
        Pkcs11Config { module: module.into(), token_label: token_label.into(), pin, max_sessions: DEFAULT_MAX_SESSIONS }
    }

    /// Read the configuration from [`ENV_MODULE`], [`ENV_TOKEN`] and [`ENV_PIN`] (and
    /// optionally [`ENV_MAX_SESSIONS`]). `Ok(None)` when [`ENV_MODULE`] is not set:
    /// no hardware backend is configured.
    ///
    /// # Errors
    /// `InvalidParameter` when the module is set but the token label or PIN is missing,
    /// empty or not UTF-8, or the session count is not a number from 1 to 64.
    pub fn from_env() -> Result<Option<Self>> {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// [`Pkcs11Config::from_env`] over any variable lookup (tests, or a host's own secret store).
    ///
    /// # Errors
    /// As [`Pkcs11Config::from_env`].
    pub fn from_vars(mut var: impl FnMut(&str) -> Option<OsString>) -> Result<Option<Self>> {
        let Some(module) = var(ENV_MODULE).filter(|m| !m.is_empty()) else {
            return Ok(None);
        };
        let token_label = required(&mut var, ENV_TOKEN)?;
        let pin = Pin::new(required(&mut var, ENV_PIN)?);
        let mut config = Pkcs11Config::new(PathBuf::from(module), token_label, pin);
        if let Some(raw) = var(ENV_MAX_SESSIONS) {
            let text = raw.to_string_lossy();
            config.max_sessions = text.trim().parse().ok().filter(|n| (1..=64).contains(n)).ok_or_else(|| {
                Error::invalid(
                    ENV_MAX_SESSIONS,
                    RULE,
                    format!("{ENV_MAX_SESSIONS} must be a number from 1 to 64, not `{}`", short(&text)),
                )
            })?;
        }
        Ok(Some(config))
    }
}

fn required(var: &mut impl FnMut(&str) -> Option<OsString>, name: &str) -> Result<String> {
    let value = var(name).ok_or_else(|| {
        Error::invalid(name, RULE, format!("{ENV_MODULE} is set but {name} is not: set both, or neither"))
    })?;
    // INVARIANT: the PIN passes through here; on error the value is not echoed.
    let value = value
        .into_string()
        .map_err(|_| Error::new(ErrorCode::InvalidParameter, RULE, format!("{name} is not valid UTF-8")))?;
    if value.is_empty() {
        return Err(Error::invalid(name, RULE, format!("{name} is empty")));
    }
    Ok(value)
}

fn short(s: &str) -> String {
    s.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl FnMut(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn no_module_means_no_hardware_backend() {
        assert!(Pkcs11Config::from_vars(vars(&[])).unwrap().is_none());
        assert!(Pkcs11Config::from_vars(vars(&[(ENV_MODULE, "")])).unwrap().is_none());
    }

    #[test]
    fn module_token_and_pin_are_read_with_the_default_pool_size() {
        let c = Pkcs11Config::from_vars(vars(&[(ENV_MODULE, "/m.so"), (ENV_TOKEN, "t"), (ENV_PIN, "1234")]))
            .unwrap()
            .unwrap();
        assert_eq!(c.module, PathBuf::from("/m.so"));
        assert_eq!(c.token_label, "t");
        assert_eq!(c.pin.expose(), "1234");
        assert_eq!(c.max_sessions, DEFAULT_MAX_SESSIONS);
    }

    #[test]
    fn a_missing_pin_or_token_is_named_and_the_pin_never_echoed() {
        let e = Pkcs11Config::from_vars(vars(&[(ENV_MODULE, "/m.so"), (ENV_TOKEN, "t")])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameter);
        assert!(e.message.contains(ENV_PIN), "{}", e.message);
        let e = Pkcs11Config::from_vars(vars(&[(ENV_MODULE, "/m.so"), (ENV_PIN, "1234")])).unwrap_err();
        assert!(e.message.contains(ENV_TOKEN), "{}", e.message);
        let e = Pkcs11Config::from_vars(vars(&[(ENV_MODULE, "/m.so"), (ENV_TOKEN, "t"), (ENV_PIN, "")])).unwrap_err();
        assert_eq!(e.message, format!("{ENV_PIN} is empty"));
    }

    #[test]
    fn the_session_count_is_bounded() {
        let base = [(ENV_MODULE, "/m.so"), (ENV_TOKEN, "t"), (ENV_PIN, "1234")];
        let with = |n: &str| {
            let mut v = base.to_vec();
            v.push((ENV_MAX_SESSIONS, n));
            Pkcs11Config::from_vars(vars(&v))
        };
        assert_eq!(with("8").unwrap().unwrap().max_sessions, 8);
        for bad in ["0", "65", "many", ""] {
            assert_eq!(with(bad).unwrap_err().code, ErrorCode::InvalidParameter, "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_the_pin() {
        let c = Pkcs11Config::new("/m.so", "t", Pin::new("s3cr3t-pin".to_string()));
        let shown = format!("{c:?} {:?}", c.pin);
        assert!(!shown.contains("s3cr3t-pin"), "{shown}");
        assert!(shown.contains("Pin(redacted)"), "{shown}");
    }
}
