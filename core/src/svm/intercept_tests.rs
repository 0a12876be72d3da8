//! Tests of intercept numbering, MSRPM/IOPM lookup, IOIO EXITINFO1 and EVENTINJ against reference §2–§3.
use super::exit_code::SvmExitCode;
use super::intercept::*;
use super::vmcb::VmcbControl;
use crate::mem::{Hpa, PhysMem};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn intercept_bit_numbering_reference_2_2() {
    let cases: &[(u32, Option<&str>)] = &[
        (0, Some("CR0_READ")),
        (3, Some("CR3_READ")),
        (8, Some("CR8_READ")),
        (16, Some("CR0_WRITE")),
        (24, Some("CR8_WRITE")),
        (32, Some("DR0_READ")),
        (55, Some("DR7_WRITE")),
        (64, Some("EXCEPTION0")),
        (78, Some("EXCEPTION14")),
        (96, Some("INTR")),
        (101, Some("SELECTIVE_CR0")),
        (117, Some("INTn")),
        (123, Some("IOIO_PROT")),
        (124, Some("MSR_PROT")),
        (127, Some("SHUTDOWN")),
        (128, Some("VMRUN")),
        (142, Some("RDPRU")),
        (143, Some("TRAP_EFER_WRITE")),
        (144, Some("TRAP_CR0_WRITE")),
        (152, Some("TRAP_CR8_WRITE")),
        (153, None),
        (159, None),
        (160, Some("INVLPGB")),
        (165, Some("BUSLOCK")),
        (166, Some("IDLE_HLT")),
        (167, None),
        (192, None),
    ];
    for &(b, n) in cases {
        assert_eq!(intercept_name(b), n, "bit {b}");
    }
    // bit index == exit code (reference §2.2)
    assert_eq!(INTERCEPT_INTR as u64, SvmExitCode::INTR.0);
    assert_eq!(INTERCEPT_VMRUN as u64, SvmExitCode::VMRUN.0);
    assert_eq!(INTERCEPT_IOIO_PROT as u64, SvmExitCode::IOIO.0);
    assert_eq!(INTERCEPT_MSR_PROT as u64, SvmExitCode::MSR.0);
    assert_eq!(SvmExitCode::CR8_WRITE_TRAP.intercept_bit(), Some(152));
    assert_eq!(SvmExitCode::IDLE_HLT.intercept_bit(), Some(166));
}

#[test]
fn set_and_test_intercepts_in_every_word() {
    let mut c = VmcbControl::default();
    for b in [0, 31, 32, 78, 96, 124, 128, 166] {
        assert!(!is_intercepted(&c, b));
        set_intercept(&mut c, b, true);
        assert!(is_intercepted(&c, b));
    }
    assert_eq!(c.intercept_cr, 1 | 1 << 31);
    assert_eq!(c.intercept_dr, 1);
    assert_eq!(c.intercept_exceptions, 1 << 14);
    assert_eq!(c.intercept_word3, 1 | 1 << 28);
    assert_eq!(c.intercept_word4, 1);
    assert_eq!(c.intercept_word5, 1 << 6);
    assert_eq!(
        intercept_names(&c),
        ["CR0_READ", "CR15_WRITE", "DR0_READ", "EXCEPTION14", "INTR", "MSR_PROT", "VMRUN", "IDLE_HLT"]
    );
    set_intercept(&mut c, 124, false);
    assert!(!is_intercepted(&c, 124) && is_intercepted(&c, 96));
    assert!(!is_intercepted(&c, 500));
}

#[test]
fn msrpm_reference_3_1() {
    // PAT 0x277: read bit 0x4EE, write bit 0x4EF = byte 0x9D bits 6/7.
    assert_eq!(msrpm_bit(0x277), Some(0x4EE));
    let base = 0x10_0000;
    let mut m = PhysMem::new(0x20_0000);
    m.write_u8(Hpa(base + 0x9D), 1 << 6).unwrap();
    // low 12 bits of the base are ignored
    for b in [base, base | 0xABC] {
        assert!(msrpm_intercepted(&m, b, 0x277, false).unwrap());
        assert!(!msrpm_intercepted(&m, b, 0x277, true).unwrap());
    }
    m.write_u8(Hpa(base + 0x9D), 1 << 7).unwrap();
    assert!(!msrpm_intercepted(&m, base, 0x277, false).unwrap());
    assert!(msrpm_intercepted(&m, base, 0x277, true).unwrap());
    // one MSR in each range: (msr, byte offset, read bit)
    for (msr, byte, bit) in
        [(0x0000_0010u32, 0x004u64, 0u8), (0xC000_0080, 0x820, 0), (0xC001_0117, 0x1045, 6), (0x1FFF, 0x7FF, 6)]
    {
        assert_eq!(msrpm_bit(msr).map(|b| (b / 8) as u64), Some(byte), "{msr:#x}");
        assert!(!msrpm_intercepted(&m, base, msr, false).unwrap());
        m.write_u8(Hpa(base + byte), 1 << bit).unwrap();
        assert!(msrpm_intercepted(&m, base, msr, false).unwrap(), "{msr:#x}");
        assert!(!msrpm_intercepted(&m, base, msr, true).unwrap());
        m.write_u8(Hpa(base + byte), 0).unwrap();
    }
    // outside the ranges: always intercepted, even with an all-zero map
    for msr in [0x2000u32, 0xC000_2000, 0xC001_2000, 0x4000_0000, 0xBFFF_FFFF, 0xFFFF_FFFF] {
        assert_eq!(msrpm_bit(msr), None);
        assert!(msrpm_intercepted(&m, base, msr, false).unwrap());
        assert!(msrpm_intercepted(&m, base, msr, true).unwrap());
    }
    // a map outside RAM is an error, not a silent answer
    assert!(msrpm_intercepted(&m, 0x40_0000, 0x277, false).is_err());
}

#[test]
fn iopm_reference_3_3() {
    let base = 0x2_0000;
    let mut m = PhysMem::new(0x10_0000);
    // port 0x3F8, 1 byte: bit 0x3F8 = byte 0x7F bit 0
    m.write_u8(Hpa(base + 0x7F), 1).unwrap();
    assert!(iopm_intercepted(&m, base, 0x3F8, 1).unwrap());
    assert!(!iopm_intercepted(&m, base, 0x3F9, 1).unwrap());
    assert!(iopm_intercepted(&m, base | 0xFFF, 0x3F8, 1).unwrap());
    // a 4-byte access at 0x3FE touches 0x3FE..=0x401, crossing into byte 0x80
    m.write_u8(Hpa(base + 0x7F), 0).unwrap();
    m.write_u8(Hpa(base + 0x80), 1 << 1).unwrap(); // port 0x401
    assert!(iopm_intercepted(&m, base, 0x3FE, 4).unwrap());
    assert!(!iopm_intercepted(&m, base, 0x3FE, 2).unwrap());
    assert!(iopm_intercepted(&m, base, 0x400, 2).unwrap());
    assert!(!iopm_intercepted(&m, base, 0x402, 4).unwrap());
    // port 0xFFFF, 4 bytes: bits 0xFFFF..=0x10002 reach the third page (byte 0x2000)
    m.write_u8(Hpa(base + 0x2000), 1 << 2).unwrap();
    assert!(iopm_intercepted(&m, base, 0xFFFF, 4).unwrap());
    assert!(!iopm_intercepted(&m, base, 0xFFFF, 2).unwrap());
    assert!(!iopm_intercepted(&m, base, 0xFFFF, 1).unwrap());
}

#[test]
fn ioio_exitinfo1_reference_2_3() {
    let cases = [
        // in al, dx (dx = 0x3F8) in 64-bit mode: TYPE | SZ8 | A64 | PORT
        (
            IoioInfo { port: 0x3F8, is_in: true, string: false, rep: false, size: 1, addr_size: 64, seg: 0 },
            0x03F8_0211u64,
        ),
        // rep outsw, DS, 32-bit addressing: STR | REP | SZ16 | A32 | SEG=3
        (IoioInfo { port: 0x80, is_in: false, string: true, rep: true, size: 2, addr_size: 32, seg: 3 }, 0x0080_0D2C),
        // out dx, eax with 16-bit addressing
        (
            IoioInfo { port: 0xCF8, is_in: false, string: false, rep: false, size: 4, addr_size: 16, seg: 0 },
            0x0CF8_00C0,
        ),
        // insb, ES, port 0xFFFF
        (IoioInfo { port: 0xFFFF, is_in: true, string: true, rep: false, size: 1, addr_size: 64, seg: 0 }, 0xFFFF_0215),
    ];
    for (info, raw) in cases {
        assert_eq!(info.encode(), raw, "{info:?}");
        assert_eq!(IoioInfo::decode(raw), Some(info));
    }
    assert_eq!(IoioInfo::decode(0x0030_0001), None); // SZ8 | SZ16
    assert_eq!(IoioInfo::decode(0x0000_0011), None); // no address size
}

#[test]
fn eventinj_exitintinfo_format() {
    let cases = [
        // #PF with error code 2: V | EV | type 3 | vector 14, error code in 63:32
        (EventInj { valid: true, vector: 14, ty: EventType::Exception, error_code: Some(2) }, 0x0000_0002_8000_0B0Eu64),
        (EventInj { valid: true, vector: 2, ty: EventType::Nmi, error_code: None }, 0x8000_0202),
        (EventInj { valid: true, vector: 0x20, ty: EventType::Intr, error_code: None }, 0x8000_0020),
        (EventInj { valid: true, vector: 0x80, ty: EventType::SoftInt, error_code: None }, 0x8000_0480),
        (EventInj { valid: false, vector: 0, ty: EventType::Intr, error_code: None }, 0),
        (EventInj { valid: true, vector: 1, ty: EventType::Reserved(6), error_code: None }, 0x8000_0601),
    ];
    for (e, raw) in cases {
        assert_eq!(e.encode(), raw, "{e:?}");
        assert_eq!(EventInj::decode(raw), e);
    }
    let mut c = VmcbControl::default();
    c.set_event_inj_u64(0x0000_0002_8000_0B0E);
    assert_eq!((c.event_inj, c.event_inj_err), (0x8000_0B0E, 2));
    c.set_exit_int_info_u64(0x0000_0000_8000_0B0D);
    assert_eq!(c.vmexit().int_info, 0x8000_0B0D);
    assert_eq!(EventInj::decode(0x8000_0B0D).describe(), "V exception #GP(13) err=0x0");
}
