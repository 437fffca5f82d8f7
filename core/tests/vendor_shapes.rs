//! The engine's responses against the vendor's models, field by field.
//!
//! `tests/vendor/models.json` holds the response fields (names, nesting, types) of every
//! action of the vendor's SDKs (`tests/vendor/README.md` says where it comes from). Every
//! action the vendor's API has must declare its response (`vendor::response_shape`), each
//! declared field must be one the vendor's model has, at the same place and of the same
//! type, and every response the corpus produces must hold only declared fields.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use kms_share_core::action::{Action, Kind, Product, SPECS};
use kms_share_core::crypto::SeededRng;
use kms_share_core::json::Ty;
use kms_share_core::scenario::{self, RunOptions};
use kms_share_core::vendor::response_shape;
use serde_json::Value;

fn models() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vendor/models.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Where `ours` does not fit `theirs` (a field the vendor's model lacks, or of another
/// type), each as a path.
fn mismatches(ours: &Ty, theirs: &Value, path: &str, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Ty::Any, _) | (_, Value::String(_)) if theirs == "any" => {}
        (Ty::Any, _) => {}
        (Ty::Str, Value::String(t)) if t == "string" => {}
        (Ty::Int, Value::String(t)) if t == "integer" => {}
        (Ty::Bool, Value::String(t)) if t == "boolean" => {}
        (Ty::List(item), Value::Array(items)) if items.len() == 1 => {
            mismatches(item, &items[0], &format!("{path}[]"), out)
        }
        (Ty::Obj(_, fields), Value::Object(model)) => {
            for (name, ty) in fields {
                let at = if path.is_empty() { (*name).to_string() } else { format!("{path}.{name}") };
                match model.get(*name) {
                    Some(t) => mismatches(ty, t, &at, out),
                    None => out.push(format!("{at}: not in the vendor's model")),
                }
            }
        }
        _ => out.push(format!("{path}: ours is {ours:?}, the vendor's {theirs}")),
    }
}

/// The actions of the vendor's API the engine answers.
fn vendor_actions() -> impl Iterator<Item = Action> {
    SPECS.iter().filter(|s| s.product != Product::Simulator && s.kind != Kind::RunnerOnly).map(|s| s.action)
}

#[test]
fn every_vendor_action_declares_a_response_that_the_vendors_model_has() {
    let models = models();
    let mut failures = Vec::new();
    let mut checked = 0;
    for a in vendor_actions() {
        let spec = a.spec();
        let Some(shape) = response_shape(a) else {
            failures.push(format!("{}: no response declared", spec.name));
            continue;
        };
        let Some(model) = models[spec.product.name()]["actions"][spec.name].get("response") else {
            failures.push(format!("{}.{}: not in the vendor's models", spec.product.name(), spec.name));
            continue;
        };
        assert_eq!(models[spec.product.name()]["version"], spec.product.version(), "{}", spec.product.name());
        let mut out = Vec::new();
        mismatches(&shape, model, "", &mut out);
        failures.extend(out.into_iter().map(|m| format!("{}: {m}", spec.name)));
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 45, "only {checked} actions checked");
    // The simulator's own actions have no vendor response to match.
    assert_eq!(response_shape(Action::GetInstanceQuota), None);
}

/// Where a produced value does not fit its declared shape.
fn conforms(value: &Value, ty: &Ty, path: &str, out: &mut Vec<String>) {
    match (ty, value) {
        (Ty::Any, _) | (Ty::Str, Value::String(_)) | (Ty::Bool, Value::Bool(_)) => {}
        (Ty::Int, Value::Number(n)) if n.is_u64() => {}
        (Ty::List(item), Value::Array(items)) => {
            for (i, x) in items.iter().enumerate() {
                conforms(x, item, &format!("{path}[{i}]"), out);
            }
        }
        (Ty::Obj(_, fields), Value::Object(map)) => {
            for (k, v) in map {
                match fields.iter().find(|(n, _)| n == k) {
                    Some((_, t)) => conforms(v, t, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}: not declared")),
                }
            }
        }
        _ => out.push(format!("{path}: {value} is not {ty:?}")),
    }
}

#[test]
fn every_response_of_the_corpus_holds_only_its_declared_fields() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios");
    let mut seen = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap().path();
        let text = std::fs::read_to_string(&f).unwrap();
        let res = scenario::run(&text, Box::new(SeededRng::new(1)), RunOptions::default()).unwrap();
        for s in res.steps.iter().filter(|s| s.ok) {
            let Some(a) = Action::parse(&s.action) else { continue };
            let Some(shape) = response_shape(a) else { continue };
            seen.insert(a);
            let mut out = Vec::new();
            conforms(s.result.as_ref().unwrap(), &shape, "", &mut out);
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            failures.extend(out.into_iter().map(|m| format!("{name} step {} ({}): {m}", s.index, s.action)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let unexercised: Vec<&str> = vendor_actions().filter(|a| !seen.contains(a)).map(|a| a.spec().name).collect();
    assert!(unexercised.is_empty(), "vendor actions no corpus step answers: {unexercised:?}");
}
