//! Lockstep comparison: one program under two models, instruction by instruction. At every
//! instruction that L1 or L2 retires, what that level observes — its level and RIP, the GPRs,
//! RIP and RFLAGS after the instruction, the guest memory it wrote and the console — must be the
//! same under both models; the first difference is reported with its context. Exits that only
//! L0 sees (shadow NPT fills, write-protection faults) retire nothing and are skipped.
use crate::cpu::Regs;
use crate::hv::L0Config;
use crate::machine::LoadError;
use crate::model::Model;
use crate::sim::Sim;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one level observed at one retired instruction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Observation {
    pub step: u64,
    pub level: String,
    pub rip: u64,
    pub instruction: String,
    #[serde(skip)]
    pub regs: Regs,
    /// Guest-physical byte address → value, for every byte written (below L1's RAM size).
    #[serde(skip)]
    pub writes: BTreeMap<u64, u8>,
    /// Console bytes written by this instruction, and the console's length after it: the runs
    /// agreed on everything before, so this compares whole consoles in time proportional to the
    /// new output, not to the console (which can be megabytes).
    pub console_new: Vec<u8>,
    pub console_len: usize,
    pub ended: Option<String>,
    /// What is compared of the end: `ended`, except that a shutdown (triple fault) is the same
    /// architectural end whoever reports it (the hardware names the faults; an L0 only sees its
    /// guest's SHUTDOWN exit, robustness D7).
    #[serde(skip)]
    pub end_key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    pub step: u64,
    pub level: String,
    pub rip: String,
    pub instruction: String,
    /// One line per difference: "rax: 0x… vs 0x…", "memory 0x1000: 06 vs 04", "console …".
    pub differences: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub models: [Model; 2],
    /// Retired instructions compared.
    pub steps: u64,
    pub agree: bool,
    pub divergence: Option<Divergence>,
    /// How each run ended ("debug-exit 0", "halt", "budget", …).
    pub ends: [String; 2],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompareError {
    Setup(LoadError),
    Emulator(String),
}

impl std::fmt::Display for CompareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompareError::Setup(e) => write!(f, "{e}"),
            CompareError::Emulator(e) => write!(f, "{e}"),
        }
    }
}

/// Exits L0 may take in a row before an instruction retires (a runaway L0 is a bug, not a hang).
const MAX_INVISIBLE: u32 = crate::hv::l0::MAX_EXITS_WITHOUT_RETIRE;

fn instruction_at(sim: &Sim, rip: u64) -> String {
    let Some(bytes) = crate::inspect::memory::code_bytes(sim.machine(), rip) else { return "(not mapped)".into() };
    crate::asm::disassemble(&bytes, rip).first().map(|(_, _, t)| t.clone()).unwrap_or_default()
}

fn end_text(sim: &Sim) -> Option<String> {
    sim.machine().stopped.as_ref().map(|s| match s {
        crate::Stop::DebugExit(c) => format!("debug-exit {c}"),
        crate::Stop::Halt => "halt".into(),
        s @ (crate::Stop::Shutdown(_) | crate::Stop::ModelLimit(_)) => format!("shutdown: {}", s.reason().unwrap_or_default()),
    })
}

/// Advances `sim` by one retired instruction and returns what its level observed.
fn observe(sim: &mut Sim, l1_mem: u64) -> Result<Observation, CompareError> {
    let level = sim.level();
    let console_before = sim.machine().console.len();
    let rip = sim.machine().cpu.regs.rip;
    let instruction = instruction_at(sim, rip);
    let start = sim.machine().steps;
    let mut n = 0;
    while sim.machine().steps == start && sim.machine().stopped.is_none() {
        sim.step().map_err(|e| CompareError::Emulator(format!("{} at step {start}: {e}", sim.model())))?;
        n += 1;
        if n > MAX_INVISIBLE {
            return Err(CompareError::Emulator(format!("{}: no instruction retired in {MAX_INVISIBLE} exits", sim.model())));
        }
    }
    let m = sim.machine_mut();
    let log = m.mem.write_log.replace(Vec::new()).unwrap_or_default();
    let mut writes = BTreeMap::new();
    for (a, len) in log {
        for i in 0..len as u64 {
            if a + i < l1_mem {
                writes.insert(a + i, m.mem.read_u8(crate::mem::Hpa(a + i)).unwrap_or(0));
            }
        }
    }
    Ok(Observation {
        step: start,
        level: level.name().into(),
        rip,
        instruction,
        regs: m.cpu.regs.clone(),
        writes,
        console_new: m.console.get(console_before..).unwrap_or_default().to_vec(),
        console_len: m.console.len(),
        ended: end_text(sim),
        end_key: match sim.machine().stopped {
            Some(crate::Stop::Shutdown(_)) => Some("shutdown".into()),
            _ => end_text(sim),
        },
    })
}

/// What differs; `consoles` are the two whole consoles, quoted only when they differ.
fn differences(a: &Observation, b: &Observation, consoles: [&[u8]; 2]) -> Vec<String> {
    let mut d = Vec::new();
    if a.level != b.level || a.rip != b.rip {
        d.push(format!("executing: {} at {:#x} vs {} at {:#x}", a.level, a.rip, b.level, b.rip));
    }
    for (i, n) in crate::cpu::regs::GPR_NAMES.iter().enumerate() {
        if a.regs.gpr[i] != b.regs.gpr[i] {
            d.push(format!("{n}: {:#x} vs {:#x}", a.regs.gpr[i], b.regs.gpr[i]));
        }
    }
    if a.regs.rip != b.regs.rip {
        d.push(format!("rip after: {:#x} vs {:#x}", a.regs.rip, b.regs.rip));
    }
    if a.regs.rflags != b.regs.rflags {
        d.push(format!("rflags: {:#x} vs {:#x}", a.regs.rflags, b.regs.rflags));
    }
    let addrs: std::collections::BTreeSet<u64> = a.writes.keys().chain(b.writes.keys()).copied().collect();
    let mut mem_diffs = 0;
    for addr in addrs {
        let (x, y) = (a.writes.get(&addr), b.writes.get(&addr));
        if x != y {
            mem_diffs += 1;
            if mem_diffs <= 16 {
                let f = |v: Option<&u8>| v.map_or("(not written)".to_string(), |v| format!("{v:02x}"));
                d.push(format!("memory {addr:#x}: {} vs {}", f(x), f(y)));
            }
        }
    }
    if mem_diffs > 16 {
        d.push(format!("… {} more bytes differ", mem_diffs - 16));
    }
    if a.console_len != b.console_len || a.console_new != b.console_new {
        let text = |c: &[u8]| String::from_utf8_lossy(c).into_owned();
        d.push(format!("console: {:?} vs {:?}", text(consoles[0]), text(consoles[1])));
    }
    if a.end_key != b.end_key {
        d.push(format!("run ended: {:?} vs {:?}", a.ended, b.ended));
    }
    d
}

/// Runs `program` under both models in lockstep for at most `max_steps` retired instructions.
pub fn compare(program: &[u8], models: [Model; 2], mem_mib: u64, max_steps: u64, l0: &L0Config) -> Result<Comparison, CompareError> {
    let mut a = Sim::new(program, mem_mib, models[0], l0).map_err(CompareError::Setup)?;
    let mut b = Sim::new(program, mem_mib, models[1], l0).map_err(CompareError::Setup)?;
    let l1_mem = mem_mib << 20;
    for s in [&mut a, &mut b] {
        s.machine_mut().mem.write_log = Some(Vec::new());
    }
    let mut steps = 0;
    let mut divergence = None;
    while steps < max_steps && a.machine().stopped.is_none() && b.machine().stopped.is_none() {
        let (oa, ob) = (observe(&mut a, l1_mem)?, observe(&mut b, l1_mem)?);
        steps += 1;
        let d = differences(&oa, &ob, [&a.machine().console, &b.machine().console]);
        if !d.is_empty() {
            divergence = Some(Divergence {
                step: oa.step,
                level: oa.level.clone(),
                rip: format!("{:#x}", oa.rip),
                instruction: oa.instruction.clone(),
                differences: d,
            });
            break;
        }
    }
    let end = |s: &Sim| end_text(s).unwrap_or_else(|| "budget".into());
    Ok(Comparison {
        models,
        steps,
        agree: divergence.is_none(),
        divergence,
        ends: [end(&a), end(&b)],
    })
}
