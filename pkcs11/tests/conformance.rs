//! The key backend conformance suite (`common::conformance`) on both backends: the
//! software backend of the core, and the PKCS#11 backend on the test token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::cell::RefCell;

use kms_share_core::crypto::{AesKey, SeededRng};
use kms_share_core::keystore::{KeyBackend, SoftwareBackend};
use kms_share_pkcs11::Pkcs11Backend;

#[test]
fn software_backend_conformance() {
    let ran = common::conformance::run("software", &|| Box::new(SoftwareBackend::new()));
    assert_eq!(ran, common::conformance::CASES.len());
}

#[test]
fn pkcs11_backend_conformance() {
    let Some(config) = common::hsm::config_or_skip("pkcs11_backend_conformance") else { return };
    // Every backend made, kept so that the keys the suite leaves behind are destroyed at
    // the end: the suite may run against a real HSM's test token.
    let made: RefCell<Vec<Pkcs11Backend>> = RefCell::new(Vec::new());
    let make = || -> Box<dyn KeyBackend> {
        let b = Pkcs11Backend::open(&config).unwrap();
        made.borrow_mut().push(b.clone());
        Box::new(b)
    };
    let ran = common::conformance::run("pkcs11", &make);
    assert_eq!(ran, common::conformance::CASES.len());
    let root = AesKey::from_bytes(&[0u8; 32]).unwrap();
    for mut b in made.into_inner() {
        for handle in b.seal_all(&root, &mut SeededRng::new(0)).unwrap().keys() {
            b.destroy(handle).unwrap();
        }
    }
}
