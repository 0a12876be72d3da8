//! The run loop's inner loop and its basic blocks of fast forms (cpu/run_fast.rs, cpu/blocks.rs)
//! keep what the instructions do one at a time: a store into the block being executed, a mode
//! switch on the same code page, and a step budget that ends among straight-line fast forms.
//! The expected values are the programs' own arithmetic (tests/data/inner_loop/*.asm, nasm).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use nestscope_core::machine::{Machine, RunEnd, Stop};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const MEM_MIB: u64 = 64;

#[test]
fn a_store_into_the_running_block_is_seen_by_the_instruction_it_rewrote() {
    // AMD APM vol.2 7.6.1: the ADD executes with the immediate the store wrote (1 + 5).
    let mut m = Machine::new(include_bytes!("data/inner_loop/smc.bin"), MEM_MIB).unwrap();
    assert_eq!(m.run(1000).unwrap(), RunEnd::Stopped(Stop::DebugExit(6)));
    assert_eq!(m.steps, 4);
}

#[test]
fn code_reached_in_compatibility_mode_on_the_same_page_is_decoded_as_32_bit() {
    // 48 FF C0 in compatibility mode is DEC EAX; INC EAX (APM vol.3 1.2.7): EAX stays 7.
    let mut m = Machine::new(include_bytes!("data/inner_loop/compat.bin"), MEM_MIB).unwrap();
    assert_eq!(m.run(1000).unwrap(), RunEnd::Stopped(Stop::DebugExit(7)));
    assert_eq!(m.steps, 10, "LGDT MOV PUSH LEA PUSH RETF, NOP DEC INC, OUT");
}

#[test]
fn a_step_budget_ends_among_straight_line_fast_forms_at_exactly_its_count() {
    let program = include_bytes!("data/inner_loop/budget.bin");
    // After k steps: the MOV and k - 1 INCs (2 bytes each, after the 5-byte MOV).
    for k in 1..=17u64 {
        let mut m = Machine::new(program, MEM_MIB).unwrap();
        assert_eq!(m.run(k).unwrap(), RunEnd::Budget, "k = {k}");
        assert_eq!((m.steps, m.cpu.regs.gpr[0], m.cpu.regs.rip), (k, k - 1, 0x100000 + 5 + 2 * (k - 1)), "k = {k}");
    }
    // Budgets are totals since the start: 3, then 10, then the end (MOV AL, OUT: 19 steps).
    let mut m = Machine::new(program, MEM_MIB).unwrap();
    assert_eq!(m.run(3).unwrap(), RunEnd::Budget);
    assert_eq!(m.cpu.regs.gpr[0], 2);
    assert_eq!(m.run(10).unwrap(), RunEnd::Budget);
    assert_eq!(m.cpu.regs.gpr[0], 9);
    assert_eq!(m.run(1000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)));
    assert_eq!(m.steps, 19);
}
