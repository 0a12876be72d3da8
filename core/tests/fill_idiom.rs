//! The byte-fill loop idiom (core/src/cpu/exec/fill.rs) runs in bulk exactly what executing the
//! loop instruction by instruction gives: the same bytes, registers and step count — through page
//! boundaries, into the loop's own code page, within a step budget, and as L1 under L0. The
//! expected values are the program's own arithmetic (data/fill/memset.asm, assembled by nasm).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use nestscope_core::hv::L0Config;
use nestscope_core::machine::{Machine, RunEnd, StepOutcome, Stop};
use nestscope_core::mem::Hpa;
use nestscope_core::sim::Sim;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const MEMSET: &[u8] = include_bytes!("data/fill/memset.bin");
const START: u64 = 0x30_0003;
const LEN: u64 = 10_000;
/// 3 setup instructions, 4 per byte of the first fill, 4 more setup, 4 per byte of the second
/// (100 bytes), MOV AL and OUT.
const STEPS: u64 = 3 + 4 * LEN + 4 + 4 * 100 + 2;

fn check_filled(m: &Machine) {
    let tail = MEMSET.len() as u64 + 0x10_0000;
    for a in START..START + LEN {
        assert_eq!(m.mem.read_u8(Hpa(a)).unwrap(), 0xAB, "byte {a:#x}");
    }
    assert_eq!(m.mem.read_u8(Hpa(START - 1)).unwrap(), 0, "before the fill");
    assert_eq!(m.mem.read_u8(Hpa(START + LEN)).unwrap(), 0, "after the fill");
    for a in tail..tail + 100 {
        assert_eq!(m.mem.read_u8(Hpa(a)).unwrap(), 0x5A, "byte {a:#x} after the code");
    }
    assert_eq!(m.cpu.regs.gpr[8], START + LEN, "r8 = B at the end of the first loop");
    assert_eq!(m.steps, STEPS);
}

#[test]
fn a_run_fills_in_bulk_what_stepping_fills_byte_by_byte() {
    let mut run = Machine::new(MEMSET, 64).unwrap();
    assert_eq!(run.run(1_000_000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)));
    check_filled(&run);
    assert!(run.idiom_steps > 4 * LEN / 2, "the first loop ran in bulk ({} steps)", run.idiom_steps);

    let mut stepped = Machine::new(MEMSET, 64).unwrap();
    loop {
        match stepped.step().unwrap() {
            StepOutcome::Retired => {}
            StepOutcome::Stopped(s) => {
                assert_eq!(s, Stop::DebugExit(0));
                break;
            }
        }
    }
    check_filled(&stepped);
    assert_eq!(stepped.idiom_steps, 0, "single steps never run in bulk");
    assert_eq!(stepped.cpu.regs, run.cpu.regs);
}

#[test]
fn a_budget_ends_the_bulk_exactly() {
    // 3 setup steps and 250 whole iterations: RIP back at the loop's MOV, B = START + 250.
    let mut m = Machine::new(MEMSET, 64).unwrap();
    assert_eq!(m.run(1003).unwrap(), RunEnd::Budget);
    assert_eq!(m.steps, 1003);
    assert_eq!(m.cpu.regs.gpr[1], START + 250);
    assert_eq!(m.cpu.regs.rip, 0x10_0011, "fill1: after 5 + 7 + 5 bytes of setup (nasm)");
    assert_eq!(m.mem.read_u8(Hpa(START + 249)).unwrap(), 0xAB);
    assert_eq!(m.mem.read_u8(Hpa(START + 250)).unwrap(), 0);
    assert_eq!(m.run(1_000_000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)));
    check_filled(&m);
}

#[test]
fn as_l1_under_l0_the_fill_is_the_same() {
    let mut s = Sim::new(MEMSET, 64, "kvm-merged".parse().unwrap(), &L0Config::default()).unwrap();
    assert_eq!(s.run(1_000_000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)));
    check_filled(s.machine());
}
