//! What the server tests share: a server, raw HTTP exchanges, ACS3-signed requests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use kms_share_server::http::wall_clock;
use kms_share_server::sign::{acs3_authorization, Signed};
use kms_share_server::{start, Config, Running};
use serde_json::Value;

pub const AK: &str = "LTAIwireTestOperator0000";
pub const SECRET: &str = "wire-test-secret-0123456789abc";

pub fn server() -> Running {
    start(Config { operator_key: Some((AK.into(), SECRET.into())), ..Config::new("127.0.0.1:0".parse().unwrap()) })
        .unwrap()
}

/// Send raw bytes, read the whole answer (the request asks to close the connection).
pub fn exchange(addr: SocketAddr, raw: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(raw).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_string(), body.to_string())
}

/// An ACS3-signed RPC call as the SDKs make it: parameters in the query, the call in
/// `x-acs-*` headers, every one of them signed.
pub fn signed(addr: SocketAddr, action: &str, version: &str, query: &str, date: &str, nonce: &str) -> Vec<u8> {
    let host = addr.to_string();
    let headers: Vec<(String, String)> = vec![
        ("host".into(), host.clone()),
        ("x-acs-action".into(), action.into()),
        ("x-acs-date".into(), date.into()),
        ("x-acs-signature-nonce".into(), nonce.into()),
        ("x-acs-version".into(), version.into()),
    ];
    let pairs = kms_share_server::wire::parse_form(query).unwrap();
    let req = Signed { method: "POST", path: "/", query: &pairs, form: &[], headers: &headers, body: b"" };
    let names: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
    let auth = acs3_authorization(&req, AK, SECRET, &names).unwrap();
    let mut raw = format!("POST /?{query} HTTP/1.1\r\n");
    for (k, v) in &headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str(&format!("authorization: {auth}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"));
    raw.into_bytes()
}

pub fn now_text() -> String {
    kms_share_core::time::format(wall_clock())
}

pub fn code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    v["Code"].as_str().unwrap_or_default().to_string()
}
