//! What the toolbar says of a run: its status and its speed.
use nestscope_core::Stop;
use nestscope_core::sim::Sim;

/// How fast the current (or last) "Run" went: steps and world switches over the time spent
/// executing its slices (not the time the browser spent in between).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunRate {
    pub steps: u64,
    pub switches: u64,
    pub ms: f64,
}

impl RunRate {
    /// A run shorter than this gives no rate: the browser clock's resolution (0.1 ms) would be
    /// more than 2 % of it.
    pub const MIN_MS: f64 = 5.0;

    /// (steps per second, world switches per second), once the run lasted `MIN_MS`.
    pub fn per_second(&self) -> Option<(f64, f64)> {
        (self.ms >= Self::MIN_MS)
            .then(|| (self.steps as f64 * 1000.0 / self.ms, self.switches as f64 * 1000.0 / self.ms))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Ready,
    Running,
    Stopped(String),
    Error(String),
}

pub fn stop_text(s: &Stop) -> String {
    match s {
        Stop::DebugExit(c) => format!("debug-exit, code {c}"),
        Stop::Halt => "halt".to_string(),
        Stop::Shutdown(_) | Stop::ModelLimit(_) => format!("shutdown: {}", s.reason().unwrap_or_default()),
    }
}

pub fn status_of(sim: &Sim) -> Status {
    match &sim.machine().stopped {
        Some(s) => Status::Stopped(stop_text(s)),
        None => Status::Ready,
    }
}

