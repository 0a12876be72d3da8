//! The CONTRACT §3 run report (`nestscope exec --json`), shared by the CLI, the web app and tests.
use crate::cpu::regs::GPR_NAMES;
use crate::machine::{Machine, RunEnd, Stop};
use crate::trace::{Event, EventKind};
use serde_json::{json, Map, Value};

/// At most this many events are listed; `events_total` gives the full count.
pub const MAX_EVENTS: usize = 10_000;

pub fn exit_name(end: &RunEnd) -> &'static str {
    match end {
        RunEnd::Stopped(s) => s.name(),
        RunEnd::Budget => "budget",
    }
}

pub fn event_json(e: &Event) -> Value {
    let mut o = json!({
        "kind": match e.kind { EventKind::Vmrun => "vmrun", EventKind::Vmexit => "vmexit" },
        "from": e.from.name(),
        "to": e.to.name(),
        "exit_code": format!("{:#x}", e.exit_code),
        "step": e.step,
        "rip": format!("{:#x}", e.rip),
    });
    if let Some(d) = e.detail_text() {
        o["detail"] = Value::String(d);
    }
    o
}

/// The JSON object of CONTRACT §3 for a finished (or budget-stopped) run on the hardware models.
pub fn run_json(m: &Machine, end: &RunEnd) -> Value {
    // L1's registers even when the run ends inside a guest (svm/state.rs).
    run_json_with_regs(m, end, &m.outer_regs())
}

/// The CONTRACT §3 object with the outermost program's registers `r`.
pub fn run_json_with_regs(m: &Machine, end: &RunEnd, r: &crate::cpu::Regs) -> Value {
    let mut regs = Map::new();
    for (i, n) in GPR_NAMES.iter().enumerate() {
        regs.insert((*n).to_string(), Value::String(format!("{:#x}", r.gpr[i])));
    }
    regs.insert("rip".into(), Value::String(format!("{:#x}", r.rip)));
    regs.insert("rflags".into(), Value::String(format!("{:#x}", r.rflags)));
    let code = match end {
        RunEnd::Stopped(Stop::DebugExit(v)) => json!(v),
        _ => Value::Null,
    };
    let mut o = json!({
        "exit": exit_name(end),
        "code": code,
        "steps": m.steps,
        "console": String::from_utf8_lossy(&m.console),
        "regs": Value::Object(regs),
        "events": m.events.iter().take(MAX_EVENTS).map(event_json).collect::<Vec<_>>(),
        "events_total": m.events.len(),
    });
    // `console` is text (CONTRACT §3): bytes that are not UTF-8 show as U+FFFD there. Such a
    // console is also given exactly, as lowercase hex of every byte.
    if std::str::from_utf8(&m.console).is_err() {
        o["console_hex"] = Value::String(m.console.iter().map(|b| format!("{b:02x}")).collect());
    }
    if let RunEnd::Stopped(Stop::Shutdown(why)) = end {
        o["shutdown_reason"] = Value::String(why.clone());
    }
    o
}
