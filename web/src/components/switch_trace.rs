//! World-switch trace: every VMRUN and #VMEXIT at every level (kind, from→to, exit code and its
//! name, step, RIP, and its attribution: the decoded cause, who handled it and which bit decided,
//! from the core's `inspect::attribution`), newest last and scrolled into view; a VMRUN that failed
//! is shown as a failure (L1↛L2), not as an entry into L2. Clicking one shows its detail: every
//! intercept/MSRPM/IOPM bit consulted with its address, the failed consistency check of a
//! VMEXIT_INVALID and the VMCB fields that world switch changed (the VMCB panel follows the pick).
use crate::components::vmcb_view::{field_changed, fields_of, hex_value};
use crate::switches::SwitchRecord;
use nestscope_core::svm::checks::CHECKS;
use nestscope_core::svm::exit_code::SvmExitCode;
use nestscope_core::mem::Hpa;
use nestscope_core::svm::explain;
use nestscope_core::inspect::attribution::Attribution;
use nestscope_core::trace::{Event, EventKind};
use std::rc::Rc;
use yew::prelude::*;

/// Events shown at most (the newest).
pub const MAX_SHOWN: usize = 200;

#[derive(Properties, PartialEq)]
pub struct SwitchTraceProps {
    /// (index in the run's event list, event), oldest first; at most [`MAX_SHOWN`].
    pub events: Rc<Vec<(usize, Event)>>,
    /// How many events the run has in all.
    pub total: usize,
    /// World-switch records with the VMCB pages each changed (the newest few hundred).
    #[prop_or_default]
    pub records: Rc<Vec<SwitchRecord>>,
    /// Names of VMCB pages by address (e.g. "vmcb12").
    #[prop_or_default]
    pub vmcb_names: Vec<(Hpa, String)>,
    /// Told the event picked (the VMCB panel shows the VMCBs at that switch).
    #[prop_or_default]
    pub on_select: Callback<usize>,
}

/// True if event `k` of `events` is a VMRUN whose consistency checks failed: the next event is
/// the VMEXIT_INVALID of the same step (APM 15.5.1), so L2 was never entered.
pub fn vmrun_failed(events: &[(usize, Event)], k: usize) -> bool {
    let Some((_, e)) = events.get(k) else { return false };
    e.kind == EventKind::Vmrun
        && events.get(k + 1).is_some_and(|(_, n)| n.kind == EventKind::Vmexit && n.exit_code == SvmExitCode::INVALID.0 && n.step == e.step)
}

/// "L1→L2"; "L1↛L2" for a VMRUN that failed; "L1 (VMRUN failed)" for its VMEXIT_INVALID.
pub fn route_text(e: &Event, failed_vmrun: bool) -> String {
    if failed_vmrun {
        format!("{}↛{}", e.from.name(), e.to.name())
    } else if e.kind == EventKind::Vmexit && e.exit_code == SvmExitCode::INVALID.0 {
        format!("{} (VMRUN failed)", e.to.name())
    } else {
        format!("{}→{}", e.from.name(), e.to.name())
    }
}

/// The row's detail: the attribution's summary when the step's record is kept, else the event's text.
pub fn row_detail(e: &Event, a: Option<&Attribution>) -> String {
    match a {
        Some(a) => a.summary(),
        None => e.detail_text().unwrap_or_default(),
    }
}

pub fn kind_name(k: EventKind) -> &'static str {
    match k {
        EventKind::Vmrun => "VMRUN",
        EventKind::Vmexit => "#VMEXIT",
    }
}

/// "0x81 VMEXIT_VMMCALL" for a #VMEXIT; "" for a VMRUN.
pub fn exit_text(e: &Event) -> String {
    match e.kind {
        EventKind::Vmrun => String::new(),
        EventKind::Vmexit if e.exit_code == SvmExitCode::INVALID.0 => "-1 VMEXIT_INVALID".into(),
        EventKind::Vmexit => format!("{:#x} {}", e.exit_code, SvmExitCode(e.exit_code).name()),
    }
}

/// What the exit table says about a #VMEXIT's code: "VMEXIT_VMMCALL = SVM_EXIT_VMMCALL, intercept
/// VMMCALL (APM 15.9): VMMCALL, the call to the hypervisor"; `None` for a VMRUN or an unknown code.
pub fn exit_meaning(e: &Event) -> Option<String> {
    let x = (e.kind == EventKind::Vmexit).then(|| explain(SvmExitCode(e.exit_code))).flatten()?;
    let linux = x.linux_name.map(|l| format!(" = {l}")).unwrap_or_default();
    let bit = x.intercept.map(|i| format!(", intercept {i}")).unwrap_or_default();
    Some(format!("{}{linux}{bit} (APM {}): {}", x.apm_name, x.section, x.meaning))
}

/// One line per VMCB field the world switch changed: "vmcb12 exit_code: 0x… → 0x…".
pub fn changed_fields(r: &SwitchRecord, names: &[(Hpa, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for c in &r.pages {
        let name = names.iter().find(|n| n.0 == c.addr).map_or_else(|| format!("VMCB {:#x}", c.addr), |n| n.1.clone());
        let (before, after) = (fields_of(&c.before), fields_of(&c.after));
        for ((f, b), (_, a)) in before.iter().zip(after.iter()) {
            if field_changed(f, c) {
                out.push(format!("{name} {}: {} → {}", f.name, hex_value(f, b), hex_value(f, a)));
            }
        }
    }
    out
}

fn detail_of(i: usize, e: &Event, rec: Option<&SwitchRecord>, names: &[(Hpa, String)]) -> Html {
    let check = e.detail.as_ref().and_then(|d| d.failed_check());
    let attribution = rec.and_then(|r| r.attribution_of(i));
    html! {
        <div class="switch-detail" data-testid="switch-detail">
            <h3>{format!("event #{i}: {} {}→{} {}", kind_name(e.kind), e.from.name(), e.to.name(), exit_text(e))}</h3>
            <p>{format!("step {}, RIP {:#x}", e.step, e.rip)}</p>
            if let Some(a) = attribution {
                <ul class="attribution" data-testid="attribution">
                    { for a.lines().into_iter().map(|l| html! { <li>{l}</li> }) }
                </ul>
            }
            if let Some(m) = exit_meaning(e) {
                <p class="dim" data-testid="exit-meaning">{m}</p>
            }
            if let Some(c) = check {
                <p class="failed-check" data-testid="failed-check">
                    {"VMRUN failed the consistency check "}<strong>{c.name}</strong>{format!(" (APM {}): {}", c.apm_section, c.detail)}
                </p>
                if let Some((_, _, cond)) = CHECKS.iter().find(|k| k.0 == c.name) {
                    <p class="dim" data-testid="check-rule">{format!("VMEXIT_INVALID when {cond}.")}</p>
                }
            } else if let Some(d) = &e.detail {
                <p>{d.to_string()}</p>
            }
            if let Some(r) = rec {
                <p class="dim">{format!("the step added {} event(s); VMCB fields it changed:", r.events)}</p>
                <ul class="mono changed-fields">
                    { for changed_fields(r, names).into_iter().map(|l| html! { <li>{l}</li> }) }
                </ul>
            }
        </div>
    }
}

#[function_component(SwitchTrace)]
pub fn switch_trace(p: &SwitchTraceProps) -> Html {
    let selected = use_state(|| None::<usize>);
    // The list follows the newest event (it is newest last).
    let list = use_node_ref();
    {
        let list = list.clone();
        use_effect_with(p.total, move |_| {
            if let Some(el) = list.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let sel = (*selected).filter(|i| p.events.iter().any(|(j, _)| j == i));
    let pick = |i: usize| {
        let (s, cb) = (selected.clone(), p.on_select.clone());
        Callback::from(move |_: MouseEvent| {
            s.set(Some(i));
            cb.emit(i);
        })
    };
    let key = |i: usize| {
        let (s, cb) = (selected.clone(), p.on_select.clone());
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                s.set(Some(i));
                cb.emit(i);
            }
        })
    };
    let runs = nestscope_core::inspect::l0_runs::l0_runs(p.events.iter().map(|(_, e)| e));
    let run_at = |k: usize| runs.iter().find(|r| r.first == k);
    let attribution = |i: usize| p.records.iter().rev().find(|r| r.contains(i)).and_then(|r| r.attribution_of(i));
    html! {
        <section class="panel switches" aria-label="World switches">
            <h2>{"World switches "}<span class="dim">{
                if p.total > p.events.len() { format!("(the last {} of {})", p.events.len(), p.total) } else { format!("({})", p.total) }
            }</span></h2>
            if p.events.is_empty() {
                <p class="dim">{"No VMRUN or #VMEXIT yet."}</p>
            } else {
                <div class="switch-list" ref={list}>
                    <table class="mono" data-testid="switch-list">
                        <tr><th>{"#"}</th><th>{"kind"}</th><th>{"from→to"}</th><th>{"exit code"}</th><th>{"step"}</th><th>{"rip"}</th><th>{"detail"}</th></tr>
                        { for p.events.iter().enumerate().map(|(k, (i, e))| {
                            let failed = vmrun_failed(&p.events, k);
                            let a = attribution(*i);
                            let invalid = e.exit_code == SvmExitCode::INVALID.0;
                            let group = run_at(k).map(|r| html! {
                                <tr class="l0-group" data-testid="l0-group">
                                    <td class="addr">{format!("{}–{}", i, i + r.len - 1)}</td>
                                    <td colspan="6">{format!("▾ {} (steps {}–{})", r.summary(), r.steps.0, r.steps.1)}</td>
                                </tr>
                            });
                            html! { <>
                            { for group }
                            <tr class={classes!((sel == Some(*i)).then_some("selected"), invalid.then_some("invalid"), failed.then_some("failed-vmrun"))}
                                onclick={pick(*i)} onkeydown={key(*i)} tabindex="0" aria-selected={(sel == Some(*i)).to_string()} data-event={i.to_string()}>
                                <td class="addr">{i}</td>
                                <td>{kind_name(e.kind)}</td>
                                <td title={if failed { "VMRUN failed its consistency checks: L2 was not entered" } else { "" }}>{route_text(e, failed)}</td>
                                <td title={exit_meaning(e).unwrap_or_default()}>{exit_text(e)}</td>
                                <td>{e.step}</td>
                                <td>{format!("{:#x}", e.rip)}</td>
                                <td class="detail" title={a.map(|a| a.lines().join("\n")).unwrap_or_default()}>{row_detail(e, a)}</td>
                            </tr>
                            </> }}) }
                    </table>
                </div>
            }
            if let Some(i) = sel {
                if let Some((_, e)) = p.events.iter().find(|(j, _)| *j == i) {
                    { detail_of(i, e, p.records.iter().rev().find(|r| r.contains(i)), &p.vmcb_names) }
                }
            }
        </section>
    }
}
