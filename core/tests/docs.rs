//! Generated documents stay in step with the code they come from: `docs/rules.md` from
//! [`Rule`]. A stale document fails the test; `UPDATE_DOCS=1` rewrites it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

fn check(relative: &str, generated: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{relative} is stale: run `UPDATE_DOCS=1 cargo test -p kms-share-core --test docs` and commit it"
    );
}

#[test]
fn rules_md_is_generated_from_the_rule_type() {
    check("docs/rules.md", &kms_share_core::rules::markdown());
}
