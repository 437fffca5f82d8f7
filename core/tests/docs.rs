//! Generated documents stay in step with the code they come from: `docs/rules.md` from
//! [`Rule`]. A stale document fails the test; `UPDATE_DOCS=1` rewrites it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

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

/// `docs/scenario-format.md` names every action of the table (`core/src/action.rs`), in
/// the form a scenario writes it, and no action the table lacks.
#[test]
fn the_scenario_format_lists_every_action_of_the_table() {
    use kms_share_core::action::{Action, SPECS};
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/scenario-format.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let missing: Vec<&str> = SPECS
        .iter()
        .filter(|s| {
            !doc.contains(&format!("`{}", s.name)) && (s.ram.is_empty() || !doc.contains(&format!("`{}", s.ram)))
        })
        .map(|s| s.name)
        .collect();
    assert!(missing.is_empty(), "actions docs/scenario-format.md does not list: {missing:?}");
    // Every `kms:Name` the document names is an action.
    let unknown: Vec<&str> = doc
        .match_indices("`kms:")
        .map(|(i, _)| {
            let rest = &doc[i + 1..];
            &rest[..rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == ':')).unwrap_or(rest.len())]
        })
        .filter(|a| a.len() > 4 && Action::parse_ram(a).is_none())
        .collect();
    assert!(unknown.is_empty(), "docs/scenario-format.md names no such actions: {unknown:?}");
}

/// The vendor's responses as Python typed dictionaries: one class per response type (an
/// absent optional field is left out, so every key may be missing), and `RESPONSES`, the
/// class of each action's response.
fn python_vendor_types() -> String {
    use kms_share_core::action::SPECS;
    use kms_share_core::json::Ty;
    use kms_share_core::vendor::response_shape;
    use std::collections::BTreeMap;
    use std::fmt::Write as _;

    fn py(
        ty: &Ty,
        classes: &mut BTreeMap<&'static str, BTreeMap<&'static str, String>>,
        order: &mut Vec<&'static str>,
    ) -> String {
        match ty {
            Ty::Str => "str".into(),
            Ty::Int => "int".into(),
            Ty::Bool => "bool".into(),
            Ty::Any => "Any".into(),
            Ty::List(item) => format!("List[{}]", py(item, classes, order)),
            Ty::Obj(name, fields) => {
                if !classes.contains_key(name) {
                    order.push(name);
                }
                classes.entry(name).or_default();
                for (field, t) in fields {
                    let t = py(t, classes, order);
                    classes.get_mut(name).unwrap().insert(field, t);
                }
                (*name).to_string()
            }
        }
    }
    let mut classes = BTreeMap::new();
    let mut order = Vec::new();
    let mut map = Vec::new();
    for spec in SPECS {
        if let Some(shape) = response_shape(spec.action) {
            map.push((spec.name, py(&shape, &mut classes, &mut order)));
        }
    }
    let mut out = String::from(
        "\"\"\"The vendor's responses, as typed dictionaries.\n\n\
         Generated from the core's response types by `core/tests/docs.rs` (`UPDATE_DOCS=1 cargo test\n\
         -p kms-share-core --test docs`); do not edit. An absent optional field is left out of a\n\
         response, so every key may be missing. `RESPONSES` names the class of each action's\n\
         response: `typing.cast(vendor_types.KeyMetadataResponse, org.call(...))`.\n\"\"\"\n\n\
         from __future__ import annotations\n\nfrom typing import Any, Dict, List, TypedDict\n",
    );
    for name in &order {
        let _ = write!(out, "\n\nclass {name}(TypedDict, total=False):\n");
        let fields = &classes[name];
        if fields.is_empty() {
            out.push_str("    pass\n");
        }
        for (field, t) in fields {
            let _ = writeln!(out, "    {field}: {t}");
        }
    }
    out.push_str("\n\n#: The class of each vendor action's response, by the vendor's action name.\nRESPONSES: Dict[str, str] = {\n");
    for (action, class) in map {
        let _ = writeln!(out, "    \"{action}\": \"{class}\",");
    }
    out.push_str("}\n");
    out
}

#[test]
fn python_vendor_types_are_generated_from_the_response_types() {
    check("bindings-python/python/kms_share/vendor_types.py", &python_vendor_types());
}
