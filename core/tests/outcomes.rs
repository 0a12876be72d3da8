//! The three outcomes kept apart at the machine's interface: the host-neutral guest entry returns
//! the guest's #VMEXIT as a value (`run_guest`, not counted as a step), a `run` that has no taker
//! for such an exit is an emulator error, and an emulator error while delivering an exception is
//! that error (exit status 2), not a guest shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use nestscope_core::machine::{GuestRun, Machine, RunEnd};
use nestscope_core::mem::Hpa;
use nestscope_core::outcome::{EmuError, Unmodelled};
use nestscope_core::svm::intercept::set_intercept;
use nestscope_core::svm::Intercept;
use nestscope_core::svm::vmrun::{GuestEntry, HostPaging};
use nestscope_core::svm::{SvmExitCode, Vmcb, VmcbSeg};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const VMCB: u64 = 0x40_0000;
const GUEST_CODE: u64 = 0x50_0000;

/// A VMCB for a 64-bit guest on the machine's own page tables (no NP) that intercepts HLT.
fn guest_vmcb(m: &Machine) -> Vmcb {
    let c = &m.cpu;
    let seg = |s: &nestscope_core::cpu::Segment| VmcbSeg { selector: s.selector, attrib: s.attrib, limit: s.limit, base: s.base };
    let mut v = Vmcb::default();
    let s = &mut v.save;
    (s.es, s.cs, s.ss, s.ds) = (seg(&c.es), seg(&c.cs), seg(&c.ss), seg(&c.ds));
    (s.gdtr.base, s.gdtr.limit) = (c.gdtr.base, c.gdtr.limit as u32);
    // APM 15.5.1: guest EFER.SVME must be 1.
    (s.efer, s.cr0, s.cr3, s.cr4) = (c.ctl.efer | 1 << 12, c.ctl.cr0, c.ctl.cr3, c.ctl.cr4);
    (s.rflags, s.rip, s.rsp) = (2, GUEST_CODE, 0x8000);
    (s.dr6, s.dr7, s.g_pat) = (0xffff_0ff0, 0x400, c.pat);
    // APM 15.5.1: ASID 0 and a clear VMRUN intercept are illegal guest states.
    v.control.asid = 1;
    set_intercept(&mut v.control, Intercept::VMRUN, true);
    set_intercept(&mut v.control, Intercept::HLT, true);
    v
}

/// The program (an `OUT 0xF4` that is never reached) and a guest that executes HLT.
fn machine_with_guest() -> Machine {
    let mut m = Machine::new(&[0xe6, 0xf4], 16).expect("machine");
    m.mem.write(Hpa(GUEST_CODE), &[0xf4]).expect("in RAM");
    let v = guest_vmcb(&m);
    v.write_to(&mut m.mem, Hpa(VMCB)).expect("in RAM");
    m
}

/// The host paging mode of a 64-bit host with NXE (CR0.PG|PE, CR4.PAE, EFER.LME|LMA|NXE|SVME).
const HOST: HostPaging = HostPaging { cr0: 0x8000_0011, cr4: 0x20, efer: 0x1d00, host_if: false };

#[test]
fn an_exit_of_a_guest_entered_from_outside_is_a_value_and_not_a_step() {
    let mut m = machine_with_guest();
    assert_eq!(m.enter_guest(Hpa(VMCB), HOST).expect("entry"), GuestEntry::Running);
    let end = m.run_guest(100).expect("run");
    let GuestRun::Exited(x) = end else { panic!("expected an exit, got {end:?}") };
    // APM Appendix C: VMEXIT_HLT = 0x78; with NRIPS, nRIP = the instruction after HLT (15.7.1).
    assert_eq!(x.code, SvmExitCode(0x78));
    assert_eq!(x.next_rip, GUEST_CODE + 1);
    // The exiting HLT is the caller's to count.
    assert_eq!(m.steps, 0);
    assert!(!m.svm.in_guest(), "guest mode ends with the #VMEXIT");
    // APM 15.6: #VMEXIT writes EXITCODE (VMCB+0x070) and the guest RIP (+0x578) back.
    assert_eq!(m.mem.read_u64(Hpa(VMCB + 0x070)).expect("in RAM"), 0x78);
    assert_eq!(m.mem.read_u64(Hpa(VMCB + 0x578)).expect("in RAM"), GUEST_CODE);
    // Nothing is pending inside the machine: the program's own code runs next.
    assert_eq!(m.stopped, None);
}

#[test]
fn run_has_no_taker_for_such_an_exit() {
    let mut m = machine_with_guest();
    m.enter_guest(Hpa(VMCB), HOST).expect("entry");
    assert_eq!(m.run(100), Err(EmuError::UnclaimedExit(SvmExitCode(0x78))));
}

#[test]
fn a_vmcb_failing_a_check_is_refused_before_anything_changes() {
    let mut m = machine_with_guest();
    let mut v = guest_vmcb(&m);
    v.control.asid = 0; // APM 15.5.1: ASID = 0 is illegal.
    v.write_to(&mut m.mem, Hpa(VMCB)).expect("in RAM");
    let before = m.cpu.clone();
    match m.enter_guest(Hpa(VMCB), HOST).expect("entry") {
        GuestEntry::Invalid(_) => {}
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(m.cpu, before);
    assert!(!m.svm.in_guest());
}

#[test]
fn an_emulator_error_during_exception_delivery_is_that_error_not_a_shutdown() {
    // UD2 with an IDT whose #UD gate names a 32-bit code segment: delivering it needs
    // compatibility mode, which the model does not implement.
    let mut m = Machine::new(&[0x0f, 0x0b], 16).expect("machine");
    // GDT entry 3 (selector 0x18): 32-bit code, D = 1, L = 0, present, DPL 0.
    m.mem.write_u64(Hpa(0x1018), 0x00CF_9B00_0000_FFFF).expect("in RAM");
    m.cpu.gdtr.limit = 0x1f;
    // IDT at 0x6000, vector 6: 64-bit interrupt gate (type 0xE, P) to 0x18:0x100000.
    let (lo, hi) = (0x0010_8E00_0000_0000u64 | 0x18 << 16, 0u64);
    m.mem.write_u64(Hpa(0x6000 + 6 * 16), lo).expect("in RAM");
    m.mem.write_u64(Hpa(0x6000 + 6 * 16 + 8), hi).expect("in RAM");
    m.cpu.idtr.base = 0x6000;
    m.cpu.idtr.limit = 0xfff;
    assert_eq!(m.step(), Err(EmuError::Unmodelled(Unmodelled::CompatIdtGate)));
    assert_eq!(m.stopped, None);
    assert_eq!(m.steps, 0);
    let mut m2 = m.clone();
    assert!(matches!(m2.run(10), Err(EmuError::Unmodelled(_))));
    assert!(!matches!(m2.run(10), Ok(RunEnd::Stopped(_))));
}
