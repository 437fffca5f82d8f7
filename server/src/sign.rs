//! The vendor's three request signatures, recomputed from the request as it arrived:
//! ACS3-HMAC-SHA256 (the current SDKs' default), RPC v1 HMAC-SHA1 (`signature_algorithm="v2"`,
//! the old Node packages) and ACS4-HMAC-SHA256 (KMS with `signature_version="v4"`).
//!
//! The server never trusts what a request says it signed beyond the request's own
//! `SignedHeaders` list, and that list must cover the headers that carry the call
//! (`host`, the action, version, date and nonce, and the security token when there is one):
//! a request that leaves them unsigned could be replayed with another action.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use kms_share_core::crypto::{hex, sha256};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::wire::pct;

/// The request's parts a signature covers.
pub struct Signed<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// The path, `/` for RPC calls.
    pub path: &'a str,
    /// The query's pairs, decoded.
    pub query: &'a [(String, String)],
    /// The form body's pairs, decoded (empty unless the body is a form).
    pub form: &'a [(String, String)],
    /// The headers, names in lower case, in the order received.
    pub headers: &'a [(String, String)],
    /// The body's bytes.
    pub body: &'a [u8],
}

/// Which scheme a request used, and what it claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// ACS3-HMAC-SHA256.
    Acs3 {
        /// The signed-header list, as sent.
        signed_headers: Vec<String>,
        /// The hex signature.
        signature: String,
    },
    /// ACS4-HMAC-SHA256, the key derived for a date, region and product.
    Acs4 {
        /// `yyyymmdd`.
        date: String,
        /// The region of the credential scope.
        region: String,
        /// The product of the credential scope (`Kms`).
        product: String,
        /// The signed-header list, as sent.
        signed_headers: Vec<String>,
        /// The hex signature.
        signature: String,
    },
    /// RPC v1: HMAC-SHA1 over the sorted parameters.
    V1 {
        /// The base64 signature.
        signature: String,
    },
}

/// A failure to authenticate, with the vendor's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    /// The vendor's code (`SignatureDoesNotMatch`, `IncompleteSignature`, …).
    pub code: &'static str,
    /// What is wrong, never containing a secret.
    pub message: String,
}

impl AuthError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        AuthError { code, message: message.into() }
    }
}

/// The AccessKey id a request names and the scheme it is signed with.
///
/// # Errors
/// `IncompleteSignature` for an `Authorization` header that is not one of the vendor's
/// forms; `MissingParameter` when the request carries no signature at all.
pub fn claim(req: &Signed<'_>) -> Result<(String, Scheme), AuthError> {
    if let Some(auth) = header(req.headers, "authorization") {
        let (alg, rest) = auth.split_once(' ').unwrap_or((auth, ""));
        let fields = auth_fields(rest)?;
        let get = |name: &str| {
            fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).ok_or_else(|| {
                AuthError::new("IncompleteSignature", format!("the Authorization header has no `{name}=`"))
            })
        };
        let credential = get("Credential")?;
        let signed_headers: Vec<String> = get("SignedHeaders")?.split(';').map(str::to_string).collect();
        let signature = get("Signature")?;
        return match alg {
            "ACS3-HMAC-SHA256" => Ok((credential, Scheme::Acs3 { signed_headers, signature })),
            "ACS4-HMAC-SHA256" => {
                let parts: Vec<&str> = credential.split('/').collect();
                match parts.as_slice() {
                    [ak, date, region, product, "aliyun_v4_request"] => Ok((
                        (*ak).to_string(),
                        Scheme::Acs4 {
                            date: (*date).to_string(),
                            region: (*region).to_string(),
                            product: (*product).to_string(),
                            signed_headers,
                            signature,
                        },
                    )),
                    _ => Err(AuthError::new(
                        "IncompleteSignature",
                        "an ACS4 Credential is AccessKeyId/yyyymmdd/region/product/aliyun_v4_request",
                    )),
                }
            }
            other => Err(AuthError::new(
                "IncompleteSignature",
                format!(
                    "the signature algorithm `{}` is not one this endpoint verifies (ACS3-HMAC-SHA256, ACS4-HMAC-SHA256, or RPC v1 HMAC-SHA1 in the query)",
                    kms_share_core::ids::shorten(other)
                ),
            )),
        };
    }
    let param = |name: &str| param(req.query, req.form, name);
    match (param("Signature"), param("AccessKeyId")) {
        (Some(sig), Some(ak)) => {
            if param("SignatureMethod") != Some("HMAC-SHA1") || param("SignatureVersion") != Some("1.0") {
                return Err(AuthError::new(
                    "IncompleteSignature",
                    "an RPC v1 signature needs SignatureMethod=HMAC-SHA1 and SignatureVersion=1.0",
                ));
            }
            Ok((ak.to_string(), Scheme::V1 { signature: sig.to_string() }))
        }
        (None, None) => Err(AuthError::new(
            "MissingParameter",
            "the request is not signed: send an Authorization header (ACS3-HMAC-SHA256) or the RPC v1 Signature and AccessKeyId parameters",
        )),
        _ => Err(AuthError::new("IncompleteSignature", "an RPC v1 request needs both Signature and AccessKeyId")),
    }
}

/// The `k=v` fields of an Authorization header after its algorithm.
fn auth_fields(rest: &str) -> Result<Vec<(String, String)>, AuthError> {
    rest.split(',')
        .map(|f| {
            f.trim().split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| {
                AuthError::new(
                    "IncompleteSignature",
                    "the Authorization header's fields are `Name=value`, comma-separated",
                )
            })
        })
        .collect()
}

/// A header's value (the first, if repeated).
pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A parameter from the query, else the form body.
pub fn param<'p>(query: &'p [(String, String)], form: &'p [(String, String)], name: &str) -> Option<&'p str> {
    query.iter().chain(form.iter()).find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The headers an ACS3/ACS4 signature must cover: the ones that say what the call is.
const MUST_SIGN: &[&str] = &["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"];

/// Check the request's signature against `secret`.
///
/// # Errors
/// `IncompleteSignature` when a header that says what the call is was left unsigned;
/// `SignatureDoesNotMatch` when the recomputed signature differs.
pub fn verify(req: &Signed<'_>, scheme: &Scheme, secret: &str) -> Result<(), AuthError> {
    match scheme {
        Scheme::Acs3 { signed_headers, signature } => {
            let key = secret.as_bytes().to_vec();
            let expected = acs_signature(req, "ACS3-HMAC-SHA256", signed_headers, &key)?;
            compare(&expected, signature)
        }
        Scheme::Acs4 { date, region, product, signed_headers, signature } => {
            let key = acs4_key(secret, date, region, product);
            let expected = acs_signature(req, "ACS4-HMAC-SHA256", signed_headers, &key)?;
            compare(&expected, signature)
        }
        Scheme::V1 { signature } => compare(&v1_signature(req, secret), signature),
    }
}

/// The `Authorization` header an ACS3-HMAC-SHA256 client sends for `req`, signing the
/// headers named in `signed_headers` (sorted, lower case): what the SDKs compute, for
/// clients written in Rust and for the tests.
///
/// # Errors
/// `IncompleteSignature` when `signed_headers` leaves out a header that says what the
/// call is, or names one the request does not carry.
pub fn acs3_authorization(
    req: &Signed<'_>,
    access_key_id: &str,
    secret: &str,
    signed_headers: &[String],
) -> Result<String, AuthError> {
    let signature = acs_signature(req, "ACS3-HMAC-SHA256", signed_headers, secret.as_bytes())?;
    Ok(format!(
        "ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={},Signature={signature}",
        signed_headers.join(";")
    ))
}

fn compare(expected: &str, sent: &str) -> Result<(), AuthError> {
    if expected.len() == sent.len() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes())) {
        Ok(())
    } else {
        Err(AuthError::new(
            "SignatureDoesNotMatch",
            "the request signature does not match: check the AccessKey secret and that the request was not changed after signing",
        ))
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length: the error arm is for fixed-key MACs and never runs
    // here; an empty result would only make the comparison fail.
    let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return Vec::new();
    };
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// The ACS4 signing key: HMAC-SHA256 chained from `aliyun_v4` + secret over the date,
/// region, product and `aliyun_v4_request`.
fn acs4_key(secret: &str, date: &str, region: &str, product: &str) -> Vec<u8> {
    let k = hmac_sha256(format!("aliyun_v4{secret}").as_bytes(), date.as_bytes());
    let k = hmac_sha256(&k, region.as_bytes());
    let k = hmac_sha256(&k, product.as_bytes());
    hmac_sha256(&k, b"aliyun_v4_request")
}

/// The canonical query of ACS3/ACS4: keys sorted, `pct(k)=pct(v)` joined by `&`.
fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    sorted.iter().map(|(k, v)| format!("{}={}", pct(k), pct(v))).collect::<Vec<_>>().join("&")
}

fn acs_signature(req: &Signed<'_>, alg: &str, signed_headers: &[String], key: &[u8]) -> Result<String, AuthError> {
    for must in MUST_SIGN
        .iter()
        .copied()
        .chain(["x-acs-security-token", "x-acs-accesskey-id"].into_iter().filter(|h| header(req.headers, h).is_some()))
    {
        if !signed_headers.iter().any(|h| h == must) {
            return Err(AuthError::new(
                "IncompleteSignature",
                format!("the signature must cover the `{must}` header (SignedHeaders leaves it out)"),
            ));
        }
    }
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let mut values: Vec<&str> = req.headers.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).collect();
        if values.is_empty() {
            return Err(AuthError::new(
                "IncompleteSignature",
                format!(
                    "SignedHeaders names `{}`, which the request does not carry",
                    kms_share_core::ids::shorten(name)
                ),
            ));
        }
        values.sort_unstable();
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        req.path,
        canonical_query(req.query),
        canonical_headers,
        signed_headers.join(";"),
        hex(&sha256(req.body))
    );
    let to_sign = format!("{alg}\n{}", hex(&sha256(canonical.as_bytes())));
    Ok(hex(&hmac_sha256(key, to_sign.as_bytes())))
}

fn v1_signature(req: &Signed<'_>, secret: &str) -> String {
    let mut pairs: Vec<(String, String)> = req
        .query
        .iter()
        .chain(req.form.iter())
        .filter(|(k, _)| k != "Signature")
        .map(|(k, v)| (pct(k), pct(v)))
        .collect();
    pairs.sort();
    let canonical = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let to_sign = format!("{}&%2F&{}", req.method, pct(&canonical));
    let Ok(mut m) = <Hmac<Sha1> as Mac>::new_from_slice(format!("{secret}&").as_bytes()) else {
        return String::new();
    };
    m.update(to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    // The RPC v1 example of the vendor's signature documentation: DescribeRegions with
    // AccessKey `testid` / secret `testsecret`.
    #[test]
    fn v1_matches_the_vendors_documented_example() {
        let q = pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ]);
        let req = Signed { method: "GET", path: "/", query: &q, form: &[], headers: &[], body: b"" };
        assert_eq!(v1_signature(&req, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }

    #[test]
    fn acs3_refuses_a_request_that_leaves_the_action_unsigned() {
        let h = pairs(&[
            ("host", "127.0.0.1"),
            ("x-acs-action", "Encrypt"),
            ("x-acs-version", "2016-01-20"),
            ("x-acs-date", "2026-12-05T00:00:00Z"),
            ("x-acs-signature-nonce", "n"),
        ]);
        let req = Signed { method: "POST", path: "/", query: &[], form: &[], headers: &h, body: b"" };
        let signed: Vec<String> =
            ["host", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"].iter().map(|s| s.to_string()).collect();
        let e = verify(&req, &Scheme::Acs3 { signed_headers: signed, signature: "00".into() }, "s").unwrap_err();
        assert_eq!(e.code, "IncompleteSignature");
        assert!(e.message.contains("x-acs-action"), "{}", e.message);
    }
}
