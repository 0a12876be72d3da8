//! The page-table walker with a per-level trace: 4-level long mode (4 KiB / 2 MiB / 1 GiB pages)
//! here, legacy PAE (3 levels) and 32-bit paging (2 levels, 4 MiB pages with CR4.PSE) in
//! `paging_legacy.rs`.
//!
//! The walker reaches memory through [`WalkEnv`], so the SVM layer can translate each table
//! access and the final guest-physical address through a nested page table; the native
//! environment is `PhysMem` itself (guest-physical = host-physical).
use super::{Gpa, Gva, Hpa, PhysMem};
use serde::Serialize;

pub mod pte {
    pub const P: u64 = 1 << 0;
    pub const RW: u64 = 1 << 1;
    pub const US: u64 = 1 << 2;
    pub const PWT: u64 = 1 << 3;
    pub const PCD: u64 = 1 << 4;
    pub const A: u64 = 1 << 5;
    pub const D: u64 = 1 << 6;
    pub const PS: u64 = 1 << 7;
    pub const G: u64 = 1 << 8;
    pub const NX: u64 = 1 << 63;
    pub const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
}

/// #PF error-code bits.
pub mod pfec {
    pub const P: u32 = 1 << 0;
    pub const W: u32 = 1 << 1;
    pub const U: u32 = 1 << 2;
    pub const RSV: u32 = 1 << 3;
    pub const ID: u32 = 1 << 4;
}

/// The kind of access being translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Access {
    pub write: bool,
    pub user: bool,
    pub fetch: bool,
}

impl Access {
    pub const READ: Access = Access { write: false, user: false, fetch: false };
    pub const WRITE: Access = Access { write: true, user: false, fetch: false };
    pub const FETCH: Access = Access { write: false, user: false, fetch: true };
    pub fn pfec(&self) -> u32 {
        (if self.write { pfec::W } else { 0 }) | (if self.user { pfec::U } else { 0 }) | (if self.fetch { pfec::ID } else { 0 })
    }
}

/// One entry read during a walk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WalkStep {
    /// 4 = PML4E, 3 = PDPTE, 2 = PDE, 1 = PTE.
    pub level: u8,
    /// Where the entry is, in the memory the walk reads (host-physical after `WalkEnv::table_entry`).
    pub entry_addr: Hpa,
    /// The entry's value as read (before any A/D update).
    pub entry: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Walk {
    pub steps: Vec<WalkStep>,
    /// The translated address (host-physical, after `WalkEnv::final_address`).
    pub phys: Hpa,
    /// The guest-physical output of the walked tables.
    pub gpa: Gpa,
    /// Page size in bytes of the leaf (4 KiB, 2 MiB or 1 GiB).
    pub page_size: u64,
    /// PAT index from the leaf's PAT/PCD/PWT bits (reference §5.1).
    pub pat_index: u8,
    /// Effective permissions: RW at every level, US at every level, NX at any level.
    pub writable: bool,
    pub user: bool,
    pub nx: bool,
    /// The leaf's G bit and its D bit after this walk's update.
    pub global: bool,
    pub dirty: bool,
}

/// Which table format a walk reads (APM vol.2 5.1: chosen by EFER.LMA, CR4.PAE and CR4.PSE).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PagingKind {
    /// Long mode: 4 levels of 8-byte entries.
    #[default]
    Long,
    /// Legacy PAE: four PDPTEs at CR3[31:5], then PDEs and PTEs of 8 bytes.
    Pae,
    /// Legacy 32-bit paging: PDEs and PTEs of 4 bytes; `pse` = CR4.PSE (4 MiB pages).
    Legacy32 { pse: bool },
}

/// Paging-control inputs of a walk.
#[derive(Clone, Copy, Debug)]
pub struct PagingMode {
    pub cr3: u64,
    pub wp: bool,
    pub nxe: bool,
    /// CR4.SMEP: supervisor fetches from user pages fault (APM vol.2 5.6.6).
    pub smep: bool,
    pub kind: PagingKind,
}

impl PagingMode {
    /// A long-mode walk rooted at `cr3`.
    pub const fn long(cr3: u64, wp: bool, nxe: bool) -> Self {
        PagingMode { cr3, wp, nxe, smep: false, kind: PagingKind::Long }
    }
}

/// The permissions accumulated down a walk and the access they are checked against.
pub(crate) struct LeafCheck {
    pub writable: bool,
    pub user: bool,
    pub exec: bool,
}

impl LeafCheck {
    /// Whether the leaf's accumulated permissions deny `acc` (APM vol.2 5.6): user access to a
    /// supervisor page, a write to a read-only page (supervisor writes only with CR0.WP), a fetch
    /// from an NX page (with EFER.NXE), a supervisor fetch from a user page (with CR4.SMEP).
    pub fn denies(&self, acc: Access, mode: &PagingMode) -> bool {
        (acc.user && !self.user)
            || (acc.write && !self.writable && (acc.user || mode.wp))
            || (acc.fetch && mode.nxe && !self.exec)
            || (acc.fetch && !acc.user && self.user && mode.smep)
    }
}

/// How a walk reaches memory.
pub trait WalkEnv {
    /// Why a table or final access failed outside the guest's own tables (a nested page fault).
    type Err;
    /// Host-physical address of the paging-structure entry at guest-physical `gpa` (`level` as
    /// in [`WalkStep`]). A nested-paging environment walks its nested table here.
    fn table_entry(&mut self, gpa: Gpa, level: u8) -> Result<Hpa, Self::Err>;
    /// Host-physical address of the final guest-physical address.
    fn final_address(&mut self, gpa: Gpa, acc: Access) -> Result<Hpa, Self::Err>;
    fn read_entry(&mut self, hpa: Hpa) -> u64;
    fn write_entry(&mut self, hpa: Hpa, v: u64);
}

/// The native environment: guest-physical is host-physical.
impl WalkEnv for PhysMem {
    type Err = std::convert::Infallible;
    fn table_entry(&mut self, gpa: Gpa, _level: u8) -> Result<Hpa, Self::Err> {
        Ok(Hpa(gpa.0))
    }
    fn final_address(&mut self, gpa: Gpa, _acc: Access) -> Result<Hpa, Self::Err> {
        Ok(Hpa(gpa.0))
    }
    fn read_entry(&mut self, hpa: Hpa) -> u64 {
        // The TLB keeps translations across world switches while no such page is written.
        self.mark_page_table(hpa);
        self.read_u64(hpa).unwrap_or(0)
    }
    fn write_entry(&mut self, hpa: Hpa, v: u64) {
        let _ = self.write_u64(hpa, v);
    }
}

/// A failed walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkError<E> {
    /// A #PF of the walked tables: its error code and the entries read.
    Page { code: u32, steps: Vec<WalkStep> },
    /// The environment refused a table or final access.
    Env(E),
}

/// The PAT index of a leaf entry (APM vol.2 7.8.2): PAT (`pat_bit`: bit 7 of a PTE, bit 12 of a
/// large-page entry), PCD, PWT.
#[inline]
pub(crate) fn pat_index(entry: u64, pat_bit: bool) -> u8 {
    (pat_bit as u8) << 2 | ((entry & pte::PCD != 0) as u8) << 1 | (entry & pte::PWT != 0) as u8
}

/// Walks the 4-level tables. `Err((error_code, steps))` is a #PF with its error code; the caller
/// sets CR2 and decides whether it is delivered or intercepted.
pub fn walk(mem: &mut PhysMem, mode: PagingMode, va: Gva, acc: Access) -> Result<Walk, (u32, Vec<WalkStep>)> {
    walk_with(mem, mode, va, acc).map_err(|e| match e {
        WalkError::Page { code, steps } => (code, steps),
        WalkError::Env(never) => match never {},
    })
}

/// The walker over any [`WalkEnv`].
pub fn walk_with<E: WalkEnv>(env: &mut E, mode: PagingMode, va: Gva, acc: Access) -> Result<Walk, WalkError<E::Err>> {
    match mode.kind {
        PagingKind::Long => {}
        PagingKind::Pae => return super::paging_legacy::walk_pae(env, mode, va, acc),
        PagingKind::Legacy32 { pse } => return super::paging_legacy::walk_32(env, mode, pse, va, acc),
    }
    walk_from(env, mode, va, acc, mode.cr3 & pte::ADDR_MASK, 4, Vec::with_capacity(4), 0)
}

/// The 8-byte-entry levels `top`..=1 of a walk from `table` (long mode from the PML4, PAE from a
/// page directory after its PDPTE). `steps` holds the entries read before (the PDPTE); the
/// accessed bit is set on the non-leaf entries from index `a_from` on (a PAE PDPTE has none).
#[allow(clippy::too_many_arguments, reason = "the walk state handed over between the table formats")]
pub(super) fn walk_from<E: WalkEnv>(
    env: &mut E,
    mode: PagingMode,
    va: Gva,
    acc: Access,
    mut table: u64,
    top: u8,
    mut steps: Vec<WalkStep>,
    a_from: usize,
) -> Result<Walk, WalkError<E::Err>> {
    let mut writable = true;
    let mut user = true;
    let mut exec = true;
    let rsv_nx = if mode.nxe { 0 } else { pte::NX };
    for level in (1..=top).rev() {
        let shift = 12 + 9 * (level as u64 - 1);
        let idx = (va.0 >> shift) & 0x1ff;
        let ea = env.table_entry(Gpa(table + idx * 8), level).map_err(WalkError::Env)?;
        let entry = env.read_entry(ea);
        steps.push(WalkStep { level, entry_addr: ea, entry });
        if entry & pte::P == 0 {
            return Err(WalkError::Page { code: acc.pfec(), steps });
        }
        let is_leaf = level == 1 || (entry & pte::PS != 0 && level <= 3);
        // MAXPHYADDR is 48 in this model: bits 51:48 of an entry are reserved.
        let mut rsv = entry & rsv_nx != 0 || entry & 0x000f_0000_0000_0000 != 0;
        if level == 4 && entry & pte::PS != 0 {
            rsv = true;
        }
        if is_leaf && level > 1 {
            // Large-page address bits below the page size (other than the PAT bit 12) are reserved.
            let low = (1u64 << shift) - 1;
            if entry & low & pte::ADDR_MASK & !(1 << 12) != 0 {
                rsv = true;
            }
        }
        if rsv {
            return Err(WalkError::Page { code: acc.pfec() | pfec::P | pfec::RSV, steps });
        }
        writable &= entry & pte::RW != 0;
        user &= entry & pte::US != 0;
        exec &= entry & pte::NX == 0;
        if is_leaf {
            if (LeafCheck { writable, user, exec }).denies(acc, &mode) {
                return Err(WalkError::Page { code: acc.pfec() | pfec::P, steps });
            }
            let size = 1u64 << shift;
            let base = entry & pte::ADDR_MASK & !(size - 1);
            let gpa = Gpa(base | (va.0 & (size - 1)));
            let phys = env.final_address(gpa, acc).map_err(WalkError::Env)?;
            // Accessed bits on the way down, then accessed / dirty on the leaf.
            let n = steps.len() - 1;
            for s in steps.iter().take(n).skip(a_from) {
                if s.entry & pte::A == 0 {
                    env.write_entry(s.entry_addr, s.entry | pte::A);
                }
            }
            let mut upd = entry | pte::A;
            if acc.write {
                upd |= pte::D;
            }
            if upd != entry {
                env.write_entry(ea, upd);
            }
            let pat_bit = if level == 1 { entry & pte::PS != 0 } else { entry & (1 << 12) != 0 };
            let pat_index = pat_index(entry, pat_bit);
            return Ok(Walk {
                steps,
                phys,
                gpa,
                page_size: size,
                pat_index,
                writable,
                user,
                nx: !exec,
                global: entry & pte::G != 0,
                dirty: upd & pte::D != 0,
            });
        }
        table = entry & pte::ADDR_MASK;
    }
    unreachable!("level 1 is always a leaf")
}

/// A side-effect-free view for inspecting translations (UI, reports): reads like the native
/// environment but never sets accessed/dirty bits.
pub struct ReadOnly<'a>(pub &'a PhysMem);

impl WalkEnv for ReadOnly<'_> {
    type Err = std::convert::Infallible;
    fn table_entry(&mut self, gpa: Gpa, _level: u8) -> Result<Hpa, Self::Err> {
        Ok(Hpa(gpa.0))
    }
    fn final_address(&mut self, gpa: Gpa, _acc: Access) -> Result<Hpa, Self::Err> {
        Ok(Hpa(gpa.0))
    }
    fn read_entry(&mut self, hpa: Hpa) -> u64 {
        self.0.read_u64(hpa).unwrap_or(0)
    }
    fn write_entry(&mut self, _hpa: Hpa, _v: u64) {}
}

/// Inspects the walk of `va` without changing memory.
pub fn peek(mem: &PhysMem, mode: PagingMode, va: Gva, acc: Access) -> Result<Walk, (u32, Vec<WalkStep>)> {
    walk_with(&mut ReadOnly(mem), mode, va, acc).map_err(|e| match e {
        WalkError::Page { code, steps } => (code, steps),
        WalkError::Env(never) => match never {},
    })
}

#[cfg(test)]
mod peek_tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn peek_translates_like_walk_but_never_sets_accessed_or_dirty() {
        // PML4 at 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000 -> page 0x7000 (P RW, A/D clear).
        let mut m = PhysMem::new(0x10000);
        for (a, v) in [(0x1000, 0x2003), (0x2000, 0x3003), (0x3000, 0x4003), (0x4008, 0x7003)] {
            m.write_u64(Hpa(a), v).unwrap();
        }
        let mode = PagingMode::long(0x1000, true, true);
        let before: Vec<u64> = [0x1000, 0x2000, 0x3000, 0x4008].iter().map(|&a| m.read_u64(Hpa(a)).unwrap()).collect();
        let w = peek(&m, mode, Gva(0x1234), Access::WRITE).unwrap();
        assert_eq!(w.phys, Hpa(0x7234));
        assert_eq!(w.steps.len(), 4);
        let after: Vec<u64> = [0x1000, 0x2000, 0x3000, 0x4008].iter().map(|&a| m.read_u64(Hpa(a)).unwrap()).collect();
        assert_eq!(before, after);
        // The real walk sets A on every level and D on the leaf (SDM 4.8).
        let w2 = walk(&mut m, mode, Gva(0x1234), Access::WRITE).unwrap();
        assert_eq!(w2.phys, w.phys);
        assert_eq!(m.read_u64(Hpa(0x4008)).unwrap(), 0x7003 | pte::A | pte::D);
        assert_eq!(m.read_u64(Hpa(0x1000)).unwrap(), 0x2003 | pte::A);
    }
}
