//! Build script: generate the TypeScript declarations of the core's JSON types.
//!
//! The output, `$OUT_DIR/types.d.ts`, is included by `src/types.rs` as a wasm-bindgen
//! `typescript_custom_section`, so it lands in every `.d.ts` the package ships. See
//! `tsgen.rs` for how the declarations follow serde's rules.

mod serde_rules;
mod tsgen;

use std::path::PathBuf;

/// The types the binding's functions take or return; everything they use follows.
const ROOTS: &[&str] = &[
    "Scenario",
    "Step",
    "RunResult",
    "StepResult",
    "DecisionRequest",
    "Decision",
    "Allowed",
    "AccessMatrix",
    "State",
    "Error",
    "ErrorCode",
];

/// Named TypeScript types for Rust type expressions the binding returns.
const ALIASES: &[(&str, &str)] = &[("DecisionOutcome", "Result<Decision, Error>")];

/// `Error` would shadow JavaScript's own `Error` in the declarations.
const RENAMES: &[(&str, &str)] = &[("Error", "EngineError")];

fn main() {
    if let Err(e) = run() {
        eprintln!("error: generating TypeScript declarations: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let lib_rs = manifest.join("../core/src/lib.rs");
    let mut seen = Vec::new();
    let model = tsgen::Model::load(&lib_rs, &mut seen)?;
    // The vendor's requests and responses (`request!`, `response!`) are roots too.
    let mut roots: Vec<&str> = ROOTS.to_vec();
    roots.extend(model.vendor_types.iter().map(String::as_str));
    let body = tsgen::Printer::new(&model, RENAMES).print(&roots, ALIASES)?;
    let text = format!(
        "// Generated at build time from the Rust types of kms-share-core (bindings-wasm/build/tsgen.rs).\n\
         // Do not edit: change the Rust type and rebuild.\n{body}"
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?).join("types.d.ts");
    std::fs::write(&out, text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    for p in seen {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    println!("cargo:rerun-if-changed=build");
    Ok(())
}
