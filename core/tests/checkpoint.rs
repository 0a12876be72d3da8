//! Checkpoint format tests: committed fixtures of every format version keep loading and resume to
//! the same result as the uninterrupted run; corrupt or foreign documents give named errors.
use nestscope_core::checkpoint::{self, CheckpointError, FORMAT_VERSION};
use nestscope_core::machine::Machine;
use nestscope_core::mem::Hpa;
use nestscope_core::scenario::HELLO;
use nestscope_core::{Model, RunEnd, Stop};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const V1_HELLO_STEP5: &str = include_str!("data/checkpoint/v1/hello-step5.json");
/// `nestscope exec vmexit-invalid.asm --model kvm-merged --mem 8 --save-at 900 --checkpoint …`
/// (the `vmexit-invalid` scenario's program): events with a VMRUN and failed consistency checks.
const V2_VMEXIT_INVALID_KVM_MERGED: &str = include_str!("data/checkpoint/v2/vmexit-invalid-kvm-merged-step900.json");

fn uninterrupted() -> Machine {
    let mut m = Machine::new(HELLO.binary, 64).unwrap();
    assert_eq!(m.run(1_000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)));
    m
}

#[test]
fn v1_fixture_resumes_to_the_uninterrupted_result() {
    assert_eq!(FORMAT_VERSION, 2, "a new version needs its own fixture directory and test");
    let (mut m, model) = checkpoint::load(V1_HELLO_STEP5).expect("v1 fixture loads");
    assert_eq!(model, Model::DEFAULT);
    assert_eq!(m.steps, 5);
    assert_eq!(m.run(1_000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)));
    let u = uninterrupted();
    assert_eq!(m.steps, u.steps);
    assert_eq!(m.console, u.console);
    assert_eq!(m.cpu, u.cpu);
}

#[test]
fn v2_fixture_keeps_event_details_as_data_and_resumes_to_the_uninterrupted_result() {
    use nestscope_core::trace::{Detail, EventKind, Level};
    let sc = nestscope_core::scenario::catalog::get("vmexit-invalid").unwrap().unwrap();
    let program = nestscope_core::asm::assemble(&sc.source).unwrap().bytes;
    let mut sim = checkpoint::load_sim(V2_VMEXIT_INVALID_KVM_MERGED).expect("v2 fixture loads");
    assert_eq!(sim.model().name(), "kvm-merged");
    let events: Vec<_> = sim.machine().events.iter().cloned().collect();
    // The program's first VMRUN is of its VMCB at 0x200000 (`VMCB equ 0x200000`), emulated by L0.
    let first = events.iter().find(|e| e.kind == EventKind::Vmrun && e.from == Level::L1).expect("a VMRUN");
    assert_eq!(first.detail, Some(Detail::Vmrun { vmcb: Hpa(0x200000), emulated_by: Some("kvm-merged") }));
    // Its stages in order: ASID 0, the VMRUN intercept clear, CR0.NW without CR0.CD (APM 15.5.1).
    let failed: Vec<(&str, &str)> = events
        .iter()
        .filter_map(|e| e.detail.as_ref()?.failed_check())
        .map(|c| (c.name, c.apm_section))
        .collect();
    assert!(failed.len() >= 3, "{failed:?}");
    assert_eq!(failed[..3], [("asid_zero", "15.5.1"), ("vmrun_intercept_clear", "15.5.1"), ("cr0_cd_nw", "15.5.1")]);
    // It round-trips as it is and resumes to the uninterrupted run's result.
    let again = checkpoint::load_sim(&checkpoint::save_sim(&sim)).unwrap();
    assert!(again.machine().events == sim.machine().events);
    let end = sim.run(1_000_000).unwrap();
    let mut whole = nestscope_core::sim::Sim::new(&program, 8, sim.model(), &Default::default()).unwrap();
    assert_eq!(whole.run(1_000_000).unwrap(), end);
    assert_eq!(sim.machine().steps, whole.machine().steps);
    assert_eq!(sim.machine().console, whole.machine().console);
    let want = sc.expect[&sim.model()].console.clone().unwrap();
    assert_eq!(String::from_utf8_lossy(&sim.machine().console), want, "the scenario's expectation");
    assert!(sim.machine().events == whole.machine().events, "the whole log, details included");
}

#[test]
fn an_event_detail_whose_data_disagrees_with_its_text_is_rejected() {
    use nestscope_core::checkpoint::format::{checksum_of, FORMAT_NAME};
    let v: serde_json::Value = serde_json::from_str(V2_VMEXIT_INVALID_KVM_MERGED).unwrap();
    let doc = |state: serde_json::Value| {
        serde_json::json!({"format": FORMAT_NAME, "version": FORMAT_VERSION, "checksum": checksum_of(&state), "state": state}).to_string()
    };
    let i = v["state"]["events"].as_array().unwrap().iter().position(|e| e.get("detail_data").is_some_and(|d| d["is"] == "vmrun-failed")).unwrap();
    let mut other = v["state"].clone();
    other["events"][i]["detail_data"]["detail"] = serde_json::json!("ASID = 7");
    assert!(checkpoint::load_sim(&doc(other)).err().unwrap().to_string().contains("does not match its data"));
    let mut unknown = v["state"].clone();
    unknown["events"][i]["detail_data"]["check"] = serde_json::json!("no_such_check");
    assert!(checkpoint::load_sim(&doc(unknown)).err().unwrap().to_string().contains("no consistency check `no_such_check`"));
}

#[test]
fn save_then_load_is_lossless_at_every_step() {
    for at in 0..19 {
        let mut m = Machine::new(HELLO.binary, 64).unwrap();
        m.run(at).unwrap();
        let (mut back, _) = checkpoint::load(&checkpoint::save(&m, Model::DEFAULT)).unwrap();
        assert_eq!(back.cpu, m.cpu, "step {at}");
        assert_eq!(back.steps, m.steps);
        back.run(1_000).unwrap();
        let u = uninterrupted();
        assert_eq!((back.steps, &back.console, &back.cpu), (u.steps, &u.console, &u.cpu), "resumed from step {at}");
    }
}

#[test]
fn corrupt_and_foreign_documents_are_named_errors() {
    let good = checkpoint::save(&uninterrupted(), Model::DEFAULT);
    let err = |t: &str| checkpoint::load(t).err().expect("must be rejected");
    assert!(matches!(err(&good[..good.len() / 2]), CheckpointError::NotJson(_)));
    assert_eq!(err("{\"hello\": 1}"), CheckpointError::NotACheckpoint);
    assert_eq!(err(&good.replacen(&format!("\"version\": {FORMAT_VERSION}"), "\"version\": 99", 1)), CheckpointError::UnsupportedVersion { found: 99 });
    assert!(matches!(err(&good.replacen("\"steps\": 19", "\"steps\": 18", 1)), CheckpointError::ChecksumMismatch { .. }));
    for e in [err("[]"), err("not json at all")] {
        assert!(e.to_string().starts_with("invalid checkpoint: "), "{e}");
    }
}

#[test]
fn structurally_invalid_state_is_rejected_even_with_a_matching_checksum() {
    use nestscope_core::checkpoint::format::{checksum_of, FORMAT_NAME};
    let doc = |state: serde_json::Value| {
        serde_json::json!({"format": FORMAT_NAME, "version": 1, "checksum": checksum_of(&state), "state": state}).to_string()
    };
    let base: serde_json::Value = serde_json::from_str::<serde_json::Value>(&checkpoint::save(&uninterrupted(), Model::DEFAULT)).unwrap()["state"].clone();
    let mut outside = base.clone();
    outside["pages"] = serde_json::json!([{"page": 1u64 << 30, "data": checkpoint::format::base64_encode(&[1u8; 4096])}]);
    assert!(checkpoint::load(&doc(outside)).err().unwrap().to_string().contains("outside 64 MiB"));
    let mut short = base.clone();
    short["pages"] = serde_json::json!([{"page": 3, "data": "AAAA"}]);
    assert!(checkpoint::load(&doc(short)).err().unwrap().to_string().contains("3 bytes"));
    let mut extra = base.clone();
    extra["surprise"] = serde_json::json!(1);
    assert!(checkpoint::load(&doc(extra)).err().unwrap().to_string().contains("surprise"));
    let mut cpl = base;
    cpl["cpu"]["cpl"] = serde_json::json!(7);
    assert!(checkpoint::load(&doc(cpl)).err().unwrap().to_string().contains("cpl 7"));
}

#[test]
fn a_long_nested_run_keeps_its_first_and_last_events_across_a_checkpoint() {
    use nestscope_core::trace::log::{HEAD, TAIL};
    // 15 000 round trips: 30 000 world switches on `bare`, 60 000 under an L0 model (four per
    // trip): more than the log keeps, so some are only counted.
    let p = nestscope_core::bench::round_trip_program(15_000);
    for model in ["bare", "kvm-merged"] {
        let per_trip = if model == "bare" { 2 } else { 4 };
        let run = |s: &mut nestscope_core::sim::Sim, to: u64| s.run(to).unwrap();
        let mut whole = nestscope_core::sim::Sim::new(&p, 64, model.parse().unwrap(), &Default::default()).unwrap();
        assert_eq!(run(&mut whole, u64::MAX), RunEnd::Stopped(Stop::DebugExit(0)));
        let ev = &whole.machine().events;
        assert!(ev.len() >= 15_000 * per_trip, "{model}: {} events", ev.len());
        assert_eq!(ev.iter().count(), HEAD + TAIL, "{model}");
        assert_eq!(ev.dropped(), ev.len() - HEAD - TAIL);
        // Stop at three quarters (events already dropped), save, load, finish: the same log.
        let mut first = nestscope_core::sim::Sim::new(&p, 64, model.parse().unwrap(), &Default::default()).unwrap();
        run(&mut first, whole.machine().steps / 4 * 3);
        assert!(first.machine().events.dropped() > 0, "{model}");
        let mut back = checkpoint::load_sim(&checkpoint::save_sim(&first)).unwrap();
        assert!(back.machine().events == first.machine().events, "{model}: the log survives the checkpoint");
        assert_eq!(run(&mut back, u64::MAX), RunEnd::Stopped(Stop::DebugExit(0)));
        assert_eq!(back.machine().steps, whole.machine().steps);
        assert!(back.machine().events == whole.machine().events, "{model}: resumed log = uninterrupted log");
    }
}
