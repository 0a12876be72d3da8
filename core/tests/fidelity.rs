//! SVM fidelity probes (issue 14): one small L1 program per behaviour (`data/fidelity/*.asm`, with
//! the committed `nasm -f bin` output), run under `bare` and every `kvm-*` model, each observation
//! compared with the value the APM (or, where it is silent, real hardware as kvm-unit-tests
//! records it) gives — the citation stands next to each expected value. What the model gets wrong
//! today is data (`data/fidelity/known-wrong.toml`): a listed observation must still differ (a fix
//! removes its entry), an unlisted one must match (a regression fails).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![allow(clippy::cast_possible_truncation, reason = "test programs and fixtures narrow values deliberately")]
use nestscope_core::compare::compare;
use nestscope_core::hv::L0Config;
use nestscope_core::machine::{RunEnd, StepOutcome, Stop};
use nestscope_core::mem::Hpa;
use nestscope_core::sim::Sim;
use std::collections::BTreeSet;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// The models every probe runs under: the hardware model and the four L0 designs.
const MODELS: [&str; 5] = ["bare", "kvm-legacy", "kvm-rfc", "kvm-swap", "kvm-merged"];
const MEM_MIB: u64 = 64;
const MAX_STEPS: u64 = 100_000;
/// `step()` calls allowed per run: a run that spends them without reaching MAX_STEPS retired
/// instructions makes no progress (an L0 loop that does not spend the step budget): "hang".
const MAX_CALLS: u64 = 2 * MAX_STEPS;
/// run_case (svm/lib.inc) records case i at RESULTS + 64 * i; probe.inc's OBS(i) is OBS + 8 * i.
const RESULTS: u64 = 0x600000;
const OBS: u64 = 0x680000;
const NONE: u64 = u64::MAX;

#[derive(Clone, Copy)]
enum Src {
    /// Field (byte offset) of run_case's record of a case: 0 EXITCODE, 8 EXITINFO1, 16 EXITINFO2,
    /// 24 nRIP, 32 guest RIP, 40 guest RAX, 48 EXITINTINFO.
    Rec(u64, u64),
    Obs(u64),
    /// How the run ended ("debug-exit 0", "shutdown", "emulator-error", "hang", …).
    End,
    Console,
}

#[derive(Clone, Copy)]
enum Ex {
    V(u64),
    /// The address of the program's label k (probe.inc LABELS table at 0x100008).
    Label(u64),
    S(&'static str),
}

const CODE: u64 = 0;
const INFO1: u64 = 8;
const INFO2: u64 = 16;
const RIP: u64 = 32;
const RAX: u64 = 40;
const INTINFO: u64 = 48;

struct Obs {
    name: &'static str,
    src: Src,
    expect: Ex,
    cite: &'static str,
}

const fn o(name: &'static str, src: Src, expect: Ex, cite: &'static str) -> Obs {
    Obs { name, src, expect, cite }
}
const fn rec(name: &'static str, case: u64, field: u64, expect: Ex, cite: &'static str) -> Obs {
    o(name, Src::Rec(case, field), expect, cite)
}
const fn ob(name: &'static str, i: u64, expect: Ex, cite: &'static str) -> Obs {
    o(name, Src::Obs(i), expect, cite)
}
const END_OK: Obs = o("end", Src::End, Ex::S("debug-exit 0"), "the probe ends with OUT 0xF4, 0 (CONTRACT 1)");
use Ex::{Label as L, V};

const EXITINFO: &str = "APM 15.7.2 / 15.20 EXITINTINFO: vector [7:0], type [10:8] (3 exception, 4 INTn), EV 11, V 31, error code [63:32]";

/// Runs `bin` under `model`: how it ended, and the simulator (None after an emulator error).
fn run(bin: &[u8], model: &str) -> (String, Sim) {
    let mut s = Sim::new(bin, MEM_MIB, model.parse().expect("a model"), &L0Config::default()).expect("load");
    let mut calls = 0;
    let end = loop {
        if s.machine().steps >= MAX_STEPS {
            break "budget".to_string();
        }
        if calls == MAX_CALLS {
            break "hang".to_string();
        }
        calls += 1;
        match s.step() {
            Ok(StepOutcome::Stopped(st)) => break end_name(&RunEnd::Stopped(st)),
            Ok(StepOutcome::Retired) => {}
            Err(_) => break "emulator-error".to_string(),
        }
    };
    (end, s)
}

fn end_name(e: &RunEnd) -> String {
    match e {
        RunEnd::Stopped(Stop::DebugExit(c)) => format!("debug-exit {c}"),
        RunEnd::Stopped(s) => s.name().to_string(),
        RunEnd::Budget => "budget".to_string(),
    }
}

fn q(s: &Sim, a: u64) -> u64 {
    s.machine().mem.read_u64(Hpa(a)).unwrap_or(NONE)
}

fn hex(v: u64) -> String {
    format!("{v:#x}")
}

/// One probe: its file stem, the issue-14 item, its observations.
struct Probe {
    name: &'static str,
    bin: &'static [u8],
    item: &'static str,
    obs: &'static [Obs],
    /// Whether `compare --models bare,kvm-merged` is expected to agree (false where `bare` itself
    /// ends in an emulator error).
    lockstep: bool,
}

/// (model, observation) → actual and expected value, for every model; plus the lockstep result.
fn observe(p: &Probe) -> Vec<(String, &'static str, String, String, &'static str)> {
    let label = |k: u64| u64::from_le_bytes(p.bin[8 + 8 * k as usize..16 + 8 * k as usize].try_into().unwrap());
    let mut out = Vec::new();
    for model in MODELS {
        let (end, s) = run(p.bin, model);
        for ob in p.obs {
            let actual = match ob.src {
                Src::Rec(c, f) => hex(q(&s, RESULTS + 64 * c + f)),
                Src::Obs(i) => hex(q(&s, OBS + 8 * i)),
                Src::End => end.clone(),
                Src::Console => String::from_utf8_lossy(&s.machine().console).into_owned(),
            };
            let expect = match ob.expect {
                Ex::V(v) => hex(v),
                Ex::Label(k) => hex(label(k)),
                Ex::S(t) => t.to_string(),
            };
            out.push((model.to_string(), ob.name, actual, expect, ob.cite));
        }
    }
    if p.lockstep {
        let r = compare(p.bin, ["bare".parse().unwrap(), "kvm-merged".parse().unwrap()], MEM_MIB, MAX_STEPS, &L0Config::default());
        let actual = match r {
            Ok(c) if c.agree => "agree".to_string(),
            Ok(c) => format!("diverge: {:?}", c.divergence.map(|d| (d.level, d.instruction, d.differences))),
            Err(e) => format!("error: {e}"),
        };
        out.push(("kvm-merged".into(), "lockstep", actual, "agree".into(), "issue 14: compare bare,kvm-merged agrees"));
    }
    out
}

#[derive(serde::Deserialize)]
struct KnownWrong {
    #[serde(default)]
    wrong: Vec<Wrong>,
}

#[derive(serde::Deserialize)]
struct Wrong {
    probe: String,
    /// Model names; "kvm-*" stands for the four L0 designs.
    models: Vec<String>,
    obs: Vec<String>,
    #[allow(dead_code)]
    item: String,
    #[allow(dead_code)]
    what: String,
}

fn known_wrong() -> Vec<Wrong> {
    let t: KnownWrong = toml::from_str(include_str!("data/fidelity/known-wrong.toml")).expect("known-wrong.toml parses");
    t.wrong
}

/// The (probe, model, observation) triples listed as wrong today.
fn listed() -> BTreeSet<(String, String, String)> {
    let mut set = BTreeSet::new();
    for w in known_wrong() {
        for m in &w.models {
            let ms: Vec<&str> = if m == "kvm-*" { MODELS[1..].to_vec() } else { vec![m.as_str()] };
            for m in ms {
                // "lockstep" is observed for kvm-merged only.
                for o in w.obs.iter().filter(|o| *o != "lockstep" || m == "kvm-merged") {
                    assert!(set.insert((w.probe.clone(), m.to_string(), o.clone())), "listed twice: {} {m} {o}", w.probe);
                }
            }
        }
    }
    set
}

fn check(p: &Probe) {
    let listed = listed();
    let mut failures = Vec::new();
    for (model, name, actual, expect, cite) in observe(p) {
        let wrong = listed.contains(&(p.name.to_string(), model.clone(), name.to_string()));
        match (wrong, actual == expect) {
            (false, false) => failures.push(format!(
                "{} {model} {name}: {actual}, expected {expect} ({cite}) — a regression, or list it in known-wrong.toml",
                p.name
            )),
            (true, true) => failures.push(format!(
                "{} {model} {name}: now {expect} as expected — remove it from known-wrong.toml",
                p.name
            )),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{} ({}):\n{}", p.name, p.item, failures.join("\n"));
}

macro_rules! probes {
    ($($test:ident: $name:literal, $item:literal, lockstep $ls:literal, [$($obs:expr),* $(,)?];)*) => {
        const PROBES: &[Probe] = &[$(Probe {
            name: $name,
            bin: include_bytes!(concat!("data/fidelity/", $name, ".bin")),
            item: $item,
            obs: &[$($obs),*],
            lockstep: $ls,
        }),*];
        $(
            #[test]
            fn $test() {
                check(PROBES.iter().find(|p| p.name == $name).unwrap());
            }
        )*
    };
}

const P159: &str = "APM 15.9: simple exceptions (#GP for CPL, #UD) are checked before the instruction intercept";
const CR0SEL: &str = "APM 15.8.1: SEL_CR0 (exit 0x65) for LMSW/MOV CR0 changing bits other than TS/MP; the intercepted instruction does not execute (state unchanged, RIP at it)";
const HOST_CR0: u64 = 0x8001_0033; // CONTRACT 1, copied into the guest by vmcb_init
const VMEXIT_SEG: &str = "APM 15.6: #VMEXIT saves ES, CS, SS, DS (selector, attributes, limit, base) into the VMCB";
const VMSAVE: &str = "APM 15.5.2: VMSAVE stores FS, GS, TR, LDTR, KernelGSbase as held (after #VMEXIT: L2's)";
const IOIO: &str = "APM 15.10.2: IOIO EXITINFO1 [0] IN, [2] STR, [3] REP, [4] SZ8, [7-9] A16/A32/A64, [12:10] SEG, [31:16] port; EXITINFO2 next RIP";
const LBR: &str = "APM 13.1.1.6: with DEBUGCTL.LBR set, LastBranchFromIP/ToIP (MSRs 0x1DB/0x1DC) hold the last taken branch; clearing LBR freezes them";
const NOLBRV: &str = "APM 15.23: without LBR virtualization the guest shares the host's DEBUGCTL and LBR MSRs (kvm-unit-tests svm_lbrv_test1-3)";
const LBRV: &str = "APM 15.23: with LBR_VIRTUALIZATION_ENABLE VMRUN loads DBGCTL/BR_FROM/BR_TO from the VMCB and #VMEXIT saves them there, restoring the host's (svm_lbrv_nested_test1-3)";
const PF: &str = "APM 15.14.4: VMRUN loads PAUSE_FILTER_COUNT; each intercepted PAUSE decrements it, the one reaching 0 exits (kvm-unit-tests pause_filter_test)";
const PFT: &str = "APM 15.14.4: a PAUSE more than PAUSE_FILTER_THRESHOLD cycles after the last one reloads the count";
const UNSUP: &str = "APM 15.9: #UD (SKINIT, RDPRU, INVPCID not in CPUID) is checked before the instruction intercept; exit 0x46 with RIP at the instruction";
const INJ: &str = "APM 15.20: EVENTINJ is delivered through L2's IDT before its first instruction (error code pushed, frame RIP = VMCB RIP)";

probes! {
    exception_before_intercept: "prio", "exception vs intercept priority", lockstep true, [
        rec("c0.code", 0, CODE, V(0x4D), P159),
        rec("c0.info1", 0, INFO1, V(0), "APM 15.12: EXITINFO1 = the #GP error code (RDPMC: #GP(0), APM vol.3 RDPMC)"),
        rec("c0.rip", 0, RIP, L(0), "APM 15.12: a fault leaves RIP at the faulting instruction"),
        rec("c1.code", 1, CODE, V(0x6F), "APM 15.9 / reference 2.1: RDPMC intercept, exit 0x6F"),
        END_OK,
    ];
    selective_cr0_lmsw_smsw: "sel_cr0", "selective CR0 write / CR0 read for LMSW, SMSW", lockstep true, [
        rec("c0.code", 0, CODE, V(0x65), CR0SEL),
        rec("c0.rip", 0, RIP, L(0), CR0SEL),
        ob("c0.cr0", 0, V(HOST_CR0), CR0SEL),
        rec("c1.code", 1, CODE, V(0x10), "APM 15.8.1: the CR0 write intercept covers LMSW (exit 0x10)"),
        rec("c1.rip", 1, RIP, L(1), CR0SEL),
        rec("c2.code", 2, CODE, V(0x00), "APM 15.8.1: the CR0 read intercept covers SMSW (exit 0x00)"),
        rec("c2.rip", 2, RIP, L(2), CR0SEL),
        rec("c3.code", 3, CODE, V(0x65), CR0SEL),
        rec("c3.rip", 3, RIP, L(3), CR0SEL),
        ob("c3.cr0", 3, V(HOST_CR0), CR0SEL),
        rec("c4.code", 4, CODE, V(0x81), "APM 15.8.1: LMSW changing only TS is not a selective CR0 write"),
        ob("c4.cr0", 4, V(HOST_CR0 | 8), "LMSW sets CR0.TS (APM vol.3 LMSW)"),
        END_OK,
    ];
    single_step_traps: "single_step", "single-step and debug traps", lockstep true, [
        rec("c0.code", 0, CODE, V(0x41), "APM 13.1.3.5: TF set by POPF traps after the next instruction; APM 15.12 #DB intercept 0x41"),
        rec("c0.rip", 0, RIP, L(0), "APM 13.1.3.5: #DB is a trap: RIP of the instruction after the traced one"),
        ob("c0.dr6_bs", 0, V(1 << 14), "APM 13.1.1.3 DR6.BS; KVM db_interception takes the VMCB's DR6 as the #DB payload"),
        rec("c1.code", 1, CODE, V(0x41), "kvm-unit-tests guest_rflags_test (APM vol.2): TF loaded by VMRUN traps after the first guest instruction"),
        rec("c1.rip", 1, RIP, L(1), "same: not before the first guest instruction"),
        ob("host.exit", 1, V(0x81), "kvm-unit-tests host_rflags: L2 runs normally"),
        ob("host.vec", 2, V(1), "kvm-unit-tests host_rflags: host TF set right before VMRUN traps after #VMEXIT"),
        ob("host.rip", 3, L(2), "kvm-unit-tests host_rflags: RIP = VMRUN + 3"),
        END_OK,
    ];
    exitintinfo_during_delivery: "exitintinfo", "EXITINTINFO", lockstep true, [
        rec("c0.code", 0, CODE, V(0x4E), "APM 15.12: #PF intercept"),
        rec("c0.intinfo", 0, INTINFO, V(0x8000_041F), EXITINFO),
        rec("c0.info2", 0, INFO2, V(0x1_0000_01F0), "APM 15.12: #PF EXITINFO2 = the faulting address (gate 0x1F)"),
        rec("c1.intinfo", 1, INTINFO, V(0x8000_0303), "APM 15.7.2: INT3 is reported as exception 3 (type 3); KVM svm_complete_interrupts"),
        rec("c2.intinfo", 2, INTINFO, V(0x18_8000_0B0D), EXITINFO),
        rec("c3.code", 3, CODE, V(0x400), "APM 15.25.6: #NPF"),
        rec("c3.intinfo", 3, INTINFO, V(0x8000_0306), EXITINFO),
        rec("c3.info2", 3, INFO2, V(0x70_0060), "APM 15.25.6: EXITINFO2 = the GPA of gate 6"),
        rec("c4.code", 4, CODE, V(0x4D), "APM 8.4.1: vector beyond the IDT limit → #GP"),
        rec("c4.info1", 4, INFO1, V(0x33), "APM 8.4.1 error code: index 6, IDT bit 1, EXT bit 0 (raised while delivering #UD)"),
        rec("c4.intinfo", 4, INTINFO, V(0x8000_0306), EXITINFO),
        rec("c5.info1", 5, INFO1, V(0xFA), "APM 8.4.1: index 0x1F, IDT; INT n is not external: EXT 0"),
        rec("c5.intinfo", 5, INTINFO, V(0x8000_041F), EXITINFO),
        END_OK,
    ];
    interrupt_shadow_at_vmexit: "shadow", "interrupt shadow", lockstep true, [
        ob("sti", 0, V(1), "APM 15.21.5: INTERRUPT_SHADOW (VMCB+0x068 bit 0) after STI"),
        ob("mov_ss", 1, V(1), "APM 15.21.5: after MOV SS"),
        ob("nop", 2, V(0), "APM 15.21.5: no shadow"),
        END_OK,
    ];
    segment_state_saved_at_vmexit: "segsave", "guest state save at #VMEXIT", lockstep true, [
        ob("es.base", 0, V(0x1234_5000), VMEXIT_SEG),
        ob("es.limit", 1, V(0xABCDE), VMEXIT_SEG),
        ob("ds.base", 2, V(0x2000), VMEXIT_SEG),
        ob("ss.base", 3, V(0x3000), VMEXIT_SEG),
        ob("es.sel", 4, V(0), VMEXIT_SEG),
        ob("fs.base", 5, V(0xABC000), VMSAVE),
        ob("gs.base", 6, V(0xDEF000), VMSAVE),
        ob("kgs.base", 7, V(0x765000), VMSAVE),
        END_OK,
    ];
    ioio_string_exitinfo1: "ioio_str", "IOIO EXITINFO1 for string instructions", lockstep true, [
        rec("c0.code", 0, CODE, V(0x7B), IOIO),
        rec("c0.info1", 0, INFO1, V(0x80_121C), IOIO),
        rec("c0.info2", 0, INFO2, L(0), IOIO),
        rec("c1.info1", 1, INFO1, V(0x80_0D14), IOIO),
        rec("c1.info2", 1, INFO2, L(1), IOIO),
        rec("c2.info1", 2, INFO1, V(0x80_021D), IOIO),
        rec("c2.info2", 2, INFO2, L(2), IOIO),
        END_OK,
    ];
    svm_insns_32bit_address_size: "asize32", "VMSAVE/VMLOAD/VMRUN with 32-bit address size", lockstep true, [
        ob("vmsave.fault", 0, V(NONE), "APM vol.3 VMSAVE: the address is rAX at the effective address size (EAX with 0x67)"),
        ob("vmsave.fs", 1, V(0x5A5A000), "APM 15.5.2: VMSAVE to EAX = 0x300000"),
        ob("vmload.fault", 2, V(NONE), "APM vol.3 VMLOAD: EAX"),
        ob("vmload.fs", 3, V(0x7B000), "APM 15.5.2: VMLOAD from EAX = 0x310000"),
        ob("vmrun.fault", 4, V(NONE), "APM vol.3 VMRUN: EAX"),
        ob("vmrun.exit", 5, V(0x81), "APM 15.5.1: the guest runs to its VMMCALL"),
        END_OK,
    ];
    lbr_and_pause_filter: "lbr_pause", "branch recording, LBR virtualization, PAUSE filter (issue 11)", lockstep true, [
        ob("host.from", 0, L(0), LBR),
        ob("host.to", 1, L(1), LBR),
        ob("exc.int_from", 2, L(2), "APM 13.1.1.6: an exception copies the last branch into LastIntFromIP/ToIP"),
        ob("exc.int_to", 3, L(3), "APM 13.1.1.6: LastIntToIP"),
        ob("db.debugctl", 4, V(0), "APM 13.1.1.6: delivering #DB clears DEBUGCTL.LBR"),
        ob("nolbrv.host_debugctl", 5, V(0), NOLBRV),
        ob("nolbrv.guest_debugctl", 6, V(1), NOLBRV),
        ob("nolbrv.from", 7, L(4), NOLBRV),
        ob("nolbrv.to", 8, L(5), NOLBRV),
        ob("lbrv.guest_debugctl", 10, V(0), LBRV),
        ob("lbrv.guest_from", 11, V(0x1111), LBRV),
        ob("lbrv.guest_to", 12, V(0x2222), LBRV),
        ob("lbrv.host_debugctl", 13, V(1), LBRV),
        ob("lbrv.host_from", 14, L(8), LBRV),
        ob("lbrv.host_to", 15, L(9), LBRV),
        ob("lbrv.vmcb_dbgctl", 16, V(1), LBRV),
        ob("lbrv.vmcb_from", 17, L(6), LBRV),
        ob("lbrv.vmcb_to", 18, L(7), LBRV),
        rec("pf.count3", 0, CODE, V(0x77), PF),
        rec("pf.count3.rip", 0, RIP, L(10), PF),
        rec("pf.count4", 1, CODE, V(0x81), PF),
        rec("pf.thresh_reload", 2, CODE, V(0x81), PFT),
        rec("pf.thresh_kept", 3, CODE, V(0x77), PFT),
        rec("pf.thresh_kept.rip", 3, RIP, L(11), PFT),
        ob("cpuid", 20, V(0x1402), "APM Appendix E CPUID Fn8000_000A EDX: LbrVirt 1, PauseFilter 10, PauseFilterThreshold 12"),
        END_OK,
    ];
    unsupported_instructions_ud: "unsup_ud", "instructions not offered are #UD before their intercepts (issue 11)", lockstep true, [
        rec("skinit", 0, CODE, V(0x46), UNSUP),
        rec("skinit.rip", 0, RIP, L(0), UNSUP),
        rec("rdpru", 1, CODE, V(0x46), UNSUP),
        rec("rdpru.rip", 1, RIP, L(1), UNSUP),
        rec("invpcid", 2, CODE, V(0x46), UNSUP),
        rec("invpcid.rip", 2, RIP, L(2), UNSUP),
        rec("xsetbv", 3, CODE, V(0x46), "APM vol.3 XSETBV: #UD with CR4.OSXSAVE clear, before the intercept (APM 15.9)"),
        rec("xsetbv.rip", 3, RIP, L(3), UNSUP),
        END_OK,
    ];
    tsc_offset_in_guest: "tsc", "TSC_OFFSET", lockstep true, [
        ob("rdtsc", 0, V(1), "APM vol.2 Table B-1 TSC_OFFSET: guest RDTSC = TSC + offset"),
        ob("rdtscp", 1, V(1), "same for RDTSCP"),
        ob("rdmsr_tsc", 2, V(1), "same for RDMSR(TSC)"),
        END_OK,
    ];
    fault_delivering_injected_event: "inj_fault", "fault while delivering an injected event", lockstep true, [
        rec("c0.code", 0, CODE, V(0x4B), "APM vol.3 INT: a not-present gate is #NP; APM 15.7.2: its intercept (0x4B) before the #DF rules"),
        rec("c0.info1", 0, INFO1, V(0x6B), "APM 8.4.1: #NP error code: index 13, IDT, EXT (delivering an injected exception)"),
        rec("c0.intinfo", 0, INTINFO, V(0x1234_8000_0B0D), "APM 15.20: the injected event goes to EXITINTINFO"),
        rec("c1.code", 1, CODE, V(0x48), "APM 8.2.9: #NP while delivering #GP (both contributory) is #DF"),
        rec("c1.info1", 1, INFO1, V(0), "APM 8.2.9: #DF error code 0"),
        rec("c2.code", 2, CODE, V(0x4D), "APM vol.3 INT (long mode): an empty gate (type 0) is #GP, checked before P"),
        rec("c2.info1", 2, INFO1, V(0x6B), "APM 8.4.1: #GP error code: index 13, IDT, EXT"),
        rec("c2.intinfo", 2, INTINFO, V(0x1234_8000_0B0D), "APM 15.7.2 / 15.20: the injected event goes to EXITINTINFO"),
        END_OK,
    ];
    eventinj_nmi_vector: "inj_nmi", "EVENTINJ of type NMI", lockstep true, [
        ob("type2_vec5", 0, V(2), "APM 15.20: TYPE 2 (NMI): the VECTOR field is ignored, vector 2"),
        ob("type2_vec2", 1, V(2), "APM 15.20"),
        rec("c0.code", 0, CODE, V(0x81), "L2's NMI handler ends in VMMCALL"),
        END_OK,
    ];
    eventinj_reaches_l2: "eventinj", "EVENTINJ from vmcb12 reaches L2 (and W1, re-injection after a shadow-NPT fill)", lockstep true, [
        ob("np_off.vec", 0, V(13), INJ),
        ob("np_off.err", 1, V(0x1234), INJ),
        ob("np_off.rip", 2, L(0), INJ),
        ob("np_on.vec", 3, V(13), INJ),
        ob("np_on.err", 4, V(0x1234), INJ),
        ob("np_on.rip", 5, L(0), INJ),
        ob("np_on_ud.vec", 6, V(6), INJ),
        ob("np_on_ud.rip", 8, L(0), INJ),
        END_OK,
    ];
    ncr3_switch_and_remap: "ncr3", "shadow NPT coherence across nCR3 changes", lockstep true, [
        rec("c0.read", 0, RAX, V(0xAAAA), "APM 15.25.5: the walk starts at nCR3"),
        rec("c1.read", 1, RAX, V(0xBBBB), "APM 15.25.5 with TLB_CONTROL 1 (APM 15.16.1)"),
        rec("c2.read", 2, RAX, V(0xAAAA), "APM 15.25.5 with TLB_CONTROL 1"),
        rec("c3.read", 3, RAX, V(0xCCCC), "APM 15.25.5: the remapped entry, TLB_CONTROL 1"),
        rec("c4.read", 4, RAX, V(0xBBBB), "APM 15.16: a new ASID has no cached translations"),
        END_OK,
    ];
    l2_vmmcall_not_intercepted: "vmmcall_ud", "L2 VMMCALL not intercepted by L1", lockstep true, [
        rec("c0.code", 0, CODE, V(0x46), "APM vol.3 VMMCALL: #UD when not intercepted; #UD intercept 0x46"),
        rec("c0.rip", 0, RIP, L(0), "the #UD is a fault at the VMMCALL"),
        rec("c1.code", 1, CODE, V(0x78), "L2's #UD handler ends in HLT (intercepted)"),
        ob("c1.vec", 0, V(6), "APM vol.3 VMMCALL: #UD delivered to L2"),
        END_OK,
    ];
    svm_insns_with_svme_clear: "svme_ud", "EFER.SVME clear: SVM instructions #UD", lockstep true, [
        rec("vmload.code", 0, CODE, V(0x46), "APM vol.3 VMLOAD #UD (EFER.SVME = 0) before the intercept (APM 15.9)"),
        rec("vmload.rip", 0, RIP, L(0), "the #UD is a fault"),
        rec("vmsave.code", 1, CODE, V(0x46), "APM vol.3 VMSAVE #UD"),
        rec("vmsave.rip", 1, RIP, L(1), "the #UD is a fault"),
        rec("vmrun.code", 2, CODE, V(0x46), "APM vol.3 VMRUN #UD"),
        rec("vmrun.rip", 2, RIP, L(2), "the #UD is a fault"),
        ob("l1_invlpga", 0, V(6), "APM vol.3 INVLPGA #UD when EFER.SVME = 0"),
        END_OK,
    ];
    h1_l2_store_into_npt: "h1_npt_store", "H1 hang and the step budget in L0 loops", lockstep true, [
        rec("store.code", 0, CODE, V(0x81), "APM 15.25.5: NPT pages are ordinary memory; L2 reaches VMMCALL"),
        rec("rep.code", 1, CODE, V(0x81), "same, REP STOSQ over a table page"),
        END_OK,
    ];
    w3_ncr3_outside_l1_ram: "w3_ncr3_l0", "W3 nCR3 isolation", lockstep false, [
        rec("l2_ran", 0, CODE, V(0), "no table is there: L2 must not run (no exit recorded)"),
        o("end", Src::End, Ex::S("emulator-error"), "what `bare` gives for a nested walk outside RAM (CONTRACT: bare is the reference)"),
    ];
    d01_d02_rax_outside_ram: "rax_outside", "VMRUN/VMLOAD/VMSAVE rAX outside RAM or wrapping", lockstep true, [
        ob("vmrun.vec", 0, V(13), "bare model and KVM nested_svm_vmrun: #GP when the VMCB cannot be mapped"),
        ob("vmrun.err", 1, V(0), "#GP(0)"),
        ob("vmload.vec", 2, V(13), "APM vol.3 VMLOAD: #GP(0) for rAX beyond the physical address range"),
        ob("vmload.err", 3, V(0), "#GP(0)"),
        ob("vmsave.vec", 4, V(13), "APM vol.3 VMSAVE: #GP(0)"),
        ob("vmsave.err", 5, V(0), "#GP(0)"),
        END_OK,
    ];
    d6_l2_32bit_code: "l2_32bit", "D6 32-bit L2 decoded as 64-bit", lockstep true, [
        rec("rax", 0, RAX, V(0xFFFF_FFFF), "APM vol.3 DEC (0x48 outside 64-bit mode): EAX 0 → 0xFFFFFFFF"),
        rec("code", 0, CODE, V(0x81), "L2 reaches VMMCALL"),
        END_OK,
    ];
    d7_l1_cr3_outside_ram: "cr3_outside", "D7 CR3 outside RAM", lockstep true, [
        o("end", Src::End, Ex::S("shutdown"), "APM 8.2.9: the #PF cannot be delivered (#DF, then a triple fault)"),
    ];
    string_io_under_l0: "string_io", "string I/O from L1/L2 under kvm-*", lockstep true, [
        o("console", Src::Console, Ex::S("xyzabc"), "CONTRACT 1 port 0xE9; APM vol.3 OUTS"),
        rec("c0.code", 0, CODE, V(0x81), "L2 reaches VMMCALL"),
        END_OK,
    ];
    e3c_msr_outside_msrpm_ranges: "msr_outside", "E3c RDMSR/WRMSR outside the MSRPM ranges (g20/g21)", lockstep true, [
        ob("l1_rdmsr.vec", 0, V(13), "APM vol.3 RDMSR: #GP(0) for an unimplemented MSR"),
        ob("l1_rdmsr.err", 1, V(0), "#GP(0)"),
        ob("l1_wrmsr.vec", 2, V(13), "APM vol.3 WRMSR: #GP(0) for an unimplemented MSR"),
        rec("l2_gp.code", 0, CODE, V(0x4D), "APM 15.12: the #GP of L2's RDMSR, intercepted by L1"),
        rec("l2_gp.info1", 0, INFO1, V(0), "APM 15.12: EXITINFO1 = the error code, 0"),
        rec("l2_gp.rip", 0, RIP, L(0), "a fault: RIP at the RDMSR"),
        ob("l2_handler.vec", 3, V(13), "APM vol.3 RDMSR: #GP delivered to L2"),
        ob("l2_handler.err", 4, V(0), "#GP(0)"),
        END_OK,
    ];
    w4_l2_rep_chunks_cut_by_l0_fills: "w4_rep_steps", "W4 REP steps across L0's shadow fills", lockstep true, [
        rec("code", 0, CODE, V(0x81), "L2 reaches VMMCALL"),
        rec("rdi", 0, RAX, V(0x1000000 + 0x8000 * 8), "APM vol.3 STOS: RDI advances by 8 per iteration"),
        ob("last", 0, V(0x5A5A), "APM vol.3 STOS: the last qword is written"),
        END_OK,
    ];
    vmrun_vmload_canonical_bases: "canon", "segment base canonicalization", lockstep true, [
        rec("vmrun.code", 0, CODE, V(0x81), "kvm-unit-tests test_canonicalization: VMRUN with a non-canonical ES base succeeds"),
        ob("vmload.fs", 0, V(0xFFFF_8000_0000_1000), "kvm-unit-tests test_canonicalization: VMLOAD canonicalizes"),
        ob("vmload.gs", 1, V(0xFFFF_8000_0000_1000), "same"),
        ob("vmload.ldtr", 2, V(0xFFFF_8000_0000_1000), "same"),
        ob("vmload.tr", 3, V(0xFFFF_8000_0000_1000), "same"),
        ob("vmload.kgs", 4, V(0xFFFF_8000_0000_1000), "same"),
        END_OK,
    ];
    external_interrupts: "interrupts", "external interrupts, NMI, V_IRQ, vGIF (issue 11)", lockstep true, [
        ob("held_if0", 0, V(0), "APM 8.1.2 / 16.6: a requested interrupt is held while RFLAGS.IF = 0"),
        ob("after_sti", 1, V(1), "APM 16.6.1: taken once IF = 1"),
        ob("sti_shadow_rip", 2, L(0), "APM 8.1.2: STI's interrupt shadow covers the next instruction: the frame's RIP is after the NOP"),
        ob("isr_after_eoi", 3, V(0), "APM 16.6.3: EOI clears the in-service bit"),
        ob("timer_hlt", 4, V(1), "APM 16.4.1: the one-shot timer's LVT vector is requested at count 0; it ends HLT (APM vol.3 HLT)"),
        ob("timer_hlt_rip", 5, L(1), "APM vol.3 HLT: the interrupt returns to the instruction after HLT"),
        rec("c0.code", 0, CODE, V(0x60), "APM 15.13.1 INTR intercept; 15.21.1 V_INTR_MASKING: the host's IF = 1 lets it be recognized"),
        rec("c0.rip", 0, RIP, L(2), "APM 15.13.1: recognized before L2's first instruction"),
        ob("c0.not_taken", 6, V(0), "APM 15.13.1: the intercepted interrupt stays pending"),
        ob("c0.host_takes", 7, V(1), "APM 15.17: taken by the host once GIF and IF are set"),
        rec("c1.code", 1, CODE, V(0x81), "APM 15.21.1: without V_INTR_MASKING the guest's IF masks physical interrupts"),
        ob("c1.guest_takes", 8, V(1), "APM 15.21.1: taken through the guest IDT"),
        rec("c2.code", 2, CODE, V(0x81), "APM 15.21.4: V_IRQ taken by the guest, no exit"),
        ob("c2.taken", 9, V(1), "APM 15.21.4: vector V_INTR_VECTOR through the guest IDT"),
        ob("c2.v_irq", 10, V(0), "APM 15.21.4: V_IRQ is cleared when the virtual interrupt is taken (written back at #VMEXIT)"),
        rec("c3.code", 3, CODE, V(0x64), "APM 15.21.4: VINTR intercept"),
        rec("c3.rip", 3, RIP, L(3), "APM 15.21.4 / 8.1.2: after STI's shadow"),
        ob("c3.not_taken", 11, V(0), "APM 15.21.4: the intercepted virtual interrupt is not delivered"),
        ob("c3.v_irq", 12, V(1), "APM 15.21.4: V_IRQ stays set"),
        rec("c4.code", 4, CODE, V(0x81), "APM 15.21.4: V_INTR_PRIO not above V_TPR: not taken, no VINTR"),
        ob("c4.not_taken", 13, V(0), "same"),
        ob("c5.v_gif", 14, V(1), "APM 15.33: with V_GIF_ENABLE, STGI sets V_GIF"),
        ob("c6.v_gif", 15, V(0), "APM 15.33: CLGI clears V_GIF"),
        rec("c7.code", 7, CODE, V(0x60), "APM 15.13.1: the timer interrupt ends L2's HLT as an INTR #VMEXIT"),
        rec("c7.rip", 7, RIP, L(4), "APM vol.3 HLT: RIP after the HLT"),
        rec("c8.code", 8, CODE, V(0x61), "APM 15.13.2: NMI intercept"),
        ob("c8.host_nmi", 16, V(2), "APM 15.17: the NMI stays pending and is taken by the host when GIF = 1"),
        END_OK,
    ];
}

/// Every entry of known-wrong.toml names a probe, models and observations that exist.
#[test]
fn known_wrong_entries_are_real() {
    for w in known_wrong() {
        let p = PROBES.iter().find(|p| p.name == w.probe).unwrap_or_else(|| panic!("unknown probe {}", w.probe));
        for m in &w.models {
            assert!(m == "kvm-*" || MODELS.contains(&m.as_str()), "{}: unknown model {m}", w.probe);
        }
        for o in &w.obs {
            assert!(p.obs.iter().any(|x| x.name == o) || (o == "lockstep" && p.lockstep), "{}: unknown observation {o}", w.probe);
        }
    }
    let _ = listed();
}

/// The committed .bin files are what `nasm -f bin` makes of the .asm files (native only; needs
/// nasm, required when CI is set).
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn committed_fidelity_binaries_match_nasm() {
    if std::process::Command::new("nasm").arg("-v").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "nasm is required in CI");
        eprintln!("nasm not found: skipping");
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fidelity");
    let out = std::env::temp_dir().join(format!("nestscope-fidelity-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    for p in PROBES {
        let bin = out.join(format!("{}.bin", p.name));
        let st = std::process::Command::new("nasm")
            .current_dir(&dir)
            .args(["-f", "bin", "-o"])
            .arg(&bin)
            .arg(format!("{}.asm", p.name))
            .status()
            .unwrap();
        assert!(st.success(), "nasm failed on {}.asm", p.name);
        assert!(std::fs::read(&bin).unwrap() == p.bin, "{}.bin is stale: re-run nasm", p.name);
    }
    let _ = std::fs::remove_dir_all(&out);
}
