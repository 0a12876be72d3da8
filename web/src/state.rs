//! The app's session state (a `Reducible`): the run (a `Sim` under the selected model, inside the
//! core's time travel) and its world-switch tracker live in `Rc<RefCell<_>>`; the reducer bumps a
//! version so components re-render after every change. Going back is in travel.rs, share links
//! in link.rs.
pub use crate::outcome::Outcome;
pub use crate::run_status::{RunRate, Status};
use crate::run_status::{status_of, stop_text};
use crate::outcome::{outcome_of, sc_program};
use crate::kernel::{KERNEL_BUDGET, Kernel};
use crate::storage;
use crate::run_until::{self, End, Goal, Stops};
use crate::switches::Tracker;
use crate::timeline::{Mark, trim};
use nestscope_core::asm::{self, AsmError};
use nestscope_core::checkpoint;
use nestscope_core::cpu::Regs;
use nestscope_core::machine::{LOAD_ADDR, StepOutcome};
use nestscope_core::mem::Hpa;
use nestscope_core::scenario::run::l0_config;
use nestscope_core::scenario::{Scenario, catalog};
use nestscope_core::sim::Sim;
use nestscope_core::timetravel::TimeTravel;
use nestscope_core::svm::exit_code::SvmExitCode;
use nestscope_core::Model;
use nestscope_core::trace::Level;
use std::cell::{Ref, RefCell};
use std::rc::Rc;
use yew::Reducible;

/// Steps executed between checks of the clock during a slice of a "Run".
pub const RUN_CHUNK: u64 = 10_000;
/// A slice of a "Run" yields to the browser after about this many milliseconds.
pub const SLICE_MS: f64 = 30.0;
/// A "Run" stops after this many steps at most (a runaway guest must not hang the tab); a
/// scenario's `max_steps` lowers it, so that the run ends where the scenario's check ends.
pub const RUN_BUDGET: u64 = 50_000_000;

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
    /// The assembly of the loaded program and its source (labels and data for the listing).
    pub assembled: Option<Rc<(asm::Assembled, String)>>,
    /// The loaded program is the scenario's own (not an edit): its expectations apply.
    pub catalog_program: bool,
    pub model: Model,
    /// RAM of the run when a share link set it (else the scenario's `mem_mib`).
    pub mem_mib: Option<u64>,
    /// The run, inside the core's time travel (read it with [`Session::sim`]).
    pub run: Rc<RefCell<TimeTravel>>,
    pub tracker: Rc<RefCell<Tracker>>,
    /// L1's and (while L2 ran) the CPU's registers before the last step/run, for highlighting.
    pub prev_l1: Regs,
    pub prev_l2: Option<Regs>,
    pub status: Status,
    /// What the current run is for (to the end, the next world switch, a step).
    pub goal: Goal,
    /// Breakpoints, "Break on #VMEXIT" and the level filter (kept across reloads).
    pub stops: Stops,
    /// Why the last run paused (a breakpoint, an exit, a reached step).
    pub paused: Option<String>,
    /// One mark per world switch of this run, for the timeline.
    pub marks: Rc<RefCell<Vec<Mark>>>,
    /// The keyboard-shortcut overlay is open.
    pub help: bool,
    /// Set when the run ended and the scenario has an expectation for the model.
    pub outcome: Option<Outcome>,
    /// A one-line note for the user (e.g. why an import was refused).
    pub message: Option<String>,
    /// Speed of the current or last "Run" (`None` before the first run of this program).
    pub rate: Option<RunRate>,
    /// The multiboot kernel that runs instead of the editor's program (until one is assembled).
    pub kernel: Option<Rc<Kernel>>,
    /// The program came from a share link (not a catalog scenario's own): the page URL keeps a
    /// link fragment so that a reload reopens it.
    pub linked: bool,
    /// Time travel is on (snapshots taken); kept across reloads of the program.
    pub travel_on: bool,
    /// Where the last jump back started replaying (the step of the snapshot restored).
    pub replayed_from: Option<u64>,
    /// The save/restore the run does when it reaches the plan's step (migration.rs), and what
    /// the one it did lost.
    pub migrate: Option<nestscope_core::compare::MigratePlan>,
    pub migration: Option<nestscope_core::hv::migrate::Migration>,
    pub version: u64,
}

pub enum Action {
    Step,
    /// Execute one slice of a run (dispatched repeatedly while `Running`).
    RunSlice,
    StartRun,
    /// Run until the next world switch that passes the level filter.
    RunToSwitch,
    /// Replay from the start (or run on) until the step counter reaches this value.
    JumpTo(u64),
    /// One step back (time travel: the nearest snapshot, replayed to the step before).
    StepBack,
    /// Time travel on or off.
    SetTimeTravel(bool),
    /// Set or clear a breakpoint at a guest RIP.
    ToggleBreakpoint(u64),
    /// New "Break on #VMEXIT" and level-filter settings (breakpoints are kept).
    SetStops(Stops),
    /// Open or close the shortcut overlay (`None` toggles).
    Help(Option<bool>),
    /// Reload the program under another CONTRACT model.
    SelectModel(Model),
    Pause,
    Reset,
    /// The bytes of a checkpoint file the user picked (v2 `.nsc`, or a v1 JSON document).
    Import(Vec<u8>),
    SelectScenario(usize),
    /// The editor text changed (already autosaved by the editor).
    Edit(String),
    /// Assemble the editor text and load it (errors are kept, nothing else changes).
    Assemble,
    /// Drop the edit and go back to the catalog source.
    Revert,
    /// A kernel file the user picked or dropped, with its command line: booted under the current
    /// model if the loader takes it, refused with the loader's error otherwise.
    OpenKernel { name: String, bytes: Vec<u8>, append: String },
    /// A new save/restore plan (or none); the run starts again so that it applies.
    SetMigrate(Option<nestscope_core::compare::MigratePlan>),
}

/// The embedded catalog (parsing is checked by the core's tests, so a failure here is a bug).
#[allow(clippy::expect_used, reason = "the embedded catalog is fixed and the core's tests parse it")]
pub fn load_catalog() -> Rc<Vec<Scenario>> {
    Rc::new(catalog::load().expect("the embedded catalog parses"))
}

impl Session {
    /// Opens scenario `index`, with the user's autosaved edit if there is one, under `model` if
    /// the scenario lists it (else the scenario's first model).
    pub fn open(scenarios: Rc<Vec<Scenario>>, index: usize, model: Option<Model>) -> Session {
        let sc = &scenarios[index];
        let saved = storage::load_source(&sc.name);
        let source = saved.clone().unwrap_or_else(|| sc.source.clone());
        let edited = source != sc.source;
        let model = match model {
            Some(m) if sc.models.contains(&m) => m,
            _ => sc.models.first().copied().unwrap_or_default(),
        };
        #[allow(clippy::expect_used, reason = "a one-byte program always fits 2 MiB of RAM")]
        let sim = Sim::Hw(nestscope_core::Machine::new(&[0xf4], 2).expect("a one-byte program loads"));
        let mut s = Session {
            current: index,
            source,
            edited,
            asm_errors: Vec::new(),
            program: Rc::new(vec![0xf4]),
            program_gen: 0,
            assembled: None,
            catalog_program: false,
            model,
            mem_mib: None,
            tracker: Rc::new(RefCell::new(Tracker::new(&sim))),
            run: Rc::new(RefCell::new(TimeTravel::new(sim))),
            prev_l1: Regs::default(),
            prev_l2: None,
            status: Status::Ready,
            goal: Goal::End,
            stops: Stops::default(),
            paused: None,
            marks: Rc::new(RefCell::new(Vec::new())),
            help: false,
            outcome: None,
            message: None,
            rate: None,
            kernel: None,
            linked: false,
            travel_on: true,
            replayed_from: None,
            migrate: crate::migration::default_plan(sc, model),
            migration: None,
            version: 0,
            scenarios,
        };
        s.assemble_and_load();
        s
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenarios[self.current]
    }

    /// The run now.
    pub fn sim(&self) -> Ref<'_, Sim> {
        Ref::map(self.run.borrow(), TimeTravel::sim)
    }

    /// Assembles the editor text; on success loads it into a fresh machine.
    pub(crate) fn assemble_and_load(&mut self) {
        match asm::assemble_all_errors(&self.source) {
            Ok(a) if a.bytes.is_empty() => {
                self.asm_errors =
                    vec![AsmError { line: 1, column: 1, message: "the program assembles to no bytes".into() }];
            }
            Ok(a) => {
                self.asm_errors.clear();
                self.kernel = None;
                self.catalog_program = Some(&a.bytes) == sc_program(self.scenario()).as_ref();
                self.program = Rc::new(a.bytes.clone());
                self.assembled = Some(Rc::new((a, self.source.clone())));
                self.program_gen += 1;
                self.linked = false;
                self.reload();
            }
            Err(errs) => self.asm_errors = errs,
        }
    }

    /// A fresh run of the current program under the current model.
    pub fn reload(&mut self) {
        if let Some(k) = &self.kernel {
            match k.boot(self.model) {
                Ok(sim) => self.set_sim(sim),
                Err(e) => self.status = Status::Error(e),
            }
            return;
        }
        let cfg = &self.scenario().machine;
        let mem = self.mem_mib.unwrap_or(cfg.mem_mib);
        let sim = l0_config(cfg)
            .map_err(|e| e.to_string())
            .and_then(|l0| Sim::new(&self.program, mem, self.model, &l0).map_err(|e| e.to_string()));
        match sim {
            Ok(sim) => self.set_sim(sim),
            Err(e) => self.status = Status::Error(e),
        }
    }

    /// A copy with the next version and the current registers as the "before" snapshot.
    pub(crate) fn next(&self, snapshot: bool) -> Session {
        let mut s = self.clone();
        s.version += 1;
        if snapshot {
            (s.prev_l1, s.prev_l2) = regs_now(&self.sim());
        }
        s
    }

    pub(crate) fn set_sim(&mut self, sim: Sim) {
        (self.prev_l1, self.prev_l2) = regs_now(&sim);
        self.status = status_of(&sim);
        self.goal = Goal::End;
        self.paused = None;
        // An imported run brings its events along (their exit information is not kept).
        self.marks = Rc::new(RefCell::new(crate::timeline::marks_of_log(&sim)));
        self.outcome = None;
        self.rate = None;
        self.tracker = Rc::new(RefCell::new(Tracker::new(&sim)));
        self.replayed_from = None;
        self.migration = None;
        self.run = Rc::new(RefCell::new(crate::travel::new_run(sim, self.travel_on)));
    }

    /// The checkpoint file (v2) of the current run (a kvm-* run keeps its L0 state); it records
    /// the loaded program, against which its memory is deduplicated.
    pub fn export(&self) -> Vec<u8> {
        let program = if self.kernel.is_some() { None } else { Some(self.program.as_slice()) };
        checkpoint::save(&self.sim(), program)
    }

    /// The step budget of a run: for the scenario's own program its `max_steps` (where the
    /// scenario check ends), for an edited one [`RUN_BUDGET`].
    pub fn budget(&self) -> u64 {
        if self.kernel.is_some() {
            return KERNEL_BUDGET;
        }
        if self.catalog_program { self.scenario().machine.max_steps.min(RUN_BUDGET) } else { RUN_BUDGET }
    }

    /// Compares the ended run with the scenario's expectation for the model, if there is one.
    fn check_outcome(&mut self) {
        let outcome = outcome_of(&self.sim(), self.scenario(), self.model, self.catalog_program, self.migration.as_ref());
        self.outcome = outcome;
    }

    pub(crate) fn finished(&self) -> bool {
        matches!(self.status, Status::Stopped(_) | Status::Error(_))
    }

    /// Starts a run towards `goal` ("Run", "Run to next world switch", a jump).
    pub(crate) fn start_run(self: Rc<Self>, goal: Goal) -> Rc<Self> {
        if self.finished() || self.status == Status::Running {
            return self;
        }
        let mut s = self.next(true);
        s.message = None;
        s.paused = None;
        s.status = Status::Running;
        s.goal = goal;
        s.rate = Some(RunRate::default());
        Rc::new(s)
    }

    /// The stop conditions' text for the toolbar, after a run paused at `end`.
    fn pause_note(&self, end: &End) -> Option<String> {
        match end {
            End::Breakpoint(a) => Some(format!("breakpoint at {a:#x}")),
            End::VmExit(c) if *c == SvmExitCode::INVALID.0 => Some("#VMEXIT -1 VMEXIT_INVALID".into()),
            End::VmExit(c) => Some(format!("#VMEXIT {c:#x} {}", SvmExitCode(*c).name())),
            End::Reached => Some(crate::travel::reached_note(self.sim().machine().steps, self.replayed_from)),
            _ => None,
        }
    }
}

/// A millisecond clock: `performance.now()` (sub-millisecond), else `Date.now()`.
fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or_else(js_sys::Date::now, |p| p.now())
}

/// L1's registers, and the CPU's (L2's) while L2 runs.
pub fn regs_now(sim: &Sim) -> (Regs, Option<Regs>) {
    let l2 = (sim.level() == Level::L2).then(|| sim.machine().cpu.regs.clone());
    (sim.l1_regs(), l2)
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
                s.paused = None;
                let r = run_until::step(&mut s.tracker.borrow_mut(), &mut s.run.borrow_mut(), &mut s.marks.borrow_mut());
                s.status = match r {
                    Ok((StepOutcome::Retired, _)) => Status::Ready,
                    Ok((StepOutcome::Stopped(stop), _)) => Status::Stopped(stop_text(&stop)),
                    Err(e) => Status::Error(e.to_string()),
                };
                if let Err(e) = s.migrate_due() {
                    s.status = Status::Error(e);
                }
                if matches!(s.status, Status::Stopped(_)) {
                    s.check_outcome();
                }
                Rc::new(s)
            }
            Action::StartRun => self.start_run(Goal::End),
            Action::RunToSwitch => self.start_run(Goal::NextSwitch),
            Action::JumpTo(step) => self.jump(step),
            Action::StepBack => {
                let steps = self.sim().machine().steps;
                if steps == 0 { self } else { self.jump(steps - 1) }
            }
            Action::SetTimeTravel(on) => {
                let mut s = self.next(false);
                s.travel_on = on;
                s.run.borrow_mut().set_recording(on);
                Rc::new(s)
            }
            Action::ToggleBreakpoint(addr) => {
                let mut s = self.next(false);
                if !s.stops.breakpoints.remove(&addr) {
                    s.stops.breakpoints.insert(addr);
                }
                Rc::new(s)
            }
            Action::SetStops(stops) => {
                let mut s = self.next(false);
                s.stops = Stops { breakpoints: std::mem::take(&mut s.stops.breakpoints), ..stops };
                Rc::new(s)
            }
            Action::Help(open) => {
                let mut s = self.next(false);
                s.help = open.unwrap_or(!self.help);
                Rc::new(s)
            }
            Action::RunSlice => {
                if self.status != Status::Running {
                    return self;
                }
                let mut s = self.next(false);
                let budget = s.budget();
                // Chunks until about SLICE_MS have passed, so a slow stretch (many world
                // switches under L0) still yields to the browser often.
                let t0 = now_ms();
                let (steps0, events0) = {
                    let sim = s.sim();
                    (sim.machine().steps, sim.machine().events.len())
                };
                let mut mig_err = None;
                let end = loop {
                    let steps = s.sim().machine().steps;
                    // A pending save/restore: stop at its step, do it, and run on.
                    let mig = s.migrate_stop();
                    let target = (steps + RUN_CHUNK).min(budget).min(mig.unwrap_or(u64::MAX));
                    let end = run_until::run(
                        &mut s.tracker.borrow_mut(),
                        &mut s.run.borrow_mut(),
                        target,
                        s.goal,
                        &s.stops,
                        &mut s.marks.borrow_mut(),
                    );
                    if mig == Some(target) && matches!(end, Ok(End::Budget))
                        && let Err(e) = s.migrate_due()
                    {
                        mig_err = Some(e);
                        break end;
                    }
                    if !matches!(end, Ok(End::Budget)) || target >= budget || now_ms() - t0 > SLICE_MS {
                        break end;
                    }
                };
                let (steps, events) = {
                    let sim = s.sim();
                    (sim.machine().steps, sim.machine().events.len())
                };
                let r = s.rate.get_or_insert_with(RunRate::default);
                r.steps += steps - steps0;
                r.switches += (events - events0) as u64;
                r.ms += now_ms() - t0;
                trim(&mut s.marks.borrow_mut());
                if let Ok(e) = &end {
                    s.paused = s.pause_note(e);
                }
                s.status = match end {
                    Ok(End::Budget) if steps >= budget => Status::Stopped(format!("budget of {budget} steps spent")),
                    Ok(End::Budget) => Status::Running,
                    Ok(End::Switched | End::Breakpoint(_) | End::VmExit(_) | End::Reached) => Status::Ready,
                    Ok(End::Stopped(stop)) => Status::Stopped(stop_text(&stop)),
                    Err(e) => Status::Error(e.to_string()),
                };
                if let Some(e) = mig_err {
                    s.status = Status::Error(e);
                }
                if s.status != Status::Running {
                    s.goal = Goal::End;
                }
                if matches!(s.status, Status::Stopped(_)) {
                    s.check_outcome();
                }
                Rc::new(s)
            }
            Action::Pause => {
                if self.status != Status::Running {
                    return self;
                }
                let mut s = self.next(false);
                s.status = Status::Ready;
                s.goal = Goal::End;
                s.paused = Some("paused".into());
                Rc::new(s)
            }
            Action::Reset => {
                let mut s = self.next(false);
                s.reload();
                s.message = None;
                Rc::new(s)
            }
            Action::Import(bytes) => {
                let mut s = self.next(false);
                // Parsed and checked completely before anything of the session changes.
                match checkpoint::load(&bytes) {
                    Ok(checkpoint::Loaded { sim, program, .. }) => {
                        let (model, steps) = (sim.model(), sim.machine().steps);
                        s.model = model;
                        s.kernel = None;
                        // The scenario's expectations apply if the checkpoint runs its program.
                        s.catalog_program = sc_program(s.scenario()).is_some_and(|p| match &program {
                            Some(recorded) => *recorded == p,
                            None => {
                                let mut b = vec![0u8; p.len()];
                                sim.machine().mem.read(Hpa(LOAD_ADDR), &mut b).is_ok() && b == p
                            }
                        });
                        // The checkpoint of another catalog scenario's program: that scenario's
                        // listing, source and expectation replace the current one's.
                        if !s.catalog_program
                            && let Some(p) = &program
                            && let Some(i) = crate::outcome::scenario_of(&s.scenarios, p)
                        {
                            s.current = i;
                            s.source = s.scenarios[i].source.clone();
                            s.edited = false;
                            s.asm_errors.clear();
                            s.assembled = asm::assemble_all_errors(&s.source).ok().map(|a| Rc::new((a, s.scenarios[i].source.clone())));
                            s.catalog_program = true;
                        }
                        if let Some(p) = program
                            && *s.program != p
                        {
                            s.program = Rc::new(p);
                            s.program_gen += 1;
                        }
                        s.mem_mib = None;
                        s.linked = false;
                        s.set_sim(sim);
                        s.message = Some(format!("imported a {model} checkpoint at step {steps}"));
                    }
                    // Nothing is lost: the current machine stays as it was.
                    Err(e) => s.message = Some(format!("import refused: {e}")),
                }
                Rc::new(s)
            }
            Action::SelectScenario(i) => {
                if i >= self.scenarios.len() || (i == self.current && self.kernel.is_none()) {
                    return self;
                }
                let mut s = Session::open(self.scenarios.clone(), i, Some(self.model));
                s.version = self.version + 1;
                s.stops = Stops { breakpoints: Default::default(), ..self.stops.clone() };
                s.travel_on = self.travel_on;
                s.run.borrow_mut().set_recording(self.travel_on);
                Rc::new(s)
            }
            Action::SelectModel(model) => {
                if model == self.model {
                    return self;
                }
                let mut s = self.next(false);
                s.model = model;
                s.message = None;
                s.migrate = crate::migration::default_plan(s.scenario(), model);
                s.reload();
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
            Action::OpenKernel { name, bytes, append } => {
                let mut s = self.next(false);
                // Loaded and booted completely before anything of the session changes.
                match Kernel::open(&name, &bytes, &append).and_then(|k| k.boot(s.model).map(|sim| (k, sim))) {
                    Ok((k, sim)) => {
                        s.catalog_program = false;
                        s.message = Some(format!("opened kernel {} under {}", k.name, s.model));
                        s.kernel = Some(Rc::new(k));
                        s.set_sim(sim);
                    }
                    Err(e) => s.message = Some(format!("kernel refused: {e}")),
                }
                Rc::new(s)
            }
            Action::SetMigrate(plan) => {
                let mut s = self.next(false);
                s.migrate = plan;
                s.message = plan.map(|p| format!("{}: the run starts again", crate::migration::plan_text(&p)));
                s.reload();
                Rc::new(s)
            }
            Action::Revert => {
                let mut s = self.next(false);
                // A link's edit shown in the editor is not the user's autosaved one: keep that.
                if !s.linked || storage::load_source(&s.scenario().name).as_deref() == Some(s.source.as_str()) {
                    storage::clear_source(&s.scenario().name);
                }
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
        self.version == other.version && Rc::ptr_eq(&self.run, &other.run)
    }
}
