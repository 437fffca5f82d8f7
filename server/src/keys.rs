//! AccessKeys: who a signed request is. Each key belongs to one RAM identity (an
//! account's root or one of its users); RAM's `CreateAccessKey`, `ListAccessKeys`,
//! `UpdateAccessKey` and `DeleteAccessKey` manage them, and an `Inactive` key signs
//! nothing. Secrets are compared in constant time by the signature check and never
//! appear in a message or a log line; only `CreateAccessKey` returns one, once.

use std::collections::{BTreeMap, HashMap, VecDeque};

use kms_share_core::crypto::RandomSource;

/// One AccessKey.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// `LTAI` and 20 letters and digits.
    pub id: String,
    /// 30 letters and digits.
    pub secret: String,
    /// The RAM identity it signs for, `acs:ram::<account>:root` or `…:user/<name>`.
    pub identity: String,
    /// `Active` or `Inactive`.
    pub active: bool,
    /// When it was made, `YYYY-MM-DDTHH:MM:SSZ`.
    pub created: String,
    /// For STS credentials (`AssumeRole`): the SecurityToken every request must carry
    /// and when it stops working (seconds since the epoch, by the server's clock).
    pub temporary: Option<Temporary>,
}

/// What makes an AccessKey temporary.
#[derive(Clone, PartialEq, Eq)]
pub struct Temporary {
    /// The SecurityToken.
    pub token: String,
    /// When the credentials expire.
    pub expires: u64,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .field("identity", &self.identity)
            .field("active", &self.active)
            .field("expires", &self.temporary.as_ref().map(|t| t.expires))
            .finish()
    }
}

impl AccessKey {
    /// `Active` or `Inactive`, as the vendor writes it.
    pub fn status(&self) -> &'static str {
        if self.active {
            "Active"
        } else {
            "Inactive"
        }
    }
}

/// How many AccessKeys one identity may hold (the vendor's limit).
pub const MAX_PER_IDENTITY: usize = 2;

/// Every AccessKey, by id.
#[derive(Debug, Default)]
pub struct AccessKeys {
    by_id: BTreeMap<String, AccessKey>,
}

const ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `n` random letters and digits (rejection sampling: no bias).
fn random_alnum(rng: &mut dyn RandomSource, n: usize) -> Result<String, String> {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        rng.fill(&mut buf).map_err(|e| format!("no randomness for an AccessKey: {e}"))?;
        for b in buf {
            if out.len() < n && usize::from(b) < 248 {
                if let Some(&c) = ALNUM.get(usize::from(b) % 62) {
                    out.push(char::from(c));
                }
            }
        }
    }
    Ok(out)
}

impl AccessKeys {
    /// A key by id.
    pub fn get(&self, id: &str) -> Option<&AccessKey> {
        self.by_id.get(id)
    }

    /// Every key, by id.
    pub fn all(&self) -> impl Iterator<Item = &AccessKey> {
        self.by_id.values()
    }

    /// The keys of an identity, oldest first.
    pub fn of(&self, identity: &str) -> Vec<&AccessKey> {
        let mut v: Vec<&AccessKey> = self.by_id.values().filter(|k| k.identity == identity).collect();
        v.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        v
    }

    /// Make temporary credentials for `identity` (an assumed role), valid until `expires`;
    /// expired ones are dropped first.
    ///
    /// # Errors
    /// A message when randomness fails.
    pub fn create_temporary(
        &mut self,
        rng: &mut dyn RandomSource,
        identity: &str,
        now_text: &str,
        now: u64,
        expires: u64,
    ) -> Result<AccessKey, String> {
        self.by_id.retain(|_, k| k.temporary.as_ref().is_none_or(|t| t.expires > now));
        let key = AccessKey {
            id: format!("STS.{}", random_alnum(rng, 24)?),
            secret: random_alnum(rng, 40)?,
            identity: identity.to_string(),
            active: true,
            created: now_text.to_string(),
            temporary: Some(Temporary { token: format!("CAIS{}", random_alnum(rng, 124)?), expires }),
        };
        self.insert(key.clone());
        Ok(key)
    }

    /// Make a key for `identity`.
    ///
    /// # Errors
    /// A message when the identity holds [`MAX_PER_IDENTITY`] keys already, or randomness fails.
    pub fn create(&mut self, rng: &mut dyn RandomSource, identity: &str, now: &str) -> Result<AccessKey, String> {
        if self.of(identity).iter().filter(|k| k.temporary.is_none()).count() >= MAX_PER_IDENTITY {
            return Err(format!(
                "{identity} already has {MAX_PER_IDENTITY} AccessKeys, the most one identity may hold"
            ));
        }
        let key = AccessKey {
            id: format!("LTAI{}", random_alnum(rng, 20)?),
            secret: random_alnum(rng, 30)?,
            identity: identity.to_string(),
            active: true,
            created: now.to_string(),
            temporary: None,
        };
        self.insert(key.clone());
        Ok(key)
    }

    /// Add a key as it is (one taken from the environment, or reloaded).
    pub fn insert(&mut self, key: AccessKey) {
        self.by_id.insert(key.id.clone(), key);
    }

    /// Set a key's status.
    pub fn set_active(&mut self, id: &str, active: bool) -> bool {
        match self.by_id.get_mut(id) {
            Some(k) => {
                k.active = active;
                true
            }
            None => false,
        }
    }

    /// Remove a key.
    pub fn remove(&mut self, id: &str) -> bool {
        self.by_id.remove(id).is_some()
    }
}

/// Signature nonces seen within the window a timestamp is accepted in: a nonce used
/// again inside it is a replay.
#[derive(Debug, Default)]
pub struct Nonces {
    until: HashMap<String, u64>,
    order: VecDeque<(u64, String)>,
}

impl Nonces {
    /// Record `nonce` (valid until `expires`, seconds); `false` when it was seen already.
    pub fn first_use(&mut self, nonce: &str, now: u64, expires: u64) -> bool {
        while let Some((t, _)) = self.order.front() {
            if *t > now {
                break;
            }
            if let Some((_, n)) = self.order.pop_front() {
                if self.until.get(&n).is_some_and(|u| *u <= now) {
                    self.until.remove(&n);
                }
            }
        }
        if self.until.contains_key(nonce) {
            return false;
        }
        self.until.insert(nonce.to_string(), expires);
        self.order.push_back((expires, nonce.to_string()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kms_share_core::crypto::SeededRng;

    #[test]
    fn keys_look_like_the_vendors_and_are_limited_per_identity() {
        let mut rng = SeededRng::new(7);
        let mut keys = AccessKeys::default();
        let a = keys.create(&mut rng, "acs:ram::1000000000000001:root", "2026-12-05T00:00:00Z").unwrap();
        assert!(a.id.starts_with("LTAI") && a.id.len() == 24, "{}", a.id);
        assert_eq!(a.secret.len(), 30);
        assert!(a.secret.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(!format!("{a:?}").contains(&a.secret), "Debug never shows the secret");
        keys.create(&mut rng, "acs:ram::1000000000000001:root", "2026-12-05T00:00:01Z").unwrap();
        let e = keys.create(&mut rng, "acs:ram::1000000000000001:root", "2026-12-05T00:00:02Z").unwrap_err();
        assert!(e.contains("already has 2"), "{e}");
    }

    #[test]
    fn a_nonce_is_refused_until_its_window_ends() {
        let mut n = Nonces::default();
        assert!(n.first_use("a", 100, 1900));
        assert!(!n.first_use("a", 200, 2000));
        assert!(n.first_use("b", 1000, 2800));
        assert!(n.first_use("a", 1900, 3700), "expired at 1900");
        assert!(!n.first_use("b", 1901, 3701));
    }
}
