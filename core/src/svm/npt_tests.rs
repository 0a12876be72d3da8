//! Tests of the nested walk against the #NPF EXITINFO1 vectors of reference §11.2 / §11.4.
use super::exit_code::SvmExitCode;
use super::npt::*;
use crate::mem::memtype::pat::{EntryKind, PTE_PAT_LARGE};
use crate::mem::{Gpa, Hpa, PhysMem};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const URW: u64 = PTE_P | PTE_RW | PTE_US;
const NCR3: u64 = 0x1000;
const CTX: NptContext = NptContext { nxe: true, smep: false, max_phys_bits: 48 };

/// PML4 @0x1000 → PDPT @0x2000 → PD @0x3000 → PT @0x4000, plus a 1 GiB and a 2 MiB leaf.
fn tables() -> PhysMem {
    let mut m = PhysMem::new(0x10_0000);
    let mut w = |a: u64, v: u64| m.write_u64(Hpa(a), v).unwrap();
    w(0x1000, 0x2000 | URW);
    w(0x1000 + 8, 0x2000 | URW | PTE_PS); // PML4E with PS: reserved
    w(0x1000 + 16, 0x10_0000_0000 | URW); // next table outside RAM
    w(0x2000, 0x3000 | URW);
    w(0x2000 + 8, 0x4000_0000 | URW | PTE_PS); // 1 GiB page at GPA 1 GiB
    w(0x3000, 0x4000 | URW);
    w(0x3000 + 8, 0x60_0000 | URW | PTE_PS | PTE_PAT_LARGE); // 2 MiB page at GPA 2 MiB
    w(0x4000 + 0x10 * 8, 0x8000 | URW);
    // 0x11: not present
    w(0x4000 + 0x12 * 8, 0x9000 | PTE_P | PTE_US); // read-only
    w(0x4000 + 0x13 * 8, 0xA000 | PTE_P | PTE_RW); // supervisor
    w(0x4000 + 0x14 * 8, 0xB000 | URW | PTE_NX);
    w(0x4000 + 0x15 * 8, 0xC000 | URW | 1 << 50); // reserved address bit (MAXPHYADDR 48)
    m
}

fn fault(r: Result<NptTranslation, NptError>) -> (u64, u64, u8) {
    match r {
        Err(NptError::Fault { exit_info_1, gpa, level }) => (exit_info_1, gpa.0, level),
        other => panic!("expected #NPF, got {other:?}"),
    }
}

#[test]
fn translations() {
    let m = tables();
    let t = npt_walk(&m, NCR3, Gpa(0x10123), NptAccess::write(), CTX).unwrap();
    assert_eq!((t.spa, t.page_size, t.leaf_kind, t.entries.len()), (Hpa(0x8123), 0x1000, EntryKind::Leaf4K, 4));
    assert_eq!(t.entries[3], (Hpa(0x4080), 0x8000 | URW));
    let t = npt_walk(&m, NCR3, Gpa(0x20_1234), NptAccess::fetch(), CTX).unwrap();
    assert_eq!(
        (t.spa, t.page_size, t.leaf_kind, t.entries.len()),
        (Hpa(0x60_1234), 0x20_0000, EntryKind::LeafLarge, 3)
    );
    assert_ne!(t.leaf & PTE_PAT_LARGE, 0);
    let t = npt_walk(&m, NCR3, Gpa(0x4000_5678), NptAccess::read(), CTX).unwrap();
    assert_eq!((t.spa, t.page_size, t.entries.len()), (Hpa(0x4000_5678), 1 << 30, 2));
    // nCR3 PCD/PWT and low bits do not move the table
    assert!(npt_walk(&m, NCR3 | 0x18, Gpa(0x10000), NptAccess::read(), CTX).is_ok());
}

#[test]
fn npf_exitinfo1_vectors() {
    let m = tables();
    let cases: &[(&str, u64, NptAccess, bool, u64)] = &[
        ("npt_np / final page unmapped", 0x11000, NptAccess::read(), true, 0x1_0000_0004),
        ("npt_nx", 0x14000, NptAccess::fetch(), true, 0x1_0000_0015),
        ("npt_us", 0x13000, NptAccess::read(), true, 0x1_0000_0005),
        ("npt_rw / final page write-protected", 0x12000, NptAccess::write(), true, 0x1_0000_0007),
        ("npt_rw_pfwalk / page-table page write-protected", 0x12000, NptAccess::guest_walk(), true, 0x2_0000_0007),
        ("page-table page unmapped", 0x11000, NptAccess::guest_walk(), true, 0x2_0000_0006),
        ("reserved bit, read", 0x15000, NptAccess::read(), true, 0x1_0000_000D),
        ("reserved bit, fetch with NX", 0x15000, NptAccess::fetch(), true, 0x1_0000_001D),
        ("reserved bit, guest walk", 0x15000, NptAccess::guest_walk(), true, 0x2_0000_000F),
        ("NX bit without host NXE is reserved", 0x14000, NptAccess::fetch(), false, 0x1_0000_000D),
    ];
    for &(name, gpa, acc, nxe, want) in cases {
        let ctx = NptContext { nxe, ..CTX };
        let (info1, info2, _) = fault(npt_walk(&m, NCR3, Gpa(gpa), acc, ctx));
        assert_eq!((info1, info2), (want, gpa), "{name}");
    }
    // a read-only page is still readable, an NX page still readable
    assert!(npt_walk(&m, NCR3, Gpa(0x12000), NptAccess::read(), CTX).is_ok());
    assert!(npt_walk(&m, NCR3, Gpa(0x14000), NptAccess::read(), CTX).is_ok());
}

#[test]
fn walk_order_and_errors() {
    let m = tables();
    let (info1, _, level) = fault(npt_walk(&m, NCR3, Gpa(0x80_0000_0000), NptAccess::read(), CTX));
    assert_eq!((info1, level), (0x1_0000_000D, 4)); // PS in a PML4E
    let (info1, _, level) = fault(npt_walk(&m, NCR3, Gpa(0x2000_0000), NptAccess::read(), CTX));
    assert_eq!((info1, level), (0x1_0000_0004, 2)); // PD entry 0x100 not present
    assert!(matches!(npt_walk(&m, NCR3, Gpa(0x100_0000_0000), NptAccess::read(), CTX), Err(NptError::Memory(_))));
    let e = npt_walk(&m, NCR3, Gpa(0x11000), NptAccess::read(), CTX).unwrap_err();
    let x = e.vmexit().unwrap();
    assert_eq!((x.code, x.info1, x.info2), (SvmExitCode::NPF, 0x1_0000_0004, 0x11000));
}

/// kvm-unit-tests svm_npt_rsvd_bits_test: PML4E bit 8 is reserved (APM vol.2 5.3.3; a PDPE's and
/// a PDE's bit 8 are not), and a fetch's #NPF has ID set when the host has NX *or* SMEP enabled
/// ("PFEC.FETCH=1 if NX=1 *or* SMEP=1"): 0x1_0000_000D without either, 0x1_0000_001D with one.
#[test]
fn pml4e_bit8_reserved_and_id_bit_with_host_nx_or_smep() {
    let mut m = tables();
    m.write_u64(Hpa(0x2000), 0x3000 | URW | 1 << 8).unwrap(); // PDPE bit 8: ignored
    m.write_u64(Hpa(0x3000), 0x4000 | URW | 1 << 8).unwrap(); // PDE bit 8: ignored
    assert!(npt_walk(&m, NCR3, Gpa(0x10123), NptAccess::read(), CTX).is_ok());
    m.write_u64(Hpa(0x1000), 0x2000 | URW | 1 << 8).unwrap();
    let (info1, _, level) = fault(npt_walk(&m, NCR3, Gpa(0x10123), NptAccess::read(), CTX));
    assert_eq!((info1, level), (0x1_0000_000D, 4));
    let m = tables();
    for (nxe, smep, want) in [(false, false, 0x1_0000_000D), (true, false, 0x1_0000_001D), (false, true, 0x1_0000_001D)] {
        let ctx = NptContext { nxe, smep, ..CTX };
        let (info1, _, _) = fault(npt_walk(&m, NCR3, Gpa(0x15000), NptAccess::fetch(), ctx));
        assert_eq!(info1, want, "host NX {nxe}, SMEP {smep}");
    }
}
