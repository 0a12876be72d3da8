//! Single system instructions whose architectural result is an exception (APM vol.3): with the
//! CONTRACT entry state's empty IDT, an exception cannot be delivered, so the machine shuts down
//! (triple fault), and the shutdown reason names the first exception.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use nestscope_core::machine::{DEFAULT_MEM_MIB, Machine};
use nestscope_core::{RunEnd, Stop};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn run(code: &[u8], cr0_extra: u64) -> (Machine, RunEnd) {
    let mut m = Machine::new(code, DEFAULT_MEM_MIB).expect("load");
    m.cpu.ctl.cr0 |= cr0_extra;
    let end = m.run(100).expect("no emulator error");
    (m, end)
}

/// OUT 0xF4, AL with AL = 0 (B0 00 E6 F4): reaching it means the instruction before retired.
const EXIT0: [u8; 4] = [0xB0, 0x00, 0xE6, 0xF4];

#[test]
fn rsm_outside_smm_is_ud() {
    // APM vol.3 RSM: #UD when the processor is not in SMM.
    let (m, end) = run(&[[0x0F, 0xAA].as_slice(), &EXIT0].concat(), 0);
    assert!(matches!(end, RunEnd::Stopped(Stop::Shutdown(ref why)) if why.contains("#UD")), "{end:?}");
    assert_eq!(m.cpu.regs.rip, 0x100000, "RSM did not retire");
}

#[test]
fn fnop_is_a_nop_unless_cr0_em_or_ts_makes_it_nm() {
    let prog = [[0xD9, 0xD0].as_slice(), &EXIT0].concat();
    let (_, end) = run(&prog, 0);
    assert_eq!(end, RunEnd::Stopped(Stop::DebugExit(0)));
    // APM vol.2 8.2.8: #NM for an x87 instruction with CR0.TS (bit 3) or CR0.EM (bit 2) set.
    for bit in [1 << 3, 1 << 2] {
        let (m, end) = run(&prog, bit);
        assert!(matches!(end, RunEnd::Stopped(Stop::Shutdown(ref why)) if why.contains("#NM")), "{end:?}");
        assert_eq!(m.cpu.regs.rip, 0x100000);
    }
}
