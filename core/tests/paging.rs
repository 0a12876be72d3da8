//! Paging tests: #PF error codes (APM 8.4.2 / SDM 4.7), A/D updates, PAT index selection
//! (reference §5.1), large pages, reserved bits, INVLPG.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use nestscope_core::outcome::{Fault, Trap};
use nestscope_core::machine::Machine;
use nestscope_core::mem::paging::{self, pfec, pte, Access};
use nestscope_core::mem::{Gva, Hpa};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const PML4: u64 = 0x10000;
const PDPT: u64 = 0x11000;
const PD: u64 = 0x12000;
const PT: u64 = 0x13000;
/// Linear 0x4000_0000 + page n*4K maps physical 0x20_0000 + n*4K through PML4[0] PDPT[1] PD[0] PT[n].
const VA: u64 = 0x4000_0000;
const P_RW_US: u64 = pte::P | pte::RW | pte::US;

fn machine() -> Machine {
    let mut m = Machine::new(&[0xf4], 64).unwrap();
    let w = |m: &mut Machine, a: u64, v: u64| m.mem.write_u64(Hpa(a), v).unwrap();
    w(&mut m, PML4, PDPT | P_RW_US);
    w(&mut m, PDPT + 8, PD | P_RW_US);
    w(&mut m, PD, PT | P_RW_US);
    for n in 0..8u64 {
        w(&mut m, PT + n * 8, (0x20_0000 + n * 0x1000) | P_RW_US);
    }
    m.cpu.ctl.cr3 = PML4;
    m.flush_tlb();
    m
}

fn set_pte(m: &mut Machine, n: u64, v: u64) {
    m.mem.write_u64(Hpa(PT + n * 8), v).unwrap();
    m.flush_tlb();
}

fn pf_code(r: Result<Hpa, Trap>) -> u32 {
    match r {
        Err(Trap::Fault(Fault { vector: 14, error_code: Some(c), cr2: Some(_), .. })) => c,
        other => panic!("expected #PF, got {other:?}"),
    }
}

const R: Access = Access { write: false, user: false, fetch: false };
const W: Access = Access { write: true, user: false, fetch: false };
const UR: Access = Access { write: false, user: true, fetch: false };
const UW: Access = Access { write: true, user: true, fetch: false };
const X: Access = Access { write: false, user: false, fetch: true };
const UX: Access = Access { write: false, user: true, fetch: true };

#[test]
fn translation_of_a_4k_page() {
    let mut m = machine();
    assert_eq!(m.translate(Gva(VA + 0x1234), R).unwrap(), Hpa(0x20_1234));
}

#[test]
fn not_present_error_codes() {
    let mut m = machine();
    set_pte(&mut m, 0, 0x20_0000 | pte::RW);
    assert_eq!(pf_code(m.translate(Gva(VA), R)), 0);
    assert_eq!(pf_code(m.translate(Gva(VA), W)), pfec::W);
    assert_eq!(pf_code(m.translate(Gva(VA), UR)), pfec::U);
    assert_eq!(pf_code(m.translate(Gva(VA), UW)), pfec::U | pfec::W);
    // Instruction fetch sets I/D (with NXE on, as in the CONTRACT state).
    assert_eq!(pf_code(m.translate(Gva(VA), X)), pfec::ID);
    // A non-present upper level gives the same codes.
    let mut m = machine();
    m.mem.write_u64(Hpa(PD), 0).unwrap();
    m.flush_tlb();
    assert_eq!(pf_code(m.translate(Gva(VA), W)), pfec::W);
}

#[test]
fn write_to_read_only_honours_cr0_wp_at_cpl0() {
    let mut m = machine();
    set_pte(&mut m, 1, 0x20_1000 | pte::P | pte::US);
    // WP = 1 (CONTRACT): supervisor write faults, P|W.
    assert_eq!(pf_code(m.translate(Gva(VA + 0x1000), W)), pfec::P | pfec::W);
    // User write always faults.
    assert_eq!(pf_code(m.translate(Gva(VA + 0x1000), UW)), pfec::P | pfec::W | pfec::U);
    // WP = 0: supervisor write succeeds.
    m.cpu.ctl.cr0 &= !(1 << 16);
    m.flush_tlb();
    assert_eq!(m.translate(Gva(VA + 0x1000), W).unwrap(), Hpa(0x20_1000));
    // RW clear at an upper level counts too.
    let mut m = machine();
    m.mem.write_u64(Hpa(PDPT + 8), PD | pte::P | pte::US).unwrap();
    m.flush_tlb();
    assert_eq!(pf_code(m.translate(Gva(VA), W)), pfec::P | pfec::W);
}

#[test]
fn user_access_to_supervisor_page() {
    let mut m = machine();
    set_pte(&mut m, 2, 0x20_2000 | pte::P | pte::RW);
    assert_eq!(pf_code(m.translate(Gva(VA + 0x2000), UR)), pfec::P | pfec::U);
    assert_eq!(pf_code(m.translate(Gva(VA + 0x2000), UW)), pfec::P | pfec::U | pfec::W);
    assert_eq!(pf_code(m.translate(Gva(VA + 0x2000), UX)), pfec::P | pfec::U | pfec::ID);
    assert!(m.translate(Gva(VA + 0x2000), R).is_ok());
    // US clear at the PML4 level.
    let mut m = machine();
    m.mem.write_u64(Hpa(PML4), PDPT | pte::P | pte::RW).unwrap();
    m.flush_tlb();
    assert_eq!(pf_code(m.translate(Gva(VA), UR)), pfec::P | pfec::U);
}

#[test]
fn nx_fetch_faults_only_with_efer_nxe() {
    let mut m = machine();
    set_pte(&mut m, 3, 0x20_3000 | P_RW_US | pte::NX);
    assert_eq!(pf_code(m.translate(Gva(VA + 0x3000), X)), pfec::P | pfec::ID);
    assert_eq!(pf_code(m.translate(Gva(VA + 0x3000), UX)), pfec::P | pfec::ID | pfec::U);
    assert!(m.translate(Gva(VA + 0x3000), R).is_ok());
    // With EFER.NXE clear, bit 63 is reserved.
    m.cpu.ctl.efer &= !(1 << 11);
    m.flush_tlb();
    assert_eq!(pf_code(m.translate(Gva(VA + 0x3000), R)), pfec::P | pfec::RSV);
}

#[test]
fn reserved_bits() {
    // Bits 51:48 are above MAXPHYADDR = 48.
    let mut m = machine();
    set_pte(&mut m, 4, 0x20_4000 | P_RW_US | (1 << 51));
    assert_eq!(pf_code(m.translate(Gva(VA + 0x4000), R)), pfec::P | pfec::RSV);
    assert_eq!(pf_code(m.translate(Gva(VA + 0x4000), UW)), pfec::P | pfec::RSV | pfec::U | pfec::W);
    // PS in a PML4E is reserved.
    let mut m = machine();
    m.mem.write_u64(Hpa(PML4), PDPT | P_RW_US | pte::PS).unwrap();
    m.flush_tlb();
    assert_eq!(pf_code(m.translate(Gva(VA), R)), pfec::P | pfec::RSV);
    // A 2 MiB page with address bits 20:13 set is reserved (bit 12 is the PAT bit).
    let mut m = machine();
    m.mem.write_u64(Hpa(PD), 0x20_0000 | (1 << 13) | P_RW_US | pte::PS).unwrap();
    m.flush_tlb();
    assert_eq!(pf_code(m.translate(Gva(VA), R)), pfec::P | pfec::RSV);
}

#[test]
fn accessed_and_dirty_bits() {
    let mut m = machine();
    m.translate(Gva(VA + 0x5000), R).unwrap();
    for a in [PML4, PDPT + 8, PD] {
        let e = m.mem.read_u64(Hpa(a)).unwrap();
        assert!(e & pte::A != 0 && e & pte::D == 0, "upper entry {a:#x} = {e:#x}");
    }
    let leaf = m.mem.read_u64(Hpa(PT + 5 * 8)).unwrap();
    assert_eq!(leaf & (pte::A | pte::D), pte::A);
    m.translate(Gva(VA + 0x5000), W).unwrap();
    let leaf = m.mem.read_u64(Hpa(PT + 5 * 8)).unwrap();
    assert_eq!(leaf & (pte::A | pte::D), pte::A | pte::D);
    // D is only ever set on the leaf.
    assert_eq!(m.mem.read_u64(Hpa(PD)).unwrap() & pte::D, 0);
    // A faulting access sets no D bit.
    set_pte(&mut m, 6, 0x20_6000 | pte::P | pte::US);
    assert!(m.translate(Gva(VA + 0x6000), W).is_err());
    assert_eq!(m.mem.read_u64(Hpa(PT + 6 * 8)).unwrap() & pte::D, 0);
}

#[test]
fn pat_index_for_4k_and_large_pages() {
    let mut m = machine();
    let mode = m.paging_mode();
    // 4 KiB: PAT is bit 7. PAT|PCD -> 6, PWT -> 1.
    set_pte(&mut m, 7, 0x20_7000 | P_RW_US | pte::PS | pte::PCD);
    let w = paging::walk(&mut m.mem, mode, Gva(VA + 0x7000), R).unwrap();
    assert_eq!((w.pat_index, w.page_size, w.steps.len()), (6, 0x1000, 4));
    set_pte(&mut m, 7, 0x20_7000 | P_RW_US | pte::PWT);
    assert_eq!(paging::walk(&mut m.mem, mode, Gva(VA + 0x7000), R).unwrap().pat_index, 1);
    // 2 MiB: PAT is bit 12, bit 7 is PS. PAT|PWT -> 5.
    m.mem.write_u64(Hpa(PD), 0x60_0000 | P_RW_US | pte::PS | (1 << 12) | pte::PWT).unwrap();
    let w = paging::walk(&mut m.mem, mode, Gva(VA + 0x12_3456), R).unwrap();
    assert_eq!((w.pat_index, w.page_size, w.phys), (5, 0x20_0000, Hpa(0x72_3456)));
    assert_eq!(w.steps.len(), 3);
    assert_eq!(w.steps[2].entry_addr, Hpa(PD));
    // 1 GiB: CONTRACT identity map, PAT index 0; with PCD|PWT -> 3.
    let mode0 = Machine::new(&[0xf4], 64).unwrap().paging_mode();
    let mut m = Machine::new(&[0xf4], 64).unwrap();
    let w = paging::walk(&mut m.mem, mode0, Gva(0x1234_5678), R).unwrap();
    assert_eq!((w.pat_index, w.page_size, w.phys), (0, 1 << 30, Hpa(0x1234_5678)));
    m.mem.write_u64(Hpa(0x3000), 0x83 | pte::PCD | pte::PWT).unwrap();
    assert_eq!(paging::walk(&mut m.mem, mode0, Gva(0x1234_5678), R).unwrap().pat_index, 3);
}

#[test]
fn invlpg_and_cr3_writes_drop_stale_translations() {
    let mut m = machine();
    assert_eq!(m.translate(Gva(VA), R).unwrap(), Hpa(0x20_0000));
    // Change the PTE behind the TLB's back: the cached translation may stay...
    m.mem.write_u64(Hpa(PT), 0x30_0000 | P_RW_US).unwrap();
    assert_eq!(m.translate(Gva(VA), R).unwrap(), Hpa(0x20_0000));
    // ...until the TLB is flushed (INVLPG, MOV CR3, or the SVM layer's flush_tlb).
    m.flush_tlb();
    assert_eq!(m.translate(Gva(VA), R).unwrap(), Hpa(0x30_0000));
}

#[test]
fn non_canonical_address_is_gp() {
    let mut m = machine();
    assert_eq!(m.translate(Gva(0x0000_8000_0000_0000), R), Err(Trap::Fault(Fault::gp0())));
}
