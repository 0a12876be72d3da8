//! The root component: owns the session reducer and lays out the panels.
use crate::components::checkpoint_bar::CheckpointBar;
use crate::components::console::Console;
use crate::components::disassembly::{listing, Disassembly};
use crate::components::editor::Editor;
use crate::components::memory_view::{dump, MemoryView};
use crate::components::registers::Registers;
use crate::components::scenario_picker::ScenarioPicker;
use crate::components::toolbar::Toolbar;
use crate::state::{load_catalog, Action, Session, Status};
use nestscope_core::machine::LOAD_ADDR;
use std::rc::Rc;
use std::time::Duration;
use yew::prelude::*;

#[function_component(App)]
pub fn app() -> Html {
    let session = use_reducer(|| Session::open(load_catalog(), 0));
    let lines = {
        let program = session.program.clone();
        use_memo(session.program_gen, move |_| Rc::new(listing(&program, LOAD_ADDR)))
    };

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
    let m = session.machine.borrow();
    let rows = dump(&m, *mem_addr, *mem_linear);
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
            <Toolbar status={session.status.clone()} steps={m.steps}
                on_step={cb(|| Action::Step)} on_run={cb(|| Action::StartRun)}
                on_pause={cb(|| Action::Pause)} on_reset={cb(|| Action::Reset)} />
            <CheckpointBar on_export={{ let s = session.clone(); Callback::from(move |_| s.export()) }}
                on_import={{ let s = session.clone(); Callback::from(move |t| s.dispatch(Action::Import(t))) }}
                message={session.message.clone().map(AttrValue::from)} />
            <div class="panels">
                <div class="column">
                    <Disassembly lines={(*lines).clone()} rip={m.cpu.regs.rip} />
                    <Editor scenario={AttrValue::from(sc.name.clone())} source={AttrValue::from(session.source.clone())}
                        edited={session.edited} errors={session.asm_errors.clone()}
                        on_edit={{ let s = session.clone(); Callback::from(move |t| s.dispatch(Action::Edit(t))) }}
                        on_assemble={cb(|| Action::Assemble)} on_revert={cb(|| Action::Revert)} />
                </div>
                <div class="column">
                    <ScenarioPicker scenarios={session.scenarios.clone()} current={session.current}
                        on_select={{ let s = session.clone(); Callback::from(move |i| s.dispatch(Action::SelectScenario(i))) }} />
                    <Registers gpr={m.cpu.regs.gpr} prev_gpr={session.prev_gpr} rip={m.cpu.regs.rip}
                        rflags={m.cpu.regs.rflags} prev_rflags={session.prev_rflags} />
                    <MemoryView rows={rows} addr={*mem_addr} linear={*mem_linear}
                        on_addr={{ let s = mem_addr.clone(); Callback::from(move |a| s.set(a)) }}
                        on_linear={{ let s = mem_linear.clone(); Callback::from(move |l| s.set(l)) }} />
                    <Console text={AttrValue::from(String::from_utf8_lossy(&m.console).into_owned())} />
                </div>
            </div>
        </main>
    }
}
