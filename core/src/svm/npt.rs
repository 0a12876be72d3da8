//! Nested page tables: the #NPF EXITINFO1 format (reference §7.3) and a read-only walk of a
//! long-mode (4-level) nested page table with the nested permission rules (reference §7.2,
//! APM 15.25.5–15.25.7). No CPU state: the caller supplies nCR3 and the host's EFER.NXE.
use super::exit_code::{SvmExitCode, VmExit};
use crate::mem::memtype::pat::EntryKind;
use crate::mem::phys::OutOfRange;
use crate::mem::{Gpa, Hpa, PhysMem};
use serde::Serialize;

// #NPF EXITINFO1 bits (reference §7.3).
pub const NPF_P: u64 = 1 << 0;
pub const NPF_RW: u64 = 1 << 1;
pub const NPF_US: u64 = 1 << 2;
pub const NPF_RSV: u64 = 1 << 3;
pub const NPF_ID: u64 = 1 << 4;
pub const NPF_SS: u64 = 1 << 6;
/// Fault while translating the final guest-physical address (PFERR_GUEST_FINAL_MASK).
pub const NPF_GUEST_FINAL: u64 = 1 << 32;
/// Fault while translating a guest page-table entry (PFERR_GUEST_PAGE_MASK).
pub const NPF_GUEST_PAGE: u64 = 1 << 33;
pub const NPF_SSS: u64 = 1 << 37;

// Paging-entry bits (nested entries use the ordinary long-mode format, reference §5.1).
pub use crate::mem::paging::pte::{NX as PTE_NX, P as PTE_P, PS as PTE_PS, RW as PTE_RW, US as PTE_US};

/// Which translation the nested walk serves: bit 32 vs bit 33 of EXITINFO1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum NptStage {
    /// The final guest-physical address of the guest's access.
    Final,
    /// A guest page-table entry read by the guest's own walk.
    GuestPageTable,
}

/// The access being translated at the nested level. Nested accesses are always user accesses
/// (no GMET in this model); guest page-table accesses always count as writes (no ROGPT).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NptAccess {
    pub write: bool,
    pub fetch: bool,
    pub stage: NptStage,
}

impl NptAccess {
    pub const fn read() -> Self {
        NptAccess { write: false, fetch: false, stage: NptStage::Final }
    }
    pub const fn write() -> Self {
        NptAccess { write: true, fetch: false, stage: NptStage::Final }
    }
    pub const fn fetch() -> Self {
        NptAccess { write: false, fetch: true, stage: NptStage::Final }
    }
    /// An access of the guest page-table walk: a user write at the nested level, even when the
    /// guest access is a fetch (reference §7.2/§7.3).
    pub const fn guest_walk() -> Self {
        NptAccess { write: true, fetch: false, stage: NptStage::GuestPageTable }
    }
}

/// Host paging facts the nested walk uses (the VMM's paging mode at VMRUN, reference §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NptContext {
    /// Host EFER.NXE: without it every nested mapping is executable and bit 63 is reserved.
    pub nxe: bool,
    /// Host CR4.SMEP: only reported, in EXITINFO1.ID of a fetch (nested accesses are user
    /// accesses, so SMEP never denies one).
    #[serde(default)]
    pub smep: bool,
    pub max_phys_bits: u8,
}

/// A successful nested translation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NptTranslation {
    pub spa: Hpa,
    /// The leaf nested entry (for the host PAT index, Table 15-19) and its kind.
    pub leaf: u64,
    pub leaf_kind: EntryKind,
    /// 4 KiB, 2 MiB or 1 GiB.
    pub page_size: u64,
    /// Every nested entry read, top level first: (its system-physical address, value). The caller
    /// sets A/D bits if it models them.
    pub entries: Vec<(Hpa, u64)>,
}

/// Why a nested translation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum NptError {
    /// A #NPF: EXITINFO1 and EXITINFO2 (the faulting guest-physical address).
    Fault { exit_info_1: u64, gpa: Gpa, level: u8 },
    /// A nested table entry lies outside RAM (its system-physical address).
    Memory(Hpa),
}

impl NptError {
    /// The #VMEXIT(NPF) value for a fault (reference §7.3).
    pub fn vmexit(&self) -> Option<VmExit> {
        match *self {
            NptError::Fault { exit_info_1, gpa, .. } => {
                Some(VmExit { code: SvmExitCode::NPF, info1: exit_info_1, info2: gpa.0, ..Default::default() })
            }
            NptError::Memory(_) => None,
        }
    }
}

/// EXITINFO1 for a nested fault: stage bit, US always, RW for writes, ID for fetches when the
/// host has NX or SMEP enabled (the #PF rule for the I/D bit, APM vol.2 8.4.2; kvm-unit-tests
/// svm_npt_rsvd_bits_test: "PFEC.FETCH=1 if NX=1 *or* SMEP=1"), P if the entry was present
/// (protection/reserved fault), RSV for reserved bits.
pub fn npf_error_code(access: NptAccess, present: bool, reserved: bool, ctx: NptContext) -> u64 {
    let stage = match access.stage {
        NptStage::Final => NPF_GUEST_FINAL,
        NptStage::GuestPageTable => NPF_GUEST_PAGE,
    };
    stage
        | NPF_US
        | if present { NPF_P } else { 0 }
        | if reserved { NPF_RSV } else { 0 }
        | if access.write { NPF_RW } else { 0 }
        | if access.fetch && (ctx.nxe || ctx.smep) { NPF_ID } else { 0 }
}

/// Reserved bits of a present long-mode entry at `level` (4 = PML4E … 1 = PTE): address bits
/// 51:MAXPHYADDR, NX without EFER.NXE, bits 8:7 of a PML4E (MBZ in APM vol.2 5.3.3 figure 5-18;
/// bit 8 of PDPEs and PDEs is ignored — KVM's "reserve bit 8 of PML4Es only" fix; kvm-unit-tests
/// svm_npt_rsvd_bits_test sets PML4E bit 8), and the low address bits of a large page above the
/// PAT bit (APM vol.2 5.3/5.4 entry formats).
fn reserved_bits(e: u64, level: u8, ctx: NptContext) -> u64 {
    const BIT8: u64 = 1 << 8;
    let mut r = ((1u64 << 52) - 1) & !((1u64 << ctx.max_phys_bits.min(52)) - 1);
    if !ctx.nxe {
        r |= PTE_NX;
    }
    match level {
        4 => r |= PTE_PS | BIT8,
        3 if e & PTE_PS != 0 => r |= 0x3FFF_E000, // bits 29:13
        2 if e & PTE_PS != 0 => r |= 0x1F_E000,   // bits 20:13
        _ => {}
    }
    e & r
}

/// Translates `gpa` through the nested table rooted at nCR3 (host in long mode, 4 levels). Faults
/// in walk order: not-present and reserved bits at each level, then the permissions accumulated
/// over all levels (user required everywhere; write needs RW everywhere, hCR0.WP ignored; fetch
/// needs NX clear everywhere when NXE) — reference §7.2.
pub fn npt_walk(
    mem: &PhysMem,
    ncr3: u64,
    gpa: Gpa,
    access: NptAccess,
    ctx: NptContext,
) -> Result<NptTranslation, NptError> {
    let mut entries = Vec::with_capacity(4);
    let t = npt_walk_with(mem, ncr3, gpa, access, ctx, |a, e| entries.push((a, e)))?;
    Ok(NptTranslation { spa: t.spa, leaf: t.leaf, leaf_kind: t.leaf_kind, page_size: t.page_size, entries })
}

/// The result of [`npt_walk_with`]: [`NptTranslation`] without the entry list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NptLeaf {
    pub spa: Hpa,
    pub leaf: u64,
    pub leaf_kind: EntryKind,
    pub page_size: u64,
}

/// [`npt_walk`] that reports each entry read to `on_entry` (top level first) instead of
/// collecting them: the allocation-free form the execution path uses.
pub fn npt_walk_with(
    mem: &PhysMem,
    ncr3: u64,
    gpa: Gpa,
    access: NptAccess,
    ctx: NptContext,
    mut on_entry: impl FnMut(Hpa, u64),
) -> Result<NptLeaf, NptError> {
    let addr_mask = ((1u64 << ctx.max_phys_bits.min(52)) - 1) & !0xFFF;
    let fault = |present, reserved, level| NptError::Fault {
        exit_info_1: npf_error_code(access, present, reserved, ctx),
        gpa,
        level,
    };
    let mut table = ncr3 & addr_mask;
    let (mut user, mut writable, mut exec) = (true, true, true);
    for level in (1..=4u8).rev() {
        let shift = 12 + 9 * (level as u32 - 1);
        let ea = Hpa(table + ((gpa.0 >> shift) & 0x1FF) * 8);
        let e = mem.read_u64(ea).map_err(|OutOfRange(a)| NptError::Memory(a))?;
        on_entry(ea, e);
        if e & PTE_P == 0 {
            return Err(fault(false, false, level));
        }
        if reserved_bits(e, level, ctx) != 0 {
            return Err(fault(true, true, level));
        }
        user &= e & PTE_US != 0;
        writable &= e & PTE_RW != 0;
        exec &= !(ctx.nxe && e & PTE_NX != 0);
        let leaf = level == 1 || (level <= 3 && e & PTE_PS != 0);
        if !leaf {
            table = e & addr_mask;
            continue;
        }
        if !user || (access.write && !writable) || (access.fetch && !exec) {
            return Err(fault(true, false, level));
        }
        let page_size = 1u64 << shift;
        let frame = e & addr_mask & !(page_size - 1);
        return Ok(NptLeaf {
            spa: Hpa(frame | (gpa.0 & (page_size - 1))),
            leaf: e,
            leaf_kind: if level == 1 { EntryKind::Leaf4K } else { EntryKind::LeafLarge },
            page_size,
        });
    }
    unreachable!("level 1 is always a leaf")
}
