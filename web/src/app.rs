//! The root component: owns the session reducer and lays out the workspace — a toolbar, the
//! timeline strip, the code of the running level with the world-switch list on the left, and
//! two groups of tabbed panels on the right (only the shown panels are computed).
use crate::components::checkpoint_bar::{CheckpointBar, download};
use crate::compare_run::RunnerRef;
use crate::components::compare_view::{CompareView, start_compare};
use crate::components::guide_view::{GuideJump, GuideView};
use crate::components::memtype_grid::MemtypeGridView;
use crate::components::migrate_bar::MigrateBar;
use crate::components::reference_view::ReferenceView;
use crate::markdown::OpenRef;
use crate::components::console::Console;
use crate::components::disassembly::{Disassembly, listing, listing_of};
use crate::components::editor::Editor;
use crate::components::kernel_panel::KernelPanel;
use crate::components::kernel_picker::{KernelPicker, PickedKernel, drop_handlers};
use crate::components::link_banner::LinkBanner;
use crate::components::memory_view::{MemoryView, dump};
use crate::components::model_picker::ModelPicker;
use crate::components::page_walk::{AccessKind, PageWalk};
use crate::components::pat_layers_view::PatLayersView;
use crate::components::registers::Registers;
use crate::components::run_options::RunOptions;
use crate::components::scenario_picker::ScenarioPicker;
use crate::components::scenario_view::ScenarioView;
use crate::components::share_button::ShareButton;
use crate::components::shortcuts::{Shortcut, ShortcutsOverlay, shortcut_of};
use crate::components::switch_trace::{MAX_SHOWN, SwitchTrace, exit_text, kind_name};
use crate::components::tabs::Tabs;
use crate::components::theme_toggle::ThemeToggle;
use crate::components::time_travel_toggle::TimeTravelToggle;
use crate::components::timeline_view::{TimelineData, TimelineView};
use crate::components::toolbar::Toolbar;
use crate::components::vmcb_view::{VmcbView, columns as vmcb_columns, effective};
use crate::link::{Opened, Shared, VIEW_TABS, view_of};
use crate::prefs::{Place, read_fragment, read_url, write_url_soon};
use crate::state::{Action, Session, Status, load_catalog, regs_now};
use crate::switches::{SwitchRecord, VmcbRole, read_page};
use nestscope_core::machine::LOAD_ADDR;
use nestscope_core::mem::{Gva, Hpa};
use nestscope_core::sim::Sim;
use nestscope_core::Model;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use yew::prelude::*;

/// The tabs of the upper and the lower panel group.
pub const UPPER_TABS: [&str; 6] = ["Registers", "VMCB", "Memory", "Page walk", "PAT layers", "Compare"];
pub const LOWER_TABS: [&str; 4] = ["Scenario", "Console", "Source", "Reference"];

/// "#VMEXIT L2→L1 0x81 VMEXIT_VMMCALL at step 57" for the events of one world-switch step.
fn switch_label(sim: &Sim, r: &SwitchRecord) -> String {
    let evs = &sim.machine().events;
    let parts: Vec<String> = (r.first_event..r.first_event + r.events)
        .filter_map(|i| evs.get(i))
        .map(|e| {
            format!("{} {}→{} {}", kind_name(e.kind), e.from.name(), e.to.name(), exit_text(e)).trim_end().to_string()
        })
        .collect();
    format!("{} at step {}", parts.join(" + "), r.step)
}

/// Dispatches the keyboard shortcuts (F10, Shift+F10, F5, Shift+F5, F11, L, ?, Esc) from
/// anywhere on the page; `share` holds the Share button's current callback.
#[hook]
fn use_shortcuts(dispatch: yew::functional::UseReducerDispatcher<Session>, share: Rc<std::cell::RefCell<Callback<()>>>) {
    use_effect_with((), move |_| {
        let on_key = Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
            let in_text = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "TEXTAREA" | "INPUT" | "SELECT"));
            let Some(s) = shortcut_of(&e.key(), e.shift_key(), in_text) else { return };
            e.prevent_default();
            if s == Shortcut::Share {
                let cb = share.borrow().clone();
                cb.emit(());
                return;
            }
            dispatch.dispatch(match s {
                Shortcut::Step => Action::Step,
                Shortcut::StepBack => Action::StepBack,
                Shortcut::Run => Action::StartRun,
                Shortcut::Pause => Action::Pause,
                Shortcut::NextSwitch => Action::RunToSwitch,
                Shortcut::Share => return,
                Shortcut::Help => Action::Help(None),
                Shortcut::Close => Action::Help(Some(false)),
            });
        });
        #[allow(clippy::expect_used, reason = "the app runs only in a browser window")]
        let window = web_sys::window().expect("a window");
        let _ = window.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref());
        move || {
            let _ = window.remove_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref());
        }
    });
}

/// How the page started: the session, and the share link it opened (or why it could not).
struct Start {
    session: Session,
    link: Option<Result<Opened, String>>,
}

/// The session a share link in the page URL's fragment opens; without one (or when it cannot be
/// opened: the banner says why) the place the URL's query names.
fn open_start() -> Start {
    if !read_fragment().trim_start_matches('#').is_empty() {
        let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
        return match crate::link::open(load_catalog(), &href) {
            Ok((session, opened)) => Start { session, link: Some(Ok(opened)) },
            Err(e) => Start { session: open_from_url(), link: Some(Err(e)) },
        };
    }
    Start { session: open_from_url(), link: None }
}

/// The session the page URL names (scenario, model), the catalog's first scenario otherwise.
fn open_from_url() -> Session {
    let scenarios = load_catalog();
    let place = read_url();
    let index = place.scenario.as_deref().and_then(|n| scenarios.iter().position(|s| s.name == n)).unwrap_or(0);
    let mut s = Session::open(scenarios, index, None);
    if let Some(m) = place.model.and_then(|m| m.parse::<nestscope_core::Model>().ok())
        && m != s.model
    {
        s.model = m;
        s.migrate = crate::migration::default_plan(s.scenario(), m);
        s.reload();
    }
    s
}

#[function_component(App)]
pub fn app() -> Html {
    let start = use_memo((), |_| open_start());
    let session = use_reducer({
        let start = start.clone();
        move || start.session.clone()
    });
    let opened = match &start.link {
        Some(Ok(o)) => Some(o.clone()),
        _ => None,
    };
    let banner = use_state(|| start.link.clone().map(|r| r.map(|o| o.banner())));
    let share_cb = use_mut_ref(Callback::<()>::noop);
    use_shortcuts(session.dispatcher(), share_cb.clone());
    // A step in the link (or else the URL's query): go there once the page is up.
    {
        let d = session.dispatcher();
        let step = opened.as_ref().map(|o| o.step);
        use_effect_with((), move |_| {
            if let Some(step) = step.or_else(|| read_url().step) {
                d.dispatch(Action::JumpTo(step));
            }
        });
    }
    // Keep the URL on the current place (not while running: the step moves every slice).
    {
        let sc = session.scenario().name.clone();
        let steps = session.sim().machine().steps;
        let running = session.status == Status::Running;
        let s = session.clone();
        use_effect_with((sc, session.model, steps, running, session.program_gen, session.linked), move |(sc, model, steps, running, _, _)| {
            if !*running {
                let place = Place { scenario: Some(sc.clone()), model: Some(model.to_string()), step: Some(*steps) };
                write_url_soon(move || (place, crate::link::url_fragment(&s)));
            }
        });
    }
    // Keyed by the program bytes: another scenario's program may have the same generation.
    let lines = use_memo((session.program.clone(), session.assembled.clone(), session.kernel.clone()), |(program, asm, kernel)| {
        Rc::new(match (kernel, asm) {
            (Some(k), _) => k.listing(),
            (None, Some(a)) if a.0.bytes == **program => listing_of(&a.0, &a.1),
            _ => listing(program, LOAD_ADDR),
        })
    });

    // While running, execute one slice per macrotask so the page stays responsive and shows progress.
    {
        let session = session.clone();
        use_effect_with((session.version, session.status.clone()), move |(_, status)| {
            if *status == Status::Running {
                let s = session.clone();
                yew::platform::spawn_local(async move {
                    yew::platform::time::sleep(Duration::from_millis(0)).await;
                    s.dispatch(Action::RunSlice);
                });
            }
        });
    }

    // A link's view picks the first tabs and the memory address.
    let view_tab = |group: usize| {
        let v = opened.as_ref().and_then(|o| o.view.clone());
        VIEW_TABS.iter().find(|t| Some(t.0) == v.as_deref() && t.1 == group).map_or(0, |t| t.2)
    };
    let upper = use_state(|| view_tab(0));
    let lower = use_state(|| view_tab(1));
    let mem_addr = use_state(|| opened.as_ref().and_then(|o| o.address).unwrap_or(LOAD_ADDR));
    let shared = use_state(|| None::<Shared>);
    let on_share = {
        let (session, shared, upper, lower, mem_addr) = (session.clone(), shared.clone(), upper.clone(), lower.clone(), mem_addr.clone());
        Callback::from(move |_: ()| {
            let view = view_of(*upper, *lower);
            let address = (view == Some("memory")).then_some(*mem_addr);
            shared.set(Some(crate::link::share(&session, view, address, &crate::link::page_base())));
        })
    };
    *share_cb.borrow_mut() = on_share.clone();
    let on_download = {
        let s = session.clone();
        Callback::from(move |_: ()| {
            let _ = download("nestscope-checkpoint.nsc", &s.export());
        })
    };
    let append = use_state(String::new);
    // A picked or dropped kernel boots under the current model; the console shows its output.
    let on_kernel = {
        let (s, lower) = (session.clone(), lower.clone());
        Callback::from(move |k: PickedKernel| {
            s.dispatch(Action::OpenKernel { name: k.name, bytes: k.bytes, append: k.append });
            lower.set(1);
        })
    };
    let (on_dragover, on_drop) = drop_handlers((*append).clone(), on_kernel.clone());
    let mem_linear = use_state(|| false);
    let vmcb_sel = use_state(|| None::<VmcbRole>);
    let switch_sel = use_state(|| None::<usize>);
    let walk_addr = use_state(|| None::<u64>);
    let walk_access = use_state(|| AccessKind::Fetch);
    let pat_gva = use_state(|| None::<u64>);
    let cmp_models = use_state(|| (Model::DEFAULT, Model::L0(nestscope_core::hv::gpat::Design::KvmMerged)));
    // The comparisons run in time slices and survive a tab switch (compare_run.rs).
    let cmp_run = use_memo((), |_| RunnerRef::default());
    let guide_run = use_memo((), |_| RunnerRef::default());
    // The Reference panel's section (from a citation click) and a nonce per click.
    let ref_sec = use_state(|| (None::<AttrValue>, 0u64));
    let open_ref = {
        let (ref_sec, lower) = (ref_sec.clone(), lower.clone());
        OpenRef(Callback::from(move |sec: String| {
            ref_sec.set((Some(AttrValue::from(sec)), ref_sec.1 + 1));
            lower.set(3);
        }))
    };
    let on_guide = {
        let (s, upper) = (session.clone(), upper.clone());
        Callback::from(move |j: GuideJump| {
            s.dispatch(Action::SelectModel(j.model));
            s.dispatch(Action::SetMigrate(j.plan));
            s.dispatch(Action::JumpTo(j.step));
            if let Some(i) = UPPER_TABS.iter().position(|t| *t == j.panel) {
                upper.set(i);
            }
        })
    };
    let travel = session.travel_info();
    let sim = session.sim();
    let tracker = session.tracker.borrow();
    let m = sim.machine();
    let kvm = matches!(&*sim, Sim::Kvm(_));
    let level = sim.level();
    let rip = m.cpu.regs.rip;
    // A kernel's listing is long: only the part around RIP is shown.
    let shown_lines = match &session.kernel {
        Some(k) => Rc::new(crate::kernel::window(&lines, rip, m.code_bitness(), &m.mem, &k.symbols)),
        None => (*lines).clone(),
    };

    // World-switch trace: the newest events.
    let total = m.events.len();
    let from = total.saturating_sub(MAX_SHOWN);
    let events = Rc::new(m.events.since(from).map(|(i, e)| (i, e.clone())).collect::<Vec<_>>());
    let records = Rc::new(tracker.records.iter().cloned().collect::<Vec<_>>());
    let choices = sim.vmcbs();
    let vmcb_names: Vec<(Hpa, String)> = choices.iter().map(|(r, a)| (Hpa(a.0 & !0xfff), r.name(kvm).to_string())).collect();

    let cb = |a: fn() -> Action| {
        let s = session.clone();
        Callback::from(move |_| s.dispatch(a()))
    };
    let sc = session.scenario();
    let timeline = TimelineData { marks: session.marks.clone(), len: session.marks.borrow().len(), steps: m.steps };

    // Only the shown panel of each group is computed.
    let upper_panel = match *upper {
        0 => {
            let (l1, l2) = regs_now(&sim);
            let interrupts = Some(nestscope_core::inspect::interrupts::interrupt_view(&sim).to_string());
            html! { <Registers level={level} l1={l1} prev_l1={session.prev_l1.clone()} l2={l2} prev_l2={session.prev_l2.clone()} interrupts={interrupts} /> }
        }
        1 => {
            // The VMCBs side by side at the switch picked in the list (else now, with the last
            // switch's changes); the raw dump shows the chosen one.
            let picked = switch_sel.and_then(|i| tracker.record_of(i));
            let rec = picked.or(tracker.last());
            let now = |a: Hpa| read_page(&sim, a);
            let shown = effective(&choices, *vmcb_sel);
            let page = shown.map_or_else(|| Rc::new(vec![0u8; 0x1000]), |(_, a)| {
                picked.and_then(|r| r.after_of(Hpa(a.0 & !0xfff)).cloned()).unwrap_or_else(|| now(a))
            });
            let change = rec.zip(shown).and_then(|(r, (_, a))| r.change_of(Hpa(a.0 & !0xfff)).cloned());
            let change_label = rec.map(|r| switch_label(&sim, r)).unwrap_or_default();
            let cols = vmcb_columns(&choices, kvm, rec, picked.is_some(), now);
            html! {
                <VmcbView choices={choices.clone()} selected={*vmcb_sel} kvm={kvm} columns={cols} page={page} change={change}
                    change_label={AttrValue::from(change_label)}
                    on_select={{ let s = vmcb_sel.clone(); Callback::from(move |r| s.set(Some(r))) }} />
            }
        }
        2 => html! {
            <MemoryView rows={dump(m, *mem_addr, *mem_linear)} addr={*mem_addr} linear={*mem_linear}
                on_addr={{ let s = mem_addr.clone(); Callback::from(move |a| s.set(a)) }}
                on_linear={{ let s = mem_linear.clone(); Callback::from(move |l| s.set(l)) }} />
        },
        3 => {
            // Page walk of the level that runs now.
            let waddr = walk_addr.unwrap_or(rip);
            let report = m.memtype_of(Gva(waddr), walk_access.access(m.cpu.cpl == 3));
            html! {
                <PageWalk addr={waddr} follows_rip={walk_addr.is_none()} access={*walk_access} level={level} kvm={kvm}
                    report={report}
                    on_addr={{ let s = walk_addr.clone(); Callback::from(move |a| s.set(a)) }}
                    on_access={{ let s = walk_access.clone(); Callback::from(move |k| s.set(k)) }} />
            }
        }
        4 => {
            // PAT layers of an L2 access (default: L2's next instruction fetch).
            let pgva = pat_gva.unwrap_or(rip);
            let layers =
                nestscope_core::pat_layers::pat_layers(&sim, pgva, walk_access.access(m.cpu.cpl == 3));
            html! {
                <PatLayersView gva={pgva} layers={layers}
                    on_gva={{ let s = pat_gva.clone(); Callback::from(move |a| s.set(Some(a))) }} />
            }
        }
        _ => {
            // Lockstep comparison of the loaded program under two models, in time slices.
            let on_compare = {
                let (program, models, runner) = (session.program.clone(), cmp_models.clone(), (*cmp_run).clone());
                let cfg = sc.machine.clone();
                Callback::from(move |_| start_compare(&runner, &program, [models.0, models.1], &cfg))
            };
            html! {
                <CompareView models={*cmp_models} runner={(*cmp_run).clone()}
                    on_models={{ let s = cmp_models.clone(); Callback::from(move |m| s.set(m)) }}
                    on_compare={on_compare} />
            }
        }
    };
    let sc_rc = Rc::new(sc.clone());
    let lower_panel = match *lower {
        0 => html! {
            <ScenarioView scenarios={session.scenarios.clone()} current={session.current}
                model={session.model} outcome={session.outcome.clone()}>
            if sc.guide.is_some() {
                <GuideView scenario={sc_rc.clone()} runner={(*guide_run).clone()} on_show={on_guide} />
            }
            if session.kernel.is_none() {
                <MigrateBar model={session.model} plan={session.migrate} migration={session.migration.clone()}
                    on_change={{ let s = session.clone(); Callback::from(move |p| s.dispatch(Action::SetMigrate(p))) }} />
            }
            if sc.memtype_grid.is_some() {
                <MemtypeGridView scenario={sc_rc.clone()} model={session.model} />
            }
            </ScenarioView>
        },
        3 => html! { <ReferenceView section={ref_sec.0.clone()} nonce={ref_sec.1} /> },
        1 => {
            let text = String::from_utf8_lossy(&m.console).into_owned();
            let panel = session.kernel.as_ref().map(|k| html! {
                <KernelPanel name={AttrValue::from(k.name.clone())} append={AttrValue::from(k.append.clone())}
                    model={AttrValue::from(session.model.to_string())} status={session.status.clone()} steps={m.steps}
                    rate={session.rate} verdict={crate::kernel::verdict(&text, m.stopped.as_ref())}
                    place={AttrValue::from(crate::components::kernel_panel::place_text(m.cpu.regs.rip, k.describe(m.cpu.regs.rip).as_deref(), m.code_bitness()))}
                    symbols={AttrValue::from(k.symbols_error.clone().unwrap_or_else(|| format!("{} symbols", k.symbols.len())))}
                    on_stop={cb(|| Action::Pause)} />
            });
            html! { <>{ for panel }<Console text={AttrValue::from(text)} /></> }
        }
        _ if session.kernel.is_some() => html! {
            <section class="panel editor" aria-label="Source">
                <p data-testid="kernel-source">{format!("kernel: {} (no source)", session.kernel.as_ref().map_or("", |k| k.name.as_str()))}</p>
            </section>
        },
        _ => html! {
            <Editor scenario={AttrValue::from(sc.name.clone())} source={AttrValue::from(session.source.clone())}
                edited={session.edited} errors={session.asm_errors.clone()}
                on_edit={{ let s = session.clone(); Callback::from(move |t| s.dispatch(Action::Edit(t))) }}
                on_assemble={cb(|| Action::Assemble)} on_revert={cb(|| Action::Revert)} />
        },
    };

    html! {
        <ContextProvider<OpenRef> context={open_ref}>
        <main class="app">
            <header class="topbar">
                <h1>{"nestscope"}</h1>
                <ScenarioPicker scenarios={session.scenarios.clone()} current={session.current}
                    on_select={{ let s = session.clone(); Callback::from(move |i| s.dispatch(Action::SelectScenario(i))) }} />
                <ModelPicker current={session.model} scenario_models={sc.models.clone()}
                    on_select={{ let s = session.clone(); Callback::from(move |m| s.dispatch(Action::SelectModel(m))) }} />
                <KernelPicker append={AttrValue::from((*append).clone())} on_open={on_kernel}
                    on_append={{ let a = append.clone(); Callback::from(move |t| a.set(t)) }} />
                <span class="program" title="AMD SVM nested virtualization explorer">
                    {match &session.kernel {
                        Some(k) => format!("kernel: {} · model: {}", k.name, session.model),
                        None => format!("scenario: {} · model: {}", sc.name, session.model),
                    }}
                </span>
                <span class="spacer"></span>
                <CheckpointBar on_export={{ let s = session.clone(); Callback::from(move |_| s.export()) }}
                    on_import={{ let s = session.clone(); Callback::from(move |t| s.dispatch(Action::Import(t))) }}
                    message={session.message.clone().map(AttrValue::from)} />
                <ThemeToggle />
                <button class="help-button" onclick={{ let s = session.clone(); Callback::from(move |_: MouseEvent| s.dispatch(Action::Help(None))) }} aria-label="Keyboard shortcuts (?)"
                    aria-keyshortcuts="?" title="Keyboard shortcuts (?)">{"?"}</button>
            </header>
            <div class="controls">
                <Toolbar status={session.status.clone()} steps={m.steps} rate={session.rate}
                    paused={session.paused.clone().map(AttrValue::from)}
                    on_step={cb(|| Action::Step)} on_run={cb(|| Action::StartRun)}
                    on_step_back={cb(|| Action::StepBack)}
                    on_run_to_switch={cb(|| Action::RunToSwitch)}
                    on_pause={cb(|| Action::Pause)} on_reset={cb(|| Action::Reset)} />
                <span class={classes!("badge", "level", level.name().to_lowercase())} data-testid="level"
                    title="The level whose code runs now">{level.name()}</span>
                <RunOptions stops={session.stops.clone()}
                    on_change={{ let s = session.clone(); Callback::from(move |st| s.dispatch(Action::SetStops(st))) }} />
                <TimeTravelToggle info={travel}
                    on_change={{ let s = session.clone(); Callback::from(move |on| s.dispatch(Action::SetTimeTravel(on))) }} />
                <ShareButton shared={(*shared).clone()} on_share={on_share} on_download={on_download}
                    on_close={{ let s = shared.clone(); Callback::from(move |_| s.set(None)) }} />
            </div>
            if let Some(m) = &*banner {
                <LinkBanner message={m.clone().map(AttrValue::from).map_err(AttrValue::from)}
                    on_close={{ let b = banner.clone(); Callback::from(move |_| b.set(None)) }} />
            }
            <TimelineView data={timeline}
                on_jump={{ let s = session.clone(); Callback::from(move |t| s.dispatch(Action::JumpTo(t))) }} />
            <div class="workspace" ondragover={on_dragover} ondrop={on_drop}>
                <div class="left">
                    <Disassembly lines={shown_lines} rip={rip} breakpoints={session.stops.breakpoints.clone()}
                        level={AttrValue::from(level.name())}
                        on_toggle={{ let s = session.clone(); Callback::from(move |a| s.dispatch(Action::ToggleBreakpoint(a))) }} />
                    <SwitchTrace events={events} total={total} records={records} vmcb_names={vmcb_names}
                        on_select={{ let s = switch_sel.clone(); Callback::from(move |i| s.set(Some(i))) }} />
                </div>
                <div class="right">
                    <Tabs label="Machine state" names={UPPER_TABS.to_vec()} active={*upper}
                        on_select={{ let s = upper.clone(); Callback::from(move |i| s.set(i)) }}>
                        { upper_panel }
                    </Tabs>
                    <Tabs label="Scenario, console and source" names={LOWER_TABS.to_vec()} active={*lower}
                        on_select={{ let s = lower.clone(); Callback::from(move |i| s.set(i)) }}>
                        { lower_panel }
                    </Tabs>
                </div>
            </div>
            if session.help {
                <ShortcutsOverlay on_close={cb(|| Action::Help(Some(false)))} />
            }
        </main>
        </ContextProvider<OpenRef>>
    }
}
