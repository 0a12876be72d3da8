//! SVM hardware model end to end: L1 programs (NASM sources and their committed `nasm -f bin`
//! output in `data/svm/`) that VMRUN L2 guests. Expected values come from the reference
//! (/work/shared/reference/svm-pat-reference.md, sections cited per test), not from our output.
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
                    let d = exit.detail.as_deref().unwrap();
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
