//! The Reference panel: the project's reference documents (docs/reference, embedded) rendered
//! as markdown, one at a time; a citation clicked in the teaching notes opens the document of
//! its section and scrolls to the section's heading.
use crate::help::{REFERENCE, doc_of, title};
use crate::markdown::render;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ReferenceProps {
    /// The section to show ("9.7"), from a citation; `None`: the document picked last.
    #[prop_or_default]
    pub section: Option<AttrValue>,
    /// A nonce that changes with every citation click (the same section twice scrolls again).
    #[prop_or_default]
    pub nonce: u64,
}

#[function_component(ReferenceView)]
pub fn reference_view(p: &ReferenceProps) -> Html {
    let doc = use_state(|| p.section.as_deref().and_then(doc_of).unwrap_or(0));
    {
        let (doc, sec) = (doc.clone(), p.section.clone());
        use_effect_with((sec, p.nonce), move |(sec, _)| {
            if let Some(d) = sec.as_deref().and_then(doc_of) {
                doc.set(d);
            }
        });
    }
    // Once the document is in the page: scroll to the cited heading (or its nearest parent).
    {
        let sec = p.section.clone();
        use_effect_with((*doc, sec, p.nonce), move |(_, sec, _)| {
            let Some(sec) = sec.as_deref() else { return };
            let Some(d) = web_sys::window().and_then(|w| w.document()) else { return };
            let mut s = sec.to_string();
            loop {
                if let Some(el) = d.get_element_by_id(&format!("ref-{s}")) {
                    let _ = el.set_attribute("data-cited", "true");
                    if let Ok(h) = el.dyn_into::<web_sys::HtmlElement>() {
                        h.scroll_into_view();
                    }
                    return;
                }
                match s.rfind('.') {
                    Some(i) => s.truncate(i),
                    None => return,
                }
            }
        });
    }
    let onchange = {
        let doc = doc.clone();
        Callback::from(move |e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(i) = s.value().parse::<usize>() {
                doc.set(i);
            }
        })
    };
    let (file, text) = REFERENCE.get(*doc).copied().unwrap_or(("", ""));
    html! {
        <section class="panel reference" aria-label="Reference" data-testid="reference">
            <label>{"Document "}
                <select aria-label="Reference document" {onchange} data-testid="reference-doc">
                    { for REFERENCE.iter().enumerate().map(|(i, (_, t))| html! {
                        <option value={i.to_string()} selected={i == *doc}>{title(t).to_string()}</option>
                    }) }
                </select>
            </label>
            <p class="note">{format!("docs/reference/{file}")}</p>
            <div class="reference-text">{ render(text, "ref") }</div>
        </section>
    }
}
