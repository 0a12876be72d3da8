//! Scenario panel: the scenario's description, teaching notes (markdown: tables, lists, code)
//! and the expectation for the selected model with the verdict of the last finished run, then
//! what the app adds (the save/restore control, "What to look at", the memory-type grid).
use crate::components::expectation::ExpectationView;
use crate::markdown::render;
use crate::state::Outcome;
use nestscope_core::scenario::Scenario;
use nestscope_core::Model;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ScenarioViewProps {
    pub scenarios: Rc<Vec<Scenario>>,
    pub current: usize,
    /// The model the program runs under.
    #[prop_or_default]
    pub model: Model,
    #[prop_or_default]
    pub outcome: Option<Outcome>,
    /// Shown after the expectation (the save/restore control, "What to look at", the grid).
    #[prop_or_default]
    pub children: Html,
}

#[function_component(ScenarioView)]
pub fn scenario_view(p: &ScenarioViewProps) -> Html {
    let sc = &p.scenarios[p.current];
    html! {
        <section class="panel scenario" aria-label="Scenario">
            <h2>{format!("{} — {}", sc.name, sc.title)}</h2>
            { render(&sc.description, "description") }
            <div class="models">{format!("models: {}", sc.models.iter().map(|m| m.name()).collect::<Vec<_>>().join(", "))}</div>
            <ExpectationView model={p.model} expectation={sc.expect.get(&p.model).cloned()}
                outcome={p.outcome.clone()} />
            { p.children.clone() }
            if !sc.teaching_notes.trim().is_empty() {
                <details open=true>
                    <summary>{"Teaching notes"}</summary>
                    { render(&sc.teaching_notes, "notes") }
                </details>
            }
        </section>
    }
}
