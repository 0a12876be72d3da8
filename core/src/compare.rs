//! Lockstep comparison: one program under two models, instruction by instruction. At every
//! instruction that L1 or L2 retires, what that level observes — its level and RIP, the GPRs,
//! RIP and RFLAGS after the instruction, the guest memory it wrote and the console — must be the
//! same under both models; the first difference is reported with its context. Exits that only
//! L0 sees (shadow NPT fills, write-protection faults) retire nothing and are skipped. Writes to a
//! VMCB page of the run are named by field ("vmcb12.G_PAT: … vs …"), not by address.
use crate::cpu::Regs;
use crate::hv::L0Config;
use crate::machine::LoadError;
use crate::model::Model;
use crate::sim::Sim;
use crate::svm::vmcb::fields::{FieldValue, VmcbField, field_at, read_field};
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

/// What the comparison knows of the two runs beyond their observations: the VMCB pages (page
/// address, name) and each run's memory, to name the fields of a VMCB write.
struct Context<'a> {
    runs: [&'a Sim; 2],
}

/// The VMCB pages of either run that lie in L1's memory (vmcb12: the VMCB L1 passes to VMRUN),
/// named "vmcb12" when either model is a kvm-* one, else "VMCB".
fn vmcb_pages(runs: [&Sim; 2]) -> Vec<(u64, &'static str)> {
    let kvm = runs.iter().any(|s| matches!(s, Sim::Kvm(_)));
    let mut v: Vec<(u64, &'static str)> = Vec::new();
    for s in runs {
        for (role, a) in s.vmcbs() {
            if role == crate::sim::VmcbRole::Vmcb12 && !v.iter().any(|(p, _)| *p == a.0 & !0xfff) {
                v.push((a.0 & !0xfff, role.name(kvm)));
            }
        }
    }
    v
}

/// A field's value in hex (segments as selector:attrib:limit:base).
fn field_hex(f: &VmcbField, v: &FieldValue) -> String {
    match v {
        FieldValue::Int(x) => format!("{x:#0w$x}", w = 2 + 2 * f.size as usize),
        FieldValue::Seg(s) => format!("{:#06x}:{:#06x}:{:#x}:{:#x}", s.selector, s.attrib, s.limit, s.base),
        FieldValue::Bytes(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
    }
}

/// What differs; `consoles` are the two whole consoles, quoted only when they differ.
fn differences(a: &Observation, b: &Observation, consoles: [&[u8]; 2], ctx: &Context) -> Vec<String> {
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
    // Bytes in a VMCB page of either run are named by their field ("vmcb12.G_PAT"), one line per
    // field with the whole field's value in each run.
    let mut vmcb_fields: Vec<(u64, &str, &'static VmcbField)> = Vec::new();
    let mut reserved = std::collections::BTreeMap::<&str, usize>::new();
    let mut vmcbs: Option<Vec<(u64, &'static str)>> = None;
    for addr in addrs {
        let (x, y) = (a.writes.get(&addr), b.writes.get(&addr));
        if x == y {
            continue;
        }
        if let Some(&(page, name)) = vmcbs.get_or_insert_with(|| vmcb_pages(ctx.runs)).iter().find(|(p, _)| addr & !0xfff == *p) {
            #[allow(clippy::cast_possible_truncation, reason = "an offset inside a 4 KiB page")]
            let f = field_at((addr - page) as u16);
            match f {
                None => {
                    let byte = |i: usize| ctx.runs[i].machine().mem.read_u8(crate::mem::Hpa(addr)).ok();
                    if byte(0) != byte(1) {
                        *reserved.entry(name).or_default() += 1;
                    }
                }
                Some(f) if !vmcb_fields.iter().any(|(p, _, g)| *p == page && std::ptr::eq(*g, f)) => vmcb_fields.push((page, name, f)),
                Some(_) => {}
            }
            continue;
        }
        mem_diffs += 1;
        if mem_diffs <= 16 {
            let f = |v: Option<&u8>| v.map_or("(not written)".to_string(), |v| format!("{v:02x}"));
            d.push(format!("memory {addr:#x}: {} vs {}", f(x), f(y)));
        }
    }
    if mem_diffs > 16 {
        d.push(format!("… {} more bytes differ", mem_diffs - 16));
    }
    let mut same = 0;
    for (page, name, f) in vmcb_fields {
        let value = |mem: &crate::mem::PhysMem| read_field(mem, crate::mem::Hpa(page), f).map_or_else(|_| "?".into(), |v| field_hex(f, &v));
        let (va, vb) = (value(&ctx.runs[0].machine().mem), value(&ctx.runs[1].machine().mem));
        if va == vb {
            // Written by one run only, with the value the other has: nothing observable differs.
            same += 1;
            continue;
        }
        let wrote = |o: &Observation| (0..u64::from(f.size)).any(|i| o.writes.contains_key(&(page + u64::from(f.offset) + i)));
        let mark = |o: &Observation| if wrote(o) { "" } else { " (not written)" };
        d.push(format!("{name}.{}: {va}{} vs {vb}{}", f.apm_name, mark(a), mark(b)));
    }
    if same > 0 {
        d.push(format!("{same} more VMCB field(s) written by one run only, with the value the other has"));
    }
    for (name, n) in reserved {
        d.push(format!("{name}: {n} byte(s) outside the named fields differ"));
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
        let ctx = Context { runs: [&a, &b] };
        let d = differences(&oa, &ob, [&a.machine().console, &b.machine().console], &ctx);
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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_vmcb_write_is_named_by_its_field_not_its_address() {
        // Problem 3: L2 writes its gPAT 0x0606060606060604 (the program's L2_NEW); at the #VMEXIT
        // bare writes it back to vmcb12.G_PAT (APM 15.25.8, at VMCB+0x668 of vmcb12 = 0x200000),
        // kvm-legacy leaves L1's 0x0606060606060606 (G_PAT) there.
        let sc = crate::scenario::catalog::get("problem3-writeback").expect("in the catalog").expect("parses");
        let code = crate::asm::assemble(&sc.source).expect("assembles").bytes;
        let models = [Model::DEFAULT, "kvm-legacy".parse().expect("a model")];
        let c = compare(&code, models, 64, 1_000_000, &L0Config::default()).expect("compares");
        let d = c.divergence.expect("they diverge");
        assert!(
            d.differences.iter().any(|l| l == "vmcb12.G_PAT: 0x0606060606060604 vs 0x0606060606060606"),
            "{:?}",
            d.differences
        );
        assert!(!d.differences.iter().any(|l| l.starts_with("memory 0x200")), "{:?}", d.differences);
    }

    #[test]
    fn a_failed_vmrun_shows_as_exitcode_minus_one_not_as_4096_bytes() {
        // Problem 1: G_PAT = 0x0808080808080808 is invalid; bare fails the VMRUN and writes
        // EXITCODE = VMEXIT_INVALID (-1, APM 15.5.1) into vmcb12, kvm-legacy does not check G_PAT
        // and enters L2, leaving EXITCODE 0 (the program zeroes vmcb12).
        let sc = crate::scenario::catalog::get("problem1-gpat-check").expect("in the catalog").expect("parses");
        let code = crate::asm::assemble(&sc.source).expect("assembles").bytes;
        let models = [Model::DEFAULT, "kvm-legacy".parse().expect("a model")];
        let d = compare(&code, models, 64, 1_000_000, &L0Config::default()).expect("compares").divergence.expect("they diverge");
        assert!(d.differences.iter().any(|l| l == "vmcb12.EXITCODE: 0xffffffffffffffff vs 0x0000000000000000 (not written)"), "{:?}", d.differences);
        assert!(d.differences.len() < 10, "{:?}", d.differences);
    }
}
