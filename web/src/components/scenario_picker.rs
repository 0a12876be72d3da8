//! Scenario picker (in the toolbar): choose a catalog scenario.
use nestscope_core::scenario::Scenario;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ScenarioPickerProps {
    pub scenarios: Rc<Vec<Scenario>>,
    pub current: usize,
    pub on_select: Callback<usize>,
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
        <label class="scenario-picker" title={format!("{} — {}", sc.name, sc.title)}>
            {"scenario "}
            // Keyed by the scenario: a fresh element shows a scenario set from outside (the URL).
            <select key={sc.name.clone()} {onchange} aria-label="Scenario" data-testid="scenario-select">
                { for p.scenarios.iter().enumerate().map(|(i, s)| html! {
                    <option value={i.to_string()} selected={i == p.current}>{format!("{} — {}", s.name, s.title)}</option>
                }) }
            </select>
        </label>
    }
}
