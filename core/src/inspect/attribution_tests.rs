//! Tests of exit attribution. The map offsets are computed here from APM 15.11 (MSRPM: three
//! 2 KiB ranges, MSRs 0–0x1FFF at byte 0, 0xC000_0000–0xC000_1FFF at byte 0x800,
//! 0xC001_0000–0xC001_1FFF at byte 0x1000; two bits per MSR, the read bit even, the write bit odd)
//! and APM 15.10.1 (IOPM: one bit per port, port p at byte p/8, bit p%8), and the intercept bit
//! positions from App. B Table B-1 (VMCB+0x00C bit 27 IOIO_PROT, bit 28 MSR_PROT).
use super::*;
use crate::hv::L0Config;
use crate::inspect::switches::Tracker;
use crate::sim::Sim;
use crate::trace::Detail;
use std::collections::HashMap;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const MSRPM: u64 = 0x30_0000;
const IOPM: u64 = 0x31_0000;

/// APM 15.11: the byte and bit of `msr`'s read (write = false) or write bit in the MSRPM.
fn apm_msrpm(msr: u32, write: bool) -> (u64, u8) {
    let (range_byte, low) = match msr {
        0..=0x1FFF => (0x000, msr),
        0xC000_0000..=0xC000_1FFF => (0x800, msr - 0xC000_0000),
        0xC001_0000..=0xC001_1FFF => (0x1000, msr - 0xC001_0000),
        _ => panic!("outside the MSRPM"),
    };
    let bit = u64::from(low) * 2 + u64::from(write);
    (range_byte + bit / 8, (bit % 8) as u8)
}

fn vmcb(word3: u32, code: u64, info1: u64, info2: u64) -> Box<[u8; PAGE]> {
    let mut p = Box::new([0u8; PAGE]);
    p[0x00C..0x010].copy_from_slice(&word3.to_le_bytes());
    p[0x040..0x048].copy_from_slice(&IOPM.to_le_bytes());
    p[0x048..0x050].copy_from_slice(&MSRPM.to_le_bytes());
    p[0x070..0x078].copy_from_slice(&code.to_le_bytes());
    p[0x078..0x080].copy_from_slice(&info1.to_le_bytes());
    p[0x080..0x088].copy_from_slice(&info2.to_le_bytes());
    p
}

fn exit(from: Level, to: Level, code: u64) -> Event {
    Event { kind: EventKind::Vmexit, from, to, exit_code: code, step: 10, rip: 0x1000, detail: Some(Detail::Name(SvmExitCode(code).name())) }
}

const MSR_PROT_BIT: u32 = 1 << 28;
const IOIO_PROT_BIT: u32 = 1 << 27;

#[test]
fn bare_wrmsr_efer_is_decided_by_the_msrpm_bit_at_the_apm_offset() {
    // WRMSR 0xC0000080: range 2 at byte 0x800, bit 0x80*2+1 = 257 → byte 0x800 + 32 = 0x820, bit 1.
    let (byte, bit) = apm_msrpm(0xC000_0080, true);
    assert_eq!((byte, bit), (0x820, 1));
    let map: HashMap<u64, u8> = [(MSRPM + byte, 1u8 << bit)].into();
    let read = |a: u64| Some(*map.get(&a).unwrap_or(&0));
    let page = vmcb(MSR_PROT_BIT, 0x7C, 1, 0);
    let e = exit(Level::L2, Level::L1, 0x7C);
    let inputs = StepInputs {
        events: vec![(3, &e)],
        kvm: false,
        vmcb12: Some(NamedPage { name: "VMCB", page: &page }),
        vmcb01: None,
        vmcb02: None,
        rcx: 0xC000_0080,
        read_byte: &read,
    };
    let a = &attribute(&inputs)[0];
    assert_eq!(a.event, 3);
    assert_eq!(a.cause, Cause::Msr { msr: 0xC000_0080, write: true });
    assert_eq!(a.cause.describe(a.exit_code), "WRMSR 0xc0000080 (EFER)");
    assert_eq!(a.handler, Handler::HardwareToL1);
    // MSR_PROT is intercept bit 96 + 28 = 124 (word 3 at VMCB+0x00C).
    assert_eq!(a.hardware[0], BitCheck { vmcb: "VMCB", kind: CheckKind::Intercept { bit: 124, name: "MSR_PROT", section: "15.11" }, set: true });
    let m = &a.hardware[1];
    assert_eq!(m.kind, CheckKind::Msrpm { map_base: MSRPM, byte_offset: 0x820, bit: 1, msr: 0xC000_0080, write: true });
    assert!(m.set);
    assert_eq!(m.address(), Some(MSRPM + 0x820));
    assert_eq!(a.decisive(), Some(m));
    assert!(a.summary().contains("VMCB MSRPM 0x300820.1"), "{}", a.summary());
    // The RDMSR of the same MSR uses the even bit (bit 0 of the same byte), clear here.
    let page = vmcb(MSR_PROT_BIT, 0x7C, 0, 0);
    let inputs = StepInputs { vmcb12: Some(NamedPage { name: "VMCB", page: &page }), ..inputs };
    let a = &attribute(&inputs)[0];
    assert_eq!(a.hardware[1].kind, CheckKind::Msrpm { map_base: MSRPM, byte_offset: 0x820, bit: 0, msr: 0xC000_0080, write: false });
    assert!(!a.hardware[1].set);
}

#[test]
fn the_msrpm_ranges_follow_apm_15_11() {
    for (msr, write) in [(0x277, false), (0x277, true), (0x1FFF, true), (0xC001_0117, false), (0xC001_1FFF, true)] {
        let (byte, bit) = apm_msrpm(msr, write);
        let map: HashMap<u64, u8> = [(MSRPM + byte, 1u8 << bit)].into();
        let read = |a: u64| Some(*map.get(&a).unwrap_or(&0));
        let p = vmcb(MSR_PROT_BIT, 0x7C, write as u64, 0);
        let checks = checks_of(&NamedPage { name: "VMCB", page: &p }, 0x7C, &Cause::Msr { msr, write }, &read);
        assert_eq!(checks[1].address(), Some(MSRPM + byte), "{msr:#x}");
        assert!(checks[1].set, "{msr:#x} {write}");
    }
    // PAT: 0x277 * 2 = 0x4EE → byte 0x9D, bits 6 (read) and 7 (write).
    assert_eq!(apm_msrpm(0x277, false), (0x9D, 6));
    let read = |_| Some(0xFF);
    let p = vmcb(MSR_PROT_BIT, 0x7C, 0, 0);
    let c = checks_of(&NamedPage { name: "VMCB", page: &p }, 0x7C, &Cause::Msr { msr: 0x4000_0000, write: false }, &read);
    assert_eq!(c[1].kind, CheckKind::MsrOutsideMap { msr: 0x4000_0000 }, "outside the ranges: always intercepted");
}

#[test]
fn kvm_l2_msr_exit_l1_does_not_intercept_is_kept_by_l0_and_named_by_vmcb12() {
    // L2 RDMSR PAT: vmcb02 = L0's intercepts ∪ L1's, so the hardware exits to L0; vmcb12 has no
    // MSR_PROT, so L0 emulates it (its vmcb01 MSRPM has PAT's bits).
    let (byte, bit) = apm_msrpm(0x277, false);
    let (l0_map, l1_map) = (0x50_0000u64, MSRPM);
    let map: HashMap<u64, u8> = [(l0_map + byte, 0xC0)].into(); // PAT read and write bits (6, 7)
    let read = |a: u64| Some(*map.get(&a).unwrap_or(&0));
    let mut v02 = vmcb(MSR_PROT_BIT, 0x7C, 0, 0);
    v02[0x048..0x050].copy_from_slice(&l0_map.to_le_bytes());
    let mut v01 = vmcb(MSR_PROT_BIT, 0x7C, 0, 0);
    v01[0x048..0x050].copy_from_slice(&l0_map.to_le_bytes());
    let v12 = vmcb(0, 0x81, 0, 0);
    assert_eq!(u64::from_le_bytes(v12[0x048..0x050].try_into().unwrap()), l1_map);
    let e = exit(Level::L2, Level::L0, 0x7C);
    let inputs = StepInputs {
        events: vec![(7, &e)],
        kvm: true,
        vmcb12: Some(NamedPage { name: "vmcb12", page: &v12 }),
        vmcb01: Some(NamedPage { name: "vmcb01", page: &v01 }),
        vmcb02: Some(NamedPage { name: "vmcb02", page: &v02 }),
        rcx: 0x277,
        read_byte: &read,
    };
    let a = &attribute(&inputs)[0];
    assert_eq!(a.handler, Handler::L0);
    assert_eq!(a.cause.describe(a.exit_code), "RDMSR 0x277 (PAT)");
    assert!(a.hardware.iter().all(|c| c.vmcb == "vmcb02" && c.set));
    assert_eq!(a.hardware[1].address(), Some(l0_map + 0x9D));
    let d = a.decisive().expect("a decisive bit");
    assert_eq!((d.vmcb, d.set), ("vmcb12", false));
    assert!(matches!(d.kind, CheckKind::Intercept { bit: 124, .. }));
    assert_eq!(a.l0_decision.len(), 3, "vmcb12's clear MSR_PROT, then vmcb01's MSR_PROT and MSRPM bit");
    assert!(a.summary().contains("L0 handled it itself; decided by vmcb12 intercept MSR_PROT clear"), "{}", a.summary());

    // The same exit when L1 intercepts it (MSR_PROT and its MSRPM bit): reflected, event 8.
    let map: HashMap<u64, u8> = [(l0_map + byte, 1 << bit), (l1_map + byte, 1 << bit)].into();
    let read = |a: u64| Some(*map.get(&a).unwrap_or(&0));
    let v12 = vmcb(MSR_PROT_BIT, 0x7C, 0, 0);
    let r = exit(Level::L2, Level::L1, 0x7C);
    let inputs = StepInputs { events: vec![(7, &e), (8, &r)], vmcb12: Some(NamedPage { name: "vmcb12", page: &v12 }), read_byte: &read, ..inputs };
    let all = attribute(&inputs);
    assert_eq!(all[0].handler, Handler::ReflectedToL1 { event: 8 });
    let d = all[0].decisive().expect("a decisive bit");
    assert_eq!((d.vmcb, d.set, d.address()), ("vmcb12", true, Some(l1_map + 0x9D)));
    assert_eq!(all[1].handler, Handler::EmulatedByL0);
}

#[test]
fn ioio_checks_every_port_of_the_access() {
    // OUT 0xe9, 1 byte: EXITINFO1 = port << 16 | SZ8 (bit 4) | A64 (bit 9); IOPM byte 0xe9/8 = 29, bit 1.
    let info1 = 0xe9 << 16 | 1 << 4 | 1 << 9;
    let map: HashMap<u64, u8> = [(IOPM + 29, 1 << 1)].into();
    let read = |a: u64| Some(*map.get(&a).unwrap_or(&0));
    let page = vmcb(IOIO_PROT_BIT, 0x7B, info1, 0);
    let e = exit(Level::L2, Level::L1, 0x7B);
    let inputs = StepInputs { events: vec![(0, &e)], kvm: false, vmcb12: Some(NamedPage { name: "VMCB", page: &page }), vmcb01: None, vmcb02: None, rcx: 0, read_byte: &read };
    let a = &attribute(&inputs)[0];
    assert_eq!(a.cause, Cause::Io { port: 0xe9, size: 1, is_in: false, string: false, rep: false });
    assert_eq!(a.cause.describe(a.exit_code), "OUT port 0xe9, 1 byte");
    assert_eq!(a.hardware[0].kind, CheckKind::Intercept { bit: 123, name: "IOIO_PROT", section: explain(SvmExitCode::IOIO).unwrap().section });
    assert_eq!(a.hardware[1].kind, CheckKind::Iopm { map_base: IOPM, byte_offset: 29, bit: 1, port: 0xe9 });
    assert!(a.hardware[1].set);
    // IN of 2 bytes at port 0x0F touches ports 0x0F (byte 1 bit 7) and 0x10 (byte 2 bit 0).
    let info1 = 0x0F << 16 | 1 << 5 | 1 << 9 | 1;
    let c = checks_of(&NamedPage { name: "VMCB", page: &page }, 0x7B, &cause_of(0x7B, Some((info1, 0)), 0), &read);
    let bytes: Vec<(u64, u8)> = c[1..].iter().map(|c| match c.kind { CheckKind::Iopm { byte_offset, bit, .. } => (byte_offset, bit), _ => panic!() }).collect();
    assert_eq!(bytes, [(1, 7), (2, 0)]);
}

#[test]
fn a_failed_vmrun_is_a_failure_not_an_entry() {
    let run = Event { kind: EventKind::Vmrun, from: Level::L1, to: Level::L2, exit_code: 0, step: 5, rip: 0x1000, detail: Some(Detail::Vmrun { vmcb: Hpa(0x200000), emulated_by: None }) };
    let check = crate::trace::FailedCheck { name: "g_pat_invalid", apm_section: "15.25.4", detail: "G_PAT = 0x0808080808080808".into() };
    let fail = Event { kind: EventKind::Vmexit, from: Level::L2, to: Level::L1, exit_code: u64::MAX, step: 5, rip: 0x1000, detail: Some(Detail::VmrunFailed(check)) };
    let page = vmcb(0, u64::MAX, 0, 0);
    let read = |_| Some(0);
    let inputs = StepInputs { events: vec![(0, &run), (1, &fail)], kvm: false, vmcb12: Some(NamedPage { name: "VMCB", page: &page }), vmcb01: None, vmcb02: None, rcx: 0, read_byte: &read };
    let a = attribute(&inputs);
    assert_eq!(a[0].handler, Handler::VmrunFailed);
    assert_eq!(a[0].handler.describe(), "VMRUN failed: L2 was not entered");
    assert!(a[0].summary().contains("g_pat_invalid (APM 15.25.4)"), "{}", a[0].summary());
    assert_eq!(a[1].handler, Handler::VmrunFailed);
    // A VMRUN followed by no failure entered L2.
    let inputs = StepInputs { events: vec![(0, &run)], ..inputs };
    assert_eq!(attribute(&inputs)[0].handler, Handler::EnteredL2);
}

#[test]
fn npf_error_bits_are_named_as_in_apm_15_25_6() {
    // P=0, RW=1 (write), US=1 (user), bit 32 (final GPA).
    assert_eq!(npf_bits(0x1_0000_0006), "not present, write, user, final GPA (EXITINFO1 0x100000006)");
    // P=1, fetch (bit 4), guest page table (bit 33), supervisor read.
    assert_eq!(npf_bits(0x2_0000_0011), "present, read, supervisor, fetch, guest page table (EXITINFO1 0x200000011)");
    let c = cause_of(0x400, Some((0x1_0000_0006, 0x41_0000)), 0);
    assert_eq!(c.describe(0x400), "#NPF at 0x410000: not present, write, user, final GPA (EXITINFO1 0x100000006)");
}

fn program(name: &str) -> Vec<u8> {
    let sc = crate::scenario::catalog::get(name).expect("in the catalog").expect("parses");
    crate::asm::assemble(&sc.source).expect("assembles").bytes
}

#[test]
fn problem2_under_kvm_merged_names_l0s_efer_bit_and_vmcb12s_missing_msr_prot() {
    let code = program("problem2-l2-pat-msr");
    let mut s = Sim::new(&code, 64, "kvm-merged".parse().expect("a model"), &L0Config::default()).expect("loads");
    let mut t = Tracker::new(&s);
    t.run(&mut s, 1_000_000, false).expect("runs");
    let Sim::Kvm(k) = &s else { panic!("kvm") };
    let all: Vec<&Attribution> = t.records.iter().flat_map(|r| r.attributions.iter()).collect();
    // L1's WRMSR EFER (enable_svm) exits to L0 by msrpm01's write bit of 0xC0000080.
    let (byte, bit) = apm_msrpm(0xC000_0080, true);
    let efer = all.iter().find(|a| a.cause == Cause::Msr { msr: 0xC000_0080, write: true }).expect("L1's WRMSR EFER");
    assert_eq!(efer.handler, Handler::L0);
    let d = efer.decisive().expect("decisive");
    assert_eq!((d.vmcb, d.address(), d.set), ("vmcb01", Some(k.layout.msrpm01 + byte), true));
    assert!(matches!(d.kind, CheckKind::Msrpm { bit: b, .. } if b == bit));
    // L2's RDMSR PAT: the hardware exits by msrpm02's PAT read bit; vmcb12 has no MSR_PROT.
    let pat = all.iter().find(|a| a.cause == Cause::Msr { msr: 0x277, write: false } && a.l0_decision.iter().any(|c| c.vmcb == "vmcb12")).expect("L2's RDMSR PAT");
    assert_eq!(pat.handler, Handler::L0);
    assert_eq!(pat.hardware[1].address(), Some(k.layout.msrpm02 + 0x9D));
    let d = pat.decisive().expect("decisive");
    assert_eq!((d.vmcb, d.set), ("vmcb12", false));
    // L2's first fetch through L1's identity NPT (NP on in vmcb12): L0 fills its shadow NPT.
    let npf = all.iter().find(|a| a.exit_code == 0x400).expect("an #NPF of L2");
    assert_eq!(npf.handler, Handler::L0);
    assert!(matches!(npf.decisive().expect("decisive").kind, CheckKind::L1Npt { n_cr3: 0x208000, faulted: false }));
    // L1's VMRUN entered L2; L2's VMMCALL (vmcb12 intercepts it) was reflected to L1.
    assert!(all.iter().any(|a| a.handler == Handler::EnteredL2));
    let vmmcall = all.iter().find(|a| a.exit_code == 0x81 && matches!(a.handler, Handler::ReflectedToL1 { .. })).expect("reflected VMMCALL");
    assert!(matches!(vmmcall.decisive().expect("decisive").kind, CheckKind::Intercept { name: "VMMCALL", .. }));
}
