//! Time travel over a run: automatic in-memory snapshots of the [`Sim`] (every `every` calls of
//! `step` and after every world switch, at most `max` of them), and going back or to any step by
//! restoring the nearest earlier snapshot and replaying. Snapshots are clones: RAM pages are shared
//! copy-on-write (mem/phys.rs), so a snapshot costs the page table and the CPU-side caches, not RAM.
//! Replay is deterministic by construction: the run is a pure function of the number of `step`
//! calls ("ticks") since the start.
#![warn(missing_docs)]
use crate::outcome::EmuError;
use crate::machine::StepOutcome;
use crate::sim::Sim;

/// Default: a snapshot every this many ticks (besides those at world switches).
pub const DEFAULT_EVERY: u64 = 2_000;
/// Default bound on the snapshots kept; when reached, every second one is dropped.
pub const DEFAULT_MAX: usize = 128;
/// Ticks in a row without a retired instruction before replay gives up (an L0 loop: hv/l0.rs).
const MAX_IDLE_TICKS: u64 = crate::hv::l0::MAX_EXITS_WITHOUT_RETIRE as u64;

struct Snapshot {
    tick: u64,
    steps: u64,
    sim: Sim,
}

/// A world switch seen during the run: the tick after which it had happened, and the step count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwitchMark {
    /// Calls of `step` when the switch had happened.
    pub tick: u64,
    /// Retired instructions at that point.
    pub steps: u64,
}

/// A run that can go backwards.
pub struct TimeTravel {
    sim: Sim,
    tick: u64,
    /// Sorted by tick; the first one is always tick 0.
    snaps: Vec<Snapshot>,
    /// World switches in tick order (every one seen, also past a step back).
    switches: Vec<SwitchMark>,
    every: u64,
    max: usize,
    /// Off: no snapshots are taken (going back replays from the run's start).
    recording: bool,
    /// A world switch takes a snapshot only this many ticks after the last one (0: every switch).
    switch_gap: u64,
}

impl TimeTravel {
    /// Time travel over `sim` with the default snapshot policy.
    pub fn new(sim: Sim) -> TimeTravel {
        TimeTravel::with_policy(sim, DEFAULT_EVERY, DEFAULT_MAX)
    }

    /// `every` ≥ 1 ticks between periodic snapshots, at most `max` ≥ 2 snapshots.
    pub fn with_policy(sim: Sim, every: u64, max: usize) -> TimeTravel {
        let first = Snapshot { tick: 0, steps: sim.machine().steps, sim: sim.clone() };
        TimeTravel { sim, tick: 0, snaps: vec![first], switches: Vec::new(), every: every.max(1), max: max.max(2), recording: true, switch_gap: 0 }
    }

    /// The run at the current point.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }
    /// Calls of `step` since the start of the run.
    pub fn tick(&self) -> u64 {
        self.tick
    }
    /// Retired instructions (the CONTRACT step count).
    pub fn steps(&self) -> u64 {
        self.sim.machine().steps
    }
    /// Snapshots held now (at least the one of the start).
    pub fn snapshot_count(&self) -> usize {
        self.snaps.len()
    }
    /// Snapshots at world switches at most one per `ticks` ticks (0, the default: at every
    /// switch). A run with many switches (an L0 exit loop) then pays a snapshot per `ticks`
    /// ticks, not one per switch; going back replays at most about that far.
    pub fn set_switch_gap(&mut self, ticks: u64) {
        self.switch_gap = ticks;
    }
    /// Whether snapshots are taken.
    pub fn recording(&self) -> bool {
        self.recording
    }
    /// Turns the automatic snapshots on or off; off also drops the snapshots kept (but the
    /// run's start), so going back then replays from the start.
    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
        if !on {
            self.snaps.truncate(1);
        }
    }
    /// The world switches recorded so far.
    pub fn switches(&self) -> &[SwitchMark] {
        &self.switches
    }

    /// One step forward, taking a snapshot when it is due.
    pub fn step(&mut self) -> Result<StepOutcome, EmuError> {
        self.step_with(Sim::step)
    }

    /// One step through the caller's stepping function `f` (the UI's world-switch tracker, which
    /// keeps its own bookkeeping around [`Sim::step`]); `f` must call `Sim::step` exactly once, so
    /// that ticks count the same as with [`TimeTravel::step`].
    pub fn step_with<R>(&mut self, f: impl FnOnce(&mut Sim) -> Result<R, EmuError>) -> Result<R, EmuError> {
        let events = self.sim.machine().events.len();
        let out = f(&mut self.sim)?;
        self.tick += 1;
        let switched = self.sim.machine().events.len() != events;
        if switched {
            let mark = SwitchMark { tick: self.tick, steps: self.steps() };
            if self.switches.last().is_none_or(|l| l.tick < mark.tick) {
                self.switches.push(mark);
            }
        }
        let last = self.snaps.last().map_or(0, |s| s.tick);
        let gap = self.tick.saturating_sub(last);
        if self.recording && self.tick > last && ((switched && gap >= self.switch_gap) || gap >= self.every) {
            self.take_snapshot();
        }
        Ok(out)
    }

    fn take_snapshot(&mut self) {
        if self.snaps.len() >= self.max {
            // Thin out: keep tick 0 and every second later one, and space the periodic ones wider.
            let mut i = 0usize;
            self.snaps.retain(|_| {
                i += 1;
                i == 1 || i.is_multiple_of(2)
            });
            self.every = self.every.saturating_mul(2);
        }
        self.snaps.push(Snapshot { tick: self.tick, steps: self.steps(), sim: self.sim.clone() });
    }

    /// Runs forward until the step count reaches `n` or the run stops — the same state
    /// `Sim::run(n)` reaches from the start.
    fn forward_to_steps(&mut self, n: u64) -> Result<(), EmuError> {
        let mut idle = 0u64;
        while self.steps() < n && self.sim.machine().stopped.is_none() {
            let before = self.steps();
            if let StepOutcome::Stopped(_) = self.step()? {
                break;
            }
            idle = if self.steps() == before { idle + 1 } else { 0 };
            if idle > MAX_IDLE_TICKS {
                return Err(crate::outcome::L0Failure::NoProgress {
                    exits: crate::hv::l0::MAX_EXITS_WITHOUT_RETIRE,
                    step: self.steps(),
                    level: self.sim.level().name(),
                    rip: self.sim.machine().cpu.regs.rip,
                }
                .into());
            }
        }
        Ok(())
    }

    /// The first state whose step count is at least `n` (or where the run stopped): what
    /// `exec --max-steps n` reports. Backwards it restores the latest snapshot before it.
    pub fn goto_step(&mut self, n: u64) -> Result<(), EmuError> {
        self.rewind_before(n);
        self.forward_to_steps(n)
    }

    /// When the run is at or past step `n`, restores the latest snapshot before it (the run's
    /// start if there is none) without replaying, so that a caller can replay to `n` with its own
    /// stepping (in time slices, with its bookkeeping); `false` when `n` lies ahead (nothing done).
    pub fn rewind_before(&mut self, n: u64) -> bool {
        // Step counts never decrease along the run, so below `n` the target lies ahead.
        if self.steps() < n {
            return false;
        }
        let i = self.snaps.iter().rposition(|s| s.steps < n).unwrap_or(0);
        self.restore(i);
        true
    }

    /// The step count of the earliest state time travel can reach: the run's start (0, or the
    /// step of the checkpoint the run was loaded from).
    pub fn first_steps(&self) -> u64 {
        self.snaps[0].steps
    }

    /// Goes to tick `t` exactly (a world-switch mark), replaying from the nearest snapshot.
    pub fn goto_tick(&mut self, t: u64) -> Result<(), EmuError> {
        if t < self.tick {
            let i = self.snaps.iter().rposition(|s| s.tick <= t).unwrap_or(0);
            self.restore(i);
        }
        while self.tick < t {
            if let StepOutcome::Stopped(_) = self.step()? {
                break;
            }
        }
        Ok(())
    }

    fn restore(&mut self, i: usize) {
        let s = &self.snaps[i];
        self.sim = s.sim.clone();
        self.tick = s.tick;
    }

    /// `k` instructions back (to step `steps - k`, at least 0).
    pub fn step_back(&mut self, k: u64) -> Result<(), EmuError> {
        self.goto_step(self.steps().saturating_sub(k))
    }

    /// Back to just after the latest world switch before now; `Ok(false)` when there is none.
    pub fn back_to_previous_world_switch(&mut self) -> Result<bool, EmuError> {
        let Some(m) = self.switches.iter().rev().find(|m| m.tick < self.tick).copied() else {
            return Ok(false);
        };
        self.goto_tick(m.tick)?;
        Ok(true)
    }

    /// What the snapshots cost beyond the live run: (RAM pages held only by snapshots, bytes of
    /// per-snapshot page bookkeeping). Caches (TLB, decoded instructions) are not counted.
    pub fn snapshot_cost(&self) -> (usize, usize) {
        use std::collections::HashSet;
        let live: HashSet<usize> = self.sim.machine().mem.page_addrs().collect();
        let mut only: HashSet<usize> = HashSet::new();
        for s in &self.snaps {
            only.extend(s.sim.machine().mem.page_addrs().filter(|a| !live.contains(a)));
        }
        let per = self.sim.machine().mem.bookkeeping_bytes();
        (only.len(), per * self.snaps.len())
    }
}

#[cfg(test)]
#[path = "timetravel_tests.rs"]
mod tests;
