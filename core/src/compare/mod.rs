//! Lockstep comparison: one program under two models, instruction by instruction. At every
//! instruction that L1 or L2 retires, what that level observes — its level and RIP, the GPRs,
//! RIP and RFLAGS after the instruction, the guest memory it wrote and the console — must be the
//! same under both models; the first difference is reported with its context. Exits that only
//! L0 sees (shadow NPT fills, write-protection faults) retire nothing and are skipped. The
//! lockstep itself is a [`Lockstep`] session advanced by step budgets (session.rs), so the CLI
//! runs it to the end in one call and the web app in time slices, with the same result.
mod session;

pub use session::{Lockstep, MigratePlan};
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
    /// The step limit (`max_steps`) ended the comparison with both runs still going: the models
    /// agree on the `steps` compared, and nothing is known of what follows.
    pub limit_reached: bool,
    /// The save/restores done during the comparison (`kvm-*` runs with a [`MigratePlan`]), with
    /// what each lost; omitted when there were none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<Migrated>,
}

/// A save/restore of one side of a comparison.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Migrated {
    /// Which model's run (0 or 1) was saved and restored.
    pub side: usize,
    #[serde(flatten)]
    pub migration: crate::hv::migrate::Migration,
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

pub(super) fn end_text(sim: &Sim) -> Option<String> {
    sim.machine().stopped.as_ref().map(|s| match s {
        crate::Stop::DebugExit(c) => format!("debug-exit {c}"),
        crate::Stop::Halt => "halt".into(),
        s @ (crate::Stop::Shutdown(_) | crate::Stop::ModelLimit(_)) => format!("shutdown: {}", s.reason().unwrap_or_default()),
    })
}

/// Advances `sim` by one retired instruction and returns what its level observed.
pub(super) fn observe_step(sim: &mut Sim, l1_mem: u64) -> Result<Observation, CompareError> {
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

/// The guest's VMCB (the one L1 passes to VMRUN) of either run, page-aligned: a byte written
/// there is named as its VMCB field (reference §1.2/§1.3), not as an address.
fn vmcb12_pages(sims: [&Sim; 2]) -> Vec<u64> {
    let mut v: Vec<u64> = sims
        .iter()
        .flat_map(|s| s.vmcbs())
        .filter(|(r, _)| *r == crate::sim::VmcbRole::Vmcb12)
        .map(|(_, a)| a.0 & !0xfff)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The VMCB field (of a page in `pages`) that holds guest-physical byte `addr`.
fn vmcb_field_at(pages: &[u64], addr: u64) -> Option<(u64, &'static crate::svm::vmcb::fields::VmcbField)> {
    let page = addr & !0xfff;
    if !pages.contains(&page) {
        return None;
    }
    let off = addr - page;
    crate::svm::vmcb::fields::FIELDS
        .iter()
        .find(|f| (f.offset as u64..f.offset as u64 + f.size as u64).contains(&off))
        .map(|f| (page, f))
}

/// A VMCB field's value in a run's memory now: a number up to 8 bytes, else its bytes in hex.
fn field_value(sim: &Sim, page: u64, f: &crate::svm::vmcb::fields::VmcbField) -> String {
    let mut b = vec![0u8; f.size as usize];
    let _ = sim.machine().mem.read(crate::mem::Hpa(page + f.offset as u64), &mut b);
    if b.len() <= 8 {
        let mut w = [0u8; 8];
        w[..b.len()].copy_from_slice(&b);
        format!("{:#x}", u64::from_le_bytes(w))
    } else {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}

/// What differs; `sims` are the two runs after the instruction (their consoles are quoted only
/// when they differ; bytes in the guest's VMCB are named by field).
pub(super) fn differences(a: &Observation, b: &Observation, sims: [&Sim; 2]) -> Vec<String> {
    let consoles = [sims[0].machine().console.as_slice(), sims[1].machine().console.as_slice()];
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
    let pages = if addrs.is_empty() { Vec::new() } else { vmcb12_pages(sims) };
    let mut fields_seen = std::collections::BTreeSet::new();
    let mut reserved = 0usize;
    let mut mem_diffs = 0;
    for addr in addrs {
        let (x, y) = (a.writes.get(&addr), b.writes.get(&addr));
        if x != y
            && let Some((page, f)) = vmcb_field_at(&pages, addr)
        {
            if fields_seen.insert((page, f.offset)) {
                let (va, vb) = (field_value(sims[0], page, f), field_value(sims[1], page, f));
                if va != vb {
                    d.push(format!("vmcb12.{}: {va} vs {vb}", f.apm_name));
                }
            }
            continue;
        }
        if x != y && pages.contains(&(addr & !0xfff)) {
            // A byte of vmcb12 outside the named fields: counted, not listed (a failed VMRUN
            // rewrites the whole page on one side).
            let byte = |s: &Sim| s.machine().mem.read_u8(crate::mem::Hpa(addr)).ok();
            reserved += usize::from(byte(sims[0]) != byte(sims[1]));
            continue;
        }
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
    if reserved > 0 {
        d.push(format!("vmcb12: {reserved} byte(s) outside the named fields differ"));
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

/// Runs `program` under both models in lockstep for at most `max_steps` retired instructions
/// (a [`Lockstep`] advanced to its end in one call).
pub fn compare(program: &[u8], models: [Model; 2], mem_mib: u64, max_steps: u64, l0: &L0Config) -> Result<Comparison, CompareError> {
    let mut l = Lockstep::new(program, models, mem_mib, max_steps, l0)?;
    while !l.advance(u64::MAX)? {}
    Ok(l.result())
}
