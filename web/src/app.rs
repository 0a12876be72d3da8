//! The root component: owns the session reducer and lays out the panels.
use crate::components::checkpoint_bar::CheckpointBar;
use crate::components::compare_view::CompareView;
use crate::components::console::Console;
use crate::components::disassembly::{Disassembly, listing};
use crate::components::editor::Editor;
use crate::components::memory_view::{MemoryView, dump};
use crate::components::model_picker::ModelPicker;
use crate::components::page_walk::{AccessKind, PageWalk};
use crate::components::pat_layers_view::PatLayersView;
use crate::components::registers::Registers;
use crate::components::scenario_picker::ScenarioPicker;
use crate::components::switch_trace::{MAX_SHOWN, SwitchTrace, exit_text, kind_name};
use crate::components::toolbar::Toolbar;
use crate::components::vmcb_view::{VmcbView, effective};
use crate::state::{Action, Session, Status, load_catalog, regs_now};
use crate::switches::{SwitchRecord, VmcbRole, read_page};
use nestscope_core::machine::LOAD_ADDR;
use nestscope_core::mem::{Gva, Hpa};
use nestscope_core::sim::Sim;
use nestscope_core::Model;
use std::rc::Rc;
use std::time::Duration;
use yew::prelude::*;

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

#[function_component(App)]
pub fn app() -> Html {
    let session = use_reducer(|| Session::open(load_catalog(), 0));
    // Keyed by the program bytes: another scenario's program may have the same generation.
    let lines = use_memo(session.program.clone(), |program| Rc::new(listing(program, LOAD_ADDR)));

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

    let mem_addr = use_state(|| LOAD_ADDR);
    let mem_linear = use_state(|| false);
    let vmcb_sel = use_state(|| None::<VmcbRole>);
    let walk_addr = use_state(|| None::<u64>);
    let walk_access = use_state(|| AccessKind::Fetch);
    let pat_gva = use_state(|| None::<u64>);
    let cmp_models = use_state(|| (Model::DEFAULT, Model::L0(nestscope_core::hv::gpat::Design::KvmMerged)));
    let cmp_result = use_state(|| None::<Result<nestscope_core::compare::Comparison, String>>);
    let sim = session.sim.borrow();
    let tracker = session.tracker.borrow();
    let m = sim.machine();
    let kvm = matches!(&*sim, Sim::Kvm(_));
    let level = sim.level();
    let (l1, l2) = regs_now(&sim);
    let rows = dump(m, *mem_addr, *mem_linear);

    // VMCB panel: the chosen VMCB now, and how the last world switch changed it.
    let choices = sim.vmcbs();
    let shown = effective(&choices, *vmcb_sel);
    let page = shown.map_or_else(|| Rc::new(vec![0u8; 0x1000]), |(_, a)| read_page(&sim, a));
    let last = tracker.last();
    let change = last.zip(shown).and_then(|(r, (_, a))| r.change_of(Hpa(a.0 & !0xfff)).cloned());
    let change_label = last.map(|r| switch_label(&sim, r)).unwrap_or_default();
    let vmcb_names: Vec<(Hpa, String)> = choices.iter().map(|(r, a)| (Hpa(a.0 & !0xfff), r.name(kvm).to_string())).collect();

    // World-switch trace: the newest events.
    let total = m.events.len();
    let from = total.saturating_sub(MAX_SHOWN);
    let events = Rc::new(m.events.since(from).map(|(i, e)| (i, e.clone())).collect::<Vec<_>>());
    let records = Rc::new(tracker.records.iter().cloned().collect::<Vec<_>>());

    // Page walk of the level that runs now.
    let rip = m.cpu.regs.rip;
    let waddr = walk_addr.unwrap_or(rip);
    let report = m.memtype_of(Gva(waddr), walk_access.access(m.cpu.cpl == 3));

    // PAT layers of an L2 access (default: L2's next instruction fetch).
    let pgva = pat_gva.unwrap_or(rip);
    let layers = nestscope_core::pat_layers::pat_layers(&sim, pgva, walk_access.access(m.cpu.cpl == 3));

    // Lockstep comparison of the loaded program under two models.
    let on_compare = {
        let (program, models, result) = (session.program.clone(), cmp_models.clone(), cmp_result.clone());
        let cfg = session.scenario().machine.clone();
        Callback::from(move |_| {
            let c = nestscope_core::compare::compare(
                &program,
                [models.0, models.1],
                cfg.mem_mib,
                cfg.max_steps,
                &nestscope_core::hv::L0Config::default(),
            );
            result.set(Some(c.map_err(|e| e.to_string())));
        })
    };

    let cb = |a: fn() -> Action| {
        let s = session.clone();
        Callback::from(move |_| s.dispatch(a()))
    };
    let sc = session.scenario();
    html! {
        <main class="app">
            <header>
                <h1>{"nestscope"}</h1>
                <span class="subtitle">{"AMD SVM nested virtualization explorer"}</span>
                <span class="program">{format!("scenario: {} · model: {}", sc.name, session.model)}</span>
            </header>
            <div class="controls">
                <Toolbar status={session.status.clone()} steps={m.steps} rate={session.rate}
                    on_step={cb(|| Action::Step)} on_run={cb(|| Action::StartRun)}
                    on_run_to_switch={cb(|| Action::RunToSwitch)}
                    on_pause={cb(|| Action::Pause)} on_reset={cb(|| Action::Reset)} />
                <ModelPicker current={session.model} scenario_models={sc.models.clone()}
                    on_select={{ let s = session.clone(); Callback::from(move |m| s.dispatch(Action::SelectModel(m))) }} />
            </div>
            <CheckpointBar on_export={{ let s = session.clone(); Callback::from(move |_| s.export()) }}
                on_import={{ let s = session.clone(); Callback::from(move |t| s.dispatch(Action::Import(t))) }}
                message={session.message.clone().map(AttrValue::from)} />
            <div class="panels">
                <div class="column">
                    <Disassembly lines={(*lines).clone()} rip={rip} />
                    <SwitchTrace events={events} total={total} records={records} vmcb_names={vmcb_names} />
                    <VmcbView choices={choices.clone()} selected={*vmcb_sel} kvm={kvm} page={page} change={change}
                        change_label={AttrValue::from(change_label)}
                        on_select={{ let s = vmcb_sel.clone(); Callback::from(move |r| s.set(Some(r))) }} />
                    <Editor scenario={AttrValue::from(sc.name.clone())} source={AttrValue::from(session.source.clone())}
                        edited={session.edited} errors={session.asm_errors.clone()}
                        on_edit={{ let s = session.clone(); Callback::from(move |t| s.dispatch(Action::Edit(t))) }}
                        on_assemble={cb(|| Action::Assemble)} on_revert={cb(|| Action::Revert)} />
                </div>
                <div class="column">
                    <ScenarioPicker scenarios={session.scenarios.clone()} current={session.current}
                        model={session.model} outcome={session.outcome.clone()}
                        on_select={{ let s = session.clone(); Callback::from(move |i| s.dispatch(Action::SelectScenario(i))) }} />
                    <Registers level={level} l1={l1} prev_l1={session.prev_l1.clone()} l2={l2} prev_l2={session.prev_l2.clone()} />
                    <Console text={AttrValue::from(String::from_utf8_lossy(&m.console).into_owned())} />
                    <MemoryView rows={rows} addr={*mem_addr} linear={*mem_linear}
                        on_addr={{ let s = mem_addr.clone(); Callback::from(move |a| s.set(a)) }}
                        on_linear={{ let s = mem_linear.clone(); Callback::from(move |l| s.set(l)) }} />
                </div>
            </div>
            <div class="panels wide">
                <PageWalk addr={waddr} follows_rip={walk_addr.is_none()} access={*walk_access} level={level} kvm={kvm}
                    report={report}
                    on_addr={{ let s = walk_addr.clone(); Callback::from(move |a| s.set(a)) }}
                    on_access={{ let s = walk_access.clone(); Callback::from(move |k| s.set(k)) }} />
            </div>
            <div class="panels">
                <PatLayersView gva={pgva} layers={layers}
                    on_gva={{ let s = pat_gva.clone(); Callback::from(move |a| s.set(Some(a))) }} />
                <CompareView models={(*cmp_models).clone()} result={(*cmp_result).clone()}
                    on_models={{ let (s, r) = (cmp_models.clone(), cmp_result.clone()); Callback::from(move |m| { s.set(m); r.set(None); }) }}
                    on_compare={on_compare} />
            </div>
        </main>
    }
}
