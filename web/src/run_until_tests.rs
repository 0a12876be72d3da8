//! Native tests of the run's stop conditions: every expected stop is found by stepping a plain
//! `Sim` (no tracker, no stop logic) until the condition first holds.
use super::*;
use nestscope_core::hv::L0Config;
use nestscope_core::scenario::catalog;
use nestscope_core::sim::Sim;
use nestscope_core::svm::exit_code::SvmExitCode;

fn assembled(name: &str) -> nestscope_core::asm::Assembled {
    let sc = catalog::get(name).expect("in the catalog").expect("parses");
    nestscope_core::asm::assemble(&sc.source).expect("assembles")
}

fn sim(code: &[u8], model: &str) -> Sim {
    Sim::new(code, 64, model.parse().expect("a model name"), &L0Config::default()).expect("loads")
}

/// Steps a plain Sim until `done` holds after a step; the step count then.
fn plain_until(code: &[u8], model: &str, done: impl Fn(&Sim, usize) -> bool) -> u64 {
    let mut s = sim(code, model);
    loop {
        let n = s.machine().events.len();
        assert!(matches!(s.step().expect("steps"), StepOutcome::Retired), "the condition never held");
        if done(&s, n) {
            return s.machine().steps;
        }
    }
}

fn run_with(code: &[u8], model: &str, goal: Goal, stops: &Stops) -> (Sim, End, Vec<Mark>) {
    let s = sim(code, model);
    let mut t = Tracker::new(&s);
    let mut tt = TimeTravel::new(s);
    let mut marks = Vec::new();
    let end = run(&mut t, &mut tt, 1_000_000, goal, stops, &mut marks).expect("runs");
    (tt.sim().clone(), end, marks)
}

#[test]
fn run_stops_at_a_breakpoint_where_single_stepping_first_reaches_it() {
    let a = assembled("hello-vmrun");
    // L2's entry point and L1's print routine (called after the #VMEXIT).
    for label in ["guest", "puts"] {
        let addr = a.symbols[label];
        for model in ["bare", "kvm-merged"] {
            let expected = plain_until(&a.bytes, model, |s, _| s.machine().cpu.regs.rip == addr);
            let stops = Stops { breakpoints: [addr].into(), ..Stops::default() };
            let (s, end, _) = run_with(&a.bytes, model, Goal::End, &stops);
            assert_eq!(end, End::Breakpoint(addr), "{label} {model}");
            assert_eq!(s.machine().steps, expected, "{label} {model}");
        }
    }
}

#[test]
fn break_on_vmexit_stops_at_the_first_exit_that_passes_the_filter() {
    let code = assembled("hello-vmrun").bytes;
    for (model, filter) in [("bare", SwitchFilter::L1L2), ("kvm-merged", SwitchFilter::Any), ("kvm-merged", SwitchFilter::L1L2)] {
        let expected = plain_until(&code, model, |s, n| {
            s.machine().events.since(n).any(|(_, e)| e.kind == EventKind::Vmexit && filter.passes(e))
        });
        let stops = Stops { on_vmexit: Some(None), filter, ..Stops::default() };
        let (s, end, _) = run_with(&code, model, Goal::End, &stops);
        assert!(matches!(end, End::VmExit(_)), "{model} {filter:?}: {end:?}");
        assert_eq!(s.machine().steps, expected, "{model} {filter:?}");
    }
    // Under kvm-merged the first exit of all is L1's WRMSR(EFER) to L0; the first L1↔L2 one is
    // L2's VMMCALL reflected to L1.
    let any = Stops { on_vmexit: Some(None), filter: SwitchFilter::Any, ..Stops::default() };
    assert_eq!(run_with(&code, "kvm-merged", Goal::End, &any).1, End::VmExit(SvmExitCode::MSR.0));
    let l1l2 = Stops { on_vmexit: Some(None), ..Stops::default() };
    assert_eq!(run_with(&code, "kvm-merged", Goal::End, &l1l2).1, End::VmExit(SvmExitCode::VMMCALL.0));
    // A chosen code that never occurs: the run goes to its end.
    let never = Stops { on_vmexit: Some(Some(SvmExitCode::HLT.0)), ..Stops::default() };
    assert!(matches!(run_with(&code, "bare", Goal::End, &never).1, End::Stopped(_)));
}

#[test]
fn next_l1_l2_switch_reaches_l2_in_one_run_under_kvm() {
    for name in ["hello-vmrun", "problem2-l2-pat-msr"] {
        let code = assembled(name).bytes;
        for model in ["bare", "kvm-legacy", "kvm-merged"] {
            let expected = plain_until(&code, model, |s, _| s.level() == Level::L2);
            let (s, end, _) = run_with(&code, model, Goal::NextSwitch, &Stops::default());
            assert_eq!(end, End::Switched, "{name} {model}");
            assert_eq!(s.level(), Level::L2, "{name} {model}");
            assert_eq!(s.machine().steps, expected, "{name} {model}");
        }
    }
}

#[test]
fn a_step_goal_lands_on_that_step_and_ignores_breakpoints() {
    let a = assembled("hello-vmrun");
    let mut plain = sim(&a.bytes, "kvm-merged");
    for _ in 0..40 {
        plain.step().unwrap();
    }
    let stops = Stops { breakpoints: a.symbols.values().copied().collect(), on_vmexit: Some(None), ..Stops::default() };
    let (s, end, marks) = run_with(&a.bytes, "kvm-merged", Goal::Step(plain.machine().steps), &stops);
    assert_eq!(end, End::Reached);
    assert_eq!(s.machine().steps, plain.machine().steps);
    assert_eq!(s.machine().cpu.regs, plain.machine().cpu.regs);
    assert_eq!(marks.len(), plain.machine().events.len(), "one mark per event");
}

#[test]
fn marks_carry_the_exit_information_the_vmcb_holds() {
    let code = assembled("hello-vmrun").bytes;
    let (s, _, marks) = run_with(&code, "bare", Goal::End, &Stops::default());
    let evs: Vec<_> = s.machine().events.iter().cloned().collect();
    assert_eq!(marks.len(), evs.len());
    for (m, e) in marks.iter().zip(&evs) {
        assert_eq!((m.kind, m.from, m.to, m.code), (e.kind, e.from, e.to, e.exit_code));
    }
    // VMMCALL: EXITINFO1 = EXITINFO2 = 0 (APM 15.9, instruction intercepts).
    let exit = marks.iter().find(|m| m.kind == EventKind::Vmexit).expect("an exit");
    assert_eq!(exit.code, SvmExitCode::VMMCALL.0);
    assert_eq!(exit.info, Some((0, 0)));
}
