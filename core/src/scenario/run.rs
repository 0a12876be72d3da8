//! Running a program under a model and checking a scenario's expectations against the CONTRACT
//! report (the same JSON `nestscope exec --json` prints).
#![warn(missing_docs)]
use super::format::{Expectation, MachineConfig, Migrate, Scenario};
use crate::hv::gpat::Design;
use crate::hv::nested_state::SaveOrder;
use crate::hv::L0Config;
use crate::model::Model;
use crate::sim::Sim;
use serde_json::Value;

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

/// L0's configuration from a scenario's machine section.
pub fn l0_config(cfg: &MachineConfig) -> Result<L0Config, RunError> {
    let mut l0 = L0Config::default();
    if let Some(p) = &cfg.l0_pat {
        l0.pat = parse_u64(p).ok_or_else(|| RunError(format!("machine.l0_pat: `{p}` is not a number")))?;
    }
    Ok(l0)
}

/// A scenario's `migrate` of a run under design `own` (`to` defaults to `own`, `order` to
/// msrs-first).
pub fn migrate_plan(mg: &Migrate, own: Design) -> Result<crate::compare::MigratePlan, RunError> {
    let to = match &mg.to {
        Some(t) => Design::from_name(t).ok_or_else(|| RunError(format!("migrate.to: `{t}` is not a kvm-* model")))?,
        None => own,
    };
    let order = match &mg.order {
        Some(o) => SaveOrder::from_name(o).ok_or_else(|| RunError(format!("migrate.order: `{o}`")))?,
        None => SaveOrder::MsrsFirst,
    };
    Ok(crate::compare::MigratePlan { at: mg.at, to, order })
}

/// Runs a program, optionally with a KVM userspace save/restore at some step (CONTRACT
/// `--migrate-at`), and returns the CONTRACT report (with `migration` when one happened).
pub fn run_with(program: &[u8], model: Model, cfg: &MachineConfig, mig: Option<&Migrate>) -> Result<Value, RunError> {
    let mut sim = Sim::new(program, cfg.mem_mib, model, &l0_config(cfg)?).map_err(|e| RunError(e.to_string()))?;
    let Some(mg) = mig else {
        let end = sim.run(cfg.max_steps).map_err(|e| RunError(e.to_string()))?;
        return Ok(sim.report(&end));
    };
    let Sim::Kvm(k) = &mut sim else {
        return Err(RunError(format!("a migration needs a kvm-* model, not `{model}`")));
    };
    let crate::compare::MigratePlan { to, order, .. } = migrate_plan(mg, k.design)?;
    let end = k.run(mg.at.min(cfg.max_steps)).map_err(|e| RunError(e.to_string()))?;
    if k.m.stopped.is_some() || k.m.steps < mg.at {
        return Ok(sim.report(&end));
    }
    let (new, m) = crate::hv::migrate::migrate(k, to, order).map_err(|e| RunError(format!("migration failed: {}", e.0)))?;
    let mut sim = Sim::Kvm(Box::new(new));
    let end = sim.run(cfg.max_steps).map_err(|e| RunError(e.to_string()))?;
    let mut j = sim.report(&end);
    j["migration"] = serde_json::to_value(&m).map_err(|e| RunError(e.to_string()))?;
    Ok(j)
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
    if let Some(lost) = &exp.lost {
        let got: Vec<String> = report["migration"]["lost"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        // A run without the save/restore has lost nothing, but says nothing of what the restore
        // loses either: that is its own mismatch, not "expected [], got []".
        if report.get("migration").is_none() {
            out.push(format!("lost: expected {lost:?} from a save/restore, but the run did no save/restore"));
        } else if &got != lost {
            out.push(format!("lost: expected {lost:?}, got {got:?}"));
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
    /// The scenario's name.
    pub scenario: String,
    /// The model it ran under.
    pub model: Model,
    /// `Err` when the run could not happen at all.
    pub report: Result<Value, RunError>,
    /// Each expectation the report did not meet, as a sentence.
    pub mismatches: Vec<String>,
}

impl Check {
    /// True when the run happened and met every expectation.
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
            let report = program.clone().and_then(|p| run_with(&p, *model, &s.machine, exp.migrate.as_ref()));
            let mismatches = report.as_ref().map(|r| mismatches(r, exp)).unwrap_or_default();
            Check { scenario: s.name.clone(), model: *model, report, mismatches }
        })
        .collect()
}
