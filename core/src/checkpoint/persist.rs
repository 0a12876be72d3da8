//! Conversion between the live machine and the persisted records, and v1 (JSON) `save` / `load`.
use super::format::*;
use super::records::Persist;
use super::state::*;
use crate::cpu::Cpu;
use crate::machine::{Machine, Stop};
use crate::model::Model;
use crate::sim::Sim;
use crate::mem::phys::PAGE_SIZE;
use crate::mem::{Hpa, PhysMem};
use crate::trace::{Detail, Event, EventKind, FailedCheck, Level};

fn level(l: Level) -> String {
    l.name().to_string()
}
fn unlevel(s: &str) -> Result<Level, CheckpointError> {
    match s {
        "L0" => Ok(Level::L0),
        "L1" => Ok(Level::L1),
        "L2" => Ok(Level::L2),
        _ => Err(CheckpointError::Invalid(format!("events: unknown level {}", quote(s)))),
    }
}

fn detail_record(d: &Detail) -> Option<DetailRecord> {
    match d {
        Detail::Vmrun { vmcb, emulated_by } => {
            Some(DetailRecord::Vmrun { vmcb: vmcb.0, emulated_by: emulated_by.map(str::to_string) })
        }
        Detail::VmrunFailed(c) => Some(DetailRecord::VmrunFailed {
            check: c.name.to_string(),
            apm_section: c.apm_section.to_string(),
            detail: c.detail.clone(),
        }),
        Detail::Name(_) | Detail::Text(_) => None,
    }
}

/// An event's detail from its text and data. Without data (version 1 files, and version 2 files
/// written before details were structured), a text that is the exit code's name is that name (as
/// recorded), anything else text.
fn detail_of(text: &str, data: Option<&DetailRecord>, exit_code: u64) -> Result<Detail, CheckpointError> {
    let bad = |why: String| CheckpointError::Field { field: "events.detail_data".into(), why };
    let d = match data {
        None => {
            let name = crate::svm::SvmExitCode(exit_code).name();
            return Ok(if name == text { Detail::Name(name) } else { Detail::Text(text.to_string()) });
        }
        Some(DetailRecord::Vmrun { vmcb, emulated_by }) => {
            let emulated_by = match emulated_by {
                None => None,
                Some(n) => Some(crate::hv::gpat::Design::from_name(n).ok_or_else(|| bad(format!("{} is not an L0 design", quote(n))))?.name()),
            };
            Detail::Vmrun { vmcb: Hpa(*vmcb), emulated_by }
        }
        Some(DetailRecord::VmrunFailed { check, apm_section, detail }) => {
            let (name, sec, _) = crate::svm::checks::CHECKS
                .iter()
                .find(|c| c.0 == check && c.1 == apm_section)
                .ok_or_else(|| bad(format!("no consistency check {} (APM {})", quote(check), quote(apm_section))))?;
            Detail::VmrunFailed(FailedCheck { name, apm_section: sec, detail: detail.clone() })
        }
    };
    if d.to_string() != text {
        return Err(bad(format!("the text {} does not match its data {}", quote(text), quote(&d.to_string()))));
    }
    Ok(d)
}

/// The persisted form of a machine; `pages`: v1's list of every non-zero page (v2 stores memory
/// apart, see v2.rs).
pub fn to_record(m: &Machine, model: Model, pages: bool) -> MachineRecord {
    let c = &m.cpu;
    MachineRecord {
        model: model.name().to_string(),
        mem_mib: m.mem.size() >> 20,
        steps: m.steps,
        console: Bytes(m.console.clone()),
        stopped: m.stopped.as_ref().map(|s| match s {
            Stop::Halt => StopRecord::Halt,
            Stop::DebugExit(code) => StopRecord::DebugExit { code: *code },
            Stop::Shutdown(reason) => StopRecord::Shutdown { reason: reason.clone() },
            Stop::ModelLimit(crate::outcome::ModelLimit::L2HaltForever { rip }) => StopRecord::L2HaltForever { rip: *rip },
        }),
        events: m
            .events
            .iter()
            .map(|e| EventRecord {
                kind: match e.kind {
                    EventKind::Vmrun => "vmrun".into(),
                    EventKind::Vmexit => "vmexit".into(),
                },
                from: level(e.from),
                to: level(e.to),
                exit_code: e.exit_code,
                step: e.step,
                rip: e.rip,
                detail: e.detail_text(),
                detail_data: e.detail.as_ref().and_then(detail_record),
            })
            .collect(),
        events_total: (m.events.dropped() > 0).then_some(m.events.len() as u64),
        cpu: c.save(),
        pages: if pages {
            m.mem.pages().filter(|(_, p)| p.iter().any(|&b| b != 0)).map(|(pn, p)| PageRecord { page: pn, data: Bytes(p.to_vec()) }).collect()
        } else {
            Vec::new()
        },
        svm: Some(m.svm.save()),
        l0: None,
        interrupts: interrupt_record(m),
        uart: Some(m.devices.uart.save()).filter(|u| *u != crate::devices::uart::UartState::default()),
        fw_cfg: m.devices.fw_cfg.as_ref().map(Persist::save),
        rep_resume: m.rep_resume.map(|(a, b, c, d)| [a, b, c, d]),
        boot: None,
    }
}

/// The interrupt state, `None` when it is the power-on one (so files of programs that never use
/// the APIC stay as they were).
fn interrupt_record(m: &Machine) -> Option<InterruptRecord> {
    let r = InterruptRecord {
        apic: m.devices.apic.save(),
        halted: m.halted,
        nmi_blocked: m.nmi_blocked,
        shadow: m.in_interrupt_shadow(),
    };
    let reset = InterruptRecord { apic: crate::devices::apic::LocalApic::default().save(), halted: false, nmi_blocked: false, shadow: false };
    (r != reset).then_some(r)
}

/// The persisted form of a run under any model.
pub fn sim_record(sim: &Sim, pages: bool) -> MachineRecord {
    let mut rec = to_record(sim.machine(), sim.model(), pages);
    if let Sim::Kvm(k) = sim {
        rec.l0 = Some(super::records::l0::save(k));
    }
    rec
}

/// Rebuilds a run under any model from its (validated, see validate.rs) record and its RAM.
pub fn sim_from_record(rec: &MachineRecord, mem: PhysMem) -> Result<Sim, CheckpointError> {
    let inv = CheckpointError::Invalid;
    super::validate::record(rec)?;
    let m = from_record(rec, mem)?;
    let model: Model = rec.model.parse().map_err(|e: crate::model::UnknownModel| CheckpointError::Field { field: "model".into(), why: e.to_string() })?;
    match &rec.l0 {
        None => {
            if model.is_l0() {
                return Err(CheckpointError::Field { field: "l0".into(), why: format!("model {} needs an `l0` section", quote(&rec.model)) });
            }
            Ok(Sim::Hw(m))
        }
        Some(l) => {
            let design = crate::hv::gpat::Design::restore(&l.design).map_err(inv)?;
            if model != Model::L0(design) {
                return Err(CheckpointError::Field { field: "l0.design".into(), why: format!("{} but the model is {}", design.name(), quote(&rec.model)) });
            }
            let layout = crate::hv::layout::Layout::new(l.l1_mem_mib << 20); // bounded by validate::record
            if layout.host_mem != m.mem.size() {
                return Err(CheckpointError::Invalid(format!(
                    "L1 memory {} MiB does not match host memory {} MiB",
                    l.l1_mem_mib,
                    rec.mem_mib
                )));
            }
            Ok(Sim::Kvm(Box::new(super::records::l0::restore(l, m).map_err(inv)?)))
        }
    }
}

/// v1's RAM: the record's page list (each page once, inside RAM, 4096 bytes).
pub fn v1_memory(rec: &MachineRecord) -> Result<PhysMem, CheckpointError> {
    let inv = |s: String| CheckpointError::Field { field: "pages".into(), why: s };
    if !(2..=MAX_MEM_MIB).contains(&rec.mem_mib) {
        return Err(CheckpointError::Field { field: "mem_mib".into(), why: format!("{} is not 2..={MAX_MEM_MIB}", rec.mem_mib) });
    }
    let mut mem = PhysMem::new(rec.mem_mib << 20);
    let mut last = None;
    for p in &rec.pages {
        if p.data.0.len() != PAGE_SIZE {
            return Err(inv(format!("page {:#x} has {} bytes, not {PAGE_SIZE}", p.page, p.data.0.len())));
        }
        if last.is_some_and(|l| p.page <= l) {
            return Err(inv(format!("page {:#x} is out of order or repeated", p.page)));
        }
        last = Some(p.page);
        let addr = p.page.checked_mul(PAGE_SIZE as u64).ok_or_else(|| inv(format!("page number {:#x}", p.page)))?;
        mem.write(Hpa(addr), &p.data.0).map_err(|_| inv(format!("page {:#x} lies outside {} MiB of RAM", p.page, rec.mem_mib)))?;
    }
    Ok(mem)
}

/// Rebuilds a live machine from its record and RAM. Caches (TLB, decoded instructions) start
/// empty.
pub fn from_record(rec: &MachineRecord, mem: PhysMem) -> Result<Machine, CheckpointError> {
    let inv = |s: String| CheckpointError::Invalid(s);
    if mem.size() != rec.mem_mib << 20 {
        return Err(CheckpointError::Field { field: "mem_mib".into(), why: format!("{} MiB but the memory holds {} bytes", rec.mem_mib, mem.size()) });
    }
    let mut m = Machine::new(&[0x90], rec.mem_mib).map_err(|e| CheckpointError::Field { field: "mem_mib".into(), why: e.to_string() })?;
    // Machine::new laid out the CONTRACT tables; a checkpoint replaces all of RAM.
    m.mem = mem;
    m.cpu = Cpu::restore(&rec.cpu).map_err(inv)?;
    m.p.refresh_trace();
    m.steps = rec.steps;
    m.console = rec.console.0.clone();
    if let Some(f) = &rec.fw_cfg {
        m.devices.fw_cfg = Some(crate::devices::fw_cfg::FwCfg::restore(f).map_err(inv)?);
    }
    m.rep_resume = rec.rep_resume.map(|[a, b, c, d]| (a, b, c, d));
    if let Some(u) = &rec.uart {
        m.devices.uart = crate::devices::uart::Uart::restore(u);
    }
    if let Some(i) = &rec.interrupts {
        m.devices.apic = crate::devices::apic::LocalApic::restore(&i.apic).map_err(inv)?;
        m.halted = i.halted;
        m.nmi_blocked = i.nmi_blocked;
        if i.shadow {
            m.shadow_step = m.steps;
        }
    }
    m.stopped = rec.stopped.as_ref().map(|s| match s {
        StopRecord::Halt => Stop::Halt,
        StopRecord::DebugExit { code } => Stop::DebugExit(*code),
        StopRecord::Shutdown { reason } => Stop::Shutdown(reason.clone()),
        StopRecord::L2HaltForever { rip } => Stop::ModelLimit(crate::outcome::ModelLimit::L2HaltForever { rip: *rip }),
    });
    let kept: Vec<Event> = rec
        .events
        .iter()
        .map(|e| {
            Ok(Event {
                kind: match e.kind.as_str() {
                    "vmrun" => EventKind::Vmrun,
                    "vmexit" => EventKind::Vmexit,
                    k => return Err(inv(format!("events: unknown kind {}", quote(k)))),
                },
                from: unlevel(&e.from)?,
                to: unlevel(&e.to)?,
                exit_code: e.exit_code,
                step: e.step,
                rip: e.rip,
                detail: e.detail.as_ref().map(|t| detail_of(t, e.detail_data.as_ref(), e.exit_code)).transpose()?,
            })
        })
        .collect::<Result<_, _>>()?;
    let total = match rec.events_total {
        None => kept.len(),
        Some(t) => usize::try_from(t).map_err(|_| inv(format!("events_total: {t} is too large")))?,
    };
    m.events = crate::trace::EventLog::from_kept(kept, total).map_err(|e| inv(format!("events: {e}")))?;
    if let Some(svm) = &rec.svm {
        m.svm = crate::svm::SvmState::restore(svm).map_err(inv)?;
    }
    m.flush_tlb();
    Ok(m)
}

/// Serializes a run under any model into a v1 checkpoint document (JSON; for comparison and for
/// v1 fixtures: this build writes v2, see v2.rs).
#[allow(clippy::expect_used, reason = "plain derived records (string keys only) always serialize")]
pub fn save_v1(sim: &Sim) -> String {
    let state = serde_json::to_value(sim_record(sim, true)).expect("records serialize");
    let env = Envelope { format: FORMAT_NAME.into(), version: 1, checksum: checksum_of(&state), state };
    serde_json::to_string_pretty(&env).expect("envelope serializes")
}

/// A v1 document read strictly: duplicate keys are refused (serde's derive does that; a
/// `serde_json::Value` would keep the last one silently).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictEnvelope {
    #[allow(dead_code)]
    format: String,
    #[allow(dead_code)]
    version: u32,
    #[allow(dead_code)]
    checksum: String,
    state: MachineRecord,
}

/// Parses and checks a v1 document (checksum first) into its record.
pub fn parse_v1(text: &str) -> Result<MachineRecord, CheckpointError> {
    if text.len() > MAX_V1_BYTES {
        return Err(CheckpointError::TooLarge { bytes: text.len() as u64, max: MAX_V1_BYTES as u64 });
    }
    let v: serde_json::Value = serde_json::from_slice(text.as_bytes()).map_err(|e| CheckpointError::NotJson(e.to_string()))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT_NAME) {
        return Err(CheckpointError::NotACheckpoint);
    }
    let env: Envelope = serde_json::from_value(v).map_err(|e| CheckpointError::Invalid(e.to_string()))?;
    if env.version != 1 {
        return Err(CheckpointError::UnsupportedVersion { found: env.version });
    }
    let computed = checksum_of(&env.state);
    if computed != env.checksum {
        return Err(CheckpointError::ChecksumMismatch { stored: env.checksum, computed });
    }
    drop(env);
    // from_slice, as v2.rs and share.rs read: one instantiation of the records' deserializers.
    let strict: StrictEnvelope = serde_json::from_slice(text.as_bytes()).map_err(|e| CheckpointError::Invalid(e.to_string()))?;
    Ok(strict.state)
}
