//! The save/restore control (the CLI's `--migrate-at/--migrate-to/--restore-order`): at which
//! step the VMM saves the vCPU the way KVM userspace does, into which KVM design it restores it
//! and in which order; Apply starts the run again with it. After the restore it says what was
//! lost (the seed's fourth problem).
use nestscope_core::compare::MigratePlan;
use nestscope_core::hv::gpat::Design;
use nestscope_core::hv::migrate::Migration;
use nestscope_core::hv::nested_state::SaveOrder;
use nestscope_core::Model;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MigrateBarProps {
    pub model: Model,
    pub plan: Option<MigratePlan>,
    pub migration: Option<Migration>,
    pub on_change: Callback<Option<MigratePlan>>,
}

const ORDERS: [SaveOrder; 2] = [SaveOrder::MsrsFirst, SaveOrder::NestedStateFirst];

#[function_component(MigrateBar)]
pub fn migrate_bar(p: &MigrateBarProps) -> Html {
    let Model::L0(own) = p.model else {
        return html! { <p class="note migrate" data-testid="migrate-bar">{"Save/restore: only a kvm-* model has a KVM userspace to save and restore the vCPU."}</p> };
    };
    let on = use_state(|| p.plan.is_some());
    let at = use_state(|| p.plan.map_or(20_000, |x| x.at));
    let to = use_state(|| p.plan.map_or(own, |x| x.to));
    let order = use_state(|| p.plan.map_or(SaveOrder::MsrsFirst, |x| x.order));
    // A new plan from outside (another scenario or model): the form follows it.
    {
        let (on, at, to, order) = (on.clone(), at.clone(), to.clone(), order.clone());
        use_effect_with((p.plan, own), move |(plan, own)| {
            on.set(plan.is_some());
            at.set(plan.map_or(20_000, |x| x.at));
            to.set(plan.map_or(*own, |x| x.to));
            order.set(plan.map_or(SaveOrder::MsrsFirst, |x| x.order));
        });
    }
    let apply = {
        let (on, at, to, order, cb) = (on.clone(), at.clone(), to.clone(), order.clone(), p.on_change.clone());
        Callback::from(move |_: MouseEvent| cb.emit(on.then_some(MigratePlan { at: *at, to: *to, order: *order })))
    };
    let status = match (&p.migration, &p.plan) {
        (Some(m), _) => html! { <span class="migrated" data-testid="migrate-status">{format!("done {}", crate::migration::migration_text(m))}</span> },
        (None, Some(x)) => html! { <span data-testid="migrate-status">{format!("pending: {}", crate::migration::plan_text(x))}</span> },
        (None, None) => html! { <span data-testid="migrate-status">{"no save/restore in this run"}</span> },
    };
    html! {
        <div class="migrate" data-testid="migrate-bar" role="group" aria-label="Save/restore">
            <label><input type="checkbox" checked={*on} data-testid="migrate-on"
                onchange={{ let on = on.clone(); Callback::from(move |e: Event| { let i: web_sys::HtmlInputElement = e.target_unchecked_into(); on.set(i.checked()); }) }} />
                {" Save/restore at step "}</label>
            <input type="number" min="0" value={at.to_string()} aria-label="Save/restore at step" data-testid="migrate-at" size="8"
                onchange={{ let at = at.clone(); Callback::from(move |e: Event| { let i: web_sys::HtmlInputElement = e.target_unchecked_into(); if let Ok(v) = i.value().parse() { at.set(v); } }) }} />
            {" into "}
            <select aria-label="Restore into design" data-testid="migrate-to"
                onchange={{ let to = to.clone(); Callback::from(move |e: Event| { let s: web_sys::HtmlSelectElement = e.target_unchecked_into(); if let Some(d) = Design::from_name(&s.value()) { to.set(d); } }) }}>
                { for Design::ALL.iter().map(|d| html! { <option value={d.name()} selected={*d == *to}>{d.name()}</option> }) }
            </select>
            {" order "}
            <select aria-label="Restore order" data-testid="migrate-order"
                onchange={{ let order = order.clone(); Callback::from(move |e: Event| { let s: web_sys::HtmlSelectElement = e.target_unchecked_into(); if let Some(o) = SaveOrder::from_name(&s.value()) { order.set(o); } }) }}>
                { for ORDERS.iter().map(|o| html! { <option value={o.name()} selected={*o == *order}>{o.name()}</option> }) }
            </select>
            <button onclick={apply} data-testid="migrate-apply" title="Starts the run again with this save/restore">{"Apply"}</button>
            {" "}{ status }
        </div>
    }
}
