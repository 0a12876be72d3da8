//! Time travel is exact: for every catalog scenario under `bare` and `kvm-merged`, stepping back
//! k and forward k again gives the machine an uninterrupted run reaches (the reference is a fresh
//! `Sim::run`, not the time-travel code).
use super::*;
use crate::machine::RunEnd;
use crate::scenario::{catalog, run as srun};

fn sim_of(s: &crate::scenario::format::Scenario, model: &str) -> Sim {
    let prog = srun::assemble(&s.source).expect("catalog assembles");
    Sim::new(&prog, s.machine.mem_mib, model.parse().expect("a catalog model"), &srun::l0_config(&s.machine).expect("l0")).expect("loads")
}

/// Everything observable: the whole v2 checkpoint (CPU, SVM, L0, devices, console, events,
/// memory), the CONTRACT report and the current level's registers.
fn fingerprint(sim: &Sim) -> (Vec<u8>, String, String) {
    let end = match &sim.machine().stopped {
        Some(s) => RunEnd::Stopped(s.clone()),
        None => RunEnd::Budget,
    };
    let pages: Vec<(u64, Vec<u8>)> = sim.machine().mem.pages().map(|(n, p)| (n, p.to_vec())).collect();
    let mut ck = crate::checkpoint::save(sim, None);
    ck.extend(pages.iter().flat_map(|(n, p)| n.to_le_bytes().into_iter().chain(p.iter().copied())));
    (ck, sim.report(&end).to_string(), format!("{:?} {:?}", sim.machine().cpu.regs, sim.level()))
}

fn fresh_at(s: &crate::scenario::format::Scenario, model: &str, n: u64) -> Sim {
    let mut sim = sim_of(s, model);
    let _ = sim.run(n);
    sim
}

#[test]
fn step_back_then_forward_is_identical_for_every_catalog_scenario() {
    let mut checked = 0;
    for s in catalog::load().expect("catalog") {
        for model in ["bare", "kvm-merged"] {
            let mut whole = sim_of(&s, model);
            if whole.run(s.machine.max_steps.min(20_000)).is_err() {
                continue; // an emulator error is not a state to travel in
            }
            let total = whole.machine().steps;
            for n in [total / 2, total] {
                let mut tt = TimeTravel::with_policy(sim_of(&s, model), 16, 8);
                tt.goto_step(n).expect("forward");
                assert_eq!(fingerprint(tt.sim()), fingerprint(&fresh_at(&s, model, n)), "{} {model} at {n}", s.name);
                for k in [1, 7, n / 3 + 1] {
                    tt.step_back(k).expect("back");
                    let back = n.saturating_sub(k);
                    // The first state at or after step `back`: `back` itself, unless a HLT's wait
                    // (one step of time, cpu/interrupts.rs) spans it — as `run(back)` reaches too.
                    let fresh = fresh_at(&s, model, back);
                    assert_eq!(tt.steps(), fresh.machine().steps, "{} {model}: {n} back {k}", s.name);
                    assert!(tt.steps() >= back, "{} {model}: {n} back {k}", s.name);
                    assert_eq!(fingerprint(tt.sim()), fingerprint(&fresh), "{} {model}: {n} back {k}", s.name);
                    tt.goto_step(n).expect("forward again");
                    assert_eq!(fingerprint(tt.sim()), fingerprint(&fresh_at(&s, model, n)), "{} {model}: {n} back {k} fwd", s.name);
                    checked += 1;
                }
                assert!(tt.snapshot_count() <= 8);
            }
        }
    }
    assert!(checked >= 15 * 2 * 2 * 3 - 12, "only {checked} cases ran");
}

#[test]
fn back_to_previous_world_switch_lands_on_the_switch() {
    let s = catalog::get("hello-vmrun").expect("in catalog").expect("parses");
    for model in ["bare", "kvm-merged"] {
        let mut tt = TimeTravel::with_policy(sim_of(&s, model), 64, 16);
        tt.goto_step(u64::MAX).expect("runs to its end");
        let marks = tt.switches().to_vec();
        assert!(marks.len() >= 2, "{model}: hello-vmrun has a VMRUN and a #VMEXIT");
        let mut seen = 0;
        let mut prev_events = tt.sim().machine().events.len() + 1;
        loop {
            let expect = marks.iter().rev().find(|m| m.tick < tt.tick()).copied();
            if !tt.back_to_previous_world_switch().expect("back") {
                assert_eq!(expect, None, "{model}");
                break;
            }
            seen += 1;
            let m = expect.expect("a switch before now");
            assert_eq!((tt.tick(), tt.steps()), (m.tick, m.steps), "{model}");
            // The reference: a fresh run stepped that many times by hand.
            let mut fresh = sim_of(&s, model);
            for _ in 0..m.tick {
                fresh.step().expect("steps");
            }
            assert_eq!(fingerprint(tt.sim()), fingerprint(&fresh), "{model} at tick {}", m.tick);
            let events = tt.sim().machine().events.len();
            assert!(events < prev_events, "{model}: going back a switch drops an event");
            prev_events = events;
        }
        assert!(seen + 1 >= marks.len(), "{model}: {seen} of {} switches visited", marks.len());
    }
}

#[test]
fn a_caller_that_steps_itself_rewinds_and_replays_to_the_uninterrupted_state() {
    // The web app's way: its own stepping function inside `step_with`, `rewind_before` to the
    // nearest snapshot, then replaying by hand to the target.
    let s = catalog::get("hello-vmrun").expect("in catalog").expect("parses");
    for model in ["bare", "kvm-merged"] {
        let mut tt = TimeTravel::with_policy(sim_of(&s, model), 7, 8);
        let mut calls = 0u64;
        while tt.sim().machine().stopped.is_none() && tt.steps() < 400 {
            tt.step_with(|sim| {
                calls += 1;
                sim.step()
            })
            .expect("steps");
        }
        assert_eq!(calls, tt.tick(), "{model}: one tick per call");
        assert!(tt.snapshot_count() > 2, "{model}: snapshots were taken");
        let end = tt.steps();
        assert!(!tt.rewind_before(end + 1), "{model}: ahead, nothing to rewind");
        for target in [end - 1, end / 2, 1, 0] {
            assert!(tt.rewind_before(target), "{model}");
            assert!(tt.steps() < target || tt.steps() == tt.first_steps(), "{model}: before {target}");
            while tt.steps() < target {
                tt.step_with(Sim::step).expect("replays");
            }
            assert_eq!(fingerprint(tt.sim()), fingerprint(&fresh_at(&s, model, target)), "{model} at {target}");
        }
        assert_eq!(tt.first_steps(), 0, "{model}");
    }
}

#[test]
fn with_recording_off_going_back_replays_from_the_start_to_the_same_state() {
    let s = catalog::get("hello-vmrun").expect("in catalog").expect("parses");
    let mut tt = TimeTravel::with_policy(sim_of(&s, "kvm-merged"), 5, 64);
    tt.goto_step(60).expect("runs");
    assert!(tt.snapshot_count() > 1);
    tt.set_recording(false);
    assert!(!tt.recording());
    assert_eq!(tt.snapshot_count(), 1, "only the start is kept");
    tt.goto_step(120).expect("runs");
    assert_eq!(tt.snapshot_count(), 1, "none taken while off");
    tt.step_back(30).expect("back");
    assert_eq!(fingerprint(tt.sim()), fingerprint(&fresh_at(&s, "kvm-merged", 90)));
}

#[test]
fn a_switch_gap_thins_the_world_switch_snapshots_and_going_back_is_still_exact() {
    let s = catalog::get("problem2-l2-pat-msr").expect("in catalog").expect("parses");
    let run = |gap: u64| {
        let mut tt = TimeTravel::with_policy(sim_of(&s, "kvm-merged"), 1_000_000, 100_000);
        tt.set_switch_gap(gap);
        tt.goto_step(u64::MAX).expect("runs to its end");
        tt
    };
    let (every, thinned) = (run(0), run(200));
    let switches = every.switches().len();
    assert!(switches > 20, "{switches} switches");
    assert_eq!(every.snapshot_count(), switches + 1, "one per switch, and the start");
    let most = usize::try_from(thinned.tick() / 200 + 1).expect("small") + 1;
    assert!(thinned.snapshot_count() <= most && thinned.snapshot_count() < switches, "{} of {switches}", thinned.snapshot_count());
    let mut tt = thinned;
    let end = tt.steps();
    for k in [1, 7, end / 3] {
        tt.goto_step(end).expect("forward");
        tt.step_back(k).expect("back");
        assert_eq!(fingerprint(tt.sim()), fingerprint(&fresh_at(&s, "kvm-merged", end - k)), "back {k}");
    }
}
