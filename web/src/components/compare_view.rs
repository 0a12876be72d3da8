//! Compare view: runs the loaded program under two models in lockstep, in time slices
//! (compare_run.rs) with progress, Pause/Resume/Cancel, and shows the first point where what L1
//! or L2 observes differs (VMCB bytes named by field), that they agree, or that the step limit
//! ended the comparison first.
use crate::compare_run::{self, Phase, Progress, RunnerRef};
use nestscope_core::compare::{Comparison, Lockstep};
use nestscope_core::scenario::MachineConfig;
use nestscope_core::scenario::run::l0_config;
use nestscope_core::Model;
use yew::prelude::*;

/// Starts comparing `program` under `models` with the scenario's machine (RAM, step limit, L0).
pub fn start_compare(r: &RunnerRef, program: &[u8], models: [Model; 2], cfg: &MachineConfig) {
    let l = l0_config(cfg)
        .map_err(|e| e.to_string())
        .and_then(|l0| Lockstep::new(program, models, cfg.mem_mib, cfg.max_steps, &l0).map_err(|e| e.to_string()));
    match l {
        Ok(l) => compare_run::start(r, l),
        Err(e) => compare_run::fail(r, e),
    }
}

/// Registers a re-render of the calling component after every slice of `runner` (undone when
/// it unmounts: a hidden panel costs nothing while the comparison goes on).
#[hook]
pub fn use_runner(runner: &RunnerRef) -> (Phase, Progress) {
    let update = use_force_update();
    {
        let r = runner.clone();
        use_effect_with((), move |_| {
            r.borrow_mut().on_slice = Callback::from(move |_| update.force_update());
            move || r.borrow_mut().on_slice = Callback::noop()
        });
    }
    let g = runner.borrow();
    (g.phase.clone(), g.progress)
}

/// "comparing… 120 000 of 1 000 000 instructions (12 %)" with Pause/Resume and Cancel.
pub fn progress_html(runner: &RunnerRef, phase: &Phase, p: &Progress, what: &str) -> Html {
    let pct = p.steps.saturating_mul(100).checked_div(p.max).unwrap_or(0).min(100);
    let button = |label: &'static str, f: fn(&RunnerRef)| {
        let r = runner.clone();
        html! { <button onclick={Callback::from(move |_: MouseEvent| f(&r))}>{label}</button> }
    };
    match phase {
        Phase::Running | Phase::Paused => html! {
            <div class="compare-progress" data-testid={format!("{what}-progress")} role="status">
                <progress max={p.max.to_string()} value={p.steps.to_string()} aria-label={format!("{what} progress")}></progress>
                <span>{format!("{} {} of {} instructions ({pct} %)", if *phase == Phase::Paused { "paused at" } else { "comparing…" }, p.steps, p.max)}</span>
                if *phase == Phase::Running { { button("Pause", compare_run::pause) } } else { { button("Resume", compare_run::resume) } }
                { button("Cancel", compare_run::cancel) }
            </div>
        },
        Phase::Cancelled => html! { <p class="note" data-testid={format!("{what}-progress")}>{format!("cancelled after {} instructions", p.steps)}</p> },
        _ => html! {},
    }
}

#[derive(Properties, PartialEq)]
pub struct CompareResultProps {
    pub result: Result<Comparison, String>,
}

/// A finished comparison: the divergence table, agreement, or the step limit (never silent).
#[function_component(CompareResult)]
pub fn compare_result(p: &CompareResultProps) -> Html {
    let c = match &p.result {
        Err(e) => return html! { <p class="error" data-testid="compare-result">{e.clone()}</p> },
        Ok(c) => c,
    };
    let migrations = c.migrations.iter().map(|m| {
        html! { <p class="note migrated">{format!("{}: {}", c.models[m.side], crate::migration::migration_text(&m.migration))}</p> }
    });
    let body = match &c.divergence {
        None if c.limit_reached => html! {
            <p class="limit" data-testid="compare-result">
                <strong>{"Step limit reached: "}</strong>
                {format!("{} and {} agree on the first {} instructions, and the limit (the scenario's max_steps) ended the comparison before either run ended — nothing is known of what follows.", c.models[0], c.models[1], c.steps)}
            </p>
        },
        None => html! {
            <p class="agree" data-testid="compare-result">
                {format!("{} and {} agree on all {} instructions (ends: {} / {})", c.models[0], c.models[1], c.steps, c.ends[0], c.ends[1])}
            </p>
        },
        Some(d) => html! {
            <div class="divergence" data-testid="compare-result">
                <p><strong>{format!("First divergence at step {}", d.step)}</strong>
                   {format!(" — {} at {}: ", d.level, d.rip)}<code>{d.instruction.clone()}</code></p>
                <table>
                    <tr><th>{"what"}</th><th>{c.models[0].name()}</th><th>{c.models[1].name()}</th></tr>
                    { for d.differences.iter().map(|line| {
                        let (what, rest) = line.split_once(": ").unwrap_or((line.as_str(), ""));
                        let (a, b) = rest.split_once(" vs ").unwrap_or((rest, ""));
                        html! { <tr class="differs" data-what={what.to_string()}><td>{what}</td><td class="mono">{a}</td><td class="mono">{b}</td></tr> }
                    }) }
                </table>
            </div>
        },
    };
    html! { <>{ for migrations }{ body }</> }
}

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub models: (Model, Model),
    pub runner: RunnerRef,
    pub on_models: Callback<(Model, Model)>,
    pub on_compare: Callback<()>,
}

#[function_component(CompareView)]
pub fn compare_view(p: &CompareProps) -> Html {
    let (phase, progress) = use_runner(&p.runner);
    let select = |which: usize| {
        let (cb, cur) = (p.on_models.clone(), p.models);
        Callback::from(move |e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let Ok(v) = s.value().parse::<Model>() else { return };
            cb.emit(if which == 0 { (v, cur.1) } else { (cur.0, v) });
        })
    };
    let options = |cur: &Model| -> Html {
        Model::ALL.iter().map(|m| html! { <option value={m.name()} selected={cur == m}>{m.name()}</option> }).collect()
    };
    let go = {
        let cb = p.on_compare.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let busy = matches!(phase, Phase::Running | Phase::Paused);
    html! {
        <section class="panel compare" aria-label="Compare">
            <h2>{"Compare models"}</h2>
            <div class="compare-controls">
                <select aria-label="First model" onchange={select(0)} disabled={busy}>{ options(&p.models.0) }</select>
                {" vs "}
                <select aria-label="Second model" onchange={select(1)} disabled={busy}>{ options(&p.models.1) }</select>
                <button onclick={go} disabled={busy}>{"Compare"}</button>
            </div>
            { progress_html(&p.runner, &phase, &progress, "compare") }
            if let Phase::Done(r) = &phase {
                <CompareResult result={r.clone()} />
                <p class="note" data-testid="compare-slices">
                    {format!("{} instructions in {} slices, the longest {:.0} ms", progress.steps, progress.slices, progress.longest_ms)}
                </p>
            }
        </section>
    }
}
