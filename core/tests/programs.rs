//! End-to-end programs: flat binaries assembled with `nasm -f bin` from the .asm files beside
//! them in `tests/data/` (committed, so the tests do not need nasm at run time).
use nestscope_core::machine::{Machine, DEFAULT_MEM_MIB};
use nestscope_core::{RunEnd, Stop};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn run(bin: &[u8], max: u64) -> (Machine, RunEnd) {
    let mut m = Machine::new(bin, DEFAULT_MEM_MIB).expect("load");
    let end = m.run(max).expect("no emulator error");
    (m, end)
}

#[test]
fn idt_delivery_user_mode_and_back() {
    let (m, end) = run(include_bytes!("data/idt.bin"), 1_000_000);
    assert_eq!(end, RunEnd::Stopped(Stop::DebugExit(0x42)), "console: {}", String::from_utf8_lossy(&m.console));
    assert_eq!(String::from_utf8_lossy(&m.console), "DE GP PF INT U3 ");
    // #PF on a read of the unmapped 0x100001000: not-present, read, supervisor.
    assert_eq!(m.cpu.regs.gpr[3], 0x1_0000_1000);
    assert_eq!(m.cpu.regs.gpr[12], 0);
    // #GP(0) from HLT at CPL 3.
    assert_eq!(m.cpu.regs.gpr[13], 0);
}
