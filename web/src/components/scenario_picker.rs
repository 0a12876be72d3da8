//! Scenario picker: choose a catalog scenario; shows its description, teaching notes and the
//! expectation for the selected model with the verdict of the last finished run.
use crate::components::expectation::ExpectationView;
use crate::state::Outcome;
use nestscope_core::scenario::Scenario;
use nestscope_core::Model;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ScenarioPickerProps {
    pub scenarios: Rc<Vec<Scenario>>,
    pub current: usize,
    pub on_select: Callback<usize>,
    /// The model the program runs under.
    #[prop_or_default]
    pub model: Model,
    #[prop_or_default]
    pub outcome: Option<Outcome>,
}

/// Text with blank-line-separated paragraphs; single newlines are just spaces.
fn paragraphs(text: &str, class: &'static str) -> Html {
    text.trim()
        .split("\n\n")
        .map(|p| html! { <p class={class}>{p.split_whitespace().collect::<Vec<_>>().join(" ")}</p> })
        .collect()
}

#[function_component(ScenarioPicker)]
pub fn scenario_picker(p: &ScenarioPickerProps) -> Html {
    let onchange = {
        let cb = p.on_select.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(i) = sel.value().parse::<usize>() {
                cb.emit(i);
            }
        })
    };
    let sc = &p.scenarios[p.current];
    html! {
        <section class="panel scenario" aria-label="Scenario">
            <h2>{"Scenario"}</h2>
            <select {onchange} aria-label="Scenario" data-testid="scenario-select">
                { for p.scenarios.iter().enumerate().map(|(i, s)| html! {
                    <option value={i.to_string()} selected={i == p.current}>{format!("{} — {}", s.name, s.title)}</option>
                }) }
            </select>
            { paragraphs(&sc.description, "description") }
            if !sc.teaching_notes.trim().is_empty() {
                <details open=true>
                    <summary>{"Teaching notes"}</summary>
                    { paragraphs(&sc.teaching_notes, "notes") }
                </details>
            }
            <div class="models">{format!("models: {}", sc.models.iter().map(|m| m.name()).collect::<Vec<_>>().join(", "))}</div>
            <ExpectationView model={p.model} expectation={sc.expect.get(&p.model).cloned()}
                outcome={p.outcome.clone()} />
        </section>
    }
}
