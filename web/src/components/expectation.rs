//! The scenario's expectation for the selected model (exit, code, console, steps, registers,
//! events, migration, note) and, once the run ended, whether it matched (`scenario::run::mismatches`).
use crate::state::Outcome;
use nestscope_core::scenario::Expectation;
use nestscope_core::Model;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExpectationViewProps {
    pub model: Model,
    pub expectation: Option<Expectation>,
    #[prop_or_default]
    pub outcome: Option<Outcome>,
}

/// The expectation as (what, expected value) rows, in the order of the scenario format.
pub fn rows(e: &Expectation) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(x) = &e.exit {
        v.push(("exit", x.clone()));
    }
    if let Some(c) = e.code {
        v.push(("code", c.to_string()));
    }
    if let Some(c) = &e.console {
        v.push(("console", format!("{c:?}")));
    }
    if let Some(s) = e.steps {
        v.push(("steps", s.to_string()));
    }
    if !e.regs.is_empty() {
        v.push(("regs", e.regs.iter().map(|(r, x)| format!("{r} = {x}")).collect::<Vec<_>>().join(", ")));
    }
    if let Some(ev) = &e.events {
        v.push(("events", if ev.is_empty() { "none".into() } else { ev.join(" · ") }));
    }
    if let Some(m) = &e.migrate {
        let to = m.to.as_deref().map(|t| format!(" to {t}")).unwrap_or_default();
        let order = m.order.as_deref().map(|o| format!(", {o}")).unwrap_or_default();
        v.push(("migrate", format!("save/restore at step {}{to}{order}", m.at)));
    }
    if let Some(l) = &e.lost {
        v.push(("lost", if l.is_empty() { "nothing".into() } else { l.join(", ") }));
    }
    v
}

#[function_component(ExpectationView)]
pub fn expectation_view(p: &ExpectationViewProps) -> Html {
    let Some(e) = &p.expectation else {
        return html! {
            <div class="expectation" data-testid="expectation">
                <p class="dim">{format!("The scenario states no expectation for {}.", p.model)}</p>
            </div>
        };
    };
    let outcome = p.outcome.as_ref().filter(|o| o.model == p.model);
    html! {
        <div class="expectation" data-testid="expectation">
            <h3>{format!("Expected under {}", p.model)}</h3>
            <table>
                { for rows(e).into_iter().map(|(k, v)| html! {
                    <tr data-exp={k}><th>{k}</th><td class="mono">{v}</td></tr>
                }) }
            </table>
            if !e.note.trim().is_empty() {
                <p class="notes">{e.note.split_whitespace().collect::<Vec<_>>().join(" ")}</p>
            }
            { match outcome {
                None => html! { <p class="dim" data-testid="verdict">{"Run the program to the end to check it."}</p> },
                Some(o) if o.mismatches.is_empty() => html! {
                    <p class="verdict ok" data-testid="verdict">{"✓ the run matched the expectation"}</p>
                },
                Some(o) => html! {
                    <div class="verdict bad" data-testid="verdict">
                        <p>{format!("✗ the run differs in {} point(s):", o.mismatches.len())}</p>
                        <ul class="mono">{ for o.mismatches.iter().map(|m| html! { <li>{m.clone()}</li> }) }</ul>
                    </div>
                },
            } }
            if let Some(c) = outcome.and_then(|o| o.caveat.clone()) {
                <p class="caveat" data-testid="caveat">{format!("Note: {c}.")}</p>
            }
        </div>
    }
}
