//! Value checks of a parsed record before anything live is built from it: a file with a correct
//! checksum can still be hostile or hand-made, so every value the machine trusts is checked here —
//! register ranges, addresses inside RAM, counts, and the consistency of the SVM and L0 parts.
//! Each refusal names its field.
use super::format::{quote, CheckpointError, MAX_MEM_MIB};
use super::state::{L0Record, MachineRecord, StopRecord};
use crate::cpu::control::{cr0, efer};
use crate::hv::gpat::Design;
use crate::hv::layout::{Layout, SHADOW_POOL_PAGES};
use crate::svm::SvmModel;

/// Largest event count a file may claim (far beyond any run's budget; keeps every sum in range).
pub const MAX_EVENTS_TOTAL: u64 = 1 << 48;
/// Longest text (event detail, shutdown reason) a record may carry.
pub const MAX_TEXT: usize = 1024;

fn field(name: &str, why: impl Into<String>) -> CheckpointError {
    CheckpointError::Field { field: name.into(), why: why.into() }
}

fn canonical(a: u64) -> bool {
    ((a as i64) << 16 >> 16) as u64 == a
}

/// RFLAGS bits that are reserved (bit 1 reads as one, 3, 5, 15 and 22..63 as zero).
const RFLAGS_RESERVED: u64 = !0x3f_7fd5 & !2;
/// Every architecturally defined EFER bit.
const EFER_KNOWN: u64 =
    efer::SCE | efer::LME | efer::LMA | efer::NXE | efer::SVME | efer::LMSLE | efer::FFXSR | efer::TCE;
const EFER_LMA: u64 = efer::LMA;
const EFER_LME: u64 = efer::LME;
const CR0_PE: u64 = cr0::PE;
const CR0_PG: u64 = cr0::PG;
/// CS.L in the VMCB packing of segment attributes (bits 8..11 = AVL, L, D/B, G).
const ATTR_L: u16 = crate::svm::VmcbSeg::ATTR_L;

fn text(name: &str, s: &str) -> Result<(), CheckpointError> {
    if s.len() > MAX_TEXT || s.chars().any(char::is_control) {
        return Err(field(name, format!("{} has control characters or is longer than {MAX_TEXT} bytes", quote(s))));
    }
    Ok(())
}

/// Checks a record; `Ok` means the live machine may be built from it.
pub fn record(r: &MachineRecord) -> Result<(), CheckpointError> {
    let hw = SvmModel::from_name(&r.model);
    let design = Design::from_name(&r.model);
    if hw.is_none() && design.is_none() {
        return Err(field("model", format!("unknown model {}", quote(&r.model))));
    }
    if !(2..=MAX_MEM_MIB).contains(&r.mem_mib) {
        return Err(field("mem_mib", format!("{} is not 2..={MAX_MEM_MIB}", r.mem_mib)));
    }
    let mem = r.mem_mib << 20;
    cpu(r)?;
    if let Some(t) = r.events_total.filter(|&t| t > MAX_EVENTS_TOTAL) {
        return Err(field("events_total", format!("{t} is more than {MAX_EVENTS_TOTAL}")));
    }
    for (i, e) in r.events.iter().enumerate() {
        if let Some(d) = &e.detail {
            text(&format!("events[{i}].detail"), d)?;
        }
    }
    if let Some(b) = &r.boot {
        text("boot.progname", &b.progname)?;
        text("boot.append", &b.append)?;
        let l1 = r.l0.as_ref().map_or(r.mem_mib, |l| l.l1_mem_mib);
        if b.ram_mib != l1 {
            return Err(field("boot.ram_mib", format!("{} but the run's RAM is {l1} MiB", b.ram_mib)));
        }
    }
    if let Some(StopRecord::Shutdown { reason }) = &r.stopped {
        text("stopped.reason", reason)?;
    }
    let svm_model = r.svm.as_ref().map(|s| <SvmModel as super::records::Persist>::restore(&s.model)).transpose().map_err(|e| field("svm.model", e))?;
    match (svm_model, design) {
        (None, Some(_)) => return Err(field("svm", format!("a {} run needs its SVM state", r.model))),
        (Some(s), Some(_)) if s != SvmModel::Bare => {
            return Err(field("svm.model", format!("{} under {}: L0 runs on `bare`", s.name(), r.model)));
        }
        (Some(s), None) if Some(s) != hw => return Err(field("svm.model", format!("{} in a {} run", s.name(), r.model))),
        _ => {}
    }
    if let Some(g) = r.svm.as_ref().and_then(|s| s.guest.as_ref()) {
        if g.vmcb_pa & 0xfff != 0 || g.vmcb_pa.checked_add(0x1000).is_none_or(|end| end > mem) {
            return Err(field("svm.guest.vmcb_pa", format!("{:#x} is not a page inside {} MiB of RAM", g.vmcb_pa, r.mem_mib)));
        }
        if let Some(np) = g.np.as_ref().filter(|np| np.ncr3 >= mem) {
            return Err(field("svm.guest.np.ncr3", format!("{:#x} is outside {} MiB of RAM", np.ncr3, r.mem_mib)));
        }
    }
    match (&r.l0, design) {
        (Some(_), None) => Err(field("l0", format!("a {} run has no L0", r.model))),
        (None, Some(_)) => Err(field("l0", format!("model {} needs an `l0` section", r.model))),
        (Some(l), Some(_)) => l0(r, l),
        (None, None) => Ok(()),
    }
}

/// The registers that set the CPU's operating mode, consistent as the processor keeps them (APM
/// vol.2 14.6, 2.1.3): the live CPU, and the host state a #VMEXIT reloads (`at` names where they
/// are). Every mode the processor models is accepted — real mode, protected mode (paging on or
/// off), compatibility and 64-bit mode — and only states no CPU can be in are refused: CR0.PG
/// without CR0.PE, EFER.LMA other than EFER.LME and CR0.PG, RIP beyond 32 bits outside 64-bit
/// mode, a non-canonical RIP in it.
fn cpu_mode(at: &str, rip: u64, rflags: u64, cr0: u64, efer: u64, cs_attrib: u16) -> Result<(), CheckpointError> {
    if rflags & RFLAGS_RESERVED != 0 || rflags & 2 == 0 {
        return Err(field(&format!("{at}.rflags"), format!("{rflags:#x} has reserved bits wrong")));
    }
    if cr0 >> 32 != 0 {
        return Err(field(&format!("{at}.cr0"), format!("{cr0:#x} sets reserved bits 63:32")));
    }
    if efer & !EFER_KNOWN != 0 {
        return Err(field(&format!("{at}.efer"), format!("{efer:#x} sets reserved bits")));
    }
    if cr0 & CR0_PG != 0 && cr0 & CR0_PE == 0 {
        return Err(field(&format!("{at}.cr0"), format!("{cr0:#x} has PG without PE")));
    }
    let lma = efer & EFER_LMA != 0;
    if lma != (efer & EFER_LME != 0 && cr0 & CR0_PG != 0) {
        return Err(field(&format!("{at}.cr0"), format!("{cr0:#x} with EFER {efer:#x}: LMA is not LME and PG")));
    }
    let bits64 = lma && cs_attrib & ATTR_L != 0;
    if bits64 && !canonical(rip) {
        return Err(field(&format!("{at}.rip"), format!("{rip:#x} is not canonical")));
    }
    if !bits64 && rip >> 32 != 0 {
        return Err(field(&format!("{at}.rip"), format!("{rip:#x} is beyond 32 bits outside 64-bit mode")));
    }
    Ok(())
}

fn cpu(r: &MachineRecord) -> Result<(), CheckpointError> {
    let c = &r.cpu;
    if c.cpl > 3 {
        return Err(field("cpu.cpl", format!("cpl {} is not 0..=3", c.cpl)));
    }
    cpu_mode("cpu", c.rip, c.rflags, c.cr0, c.efer, c.cs.attrib)?;
    if let Some(h) = r.svm.as_ref().and_then(|s| s.guest.as_ref()).and_then(|g| g.host.as_ref()) {
        cpu_mode("svm.guest.host", h.rip, h.rflags, h.cr0, h.efer, h.cs.attrib)?;
        if let Some(p) = h.parked_pat.filter(|&p| !crate::mem::memtype::pat_valid(p)) {
            return Err(field("svm.guest.host.parked_pat", format!("{p:#x} is not a valid PAT")));
        }
    }
    if !crate::mem::memtype::pat_valid(c.pat) {
        return Err(field("cpu.pat", format!("{:#x} is not a valid PAT", c.pat)));
    }
    for (i, &d) in c.dr.iter().enumerate() {
        if (i == 6 || i == 7) && d >> 32 != 0 {
            return Err(field(&format!("cpu.dr[{i}]"), format!("{d:#x} sets reserved bits 63:32")));
        }
    }
    Ok(())
}

fn l0(r: &MachineRecord, l: &L0Record) -> Result<(), CheckpointError> {
    if !(2..=3072).contains(&l.l1_mem_mib) {
        return Err(field("l0.l1_mem_mib", format!("{} is not 2..=3072", l.l1_mem_mib)));
    }
    let l1 = l.l1_mem_mib << 20;
    let layout = Layout::new(l1);
    if layout.host_mem != r.mem_mib << 20 {
        return Err(field("l0.l1_mem_mib", format!("{} MiB of L1 needs {} MiB of host RAM, the file has {}", l.l1_mem_mib, layout.host_mem >> 20, r.mem_mib)));
    }
    let in_l1 = |name: &str, a: u64| {
        if a & 0xfff != 0 || a.checked_add(0x1000).is_none_or(|end| end > l1) {
            return Err(field(name, format!("{a:#x} is not a page inside L1's {} MiB", l.l1_mem_mib)));
        }
        Ok(())
    };
    if let Some(n) = &l.nested {
        in_l1("l0.nested.vmcb12", n.vmcb12)?;
    }
    if let Some(v) = l.last_vmcb12 {
        in_l1("l0.last_vmcb12", v)?;
    }
    // Under L0 the hardware runs L1 in vmcb01 and L2 in vmcb02, and L0 knows which.
    if let Some(g) = r.svm.as_ref().and_then(|s| s.guest.as_ref()) {
        if g.vmcb_pa != layout.vmcb01 && g.vmcb_pa != layout.vmcb02 {
            return Err(field("svm.guest.vmcb_pa", format!("{:#x} is neither L0's vmcb01 nor vmcb02", g.vmcb_pa)));
        }
        if (g.vmcb_pa == layout.vmcb02) != l.nested.is_some() {
            return Err(field("l0.nested", format!("is {} while the hardware runs {}", if l.nested.is_some() { "set" } else { "empty" }, if g.vmcb_pa == layout.vmcb02 { "vmcb02 (L2)" } else { "vmcb01 (L1)" })));
        }
    }
    if l.nested.is_some() != l.ctx.guest_mode {
        return Err(field("l0.ctx.guest_mode", format!("{} but l0.nested is {}", l.ctx.guest_mode, if l.nested.is_some() { "set" } else { "empty" })));
    }
    let s = &l.shadow;
    if s.used > SHADOW_POOL_PAGES {
        return Err(field("l0.shadow.used", format!("{} is more than the pool's {SHADOW_POOL_PAGES} pages", s.used)));
    }
    for &p in s.protected.iter().chain(s.rmap.keys()) {
        in_l1("l0.shadow.protected", p)?;
    }
    for (name, n) in [("l0.shadow.fills", s.fills), ("l0.shadow.zaps", s.zaps)] {
        if n > MAX_EVENTS_TOTAL {
            return Err(field(name, format!("{n} is more than {MAX_EVENTS_TOTAL}")));
        }
    }
    let pool = layout.shadow_pool..layout.shadow_pool + s.used * 0x1000;
    for &e in s.rmap.values().flatten() {
        if e & 7 != 0 || !pool.contains(&e) {
            return Err(field("l0.shadow.rmap", format!("entry {e:#x} is not inside the shadow pages in use")));
        }
    }
    if !crate::mem::memtype::pat_valid(l.config.pat) {
        return Err(field("l0.config.pat", format!("{:#x} is not a valid PAT", l.config.pat)));
    }
    Ok(())
}
