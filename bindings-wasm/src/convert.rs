//! Conversions between JavaScript values and the core's types, and the module-level
//! functions that are nothing but a conversion.
//!
//! - Inputs (scenarios, steps, states, decision requests) arrive as plain objects or JSON
//!   text. Objects go through `JSON.stringify` and the core's own serde_json parsing, so every
//!   runtime reads an input with the same parser, the same `deny_unknown_fields` refusals
//!   (serde-wasm-bindgen silently skips unknown keys) and the same recursion limit (a deeply
//!   nested object is an `InvalidParameter`, never a stack overflow).
//! - Results go out two ways. Documents (states, run and step results, access matrices,
//!   what-if previews) as the core's serde_json text through `JSON.parse`: the Rust runner's
//!   document by construction, with no second serializer compiled for these large types.
//!   Decisions, the small results of the hot calls, through serde-wasm-bindgen's
//!   JSON-compatible serializer, which builds the object directly (measured faster in Node
//!   for objects this small). Both routes give the same plain object for the same value.
//! - Errors become real JavaScript `Error`s named `KmsShareError` carrying `code`,
//!   `vendorCode` and `httpStatus`, and where known `rule`, `field`, `decision` and
//!   `accessDeniedDetail`.

use js_sys::JsString;
use kms_share_core::{Error, ErrorCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The result type of every exported function: the error is a thrown `KmsShareError`.
pub(crate) type JsResult<T> = Result<T, JsValue>;

/// A core error as a thrown JavaScript `Error` (`name` `KmsShareError`, `message`, `code`,
/// `vendorCode`, `httpStatus`, and `rule`, `field`, `decision`, `accessDeniedDetail` where
/// the core gives them).
pub(crate) fn throw(e: Error) -> JsValue {
    let js = js_sys::Error::new(&e.message);
    js.set_name("KmsShareError");
    let set = |key: &str, value: &JsValue| {
        // Setting a property on a fresh Error cannot fail; nothing to report if it did.
        let _ = js_sys::Reflect::set(&js, &JsValue::from_str(key), value);
    };
    set("code", &JsValue::from_str(e.code()));
    if let Some(rule) = &e.rule {
        set("rule", &JsValue::from_str(rule.id()));
    }
    if let Some(field) = &e.field {
        set("field", &JsValue::from_str(field));
    }
    if let Some(decision) = &e.decision {
        if let Ok(d) = to_js(decision.as_ref()) {
            set("decision", &d);
        }
    }
    // The vendor's form of the error: its code, HTTP status and, for a denial, the
    // `AccessDeniedDetail` the vendor's SDKs read.
    set("vendorCode", &JsValue::from_str(e.vendor_code()));
    set("httpStatus", &JsValue::from(e.http_status()));
    if let Some(detail) = e.access_denied_detail() {
        let text = kms_share_core::json::text(&kms_share_core::json::ToValue::to_value(&detail));
        if let Ok(d) = js_sys::JSON::parse(&text) {
            set("accessDeniedDetail", &d);
        }
    }
    js.into()
}

/// A decision-sized result (a decision, a batch of them, who-can) as a plain JavaScript
/// value, built property by property by serde-wasm-bindgen's JSON-compatible serializer:
/// the fastest route for the small results of the hot calls.
#[cfg(feature = "engine")]
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> JsResult<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| unrepresentable(&js_message(&e.into())))
}

/// In the module that only decides, decisions take the documents' route too: its size is
/// the point (serde-wasm-bindgen's serializer weighs 10 KB there), and a page's hot calls
/// (`isAllowed`, `allowedActions`, `allowedBatch`) return no object.
#[cfg(not(feature = "engine"))]
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> JsResult<JsValue> {
    doc_to_js(value)
}

/// A document (a state, a run or step result, an access matrix, a what-if preview) as a
/// plain JavaScript value: the core's JSON text, parsed by `JSON.parse`. The object is
/// the Rust runner's document by construction, and these types need no second serializer
/// in the module (serde-wasm-bindgen's code for them weighed 30 KB).
pub(crate) fn doc_to_js<T: Serialize + ?Sized>(value: &T) -> JsResult<JsValue> {
    let text = serde_json::to_string(value).map_err(|e| unrepresentable(&e.to_string()))?;
    js_sys::JSON::parse(&text)
}

fn unrepresentable(why: &str) -> JsValue {
    throw(Error::new(ErrorCode::InvalidState, None, format!("the result cannot be represented in JavaScript: {why}")))
}

#[cfg(feature = "engine")]
/// A plain JavaScript scalar (a seed) through serde-wasm-bindgen's checks.
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue, field: &str) -> Result<T, Error> {
    serde_wasm_bindgen::from_value(value).map_err(|e| Error::invalid(field, None, js_message(&e.into())))
}

/// A document given as JSON text or as a plain object, as JSON text.
pub(crate) fn doc_text(value: &JsValue, field: &str) -> Result<String, Error> {
    let text = match value.dyn_ref::<JsString>() {
        Some(text) => Some(text.clone()),
        None => js_sys::JSON::stringify(value).ok().filter(|s| s.is_string()),
    };
    text.and_then(|t| utf8(&t))
        .ok_or_else(|| Error::invalid(field, None, format!("`{field}` must be a plain object or JSON text")))
}

/// Strings this long (in UTF-16 units) are encoded by the host, not copied by the glue.
const LONG: u32 = 4096;

/// A JavaScript string as Rust text. wasm-bindgen's glue copies a string into the module
/// a character at a time, which is the fastest way for a short one and the slowest for a
/// document: a 10 MB batch of decision requests took 33 ms that way in Node 20, 1 ms
/// through `TextEncoder`. Both write a lone surrogate as U+FFFD.
fn utf8(text: &JsString) -> Option<String> {
    if text.length() < LONG {
        return text.as_string();
    }
    let bytes = ENCODER.with(|e| e.encode(text)).to_vec();
    String::from_utf8(bytes).ok()
}

#[wasm_bindgen]
extern "C" {
    /// The host's `TextEncoder` (UTF-8), in every browser and in Node.
    type TextEncoder;

    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;

    /// The text's UTF-8 bytes.
    #[wasm_bindgen(method)]
    fn encode(this: &TextEncoder, text: &JsString) -> js_sys::Uint8Array;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// A document given as JSON text or as a plain object, parsed by the core's serde.
pub(crate) fn doc<T: DeserializeOwned>(value: &JsValue, field: &str) -> Result<T, Error> {
    let text = doc_text(value, field)?;
    kms_share_core::objects::from_str(&text).map_err(|e| Error::invalid(field, None, format!("{e}")))
}

/// [`doc`] for a JSON value or a state, whose readers need no objects-only wrapper (a
/// value has no struct; a state reads its records from objects only by itself): read by
/// serde_json directly, so their readers are compiled once.
pub(crate) fn doc_plain<T: DeserializeOwned>(value: &JsValue, field: &str) -> Result<T, Error> {
    let text = doc_text(value, field)?;
    serde_json::from_str(&text).map_err(|e| Error::invalid(field, None, format!("{e}")))
}

/// The message of a thrown JavaScript value.
#[cfg(feature = "engine")]
fn js_message(value: &JsValue) -> String {
    js_sys::Reflect::get(value, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "not a valid value".to_string())
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use kms_share_core::authz::{Check, CheckName, Outcome};
    use kms_share_core::{Decision, Effect};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn prop(v: &JsValue, key: &str) -> JsValue {
        js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap()
    }

    #[wasm_bindgen_test]
    fn access_denied_is_a_real_error_carrying_code_rule_and_decision_az1() {
        let decision = Decision {
            effect: Effect::Deny,
            caller: "acs:ram::1000000000000003:user/alice".into(),
            action: "kms:Encrypt".into(),
            resource: "acs:kms:cn-hangzhou:1000000000000002:key/key-a1".into(),
            checks: vec![Check {
                check: CheckName::Ownership,
                outcome: Outcome::Failed,
                rule: kms_share_core::Rule::Sm3,
                detail: "the key belongs to another account".into(),
            }],
            denied_by: Some(CheckName::Ownership),
            undetermined_by: None,
            rule: Some(kms_share_core::Rule::Sm3),
            message: Some("access denied by the ownership check (SM-3)".into()),
            fix: None,
            via_share: None,
        };
        let err = throw(Error::denied(decision));
        let e = err.dyn_ref::<js_sys::Error>().unwrap();
        assert_eq!(String::from(e.name()), "KmsShareError");
        assert_eq!(String::from(e.message()), "access denied by the ownership check (SM-3)");
        assert_eq!(prop(&err, "code").as_string().as_deref(), Some("AccessDenied"));
        assert_eq!(prop(&err, "rule").as_string().as_deref(), Some("SM-3"));
        assert!(prop(&err, "field").is_undefined());
        let d = prop(&err, "decision");
        assert_eq!(prop(&d, "effect").as_string().as_deref(), Some("Deny"));
        assert_eq!(prop(&d, "deniedBy").as_string().as_deref(), Some("ownership"));
        assert!(prop(&d, "fix").is_undefined());
    }

    #[wasm_bindgen_test]
    fn long_text_reads_as_the_glue_reads_it() {
        // Either side of the length where the host's encoder takes over, with text of one,
        // two, three and four UTF-8 bytes per character and a lone surrogate (U+FFFD both ways).
        let unit = js_sys::JSON::parse(r#""{\"k\":\"a\u00e9\u540d\ud83d\ude00\ud800z\"}""#).unwrap();
        let unit: JsString = unit.unchecked_into();
        assert_eq!(unit.length(), 15);
        for reps in [1, 273, 274, 2000] {
            let text = js_sys::Array::new_with_length(reps).fill(&unit, 0, reps).join("");
            assert_eq!(text.length() >= LONG, reps >= 274, "{reps}");
            let read = utf8(&text).unwrap();
            assert_eq!(Some(read.clone()), text.as_string(), "{reps}");
            assert_eq!(read.matches('\u{fffd}').count(), reps as usize);
            assert_eq!(doc_text(&text.into(), "t").unwrap(), read);
        }
        // Objects are written by JSON.stringify and read the same way; `undefined` is refused.
        let big = js_sys::Array::new_with_length(1000).fill(&unit, 0, 1000);
        let text = doc_text(&big.clone().into(), "t").unwrap();
        assert_eq!(Some(text), js_sys::JSON::stringify(&big).unwrap().as_string());
        assert!(doc_text(&JsValue::UNDEFINED, "t").is_err());
    }

    #[wasm_bindgen_test]
    fn invalid_input_names_its_field() {
        let err = throw(Error::invalid("caller", kms_share_core::Rule::Ram1, "`x` is not a RAM identity"));
        assert_eq!(prop(&err, "code").as_string().as_deref(), Some("InvalidParameter"));
        assert_eq!(prop(&err, "field").as_string().as_deref(), Some("caller"));
        assert_eq!(prop(&err, "rule").as_string().as_deref(), Some("RAM-1"));
        assert!(prop(&err, "decision").is_undefined());
    }
}
