//! Model selector: the seven CONTRACT §2 models; picking one reloads the program under it.
use nestscope_core::sim::MODELS;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ModelPickerProps {
    pub current: AttrValue,
    /// Models the scenario lists (marked in the list; every model can be picked).
    #[prop_or_default]
    pub scenario_models: Vec<String>,
    pub on_select: Callback<String>,
}

/// What a model means, in one line (CONTRACT §2).
pub fn model_summary(name: &str) -> &'static str {
    match name {
        "bare" => "hardware model, APM reading: gPAT a separate register loaded at VMRUN with NP",
        "bare-swap" => "hardware model, Bochs reading: the PAT MSR is swapped with G_PAT at VMRUN/#VMEXIT",
        "bare-qemu" => "hardware model, QEMU TCG reading: G_PAT ignored, one PAT shared by L1 and L2",
        "kvm-legacy" => "L1 under modelled KVM before the gPAT series (shared-PAT quirk on)",
        "kvm-rfc" => "L1 under modelled KVM, Nov 2025 RFC: hidden gPAT, L2's PAT MSR accesses redirected",
        "kvm-swap" => "L1 under modelled KVM, Jan 2026 v1 swap design",
        "kvm-merged" => "L1 under modelled KVM, merged v8 with the quirk disabled",
        _ => "unknown model",
    }
}

#[function_component(ModelPicker)]
pub fn model_picker(p: &ModelPickerProps) -> Html {
    let onchange = {
        let cb = p.on_select.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            cb.emit(sel.value());
        })
    };
    html! {
        <label class="model-picker" title={model_summary(&p.current)}>
            {"model "}
            // Keyed by the model: a fresh element shows a model set from outside (an imported
            // checkpoint) even after the user picked another one.
            <select key={p.current.to_string()} {onchange} aria-label="Model" data-testid="model-select">
                { for MODELS.iter().map(|m| {
                    let listed = p.scenario_models.iter().any(|s| s == m);
                    html! {
                        <option value={*m} selected={p.current == *m}>
                            {if listed { format!("{m} ✓") } else { m.to_string() }}
                        </option>
                    }
                }) }
            </select>
            <span class="model-summary">{model_summary(&p.current)}</span>
        </label>
    }
}
