//! The test token: configuration from the environment, a visible skip without one, and
//! raw PKCS#11 access for checks made behind the backend's back.

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use kms_share_pkcs11::{shared_context, ObjectRef, Pkcs11Backend, Pkcs11Config, ENV_MODULE, ENV_PIN};

/// Set by `make test-pkcs11`: a missing configuration is then a failure, not a skip.
pub const ENV_REQUIRE: &str = "KMS_SHARE_PKCS11_REQUIRE";

static SKIPPED: AtomicUsize = AtomicUsize::new(0);

/// The token configuration, or `None` after a visible skip message.
pub fn config_or_skip(test: &str) -> Option<Pkcs11Config> {
    match Pkcs11Config::from_env() {
        Ok(Some(c)) => Some(c),
        Ok(None) => {
            if std::env::var_os(ENV_REQUIRE).is_some_and(|v| !v.is_empty()) {
                panic!("{test}: {ENV_REQUIRE} is set but {ENV_MODULE} is not: the PKCS#11 tests must run here");
            }
            let n = SKIPPED.fetch_add(1, Ordering::SeqCst) + 1;
            // Straight to the process's stderr: libtest captures eprintln! of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: no PKCS#11 module configured ({ENV_MODULE} unset; \
                 `make test-pkcs11` sets up SoftHSM2) [{n} skipped so far in this test binary]"
            );
            None
        }
        Err(e) => panic!("{test}: bad PKCS#11 configuration: {e}"),
    }
}

/// The configuration and a backend on the test token, or `None` after a visible skip message.
pub fn backend_or_skip(test: &str) -> Option<(Pkcs11Config, Pkcs11Backend)> {
    let c = config_or_skip(test)?;
    let b = Pkcs11Backend::open(&c).unwrap_or_else(|e| panic!("{test}: cannot open the test token: {e}"));
    Some((c, b))
}

/// A session of our own on the test token, logged in, sharing the process's module context.
pub fn raw_session(c: &Pkcs11Config) -> Session {
    let ctx = shared_context(&c.module).unwrap();
    let slot = ctx
        .get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|s| ctx.get_token_info(*s).unwrap().label() == c.token_label)
        .expect("the test token");
    let s = ctx.open_rw_session(slot).unwrap();
    let pin = AuthPin::from(std::env::var(ENV_PIN).unwrap().as_str());
    match s.login(UserType::User, Some(&pin)) {
        Ok(()) | Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::UserAlreadyLoggedIn, _)) => {}
        Err(e) => panic!("raw login: {e}"),
    }
    s
}

/// The token objects a handle names (exactly one while the key exists).
pub fn objects(s: &Session, handle: &str) -> Vec<ObjectHandle> {
    let r = ObjectRef::parse(handle).unwrap_or_else(|| panic!("`{handle}` is not a token reference"));
    s.find_objects(&r.template()).unwrap()
}

/// Token objects carrying a label, whatever their id.
pub fn objects_labelled(s: &Session, label: &str) -> Vec<ObjectHandle> {
    s.find_objects(&[Attribute::Label(label.as_bytes().to_vec())]).unwrap()
}

/// Read attributes; absent ones are simply left out of the answer.
pub fn attributes(s: &Session, o: ObjectHandle, which: &[AttributeType]) -> Vec<Attribute> {
    s.get_attributes(o, which).unwrap()
}
