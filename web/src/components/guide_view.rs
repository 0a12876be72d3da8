//! "What to look at": a seed problem's guided comparison (the scenario's `[guide]` in the
//! catalog): its two models in lockstep, in time slices, up to the first divergence; then where
//! they differ (the register, VMCB field or PAT layer the guide names, with both values), the
//! guide's two sentences, what a save/restore lost, and a button that opens that panel at that
//! step under the second model.
use crate::compare_run::{self, Phase, RunnerRef};
use crate::components::compare_view::{progress_html, use_runner};
use crate::markdown::render;
use nestscope_core::compare::MigratePlan;
use nestscope_core::scenario::{Scenario, guide};
use nestscope_core::Model;
use std::rc::Rc;
use yew::prelude::*;

/// Where "Open … at step N" goes: the model (and its save/restore), the step, the panel.
#[derive(Clone, Debug, PartialEq)]
pub struct GuideJump {
    pub model: Model,
    pub plan: Option<MigratePlan>,
    pub step: u64,
    pub panel: String,
}

/// The guide's save/restore of its second model, if any.
pub fn guide_plan(g: &nestscope_core::scenario::Guide) -> Option<MigratePlan> {
    let (Some(m), Model::L0(d)) = (&g.migrate, g.models[1]) else { return None };
    nestscope_core::scenario::run::migrate_plan(m, d).ok()
}

#[derive(Properties, PartialEq)]
pub struct GuideProps {
    pub scenario: Rc<Scenario>,
    pub runner: RunnerRef,
    pub on_show: Callback<GuideJump>,
}

#[function_component(GuideView)]
pub fn guide_view(p: &GuideProps) -> Html {
    let (phase, progress) = use_runner(&p.runner);
    let Some(g) = p.scenario.guide.clone() else { return html! {} };
    let start = {
        let (sc, r, g) = (p.scenario.clone(), p.runner.clone(), g.clone());
        Callback::from(move |_: MouseEvent| {
            match nestscope_core::scenario::run::assemble(&sc.source).and_then(|prog| guide::lockstep(&sc, &g, &prog)) {
                Ok(l) => compare_run::start(&r, l),
                Err(e) => compare_run::fail(&r, e.to_string()),
            }
        })
    };
    let plan = guide_plan(&g);
    let pair = match &plan {
        Some(pl) => format!("{} vs {} saved and restored at step {} into {}", g.models[0], g.models[1], pl.at, pl.to.name()),
        None => format!("{} vs {}", g.models[0], g.models[1]),
    };
    let busy = matches!(phase, Phase::Running | Phase::Paused);
    let result = match &phase {
        Phase::Done(Err(e)) => html! { <p class="error" data-testid="guide-result">{e.clone()}</p> },
        Phase::Done(Ok(c)) => match &c.divergence {
            None => html! {
                <p class="error" data-testid="guide-result">{format!("{} and {} did not diverge in {} instructions: the guide does not apply to this program", c.models[0], c.models[1], c.steps)}</p>
            },
            Some(d) => {
                let (va, vb) = guide::pointed_values(&g, d).unwrap_or(("?", "?"));
                let jump = GuideJump { model: g.models[1], plan, step: d.step + 1, panel: g.panel.clone() };
                let show = { let cb = p.on_show.clone(); Callback::from(move |_: MouseEvent| cb.emit(jump.clone())) };
                html! {
                    <div class="guide-result" data-testid="guide-result">
                        <p data-testid="guide-where"><strong>{format!("They first differ at step {}", d.step)}</strong>
                            {format!(" — {} at {}: ", d.level, d.rip)}<code>{d.instruction.clone()}</code></p>
                        <p class="guide-point" data-testid="guide-point">
                            {"Look at "}<strong>{g.look_for.clone()}</strong>{format!(" in the {} panel", g.panel)}
                            { for g.pat_layer.as_ref().map(|l| format!(" (PAT layer: {l})")) }
                            {": "}<code>{va.to_string()}</code>{format!(" under {} vs ", c.models[0])}
                            <code>{vb.to_string()}</code>{format!(" under {}", c.models[1])}
                        </p>
                        { for c.migrations.iter().map(|m| html! {
                            <p class="note migrated" data-testid="guide-lost">{format!("{}: {}", c.models[m.side], crate::migration::migration_text(&m.migration))}</p>
                        }) }
                        <div class="guide-explain">{ render(&g.explain, "guide") }</div>
                        <button onclick={show} data-testid="guide-show">{format!("Open {} at step {} under {}", g.panel, d.step + 1, c.models[1])}</button>
                    </div>
                }
            }
        },
        _ => html! {},
    };
    html! {
        <section class="guide" aria-label="What to look at">
            <h3>{"What to look at"}</h3>
            <p class="note">{format!("Runs this scenario under {pair} in lockstep and stops at the first difference.")}</p>
            <button onclick={start} disabled={busy} data-testid="guide-start">{"What to look at"}</button>
            { progress_html(&p.runner, &phase, &progress, "guide") }
            { result }
        </section>
    }
}
