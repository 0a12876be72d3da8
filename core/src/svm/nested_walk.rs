//! The two-dimensional walk of a guest running with nested paging (APM 15.25.5–15.25.7,
//! reference §7.2/§7.3), the TLB fill for it, and `Processor::memtype_of`, the side-effect-free walk
//! with memory-type provenance for the UI "Page walk" panel (reference §6.4).
//!
//! The guest's own tables are walked by the ordinary walker (`mem::paging::walk_with`) over
//! [`NestedEnv`], which translates every guest page-table access and the final guest-physical
//! address through the nested table rooted at nCR3:
//! - guest page-table accesses are user *writes* at the nested level (EXITINFO1 bit 33 on a fault);
//! - the final access is a user access with the guest access's write/fetch (bit 32 on a fault);
//! - the A bits of every nested entry used are set, and the D bit of the nested leaf on writes
//!   (so always for guest page-table accesses);
//! - with gCR0.PG = 0, GPA = GLA and it is still translated through the nested table;
//! - the nested walk uses the host paging mode captured at VMRUN (`NestedPaging`).
//!
//! Fault order (reference §7.3) falls out of the walker: each guest table access is nested-walked
//! before the entry is read (#NPF, bit 33), then the guest's not-present/reserved checks and
//! permission checks (#PF), and the final nested translation last (#NPF, bit 32).
use super::VmExit;
use super::npt::{npt_walk_with, NptAccess, NptContext, NptError, NptStage, NptTranslation, npt_walk};
use super::state::NestedPaging;
use crate::cpu::control::{cr0, cr4};
use crate::outcome::{EmuError, Fault, PhysUse, Trap};
use crate::cpu::msr::MTRRCAP_VALUE;
use crate::cpu::tlb::perm;
use crate::mem::pt_pages::PtPages;
use crate::cpu::processor::Processor;
use crate::svm::SvmState;
use crate::mem::memtype::combine::{NestedMemTypeInputs, PteRef};
use crate::mem::memtype::mtrr::{MtrrState, VarMtrr};
use crate::mem::memtype::{EntryKind, MemTypeResolution, resolve_native, resolve_nested};
use crate::mem::paging::{Access, Walk, WalkEnv, WalkError, walk_with};
use crate::mem::{Gpa, Gva, Hpa, PhysMem};
use crate::trace::Level;
use serde::Serialize;

use crate::mem::paging::pte::{A as PTE_A, D as PTE_D};

/// One nested translation made during a walk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NestedSubWalk {
    pub gpa: Gpa,
    pub stage: NptStage,
    /// The nested entries read, top level first: (system-physical address, value before any A/D update).
    pub entries: Vec<(Hpa, u64)>,
    /// The result; `None` if the nested walk faulted.
    pub spa: Option<Hpa>,
    pub page_size: u64,
    /// The nested leaf (for the host PAT index) and its kind.
    pub leaf: u64,
    pub leaf_kind: EntryKind,
}

/// A [`WalkEnv`] for guest walks: with `np` = `Some`, every guest-physical address goes through the
/// nested table; with `None`, guest-physical is system-physical. Memory is only read: A/D updates are
/// collected in `writes` and applied by the caller (`translate`), or dropped (`memtype_of`).
pub struct NestedEnv<'a> {
    mem: &'a PhysMem,
    np: Option<NestedPaging>,
    /// Pending A/D updates (guest and nested entries), in order.
    pub writes: Vec<(Hpa, u64)>,
    /// Guest page-table accesses in order: their GPA and nested sub-walk.
    pub tables: Vec<(Gpa, Option<NestedSubWalk>)>,
    /// The final translation's sub-walk.
    pub last: Option<NestedSubWalk>,
    /// Keep the sub-walks (`tables`, `last`) for reports; the execution path does not.
    trace: bool,
    /// Untraced: the final nested translation had an NX entry (with host NXE).
    pub last_nested_nx: bool,
    /// The pages entries were read from (guest and nested tables).
    pub pt_pages: PtPages,
}

impl<'a> NestedEnv<'a> {
    pub fn new(mem: &'a PhysMem, np: Option<NestedPaging>) -> Self {
        NestedEnv {
            mem,
            np,
            writes: Vec::new(),
            tables: Vec::new(),
            last: None,
            trace: true,
            last_nested_nx: false,
            pt_pages: PtPages::default(),
        }
    }

    /// An environment for the execution path: the same walk and A/D updates, no trace kept and
    /// nothing allocated per nested walk.
    pub fn untraced(mem: &'a PhysMem, np: Option<NestedPaging>) -> Self {
        NestedEnv { trace: false, ..Self::new(mem, np) }
    }

    /// Queues the A/D updates of a nested walk that read `entries` (top level first).
    fn queue_ad(&mut self, entries: &[(Hpa, u64)], write: bool) {
        let n = entries.len();
        for (i, &(a, e)) in entries.iter().enumerate() {
            // An entry already updated earlier in this 2-D walk (a guest-table access set D,
            // then the final access reads it again): build on the pending value.
            let e = self.writes.iter().rev().find(|w| w.0 == a).map_or(e, |w| w.1);
            let mut upd = e | PTE_A;
            if i + 1 == n && write {
                upd |= PTE_D;
            }
            if upd != e {
                self.writes.push((a, upd));
            }
        }
    }

    fn ctx(np: &NestedPaging) -> NptContext {
        NptContext {
            nxe: np.host_nxe,
            smep: np.host_cr4 & cr4::SMEP != 0,
            max_phys_bits: crate::cpu::caps::CpuCaps::MODEL.maxphyaddr,
        }
    }

    /// One nested translation with A/D updates queued.
    fn nested(&mut self, gpa: Gpa, access: NptAccess) -> Result<(Hpa, Option<NestedSubWalk>), NptError> {
        let Some(np) = self.np else { return Ok((Hpa(gpa.0), None)) };
        if !self.trace {
            let mut buf = [(Hpa(0), 0u64); 4];
            let mut n = 0;
            let r = npt_walk_with(self.mem, np.ncr3, gpa, access, Self::ctx(&np), |a, e| {
                buf[n] = (a, e);
                n += 1;
            });
            for &(a, _) in &buf[..n] {
                self.pt_pages.add(a);
            }
            let t = r?;
            self.queue_ad(&buf[..n], access.write);
            if access.stage == NptStage::Final {
                self.last_nested_nx = np.host_nxe && buf[..n].iter().any(|e| e.1 >> 63 == 1);
            }
            return Ok((t.spa, None));
        }
        let mut sub = NestedSubWalk {
            gpa,
            stage: access.stage,
            entries: Vec::new(),
            spa: None,
            page_size: 0,
            leaf: 0,
            leaf_kind: EntryKind::NonLeaf,
        };
        match npt_walk(self.mem, np.ncr3, gpa, access, Self::ctx(&np)) {
            Ok(NptTranslation { spa, leaf, leaf_kind, page_size, entries }) => {
                self.queue_ad(&entries, access.write);
                sub.entries = entries;
                sub.spa = Some(spa);
                sub.page_size = page_size;
                sub.leaf = leaf;
                sub.leaf_kind = leaf_kind;
                Ok((spa, Some(sub)))
            }
            Err(e) => {
                if access.stage == NptStage::GuestPageTable {
                    self.tables.push((gpa, Some(sub)));
                } else {
                    self.last = Some(sub);
                }
                Err(e)
            }
        }
    }
}

impl WalkEnv for NestedEnv<'_> {
    type Err = NptError;
    fn table_entry(&mut self, gpa: Gpa, _level: u8) -> Result<Hpa, NptError> {
        let (spa, sub) = self.nested(gpa, NptAccess::guest_walk())?;
        if self.trace {
            self.tables.push((gpa, sub));
        }
        Ok(spa)
    }
    fn final_address(&mut self, gpa: Gpa, acc: Access) -> Result<Hpa, NptError> {
        let access = NptAccess { write: acc.write, fetch: acc.fetch, stage: NptStage::Final };
        let (spa, sub) = self.nested(gpa, access)?;
        self.last = sub;
        Ok(spa)
    }
    fn read_entry(&mut self, hpa: Hpa) -> u64 {
        self.pt_pages.add(hpa);
        // A pending update of the same entry wins (aliased tables).
        match self.writes.iter().rev().find(|w| w.0 == hpa) {
            Some(w) => w.1,
            None => self.mem.read_u64(hpa).unwrap_or(0),
        }
    }
    fn write_entry(&mut self, hpa: Hpa, v: u64) {
        self.writes.push((hpa, v));
    }
}

/// The #VMEXIT(NPF) for a nested fault; a nested table outside RAM is an emulator error.
fn npt_trap(e: NptError) -> Trap {
    match e.vmexit() {
        Some(exit) => Trap::Exit(exit),
        None => Trap::from(EmuError::outside_ram(PhysUse::NestedTable, match e { NptError::Memory(a) => a, NptError::Fault { gpa, .. } => Hpa(gpa.0) })),
    }
}

/// One level of the guest walk in a [`MemTypeReport`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GuestLevelTrace {
    /// 4 = PML4E … 1 = PTE.
    pub level: u8,
    /// Guest-physical address of the entry.
    pub entry_gpa: Gpa,
    /// System-physical address of the entry (after its nested sub-walk).
    pub entry_spa: Hpa,
    pub entry: u64,
    /// The nested walk that translated `entry_gpa` (NP only).
    pub nested: Option<NestedSubWalk>,
}

/// The full walk of one access and its memory type (for the UI "Page walk" panel and tests).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemTypeReport {
    /// The level whose address space `gva` is in (the level currently executing).
    pub level: Level,
    pub gva: Gva,
    /// True when a guest runs with nested paging (2-D walk, Tables 15-19 then 15-20).
    pub nested: bool,
    /// CR0.PG of the level (with PG = 0 the linear address is the (guest-)physical address).
    pub paging: bool,
    pub guest_walk: Vec<GuestLevelTrace>,
    pub gpa: Gpa,
    pub spa: Hpa,
    /// The final nested translation (NP only).
    pub final_nested: Option<NestedSubWalk>,
    pub resolution: MemTypeResolution,
}

/// Why `memtype_of` could not produce a type: the access would fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum MemTypeError {
    NonCanonical,
    /// The guest (or native) walk would raise #PF with this error code.
    PageFault {
        error_code: u32,
    },
    /// The nested walk would exit with #NPF.
    NestedFault(VmExit),
    /// A table outside RAM.
    Memory(String),
}

/// The PAT value that selects WB at index 0: used as the "PAT" when paging is off, where the PAT
/// is not consulted and the MTRR type alone decides (a model choice: Table 15-20's WB row is the
/// identity on MTRR types, and Table 15-19's WB row the identity on host types).
const PAT_PAGING_OFF: u64 = 0x06;

impl Processor<SvmState> {
    /// Translates a linear address of a guest running with NP (called from `translate_slow`;
    /// the canonical check is done). Fills the TLB with permissions that are the intersection of
    /// both levels, so a TLB hit never skips a nested check or a nested A/D update.
    pub(crate) fn translate_nested(&mut self, la: u64, acc: Access) -> Result<Hpa, Trap> {
        #[allow(clippy::expect_used, reason = "the only caller, translate_slow, calls this only with NP on")]
        let np = *self.svm.nested_paging().expect("translate_nested only with NP");
        let paging = self.cpu.ctl.cr0 & cr0::PG != 0;
        let mode = self.paging_mode();
        let mut env = NestedEnv::untraced(&self.mem, Some(np));
        let res: Result<(Hpa, bool, bool, bool, bool, bool), Trap> = if paging {
            match walk_with(&mut env, mode, Gva(la), acc) {
                Ok(w) => Ok((w.phys, w.writable, w.user, w.nx, w.dirty, w.global)),
                Err(WalkError::Page { code, .. }) => Err(Fault::pf(code, la).into()),
                Err(WalkError::Env(e)) => Err(npt_trap(e)),
            }
        } else {
            match env.final_address(Gpa(la), acc) {
                Ok(spa) => Ok((spa, true, true, false, true, false)),
                Err(e) => Err(npt_trap(e)),
            }
        };
        let writes = std::mem::take(&mut env.writes);
        let nested_nx = env.last_nested_nx;
        let pt_pages = env.pt_pages;
        drop(env);
        for p in pt_pages.iter() {
            self.mem.mark_page_table(p);
        }
        // A/D bits are set by the walk even when it faults later (hardware sets them as it goes).
        for (a, v) in writes {
            let _ = self.mem.write_u64(a, v);
        }
        let (spa, writable, user, nx, dirty, global) = res?;
        // With CR4.SMEP a user page is walked at every access (the TLB does not check SMEP).
        let smep_user = mode.smep && user;
        if !(nested_nx || pt_pages.overflow || smep_user) {
            let mut p = 0;
            if writable {
                p |= perm::WRITABLE;
            }
            if user {
                p |= perm::USER;
            }
            if nx {
                p |= perm::NX;
            }
            // Only a write walk has set the nested leaf's D bit and proved the nested RW bit.
            if dirty && acc.write {
                p |= perm::DIRTY;
            }
            if global {
                p |= perm::GLOBAL;
            }
            self.tlb.insert(la, spa.0, p);
        }
        Ok(spa)
    }

    /// A guest-physical address of the running guest → system-physical (VMLOAD/VMSAVE/VMRUN
    /// operands in a guest); identity outside a guest or without NP.
    pub(crate) fn guest_phys(&mut self, gpa: u64, write: bool) -> Result<Hpa, Trap> {
        let Some(np) = self.svm.nested_paging().copied() else { return Ok(Hpa(gpa)) };
        let mut env = NestedEnv::untraced(&self.mem, Some(np));
        let r = env.final_address(Gpa(gpa), Access { write, user: true, fetch: false });
        let writes = std::mem::take(&mut env.writes);
        for (a, v) in writes {
            let _ = self.mem.write_u64(a, v);
        }
        r.map_err(npt_trap)
    }

    /// The MTRRs of the (physical) processor as a `MtrrState`.
    pub fn mtrr_state(&self) -> MtrrState {
        let m = &self.cpu.msr;
        let mut var = [VarMtrr::default(); 8];
        for (i, v) in var.iter_mut().enumerate() {
            *v = VarMtrr { base: m.mtrr_var[2 * i], mask: m.mtrr_var[2 * i + 1] };
        }
        MtrrState { cap: MTRRCAP_VALUE, def_type: m.mtrr_def_type, fixed: m.mtrr_fixed, var }
    }

    /// The memory type of an access to `gva` by the code currently executing, with the full walk
    /// (each guest level with its nested sub-walk) and the `MemTypeResolution` provenance.
    /// No side effects: no A/D bits, no TLB fill, no exit.
    ///
    /// - Native (L1, or L2 without NP): PAT type of the leaf (PAT MSR) with the MTRR type of the
    ///   physical address by Table 15-20, CR0.CD → UC (reference §6.3/§6.4 "as if there were no gPAT").
    /// - L2 with NP: guest type = gPAT[guest leaf index], host type = hPAT[nested leaf index],
    ///   Table 15-19, then Table 15-20 with the MTRR type of the SPA, gCR0.CD / hCR0.CD → UC
    ///   (reference §6.4). Which register is "gPAT" and which "hPAT" depends on the model: `bare`
    ///   the gPAT register and the PAT MSR; `bare-swap` the PAT MSR (holding G_PAT) and the parked
    ///   host PAT; `bare-qemu` the one shared PAT for both.
    /// - With paging off at a level, the PAT is not consulted at that level (see `PAT_PAGING_OFF`).
    pub fn memtype_of(&self, gva: Gva, acc: Access) -> Result<MemTypeReport, MemTypeError> {
        let la = gva.0;
        let paging = self.cpu.ctl.cr0 & cr0::PG != 0;
        if paging && !crate::cpu::exec::is_canonical(la) {
            return Err(MemTypeError::NonCanonical);
        }
        let np = self.svm.nested_paging().copied();
        let mode = self.paging_mode();
        let mut env = NestedEnv::new(&self.mem, np);
        let walk: Option<Walk> = if paging {
            match walk_with(&mut env, mode, gva, acc) {
                Ok(w) => Some(w),
                Err(WalkError::Page { code, .. }) => return Err(MemTypeError::PageFault { error_code: code }),
                Err(WalkError::Env(e)) => return Err(nested_err(e)),
            }
        } else {
            env.final_address(Gpa(la), acc).map_err(nested_err)?;
            None
        };
        let (gpa, spa) = match &walk {
            Some(w) => (w.gpa, w.phys),
            None => (Gpa(la), env.last.as_ref().and_then(|s| s.spa).unwrap_or(Hpa(la))),
        };
        let guest_walk: Vec<GuestLevelTrace> = match &walk {
            Some(w) => w
                .steps
                .iter()
                .zip(env.tables.iter())
                .map(|(s, (g, sub))| GuestLevelTrace {
                    level: s.level,
                    entry_gpa: *g,
                    entry_spa: s.entry_addr,
                    entry: s.entry,
                    nested: sub.clone(),
                })
                .collect(),
            None => Vec::new(),
        };
        let (guest_pte, level_pat_override) = match walk.as_ref().and_then(|w| w.steps.last()) {
            Some(leaf) => {
                let kind = if leaf.level == 1 { EntryKind::Leaf4K } else { EntryKind::LeafLarge };
                (PteRef { entry: leaf.entry, kind }, None)
            }
            None => (PteRef { entry: 0, kind: EntryKind::NonLeaf }, Some(PAT_PAGING_OFF)),
        };
        let mtrr = self.mtrr_state();
        let cd = self.cpu.ctl.cr0 & cr0::CD != 0;
        // With NP, the final nested translation succeeded above (`env.last`).
        let resolution = match (np, self.svm.guest.as_ref(), env.last.as_ref()) {
            (Some(np), Some(g), Some(last)) => {
                let (gpat, hpat) = self.svm.model_pats(g, self.cpu.pat);
                let inputs = NestedMemTypeInputs {
                    guest_pte,
                    gpat: level_pat_override.unwrap_or(gpat),
                    nested_pte: PteRef { entry: last.leaf, kind: last.leaf_kind },
                    hpat,
                    spa,
                    guest_cr0_cd: cd,
                    host_cr0_cd: np.host_cr0 & cr0::CD != 0,
                };
                resolve_nested(&inputs, &mtrr)
            }
            _ => resolve_native(guest_pte, level_pat_override.unwrap_or(self.cpu.pat), spa, cd, &mtrr),
        };
        Ok(MemTypeReport {
            level: self.svm.level(),
            gva,
            nested: np.is_some(),
            paging,
            guest_walk,
            gpa,
            spa,
            final_nested: env.last.clone(),
            resolution,
        })
    }
}

fn nested_err(e: NptError) -> MemTypeError {
    match e.vmexit() {
        Some(x) => MemTypeError::NestedFault(x),
        None => MemTypeError::Memory(format!("{e:?}")),
    }
}
