//! Where a run stops: breakpoints, "Break on #VMEXIT", the next world switch between chosen
//! levels, or a given step (a timeline jump replays the run until it lands there). Each stepped
//! world switch also becomes a timeline mark with its exit information. Every step goes through
//! the core's time travel, which takes its snapshots on the way (step back restores them).
use crate::switches::{SliceEnd, Tracker};
use crate::timeline::{Mark, marks_of};
use nestscope_core::Stop;
use nestscope_core::outcome::EmuError;
use nestscope_core::machine::StepOutcome;
use nestscope_core::timetravel::TimeTravel;
use nestscope_core::trace::{Event, EventKind, Level};
use std::collections::BTreeSet;

/// Which world switches "Run to next world switch" and "Break on #VMEXIT" stop at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SwitchFilter {
    /// Only switches between L1 and L2 (L2→L1 #VMEXIT, L1→L2 VMRUN): exits that L0 handles
    /// itself, and L0's own VMRUNs back into L1, are stepped over.
    #[default]
    L1L2,
    /// Every VMRUN and #VMEXIT at every level.
    Any,
}

impl SwitchFilter {
    pub fn passes(self, e: &Event) -> bool {
        match self {
            SwitchFilter::Any => true,
            SwitchFilter::L1L2 => {
                matches!((e.from, e.to), (Level::L1, Level::L2) | (Level::L2, Level::L1))
            }
        }
    }
}

/// The user's stop conditions, checked after every step of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stops {
    /// Guest RIPs (of the level that runs) to stop at.
    pub breakpoints: BTreeSet<u64>,
    /// Stop at a #VMEXIT (that passes `filter`): of any code (`Some(None)`) or of one code.
    pub on_vmexit: Option<Option<u64>>,
    pub filter: SwitchFilter,
}

/// What the current run is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Goal {
    /// Until the program stops (or a breakpoint / exit condition hits).
    #[default]
    End,
    /// Until the next world switch that passes the filter.
    NextSwitch,
    /// Until the step counter reaches this value (a timeline jump; user stops do not apply).
    Step(u64),
}

/// Why a slice ended.
#[derive(Clone, Debug, PartialEq)]
pub enum End {
    /// The slice's step budget is spent; the run goes on.
    Budget,
    /// A world switch that passes the filter (for `Goal::NextSwitch`).
    Switched,
    Breakpoint(u64),
    /// "Break on #VMEXIT": the exit code.
    VmExit(u64),
    /// `Goal::Step` reached.
    Reached,
    Stopped(Stop),
}

impl From<SliceEnd> for End {
    fn from(e: SliceEnd) -> End {
        match e {
            SliceEnd::Budget => End::Budget,
            SliceEnd::Switched => End::Switched,
            SliceEnd::Stopped(s) => End::Stopped(s),
        }
    }
}

/// One step with the tracker's bookkeeping; new world switches are appended to `marks`.
pub fn step(tracker: &mut Tracker, tt: &mut TimeTravel, marks: &mut Vec<Mark>) -> Result<(StepOutcome, usize), EmuError> {
    let n = tt.sim().machine().events.len();
    let (out, switched) = tt.step_with(|sim| tracker.step(sim))?;
    let sim = tt.sim();
    let first = if switched { n } else { sim.machine().events.len() };
    marks.extend(marks_of(sim, first));
    Ok((out, first))
}

/// Steps until `max_steps`, a stop, or what `goal` and `stops` ask for.
pub fn run(
    tracker: &mut Tracker,
    tt: &mut TimeTravel,
    max_steps: u64,
    goal: Goal,
    stops: &Stops,
    marks: &mut Vec<Mark>,
) -> Result<End, EmuError> {
    let limit = match goal {
        Goal::Step(s) => max_steps.min(s),
        _ => max_steps,
    };
    while tt.steps() < limit {
        let (out, first) = step(tracker, tt, marks)?;
        if let StepOutcome::Stopped(s) = out {
            return Ok(End::Stopped(s));
        }
        if matches!(goal, Goal::Step(_)) {
            continue;
        }
        let m = tt.sim().machine();
        let mut new = m.events.since(first);
        if let Some(code) = stops.on_vmexit
            && let Some((_, e)) = new.find(|(_, e)| {
                e.kind == EventKind::Vmexit && stops.filter.passes(e) && code.is_none_or(|c| c == e.exit_code)
            })
        {
            return Ok(End::VmExit(e.exit_code));
        }
        if goal == Goal::NextSwitch && m.events.since(first).any(|(_, e)| stops.filter.passes(e)) {
            return Ok(End::Switched);
        }
        if stops.breakpoints.contains(&m.cpu.regs.rip) {
            return Ok(End::Breakpoint(m.cpu.regs.rip));
        }
    }
    Ok(match (&tt.sim().machine().stopped, goal) {
        (Some(s), _) => End::Stopped(s.clone()),
        (None, Goal::Step(s)) if tt.steps() >= s => End::Reached,
        (None, _) => End::Budget,
    })
}

#[cfg(test)]
#[path = "run_until_tests.rs"]
mod tests;
