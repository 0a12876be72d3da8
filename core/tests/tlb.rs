//! World switches act as full TLB flushes (TLB_CONTROL = 1, APM 15.16 "TLB Control") although the
//! software TLB keeps the translations of a context across them (cpu/tlb.rs): a program that
//! remaps, between two VMRUNs, the page its guest reads must see the new mapping in the guest at
//! once — through the guest's own page table and through L1's nested page table, under every
//! model. The expected values are the APM's: after a full flush the walk reads the new entry.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use nestscope_core::hv::L0Config;
use nestscope_core::machine::{RunEnd, Stop};
use nestscope_core::sim::Sim;
use nestscope_core::Model;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// data/tlb/remap.asm, assembled by nasm (its last OUT 0xF4 is the number of wrong reads).
const REMAP: &[u8] = include_bytes!("data/tlb/remap.bin");

#[test]
fn a_remap_between_vmruns_is_seen_by_the_next_guest_run() {
    for model in Model::ALL {
        let mut s = Sim::new(REMAP, 64, model, &L0Config::default()).unwrap();
        let end = s.run(100_000).unwrap();
        assert_eq!(end, RunEnd::Stopped(Stop::DebugExit(0)), "{model}: wrong reads (stale translations)");
        // 16 VMRUNs, 8 of them with nothing remapped: the kept translations were used.
        let tlb = &s.machine().tlb;
        assert!(tlb.reuses > 0, "{model}: no context was reused ({} fresh)", tlb.fresh);
    }
}

#[test]
fn a_round_trip_loop_reuses_translations_at_every_switch() {
    // Nothing in the loop writes a page table: after the first round trip, every switch into L1
    // or L2 finds its context's translations valid.
    for model in ["bare", "kvm-merged"] {
        let p = nestscope_core::bench::round_trip_program(1000);
        let mut s = Sim::new(&p, 64, model.parse().unwrap(), &L0Config::default()).unwrap();
        assert_eq!(s.run(u64::MAX).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)));
        let tlb = &s.machine().tlb;
        assert!(tlb.fresh <= 8, "{model}: {} switches started empty", tlb.fresh);
        assert!(tlb.reuses >= 1990, "{model}: only {} reuses", tlb.reuses);
    }
}
