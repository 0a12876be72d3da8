//! Model selector: the seven CONTRACT §2 models; picking one reloads the program under it. The
//! descriptions are the core's (`Model::summary`).
use nestscope_core::Model;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ModelPickerProps {
    pub current: Model,
    /// Models the scenario lists (marked in the list; every model can be picked).
    #[prop_or_default]
    pub scenario_models: Vec<Model>,
    pub on_select: Callback<Model>,
}

#[function_component(ModelPicker)]
pub fn model_picker(p: &ModelPickerProps) -> Html {
    let onchange = {
        let cb = p.on_select.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(m) = sel.value().parse::<Model>() {
                cb.emit(m);
            }
        })
    };
    let summary = p.current.summary();
    html! {
        <label class="model-picker" title={summary.clone()}>
            {"model "}
            // Keyed by the model: a fresh element shows a model set from outside (an imported
            // checkpoint) even after the user picked another one.
            <select key={p.current.name()} {onchange} aria-label="Model" data-testid="model-select">
                { for Model::ALL.iter().map(|m| {
                    let listed = p.scenario_models.contains(m);
                    html! {
                        <option value={m.name()} selected={p.current == *m} title={m.summary()}>
                            {if listed { format!("{m} ✓") } else { m.to_string() }}
                        </option>
                    }
                }) }
            </select>
            <span class="model-summary">{summary}</span>
        </label>
    }
}
