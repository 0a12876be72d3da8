//! The app's session state (a `Reducible`): the machine lives in `Rc<RefCell<_>>`, the reducer
//! bumps a version so components re-render after every change.
use nestscope_core::machine::{Machine, StepOutcome, DEFAULT_MEM_MIB};
use nestscope_core::scenario::BuiltinProgram;
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

pub struct Session {
    pub program_name: &'static str,
    pub program: &'static [u8],
    pub machine: Rc<RefCell<Machine>>,
    /// Registers before the last step/run, for change highlighting.
    pub prev_gpr: [u64; 16],
    pub prev_rflags: u64,
    pub status: Status,
    pub version: u64,
}

pub enum Action {
    Step,
    /// Execute one slice of a run (dispatched repeatedly while `Running`).
    RunSlice,
    StartRun,
    Pause,
    Reset,
}

impl Session {
    pub fn new(p: &BuiltinProgram) -> Session {
        let m = Machine::new(p.binary, DEFAULT_MEM_MIB).expect("built-in programs load");
        Session {
            program_name: p.name,
            program: p.binary,
            prev_gpr: m.cpu.regs.gpr,
            prev_rflags: m.cpu.regs.rflags,
            machine: Rc::new(RefCell::new(m)),
            status: Status::Ready,
            version: 0,
        }
    }

    fn with(self: &Rc<Self>, machine: Rc<RefCell<Machine>>, status: Status, snapshot: bool) -> Rc<Self> {
        let (prev_gpr, prev_rflags) = if snapshot {
            let m = self.machine.borrow();
            (m.cpu.regs.gpr, m.cpu.regs.rflags)
        } else {
            (self.prev_gpr, self.prev_rflags)
        };
        Rc::new(Session {
            program_name: self.program_name,
            program: self.program,
            machine,
            prev_gpr,
            prev_rflags,
            status,
            version: self.version + 1,
        })
    }

    fn stopped_text(m: &Machine) -> Option<String> {
        m.stopped.as_ref().map(|s| match s {
            nestscope_core::Stop::DebugExit(c) => format!("debug-exit, code {c}"),
            nestscope_core::Stop::Halt => "halt".to_string(),
            nestscope_core::Stop::Shutdown(why) => format!("shutdown: {why}"),
        })
    }
}

impl Reducible for Session {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        match action {
            Action::Step => {
                if matches!(self.status, Status::Stopped(_) | Status::Error(_)) {
                    return self;
                }
                let snap = self.with(self.machine.clone(), Status::Ready, true);
                let r = snap.machine.borrow_mut().step();
                let status = match r {
                    Ok(StepOutcome::Retired) => Status::Ready,
                    Ok(StepOutcome::Stopped(_)) => Status::Stopped(Self::stopped_text(&snap.machine.borrow()).unwrap_or_default()),
                    Err(e) => Status::Error(e.to_string()),
                };
                snap.with(snap.machine.clone(), status, false)
            }
            Action::StartRun => {
                if matches!(self.status, Status::Stopped(_) | Status::Error(_) | Status::Running) {
                    return self;
                }
                self.with(self.machine.clone(), Status::Running, true)
            }
            Action::RunSlice => {
                if self.status != Status::Running {
                    return self;
                }
                let status = {
                    let mut m = self.machine.borrow_mut();
                    let target = (m.steps + RUN_SLICE).min(RUN_BUDGET);
                    match m.run(target) {
                        Ok(nestscope_core::RunEnd::Budget) if m.steps >= RUN_BUDGET => {
                            Status::Stopped(format!("budget of {RUN_BUDGET} steps spent"))
                        }
                        Ok(nestscope_core::RunEnd::Budget) => Status::Running,
                        Ok(nestscope_core::RunEnd::Stopped(_)) => Status::Stopped(Self::stopped_text(&m).unwrap_or_default()),
                        Err(e) => Status::Error(e.to_string()),
                    }
                };
                self.with(self.machine.clone(), status, false)
            }
            Action::Pause => {
                if self.status != Status::Running {
                    return self;
                }
                self.with(self.machine.clone(), Status::Ready, false)
            }
            Action::Reset => {
                let m = Machine::new(self.program, DEFAULT_MEM_MIB).expect("program loaded before");
                let s = self.with(Rc::new(RefCell::new(m)), Status::Ready, false);
                let m = s.machine.borrow();
                Rc::new(Session { prev_gpr: m.cpu.regs.gpr, prev_rflags: m.cpu.regs.rflags, ..Session::clone_parts(&s) })
            }
        }
    }
}

impl Session {
    fn clone_parts(s: &Rc<Session>) -> Session {
        Session {
            program_name: s.program_name,
            program: s.program,
            machine: s.machine.clone(),
            prev_gpr: s.prev_gpr,
            prev_rflags: s.prev_rflags,
            status: s.status.clone(),
            version: s.version,
        }
    }
}

impl PartialEq for Session {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && Rc::ptr_eq(&self.machine, &other.machine)
    }
}
