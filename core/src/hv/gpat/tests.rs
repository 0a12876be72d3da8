//! Table-driven tests of the four designs. Expected values are the reference's step-by-step
//! accounts (§9.2–§9.7, scenario S) and its comparison table (§10.3), not our own output.
use super::*;
use crate::hv::nested_state::{NestedState, SaveOrder};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

// The svm_nested_pat_test constants (reference §11.1) play H, G and G' of scenario S (§9.1).
const H: u64 = 0x0007_0406_0007_0404; // L1_PAT_VALUE
const G: u64 = 0x0606_0606_0606_0606; // L2_VMCB12_PAT
const G2: u64 = 0x0606_0606_0606_0604; // L2_PAT_MODIFIED
const INVALID: u64 = 0x0808_0808_0808_0808;
const R: u64 = PAT_RESET;

const L1: NestedCtx = NestedCtx { guest_mode: false, nested_npt: false };

fn vmrun12(g_pat: u64, np: bool) -> Vmrun12 {
    Vmrun12 { g_pat, nested_npt: np, new_vmcb12: true, np_clean: false }
}

/// L1 sets its PAT to H, runs L2 with vmcb12.g_pat = G and NP as given.
fn enter_l2(d: Design, np: bool) -> (PatRegs, NestedCtx) {
    let ops = d.ops();
    let mut r = PatRegs::reset();
    ops.wrmsr(&mut r, &L1, H, false).unwrap();
    ops.vmrun(&mut r, &vmrun12(G, np));
    (r, NestedCtx { guest_mode: true, nested_npt: np })
}

#[test]
fn l2_rdmsr_sees_vmcb12_gpat_except_legacy() {
    // §10.3 column "guest RDMSR/WRMSR(PAT) with NP"; §11.1 "L2's RDMSR sees vmcb12.g_pat (with NPT)".
    for (d, expect) in [(Design::KvmLegacy, H), (Design::KvmRfc, G), (Design::KvmSwap, G), (Design::KvmMerged, G)] {
        let (r, c) = enter_l2(d, true);
        assert_eq!(d.ops().rdmsr(&r, &c, false), expect, "{}", d.name());
        assert_eq!(l2_pat(&r), expect, "{}: hardware gPAT of vmcb02", d.name());
    }
}

#[test]
fn without_nested_npt_l1_and_l2_share_one_pat_in_every_design() {
    // §8.3 and api.rst: with NPT disabled for L2, L1 and L2 share IA32_PAT whatever the quirk.
    for d in Design::ALL {
        let ops = d.ops();
        let (mut r, c) = enter_l2(d, false);
        assert_eq!(ops.rdmsr(&r, &c, false), H, "{}", d.name());
        ops.wrmsr(&mut r, &c, G2, false).unwrap();
        assert_eq!(ops.vmexit(&mut r, &c), None, "{}: G_PAT not written back without NP", d.name());
        assert_eq!(ops.l1_pat(&r, &L1), G2, "{}: L1 sees L2's write", d.name());
        assert!(!ops.checks_gpat(&vmrun12(INVALID, false)), "{}: no G_PAT check without NP", d.name());
    }
}

#[test]
fn l2_wrmsr_write_back_and_l1_pat_after_vmexit() {
    // §10.3: write-back at #VMEXIT and "host PAT after #VMEXIT"; §9.2 net effect for legacy.
    for (d, writeback, l1_after) in [
        (Design::KvmLegacy, None, G2),
        (Design::KvmRfc, Some(G2), H),
        (Design::KvmSwap, Some(G2), H),
        (Design::KvmMerged, Some(G2), H),
    ] {
        let ops = d.ops();
        let (mut r, c) = enter_l2(d, true);
        ops.wrmsr(&mut r, &c, G2, false).unwrap();
        assert_eq!(ops.vmexit(&mut r, &c), writeback, "{}", d.name());
        assert_eq!(ops.l1_pat(&r, &L1), l1_after, "{}", d.name());
        assert_eq!(ops.rdmsr(&r, &L1, false), l1_after, "{}: L1's RDMSR after the exit", d.name());
    }
}

#[test]
fn vmrun_gpat_check_only_with_nested_npt_and_not_in_legacy() {
    // §10.3 column "VMRUN gPAT check (NP)".
    for (d, checks) in
        [(Design::KvmLegacy, false), (Design::KvmRfc, true), (Design::KvmSwap, true), (Design::KvmMerged, true)]
    {
        assert_eq!(d.ops().checks_gpat(&vmrun12(INVALID, true)), checks, "{}", d.name());
    }
}

#[test]
fn invalid_wrmsr_is_rejected_in_every_design() {
    for d in Design::ALL {
        let (mut r, c) = enter_l2(d, true);
        let before = r;
        assert_eq!(d.ops().wrmsr(&mut r, &c, INVALID, false), Err(InvalidPat(INVALID)), "{}", d.name());
        assert_eq!(r, before, "{}: nothing changes", d.name());
    }
}

#[test]
fn userspace_msr_access_in_l2_hpat_only_in_merged() {
    // §9.6: host-initiated accesses always hPAT (merged); RFC and v1 return L2's PAT (§9.3, §9.4).
    for (d, expect) in [(Design::KvmLegacy, H), (Design::KvmRfc, G), (Design::KvmSwap, G), (Design::KvmMerged, H)] {
        let (r, c) = enter_l2(d, true);
        assert_eq!(d.ops().rdmsr(&r, &c, true), expect, "{}", d.name());
    }
}

#[test]
fn merged_keeps_vmcb02_gpat_when_vmcb12_np_clean_bit_is_set() {
    // §9.6: vmcb02.g_pat = cached vmcb12.g_pat only if vmcb12 is new or its NP clean bit is clear.
    let ops = Design::KvmMerged.ops();
    let (mut r, _) = enter_l2(Design::KvmMerged, true);
    ops.vmrun(&mut r, &Vmrun12 { g_pat: G2, nested_npt: true, new_vmcb12: false, np_clean: true });
    assert_eq!(r.vmcb02_gpat, G);
    ops.vmrun(&mut r, &Vmrun12 { g_pat: G2, nested_npt: true, new_vmcb12: false, np_clean: false });
    assert_eq!(r.vmcb02_gpat, G2);
}

/// Scenario S: L2 active with PAT G' (after its WRMSR), checkpoint under `from`, restore under `to`.
fn migrate(from: Design, to: Design, order: SaveOrder) -> ((u64, u64), (u64, u64)) {
    let ops = from.ops();
    let (mut r, c) = enter_l2(from, true);
    ops.wrmsr(&mut r, &c, G2, false).unwrap();
    let before = (ops.l1_pat(&r, &c), l2_pat(&r));
    let mut ns = NestedState::guest_mode(0x20_0000, true);
    ns.control.misc_ctl = 1; // vmcb12 had NP_ENABLE
    let cp = checkpoint(from, &r, &c, ns);
    let (r2, c2) = restore(to, &cp, order).expect("restore accepted");
    assert!(c2.guest_mode && c2.nested_npt);
    (before, (to.ops().l1_pat(&r2, &c2), l2_pat(&r2)))
}

#[test]
fn same_design_restore_is_exact_in_either_order() {
    // §9.2 (one PAT: same result), §9.3 steps 3–4, §9.4 steps 3–4, §9.7 quirk-off steps 3–4.
    for d in Design::ALL {
        for order in [SaveOrder::MsrsFirst, SaveOrder::NestedStateFirst] {
            let (before, after) = migrate(d, d, order);
            assert_eq!(after, before, "{} {}", d.name(), order.name());
        }
    }
    // And the values are the scenario's: L1 keeps H, L2 has G' (legacy: one PAT, = G').
    assert_eq!(migrate(Design::KvmMerged, Design::KvmMerged, SaveOrder::NestedStateFirst).1, (H, G2));
    assert_eq!(migrate(Design::KvmLegacy, Design::KvmLegacy, SaveOrder::MsrsFirst).1, (G2, G2));
}

#[test]
fn cross_design_restores_lose_what_the_reference_says() {
    use Design::*;
    use SaveOrder::*;
    // v1 -> old kernel (§9.4 step 5, Jim Mattson 13 Jan 2026): KVM_SET_MSRS restores L2's PAT into
    // the one shared PAT; L1 runs with G' after the next #VMEXIT.
    assert_eq!(migrate(KvmSwap, KvmLegacy, MsrsFirst).1, (G2, G2));
    // RFC -> old kernel (§9.3 step 5, derived): the same failure.
    assert_eq!(migrate(KvmRfc, KvmLegacy, MsrsFirst).1, (G2, G2));
    // merged quirk-off -> old kernel (§9.7 table): gPAT lost, L2 runs on L1's PAT, L1 correct.
    assert_eq!(migrate(KvmMerged, KvmLegacy, MsrsFirst).1, (H, H));
    assert_eq!(migrate(KvmMerged, KvmLegacy, NestedStateFirst).1, (H, H));
    // old kernel -> merged quirk-off (§9.7 table, derived): hdr.gpat = 0 is a valid all-UC gPAT.
    assert_eq!(migrate(KvmLegacy, KvmMerged, MsrsFirst).1, (G2, 0));
    // legacy checkpoint -> v1 (§9.4 step 6): MSRs first is correct; nested state first gives L1 R.
    assert_eq!(migrate(KvmLegacy, KvmSwap, MsrsFirst).1, (G2, G2));
    assert_eq!(migrate(KvmLegacy, KvmSwap, NestedStateFirst).1, (R, G2));
}

#[test]
fn nested_state_header_layouts_differ_per_design() {
    // §9.7 "Evolution of the SVM header": RFC/v1 put VALID_GPAT (u32) at hdr+8, merged a u64 gpat.
    let (r, c) = enter_l2(Design::KvmMerged, true);
    let mut ns = NestedState::guest_mode(0x20_0000, true);
    ns.control.misc_ctl = 1;
    Design::KvmMerged.ops().get_nested_state(&r, &c, &mut ns);
    assert_eq!(ns.hdr_u64(8), G);
    assert_eq!(ns.vmcb_pa(), 0x20_0000);
    let (r, c) = enter_l2(Design::KvmSwap, true);
    let mut ns = NestedState::guest_mode(0x20_0000, true);
    Design::KvmSwap.ops().get_nested_state(&r, &c, &mut ns);
    assert_eq!(ns.hdr_u32(8), 1);
    assert_eq!(ns.save.g_pat, H, "v1: L1's PAT travels in the save area");
    // Merged rejects an invalid hdr.gpat when the control has NP (§9.7 SET step 9).
    ns.set_hdr_u64(8, INVALID);
    ns.control.misc_ctl = 1;
    let mut r = PatRegs::reset();
    let mut c = NestedCtx::default();
    assert!(Design::KvmMerged.ops().set_nested_state(&mut r, &mut c, &ns).is_err());
}
