//! The resumable lockstep agrees with a one-shot comparison for any slicing, says when the step
//! limit ended it, and names the VMCB field where the runs differ (values from the programs'
//! construction and the APM, not from our output).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use nestscope_core::compare::*;
use nestscope_core::hv::gpat::Design;
use nestscope_core::hv::L0Config;
use nestscope_core::model::Model;
use nestscope_core::scenario::{catalog, run};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn scenario_program(name: &str) -> (Vec<u8>, nestscope_core::scenario::Scenario) {
    let s = catalog::load().unwrap().into_iter().find(|s| s.name == name).unwrap();
    (run::assemble(&s.source).unwrap(), s)
}

fn m(n: &str) -> Model {
    n.parse().unwrap()
}

/// Advances a fresh lockstep by `slice` instructions at a time to its end.
fn sliced(p: &[u8], models: [Model; 2], mem: u64, max: u64, slice: u64) -> Comparison {
    let mut l = Lockstep::new(p, models, mem, max, &L0Config::default()).unwrap();
    let mut calls = 0u64;
    while !l.advance(slice).unwrap() {
        calls += 1;
        assert!(l.steps() <= calls * slice, "a slice compared more than its budget");
    }
    l.result()
}

#[test]
fn any_slicing_finds_the_first_divergence_of_a_one_shot_compare() {
    for name in ["problem1-gpat-check", "problem2-l2-pat-msr", "problem3-writeback"] {
        let (p, s) = scenario_program(name);
        let models = [m("bare"), m("kvm-legacy")];
        let whole = compare(&p, models, s.machine.mem_mib, s.machine.max_steps, &L0Config::default()).unwrap();
        assert!(whole.divergence.is_some(), "{name}: the seed's problem shows under kvm-legacy");
        for slice in [1, 7, 100, 4096, u64::MAX] {
            assert_eq!(sliced(&p, models, s.machine.mem_mib, s.machine.max_steps, slice), whole, "{name}, slice {slice}");
        }
    }
}

#[test]
fn problem2_diverges_at_l2s_rdmsr_pat_l1s_pat_against_gpat() {
    // Seed problem 2 (APM 15.25.2, replicated state): L2's RDMSR PAT reads the G_PAT
    // L1 put in vmcb12 (G = 0x0606060606060606) on bare metal; kvm-legacy returns L1's PAT
    // (H = 0x0007040600070404). RDMSR puts the low half in EAX.
    let (p, s) = scenario_program("problem2-l2-pat-msr");
    let c = sliced(&p, [m("bare"), m("kvm-legacy")], s.machine.mem_mib, s.machine.max_steps, 1000);
    let d = c.divergence.unwrap();
    assert_eq!(d.level, "L2");
    assert!(d.instruction.contains("rdmsr"), "{}", d.instruction);
    assert!(d.differences.contains(&"rax: 0x6060606 vs 0x70404".to_string()), "{:?}", d.differences);
}

#[test]
fn problem1_names_vmcb12_exitcode_where_bare_refuses_the_vmrun() {
    // Seed problem 1 (APM 15.25.4): a G_PAT with a reserved type makes VMRUN fail with
    // VMEXIT_INVALID (-1) in vmcb12.EXITCODE on bare metal; kvm-legacy enters L2.
    let (p, s) = scenario_program("problem1-gpat-check");
    let c = compare(&p, [m("bare"), m("kvm-legacy")], s.machine.mem_mib, s.machine.max_steps, &L0Config::default()).unwrap();
    let d = c.divergence.unwrap();
    assert!(d.instruction.contains("vmrun"), "{}", d.instruction);
    assert!(
        d.differences.iter().any(|l| l.starts_with("vmcb12.EXITCODE: 0xffffffffffffffff vs")),
        "{:?}",
        d.differences
    );
    // The rest of the 4 KiB page bare rewrote is counted, not listed byte by byte.
    assert!(!d.differences.iter().any(|l| l.starts_with("memory 0x200")), "{:?}", d.differences);
}

#[test]
fn problem3_names_vmcb12_g_pat_written_back_at_vmexit() {
    // Seed problem 3 (APM vol. 3 VMRUN, #VMEXIT saves the guest state): bare writes L2's current
    // gPAT G' = 0x0606060606060604 back to vmcb12.G_PAT; kvm-legacy leaves G there.
    let (p, s) = scenario_program("problem3-writeback");
    let c = compare(&p, [m("bare"), m("kvm-legacy")], s.machine.mem_mib, s.machine.max_steps, &L0Config::default()).unwrap();
    let d = c.divergence.unwrap();
    assert!(
        d.differences.contains(&"vmcb12.G_PAT: 0x606060606060604 vs 0x606060606060606".to_string()),
        "{:?}",
        d.differences
    );
}

#[test]
fn the_step_limit_is_said_not_silent() {
    // mov ecx, 1000000 ; .l: dec ecx ; jnz .l ; hlt — 2 000 001 instructions, far over 5 000.
    let p = run::assemble("bits 64\norg 0x100000\nmov ecx, 1000000\n.l: dec ecx\njnz .l\nhlt\n").unwrap();
    let c = sliced(&p, [m("bare"), m("kvm-merged")], 16, 5000, 333);
    assert_eq!((c.steps, c.agree, c.limit_reached), (5000, true, true));
    // Ended by the program, not the limit: mov, 3 rounds of dec+jnz, hlt = 8 instructions.
    let p = run::assemble("bits 64\norg 0x100000\nmov ecx, 3\n.l: dec ecx\njnz .l\nhlt\n").unwrap();
    let c = sliced(&p, [m("bare"), m("kvm-merged")], 16, 5000, 3);
    assert_eq!((c.steps, c.agree, c.limit_reached), (8, true, false));
}

#[test]
fn a_cross_design_restore_loses_l2s_gpat_and_diverges_after_it() {
    // Seed problem 4, reference §9.7: merged keeps L2's gPAT in the nested state only; restored
    // into kvm-legacy (which has no gPAT), L2 runs on L1's PAT H afterwards.
    let (p, s) = scenario_program("problem4-checkpoint-cross-design");
    let plan = MigratePlan { at: 20_000, to: Design::KvmLegacy, order: nestscope_core::hv::nested_state::SaveOrder::MsrsFirst };
    let mut l = Lockstep::new(&p, [m("kvm-merged"), m("kvm-merged")], s.machine.mem_mib, s.machine.max_steps, &L0Config::default())
        .unwrap()
        .with_migration(1, plan)
        .unwrap();
    while !l.advance(5000).unwrap() {}
    let c = l.result();
    assert_eq!(c.migrations.len(), 1);
    assert_eq!(c.migrations[0].migration.lost, vec!["L2's gPAT".to_string()]);
    let d = c.divergence.unwrap();
    assert!(d.step > 20_000, "nothing differs before the restore: {}", d.step);
    assert_eq!(d.level, "L2");
    assert!(Lockstep::new(&p, [m("bare"), m("kvm-merged")], 16, 10, &L0Config::default()).unwrap().with_migration(0, plan).is_err());
}
