//! Compare in time slices: the core's resumable `Lockstep` advanced one slice per macrotask (like
//! Run, state.rs `RunSlice`), so the page stays responsive; the panel shows progress, Pause,
//! Resume and Cancel work between slices, and the end says whether a divergence, the end of a
//! run or the step limit ended it. The runner lives in the app (it survives a tab switch); the
//! panel that shows it registers a callback to re-render after each slice.
use nestscope_core::compare::{Comparison, Lockstep};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use yew::Callback;

/// A slice yields to the browser after about this many milliseconds (the longest task stays
/// well under 50 ms).
pub const COMPARE_SLICE_MS: f64 = 12.0;
/// Instructions compared between two looks at the clock, at first; the chunk then adapts to
/// about 2 ms of work (a kvm-* step with many L0 exits costs far more than a bare one).
pub const FIRST_CHUNK: u64 = 16;
/// The chunk never grows past this (a few milliseconds of bare steps), so one chunk cannot make
/// a long task even when the clock said the last ones were quick.
pub const MAX_CHUNK: u64 = 4096;

/// What the runner is doing.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Idle,
    Running,
    Paused,
    Cancelled,
    Done(Result<Comparison, String>),
}

/// Progress of a comparison: instructions compared of the limit.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    pub steps: u64,
    pub max: u64,
    /// The longest slice so far, in milliseconds (what the page could not react during).
    pub longest_ms: f64,
    pub slices: u32,
}

pub struct Runner {
    lockstep: Option<Lockstep>,
    pub phase: Phase,
    pub progress: Progress,
    chunk: u64,
    /// Bumped by every start, resume and cancel: a slice loop of an older generation stops.
    generation: u64,
    /// Called after every slice (the mounted panel's re-render; a no-op while it is hidden).
    pub on_slice: Callback<()>,
    /// Called once when a comparison ends (divergence, end, limit or error).
    pub on_done: Callback<()>,
}

impl Default for Runner {
    fn default() -> Self {
        Runner {
            lockstep: None,
            phase: Phase::Idle,
            progress: Progress::default(),
            chunk: FIRST_CHUNK,
            generation: 0,
            on_slice: Callback::noop(),
            on_done: Callback::noop(),
        }
    }
}

/// The shared handle the app keeps (equal only to itself: props compare by identity).
#[derive(Clone, Default)]
pub struct RunnerRef(pub Rc<RefCell<Runner>>);

impl PartialEq for RunnerRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl RunnerRef {
    pub fn borrow(&self) -> std::cell::Ref<'_, Runner> {
        self.0.borrow()
    }
    pub fn borrow_mut(&self) -> std::cell::RefMut<'_, Runner> {
        self.0.borrow_mut()
    }
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or_else(js_sys::Date::now, |p| p.now())
}

impl Runner {
    /// Compares up to about `ms` milliseconds' worth; true once the comparison is over.
    pub fn slice(&mut self, ms: f64, now: &dyn Fn() -> f64) -> bool {
        let Some(mut l) = self.lockstep.take() else { return true };
        let t0 = now();
        let done = loop {
            let c0 = now();
            match l.advance(self.chunk) {
                Ok(true) => break Ok(()),
                Ok(false) => {}
                Err(e) => break Err(e.to_string()),
            }
            let t = now();
            // Aim at ~2 ms per chunk.
            if t - c0 < 1.0 {
                self.chunk = (self.chunk * 2).min(MAX_CHUNK);
            } else if t - c0 > 4.0 {
                self.chunk = (self.chunk / 2).max(1);
            }
            if t - t0 > ms {
                self.progress.steps = l.steps();
                self.record(t - t0);
                self.lockstep = Some(l);
                return false;
            }
        };
        self.record(now() - t0);
        self.progress.steps = l.steps();
        self.phase = Phase::Done(done.map(|()| l.result()));
        true
    }

    fn record(&mut self, ms: f64) {
        self.progress.slices += 1;
        self.progress.longest_ms = self.progress.longest_ms.max(ms);
    }

    /// The lockstep of the comparison now running or paused.
    pub fn lockstep(&self) -> Option<&Lockstep> {
        self.lockstep.as_ref()
    }
}

/// Starts `l` (dropping a comparison in progress) and drives it in slices.
pub fn start(r: &RunnerRef, l: Lockstep) {
    {
        let mut g = r.borrow_mut();
        g.progress = Progress { steps: 0, max: l.max_steps(), ..Progress::default() };
        g.lockstep = Some(l);
        g.chunk = FIRST_CHUNK;
        g.phase = Phase::Running;
        g.generation += 1;
    }
    drive(r.clone());
}

/// Shows a comparison that could not start.
pub fn fail(r: &RunnerRef, why: String) {
    let mut g = r.borrow_mut();
    g.lockstep = None;
    g.generation += 1;
    g.phase = Phase::Done(Err(why));
    let cb = g.on_slice.clone();
    drop(g);
    cb.emit(());
}

/// Stops after the current slice; `resume` goes on from there.
pub fn pause(r: &RunnerRef) {
    let mut g = r.borrow_mut();
    if g.phase == Phase::Running {
        g.phase = Phase::Paused;
        g.generation += 1;
    }
    let cb = g.on_slice.clone();
    drop(g);
    cb.emit(());
}

pub fn resume(r: &RunnerRef) {
    {
        let mut g = r.borrow_mut();
        if g.phase != Phase::Paused {
            return;
        }
        g.phase = Phase::Running;
        g.generation += 1;
    }
    drive(r.clone());
}

/// Drops the comparison in progress.
pub fn cancel(r: &RunnerRef) {
    let mut g = r.borrow_mut();
    if matches!(g.phase, Phase::Running | Phase::Paused) {
        g.lockstep = None;
        g.phase = Phase::Cancelled;
        g.generation += 1;
    }
    let cb = g.on_slice.clone();
    drop(g);
    cb.emit(());
}

/// One slice per macrotask (a zero timeout yields to input and rendering in between).
fn drive(r: RunnerRef) {
    let generation = r.borrow().generation;
    yew::platform::spawn_local(async move {
        loop {
            yew::platform::time::sleep(Duration::from_millis(0)).await;
            let (done, on_slice, on_done) = {
                let mut g = r.borrow_mut();
                if g.generation != generation || g.phase != Phase::Running {
                    return;
                }
                let done = g.slice(COMPARE_SLICE_MS, &now_ms);
                (done, g.on_slice.clone(), g.on_done.clone())
            };
            on_slice.emit(());
            if done {
                on_done.emit(());
                return;
            }
        }
    });
}
