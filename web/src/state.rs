//! The app's session state (a `Reducible`): the machine lives in `Rc<RefCell<_>>`, the reducer
//! bumps a version so components re-render after every change.
use crate::storage;
use nestscope_core::asm::{self, AsmError};
use nestscope_core::checkpoint;
use nestscope_core::machine::{Machine, StepOutcome};
use nestscope_core::scenario::{catalog, Scenario};
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
    pub scenarios: Rc<Vec<Scenario>>,
    /// Index into `scenarios`.
    pub current: usize,
    /// The editor text (the catalog source, or the user's autosaved edit).
    pub source: String,
    /// The source differs from the catalog version.
    pub edited: bool,
    /// Errors of the last assembly of `source`; the machine keeps the last good program.
    pub asm_errors: Vec<AsmError>,
    /// The loaded program and a generation that changes whenever it is replaced.
    pub program: Rc<Vec<u8>>,
    pub program_gen: u64,
    pub model: String,
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
    SelectScenario(usize),
    /// The editor text changed (already autosaved by the editor).
    Edit(String),
    /// Assemble the editor text and load it (errors are kept, nothing else changes).
    Assemble,
    /// Drop the edit and go back to the catalog source.
    Revert,
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

/// The embedded catalog (parsing is checked by the core's tests, so a failure here is a bug).
pub fn load_catalog() -> Rc<Vec<Scenario>> {
    Rc::new(catalog::load().expect("the embedded catalog parses"))
}

impl Session {
    /// Opens scenario `index`, with the user's autosaved edit if there is one.
    pub fn open(scenarios: Rc<Vec<Scenario>>, index: usize) -> Session {
        let sc = &scenarios[index];
        let saved = storage::load_source(&sc.name);
        let source = saved.clone().unwrap_or_else(|| sc.source.clone());
        let edited = source != sc.source;
        let model = sc.models.first().cloned().unwrap_or_else(|| "bare".into());
        let mem = sc.machine.mem_mib;
        let mut s = Session {
            current: index,
            source,
            edited,
            asm_errors: Vec::new(),
            program: Rc::new(vec![0xf4]),
            program_gen: 0,
            model,
            machine: Rc::new(RefCell::new(Machine::new(&[0xf4], mem).expect("a one-byte program loads"))),
            prev_gpr: [0; 16],
            prev_rflags: 2,
            status: Status::Ready,
            message: None,
            version: 0,
            scenarios,
        };
        s.assemble_and_load();
        s
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenarios[self.current]
    }

    /// Assembles the editor text; on success loads it into a fresh machine.
    fn assemble_and_load(&mut self) {
        match asm::assemble_all_errors(&self.source) {
            Ok(a) if a.bytes.is_empty() => {
                self.asm_errors = vec![AsmError { line: 1, column: 1, message: "the program assembles to no bytes".into() }];
            }
            Ok(a) => {
                self.asm_errors.clear();
                self.program = Rc::new(a.bytes);
                self.program_gen += 1;
                self.reload();
            }
            Err(errs) => self.asm_errors = errs,
        }
    }

    /// A fresh machine with the current program.
    fn reload(&mut self) {
        match Machine::new(&self.program, self.scenario().machine.mem_mib) {
            Ok(m) => self.set_machine(m),
            Err(e) => self.status = Status::Error(e.to_string()),
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
        checkpoint::save(&self.machine.borrow(), &self.model)
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
                s.reload();
                s.message = None;
                Rc::new(s)
            }
            Action::Import(text) => {
                let mut s = self.next(false);
                match checkpoint::load(&text) {
                    Ok((m, model)) => {
                        let steps = m.steps;
                        s.set_machine(m);
                        s.model = model.clone();
                        s.message = Some(format!("imported a {model} checkpoint at step {steps}"));
                    }
                    // Nothing is lost: the current machine stays as it was.
                    Err(e) => s.message = Some(format!("import refused: {e}")),
                }
                Rc::new(s)
            }
            Action::SelectScenario(i) => {
                if i >= self.scenarios.len() || i == self.current {
                    return self;
                }
                let mut s = Session::open(self.scenarios.clone(), i);
                s.version = self.version + 1;
                Rc::new(s)
            }
            Action::Edit(text) => {
                let mut s = self.next(false);
                s.edited = text != s.scenario().source;
                s.source = text;
                Rc::new(s)
            }
            Action::Assemble => {
                let mut s = self.next(false);
                s.assemble_and_load();
                s.message = if s.asm_errors.is_empty() { Some("assembled and loaded".into()) } else { None };
                Rc::new(s)
            }
            Action::Revert => {
                let mut s = self.next(false);
                storage::clear_source(&s.scenario().name);
                s.source = s.scenario().source.clone();
                s.edited = false;
                s.assemble_and_load();
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
