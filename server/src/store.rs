//! Nothing acknowledged is lost: every call that changes the organization is written to
//! SQLite (WAL, `synchronous=FULL`) before its answer leaves, sealed with the root key;
//! a restart loads the latest sealed snapshot and replays the calls after it.
//!
//! What is kept, in `<state dir>/kms-share.sqlite3`:
//! - `meta`: the format and a sealed check value that proves the root key at start;
//! - `snapshot`: one row, the engine's sealed snapshot (`Organization::save_sealed`), the
//!   AccessKeys (sealed) and the sequence number of the last call it includes;
//! - `calls`: each accepted call after it (caller, version, action, parameters, time and
//!   the random bytes the engine drew), sealed, with the call's sequence number in the
//!   sealed data's associated data so that rows cannot be reordered or swapped;
//! - `nonces`: the signature nonces of those calls, until they expire, so that a restart
//!   does not reopen a replay window.
//!
//! Compaction writes a new snapshot and deletes the calls it includes, in one transaction.
//! The root key is never stored: it comes from the environment or a key file.

use std::path::Path;

use kms_share_core::crypto::{b64_decode, b64_encode, AesKey, OsRng, RandomSource};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::keys::AccessKey;

/// The file inside the state directory.
pub const FILE: &str = "kms-share.sqlite3";
const FORMAT: &str = "kms-share serve state 1";
const CHECK: &[u8] = b"kms-share serve: this root key opens this state";
/// Calls between two snapshots, unless configured otherwise.
pub const SNAPSHOT_EVERY: u64 = 1000;

/// One accepted call, as replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The caller's identity.
    pub caller: String,
    /// The API version.
    pub version: String,
    /// The action.
    pub action: String,
    /// The call's parameters.
    pub params: Map<String, Value>,
    /// Its time, seconds since the epoch.
    pub at: u64,
    /// The random bytes it drew.
    pub random: Vec<u8>,
}

/// What a state directory held at start.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The sealed snapshot text, the AccessKeys it includes and how far the simulator's
    /// clock ran ahead of the wall clock (`AdvanceClock`).
    pub snapshot: Option<(String, Vec<AccessKey>, u64)>,
    /// The calls after the snapshot, in order.
    pub calls: Vec<Entry>,
    /// Unexpired nonces: (nonce, expiry).
    pub nonces: Vec<(String, u64)>,
}

/// The durable store.
pub struct Store {
    conn: Connection,
    root: AesKey,
    next_seq: u64,
    since_snapshot: u64,
    every: u64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("next_seq", &self.next_seq).finish_non_exhaustive()
    }
}

fn db(e: rusqlite::Error) -> String {
    format!("the state database failed: {e}")
}

impl Store {
    /// Open (or create) the store in `dir` under `root` (32 bytes).
    ///
    /// # Errors
    /// A message when the directory or database cannot be used, the root key is not 32
    /// bytes or does not open this state, or a row does not unseal.
    pub fn open(dir: &Path, root: &[u8]) -> Result<(Store, Loaded), String> {
        let root = AesKey::from_bytes(root).map_err(|_| "the root key must be 32 bytes (64 hex digits)".to_string())?;
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the state directory {}: {e}", dir.display()))?;
        let conn = Connection::open(dir.join(FILE)).map_err(db)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,
                 state TEXT NOT NULL, keys BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS calls (seq INTEGER PRIMARY KEY, sealed BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, expires INTEGER NOT NULL);",
        )
        .map_err(db)?;
        let mut store = Store { conn, root, next_seq: 1, since_snapshot: 0, every: SNAPSHOT_EVERY };
        let format: Option<Vec<u8>> = store.meta("format")?;
        match format {
            None => {
                let check = store.seal(b"check", CHECK)?;
                store
                    .conn
                    .execute("INSERT INTO meta (k, v) VALUES ('format', ?1)", params![FORMAT.as_bytes()])
                    .map_err(db)?;
                store.conn.execute("INSERT INTO meta (k, v) VALUES ('check', ?1)", params![check]).map_err(db)?;
            }
            Some(f) if f == FORMAT.as_bytes() => {
                let check = store.meta("check")?.ok_or("the state database has no root key check")?;
                if store.open_sealed(b"check", &check).ok().as_deref() != Some(CHECK) {
                    return Err(
                        "the root key does not open this state (a different KMS_SHARE_ROOT_KEY or key file?)".into()
                    );
                }
            }
            Some(_) => return Err("the state database is of an unknown format".into()),
        }
        let loaded = store.load()?;
        Ok((store, loaded))
    }

    fn meta(&self, k: &str) -> Result<Option<Vec<u8>>, String> {
        self.conn.query_row("SELECT v FROM meta WHERE k = ?1", params![k], |r| r.get(0)).optional().map_err(db)
    }

    fn seal(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, String> {
        let mut nonce = [0u8; 12];
        OsRng.fill(&mut nonce).map_err(|e| e.to_string())?;
        let mut out = nonce.to_vec();
        out.extend(self.root.seal(&nonce, aad, plain).map_err(|e| e.to_string())?);
        Ok(out)
    }

    fn open_sealed(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, String> {
        let (nonce, ct) = sealed.split_at_checked(12).ok_or("a sealed row is cut short")?;
        self.root
            .open(nonce, aad, ct)
            .map_err(|_| "a sealed row does not open: tampered, or another root key".to_string())
    }

    fn load(&mut self) -> Result<Loaded, String> {
        let mut loaded = Loaded::default();
        let snap: Option<(u64, String, Vec<u8>)> = self
            .conn
            .query_row("SELECT seq, state, keys FROM snapshot WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .map_err(db)?;
        let mut after = 0;
        if let Some((seq, state, keys)) = snap {
            let keys = self.open_sealed(b"keys", &keys)?;
            let keys: Value = serde_json::from_slice(&keys).map_err(|e| format!("the snapshot's AccessKeys: {e}"))?;
            let offset = keys.get("clockOffset").and_then(Value::as_u64).unwrap_or(0);
            let list = keys.get("keys").ok_or("the snapshot's AccessKeys are missing")?;
            loaded.snapshot = Some((state, keys_from_json(list)?, offset));
            after = seq;
        }
        let mut stmt = self.conn.prepare("SELECT seq, sealed FROM calls WHERE seq > ?1 ORDER BY seq").map_err(db)?;
        let rows: Vec<(u64, Vec<u8>)> = stmt
            .query_map(params![after], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)?;
        drop(stmt);
        let mut expect = after + 1;
        for (seq, sealed) in rows {
            if seq != expect {
                return Err(format!("the call log has a gap: call {expect} is missing before {seq}"));
            }
            let plain = self.open_sealed(format!("call {seq}").as_bytes(), &sealed)?;
            let v: Value = serde_json::from_slice(&plain).map_err(|e| format!("call {seq}: {e}"))?;
            loaded.calls.push(entry_from_json(&v).ok_or_else(|| format!("call {seq} is not a call"))?);
            expect += 1;
        }
        self.next_seq = expect;
        self.since_snapshot = expect - after - 1;
        let mut stmt = self.conn.prepare("SELECT nonce, expires FROM nonces").map_err(db)?;
        loaded.nonces =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(db)?.collect::<Result<_, _>>().map_err(db)?;
        Ok(loaded)
    }

    /// Record accepted calls, each with its nonce and when that nonce expires, durably and
    /// in order, in one transaction: all of them or none.
    ///
    /// # Errors
    /// When the database fails: none of the calls may be acknowledged.
    pub fn append(&mut self, calls: &[(Entry, String, u64)], now: u64) -> Result<(), String> {
        let mut sealed = Vec::with_capacity(calls.len());
        for (i, (e, _, _)) in calls.iter().enumerate() {
            let seq = self.next_seq + i as u64;
            let plain = entry_to_json(e).to_string();
            sealed.push((seq, self.seal(format!("call {seq}").as_bytes(), plain.as_bytes())?));
        }
        let tx = self.conn.transaction().map_err(db)?;
        for ((seq, blob), (_, nonce, expires)) in sealed.iter().zip(calls) {
            tx.execute("INSERT INTO calls (seq, sealed) VALUES (?1, ?2)", params![seq, blob]).map_err(db)?;
            tx.execute("INSERT OR REPLACE INTO nonces (nonce, expires) VALUES (?1, ?2)", params![nonce, expires])
                .map_err(db)?;
        }
        tx.execute("DELETE FROM nonces WHERE expires <= ?1", params![now]).map_err(db)?;
        tx.commit().map_err(db)?;
        self.next_seq += calls.len() as u64;
        self.since_snapshot += calls.len() as u64;
        Ok(())
    }

    /// Take a snapshot after every `n` calls (at least 1).
    pub fn snapshot_every(&mut self, n: u64) {
        self.every = n.max(1);
    }

    /// Whether enough calls were recorded since the last snapshot to take another.
    pub fn snapshot_due(&self) -> bool {
        self.since_snapshot >= self.every
    }

    /// Replace the snapshot with `state` (sealed by the engine) and `keys`, which include
    /// every call recorded so far, and drop those calls.
    ///
    /// # Errors
    /// When the database fails (the previous snapshot and the calls stay).
    pub fn snapshot<'k>(
        &mut self,
        state: &str,
        keys: impl Iterator<Item = &'k AccessKey>,
        clock_offset: u64,
    ) -> Result<(), String> {
        let upto = self.next_seq - 1;
        let keys =
            serde_json::json!({ "keys": Value::Array(keys.map(key_to_json).collect()), "clockOffset": clock_offset })
                .to_string();
        let sealed = self.seal(b"keys", keys.as_bytes())?;
        let tx = self.conn.transaction().map_err(db)?;
        tx.execute(
            "INSERT OR REPLACE INTO snapshot (id, seq, state, keys) VALUES (1, ?1, ?2, ?3)",
            params![upto, state, sealed],
        )
        .map_err(db)?;
        tx.execute("DELETE FROM calls WHERE seq <= ?1", params![upto]).map_err(db)?;
        tx.commit().map_err(db)?;
        self.since_snapshot = 0;
        Ok(())
    }
}

fn entry_to_json(e: &Entry) -> Value {
    serde_json::json!({
        "caller": e.caller, "version": e.version, "action": e.action,
        "params": Value::Object(e.params.clone()), "at": e.at, "random": b64_encode(&e.random),
    })
}

fn entry_from_json(v: &Value) -> Option<Entry> {
    Some(Entry {
        caller: v["caller"].as_str()?.to_string(),
        version: v["version"].as_str()?.to_string(),
        action: v["action"].as_str()?.to_string(),
        params: v["params"].as_object()?.clone(),
        at: v["at"].as_u64()?,
        random: b64_decode("random", v["random"].as_str()?).ok()?,
    })
}

fn key_to_json(k: &AccessKey) -> Value {
    let mut v = serde_json::json!({
        "id": k.id, "secret": k.secret, "identity": k.identity, "active": k.active, "created": k.created,
    });
    if let (Some(t), Value::Object(m)) = (&k.temporary, &mut v) {
        m.insert("token".into(), Value::String(t.token.clone()));
        m.insert("expires".into(), Value::from(t.expires));
    }
    v
}

fn keys_from_json(v: &Value) -> Result<Vec<AccessKey>, String> {
    let list = v.as_array().ok_or("the snapshot's AccessKeys are not a list")?;
    let key = |k: &Value| {
        Some(AccessKey {
            id: k["id"].as_str()?.to_string(),
            secret: k["secret"].as_str()?.to_string(),
            identity: k["identity"].as_str()?.to_string(),
            active: k["active"].as_bool()?,
            created: k["created"].as_str()?.to_string(),
            temporary: match (k.get("token"), k.get("expires")) {
                (Some(t), Some(e)) => {
                    Some(crate::keys::Temporary { token: t.as_str()?.to_string(), expires: e.as_u64()? })
                }
                _ => None,
            },
        })
    };
    list.iter().map(|k| key(k).ok_or_else(|| "an AccessKey of the snapshot is malformed".to_string())).collect()
}

/// The root key from its text: 64 hex digits (surrounding whitespace ignored).
///
/// # Errors
/// A message saying what the key must look like (never echoing it).
pub fn parse_root_key(text: &str) -> Result<Vec<u8>, String> {
    kms_share_core::crypto::from_hex(text.trim())
        .filter(|k| k.len() == 32)
        .ok_or_else(|| "the root key is 64 hex digits (32 bytes), for example from `openssl rand -hex 32`".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u8) -> Entry {
        let mut params = Map::new();
        params.insert("FolderName".into(), Value::String(format!("f{n}")));
        Entry {
            caller: "acs:ram::1000000000000001:root".into(),
            version: "2020-03-31".into(),
            action: "CreateFolder".into(),
            params,
            at: 1_800_000_000 + u64::from(n),
            random: vec![n; 5],
        }
    }

    #[test]
    fn calls_come_back_in_order_after_a_reopen_and_a_snapshot_drops_them() {
        let dir = std::env::temp_dir().join(format!("kms-share-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let root = [7u8; 32];
        let (mut s, loaded) = Store::open(&dir, &root).unwrap();
        assert!(loaded.calls.is_empty() && loaded.snapshot.is_none());
        s.append(&[(entry(1), "n1".into(), 2_000_000_000), (entry(2), "n2".into(), 1_700_000_000)], 1_800_000_000)
            .unwrap();
        drop(s);
        let (mut s, loaded) = Store::open(&dir, &root).unwrap();
        assert_eq!(loaded.calls, vec![entry(1), entry(2)]);
        assert_eq!(loaded.nonces, vec![("n1".to_string(), 2_000_000_000)]);
        s.snapshot("sealed-state", std::iter::empty(), 5).unwrap();
        s.append(&[(entry(3), "n3".into(), 1_700_000_000)], 1_800_000_000).unwrap();
        drop(s);
        let (_, loaded) = Store::open(&dir, &root).unwrap();
        assert_eq!(loaded.snapshot.map(|(t, _, offset)| (t, offset)), Some(("sealed-state".to_string(), 5)));
        assert_eq!(loaded.calls, vec![entry(3)]);
        let e = Store::open(&dir, &[8u8; 32]).unwrap_err();
        assert!(e.contains("root key does not open"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_root_key_is_64_hex_digits_and_never_echoed() {
        assert_eq!(parse_root_key(&"ab".repeat(32)).unwrap(), vec![0xab; 32]);
        let e = parse_root_key("not-a-key-but-maybe-a-secret").unwrap_err();
        assert!(!e.contains("maybe-a-secret"));
        assert!(parse_root_key(&"zz".repeat(32)).is_err());
    }
}
