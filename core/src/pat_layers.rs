//! The three PAT layers of an L2 memory access (reference §8.4, §9.8): L2's gPAT entry selected
//! by L2's page-table entry, L1's PAT entry selected by L1's NPT entry, L0's PAT entry selected by
//! the L0/shadow NPT entry — with the type bare metal would give (Table 15-19 of L2's and L1's
//! layers, then 15-20 with the MTRRs) and the type the model actually gives (what the hardware
//! does with vmcb02's gPAT and the shadow entries, whose memtype bits are 0: KVM ignores L1's).
//!
//! A view of any run (`Sim`): it sits above `sim`, next to `compare`, and reads the hardware or
//! the L0 model's state without changing it.
use crate::mem::memtype::combine::{resolve_nested, MemTypeResolution, NestedMemTypeInputs, PatLookup, PteRef};
use crate::mem::paging::Access;
use crate::mem::{Gpa, Gva};
use crate::sim::Sim;
use crate::svm::npt::{npt_walk, NptAccess, NptContext};
use crate::svm::vmcb::save_f;
use crate::trace::Level;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
/// The PAT layers of one L2 access, from L2's PTE down to the system-physical memory type.
pub struct PatLayers {
    /// L2's virtual address of the access.
    pub gva: u64,
    /// L2's guest-physical address and the system-physical address of the access.
    pub gpa: u64,
    pub spa: u64,
    /// L2's PTE → index → L2's gPAT entry.
    pub l2_gpat: PatLookup,
    /// L1's NPT leaf → index → L1's PAT entry (None when L1 runs L2 without nested paging).
    pub l1_pat: Option<PatLookup>,
    /// The NPT entry the hardware uses → index → L0's PAT entry (None on a hardware model,
    /// where L1's PAT is the host PAT).
    pub l0_pat: Option<PatLookup>,
    /// The type bare metal gives: L2's and L1's layers combined (Table 15-19, then 15-20).
    pub bare_metal: Option<MemTypeResolution>,
    /// The type the model gives (what the hardware does).
    pub model: MemTypeResolution,
}

impl PatLayers {
    /// A one-line summary: "L2 WB(PA0) · L1 UC-(PA2) · L0 WB(PA0) → bare metal UC, model WB".
    pub fn summary(&self) -> String {
        let f = |p: &PatLookup| format!("{}(PA{})", p.mem_type.name(), p.index);
        let mut s = format!("L2 {}", f(&self.l2_gpat));
        if let Some(l1) = &self.l1_pat {
            s += &format!(" · L1 {}", f(l1));
        }
        if let Some(l0) = &self.l0_pat {
            s += &format!(" · L0 {}", f(l0));
        }
        match &self.bare_metal {
            Some(b) => s + &format!(" → bare metal {}, model {}", b.result.name(), self.model.result.name()),
            None => s + &format!(" → {}", self.model.result.name()),
        }
    }
}

/// The layers of an access by L2 at `gva` (L2 must be running).
pub fn pat_layers(sim: &Sim, gva: u64, acc: Access) -> Result<PatLayers, String> {
    if sim.level() != Level::L2 {
        return Err("PAT layers describe L2 accesses: L2 is not running".into());
    }
    match sim {
        Sim::Hw(m) => {
            let hw = m.memtype_of(Gva(gva), acc).map_err(|e| format!("{e:?}"))?;
            let res = hw.resolution;
            Ok(PatLayers {
            gva,
            gpa: hw.gpa.0,
            spa: hw.spa.0,
            l2_gpat: res.guest,
            l1_pat: res.host,
            l0_pat: None,
            bare_metal: None,
            model: res,
            })
        }
        Sim::Kvm(k) => kvm_layers(k, gva, acc),
    }
}

/// L2's tables walked in software through L1's NPT (read-only): the shadow NPT is filled lazily,
/// so the hardware walk cannot be asked before L2's first access to a page.
struct ThroughL1Npt<'a> {
    mem: &'a crate::mem::PhysMem,
    ncr3: u64,
    nxe: bool,
}

impl ThroughL1Npt<'_> {
    fn nested(&self, gpa: Gpa, acc: NptAccess) -> Result<crate::svm::npt::NptTranslation, String> {
        let ctx = NptContext { nxe: self.nxe, smep: false, max_phys_bits: crate::cpu::caps::CpuCaps::MODEL.maxphyaddr };
        npt_walk(self.mem, self.ncr3, gpa, acc, ctx).map_err(|e| format!("L1's NPT would fault: {e:?}"))
    }
}

impl crate::mem::paging::WalkEnv for ThroughL1Npt<'_> {
    type Err = String;
    fn table_entry(&mut self, gpa: Gpa, _level: u8) -> Result<crate::mem::Hpa, String> {
        Ok(self.nested(gpa, NptAccess::guest_walk())?.spa)
    }
    fn final_address(&mut self, gpa: Gpa, acc: Access) -> Result<crate::mem::Hpa, String> {
        let a = NptAccess { write: acc.write, fetch: acc.fetch, stage: crate::svm::npt::NptStage::Final };
        Ok(self.nested(gpa, a)?.spa)
    }
    fn read_entry(&mut self, hpa: crate::mem::Hpa) -> u64 {
        self.mem.read_u64(hpa).unwrap_or(0)
    }
    fn write_entry(&mut self, _hpa: crate::mem::Hpa, _v: u64) {}
}

fn leaf_ref(w: &crate::mem::paging::Walk) -> PteRef {
    let entry = w.steps.last().map_or(0, |s| s.entry);
    let kind = if w.page_size == 0x1000 { crate::mem::memtype::EntryKind::Leaf4K } else { crate::mem::memtype::EntryKind::LeafLarge };
    PteRef { entry, kind }
}

fn kvm_layers(k: &crate::hv::Kvm, gva: u64, acc: Access) -> Result<PatLayers, String> {
    use crate::mem::paging::{walk_with, ReadOnly, WalkError};
    let m = &k.m;
    let n = k.nested.as_ref().ok_or("L0 has no vmcb12 cached")?;
    let mode = m.paging_mode();
    let cd = m.cpu.ctl.cr0 & crate::cpu::control::cr0::CD != 0;
    // The shadow/L0 NPT leaf: no memtype bits (PAT index 0 → L0's PAT[0]), reference §9.8.
    let l0_leaf = PteRef { entry: 0x7, kind: crate::mem::memtype::EntryKind::Leaf4K };
    let l0_pat = m.cpu.pat;
    let gpat = k.pat.vmcb02_gpat;
    let mtrr = m.mtrr_state();
    let paging = m.cpu.ctl.cr0 & crate::cpu::control::cr0::PG != 0;
    let (l2_leaf, gpa, spa, l1) = if n.ctrl.np_enable() {
        let mut env = ThroughL1Npt { mem: &m.mem, ncr3: n.ctrl.nested_cr3, nxe: n.l1_nxe };
        let (leaf, gpa) = if paging {
            let w = walk_with(&mut env, mode, Gva(gva), acc).map_err(|e| match e {
                WalkError::Page { code, .. } => format!("L2's walk would raise #PF({code:#x})"),
                WalkError::Env(e) => e,
            })?;
            (leaf_ref(&w), w.gpa.0)
        } else {
            (PteRef { entry: 0, kind: crate::mem::memtype::EntryKind::Leaf4K }, gva)
        };
        let a = NptAccess { write: acc.write, fetch: acc.fetch, stage: crate::svm::npt::NptStage::Final };
        let t = env.nested(Gpa(gpa), a)?;
        (leaf, gpa, t.spa, Some(PteRef { entry: t.leaf, kind: t.leaf_kind }))
    } else {
        let w = walk_with(&mut ReadOnly(&m.mem), mode, Gva(gva), acc).map_err(|e| match e {
            WalkError::Page { code, .. } => format!("L2's walk would raise #PF({code:#x})"),
            WalkError::Env(never) => match never {},
        })?;
        (leaf_ref(&w), w.gpa.0, w.phys, None)
    };
    let l1_pat_value = k.design.ops().l1_pat(&k.pat, &k.ctx);
    // Bare metal would run L2 on its own gPAT: the value the separating designs keep in vmcb02;
    // under kvm-legacy (which gives L2 L1's PAT) the G_PAT L1 asked for in vmcb12.
    let arch_gpat = match k.design {
        crate::hv::gpat::Design::KvmLegacy => save_f::g_pat.read(&m.mem, crate::mem::Hpa(n.vmcb12)).unwrap_or(gpat),
        _ => gpat,
    };
    let resolve = |gpat: u64, nested_pte: PteRef, hpat: u64| {
        let i = NestedMemTypeInputs { guest_pte: l2_leaf, gpat, nested_pte, hpat, spa, guest_cr0_cd: cd, host_cr0_cd: false };
        resolve_nested(&i, &mtrr)
    };
    let model = resolve(gpat, l0_leaf, l0_pat);
    Ok(PatLayers {
        gva,
        gpa,
        spa: spa.0,
        l2_gpat: PatLookup::new(l2_leaf, gpat),
        l1_pat: l1.map(|p| PatLookup::new(p, l1_pat_value)),
        l0_pat: Some(PatLookup::new(l0_leaf, l0_pat)),
        bare_metal: l1.map(|p| resolve(arch_gpat, p, l1_pat_value)),
        model,
    })
}

/// The memory accesses the next L2 instruction will make: its fetch and every explicit or
/// implicit data operand (iced-x86's instruction info), as (linear address, access).
pub fn next_accesses(sim: &Sim) -> Vec<(u64, Access)> {
    use iced_x86::{InstructionInfoFactory, OpAccess, Register};
    let m = sim.machine();
    let rip = m.cpu.regs.rip;
    let mut out = vec![(rip, Access::FETCH)];
    let Some(bytes) = crate::inspect::memory::code_bytes(m, rip) else { return out };
    let Some(ins) = crate::cpu::decode::decode64(&bytes, rip) else { return out };
    let mut f = InstructionInfoFactory::new();
    let reg = |r: Register| -> Option<u64> {
        let c = &m.cpu;
        Some(match r {
            Register::FS => c.fs.base,
            Register::GS => c.gs.base,
            Register::ES | Register::CS | Register::SS | Register::DS => 0,
            Register::RIP => ins.next_ip(),
            r if r.is_gpr() => {
                let v = c.regs.gpr[r.full_register().number()];
                match r.size() {
                    4 => v & 0xffff_ffff,
                    2 => v & 0xffff,
                    _ => v,
                }
            }
            _ => return None,
        })
    };
    for u in f.info(&ins).used_memory() {
        let Some(va) = u.virtual_address(0, |r, _, _| reg(r)) else { continue };
        let write = matches!(u.access(), OpAccess::Write | OpAccess::ReadWrite | OpAccess::CondWrite | OpAccess::ReadCondWrite);
        let user = m.cpu.cpl == 3;
        out.push((va, Access { write, user, fetch: false }));
    }
    out
}

