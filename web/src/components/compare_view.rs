//! Compare view: runs the loaded program under two models in lockstep and shows the first point
//! where what L1 or L2 observes differs, highlighted, or that they agree.
use nestscope_core::compare::Comparison;
use nestscope_core::Model;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub models: (Model, Model),
    pub result: Option<Result<Comparison, String>>,
    pub on_models: Callback<(Model, Model)>,
    pub on_compare: Callback<()>,
}

#[function_component(CompareView)]
pub fn compare_view(p: &CompareProps) -> Html {
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
    html! {
        <section class="panel compare" aria-label="Compare">
            <h2>{"Compare models"}</h2>
            <div class="compare-controls">
                <select aria-label="First model" onchange={select(0)}>{ options(&p.models.0) }</select>
                {" vs "}
                <select aria-label="Second model" onchange={select(1)}>{ options(&p.models.1) }</select>
                <button onclick={go}>{"Compare"}</button>
            </div>
            { match &p.result {
                None => html! {},
                Some(Err(e)) => html! { <p class="error" data-testid="compare-result">{e.clone()}</p> },
                Some(Ok(c)) => match &c.divergence {
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
                                    html! { <tr class="differs"><td>{what}</td><td class="mono">{a}</td><td class="mono">{b}</td></tr> }
                                }) }
                            </table>
                        </div>
                    },
                },
            } }
        </section>
    }
}
