//! The backend logs in again when the login goes away under it (CKR_USER_NOT_LOGGED_IN,
//! or private objects vanishing from searches), on every path: a cached object, a
//! search, key generation.
//!
//! Its own test binary, so its own process: the C_Logout here logs out every session of
//! the process, which would disturb tests running beside it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use cryptoki::session::SessionState;
use kms_share_core::crypto::OsRng;
use kms_share_core::keystore::KeyBackend;

const NONCE: [u8; 12] = [3; 12];

#[test]
fn operations_log_in_again_after_a_logout_elsewhere_in_the_process() {
    let Some(config) = common::hsm::config_or_skip("operations_log_in_again_after_a_logout_elsewhere_in_the_process")
    else {
        return;
    };
    let mut b = kms_share_pkcs11::Pkcs11Backend::open(&config).unwrap();
    let h = b.generate("key-relogin/v1", &mut OsRng).unwrap();
    let ct = b.encrypt(&h, &NONCE, b"aad", b"before").unwrap();
    let raw = common::hsm::raw_session(&config);
    // Login state is the process's: our raw session shows whether anyone is logged in.
    let logged_in = || raw.get_session_info().unwrap().session_state() == SessionState::RwUser;
    let logout = || {
        raw.logout().unwrap();
        assert!(!logged_in());
    };

    logout();
    // The cached object handle: the token refuses it while logged out.
    assert_eq!(b.decrypt(&h, &NONCE, b"aad", &ct).unwrap(), b"before");
    assert!(logged_in(), "the backend logged in again");

    logout();
    // A search: private objects are invisible while logged out, which must not read as "missing".
    assert!(b.contains(&h));
    assert!(logged_in());

    logout();
    let h2 = b.generate("key-relogin/v2", &mut OsRng).unwrap();
    assert!(logged_in());
    assert!(b.contains(&h2));

    logout();
    let ct2 = b.encrypt(&h2, &NONCE, b"aad", b"after").unwrap();
    assert_eq!(b.decrypt(&h2, &NONCE, b"aad", &ct2).unwrap(), b"after");

    b.destroy(&h).unwrap();
    b.destroy(&h2).unwrap();
    assert!(!b.contains(&h) && !b.contains(&h2));
}
