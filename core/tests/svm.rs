//! SVM hardware model end to end: L1 programs (NASM sources and their committed `nasm -f bin`
//! output in `data/svm/`) that VMRUN L2 guests. Expected values come from the reference
//! (/work/shared/reference/svm-pat-reference.md, sections cited per test), not from our output.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![allow(clippy::cast_possible_truncation, reason = "test programs and fixtures narrow values deliberately")]
use nestscope_core::machine::{DEFAULT_MEM_MIB, Machine};
use nestscope_core::mem::Hpa;
use nestscope_core::svm::SvmModel;
use nestscope_core::trace::{EventKind, Level};
use nestscope_core::{RunEnd, Stop};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const RESULTS: u64 = 0x600000;
const INVALID: u64 = u64::MAX;

fn run(bin: &[u8], model: SvmModel) -> Machine {
    let mut m = Machine::with_model(bin, DEFAULT_MEM_MIB, model).expect("load");
    let end = m.run(2_000_000).expect("no emulator error");
    assert_eq!(end, RunEnd::Stopped(Stop::DebugExit(0)), "console: {}", String::from_utf8_lossy(&m.console));
    assert_eq!(m.level(), Level::L1);
    m
}

fn q(m: &Machine, a: u64) -> u64 {
    m.mem.read_u64(Hpa(a)).unwrap()
}

/// The record `run_case` (lib.inc) writes for case i: exit code, EXITINFO1, EXITINFO2, nRIP,
/// guest RIP, guest RAX, EXITINTINFO, guest CR2.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Rec {
    code: u64,
    info1: u64,
    info2: u64,
    nrip: u64,
    rip: u64,
    rax: u64,
    int_info: u64,
    cr2: u64,
}

fn rec(m: &Machine, i: u64) -> Rec {
    let b = RESULTS + 64 * i;
    Rec {
        code: q(m, b),
        info1: q(m, b + 8),
        info2: q(m, b + 16),
        nrip: q(m, b + 24),
        rip: q(m, b + 32),
        rax: q(m, b + 40),
        int_info: q(m, b + 48),
        cr2: q(m, b + 56),
    }
}

/// Reference §4.2 (APM 15.5.1, 15.20, 15.25.4): one VMRUN per consistency check, each ending in
/// VMEXIT_INVALID written as all ones into the VMCB, with the failed check named in the event.
#[test]
fn consistency_checks_end_in_vmexit_invalid() {
    let cases: [(u64, Option<&str>); 20] = [
        (0, Some("asid_zero")),
        (1, Some("vmrun_intercept_clear")),
        (2, Some("g_pat_invalid")),
        (3, Some("efer_svme_zero")),
        (4, Some("cr0_cd_nw")),
        (5, Some("illegal_event_inj")),
        (6, Some("msrpm_beyond_maxphyaddr")),
        (7, Some("iopm_beyond_maxphyaddr")),
        (8, Some("cr0_high")),
        (9, Some("dr6_high")),
        (10, Some("dr7_high")),
        (11, Some("efer_mbz")),
        (12, Some("lme_pg_no_pae")),
        (13, Some("lme_pg_no_pe")),
        (14, Some("lme_pg_pae_cs_l_d")),
        (15, Some("cr3_mbz")),
        (16, Some("cr4_mbz")),
        (17, Some("ncr3_mbz")),
        (18, None), // valid, NP on
        (19, None), // invalid G_PAT is ignored with NP off (reference §8.3)
    ];
    for model in SvmModel::ALL {
        let m = run(include_bytes!("data/svm/checks.bin"), model);
        // Events: one vmrun per case, each followed by its vmexit.
        assert_eq!(m.events.len(), 40, "{model:?}");
        for (i, check) in cases {
            let r = rec(&m, i);
            // bare-qemu does not check G_PAT (reference §10.1): case 2 runs the guest.
            let check = if model == SvmModel::BareQemu && i == 2 { None } else { check };
            let (run, exit) = (&m.events[2 * i as usize], &m.events[2 * i as usize + 1]);
            assert_eq!((run.kind, run.from, run.to), (EventKind::Vmrun, Level::L1, Level::L2));
            assert_eq!((exit.kind, exit.from, exit.to), (EventKind::Vmexit, Level::L2, Level::L1));
            match check {
                Some(name) => {
                    assert_eq!(r.code, INVALID, "case {i} {name} {model:?}");
                    assert_eq!((r.info1, r.info2), (0, 0));
                    assert_eq!(exit.exit_code, INVALID);
                    let d = exit.detail_text().unwrap();
                    assert!(d.starts_with(name), "case {i}: {d}");
                    assert!(d.contains("(APM 15."), "{d}");
                }
                None => {
                    assert_eq!(r.code, 0x81, "case {i} {model:?}");
                    assert_eq!(exit.exit_code, 0x81);
                }
            }
        }
    }
}

/// Labels of exits.asm, in the order of its label table at 0x100008.
const EXIT_LABELS: [&str; 52] = [
    "g_vmmcall",
    "g_cpuid",
    "g_hlt",
    "g_out",
    "g_out_insn",
    "g_out_next",
    "g_in",
    "g_in_insn",
    "g_in_next",
    "g_rdmsr_pat",
    "g_rdmsr_pat_insn",
    "g_wrmsr_pat_bad",
    "g_wrmsr_pat_bad_insn",
    "g_rdmsr_hv",
    "g_rdmsr_hv_insn",
    "g_cr0w",
    "g_cr0w_insn",
    "g_cr3r",
    "g_ud",
    "g_gp",
    "g_gp_insn",
    "g_pf",
    "g_pf_insn",
    "g_int21",
    "g_int3",
    "g_rdtsc",
    "g_rdtscp",
    "g_pause",
    "g_pushf",
    "g_popf",
    "g_iret",
    "g_invd",
    "g_wbinvd",
    "g_invlpg",
    "g_icebp",
    "g_clgi",
    "g_vmrun",
    "g_vmrun_insn",
    "g_vmload",
    "g_vmload_insn",
    "g_dr7r",
    "g_dr0w",
    "g_cr0cd",
    "g_cr0cd_insn",
    "g_cr0ts",
    "g_cr0ts_next",
    "g_rdmsr_efer",
    "g_rdmsr_efer_next",
    "g_h13",
    "g_h13_next",
    "g_h40",
    "g_h40_next",
];

fn label(m: &Machine, name: &str) -> u64 {
    let i = EXIT_LABELS.iter().position(|l| *l == name).expect("known label") as u64;
    q(m, 0x100008 + 8 * i)
}

/// Every implemented intercept with its EXITINFO1/EXITINFO2/nRIP (reference §2.1–§2.3, §3.1,
/// §3.3; APM 15.7.1 nRIP): instruction intercepts save nRIP = next RIP, exceptions other than
/// INT3/INTO save 0; #PF gives the error code and the address and leaves CR2 alone; IOIO EXITINFO1
/// = port<<16 | size | address size | type and EXITINFO2 = next RIP; MSR 0/1; INTn the vector;
/// INVLPG the address. Identical on all three models.
#[test]
fn intercepts_and_exit_information() {
    for model in SvmModel::ALL {
        let m = run(include_bytes!("data/svm/exits.bin"), model);
        let l = |n: &str| label(&m, n);
        // (case, exit code, EXITINFO1, EXITINFO2, nRIP, guest RIP at the exit)
        let cases: Vec<(u64, u64, u64, u64, u64, u64)> = vec![
            (0, 0x81, 0, 0, l("g_vmmcall") + 3, l("g_vmmcall")),
            (1, 0x72, 0, 0, l("g_cpuid") + 2, l("g_cpuid")),
            (2, 0x78, 0, 0, l("g_hlt") + 1, l("g_hlt")),
            // OUT 0x80, AL: PORT 0x80, SZ8, A64, TYPE = OUT
            (3, 0x7B, 0x0080_0000 | 1 << 4 | 1 << 9, l("g_out_next"), l("g_out_next"), l("g_out_insn")),
            // IN AX, DX with DX = 0x1234 and only port 0x1235's bit set: the second byte is checked.
            (4, 0x7B, 0x1234_0000 | 1 << 5 | 1 << 9 | 1, l("g_in_next"), l("g_in_next"), l("g_in_insn")),
            // PAT read bit = MSRPM byte 0x9D bit 6, write bit = bit 7 (reference §3.1 example)
            (5, 0x7C, 0, 0, l("g_rdmsr_pat_insn") + 2, l("g_rdmsr_pat_insn")),
            // WRMSR(PAT) with a reserved encoding: the MSRPM intercept wins over #GP (reference §3.1)
            (6, 0x7C, 1, 0, l("g_wrmsr_pat_bad_insn") + 2, l("g_wrmsr_pat_bad_insn")),
            // MSR 0x40000000 is outside the three MSRPM ranges: always intercepted
            (7, 0x7C, 0, 0, l("g_rdmsr_hv_insn") + 2, l("g_rdmsr_hv_insn")),
            (8, 0x10, 0, 0, l("g_cr0w_insn") + 3, l("g_cr0w_insn")),
            (9, 0x03, 0, 0, l("g_cr3r") + 3, l("g_cr3r")),
            (10, 0x46, 0, 0, 0, l("g_ud")),
            // MOV DS with selector 0x18 beyond the GDT limit: #GP(0x18)
            (11, 0x4D, 0x18, 0, 0, l("g_gp_insn")),
            // read of the unmapped 0x1_0000_1000: #PF error code 0 (read, not present, supervisor)
            (12, 0x4E, 0, 0x1_0000_1000, 0, l("g_pf_insn")),
            (13, 0x75, 0x21, 0, l("g_int21") + 2, l("g_int21")),
            (14, 0x43, 0, 0, l("g_int3") + 1, l("g_int3")),
            (15, 0x6E, 0, 0, l("g_rdtsc") + 2, l("g_rdtsc")),
            (16, 0x87, 0, 0, l("g_rdtscp") + 3, l("g_rdtscp")),
            (17, 0x77, 0, 0, l("g_pause") + 2, l("g_pause")),
            (18, 0x70, 0, 0, l("g_pushf") + 1, l("g_pushf")),
            (19, 0x71, 0, 0, l("g_popf") + 1, l("g_popf")),
            (20, 0x74, 0, 0, l("g_iret") + 2, l("g_iret")),
            (21, 0x76, 0, 0, l("g_invd") + 2, l("g_invd")),
            (22, 0x89, 0, 0, l("g_wbinvd") + 2, l("g_wbinvd")),
            (23, 0x79, 0x1234, 0, l("g_invlpg") + 8, l("g_invlpg")),
            (24, 0x88, 0, 0, l("g_icebp") + 1, l("g_icebp")),
            (25, 0x85, 0, 0, l("g_clgi") + 3, l("g_clgi")),
            // VMRUN in L2 is always intercepted (the check requires the intercept bit)
            (26, 0x80, 0, 0, l("g_vmrun_insn") + 3, l("g_vmrun_insn")),
            (27, 0x82, 0, 0, l("g_vmload_insn") + 3, l("g_vmload_insn")),
            (28, 0x27, 0, 0, l("g_dr7r") + 3, l("g_dr7r")),
            (29, 0x30, 0, 0, l("g_dr0w") + 3, l("g_dr0w")),
            // selective CR0 write: setting CD exits, setting only TS does not
            (31, 0x65, 0, 0, l("g_cr0cd_insn") + 3, l("g_cr0cd_insn")),
            (32, 0x81, 0, 0, l("g_cr0ts_next") + 3, l("g_cr0ts_next")),
            // MSR_PROT with the EFER bits clear: RDMSR executes
            (33, 0x81, 0, 0, l("g_rdmsr_efer_next") + 3, l("g_rdmsr_efer_next")),
            // EVENTINJ #GP(0x1234) and INTR 0x40 delivered through the guest IDT
            (34, 0x81, 0, 0, l("g_h13_next") + 3, l("g_h13_next")),
            (35, 0x81, 0, 0, l("g_h40_next") + 3, l("g_h40_next")),
            // #PF intercepted while delivering #GP(0x18) through an IDT at the unmapped 4 GiB
            (36, 0x4E, 0, 0x1_0000_0000 + 13 * 16, 0, l("g_gp_insn")),
        ];
        for &(i, code, info1, info2, nrip, rip) in &cases {
            let r = rec(&m, i);
            assert_eq!(
                (r.code, r.info1, r.info2, r.nrip, r.rip),
                (code, info1, info2, nrip, rip),
                "case {i} {model:?}: {r:x?}"
            );
        }
        // SHUTDOWN intercept: the triple fault of an unhandled #UD (guest IDT limit 0)
        assert_eq!(rec(&m, 30).code, 0x7F);
        // the #PF intercept leaves CR2 as it was (EXITINFO2 carries the address, reference §2.3)
        assert_eq!(rec(&m, 12).cr2, 0x1111);
        assert_eq!(rec(&m, 33).rax, 0x1D00, "guest EFER = LME LMA NXE SVME");
        assert_eq!(rec(&m, 34).rax, 0x1234, "the injected #GP's error code was pushed");
        assert_eq!(rec(&m, 35).rax, 0x40);
        // EXITINTINFO of case 36: valid, exception, EV, vector 13, error code 0x18 in bits 63:32
        assert_eq!(rec(&m, 36).int_info, 0x18 << 32 | 1 << 31 | 1 << 11 | 3 << 8 | 13);
        for i in 0..36 {
            assert_eq!(rec(&m, i).int_info, 0, "case {i}");
        }
        assert_eq!(m.events.len(), 2 * 37);
        for (k, e) in m.events.iter().enumerate() {
            let want = if k % 2 == 0 {
                (EventKind::Vmrun, Level::L1, Level::L2)
            } else {
                (EventKind::Vmexit, Level::L2, Level::L1)
            };
            assert_eq!((e.kind, e.from, e.to), want);
        }
        assert_eq!(m.events[7].exit_code, 0x7B);
    }
}

/// #NPF (exit 0x400) with EXITINFO1 per reference §7.3 and the test vectors of §11.2
/// (nested_tdp_fault_test) and §11.4 (kvm-unit-tests svm_npt); EXITINFO2 = the faulting GPA.
#[test]
fn nested_page_faults() {
    for model in SvmModel::ALL {
        let m = run(include_bytes!("data/svm/npf.bin"), model);
        let l = |i: u64| q(&m, 0x100008 + 8 * i);
        let (g_read, g_write, g_read4, g_read5, g_pf_insn, g_read32) = (l(0), l(1), l(2), l(3), l(4), l(6));
        let cases: [(u64, u64, u64, u64, u64); 9] = [
            // (case, exit code, EXITINFO1, EXITINFO2, guest RIP)
            (0, 0x400, 0x1_0000_0004, 0x900000, g_read), // final page unmapped (§11.2)
            (1, 0x400, 0x2_0000_0006, 0x801000, g_read), // page-table page unmapped (§11.2)
            (2, 0x400, 0x1_0000_0007, 0x902000, g_write), // final page write-protected (§11.2)
            (3, 0x400, 0x2_0000_0007, 0x800000, g_read), // PT page write-protected = guest CR3 (§11.4 npt_rw_pfwalk)
            (4, 0x400, 0x1_0000_0015, 0x903000, 0x903000), // npt_nx (§11.4)
            (5, 0x400, 0x1_0000_0005, 0x904000, g_read4), // npt_us (§11.4)
            (6, 0x400, 0x1_0000_000D, 0x905000, g_read5), // reserved bit, final (§11.4)
            (7, 0x400, 0x2_0000_000F, 0x800000, g_read), // reserved bit in a PDPE: the walk faults first (§11.4)
            (9, 0x400, 0x1_0000_0004, 0x900000, g_read32), // guest CR0.PG = 0 (32-bit code): GPA = GLA through the NPT (§7.2)
        ];
        for (i, code, info1, info2, rip) in cases {
            let r = rec(&m, i);
            assert_eq!(
                (r.code, r.info1, r.info2, r.rip, r.nrip),
                (code, info1, info2, rip, 0),
                "case {i} {model:?}: {r:x?}"
            );
        }
        // A guest #PF is reported as such, not as #NPF
        let r = rec(&m, 8);
        assert_eq!((r.code, r.info1, r.info2, r.rip), (0x4E, 0, 0x1_4000_5000, g_pf_insn));
        // A/D bits (reference §7.2): nested entries of guest page tables get A and D (walks are
        // writes), the final read gets A, the final write A and D.
        assert_eq!(rec(&m, 10).code, 0x81);
        let npte = |gpa: u64| q(&m, 0x213000 + ((gpa - 0x800000) >> 12) * 8);
        assert_eq!(npte(0x800000), 0x800000 | 0x67);
        assert_eq!(npte(0x801000), 0x801000 | 0x67);
        assert_eq!(npte(0x906000), 0x906000 | 0x27);
        assert_eq!(npte(0x907000), 0x907000 | 0x67);
        assert_eq!(npte(0x908000), 0x908000 | 0x07);
        // and the guest's own entries: PML4E accessed, the 1 GiB leaf accessed and dirty
        assert_eq!(q(&m, 0x800000), 0x801000 | 0x23);
        assert_eq!(q(&m, 0x801000), 0x83 | 0x60);
    }
}

/// G_PAT readings (reference §10.3 comparison table, §8.3, constants of §11.1): with NP, `bare`
/// and `bare-swap` give L2 the G_PAT value, write L2's WRMSR back into G_PAT and leave L1's PAT
/// alone; `bare-qemu` shares L1's PAT and never touches G_PAT (nor checks it). With NP off all three
/// share the one PAT and ignore G_PAT.
#[test]
fn gpat_readings_of_the_three_models() {
    const L1_PAT: u64 = 0x0007_0406_0007_0404;
    const L2_PAT: u64 = 0x0606_0606_0606_0606;
    const L2_MOD: u64 = 0x0606_0606_0606_0604;
    const BAD: u64 = 0x0808_0808_0808_0808;
    const NOT_RUN: u64 = 0xDEAD;
    // (phase, [L2 read, L1 PAT after, G_PAT after, exit code]) per model
    type Row = (u64, [u64; 4]);
    let separate: [Row; 4] = [
        (0, [L2_PAT, L1_PAT, L2_MOD, 0x81]),
        (1, [L1_PAT, L2_MOD, L2_PAT, 0x81]),
        (2, [NOT_RUN, L1_PAT, BAD, INVALID]),
        (3, [L1_PAT, L2_MOD, BAD, 0x81]),
    ];
    let qemu: [Row; 4] = [
        (0, [L1_PAT, L2_MOD, L2_PAT, 0x81]),
        (1, [L1_PAT, L2_MOD, L2_PAT, 0x81]),
        (2, [L1_PAT, L2_MOD, BAD, 0x81]),
        (3, [L1_PAT, L2_MOD, BAD, 0x81]),
    ];
    for (model, rows) in [(SvmModel::Bare, separate), (SvmModel::BareSwap, separate), (SvmModel::BareQemu, qemu)] {
        let m = run(include_bytes!("data/svm/gpat.bin"), model);
        for (p, want) in rows {
            let b = RESULTS + 32 * p;
            let got = [q(&m, b), q(&m, b + 8), q(&m, b + 16), q(&m, b + 24)];
            assert_eq!(got, want, "phase {p} {model:?}: {got:x?}");
        }
    }
}

mod memtype {
    //! `Machine::memtype_of` end to end under NP (reference §6.3/§6.4): guest type from gPAT,
    //! host type from the host PAT, Table 15-19, then Table 15-20 with the MTRR type, CD.
    use super::*;
    use nestscope_core::mem::Gva;
    use nestscope_core::mem::memtype::MemType::{self, *};
    use nestscope_core::mem::paging::Access;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// gPAT: PA0 WB, PA1 WC, PA2 UC-, PA3 UC, PA4..7 WB.
    const GPAT: u64 = 0x0606_0606_0007_0106;

    fn w(m: &mut Machine, a: u64, v: u64) {
        m.mem.write_u64(Hpa(a), v).unwrap();
    }

    /// A machine stopped in L2 right after VMRUN: guest tables at 0x800000 (PT 0x803000 maps
    /// 0xA00000.. with 4 KiB pages, PWT/PCD per page), NPT at 0x210000 (PT 0x213000 maps
    /// 0xA00000.. with 4 KiB pages; the entry of 0xA04000 has PCD), a UC variable MTRR on
    /// 0xA03000, G_PAT = GPAT.
    fn in_guest(model: SvmModel, guest_cd: bool) -> Machine {
        // vmrun ; vmmcall (guest code at 0x100010)
        let mut prog = vec![0x0F, 0x01, 0xD8];
        prog.resize(0x10, 0x90);
        prog.extend([0x0F, 0x01, 0xD9]);
        let mut m = Machine::with_model(&prog, DEFAULT_MEM_MIB, model).unwrap();
        m.cpu.ctl.efer |= 1 << 12;
        m.cpu.msr.vm_hsave_pa = 0x201000;
        m.cpu.regs.gpr[0] = 0x200000;
        // guest tables
        w(&mut m, 0x800000, 0x801003);
        w(&mut m, 0x801000, 0x802003);
        w(&mut m, 0x802000, 0x83); // 0-2 MiB
        w(&mut m, 0x802000 + 5 * 8, 0x803003); // 10-12 MiB
        for i in 0..512u64 {
            let bits = match i {
                1 => 1 << 3, // PWT -> index 1
                2 => 1 << 4, // PCD -> index 2
                _ => 0,
            };
            w(&mut m, 0x803000 + i * 8, (0xA00000 + (i << 12)) | 3 | bits);
        }
        // nested tables
        w(&mut m, 0x210000, 0x211007);
        w(&mut m, 0x211000, 0x212007);
        for i in 0..512u64 {
            w(&mut m, 0x212000 + i * 8, (i << 21) | 0x87);
        }
        w(&mut m, 0x212000 + 5 * 8, 0x213007);
        for i in 0..512u64 {
            let pcd = if i == 4 { 1 << 4 } else { 0 };
            w(&mut m, 0x213000 + i * 8, (0xA00000 + (i << 12)) | 7 | pcd);
        }
        // MTRR variable range 3: 0xA03000, 4 KiB, UC
        m.cpu.msr.mtrr_var[6] = 0xA03000;
        m.cpu.msr.mtrr_var[7] = 0xFFFF_FFFF_F000 | 1 << 11;
        // VMCB
        let v = 0x200000;
        w(&mut m, v + 0x10, 3); // VMRUN | VMMCALL
        w(&mut m, v + 0x58, 1); // ASID
        w(&mut m, v + 0x48, 0x202000);
        w(&mut m, v + 0x40, 0x204000);
        w(&mut m, v + 0x90, 1); // NP_ENABLE
        w(&mut m, v + 0xB0, 0x210000);
        m.mem.write_u16(Hpa(v + 0x410), 8).unwrap();
        m.mem.write_u16(Hpa(v + 0x412), 0xA9B).unwrap();
        for s in [0x400, 0x420, 0x430] {
            m.mem.write_u16(Hpa(v + s), 0x10).unwrap();
            m.mem.write_u16(Hpa(v + s + 2), 0xC93).unwrap();
        }
        w(&mut m, v + 0x4D0, 0x1D00);
        w(&mut m, v + 0x548, 0x20);
        w(&mut m, v + 0x550, 0x800000);
        let cr0 = 0x8001_0033 | if guest_cd { 1 << 30 } else { 0 };
        w(&mut m, v + 0x558, cr0);
        w(&mut m, v + 0x570, 2);
        w(&mut m, v + 0x578, 0x100010);
        w(&mut m, v + 0x5D8, 0x380000);
        w(&mut m, v + 0x668, GPAT);
        m.step().unwrap();
        assert_eq!(m.level(), Level::L2, "{:?}", m.events);
        m
    }

    /// (address, guest type, host type, Table 15-19 cell, MTRR type, result)
    const CASES: [(u64, MemType, MemType, MemType, MemType, MemType); 5] = [
        (0xA00000, WB, WB, WB, WB, WB),
        // guest WC + host WB → WC+ (Table 15-19), WC+ with MTRR WB → WC+ (Table 15-20)
        (0xA01000, WC, WB, WcPlus, WB, WcPlus),
        // guest UC- + host WB → UC (Table 15-19), UC with MTRR WB → CD (Table 15-20)
        (0xA02000, UcMinus, WB, UC, WB, CD),
        // MTRR UC range: WB with MTRR UC → UC (Table 15-20)
        (0xA03000, WB, WB, WB, UC, UC),
        // host UC- (nested PCD → host PAT index 2): WB + UC- → UC (Table 15-19), then CD
        (0xA04000, WB, UcMinus, UC, WB, CD),
    ];

    #[test]
    fn nested_memory_types() {
        for model in [SvmModel::Bare, SvmModel::BareSwap] {
            let m = in_guest(model, false);
            // CONTRACT §3 reports L1's registers: inside the guest, RIP is the one after VMRUN.
            assert_eq!((m.outer_regs().rip, m.outer_regs().gpr[0], m.cpu.regs.rip), (0x100003, 0x200000, 0x100010));
            for (a, g, h, comb, mtrr, res) in CASES {
                let r = m.memtype_of(Gva(a + 0x10), Access::READ).unwrap();
                let z = &r.resolution;
                assert!(r.nested && z.nested);
                assert_eq!(r.gpa.0, a + 0x10);
                assert_eq!(r.spa.0, a + 0x10);
                assert_eq!(z.guest.mem_type, g, "{a:#x}");
                assert_eq!(z.guest.pat_msr, GPAT);
                assert_eq!(z.host.unwrap().mem_type, h, "{a:#x}");
                assert_eq!(z.host.unwrap().pat_msr, 0x0007_0406_0007_0406);
                assert_eq!(z.combined.unwrap().result, comb, "{a:#x}");
                assert_eq!(z.mtrr.mem_type, mtrr, "{a:#x}");
                assert_eq!(z.result, res, "{a:#x}");
                // the 2-D trace: four guest levels, each with its nested sub-walk, and the final one
                assert_eq!(r.guest_walk.len(), 4);
                assert!(r.guest_walk.iter().all(|l| l.nested.as_ref().is_some_and(|n| n.spa == Some(l.entry_spa))));
                assert_eq!(r.final_nested.as_ref().unwrap().spa, Some(r.spa));
            }
        }
        // gCR0.CD forces UC (reference §6.4 rule 3)
        let m = in_guest(SvmModel::Bare, true);
        let r = m.memtype_of(Gva(0xA00000), Access::READ).unwrap();
        assert!(r.resolution.cd_override);
        assert_eq!(r.resolution.result, UC);
        // bare-qemu: no separate gPAT, the shared PAT (power-on) is the guest's PAT too: index 1 = WT
        let m = in_guest(SvmModel::BareQemu, false);
        let r = m.memtype_of(Gva(0xA01000), Access::READ).unwrap();
        assert_eq!(r.resolution.guest.mem_type, WT);
        // memtype_of has no side effects: the nested leaf's A bit is still clear
        assert_eq!(m.mem.read_u64(Hpa(0x213000 + 8)).unwrap() & 0x20, 0);
    }

    #[test]
    fn native_memory_type_and_faults() {
        let m = Machine::new(&[0xF4], DEFAULT_MEM_MIB).unwrap();
        let r = m.memtype_of(Gva(0x100000), Access::READ).unwrap();
        assert!(!r.nested && r.final_nested.is_none());
        assert_eq!(r.level, Level::L1);
        assert_eq!(r.resolution.result, WB);
        assert_eq!(r.guest_walk.len(), 2); // PML4E, 1 GiB PDPTE
        let e = m.memtype_of(Gva(0x1_0000_0000), Access::READ).unwrap_err();
        assert_eq!(e, nestscope_core::svm::MemTypeError::PageFault { error_code: 0 });
    }

    /// NP_ENABLE with hCR0.PG = 0 cannot be reached from 64-bit code (clearing PG leaves long
    /// mode), so the check is exercised here with the host state set directly (reference §4.2,
    /// APM 15.25.3).
    #[test]
    fn np_with_host_paging_off_is_vmexit_invalid() {
        let mut m = Machine::new(&[0x0F, 0x01, 0xD8, 0xF4], DEFAULT_MEM_MIB).unwrap();
        // reuse the VMCB layout of in_guest by building it on a second machine
        let g = in_guest(SvmModel::Bare, false);
        let mut page = vec![0u8; 0x1000];
        g.mem.read(Hpa(0x200000), &mut page).unwrap();
        m.mem.write(Hpa(0x200000), &page).unwrap();
        m.mem.write_u64(Hpa(0x200070), 0).unwrap();
        m.cpu.ctl.efer = 0x1000; // SVME, legacy mode
        m.cpu.ctl.cr0 = 0x11; // PE ET, paging off
        m.cpu.cs.attrib = 0x0C9B; // legacy mode runs 32-bit code (VMRUN encodes the same there)
        m.cpu.msr.vm_hsave_pa = 0x201000;
        m.cpu.regs.gpr[0] = 0x200000;
        m.step().unwrap();
        assert_eq!(m.level(), Level::L1);
        assert_eq!(m.mem.read_u64(Hpa(0x200070)).unwrap(), INVALID);
        let d = m.events[1].detail_text().unwrap();
        assert!(d.starts_with("np_host_cr0_pg_clear (APM 15.25.3)"), "{d}");
    }
}

/// SVM instruction faults outside a guest (APM vol.3, reference §4.1): EFER.SVME clear → #UD;
/// VM_HSAVE_PA unset → #GP(0); rAX not page-aligned → #GP(0); VMMCALL without a guest → #UD.
/// There is no IDT, so each fault ends in a shutdown whose reason names the first fault.
#[test]
fn svm_instruction_faults() {
    let cases: [(&[u8], bool, u64, u64, &str); 4] = [
        (&[0x0F, 0x01, 0xD8], false, 0x201000, 0x200000, "#UD"), // VMRUN, SVME clear
        (&[0x0F, 0x01, 0xD8], true, 0, 0x200000, "#GP(0x0)"),    // no VM_HSAVE_PA
        (&[0x0F, 0x01, 0xD8], true, 0x201000, 0x200008, "#GP(0x0)"), // rAX not aligned
        (&[0x0F, 0x01, 0xD9], true, 0x201000, 0x200000, "#UD"),  // VMMCALL in L1
    ];
    for (code, svme, hsave, rax, first) in cases {
        let mut m = Machine::new(code, DEFAULT_MEM_MIB).unwrap();
        if svme {
            m.cpu.ctl.efer |= 1 << 12;
        }
        m.cpu.msr.vm_hsave_pa = hsave;
        m.cpu.regs.gpr[0] = rax;
        match m.run(10).unwrap() {
            RunEnd::Stopped(Stop::Shutdown(why)) => assert!(why.contains(&format!("first fault {first}")), "{why}"),
            e => panic!("{e:?}"),
        }
        assert!(m.events.is_empty());
    }
}

/// The committed .bin files under tests/data/{svm,l0,tlb} are what `nasm -f bin` makes of the
/// .asm files (native only; needs nasm, which is required when the CI environment variable is set).
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn committed_binaries_match_nasm() {
    if std::process::Command::new("nasm").arg("-v").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "nasm is required in CI");
        eprintln!("nasm not found: skipping");
        return;
    }
    let out = std::env::temp_dir().join(format!("nestscope-svm-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let mut n = 0;
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let sources = ["svm", "l0", "tlb"].into_iter().flat_map(|d| std::fs::read_dir(data.join(d)).unwrap());
    for e in sources {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) != Some("asm") {
            continue;
        }
        let dir = p.parent().unwrap();
        let bin = out.join(p.file_stem().unwrap()).with_extension("bin");
        let st = std::process::Command::new("nasm")
            .current_dir(dir)
            .args(["-f", "bin", "-o"])
            .arg(&bin)
            .arg(p.file_name().unwrap())
            .status()
            .unwrap();
        assert!(st.success(), "nasm failed on {p:?}");
        let committed = std::fs::read(p.with_extension("bin")).unwrap();
        assert!(std::fs::read(&bin).unwrap() == committed, "{p:?}: committed .bin is stale, re-run nasm");
        n += 1;
    }
    assert!(n >= 6);
    let _ = std::fs::remove_dir_all(&out);
}
