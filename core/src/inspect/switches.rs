//! World-switch tracking for the UI: steps a `Sim` one instruction at a time, notices every step
//! that adds VMRUN/#VMEXIT events, and keeps each VMCB page as it was just before and just after
//! that step, so the VMCB panel can highlight what the world switch itself changed.
//!
//! Snapshots are cheap to keep current: a page is copied again only when its write generation
//! moved, and the global write generation tells in O(1) whether anything was written at all.
#![warn(missing_docs)]
use crate::outcome::EmuError;
use crate::machine::{RunEnd, Stop, StepOutcome};
use crate::mem::Hpa;
use crate::sim::Sim;
use crate::trace::Level;
use std::collections::VecDeque;
use std::rc::Rc;

pub use super::vmcb::PAGE;
/// World-switch records kept (the oldest are dropped).
pub const MAX_RECORDS: usize = 256;
/// VMCB pages watched at most (vmcb01, vmcb02 and the most recent vmcb12s).
const MAX_WATCHED: usize = 6;

/// One VMCB page that a world switch changed.
#[derive(Clone, Debug, PartialEq)]
pub struct PageChange {
    /// The page's address (4 KiB aligned).
    pub addr: Hpa,
    /// The page before the step.
    pub before: Rc<Vec<u8>>,
    /// The page after the step.
    pub after: Rc<Vec<u8>>,
}

/// The step that added events `first_event .. first_event + events`.
#[derive(Clone, Debug, PartialEq)]
pub struct SwitchRecord {
    /// Index in the event log of the step's first event.
    pub first_event: usize,
    /// How many events the step added.
    pub events: usize,
    /// The step count after the step.
    pub step: u64,
    /// Watched VMCB pages whose contents the step changed.
    pub pages: Vec<PageChange>,
    /// Every VMCB page of the run as it was after the step (shared with the snapshots: cheap).
    pub after: Vec<(Hpa, Rc<Vec<u8>>)>,
    /// Who handled each of the step's world switches and which bit decided (`attribution`).
    pub attributions: Vec<super::attribution::Attribution>,
}

impl SwitchRecord {
    /// Whether event number `event` is one of the step's.
    pub fn contains(&self, event: usize) -> bool {
        (self.first_event..self.first_event + self.events).contains(&event)
    }
    /// How the step changed the page at `addr` (page aligned), if it did.
    pub fn change_of(&self, addr: Hpa) -> Option<&PageChange> {
        self.pages.iter().find(|p| p.addr == addr)
    }
    /// The page at `addr` (page aligned) as it was after the step, if it was a VMCB of the run then.
    pub fn after_of(&self, addr: Hpa) -> Option<&Rc<Vec<u8>>> {
        self.after.iter().find(|p| p.0 == addr).map(|p| &p.1)
    }
    /// The attribution of event `event`, if it is one of the step's.
    pub fn attribution_of(&self, event: usize) -> Option<&super::attribution::Attribution> {
        self.attributions.iter().find(|a| a.event == event)
    }
}

#[derive(Clone, Debug)]
struct Snap {
    addr: Hpa,
    generation: u32,
    bytes: Rc<Vec<u8>>,
}

/// The 4 KiB page at `addr` (rounded down) of the machine (zeros outside RAM).
pub fn read_page(sim: &Sim, addr: Hpa) -> Rc<Vec<u8>> {
    // One copy straight out of RAM (no zeroed buffer first: this runs at every world switch).
    Rc::new(sim.machine().mem.page(page_of(addr)).map_or_else(|_| vec![0u8; PAGE], |p| p.to_vec()))
}

fn page_of(a: Hpa) -> Hpa {
    Hpa(a.0 & !0xfff)
}

fn snap(sim: &Sim, addr: Hpa) -> Snap {
    Snap { addr, generation: sim.machine().mem.page_generation(addr), bytes: read_page(sim, addr) }
}

/// Why a slice of stepping ended.
#[derive(Clone, Debug, PartialEq)]
pub enum SliceEnd {
    /// The step budget of the slice (or the run) is spent.
    Budget,
    /// `stop_on_switch` was set and a world switch happened.
    Switched,
    /// The run stopped (why).
    Stopped(Stop),
}

/// Watches the VMCB pages of one run.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    watched: Vec<Snap>,
    /// The page at L1's RAX while it is page aligned: the VMCB of a VMRUN about to happen.
    rax: Option<Snap>,
    mem_generation: u64,
    /// The VMCB of L1's most recent VMRUN, followed from the events of each switching step.
    last_vmrun: Option<Hpa>,
    /// The most recent steps that switched worlds (at most `MAX_RECORDS`), oldest first.
    pub records: VecDeque<SwitchRecord>,
}

impl Tracker {
    /// Starts watching the VMCBs the run has now.
    pub fn new(sim: &Sim) -> Tracker {
        let last_vmrun = sim.last_vmrun_vmcb();
        let mut t = Tracker { mem_generation: sim.machine().mem.generation(), last_vmrun, ..Tracker::default() };
        for (_, a) in sim.vmcbs_given(last_vmrun) {
            t.watch(sim, a);
        }
        t
    }

    fn watch(&mut self, sim: &Sim, addr: Hpa) {
        let addr = page_of(addr);
        if !self.watched.iter().any(|s| s.addr == addr) && sim.machine().mem.contains(addr, PAGE as u64) {
            if self.watched.len() >= MAX_WATCHED {
                // Keep L0's fixed VMCBs; drop the oldest vmcb12.
                let fixed = |a: Hpa| matches!(sim, Sim::Kvm(k) if a.0 == k.layout.vmcb01 || a.0 == k.layout.vmcb02);
                if let Some(i) = self.watched.iter().position(|s| !fixed(s.addr)) {
                    self.watched.remove(i);
                }
            }
            self.watched.push(snap(sim, addr));
        }
    }

    /// Refreshes the snapshots of pages written since they were taken.
    fn refresh(&mut self, sim: &Sim) {
        let mem = &sim.machine().mem;
        if mem.generation() == self.mem_generation {
            return;
        }
        self.mem_generation = mem.generation();
        for s in &mut self.watched {
            if mem.page_generation(s.addr) != s.generation {
                *s = snap(sim, s.addr);
            }
        }
    }

    /// Keeps the snapshot of the page at L1's RAX current (only needed before a VMRUN to a page
    /// that is not watched yet).
    fn track_rax(&mut self, sim: &Sim) {
        if sim.level() != Level::L1 {
            return;
        }
        let rax = Hpa(sim.machine().cpu.regs.gpr[0]);
        if rax.page_offset() != 0 || self.watched.iter().any(|s| s.addr == rax) || !sim.machine().mem.contains(rax, PAGE as u64) {
            return;
        }
        let g = sim.machine().mem.page_generation(rax);
        if !self.rax.as_ref().is_some_and(|s| s.addr == rax && s.generation == g) {
            self.rax = Some(snap(sim, rax));
        }
    }

    /// Records the step that added events since `first_event`. Only pages whose write
    /// generation moved are read and compared.
    fn record(&mut self, sim: &Sim, first_event: usize) {
        let m = sim.machine();
        let rax = self.rax.take();
        let mut pages = Vec::new();
        let mut after_all = Vec::new();
        for i in first_event..m.events.len() {
            if let Some(e) = m.events.get(i).filter(|e| e.kind == crate::trace::EventKind::Vmrun && e.from == Level::L1)
                && let Some(a) = e.detail.as_ref().and_then(|d| d.vmrun_vmcb())
            {
                self.last_vmrun = Some(a);
            }
        }
        let vmcbs = sim.vmcbs_given(self.last_vmrun);
        for &(_, a) in &vmcbs {
            let a = page_of(a);
            let generation = m.mem.page_generation(a);
            let before = self.watched.iter().chain(rax.iter()).find(|s| s.addr == a).cloned();
            self.watch(sim, a);
            let Some(b) = before.filter(|b| b.generation != generation) else {
                if let Some(w) = self.watched.iter().find(|s| s.addr == a) {
                    after_all.push((a, w.bytes.clone()));
                }
                continue;
            };
            let after = read_page(sim, a);
            if *b.bytes != *after {
                pages.push(PageChange { addr: a, before: b.bytes.clone(), after: after.clone() });
            }
            after_all.push((a, after.clone()));
            if let Some(w) = self.watched.iter_mut().find(|s| s.addr == a) {
                *w = Snap { addr: a, generation, bytes: after };
            }
        }
        if self.records.len() >= MAX_RECORDS {
            self.records.pop_front();
        }
        self.records.push_back(SwitchRecord {
            first_event,
            events: m.events.len() - first_event,
            step: m.steps,
            pages,
            after: after_all,
            attributions: super::attribution::attribute_step(sim, first_event, &vmcbs),
        });
        self.mem_generation = u64::MAX;
        self.refresh(sim);
    }

    /// The record of the most recent world switch.
    pub fn last(&self) -> Option<&SwitchRecord> {
        self.records.back()
    }

    /// The record of the step that produced event `index`, if still kept.
    pub fn record_of(&self, index: usize) -> Option<&SwitchRecord> {
        self.records.iter().rev().find(|r| r.contains(index))
    }

    /// One step, with world-switch bookkeeping; the flag tells whether the step switched worlds.
    pub fn step(&mut self, sim: &mut Sim) -> Result<(StepOutcome, bool), EmuError> {
        self.track_rax(sim);
        let n = sim.machine().events.len();
        let out = sim.step();
        let switched = sim.machine().events.len() > n;
        if switched {
            self.record(sim, n);
        } else {
            self.refresh(sim);
        }
        out.map(|o| (o, switched))
    }

    /// Steps until `max_steps` total steps, a stop, or (with `stop_on_switch`) a world switch.
    pub fn run(&mut self, sim: &mut Sim, max_steps: u64, stop_on_switch: bool) -> Result<SliceEnd, EmuError> {
        while sim.machine().steps < max_steps {
            match self.step(sim)? {
                (StepOutcome::Stopped(s), _) => return Ok(SliceEnd::Stopped(s)),
                (StepOutcome::Retired, true) if stop_on_switch => return Ok(SliceEnd::Switched),
                (StepOutcome::Retired, _) => {}
            }
        }
        Ok(match &sim.machine().stopped {
            Some(s) => SliceEnd::Stopped(s.clone()),
            None => SliceEnd::Budget,
        })
    }
}

/// The run end of a `Sim` whose status is known (for the CONTRACT report).
pub fn run_end(sim: &Sim) -> RunEnd {
    match &sim.machine().stopped {
        Some(s) => RunEnd::Stopped(s.clone()),
        None => RunEnd::Budget,
    }
}

#[cfg(test)]
#[path = "switches_tests.rs"]
mod tests;
