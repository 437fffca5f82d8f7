//! `--state`: calls recorded before they are answered, compacted into snapshots, replayed
//! at restart (the kill -9 test with the official SDKs is tests/serve/test_durability.py).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::{exchange, now_text, signed, AK, SECRET};
use kms_share_server::{start, store, Config, Running};
use serde_json::Value;

fn durable(dir: &std::path::Path) -> Running {
    start(Config {
        operator_key: Some((AK.into(), SECRET.into())),
        state_dir: Some(dir.to_path_buf()),
        root_key: Some(vec![9u8; 32]),
        snapshot_every: 3,
        ..Config::new("127.0.0.1:0".parse().unwrap())
    })
    .unwrap()
}

fn calls_in_log(dir: &std::path::Path) -> i64 {
    let db = rusqlite::Connection::open(dir.join(store::FILE)).unwrap();
    db.query_row("SELECT COUNT(*) FROM calls", [], |r| r.get(0)).unwrap()
}

#[test]
fn snapshots_compact_the_log_and_a_restart_replays_the_rest() {
    let dir = std::env::temp_dir().join(format!("kms-share-durable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let s = durable(&dir);
    let (st, _, body) = exchange(
        s.addr,
        &signed(s.addr, "EnableResourceDirectory", "2020-03-31", "EnableMode=CurrentAccount", &now_text(), "rd"),
    );
    assert_eq!(st, 200, "{body}");
    for i in 0..10 {
        let name = format!("f{i}");
        let (st, _, body) = exchange(
            s.addr,
            &signed(s.addr, "CreateFolder", "2020-03-31", &format!("FolderName={name}"), &now_text(), &name),
        );
        assert_eq!(st, 200, "{body}");
    }
    // 11 recorded calls, a snapshot after every 3: the log holds the last 2.
    assert_eq!(calls_in_log(&dir), 2);
    s.stop();

    let s = durable(&dir);
    assert_eq!(calls_in_log(&dir), 0, "the restart replayed the log into a new snapshot");
    let (_, _, body) =
        exchange(s.addr, &signed(s.addr, "ListFoldersForParent", "2020-03-31", "PageSize=100", &now_text(), "list"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["TotalCount"], 10, "{body}");
    // A nonce used before the restart is still refused after it.
    let (st, _, body) =
        exchange(s.addr, &signed(s.addr, "CreateFolder", "2020-03-31", "FolderName=again", &now_text(), "f3"));
    assert_eq!(st, 400, "{body}");
    assert!(body.contains("SignatureNonceUsed"), "{body}");
    s.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
