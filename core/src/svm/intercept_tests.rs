//! Tests of intercept numbering, MSRPM/IOPM lookup, IOIO EXITINFO1 and EVENTINJ against reference §2–§3.
#![allow(clippy::cast_possible_truncation, reason = "tests build intercept words and ports from small loop counters")]
use super::exit_code::SvmExitCode;
use super::exit_table::{Intercept, explain};
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
        assert_eq!(Intercept::from_bit(b).map(Intercept::name), n, "bit {b}");
    }
    // Reference §2.2: INTERCEPT_INTR = 96 = 0x60 = SVM_EXIT_INTR, INTERCEPT_VMRUN = 128 = 0x80,
    // IOIO_PROT 123, MSR_PROT 124, SHUTDOWN 127, exception v = 64 + v, CRn write = 16 + n.
    assert_eq!((Intercept::INTR.bit(), Intercept::INTR.exit_code()), (96, SvmExitCode(0x60)));
    assert_eq!((Intercept::VMRUN.bit(), Intercept::VMRUN.exit_code()), (128, SvmExitCode(0x80)));
    assert_eq!((Intercept::IOIO_PROT.bit(), Intercept::MSR_PROT.bit(), Intercept::SHUTDOWN.bit()), (123, 124, 127));
    assert_eq!(
        (Intercept::exception(14).bit(), Intercept::cr_write(3).bit(), Intercept::dr_read(7).bit()),
        (78, 19, 39)
    );
    assert_eq!(Intercept::SELECTIVE_CR0.exit_code(), SvmExitCode(0x065));
    assert_eq!(SvmExitCode::cr_write_trap(8).intercept().map(Intercept::bit), Some(152));
    assert_eq!(SvmExitCode::cr_write_trap(9).intercept(), None);
    assert_eq!(SvmExitCode::IDLE_HLT.intercept().map(Intercept::bit), Some(166));
}

/// Reference §2.2, words 3, 4 and 5 in bit order (Linux `INTERCEPT_*` enum of asm/svm.h).
#[test]
fn every_word_3_4_5_intercept_of_reference_2_2() {
    let word3 = "INTR, NMI, SMI, INIT, VINTR, SELECTIVE_CR0, STORE_IDTR, STORE_GDTR, STORE_LDTR, STORE_TR, \
        LOAD_IDTR, LOAD_GDTR, LOAD_LDTR, LOAD_TR, RDTSC, RDPMC, PUSHF, POPF, CPUID, RSM, IRET, INTn, INVD, PAUSE, \
        HLT, INVLPG, INVLPGA, IOIO_PROT, MSR_PROT, TASK_SWITCH, FERR_FREEZE, SHUTDOWN";
    let word4 = "VMRUN, VMMCALL, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, RDTSCP, ICEBP, WBINVD, MONITOR, MWAIT, \
        MWAIT_COND, XSETBV, RDPRU, TRAP_EFER_WRITE, TRAP_CR0_WRITE, TRAP_CR1_WRITE, TRAP_CR2_WRITE, TRAP_CR3_WRITE, \
        TRAP_CR4_WRITE, TRAP_CR5_WRITE, TRAP_CR6_WRITE, TRAP_CR7_WRITE, TRAP_CR8_WRITE";
    let word5 = "INVLPGB, INVLPGB_ILLEGAL, INVPCID, MCOMMIT, TLBSYNC, BUSLOCK, IDLE_HLT";
    for (first, list) in [(96, word3), (128, word4), (160, word5)] {
        let names: Vec<&str> = list.split(',').map(str::trim).collect();
        for (k, n) in names.iter().enumerate() {
            let i = Intercept::from_bit(first + k as u32).unwrap_or_else(|| panic!("bit {} ({n})", first + k as u32));
            assert_eq!(i.name(), *n);
            // bit index == exit code, and the exit table row of that code names this intercept
            assert_eq!(explain(i.exit_code()).and_then(|e| e.intercept), Some(*n));
        }
        if first != 96 {
            // word 4 ends at bit 152, word 5 at 166: the rest of the word is undefined
            assert_eq!(Intercept::from_bit(first + names.len() as u32), None, "after {first}+{}", names.len());
        }
    }
    assert_eq!(Intercept::all().count(), 64 + 32 + 32 + 25 + 7);
}

/// Reference §2.1 (the `SVM_EXIT_*` list): every code has a row with that Linux name, or (for the
/// four codes Linux does not define, 0xA0, 0xA1, 0xA3, 0xA4) that APM name.
#[test]
fn every_exit_code_of_reference_2_1() {
    let listed = "0x060 INTR, 0x061 NMI, 0x062 SMI, 0x063 INIT, 0x064 VINTR, 0x065 CR0_SEL_WRITE, 0x066 IDTR_READ, \
        0x067 GDTR_READ, 0x068 LDTR_READ, 0x069 TR_READ, 0x06A IDTR_WRITE, 0x06B GDTR_WRITE, 0x06C LDTR_WRITE, \
        0x06D TR_WRITE, 0x06E RDTSC, 0x06F RDPMC, 0x070 PUSHF, 0x071 POPF, 0x072 CPUID, 0x073 RSM, 0x074 IRET, \
        0x075 SWINT, 0x076 INVD, 0x077 PAUSE, 0x078 HLT, 0x079 INVLPG, 0x07A INVLPGA, 0x07B IOIO, 0x07C MSR, \
        0x07D TASK_SWITCH, 0x07E FERR_FREEZE, 0x07F SHUTDOWN, 0x080 VMRUN, 0x081 VMMCALL, 0x082 VMLOAD, \
        0x083 VMSAVE, 0x084 STGI, 0x085 CLGI, 0x086 SKINIT, 0x087 RDTSCP, 0x088 ICEBP, 0x089 WBINVD, 0x08A MONITOR, \
        0x08B MWAIT, 0x08C MWAIT_COND, 0x08D XSETBV, 0x08E RDPRU, 0x08F EFER_WRITE_TRAP, 0x0A0 INVLPGB, \
        0x0A1 INVLPGB_ILLEGAL, 0x0A2 INVPCID, 0x0A3 MCOMMIT, 0x0A4 TLBSYNC, 0x0A5 BUS_LOCK, 0x0A6 IDLE_HLT, \
        0x400 NPF, 0x401 AVIC_INCOMPLETE_IPI, 0x402 AVIC_UNACCELERATED_ACCESS, 0x403 VMGEXIT, 0x407 PML_FULL, \
        0xFFFFFFFFFFFFFFFF ERR";
    for item in listed.split(',') {
        let (code, name) = item.trim().split_once(' ').expect("code name");
        let code = u64::from_str_radix(code.trim_start_matches("0x"), 16).expect("hex");
        let e = explain(SvmExitCode(code)).unwrap_or_else(|| panic!("{code:#x} {name} missing"));
        match e.linux_name {
            Some(l) => assert_eq!(l, format!("SVM_EXIT_{name}"), "{code:#x}"),
            None => assert_eq!(e.apm_name, format!("VMEXIT_{name}"), "{code:#x}"),
        }
        assert!(!e.section.is_empty() && !e.meaning.is_empty(), "{code:#x}");
    }
    // The numbered families: CRn/DRn read and write 0x000-0x03F, EXCP_BASE + vector up to
    // SVM_EXIT_LAST_EXCP 0x05F, CR0..CR15 write traps 0x090-0x09F.
    for (code, apm, linux) in [
        (0x003, "VMEXIT_CR3_READ", "SVM_EXIT_READ_CR3"),
        (0x018, "VMEXIT_CR8_WRITE", "SVM_EXIT_WRITE_CR8"),
        (0x027, "VMEXIT_DR7_READ", "SVM_EXIT_READ_DR7"),
        (0x03F, "VMEXIT_DR15_WRITE", "SVM_EXIT_WRITE_DR15"),
        (0x040, "VMEXIT_EXCP0", "SVM_EXIT_EXCP_BASE+0"),
        (0x05F, "VMEXIT_EXCP31", "SVM_EXIT_EXCP_BASE+31"),
        (0x094, "VMEXIT_CR4_WRITE_TRAP", "SVM_EXIT_CR4_WRITE_TRAP"),
    ] {
        let e = explain(SvmExitCode(code)).expect("family member");
        assert_eq!((e.apm_name, e.linux_name), (apm, Some(linux)), "{code:#x}");
    }
    assert_eq!(SvmExitCode::exception(14), SvmExitCode(0x04E));
    assert_eq!(SvmExitCode::cr_write(0).0, 0x010);
    // Codes nobody defines.
    for c in [0x0A7, 0x0FF, 0x404, 0x408, 0x1000, 0xFFFF_FFFF] {
        assert_eq!(explain(SvmExitCode(c)), None, "{c:#x}");
    }
    // Ascending and without overlap (the lookup relies on it).
    let codes: Vec<u64> = crate::svm::exit_table::all().map(|e| e.code).collect();
    assert!(codes.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(codes.len(), 0xA7 + 5 + 4);
}

#[test]
fn set_and_test_intercepts_in_every_word() {
    let mut c = VmcbControl::default();
    for b in [0, 31, 32, 78, 96, 124, 128, 166] {
        let b = Intercept::from_bit(b).expect("defined bit");
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
    set_intercept(&mut c, Intercept::MSR_PROT, false);
    assert!(!is_intercepted(&c, Intercept::MSR_PROT) && is_intercepted(&c, Intercept::INTR));
    assert_eq!(Intercept::from_bit(500), None);
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
