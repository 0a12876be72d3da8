//! The legacy-mode page-table formats (APM vol.2 5.2, 5.3): PAE paging outside long mode (four
//! PDPTEs, then the 8-byte page directory and table of long mode) and 32-bit paging (4-byte
//! entries, 4 MiB pages with CR4.PSE). The walks share `WalkEnv`, so a guest with nested paging
//! translates each table access and the final address through its nested table as in long mode.
//!
//! The PDPTEs are read from memory at each walk: what a processor with nested paging does (APM
//! 15.25.10 — kvm-unit-tests svm_pae_test: with NPT a reserved bit in PDPTE0 shows as a #PF when
//! the guest's first fetch walks through it, and one in PDPTE1..3 not at all). Without nested
//! paging a processor loads them at MOV CR3; reading them at each walk differs only when software
//! changes a PDPTE without reloading CR3.
use super::paging::{Access, LeafCheck, PagingMode, Walk, WalkEnv, WalkError, WalkStep, pfec, pte, walk_from};
use super::{Gpa, Gva, Hpa};

/// Reserved bits of a legacy PAE PDPTE (APM vol.2 5.3.3, PAE legacy-mode PDPE): 63:MAXPHYADDR
/// (48 in this model, NX included), 8:5 and 2:1. Bits 11:9 are available to software.
pub const PDPTE_RESERVED: u64 = 0xffff_0000_0000_0000 | 0x1e0 | 0x6;

/// Reserved bits of a 4 MiB PDE in 32-bit paging (APM vol.2 5.2.4): bits 21:13, which PSE-36
/// would use for physical-address bits 39:32 — this model does not offer PSE-36 in CPUID.
pub const PDE4M_RESERVED: u64 = 0x3f_e000;

/// Legacy PAE: PDPTE (level 3, no permission or accessed bits), then the 2-level walk from its
/// page directory. Linear addresses are 32 bits.
pub(super) fn walk_pae<E: WalkEnv>(env: &mut E, mode: PagingMode, va: Gva, acc: Access) -> Result<Walk, WalkError<E::Err>> {
    let va = Gva(va.0 & 0xffff_ffff);
    let gpa = (mode.cr3 & 0xffff_ffe0) + ((va.0 >> 30) & 3) * 8;
    let ea = env.table_entry(Gpa(gpa), 3).map_err(WalkError::Env)?;
    let entry = env.read_entry(ea);
    let steps = vec![WalkStep { level: 3, entry_addr: ea, entry }];
    if entry & pte::P == 0 {
        return Err(WalkError::Page { code: acc.pfec(), steps });
    }
    if entry & PDPTE_RESERVED != 0 {
        return Err(WalkError::Page { code: acc.pfec() | pfec::P | pfec::RSV, steps });
    }
    walk_from(env, mode, va, acc, entry & pte::ADDR_MASK, 2, steps, 1)
}

/// Reads the 4-byte entry at `hpa` through the 8-byte-aligned word holding it (the word never
/// crosses a page).
fn read32<E: WalkEnv>(env: &mut E, hpa: Hpa) -> u64 {
    let word = env.read_entry(Hpa(hpa.0 & !7));
    (word >> ((hpa.0 & 4) * 8)) & 0xffff_ffff
}

fn write32<E: WalkEnv>(env: &mut E, hpa: Hpa, v: u64) {
    let at = Hpa(hpa.0 & !7);
    let shift = (hpa.0 & 4) * 8;
    let word = env.read_entry(at);
    env.write_entry(at, (word & !(0xffff_ffff << shift)) | (v & 0xffff_ffff) << shift);
}

/// 32-bit paging: PDE (level 2; a 4 MiB leaf when PS is set and `pse`), then PTE (level 1).
pub(super) fn walk_32<E: WalkEnv>(env: &mut E, mode: PagingMode, pse: bool, va: Gva, acc: Access) -> Result<Walk, WalkError<E::Err>> {
    let va = va.0 & 0xffff_ffff;
    let mut steps = Vec::with_capacity(2);
    let mut table = mode.cr3 & 0xffff_f000;
    let (mut writable, mut user) = (true, true);
    for level in [2u8, 1] {
        let shift = if level == 2 { 22 } else { 12 };
        let ea = env.table_entry(Gpa(table + ((va >> shift) & 0x3ff) * 4), level).map_err(WalkError::Env)?;
        let entry = read32(env, ea);
        steps.push(WalkStep { level, entry_addr: ea, entry });
        if entry & pte::P == 0 {
            return Err(WalkError::Page { code: acc.pfec(), steps });
        }
        let large = level == 2 && pse && entry & pte::PS != 0;
        if large && entry & PDE4M_RESERVED != 0 {
            return Err(WalkError::Page { code: acc.pfec() | pfec::P | pfec::RSV, steps });
        }
        writable &= entry & pte::RW != 0;
        user &= entry & pte::US != 0;
        if level == 2 && !large {
            table = entry & 0xffff_f000;
            continue;
        }
        // No NX in 32-bit paging: every page is executable.
        if (LeafCheck { writable, user, exec: true }).denies(acc, &mode) {
            return Err(WalkError::Page { code: acc.pfec() | pfec::P, steps });
        }
        let size = if large { 4 << 20 } else { 0x1000u64 };
        let gpa = Gpa((entry & 0xffff_f000 & !(size - 1)) | (va & (size - 1)));
        let phys = env.final_address(gpa, acc).map_err(WalkError::Env)?;
        if level == 1 && steps[0].entry & pte::A == 0 {
            write32(env, steps[0].entry_addr, steps[0].entry | pte::A);
        }
        let mut upd = entry | pte::A;
        if acc.write {
            upd |= pte::D;
        }
        if upd != entry {
            write32(env, ea, upd);
        }
        // PAT bit: bit 7 of a PTE, bit 12 of a 4 MiB PDE (APM vol.2 7.8.2).
        let pat_bit = if large { entry & (1 << 12) != 0 } else { entry & pte::PS != 0 };
        let pat_index = super::paging::pat_index(entry, pat_bit);
        return Ok(Walk {
            steps,
            phys,
            gpa,
            page_size: size,
            pat_index,
            writable,
            user,
            nx: false,
            global: entry & pte::G != 0,
            dirty: upd & pte::D != 0,
        });
    }
    unreachable!("the PTE is always a leaf")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::paging::{PagingKind, walk};
    use crate::mem::PhysMem;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn mode(cr3: u64, kind: PagingKind) -> PagingMode {
        PagingMode { cr3, wp: true, nxe: false, smep: false, kind }
    }

    /// APM vol.2 5.2: a 32-bit PDE with PS = 1 (CR4.PSE) maps 4 MiB; without PSE it points to a
    /// page table. kvm-unit-tests svm_32bit_build_page_tables: pd[i] = i << 22 | P | RW | PS.
    #[test]
    fn pse_4mib_pages_and_4kib_tables() {
        let mut m = PhysMem::new(16 << 20);
        m.write(Hpa(0x1000 + 3 * 4), &((3u32 << 22) | 0x83).to_le_bytes()).unwrap();
        let w = walk(&mut m, mode(0x1000, PagingKind::Legacy32 { pse: true }), Gva(0xc1_2345), Access::READ).unwrap();
        assert_eq!((w.phys, w.page_size, w.steps.len()), (Hpa(0xc1_2345), 4 << 20, 1));
        // the accessed bit is set in the 4-byte entry only (the neighbour stays 0)
        assert_eq!(m.read_u64(Hpa(0x1008)).unwrap(), ((3u64 << 22) | 0xa3) << 32);
        // without CR4.PSE the same entry is a page-table pointer: its PTE 0x12 is not present
        let e = walk(&mut m, mode(0x1000, PagingKind::Legacy32 { pse: false }), Gva(0xc1_2345), Access::READ).unwrap_err();
        assert!(matches!(e, (0, ref s) if s.len() == 2), "{e:?}");
        // a 4 MiB PDE with bit 13 set (PSE-36 not offered): reserved
        m.write(Hpa(0x1000 + 4 * 4), &((4u32 << 22) | 1 << 13 | 0x83).to_le_bytes()).unwrap();
        let e = walk(&mut m, mode(0x1000, PagingKind::Legacy32 { pse: true }), Gva(0x100_0000), Access::READ).unwrap_err();
        assert_eq!(e.0, pfec::P | pfec::RSV);
    }

    #[test]
    fn legacy_32bit_4kib_walk_checks_user_and_write() {
        let mut m = PhysMem::new(1 << 20);
        m.write(Hpa(0x1000), &0x2007u32.to_le_bytes()).unwrap(); // PDE 0 → PT 0x2000, P RW US
        m.write(Hpa(0x2000 + 5 * 4), &0x7001u32.to_le_bytes()).unwrap(); // PTE 5 → 0x7000, P only
        let md = mode(0x1000, PagingKind::Legacy32 { pse: true });
        let w = walk(&mut m, md, Gva(0x5abc), Access::READ).unwrap();
        assert_eq!((w.phys, w.writable, w.user), (Hpa(0x7abc), false, false));
        let user = Access { user: true, ..Access::READ };
        assert_eq!(walk(&mut m, md, Gva(0x5abc), user).unwrap_err().0, pfec::P | pfec::U);
        assert_eq!(walk(&mut m, md, Gva(0x5abc), Access::WRITE).unwrap_err().0, pfec::P | pfec::W);
    }

    /// APM vol.2 5.3.3 (legacy PAE): the PDPTE index is bits 31:30, CR3 bits 4:0 are ignored, and
    /// a reserved PDPTE bit faults with P | RSV; bits 11:9 are ignored (kvm-unit-tests svm_pae_test).
    #[test]
    fn pae_legacy_walk_and_pdpte_reserved_bits() {
        let mut m = PhysMem::new(4 << 20);
        m.write_u64(Hpa(0x1000 + 8), 0x2001).unwrap(); // PDPTE1 → PD 0x2000
        m.write_u64(Hpa(0x2000 + 8), (1 << 30) | (1 << 21) | 0x83).unwrap(); // PDE1: 2 MiB page
        let md = mode(0x1000 | 0x1f, PagingKind::Pae);
        let w = walk(&mut m, md, Gva(0x4020_1234), Access::READ).unwrap();
        assert_eq!((w.phys, w.page_size, w.steps.len()), (Hpa(0x4020_1234), 2 << 20, 2));
        assert_eq!(m.read_u64(Hpa(0x1008)).unwrap(), 0x2001, "a PAE PDPTE has no accessed bit");
        for b in [52, 62, 63, 48, 5, 8, 1, 2] {
            m.write_u64(Hpa(0x1008), 0x2001 | 1 << b).unwrap();
            assert_eq!(walk(&mut m, md, Gva(0x4020_1234), Access::READ).unwrap_err().0, pfec::P | pfec::RSV, "bit {b}");
        }
        for b in 9..12 {
            m.write_u64(Hpa(0x1008), 0x2001 | 1 << b).unwrap();
            assert!(walk(&mut m, md, Gva(0x4020_1234), Access::READ).is_ok(), "bit {b}");
        }
    }

    /// APM vol.2 5.6.6: with CR4.SMEP a supervisor fetch from a user page is a #PF (P | ID);
    /// a user fetch and a supervisor read are allowed.
    #[test]
    fn smep_denies_supervisor_fetches_from_user_pages() {
        let mut m = PhysMem::new(1 << 20);
        m.write(Hpa(0x1000), &0x2007u32.to_le_bytes()).unwrap();
        m.write(Hpa(0x2000), &0x7007u32.to_le_bytes()).unwrap();
        let md = PagingMode { smep: true, ..mode(0x1000, PagingKind::Legacy32 { pse: false }) };
        assert_eq!(walk(&mut m, md, Gva(0x10), Access::FETCH).unwrap_err().0, pfec::P | pfec::ID);
        assert!(walk(&mut m, md, Gva(0x10), Access { user: true, ..Access::FETCH }).is_ok());
        assert!(walk(&mut m, md, Gva(0x10), Access::READ).is_ok());
        assert!(walk(&mut m, PagingMode { smep: false, ..md }, Gva(0x10), Access::FETCH).is_ok());
    }
}
