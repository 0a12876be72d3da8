//! End-to-end programs: flat binaries assembled with `nasm -f bin` from the .asm files beside
//! them in `tests/data/` (committed, so the tests do not need nasm at run time).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
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
    assert_eq!(String::from_utf8_lossy(&m.console), "DE GP PF INT U3 PF ");
    // The last #PF: a CPL-3 read of a supervisor page, P|U, delivered on the TSS RSP0 stack
    // (0x70000, five qwords of frame after the error code was popped).
    assert_eq!(m.cpu.regs.gpr[3], 0x4000_0000);
    assert_eq!(m.cpu.regs.gpr[12], 0b101);
    assert_eq!(m.cpu.regs.gpr[10], 0x70000 - 5 * 8);
    assert_eq!(m.cpu.regs.gpr[11], 0x90000);
    // #GP(0) from HLT at CPL 3.
    assert_eq!(m.cpu.regs.gpr[13], 0);
}

#[test]
fn instruction_tour_self_checks() {
    let (m, end) = run(include_bytes!("data/instrs.bin"), 1_000_000);
    assert_eq!(end, RunEnd::Stopped(Stop::DebugExit(0)), "first failing check: {}", m.cpu.regs.gpr[15]);
}

#[test]
fn system_tour_self_checks() {
    let (m, end) = run(include_bytes!("data/sys.bin"), 1_000_000);
    assert_eq!(end, RunEnd::Stopped(Stop::DebugExit(0)), "first failing check: {}", m.cpu.regs.gpr[15]);
    assert_eq!(String::from_utf8_lossy(&m.console), "OK");
}

#[test]
fn ring3_privilege_checks() {
    let (m, end) = run(include_bytes!("data/user.bin"), 1_000_000);
    assert_eq!(end, RunEnd::Stopped(Stop::DebugExit(0)), "first failing check: {}", m.cpu.regs.gpr[15]);
    assert_eq!(m.cpu.cpl, 0, "INT 0x80 brought the CPU back to ring 0");
}

/// 32-bit protected mode with paging off (what a multiboot loader leaves) through compatibility
/// mode into 64-bit mode; the program checks itself (tests/data/mode32.asm).
#[test]
fn protected_mode_through_compatibility_mode_to_long_mode() {
    let mut m = Machine::new(include_bytes!("data/mode32.bin"), DEFAULT_MEM_MIB).expect("load");
    // Multiboot v1 machine state (multiboot spec 3.2): CR0.PE set, paging off, flat 32-bit CS.
    let c = &mut m.cpu;
    c.cs = nestscope_core::cpu::Segment { selector: 0x08, base: 0, limit: 0xffff_ffff, attrib: 0x0c9b };
    c.ctl.cr0 = 0x11; // PE | ET
    c.ctl.cr3 = 0;
    c.ctl.cr4 = 0;
    c.ctl.efer = 0;
    let end = m.run(10_000).expect("no emulator error");
    assert_eq!(end, RunEnd::Stopped(Stop::DebugExit(0)), "failing check: {}", m.cpu.regs.gpr[15]);
    assert_eq!(m.cpu.cs.selector, 0x18);
    assert_eq!(m.cpu.ctl.efer & (1 << 10), 1 << 10, "EFER.LMA");
}

/// The committed binaries are what `nasm -f bin` makes of the committed sources. Skipped (with
/// a message) when nasm is missing, except under CI (`CI` set), where that is a failure.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn committed_binaries_match_their_sources() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    if std::process::Command::new("nasm").arg("-v").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "nasm is required under CI");
        eprintln!("nasm not found: skipping the source/binary comparison");
        return;
    }
    for name in ["idt", "instrs", "sys", "user", "mode32"] {
        let out = std::env::temp_dir().join(format!("nestscope-{name}-{}.bin", std::process::id()));
        let st = std::process::Command::new("nasm")
            .args(["-f", "bin", "-o"])
            .arg(&out)
            .arg(dir.join(format!("{name}.asm")))
            .status()
            .expect("run nasm");
        assert!(st.success(), "nasm failed on {name}.asm");
        let fresh = std::fs::read(&out).unwrap();
        let _ = std::fs::remove_file(&out);
        assert_eq!(fresh, std::fs::read(dir.join(format!("{name}.bin"))).unwrap(), "{name}.bin is stale: re-run nasm");
    }
}
