//! `exec … --exits`: runs step by step and attributes every world switch (core
//! `inspect::attribution`): its cause (MSR and direction, port and size, #NPF address and bits),
//! who handled it (hardware → L1; L0 itself or reflected to L1) and which intercept or MSRPM/IOPM
//! bit decided, with the bit's address in the map. Added to the JSON as `"exits"` (the first
//! `MAX_RECORDS`); the human output prints one line per switch.
use crate::commands::report_run;
use crate::Failure;
use nestscope_core::inspect::attribution::{Attribution, attribute_step};
use nestscope_core::machine::StepOutcome;
use nestscope_core::sim::Sim;
use nestscope_core::trace::{EventKind, Level};
use nestscope_core::RunEnd;
use serde_json::{json, Value};

pub const MAX_RECORDS: usize = 10_000;

fn record(sim: &Sim, a: &Attribution) -> Value {
    let e = sim.machine().events.get(a.event);
    json!({
        "event": a.event,
        "step": e.map(|e| e.step),
        "kind": e.map(|e| format!("{:?}", e.kind)),
        "from": e.map(|e| e.from.name()),
        "to": e.map(|e| e.to.name()),
        "exit_code": format!("{:#x}", a.exit_code),
        "cause": a.cause.describe(a.exit_code),
        "handled": a.handler.describe(),
        "decided_by": a.decisive().map(|c| c.describe()),
        "checks": a.lines(),
        "summary": a.summary(),
    })
}

pub fn exec(path: &str, mut sim: Sim, max_steps: u64, json_out: bool) -> Result<u8, Failure> {
    let mut records = Vec::new();
    // L1's most recent VMRUN, followed as events come (Sim::vmcbs would scan the log each time).
    let mut last_vmrun = sim.last_vmrun_vmcb();
    let end = loop {
        if sim.machine().steps >= max_steps {
            break RunEnd::Budget;
        }
        let n = sim.machine().events.len();
        let out = sim.step().map_err(|e| Failure::input(format!("{path}: {e}")))?;
        let events = &sim.machine().events;
        for e in (n..events.len()).filter_map(|i| events.get(i)) {
            if e.kind == EventKind::Vmrun && e.from == Level::L1 {
                last_vmrun = e.detail.as_ref().and_then(|d| d.vmrun_vmcb()).or(last_vmrun);
            }
        }
        if sim.machine().events.len() > n && records.len() < MAX_RECORDS {
            for a in attribute_step(&sim, n, &sim.vmcbs_given(last_vmrun)) {
                records.push(record(&sim, &a));
            }
        }
        if let StepOutcome::Stopped(s) = out {
            break RunEnd::Stopped(s);
        }
    };
    records.truncate(MAX_RECORDS);
    if json_out {
        let mut j = sim.report(&end);
        j["exits"] = Value::Array(records);
        println!("{j}");
    } else {
        report_run(&sim, &end, false)?;
        println!("world switches, who handled them and which bit decided:");
        let events: Vec<_> = (0..sim.machine().events.len().min(records.len())).filter_map(|i| sim.machine().events.get(i)).collect();
        let runs = nestscope_core::inspect::l0_runs::l0_runs(events.iter().copied());
        for (k, r) in records.iter().enumerate() {
            if let Some(run) = runs.iter().find(|g| g.first == k) {
                println!("  -- #{}..#{}: {} (steps {}..{})", k, k + run.len - 1, run.summary(), run.steps.0, run.steps.1);
            }
            println!(
                "  #{:<4} step {:>6} {}→{}: {}",
                r["event"],
                r["step"],
                r["from"].as_str().unwrap_or("?"),
                r["to"].as_str().unwrap_or("?"),
                r["summary"].as_str().unwrap_or("")
            );
        }
    }
    Ok(0)
}
