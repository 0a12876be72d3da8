//! Checkpoint format tests: committed fixtures of every format version keep loading and resume to
//! the catalog's expected result; save → load → run equals the uninterrupted run for every catalog
//! scenario at several steps under `bare` and `kvm-merged`; corrupt or foreign files give named
//! errors.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use nestscope_core::checkpoint::{self, CheckpointError, FORMAT_VERSION};
use nestscope_core::scenario::{catalog, run, HELLO};
use nestscope_core::sim::Sim;
use nestscope_core::trace::Level;
use nestscope_core::{RunEnd, Stop};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const V1_HELLO_STEP5: &str = include_str!("data/checkpoint/v1/hello-step5.json");
const V2_BARE_L2: &[u8] = include_bytes!("data/checkpoint/v2/hello-vmrun-bare-l2.nsc");
const V2_KVM_MERGED_L2: &[u8] = include_bytes!("data/checkpoint/v2/hello-vmrun-kvm-merged-l2.nsc");

fn sim(program: &[u8], model: &str) -> Sim {
    Sim::new(program, 64, model.parse().unwrap(), &Default::default()).unwrap()
}

fn uninterrupted_hello() -> Sim {
    let mut s = sim(HELLO.binary, "bare");
    assert_eq!(s.run(1_000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)));
    s
}

#[test]
fn v1_fixture_resumes_to_the_uninterrupted_result() {
    assert_eq!(FORMAT_VERSION, 2, "a new version needs its own fixture directory and test");
    let l = checkpoint::load(V1_HELLO_STEP5.as_bytes()).expect("v1 fixture loads");
    assert_eq!((l.version, l.sim.model().name(), l.sim.machine().steps), (1, "bare", 5));
    let mut s = l.sim;
    assert_eq!(s.run(1_000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)));
    let u = uninterrupted_hello();
    assert_eq!((s.machine().steps, &s.machine().console, &s.machine().cpu), (u.machine().steps, &u.machine().console, &u.machine().cpu));
    // Converted on load: saved again it is a v2 file that loads to the same machine.
    let again = checkpoint::load(&checkpoint::save(&s, None)).unwrap();
    assert_eq!(again.version, 2);
    assert_eq!(again.sim.machine().cpu, s.machine().cpu);
}

/// The catalog's expectation for `model` of `scenario` holds for `report`.
fn meets_catalog_expectation(scenario: &str, model: &str, report: &serde_json::Value) {
    let sc = catalog::get(scenario).unwrap().unwrap();
    let exp = sc.expect.get(&model.parse().unwrap()).unwrap_or_else(|| panic!("{scenario} has an expectation for {model}"));
    assert_eq!(run::mismatches(report, exp), Vec::<String>::new(), "{scenario} [{model}]");
}

#[test]
fn v2_fixtures_stopped_in_l2_resume_to_the_catalog_expectation() {
    for (file, model) in [(V2_BARE_L2, "bare"), (V2_KVM_MERGED_L2, "kvm-merged")] {
        let l = checkpoint::load(file).unwrap_or_else(|e| panic!("{model} fixture: {e}"));
        assert_eq!((l.version, l.sim.model().name()), (2, model));
        assert_eq!(l.sim.level(), Level::L2, "{model}: the fixture was saved while L2 runs");
        let sc = catalog::get("hello-vmrun").unwrap().unwrap();
        assert_eq!(l.program.as_deref(), Some(&run::assemble(&sc.source).unwrap()[..]), "the program it records");
        let mut s = l.sim;
        let end = s.run(sc.machine.max_steps).unwrap();
        meets_catalog_expectation("hello-vmrun", model, &s.report(&end));
    }
}

/// Writes the v2 fixtures (run once per format version, then committed):
/// `NESTSCOPE_WRITE_FIXTURES=1 cargo test -p nestscope-core --test checkpoint -- --ignored`.
#[test]
#[ignore]
fn write_v2_fixtures() {
    if std::env::var_os("NESTSCOPE_WRITE_FIXTURES").is_none() {
        return;
    }
    let sc = catalog::get("hello-vmrun").unwrap().unwrap();
    let p = run::assemble(&sc.source).unwrap();
    for model in ["bare", "kvm-merged"] {
        let mut s = sim(&p, model);
        while s.level() != Level::L2 {
            s.run(s.machine().steps + 1).unwrap();
        }
        s.run(s.machine().steps + 2).unwrap();
        assert_eq!(s.level(), Level::L2);
        let path = format!("{}/tests/data/checkpoint/v2/hello-vmrun-{model}-l2.nsc", env!("CARGO_MANIFEST_DIR"));
        std::fs::write(path, checkpoint::save(&s, Some(&p))).unwrap();
    }
}

/// Writes the kernel fixtures (once, then committed):
/// `NESTSCOPE_WRITE_FIXTURES=1 cargo test -p nestscope-core --test checkpoint -- --ignored write_kernel_fixtures`.
#[test]
#[ignore]
fn write_kernel_fixtures() {
    if std::env::var_os("NESTSCOPE_WRITE_FIXTURES").is_none() {
        return;
    }
    let (img, boot) = probe();
    for model in ["bare", "kvm-merged"] {
        let mut s = Sim::boot(&img, model.parse().unwrap()).unwrap();
        s.run(PROBE_FIXTURE_STEP).unwrap();
        let path = format!("{}/tests/data/checkpoint/v2/probe-kernel-{model}-mid.nsc", env!("CARGO_MANIFEST_DIR"));
        std::fs::write(path, checkpoint::save_kernel(&s, PROBE, &boot)).unwrap();
    }
}

const PROBE: &[u8] = include_bytes!("data/multiboot/probe.elf");
/// Where the kernel fixtures were saved: after the probe printed its registers, inside the
/// multiboot information.
const PROBE_FIXTURE_STEP: u64 = 2_000;

/// tests/data/multiboot/probe.elf booted as QEMU booted it for probe-qemu-7.2.txt (64 MiB,
/// `-append "vmrun ioio"`).
fn probe() -> (nestscope_core::loader::BootImage, checkpoint::BootRecord) {
    use nestscope_core::loader::multiboot::{self, BootConfig};
    let boot = checkpoint::BootRecord { ram_mib: 64, progname: "probe.elf".into(), append: "vmrun ioio".into() };
    let cfg = BootConfig { ram_bytes: 64 << 20, progname: boot.progname.clone(), append: boot.append.clone() };
    (multiboot::load(PROBE, &cfg).unwrap(), boot)
}

/// The kernel fixtures (format 2 with a boot record and fw_cfg) keep loading: they hold the
/// kernel and its boot, and resume to the probe's end — exit 0 through isa-debug-exit and the
/// command line QEMU gave it (probe-qemu-7.2.txt: "cmdline: probe.elf vmrun ioio").
#[test]
fn kernel_fixtures_resume_to_the_probes_end() {
    let (_, boot) = probe();
    for (file, model) in [
        (&include_bytes!("data/checkpoint/v2/probe-kernel-bare-mid.nsc")[..], "bare"),
        (&include_bytes!("data/checkpoint/v2/probe-kernel-kvm-merged-mid.nsc")[..], "kvm-merged"),
    ] {
        let l = checkpoint::load(file).unwrap_or_else(|e| panic!("{model} fixture: {e}"));
        assert_eq!((l.version, l.sim.model().name(), l.sim.machine().steps), (2, model, PROBE_FIXTURE_STEP));
        assert_eq!((l.boot.as_ref(), l.program.as_deref()), (Some(&boot), Some(PROBE)), "{model}");
        let mut s = l.sim;
        assert_eq!(s.run(10_000_000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)), "{model}");
        let console = String::from_utf8_lossy(&s.machine().console).into_owned();
        let qemu = include_str!("data/multiboot/probe-qemu-7.2.txt");
        let cmd = qemu.lines().find(|l| l.starts_with("cmdline: ")).unwrap();
        assert!(console.lines().any(|l| l == cmd), "{model}: {console}");
        let i = checkpoint::inspect::inspect(file).unwrap();
        assert_eq!(format!("cmdline: {}", i["boot"]["cmdline"].as_str().unwrap()), cmd, "{model}: inspect shows the boot");
    }
}

#[test]
fn save_then_load_is_lossless_at_every_step() {
    let u = uninterrupted_hello();
    for at in 0..19 {
        let mut s = sim(HELLO.binary, "bare");
        s.run(at).unwrap();
        let mut back = checkpoint::load_sim(&checkpoint::save(&s, Some(HELLO.binary))).unwrap();
        assert_eq!(back.machine().cpu, s.machine().cpu, "step {at}");
        assert_eq!(back.machine().steps, s.machine().steps);
        back.run(1_000).unwrap();
        let b = back.machine();
        assert_eq!((b.steps, &b.console, &b.cpu), (u.machine().steps, &u.machine().console, &u.machine().cpu), "resumed from step {at}");
    }
}

/// Steps at which to save a run of `total` steps: quarters, and the first steps in L2.
fn save_points(program: &[u8], model: &str, total: u64) -> Vec<u64> {
    let mut v = vec![1, total / 4, total / 2, total * 3 / 4, total.saturating_sub(1)];
    let mut s = sim(program, model);
    while s.level() != Level::L2 && s.machine().steps < total && s.machine().stopped.is_none() {
        s.run(s.machine().steps + 1).unwrap();
    }
    if s.level() == Level::L2 {
        v.push(s.machine().steps);
        v.push(s.machine().steps + 1);
    }
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn event_details_stay_data_across_a_checkpoint() {
    use nestscope_core::mem::Hpa;
    use nestscope_core::trace::{Detail, EventKind};
    // The `vmexit-invalid` program: a good VMRUN of its VMCB at 0x200000 (`VMCB equ 0x200000`),
    // then VMRUNs failing ASID 0, the VMRUN intercept clear and CR0.NW without CR0.CD (APM 15.5.1).
    let sc = catalog::get("vmexit-invalid").unwrap().unwrap();
    let p = run::assemble(&sc.source).unwrap();
    for model in ["bare", "kvm-merged"] {
        let mut s = sim(&p, model);
        s.run(sc.machine.max_steps).unwrap();
        let back = checkpoint::load_sim(&checkpoint::save(&s, Some(&p))).unwrap();
        assert!(back.machine().events == s.machine().events, "{model}: the log, details included");
        let evs: Vec<_> = back.machine().events.iter().cloned().collect();
        let vmrun = evs.iter().find(|e| e.kind == EventKind::Vmrun && e.from == Level::L1).unwrap();
        let emulated_by = (model != "bare").then_some(model);
        assert_eq!(vmrun.detail, Some(Detail::Vmrun { vmcb: Hpa(0x200000), emulated_by }), "{model}");
        let failed: Vec<(&str, &str)> =
            evs.iter().filter_map(|e| e.detail.as_ref()?.failed_check()).map(|c| (c.name, c.apm_section)).collect();
        assert_eq!(failed[..3], [("asid_zero", "15.5.1"), ("vmrun_intercept_clear", "15.5.1"), ("cr0_cd_nw", "15.5.1")], "{model}");
    }
    // A v2 file written before details were data: its details load as the text they are.
    let l = checkpoint::load(V2_KVM_MERGED_L2).unwrap();
    let e = l.sim.machine().events.iter().find(|e| e.kind == EventKind::Vmrun && e.from == Level::L1).unwrap();
    assert_eq!(e.detail, Some(Detail::Text("VMCB 0x200000, emulated by L0 (kvm-merged)".into())));
    assert_eq!(e.detail.as_ref().unwrap().vmrun_vmcb(), None, "text is not parsed back");
    assert_eq!(l.sim.vmcbs()[0].1, Hpa(0x200000), "the VMCB is still known (L0 is in guest mode)");
}

#[test]
fn every_catalog_scenario_resumes_to_the_uninterrupted_result_under_bare_and_kvm_merged() {
    for sc in catalog::load().unwrap() {
        let p = run::assemble(&sc.source).unwrap();
        let budget = sc.machine.max_steps;
        for model in ["bare", "kvm-merged"] {
            if !sc.models.iter().any(|m| m.name() == model) {
                continue;
            }
            let cfg = run::l0_config(&sc.machine).unwrap();
            let fresh = || Sim::new(&p, sc.machine.mem_mib, model.parse().unwrap(), &cfg).unwrap();
            let mut whole = fresh();
            let end = whole.run(budget).unwrap();
            let want = whole.report(&end);
            for at in save_points(&p, model, whole.machine().steps) {
                let mut first = fresh();
                first.run(at).unwrap();
                let file = checkpoint::save(&first, Some(&p));
                let mut back = checkpoint::load_sim(&file).unwrap_or_else(|e| panic!("{} [{model}] at {at}: {e}", sc.name));
                let end = back.run(budget).unwrap();
                assert_eq!(back.report(&end), want, "{} [{model}] resumed from step {at}", sc.name);
            }
        }
    }
}

#[test]
fn sizes_meet_the_goals() {
    // The default scenario (the catalog's first) at its middle, and hello-vmrun under kvm-merged
    // in L2: at most 16 KB each.
    let first = &catalog::load().unwrap()[0];
    let p = run::assemble(&first.source).unwrap();
    let mut s = sim(&p, first.models[0].name());
    let end = s.run(first.machine.max_steps).unwrap();
    assert!(matches!(end, RunEnd::Stopped(_)));
    let mut mid = sim(&p, first.models[0].name());
    mid.run(s.machine().steps / 2).unwrap();
    let n = checkpoint::save(&mid, Some(&p)).len();
    assert!(n <= 16 * 1024, "default scenario: {n} bytes");
    let hv = catalog::get("hello-vmrun").unwrap().unwrap();
    let p = run::assemble(&hv.source).unwrap();
    let mut s = sim(&p, "kvm-merged");
    while s.level() != Level::L2 {
        s.run(s.machine().steps + 1).unwrap();
    }
    let n = checkpoint::save(&s, Some(&p)).len();
    assert!(n <= 16 * 1024, "hello-vmrun kvm-merged in L2: {n} bytes");
    // The memory is deduplicated, not just compressed: the v1 document of the same state (every
    // non-zero page) is much larger.
    assert!(checkpoint::save_v1(&s).len() > 8 * n);
}

#[test]
fn corrupt_and_foreign_files_are_named_errors() {
    let s = uninterrupted_hello();
    let good_v1 = checkpoint::save_v1(&s);
    let err = |t: &[u8]| checkpoint::load(t).err().expect("must be rejected");
    assert!(matches!(err(&good_v1.as_bytes()[..good_v1.len() / 2]), CheckpointError::NotJson(_)));
    assert_eq!(err(b"{\"hello\": 1}"), CheckpointError::NotACheckpoint);
    assert_eq!(err(b"\x7fELF"), CheckpointError::NotACheckpoint);
    assert_eq!(err(good_v1.replacen("\"version\": 1", "\"version\": 99", 1).as_bytes()), CheckpointError::UnsupportedVersion { found: 99 });
    assert!(matches!(err(good_v1.replacen("\"steps\": 19", "\"steps\": 18", 1).as_bytes()), CheckpointError::ChecksumMismatch { .. }));
    for e in [err(b"[]"), err(b"not json at all")] {
        assert!(e.to_string().starts_with("invalid checkpoint: "), "{e}");
    }
    let good = checkpoint::save(&s, Some(HELLO.binary));
    let mut v99 = good.clone();
    v99[8] = 99;
    assert_eq!(err(&v99), CheckpointError::UnsupportedVersion { found: 99 });
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 1;
    assert!(matches!(err(&flipped), CheckpointError::ChecksumMismatch { .. }));
    assert!(matches!(err(&good[..good.len() - 3]), CheckpointError::Truncated { .. }));
}

#[test]
fn structurally_invalid_v1_state_is_rejected_even_with_a_matching_checksum() {
    use base64::Engine;
    use nestscope_core::checkpoint::format::{checksum_of, FORMAT_NAME};
    let doc = |state: serde_json::Value| {
        serde_json::json!({"format": FORMAT_NAME, "version": 1, "checksum": checksum_of(&state), "state": state}).to_string()
    };
    let load = |state: serde_json::Value| checkpoint::load(doc(state).as_bytes()).err().expect("refused").to_string();
    let base: serde_json::Value = serde_json::from_str::<serde_json::Value>(&checkpoint::save_v1(&uninterrupted_hello())).unwrap()["state"].clone();
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut outside = base.clone();
    outside["pages"] = serde_json::json!([{"page": 1u64 << 30, "data": b64(&[1u8; 4096])}]);
    assert!(load(outside).contains("outside 64 MiB"));
    let mut short = base.clone();
    short["pages"] = serde_json::json!([{"page": 3, "data": "AAAA"}]);
    assert!(load(short).contains("3 bytes"));
    let mut dup = base.clone();
    dup["pages"] = serde_json::json!([{"page": 3, "data": b64(&[1u8; 4096])}, {"page": 3, "data": b64(&[2u8; 4096])}]);
    assert!(load(dup).contains("repeated"), "M3: a page stored twice");
    let mut extra = base.clone();
    extra["surprise"] = serde_json::json!(1);
    assert!(load(extra).contains("surprise"));
    let mut cpl = base;
    cpl["cpu"]["cpl"] = serde_json::json!(7);
    assert!(load(cpl).contains("cpu.cpl: cpl 7"));
}

#[test]
fn a_long_nested_run_keeps_its_first_and_last_events_across_a_checkpoint() {
    use nestscope_core::trace::log::{HEAD, TAIL};
    // 15 000 round trips: 30 000 world switches on `bare`, 60 000 under an L0 model (four per
    // trip): more than the log keeps, so some are only counted.
    let p = nestscope_core::bench::round_trip_program(15_000);
    for model in ["bare", "kvm-merged"] {
        let per_trip = if model == "bare" { 2 } else { 4 };
        let run = |s: &mut Sim, to: u64| s.run(to).unwrap();
        let mut whole = sim(&p, model);
        assert_eq!(run(&mut whole, u64::MAX), RunEnd::Stopped(Stop::DebugExit(0)));
        let ev = &whole.machine().events;
        assert!(ev.len() >= 15_000 * per_trip, "{model}: {} events", ev.len());
        assert_eq!(ev.iter().count(), HEAD + TAIL, "{model}");
        assert_eq!(ev.dropped(), ev.len() - HEAD - TAIL);
        // Stop at three quarters (events already dropped), save, load, finish: the same log.
        let mut first = sim(&p, model);
        run(&mut first, whole.machine().steps / 4 * 3);
        assert!(first.machine().events.dropped() > 0, "{model}");
        let mut back = checkpoint::load_sim(&checkpoint::save(&first, Some(&p))).unwrap();
        assert!(back.machine().events == first.machine().events, "{model}: the log survives the checkpoint");
        assert_eq!(run(&mut back, u64::MAX), RunEnd::Stopped(Stop::DebugExit(0)));
        assert_eq!(back.machine().steps, whole.machine().steps);
        assert!(back.machine().events == whole.machine().events, "{model}: resumed log = uninterrupted log");
    }
}

/// A program that takes interrupts (the fidelity probe data/fidelity/interrupts.asm: self-IPIs,
/// the APIC timer ending a HLT, V_IRQ, NMI) resumes to the uninterrupted result from a checkpoint
/// taken anywhere — with an IPI requested, the timer counting, the processor halted or inside a
/// handler: the APIC and the processor's interrupt state are in the file.
#[test]
fn a_run_with_interrupts_in_flight_resumes_to_the_uninterrupted_result() {
    let p: &[u8] = include_bytes!("data/fidelity/interrupts.bin");
    for model in ["bare", "kvm-merged"] {
        let fresh = || Sim::new(p, 64, model.parse().unwrap(), &nestscope_core::hv::L0Config::default()).unwrap();
        let mut whole = fresh();
        let end = whole.run(1_000_000).unwrap();
        assert_eq!(end, RunEnd::Stopped(Stop::DebugExit(0)), "{model}");
        let want = whole.report(&end);
        let obs = |s: &Sim| (0..17u64).map(|i| s.machine().mem.read_u64(nestscope_core::mem::Hpa(0x68_0000 + 8 * i)).unwrap()).collect::<Vec<_>>();
        let want_obs = obs(&whole);
        let mut saved_busy = 0;
        for at in (0..whole.machine().steps).step_by(97) {
            let mut first = fresh();
            first.run(at).unwrap();
            let busy = nestscope_core::inspect::interrupts::interrupt_view(&first);
            saved_busy += usize::from(!busy.requested.is_empty() || busy.timer.is_some() || busy.halted || !busy.in_service.is_empty());
            let file = checkpoint::save(&first, Some(p));
            let mut back = checkpoint::load_sim(&file).unwrap_or_else(|e| panic!("[{model}] at {at}: {e}"));
            let end = back.run(1_000_000).unwrap();
            assert_eq!(back.report(&end), want, "[{model}] resumed from step {at}");
            assert_eq!(obs(&back), want_obs, "[{model}] resumed from step {at}");
        }
        assert!(saved_busy > 3, "[{model}] some save points had interrupt state to keep ({saved_busy})");
    }
}

/// The UART's registers are in the file: a program that sets the divisor latch (LCR.DLAB, then
/// DLL = 0x0C: 9600 baud, PC16550D table 2) and reads it back after a checkpoint exits with 0x0C
/// from every save point.
#[test]
fn the_uart_divisor_survives_a_checkpoint() {
    let src = "bits 64\nmov dx, 0x3FB\nmov al, 0x80\nout dx, al\nmov dx, 0x3F8\nmov al, 0x0C\nout dx, al\nnop\nnop\nin al, dx\nout 0xF4, al\n";
    let p = nestscope_core::asm::assemble(src).unwrap().bytes;
    for model in ["bare", "kvm-merged"] {
        let fresh = || Sim::new(&p, 64, model.parse().unwrap(), &nestscope_core::hv::L0Config::default()).unwrap();
        let mut whole = fresh();
        assert_eq!(whole.run(1000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0x0C)), "{model}");
        for at in 0..whole.machine().steps {
            let mut first = fresh();
            first.run(at).unwrap();
            let mut back = checkpoint::load_sim(&checkpoint::save(&first, Some(&p))).unwrap();
            assert_eq!(back.run(1000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0x0C)), "[{model}] resumed from step {at}");
        }
    }
}

/// The state section of a v2 file as JSON: the payload's first section (v2.rs: `u32 state_len`,
/// then the state JSON).
fn v2_state_json(file: &[u8]) -> serde_json::Value {
    let (_, raw) = checkpoint::container::open(file).unwrap();
    let n = u32::from_le_bytes(raw[..4].try_into().unwrap()) as usize;
    serde_json::from_slice(&raw[4..4 + n]).unwrap()
}

/// `state` converted as loading converts it: without the fields that are read and no longer
/// written (state.rs `SvmRecord`: `l0_host`, `pending_exit`).
fn without_retired_fields(mut state: serde_json::Value) -> serde_json::Value {
    if let Some(svm) = state.get_mut("svm").and_then(|s| s.as_object_mut()) {
        assert_eq!(svm.remove("pending_exit").unwrap_or_default(), serde_json::Value::Null);
        // A guest the L0 model entered has no host save in the processor (loaded as `host: null`).
        if svm.remove("l0_host") == Some(serde_json::Value::Bool(true)) && !svm["guest"].is_null() {
            svm["guest"]["host"] = serde_json::Value::Null;
        }
    }
    state
}

/// The per-component records (checkpoint/records/) keep the JSON field names and shapes of the
/// files written before them: every committed fixture, loaded and saved again, has the very
/// state JSON it was written with, less the retired fields (v1: the document's `state`, its page
/// list emptied).
#[test]
fn every_fixture_saved_again_has_the_json_it_was_written_with() {
    let kernel_bare = include_bytes!("data/checkpoint/v2/probe-kernel-bare-mid.nsc");
    let kernel_kvm = include_bytes!("data/checkpoint/v2/probe-kernel-kvm-merged-mid.nsc");
    for (file, model) in [(V2_BARE_L2, "bare"), (V2_KVM_MERGED_L2, "kvm-merged"), (kernel_bare, "bare kernel"), (kernel_kvm, "kvm-merged kernel")] {
        let l = checkpoint::load(file).unwrap();
        let again = match &l.boot {
            Some(b) => checkpoint::save_kernel(&l.sim, l.program.as_deref().unwrap(), b),
            None => checkpoint::save(&l.sim, l.program.as_deref()),
        };
        let stored = without_retired_fields(v2_state_json(file));
        assert_eq!(v2_state_json(&again), stored, "{model} fixture");
        if model.ends_with("kernel") {
            assert!(stored.get("boot").is_some() && stored.get("fw_cfg").is_some(), "{model}: {stored}");
        }
    }
    let v1: serde_json::Value = serde_json::from_str(V1_HELLO_STEP5).unwrap();
    let mut stored = without_retired_fields(v1["state"].clone());
    stored["pages"] = serde_json::json!([]);
    // Written before the SVM model existed: no `svm` (a bare machine at power-on: GIF set, no
    // guest) and no `l0` (state.rs).
    assert!(stored.get("svm").is_none() && stored.get("l0").is_none());
    stored["svm"] = serde_json::json!({"model": "Bare", "gif": true, "guest": null});
    stored["l0"] = serde_json::Value::Null;
    let l = checkpoint::load(V1_HELLO_STEP5.as_bytes()).unwrap();
    assert_eq!(v2_state_json(&checkpoint::save(&l.sim, None)), stored, "v1 fixture");
}

/// A multiboot kernel run (tests/data/multiboot/probe.elf: it prints what the loader left, with
/// its command line, to port 0xE9) saved at several steps resumes to the uninterrupted run's
/// console, exit and step count, under `bare` and `kvm-merged`; its command line is the one it
/// was booted with ("cmdline: probe.elf vmrun ioio", as QEMU gave it: probe-qemu-7.2.txt).
#[test]
fn a_kernel_run_resumes_to_the_uninterrupted_result() {
    let (img, boot) = probe();
    for model in ["bare", "kvm-merged"] {
        let mut u = Sim::boot(&img, model.parse().unwrap()).unwrap();
        let end = u.run(10_000_000).unwrap();
        assert_eq!(end, RunEnd::Stopped(Stop::DebugExit(0)), "{model}");
        let console = String::from_utf8_lossy(&u.machine().console).into_owned();
        assert!(console.lines().any(|l| l == "cmdline: probe.elf vmrun ioio"), "{model}: {console}");
        let total = u.machine().steps;
        for at in [1, total / 3, total / 2, total - 1] {
            let mut s = Sim::boot(&img, model.parse().unwrap()).unwrap();
            s.run(at).unwrap();
            let l = checkpoint::load(&checkpoint::save_kernel(&s, PROBE, &boot)).unwrap();
            assert_eq!((l.boot.as_ref(), l.program.as_deref()), (Some(&boot), Some(PROBE)), "{model} at {at}");
            let mut r = l.sim;
            assert_eq!(r.run(10_000_000).unwrap(), end, "{model} resumed at {at}");
            assert_eq!((r.machine().steps, &r.machine().console), (total, &u.machine().console), "{model} resumed at {at}");
            assert_eq!(r.machine().cpu, u.machine().cpu, "{model} resumed at {at}");
        }
    }
}

/// The operating-mode registers of a file must be a state a CPU can be in (APM vol.2 14.6:
/// EFER.LMA = EFER.LME and CR0.PG; 8.x: CR0.PG needs CR0.PE; RIP is 32 bits outside 64-bit mode),
/// and every mode the processor models loads: real mode, 32-bit protected mode (the multiboot
/// entry state), compatibility mode, 64-bit mode.
#[test]
fn a_checkpoint_loads_in_every_modelled_mode_and_refuses_impossible_ones() {
    use nestscope_core::checkpoint::format::{checksum_of, FORMAT_NAME};
    let doc = |state: &serde_json::Value| {
        serde_json::json!({"format": FORMAT_NAME, "version": 1, "checksum": checksum_of(state), "state": state}).to_string()
    };
    let base: serde_json::Value = serde_json::from_str::<serde_json::Value>(&checkpoint::save_v1(&uninterrupted_hello())).unwrap()["state"].clone();
    let with = |cr0: u64, efer: u64, cs_attrib: u64, rip: u64| {
        let mut s = base.clone();
        (s["cpu"]["cr0"], s["cpu"]["efer"], s["cpu"]["cs"]["attrib"], s["cpu"]["rip"]) = (cr0.into(), efer.into(), cs_attrib.into(), rip.into());
        checkpoint::load(doc(&s).as_bytes()).err().map(|e| e.to_string())
    };
    // (CR0, EFER, CS attributes) — PE 1, PG 1 << 31; LME 1 << 8, LMA 1 << 10; CS.L 0x200, D 0x400.
    assert_eq!(with(0x10, 0, 0x93, 0xfff0), None, "real mode");
    assert_eq!(with(0x11, 0, 0xc9b, 0x10_0000), None, "32-bit protected mode, paging off");
    assert_eq!(with(0x8000_0011, 0, 0xc9b, 0x10_0000), None, "32-bit protected mode, paging on");
    assert_eq!(with(0x8000_0011, 0x500, 0xc9b, 0x10_0000), None, "compatibility mode");
    assert_eq!(with(0x8000_0011, 0x500, 0xa9b, 0xffff_8000_0000_0000), None, "64-bit mode");
    let refused = |r: Option<String>, what: &str| assert!(r.as_deref().is_some_and(|e| e.contains(what)), "{r:?}");
    refused(with(0x8000_0010, 0, 0x93, 0), "PG without PE");
    refused(with(0x11, 0x500, 0xa9b, 0x10_0000), "LMA is not LME and PG");
    refused(with(0x8000_0011, 0x100, 0xa9b, 0x10_0000), "LMA is not LME and PG");
    refused(with(0x11, 0, 0xc9b, 1 << 32), "beyond 32 bits");
    refused(with(0x8000_0011, 0x500, 0xa9b, 1 << 47), "not canonical");
}
