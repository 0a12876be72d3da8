//! Where the L0 model keeps its own structures in host-physical memory (above L1's RAM, which L0
//! maps 1:1), and L0's nested page table for L1: 4 KiB identity pages so single pages can be
//! write-protected (the shadow-NPT coherence scheme, shadow_npt.rs).
use crate::mem::phys::OutOfRange;
use crate::mem::{Gpa, Hpa, PhysMem};

pub const PAGE: u64 = 0x1000;
/// Pages reserved for shadow NPT tables.
pub const SHADOW_POOL_PAGES: u64 = 1024;

/// Nested-entry bits for L0's tables: P, RW, US (nested accesses are user accesses, §7.2).
pub const NPT_PRU: u64 = 0b111;

/// The last pages of the shadow pool, kept for the tables that map L1 guest-physical pages
/// without memory to a page of zeros (`map_unbacked`): the zero page, then a PT, a PD and a PDPT
/// whose every entry points at the one before.
pub const UNBACKED_PAGES: u64 = 4;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Layout {
    /// L1's RAM in bytes: guest-physical [0, l1_mem) is host-physical [0, l1_mem).
    pub l1_mem: u64,
    pub vmcb01: u64,
    pub vmcb02: u64,
    pub msrpm01: u64,
    pub iopm01: u64,
    pub msrpm02: u64,
    pub iopm02: u64,
    /// L0's nested page table for L1: PML4, PDPT, PDs, then PTs.
    pub npt_pml4: u64,
    pub npt_pdpt: u64,
    pub npt_pds: u64,
    pub npt_pts: u64,
    pub shadow_pool: u64,
    /// Host RAM in bytes (a whole number of MiB).
    pub host_mem: u64,
}

impl Layout {
    pub fn new(l1_mem: u64) -> Layout {
        let base = l1_mem;
        let n_pd = l1_mem.div_ceil(1 << 30);
        let n_pt = l1_mem.div_ceil(2 << 20);
        let npt_pml4 = base + 0x10 * PAGE;
        let npt_pdpt = npt_pml4 + PAGE;
        let npt_pds = npt_pdpt + PAGE;
        let npt_pts = npt_pds + n_pd * PAGE;
        let shadow_pool = npt_pts + n_pt * PAGE;
        let end = shadow_pool + SHADOW_POOL_PAGES * PAGE;
        Layout {
            l1_mem,
            vmcb01: base,
            vmcb02: base + PAGE,
            msrpm01: base + 2 * PAGE,
            iopm01: base + 4 * PAGE,
            msrpm02: base + 8 * PAGE,
            iopm02: base + 10 * PAGE,
            npt_pml4,
            npt_pdpt,
            npt_pds,
            npt_pts,
            shadow_pool,
            host_mem: end.div_ceil(1 << 20) << 20,
        }
    }

    /// Address of L0's NPT leaf entry for L1 guest-physical `gpa`.
    pub fn npt_pte(&self, gpa: Gpa) -> Hpa {
        Hpa(self.npt_pts + (gpa.0 >> 12) * 8)
    }

    /// Where L1's guest-physical `gpa` lies in host RAM, `None` outside L1's RAM (L0's NPT may map
    /// more, e.g. the xAPIC page, but not to RAM). L1's RAM is at host-physical 0 and L0's NPT maps
    /// it 1:1 (`build_npt`), so the address is the same number.
    pub fn l1_to_host(&self, gpa: Gpa) -> Option<Hpa> {
        (gpa.0 < self.l1_mem).then_some(Hpa(gpa.0))
    }

    /// The host-physical address of the 4 KiB page at L1 guest-physical `gpa`, `None` unless the
    /// whole page lies inside L1's RAM (checked arithmetic: a guest-controlled address near the
    /// top of the address space must not wrap).
    pub fn l1_page_to_host(&self, gpa: Gpa) -> Option<Hpa> {
        gpa.0.checked_add(0x1000).is_some_and(|end| end <= self.l1_mem).then_some(Hpa(gpa.0))
    }

    /// Maps L1's guest-physical xAPIC page to the machine's (host-physical 0xFEE0_0000) with a
    /// PD and a PT in two spare L0 pages (13 and 14 above L1's RAM). L1's RAM is at most 3 GiB,
    /// so the PDPT entry for the fourth GiB is free.
    /// Fails only if host RAM is smaller than the layout (`host_mem`).
    pub fn map_apic(&self, mem: &mut PhysMem) -> Result<(), OutOfRange> {
        let apic = crate::devices::apic::APIC_BASE;
        let (pd, pt) = (self.l1_mem + 13 * PAGE, self.l1_mem + 14 * PAGE);
        let w = |m: &mut PhysMem, a: u64, v: u64| m.write_u64(Hpa(a), v);
        w(mem, self.npt_pdpt + (apic >> 30) * 8, pd | NPT_PRU)?;
        w(mem, pd + ((apic >> 21) & 511) * 8, pt | NPT_PRU)?;
        w(mem, pt + ((apic >> 12) & 511) * 8, apic | NPT_PRU)
    }

    /// L0's NPT passes the xAPIC page through (`map_apic` ran: a booted kernel).
    pub fn maps_apic(&self, mem: &PhysMem) -> bool {
        let apic = crate::devices::apic::APIC_BASE;
        let entry = |table: u64, shift: u32| mem.read_u64(Hpa(table + ((apic >> shift) & 511) * 8)).unwrap_or(0);
        let pd = entry(self.npt_pdpt, 30);
        let pt = if pd & 1 != 0 { entry(pd & !0xfff, 21) } else { 0 };
        self.l1_mem <= apic && pt & 1 != 0 && entry(pt & !0xfff, 12) & !0xfff == apic
    }

    /// Something wrote the zero page of `map_unbacked`: a guest write outside L1's RAM (what
    /// `bare` stops with an emulator error), or it would no longer read as zeros.
    pub fn unbacked_written(&self, mem: &PhysMem) -> Option<u64> {
        let zero = self.unbacked_tables()[0];
        // Never written (generation 0): zeros, without reading the page.
        if mem.page_generation(Hpa(zero)) == 0 {
            return None;
        }
        mem.page(Hpa(zero)).ok().filter(|p| p.iter().any(|&b| b != 0)).map(|_| zero)
    }

    /// Where the `UNBACKED_PAGES` tables are: zero page, PT, PD, PDPT.
    pub fn unbacked_tables(&self) -> [u64; 4] {
        let z = self.shadow_pool + (SHADOW_POOL_PAGES - UNBACKED_PAGES) * PAGE;
        [z, z + PAGE, z + 2 * PAGE, z + 3 * PAGE]
    }

    /// Maps the L1 guest-physical page at `gpa`, which has no memory, to the zero page in L0's NPT — with the whole table region around it that L0's NPT leaves empty. What the
    /// hardware model gives a page-table walk that reads outside RAM is zeros (`bare`: not
    /// present, #PF), and L1's walks through L0's NPT must read the same (robustness D7).
    /// Returns false when nothing was missing (the page is mapped already).
    /// Only page-table walks reach it (the #NPF of a table read, nested.rs `l0_npf`); a data
    /// access may follow where one stood on `bare`, which reads zeros there too, while a write,
    /// an emulator error on `bare`, is reported as one by `unbacked_written`.
    pub fn map_unbacked(&self, mem: &mut PhysMem, gpa: Gpa) -> Result<bool, OutOfRange> {
        let [zero, pt, pd, pdpt] = self.unbacked_tables();
        // Writable: the nested walk treats guest page-table reads as writes (APM 15.25.10); a
        // data write that lands there is caught by `unbacked_written`.
        let tables = [pdpt, pd, pt, zero];
        let mut table = self.npt_pml4;
        for (level, sub) in [(4u32, pdpt), (3, pd), (2, pt), (1, zero)] {
            let ea = table + ((gpa.0 >> (12 + 9 * (level - 1))) & 511) * 8;
            let e = mem.read_u64(Hpa(ea))?;
            if e & 1 == 0 {
                mem.write_u64(Hpa(ea), sub | NPT_PRU)?;
                return Ok(true);
            }
            table = e & 0x000f_ffff_ffff_f000;
            if tables.contains(&table) {
                return Ok(false);
            }
        }
        Ok(false)
    }

    /// Builds L0's identity NPT for [0, l1_mem) with 4 KiB pages, PAT index 0 (L0's PAT[0]).
    /// Fails only if host RAM is smaller than the layout (`host_mem`).
    pub fn build_npt(&self, mem: &mut PhysMem) -> Result<(), OutOfRange> {
        let w = |m: &mut PhysMem, a: u64, v: u64| m.write_u64(Hpa(a), v);
        w(mem, self.npt_pml4, self.npt_pdpt | NPT_PRU)?;
        for pd in 0..self.l1_mem.div_ceil(1 << 30) {
            w(mem, self.npt_pdpt + pd * 8, (self.npt_pds + pd * PAGE) | NPT_PRU)?;
        }
        for pt in 0..self.l1_mem.div_ceil(2 << 20) {
            w(mem, self.npt_pds + pt * 8, (self.npt_pts + pt * PAGE) | NPT_PRU)?;
        }
        for page in 0..self.l1_mem / PAGE {
            w(mem, self.npt_pts + page * 8, (page * PAGE) | NPT_PRU)?;
        }
        // The tables of `map_unbacked`: each entry of the PDPT, PD and PT points at the next.
        let [zero, pt, pd, pdpt] = self.unbacked_tables();
        for i in 0..512 {
            w(mem, pdpt + i * 8, pd | NPT_PRU)?;
            w(mem, pd + i * 8, pt | NPT_PRU)?;
            w(mem, pt + i * 8, zero | NPT_PRU)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// L1's RAM is [0, l1_mem) at host-physical 0; nothing of L0's own pages (which lie above it)
    /// is reachable as an L1 guest-physical address.
    #[test]
    fn l1_guest_physical_to_host_physical() {
        let l = Layout::new(2 << 20);
        assert_eq!(l.l1_to_host(Gpa(0)), Some(Hpa(0)));
        assert_eq!(l.l1_to_host(Gpa(0x1f_ffff)), Some(Hpa(0x1f_ffff)));
        assert_eq!(l.l1_to_host(Gpa(0x20_0000)), None);
        assert_eq!(l.l1_to_host(Gpa(l.npt_pml4)), None);
        assert_eq!(l.l1_page_to_host(Gpa(0x1f_f000)), Some(Hpa(0x1f_f000)));
        // The page must lie wholly inside, and the end must not wrap past 2^64.
        assert_eq!(l.l1_page_to_host(Gpa(0x1f_f001)), None);
        assert_eq!(l.l1_page_to_host(Gpa(u64::MAX - 0xfff)), None);
        // L0's NPT leaf for an L1 page is the page's slot in L0's PT pages.
        assert_eq!(l.npt_pte(Gpa(0x3000)), Hpa(l.npt_pts + 3 * 8));
    }

    /// A page-table walk outside L1's RAM (robustness D7): `map_unbacked` makes L0's NPT map the
    /// page to the zero page — whatever table level was missing (a PT slot past the last L1 page,
    /// a PD, a PDPT, a PML4 entry) — once; L0's own pages and the xAPIC stay unreachable.
    #[test]
    fn unbacked_guest_physical_pages_map_to_the_zero_page_once() {
        use crate::svm::npt::{npt_walk, NptAccess, NptContext};
        let l = Layout::new(3 << 20);
        let mut mem = PhysMem::new(l.host_mem);
        l.build_npt(&mut mem).expect("fits");
        let zero = l.unbacked_tables()[0];
        let ctx = NptContext { nxe: true, smep: false, max_phys_bits: 48 };
        for gpa in [0x30_5000u64, 0x1000_0000, 0xFEE0_0000, 0x2_0000_0000, 0x8000_0000_3000, l.npt_pml4] {
            assert!(l.map_unbacked(&mut mem, Gpa(gpa)).expect("fits"), "{gpa:#x}");
            assert!(!l.map_unbacked(&mut mem, Gpa(gpa)).expect("fits"), "{gpa:#x} mapped once");
            let t = npt_walk(&mem, l.npt_pml4, Gpa(gpa | 0x18), NptAccess::guest_walk(), ctx).expect("mapped");
            assert_eq!(t.spa, Hpa(zero | 0x18), "{gpa:#x}");
        }
        assert!(!l.maps_apic(&mem), "the xAPIC page is not passed through");
        assert_eq!(l.unbacked_written(&mem), None);
        // L1's own pages are untouched.
        let t = npt_walk(&mem, l.npt_pml4, Gpa(0x2000), NptAccess::guest_walk(), ctx).expect("L1 RAM");
        assert_eq!(t.spa, Hpa(0x2000));
        mem.write_u64(Hpa(zero + 8), 1).expect("inside");
        assert_eq!(l.unbacked_written(&mem), Some(zero));
    }
}
