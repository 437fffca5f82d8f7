//! `kms-share serve` on a loopback socket, driven by hand-made HTTP: what the official SDKs
//! never send (stale dates, replayed nonces, unsigned or oversized requests, bytes that are
//! not HTTP) is answered with the vendor's error and the server keeps answering.
//! The SDKs themselves are tested in tests/serve.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::{code, exchange, now_text, server, signed};
use kms_share_server::http::wall_clock;
use serde_json::Value;

#[test]
fn a_signed_call_is_answered_with_a_request_id_in_body_and_header() {
    let s = server();
    let (status, head, body) =
        exchange(s.addr, &signed(s.addr, "GetCallerIdentity", "2015-04-01", "", &now_text(), "n-1"));
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["Arn"], "acs:ram::1000000000000001:root");
    let id = v["RequestId"].as_str().unwrap();
    assert!(head.to_ascii_lowercase().contains(&format!("x-acs-request-id: {}", id.to_ascii_lowercase())), "{head}");
}

#[test]
fn a_date_more_than_15_minutes_off_is_refused() {
    let s = server();
    for offset in [-16 * 60_i64, 16 * 60] {
        let t = kms_share_core::time::format(wall_clock().saturating_add_signed(offset));
        let (status, _, body) =
            exchange(s.addr, &signed(s.addr, "GetCallerIdentity", "2015-04-01", "", &t, &format!("n{offset}")));
        assert_eq!((status, code(&body)), (400, "InvalidTimeStamp.Expired".to_string()), "{body}");
    }
    let (status, _, body) =
        exchange(s.addr, &signed(s.addr, "GetCallerIdentity", "2015-04-01", "", "yesterday", "n-format"));
    assert_eq!((status, code(&body)), (400, "InvalidTimeStamp.Format".to_string()));
}

#[test]
fn a_replayed_nonce_is_refused_and_the_state_is_unchanged() {
    let s = server();
    let raw = signed(s.addr, "CreateFolder", "2020-03-31", "FolderName=once", &now_text(), "same-nonce");
    // The directory must exist for CreateFolder; enable it first.
    let (st, _, body) = exchange(
        s.addr,
        &signed(s.addr, "EnableResourceDirectory", "2020-03-31", "EnableMode=CurrentAccount", &now_text(), "rd"),
    );
    assert_eq!(st, 200, "{body}");
    let (first, _, body) = exchange(s.addr, &raw);
    assert_eq!(first, 200, "{body}");
    let (again, _, body) = exchange(s.addr, &raw);
    assert_eq!((again, code(&body)), (400, "SignatureNonceUsed".to_string()));
    let (_, _, body) = exchange(
        s.addr,
        &signed(s.addr, "ListFoldersForParent", "2020-03-31", "QueryKeyword=once", &now_text(), "list"),
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["TotalCount"], 1, "the replay made no second folder: {body}");
}

#[test]
fn unsigned_tampered_and_unknown_requests_fail_closed() {
    let s = server();
    let (status, _, body) = exchange(
        s.addr,
        b"POST /?Action=GetCallerIdentity&Version=2015-04-01 HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    );
    assert_eq!((status, code(&body)), (400, "MissingParameter".to_string()), "{body}");
    // A parameter changed after signing.
    let raw =
        String::from_utf8(signed(s.addr, "CreateFolder", "2020-03-31", "FolderName=a", &now_text(), "t1")).unwrap();
    let (status, _, body) = exchange(s.addr, raw.replacen("FolderName=a", "FolderName=b", 1).as_bytes());
    assert_eq!((status, code(&body)), (400, "SignatureDoesNotMatch".to_string()));
    // A signed call to an action no product has.
    let (status, _, body) = exchange(s.addr, &signed(s.addr, "Frobnicate", "2016-01-20", "", &now_text(), "t2"));
    assert_eq!((status, code(&body)), (400, "InvalidAction.NotFound".to_string()));
    // A malformed escape in the query: refused before anything is looked up.
    let (status, _, body) = exchange(
        s.addr,
        b"POST /?PageSize=%zz HTTP/1.1\r\nhost: x\r\nauthorization: ACS3-HMAC-SHA256 Credential=x,SignedHeaders=host,Signature=00\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    );
    assert_eq!((status, code(&body)), (400, "InvalidParameter".to_string()), "{body}");
}

#[test]
fn oversized_bodies_and_bytes_that_are_not_http_leave_the_server_answering() {
    let s = server();
    let big = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        2 * 1024 * 1024
    );
    let (status, _, body) = exchange(s.addr, big.as_bytes());
    assert_eq!((status, code(&body)), (413, "RequestEntityTooLarge".to_string()), "{body}");
    let (status, _, _) = exchange(s.addr, b"\x00\x01 NOT HTTP AT ALL\r\n\r\n");
    assert!(status == 400 || status == 0, "hyper refuses what is not HTTP ({status})");
    let (status, _, body) =
        exchange(s.addr, &signed(s.addr, "GetCallerIdentity", "2015-04-01", "", &now_text(), "after"));
    assert_eq!(status, 200, "still answering: {body}");
}

#[test]
fn concurrent_clients_each_get_their_answer() {
    let s = server();
    let addr = s.addr;
    let (st, _, body) = exchange(
        addr,
        &signed(addr, "EnableResourceDirectory", "2020-03-31", "EnableMode=CurrentAccount", &now_text(), "rd"),
    );
    assert_eq!(st, 200, "{body}");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..10 {
                    let name = format!("f-{t}-{i}");
                    let (st, _, body) = exchange(
                        addr,
                        &signed(addr, "CreateFolder", "2020-03-31", &format!("FolderName={name}"), &now_text(), &name),
                    );
                    assert_eq!(st, 200, "{body}");
                    let v: Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(v["Folder"]["FolderName"], name.as_str());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let (_, _, body) =
        exchange(addr, &signed(addr, "ListFoldersForParent", "2020-03-31", "PageSize=100", &now_text(), "list-all"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["TotalCount"], 80, "{body}");
}

#[test]
fn an_organization_whose_scenario_ran_ahead_of_the_wall_clock_still_answers() {
    // The engine's clock never goes back (its audit trail is in time order): calls made
    // now are made at the scenario's latest time.
    let dir = std::env::temp_dir().join(format!("kms-share-future-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let doc = dir.join("future.json");
    std::fs::write(
        &doc,
        r#"{"version":2,"seed":3,"start":"2031-01-01T00:00:00Z","steps":[
            {"caller":"acs:ram::1000000000000001:root","action":"EnableResourceDirectory","params":{"EnterpriseId":"ent-x"},"expect":{"ok":true}}]}"#,
    )
    .unwrap();
    let s = kms_share_server::start(kms_share_server::Config {
        operator_key: Some((common::AK.into(), common::SECRET.into())),
        from: Some(doc.to_string_lossy().to_string()),
        ..kms_share_server::Config::new("127.0.0.1:0".parse().unwrap())
    })
    .unwrap();
    let (status, _, body) = exchange(s.addr, &signed(s.addr, "ListAccounts", "2020-03-31", "", &now_text(), "future"));
    assert_eq!(status, 200, "{body}");
    let _ = std::fs::remove_dir_all(&dir);
}
