//! The app's session state (a `Reducible`): the machine lives in `Rc<RefCell<_>>`, the reducer
//! bumps a version so components re-render after every change.
use nestscope_core::checkpoint;
use nestscope_core::machine::{Machine, StepOutcome, DEFAULT_MEM_MIB};
use nestscope_core::scenario::BuiltinProgram;
use nestscope_core::{RunEnd, Stop};
use std::cell::RefCell;
use std::rc::Rc;
use yew::Reducible;

/// Steps executed per slice of a "Run" before yielding to the browser.
pub const RUN_SLICE: u64 = 200_000;
/// A "Run" stops after this many steps at most (a runaway guest must not hang the tab).
pub const RUN_BUDGET: u64 = 50_000_000;

#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Ready,
    Running,
    Stopped(String),
    Error(String),
}

#[derive(Clone)]
pub struct Session {
    pub program_name: &'static str,
    pub program: &'static [u8],
    pub model: &'static str,
    pub machine: Rc<RefCell<Machine>>,
    /// Registers before the last step/run, for change highlighting.
    pub prev_gpr: [u64; 16],
    pub prev_rflags: u64,
    pub status: Status,
    /// A one-line note for the user (e.g. why an import was refused).
    pub message: Option<String>,
    pub version: u64,
}

pub enum Action {
    Step,
    /// Execute one slice of a run (dispatched repeatedly while `Running`).
    RunSlice,
    StartRun,
    Pause,
    Reset,
    /// The text of a checkpoint file the user picked.
    Import(String),
}

fn stop_text(s: &Stop) -> String {
    match s {
        Stop::DebugExit(c) => format!("debug-exit, code {c}"),
        Stop::Halt => "halt".to_string(),
        Stop::Shutdown(why) => format!("shutdown: {why}"),
    }
}

fn status_of(m: &Machine) -> Status {
    match &m.stopped {
        Some(s) => Status::Stopped(stop_text(s)),
        None => Status::Ready,
    }
}

impl Session {
    pub fn new(p: &BuiltinProgram) -> Session {
        let m = Machine::new(p.binary, DEFAULT_MEM_MIB).expect("built-in programs load");
        Session {
            program_name: p.name,
            program: p.binary,
            model: "bare",
            prev_gpr: m.cpu.regs.gpr,
            prev_rflags: m.cpu.regs.rflags,
            machine: Rc::new(RefCell::new(m)),
            status: Status::Ready,
            message: None,
            version: 0,
        }
    }

    /// A copy with the next version and the current registers as the "before" snapshot.
    fn next(&self, snapshot: bool) -> Session {
        let mut s = self.clone();
        s.version += 1;
        if snapshot {
            let m = self.machine.borrow();
            s.prev_gpr = m.cpu.regs.gpr;
            s.prev_rflags = m.cpu.regs.rflags;
        }
        s
    }

    fn set_machine(&mut self, m: Machine) {
        self.prev_gpr = m.cpu.regs.gpr;
        self.prev_rflags = m.cpu.regs.rflags;
        self.status = status_of(&m);
        self.machine = Rc::new(RefCell::new(m));
    }

    /// The checkpoint document of the current machine.
    pub fn export(&self) -> String {
        checkpoint::save(&self.machine.borrow(), self.model)
    }

    fn finished(&self) -> bool {
        matches!(self.status, Status::Stopped(_) | Status::Error(_))
    }
}

impl Reducible for Session {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        match action {
            Action::Step => {
                if self.finished() || self.status == Status::Running {
                    return self;
                }
                let mut s = self.next(true);
                s.message = None;
                let r = s.machine.borrow_mut().step();
                s.status = match r {
                    Ok(StepOutcome::Retired) => Status::Ready,
                    Ok(StepOutcome::Stopped(stop)) => Status::Stopped(stop_text(&stop)),
                    Err(e) => Status::Error(e.to_string()),
                };
                Rc::new(s)
            }
            Action::StartRun => {
                if self.finished() || self.status == Status::Running {
                    return self;
                }
                let mut s = self.next(true);
                s.message = None;
                s.status = Status::Running;
                Rc::new(s)
            }
            Action::RunSlice => {
                if self.status != Status::Running {
                    return self;
                }
                let mut s = self.next(false);
                let mut m = s.machine.borrow_mut();
                let target = (m.steps + RUN_SLICE).min(RUN_BUDGET);
                let status = match m.run(target) {
                    Ok(RunEnd::Budget) if m.steps >= RUN_BUDGET => {
                        Status::Stopped(format!("budget of {RUN_BUDGET} steps spent"))
                    }
                    Ok(RunEnd::Budget) => Status::Running,
                    Ok(RunEnd::Stopped(stop)) => Status::Stopped(stop_text(&stop)),
                    Err(e) => Status::Error(e.to_string()),
                };
                drop(m);
                s.status = status;
                Rc::new(s)
            }
            Action::Pause => {
                if self.status != Status::Running {
                    return self;
                }
                let mut s = self.next(false);
                s.status = Status::Ready;
                Rc::new(s)
            }
            Action::Reset => {
                let mut s = self.next(false);
                s.set_machine(Machine::new(self.program, DEFAULT_MEM_MIB).expect("program loaded before"));
                s.message = None;
                Rc::new(s)
            }
            Action::Import(text) => {
                let mut s = self.next(false);
                match checkpoint::load(&text) {
                    Ok((m, model)) => {
                        let steps = m.steps;
                        s.set_machine(m);
                        s.message = Some(format!("imported a {model} checkpoint at step {steps}"));
                    }
                    // Nothing is lost: the current machine stays as it was.
                    Err(e) => s.message = Some(format!("import refused: {e}")),
                }
                Rc::new(s)
            }
        }
    }
}

impl PartialEq for Session {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && Rc::ptr_eq(&self.machine, &other.machine)
    }
}
