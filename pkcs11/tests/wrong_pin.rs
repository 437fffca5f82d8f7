//! A wrong PIN fails at open, naming C_Login and CKR_PIN_INCORRECT.
//!
//! Its own test binary, so its own process: PKCS#11 login state belongs to the process,
//! and a token another test already logged in to would answer
//! CKR_USER_ALREADY_LOGGED_IN without looking at the PIN. Keep this file to this one test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use kms_share_core::ErrorCode;
use kms_share_pkcs11::{Pin, Pkcs11Backend};

#[test]
fn a_wrong_pin_is_a_clear_backend_error_naming_c_login_and_ckr_pin_incorrect() {
    let Some(mut config) =
        common::hsm::config_or_skip("a_wrong_pin_is_a_clear_backend_error_naming_c_login_and_ckr_pin_incorrect")
    else {
        return;
    };
    let right = config.pin.clone();
    config.pin = Pin::new("not-the-pin".to_string());
    let e = Pkcs11Backend::open(&config).unwrap_err();
    assert_eq!(e.code, ErrorCode::BackendError);
    assert_eq!(e.message, format!("logging in to token `{}`: C_Login returned CKR_PIN_INCORRECT", config.token_label));
    assert!(!e.message.contains("not-the-pin"));
    // Nothing is left half open: the right PIN then works.
    config.pin = right;
    let b = Pkcs11Backend::open(&config).unwrap();
    assert_eq!(b.sessions_open(), 1);
}
