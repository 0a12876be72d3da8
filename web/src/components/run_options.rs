//! Where runs stop: the level filter of "Run to next world switch" and "Break on #VMEXIT" (any
//! exit, or one exit code), next to the toolbar.
use crate::run_until::{Stops, SwitchFilter};
use nestscope_core::svm::exit_code::SvmExitCode;
use yew::prelude::*;

/// The exit codes offered for "Break on #VMEXIT" (the ones the catalog's programs cause).
pub const BREAK_CODES: [SvmExitCode; 9] = [
    SvmExitCode::VMMCALL,
    SvmExitCode::MSR,
    SvmExitCode::IOIO,
    SvmExitCode::NPF,
    SvmExitCode::CPUID,
    SvmExitCode::HLT,
    SvmExitCode::VMRUN,
    SvmExitCode::exception(14),
    SvmExitCode::INVALID,
];

#[derive(Properties, PartialEq)]
pub struct RunOptionsProps {
    pub stops: Stops,
    pub on_change: Callback<Stops>,
}

#[function_component(RunOptions)]
pub fn run_options(p: &RunOptionsProps) -> Html {
    let on_filter = {
        let (cb, s) = (p.on_change.clone(), p.stops.clone());
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let filter = if sel.value() == "any" { SwitchFilter::Any } else { SwitchFilter::L1L2 };
            cb.emit(Stops { filter, ..s.clone() });
        })
    };
    let on_break = {
        let (cb, s) = (p.on_change.clone(), p.stops.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            cb.emit(Stops { on_vmexit: input.checked().then_some(s.on_vmexit.flatten()), ..s.clone() });
        })
    };
    let on_code = {
        let (cb, s) = (p.on_change.clone(), p.stops.clone());
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let code = u64::from_str_radix(sel.value().trim_start_matches("0x"), 16).ok();
            cb.emit(Stops { on_vmexit: Some(code), ..s.clone() });
        })
    };
    let code = p.stops.on_vmexit.flatten();
    html! {
        <div class="run-options">
            <label title="Which world switches stop 'Run to next world switch' and 'Break on #VMEXIT'">
                {"levels "}
                <select onchange={on_filter} data-testid="switch-filter" aria-label="World switches to stop at">
                    <option value="l1l2" selected={p.stops.filter == SwitchFilter::L1L2}>{"L1↔L2 only"}</option>
                    <option value="any" selected={p.stops.filter == SwitchFilter::Any}>{"all (incl. L0)"}</option>
                </select>
            </label>
            <label class="check">
                <input type="checkbox" checked={p.stops.on_vmexit.is_some()} onchange={on_break} data-testid="break-on-vmexit" />
                {"Break on #VMEXIT"}
            </label>
            <select onchange={on_code} disabled={p.stops.on_vmexit.is_none()} aria-label="Exit code to break on"
                data-testid="break-code">
                <option value="any" selected={code.is_none()}>{"any exit"}</option>
                { for BREAK_CODES.iter().map(|c| html! {
                    <option value={format!("{:#x}", c.0)} selected={code == Some(c.0)}>{c.name()}</option>
                }) }
            </select>
            if !p.stops.breakpoints.is_empty() {
                <span class="dim" data-testid="breakpoint-count">{format!("{} breakpoint(s)", p.stops.breakpoints.len())}</span>
            }
        </div>
    }
}
