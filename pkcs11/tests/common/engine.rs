//! Engine fixtures: the vendor's example organization with its instance made a
//! hardware key management instance, and helpers to run steps.

use std::path::PathBuf;

use kms_share_core::crypto::{OsRng, SeededRng};
use kms_share_core::keystore::KeyBackend;
use kms_share_core::scenario::{self, RunOptions, RunResult, Runner, Scenario, Step, StepResult};
use kms_share_core::Engine;
use serde_json::{json, Value};

pub const SCENARIO_01: &str = include_str!("../../../tests/scenarios/01-dept-a-shares-with-dept-b.json");
/// The instance of scenario 01, the key Department B creates in it, and callers.
pub const INSTANCE: &str = "kst-depta";
pub const KEY: &str = "key-b1";
pub const A_ROOT: &str = "acs:ram::1000000000000002:root";
pub const B_ROOT: &str = "acs:ram::1000000000000003:root";
pub const ALICE: &str = "acs:ram::1000000000000003:user/alice";

/// The corpus directory shared by every runtime.
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios")
}

/// `text` with every instance it creates made a hardware instance (`Kind` absent or
/// `Software` becomes `Hardware`; deliberately bad kinds stay as they are).
pub fn as_hardware(text: &str) -> Scenario {
    let mut v: Value = serde_json::from_str(text).unwrap();
    for step in v["steps"].as_array_mut().unwrap() {
        if step["action"] == "kms:CreateInstance" {
            let params = step["params"].as_object_mut().unwrap();
            let kind = params.get("Kind").and_then(Value::as_str).unwrap_or("Software");
            if kind == "Software" {
                params.insert("Kind".into(), json!("Hardware"));
            }
        }
    }
    scenario::from_value(&v).unwrap()
}

/// Run `sc` on an engine whose hardware instances use `hardware` (the software backend
/// when `None`), with the scenario's seed, as the corpus runner would.
pub fn run(sc: &Scenario, hardware: Option<Box<dyn KeyBackend>>) -> (Runner, RunResult) {
    let mut engine = Engine::new(Box::new(SeededRng::new(sc.seed.unwrap_or(0))));
    if let Some(h) = hardware {
        engine.set_hardware_backend(h);
    }
    let start = kms_share_core::time::parse(sc.start.as_deref().unwrap_or(scenario::DEFAULT_START)).unwrap();
    let mut runner = Runner::with_engine(engine, start);
    let result = runner.run(sc, RunOptions { check_unchanged_on_failure: true });
    (runner, result)
}

/// Scenario 01 with its instance in the token, on an engine with an OS random source
/// (so key ids differ between tests sharing one token).
pub fn org(hardware: Box<dyn KeyBackend>) -> Runner {
    let sc = as_hardware(SCENARIO_01);
    let mut engine = Engine::new(Box::new(OsRng));
    engine.set_hardware_backend(hardware);
    let start = kms_share_core::time::parse(sc.start.as_deref().unwrap()).unwrap();
    let mut runner = Runner::with_engine(engine, start);
    let result = runner.run(&sc, RunOptions::default());
    assert!(result.passed, "{}", scenario::to_json(&result));
    runner
}

/// One more step; `at` (`YYYY-MM-DDTHH:MM:SSZ`) moves the clock.
pub fn step(r: &mut Runner, caller: &str, action: &str, params: Value) -> StepResult {
    step_at(r, caller, action, params, None)
}

pub fn step_at(r: &mut Runner, caller: &str, action: &str, params: Value, at: Option<&str>) -> StepResult {
    let mut s = json!({ "caller": caller, "action": action, "params": params });
    if let Some(at) = at {
        s["at"] = json!(at);
    }
    let s: Step = serde_json::from_value(s).unwrap();
    r.run_step(0, &s, RunOptions::default())
}

/// The result document of a step that must succeed.
pub fn ok(s: StepResult) -> Value {
    assert!(s.ok, "{} failed: {:?}", s.action, s.error);
    s.result.unwrap()
}

/// The key-version handles of `key` in the engine's state.
pub fn handles(r: &Runner, key: &str) -> Vec<String> {
    let id = kms_share_core::ids::KeyId::parse(key).unwrap();
    r.engine().state().keys.get(&id).unwrap().versions.iter().map(|v| v.handle.to_string()).collect()
}
