//! `exec … --pat-layers`: runs step by step and, before every L2 instruction, records the three
//! PAT layers of each memory access it makes (fetch and data; distinct pages and kinds, at most
//! `MAX_RECORDS`), added to the JSON as `"pat_layers"`.
use crate::commands::report_run;
use crate::Failure;
use nestscope_core::pat_layers::{next_accesses, pat_layers, PatLayers};
use nestscope_core::machine::StepOutcome;
use nestscope_core::mem::memtype::combine::PatLookup;
use nestscope_core::sim::Sim;
use nestscope_core::trace::Level;
use nestscope_core::RunEnd;
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub const MAX_RECORDS: usize = 1000;

fn lookup(p: &PatLookup) -> Value {
    json!({"index": p.index, "pat": format!("{:#018x}", p.pat_msr), "entry": format!("{:#04x}", p.pat_entry), "type": p.mem_type.name()})
}

fn record(step: u64, kind: &str, l: &PatLayers) -> Value {
    json!({
        "step": step,
        "gva": format!("{:#x}", l.gva),
        "access": kind,
        "gpa": format!("{:#x}", l.gpa),
        "spa": format!("{:#x}", l.spa),
        "l2_gpat": lookup(&l.l2_gpat),
        "l1_pat": l.l1_pat.as_ref().map(lookup),
        "l0_pat": l.l0_pat.as_ref().map(lookup),
        "bare_metal": l.bare_metal.as_ref().map(|b| b.result.name()),
        "model": l.model.result.name(),
        "summary": l.summary(),
    })
}

pub fn exec(path: &str, mut sim: Sim, max_steps: u64, json_out: bool) -> Result<u8, Failure> {
    let mut seen = BTreeSet::new();
    let mut records = Vec::new();
    let end = loop {
        if sim.machine().steps >= max_steps {
            break RunEnd::Budget;
        }
        if sim.level() == Level::L2 && records.len() < MAX_RECORDS {
            let step = sim.machine().steps;
            for (gva, acc) in next_accesses(&sim) {
                let kind = if acc.fetch { "fetch" } else if acc.write { "write" } else { "read" };
                if seen.insert((gva >> 12, kind)) && records.len() < MAX_RECORDS
                    && let Ok(l) = pat_layers(&sim, gva, acc)
                {
                    records.push(record(step, kind, &l));
                }
            }
        }
        match sim.step().map_err(|e| Failure::input(format!("{path}: {e}")))? {
            StepOutcome::Stopped(s) => break RunEnd::Stopped(s),
            StepOutcome::Retired => {}
        }
    };
    if json_out {
        let mut j = sim.report(&end);
        j["pat_layers"] = Value::Array(records);
        println!("{j}");
        Ok(0)
    } else {
        report_run(&sim, &end, false)?;
        println!("PAT layers of L2's accesses (distinct pages):");
        for r in &records {
            println!("  step {:>6} {:<5} {:>10}  {}", r["step"], r["access"].as_str().unwrap_or(""), r["gva"].as_str().unwrap_or(""), r["summary"].as_str().unwrap_or(""));
        }
        Ok(0)
    }
}
