//! Time travel on/off next to the toolbar, with what going back can do now: how many snapshots
//! the core keeps, that it replays from the start when off, and how far back an imported run
//! reaches.
use crate::travel::TravelInfo;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TimeTravelProps {
    pub info: TravelInfo,
    pub on_change: Callback<bool>,
}

#[function_component(TimeTravelToggle)]
pub fn time_travel_toggle(p: &TimeTravelProps) -> Html {
    let on_change = {
        let cb = p.on_change.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            cb.emit(input.checked());
        })
    };
    let text = p.info.text();
    html! {
        <span class="time-travel">
            <label title="Time travel: the core keeps snapshots of the run (every few thousand steps and at every world switch), so Step back and a timeline jump restore the nearest one and replay only from there. Off: no snapshots, going back replays from the start.">
                <input type="checkbox" checked={p.info.on} onchange={on_change} data-testid="time-travel" />
                {"time travel"}
            </label>
            <span class={classes!("travel-state", (!p.info.on || p.info.first > 0).then_some("limited"))}
                data-testid="travel-state" title={text.clone()}>{text.trim_start_matches("time travel").trim_start_matches(':').trim()}</span>
        </span>
    }
}
