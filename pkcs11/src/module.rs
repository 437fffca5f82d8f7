//! Loading a PKCS#11 module once per process, and finding a token by label.
//!
//! A module's state is global to the process: `C_Initialize` may succeed only once, and
//! `C_Finalize` ends every session of every user of the module in the process. So each
//! module is loaded and initialized once, shared by every backend (and by any code that
//! asks [`shared_context`] for it), and never finalized: the process exit releases it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::MechanismType;
use cryptoki::slot::Slot;
use kms_share_core::Result;

use crate::error::{backend, other};

fn registry() -> &'static Mutex<HashMap<PathBuf, Pkcs11>> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    MODULES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The process-wide, initialized context of the PKCS#11 module at `path`, loading and
/// initializing it (`C_Initialize` with OS locking) on first use.
///
/// Code that talks to the same module directly must use this context rather than a
/// `Pkcs11::new` of its own, which could not initialize it a second time.
///
/// # Errors
/// `BackendError` when `path` does not exist, is not a loadable library, is not a
/// PKCS#11 module, or `C_Initialize` fails; the message names the path.
pub fn shared_context(path: &Path) -> Result<Pkcs11> {
    let key = path.canonicalize().map_err(|e| {
        other(format!("the PKCS#11 module `{}` cannot be opened ({e}); check {}", path.display(), crate::ENV_MODULE))
    })?;
    let mut modules = registry().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(ctx) = modules.get(&key) {
        return Ok(ctx.clone());
    }
    let loading = format!("loading the PKCS#11 module `{}`", path.display());
    let ctx = Pkcs11::new(&key).map_err(|e| backend(&loading, &e))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        // Someone else in this process initialized it: share their initialization.
        Ok(()) | Err(P11Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(backend(&loading, &e)),
    }
    modules.insert(key, ctx.clone());
    Ok(ctx)
}

/// The slot holding the token labelled `label`.
///
/// # Errors
/// `BackendError` when no token, or more than one, has that label (the message lists
/// the labels present), or the module fails to list its slots.
pub(crate) fn slot_for(ctx: &Pkcs11, label: &str, module: &Path) -> Result<Slot> {
    let listing = format!("listing the tokens of `{}`", module.display());
    let slots = ctx.get_slots_with_token().map_err(|e| backend(&listing, &e))?;
    let mut found = Vec::new();
    let mut labels = Vec::new();
    for slot in slots {
        let info = ctx.get_token_info(slot).map_err(|e| backend(&listing, &e))?;
        if info.label() == label {
            found.push(slot);
        }
        labels.push(format!("`{}`", info.label()));
    }
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(other(format!(
            "no token labelled `{label}` in the PKCS#11 module `{}` (tokens present: {})",
            module.display(),
            if labels.is_empty() { "none".to_string() } else { labels.join(", ") }
        ))),
        many => Err(other(format!(
            "{} tokens are labelled `{label}` in the PKCS#11 module `{}`: give each token a distinct label",
            many.len(),
            module.display()
        ))),
    }
}

/// Check that the token can do what the backend asks of it, so that a token without
/// AES-GCM fails at start-up with a clear message instead of at the first key.
///
/// # Errors
/// `BackendError` naming the missing mechanism.
pub(crate) fn check_mechanisms(ctx: &Pkcs11, slot: Slot, label: &str) -> Result<()> {
    let doing = format!("reading the mechanisms of token `{label}`");
    let have = ctx.get_mechanism_list(slot).map_err(|e| backend(&doing, &e))?;
    for (needed, name) in [(MechanismType::AES_KEY_GEN, "CKM_AES_KEY_GEN"), (MechanismType::AES_GCM, "CKM_AES_GCM")] {
        if !have.contains(&needed) {
            return Err(other(format!("token `{label}` does not support {name}, which hardware keys need")));
        }
    }
    Ok(())
}
