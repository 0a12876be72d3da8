//! Going back in a run with the core's time travel (core/src/timetravel.rs): "Step back" and a
//! timeline jump to an earlier step restore the nearest snapshot before the target, cut the
//! timeline marks and the world-switch records back to that point (the replay adds them again,
//! with their exit information), and replay to the target — at once when it is near, in time
//! slices like Run when it is far. A jump ahead runs on from where the run is.
use crate::run_status::status_of;
use crate::run_until::{self, End, Goal};
use crate::state::{Session, Status};
use crate::switches::Tracker;
use nestscope_core::timetravel::TimeTravel;
use std::rc::Rc;

/// Steps replayed at once after a restore; a longer replay runs in time slices.
pub const SYNC_REPLAY: u64 = 20_000;
/// The app's snapshot policy: one every this many ticks ...
pub const SNAPSHOT_EVERY: u64 = 50_000;
/// ... and at a world switch at most one per this many ticks. A snapshot (a clone of the run:
/// RAM pages shared, caches copied) costs a fraction of a millisecond in the browser: one at
/// every switch made switch-heavy runs 30× slower (bench/web-speed.mjs: 1 300 against 41 900
/// bare world switches/s), one per 2 000 ticks still ~40 % slower; with these two the speed is
/// that of a run without snapshots within the machine's noise, and going back replays at most
/// about `SNAPSHOT_EVERY` ticks.
pub const SWITCH_GAP: u64 = 10_000;

/// The run of `sim` under the app's time-travel policy, snapshots on or off.
pub fn new_run(sim: nestscope_core::sim::Sim, on: bool) -> TimeTravel {
    let mut tt = TimeTravel::with_policy(sim, SNAPSHOT_EVERY, nestscope_core::timetravel::DEFAULT_MAX);
    tt.set_switch_gap(SWITCH_GAP);
    tt.set_recording(on);
    tt
}

/// What the toolbar says about time travel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TravelInfo {
    pub on: bool,
    /// Snapshots kept now.
    pub snapshots: usize,
    /// The earliest step going back can reach (0, or where an imported checkpoint starts).
    pub first: u64,
}

impl TravelInfo {
    pub fn text(&self) -> String {
        let start = if self.first == 0 { "the start".to_string() } else { format!("step {} (the imported checkpoint)", self.first) };
        if self.on {
            let n = self.snapshots;
            let s = if n == 1 { "" } else { "s" };
            if self.first == 0 { format!("time travel: {n} snapshot{s}") } else { format!("time travel: {n} snapshot{s}, back to {start}") }
        } else {
            format!("time travel off: going back replays from {start}")
        }
    }
}

/// The toolbar's note after a jump landed on step `steps`, replayed from the snapshot at step
/// `from` (`None`: the run went forward from where it was).
pub fn reached_note(steps: u64, from: Option<u64>) -> String {
    match from {
        Some(0) => format!("at step {steps} (replayed from the start)"),
        Some(k) => format!("at step {steps} (time travel: replayed from the snapshot at step {k})"),
        None => format!("at step {steps}"),
    }
}

impl Session {
    pub fn travel_info(&self) -> TravelInfo {
        let tt = self.run.borrow();
        TravelInfo { on: tt.recording(), snapshots: tt.snapshot_count(), first: tt.first_steps() }
    }

    /// Goes to step `target`: runs on if it lies ahead, else restores the nearest snapshot
    /// before it and replays from there.
    pub(crate) fn jump(self: Rc<Self>, target: u64) -> Rc<Self> {
        let steps = self.sim().machine().steps;
        if target == steps || self.status == Status::Running {
            return self;
        }
        if target > steps {
            if self.finished() {
                return self;
            }
            let mut s = self.next(false);
            s.replayed_from = (steps == 0).then_some(0);
            return Rc::new(s).start_run(Goal::Step(target));
        }
        let mut s = self.next(true);
        s.message = None;
        let from = s.rewind(target);
        s.replayed_from = Some(from);
        if from >= target {
            // The earliest reachable state is at or past the target (an imported checkpoint).
            s.paused = Some(if from > target {
                format!("at step {from}: the run starts here (imported checkpoint), step {target} is before it")
            } else {
                reached_note(from, Some(from))
            });
            return Rc::new(s);
        }
        if target - from > SYNC_REPLAY {
            // A long replay: in time slices, like Run (progress shown, Pause works).
            s.status = Status::Ready;
            return Rc::new(s).start_run(Goal::Step(target));
        }
        let end = run_until::run(
            &mut s.tracker.borrow_mut(),
            &mut s.run.borrow_mut(),
            target,
            Goal::Step(target),
            &s.stops,
            &mut s.marks.borrow_mut(),
        );
        s.status = match end {
            Ok(End::Stopped(stop)) => Status::Stopped(crate::run_status::stop_text(&stop)),
            Ok(_) => Status::Ready,
            Err(e) => Status::Error(e.to_string()),
        };
        let now = s.sim().machine().steps;
        s.paused = Some(reached_note(now, Some(from)));
        Rc::new(s)
    }

    /// Restores the latest snapshot before step `target` and brings the session's views of the
    /// run back to it; returns the step count restored.
    fn rewind(&mut self, target: u64) -> u64 {
        self.run.borrow_mut().rewind_before(target);
        let run = self.run.clone();
        let tt = run.borrow();
        let sim = tt.sim();
        let events = sim.machine().events.len();
        // Everything up to the restored state was seen (and recorded) on the way here.
        self.marks.borrow_mut().retain(|m| m.event < events);
        let mut t = Tracker::new(sim);
        t.records = self.tracker.borrow().records.iter().filter(|r| r.first_event + r.events <= events).cloned().collect();
        self.tracker = Rc::new(std::cell::RefCell::new(t));
        self.status = status_of(sim);
        self.outcome = None;
        self.goal = Goal::End;
        sim.machine().steps
    }
}
