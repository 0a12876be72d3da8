//! Checkpoint format tests: committed fixtures of every format version keep loading and resume to
//! the same result as the uninterrupted run; corrupt or foreign documents give named errors.
use nestscope_core::checkpoint::{self, CheckpointError, FORMAT_VERSION};
use nestscope_core::machine::Machine;
use nestscope_core::scenario::HELLO;
use nestscope_core::{RunEnd, Stop};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const V1_HELLO_STEP5: &str = include_str!("data/checkpoint/v1/hello-step5.json");

fn uninterrupted() -> Machine {
    let mut m = Machine::new(HELLO.binary, 64).unwrap();
    assert_eq!(m.run(1_000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)));
    m
}

#[test]
fn v1_fixture_resumes_to_the_uninterrupted_result() {
    assert_eq!(FORMAT_VERSION, 1, "a new version needs its own fixture directory and test");
    let (mut m, model) = checkpoint::load(V1_HELLO_STEP5).expect("v1 fixture loads");
    assert_eq!(model, "bare");
    assert_eq!(m.steps, 5);
    assert_eq!(m.run(1_000).unwrap(), RunEnd::Stopped(Stop::DebugExit(0)));
    let u = uninterrupted();
    assert_eq!(m.steps, u.steps);
    assert_eq!(m.console, u.console);
    assert_eq!(m.cpu, u.cpu);
}

#[test]
fn save_then_load_is_lossless_at_every_step() {
    for at in 0..19 {
        let mut m = Machine::new(HELLO.binary, 64).unwrap();
        m.run(at).unwrap();
        let (mut back, _) = checkpoint::load(&checkpoint::save(&m, "bare")).unwrap();
        assert_eq!(back.cpu, m.cpu, "step {at}");
        assert_eq!(back.steps, m.steps);
        back.run(1_000).unwrap();
        let u = uninterrupted();
        assert_eq!((back.steps, &back.console, &back.cpu), (u.steps, &u.console, &u.cpu), "resumed from step {at}");
    }
}

#[test]
fn corrupt_and_foreign_documents_are_named_errors() {
    let good = checkpoint::save(&uninterrupted(), "bare");
    let err = |t: &str| checkpoint::load(t).err().expect("must be rejected");
    assert!(matches!(err(&good[..good.len() / 2]), CheckpointError::NotJson(_)));
    assert_eq!(err("{\"hello\": 1}"), CheckpointError::NotACheckpoint);
    assert_eq!(err(&good.replacen("\"version\": 1", "\"version\": 99", 1)), CheckpointError::UnsupportedVersion { found: 99 });
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
    let base: serde_json::Value = serde_json::from_str::<serde_json::Value>(&checkpoint::save(&uninterrupted(), "bare")).unwrap()["state"].clone();
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
        let mut whole = nestscope_core::sim::Sim::new(&p, 64, model, &Default::default()).unwrap();
        assert_eq!(run(&mut whole, u64::MAX), RunEnd::Stopped(Stop::DebugExit(0)));
        let ev = &whole.machine().events;
        assert!(ev.len() >= 15_000 * per_trip, "{model}: {} events", ev.len());
        assert_eq!(ev.iter().count(), HEAD + TAIL, "{model}");
        assert_eq!(ev.dropped(), ev.len() - HEAD - TAIL);
        // Stop at three quarters (events already dropped), save, load, finish: the same log.
        let mut first = nestscope_core::sim::Sim::new(&p, 64, model, &Default::default()).unwrap();
        run(&mut first, whole.machine().steps / 4 * 3);
        assert!(first.machine().events.dropped() > 0, "{model}");
        let mut back = checkpoint::load_sim(&checkpoint::save_sim(&first)).unwrap();
        assert!(back.machine().events == first.machine().events, "{model}: the log survives the checkpoint");
        assert_eq!(run(&mut back, u64::MAX), RunEnd::Stopped(Stop::DebugExit(0)));
        assert_eq!(back.machine().steps, whole.machine().steps);
        assert!(back.machine().events == whole.machine().events, "{model}: resumed log = uninterrupted log");
    }
}
