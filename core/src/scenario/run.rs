//! Running a program under a model and checking a scenario's expectations against the CONTRACT
//! report (the same JSON `nestscope exec --json` prints).
use super::format::{Expectation, MachineConfig, Scenario};
use crate::machine::Machine;
use crate::report;
use serde_json::Value;

/// Models this build can run.
pub const AVAILABLE_MODELS: &[&str] = &["bare"];

/// Why a run could not happen (bad input, not a failed expectation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Assembles `source` (or reports the first error with its line and column).
pub fn assemble(source: &str) -> Result<Vec<u8>, RunError> {
    crate::asm::assemble(source).map(|a| a.bytes).map_err(|e| RunError(format!("assembler: {e}")))
}

/// Runs a program under `model` and returns the CONTRACT report.
pub fn run_program(program: &[u8], model: &str, cfg: &MachineConfig) -> Result<Value, RunError> {
    if !AVAILABLE_MODELS.contains(&model) {
        return Err(RunError(format!("model `{model}` is not available yet (available: {})", AVAILABLE_MODELS.join(", "))));
    }
    let mut m = Machine::new(program, cfg.mem_mib).map_err(|e| RunError(e.to_string()))?;
    let end = m.run(cfg.max_steps).map_err(|e| RunError(e.to_string()))?;
    Ok(report::run_json(&m, &end))
}

/// The compact form of a report event used in scenario files.
pub fn compact_event(e: &Value) -> String {
    let kind = e["kind"].as_str().unwrap_or("?");
    let mut s = format!("{kind} {}->{}", e["from"].as_str().unwrap_or("?"), e["to"].as_str().unwrap_or("?"));
    if kind == "vmexit" {
        s.push(' ');
        s.push_str(e["exit_code"].as_str().unwrap_or("?"));
    }
    s
}

/// Every difference between a report and an expectation, as human-readable lines.
pub fn mismatches(report: &Value, exp: &Expectation) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(x) = &exp.exit
        && report["exit"] != x.as_str()
    {
        out.push(format!("exit: expected {x}, got {}", report["exit"]));
    }
    if let Some(c) = exp.code
        && report["code"] != c
    {
        out.push(format!("code: expected {c}, got {}", report["code"]));
    }
    if let Some(c) = &exp.console
        && report["console"] != c.as_str()
    {
        out.push(format!("console: expected {c:?}, got {}", report["console"]));
    }
    if let Some(s) = exp.steps
        && report["steps"] != s
    {
        out.push(format!("steps: expected {s}, got {}", report["steps"]));
    }
    for (r, v) in &exp.regs {
        let want = parse_u64(v);
        let got = report["regs"][r].as_str().and_then(parse_u64);
        if want.is_none() || want != got {
            out.push(format!("{r}: expected {v}, got {}", report["regs"][r]));
        }
    }
    if let Some(evs) = &exp.events {
        let got: Vec<String> = report["events"].as_array().map(|a| a.iter().map(compact_event).collect()).unwrap_or_default();
        if &got != evs {
            out.push(format!("events: expected {evs:?}, got {got:?}"));
        }
    }
    out
}

fn parse_u64(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(&h.replace('_', ""), 16).ok(),
        None => s.parse().ok(),
    }
}

/// The result of checking one scenario under one model.
#[derive(Clone, Debug)]
pub struct Check {
    pub scenario: String,
    pub model: String,
    /// `Err` when the run could not happen at all.
    pub report: Result<Value, RunError>,
    pub mismatches: Vec<String>,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.report.is_ok() && self.mismatches.is_empty()
    }
}

/// Checks every expectation of a scenario.
pub fn check(s: &Scenario) -> Vec<Check> {
    let program = assemble(&s.source);
    s.expect
        .iter()
        .map(|(model, exp)| {
            let report = program.clone().and_then(|p| run_program(&p, model, &s.machine));
            let mismatches = report.as_ref().map(|r| mismatches(r, exp)).unwrap_or_default();
            Check { scenario: s.name.clone(), model: model.clone(), report, mismatches }
        })
        .collect()
}
