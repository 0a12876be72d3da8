//! The Reference panel: the project's reference documents (docs/reference, served beside the app
//! and fetched the first time the panel opens) rendered as markdown, one at a time; a citation
//! clicked in the teaching notes opens the document of its section and scrolls to its heading.
use crate::help::{FILES, URL_DIR, doc_of, title};
use crate::markdown::render;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The documents' texts in [`FILES`] order, or why they could not be had.
pub type Docs = Rc<Result<Vec<String>, String>>;

thread_local! {
    /// Fetched once per page: the panel may be closed and opened again.
    static FETCHED: RefCell<Option<Docs>> = const { RefCell::new(None) };
}

/// The text of the response `request` (started for `url`) promises.
async fn text_of(url: &str, request: js_sys::Promise) -> Result<String, String> {
    let r = wasm_bindgen_futures::JsFuture::from(request).await.map_err(|e| format!("{url}: {e:?}"))?;
    let r: web_sys::Response = r.dyn_into().map_err(|_| format!("{url}: not a response"))?;
    if !r.ok() {
        return Err(format!("{url}: HTTP {}", r.status()));
    }
    let t = wasm_bindgen_futures::JsFuture::from(r.text().map_err(|e| format!("{url}: {e:?}"))?).await.map_err(|e| format!("{url}: {e:?}"))?;
    t.as_string().ok_or_else(|| format!("{url}: not text"))
}

/// Every document: all requests started at once (the browser runs them concurrently), then
/// each awaited in order.
async fn fetch_all() -> Result<Vec<String>, String> {
    let w = web_sys::window().ok_or("no window")?;
    let started: Vec<(String, js_sys::Promise)> =
        FILES.iter().map(|f| format!("{URL_DIR}/{f}")).map(|u| { let p = w.fetch_with_str(&u); (u, p) }).collect();
    let mut out = Vec::with_capacity(started.len());
    for (u, p) in started {
        out.push(text_of(&u, p).await?);
    }
    Ok(out)
}

#[derive(Properties, PartialEq)]
pub struct ReferenceProps {
    /// The section to show ("9.7"), from a citation; `None`: the document picked last.
    #[prop_or_default]
    pub section: Option<AttrValue>,
    /// A nonce that changes with every citation click (the same section twice scrolls again).
    #[prop_or_default]
    pub nonce: u64,
    /// The documents' texts (tests give them); `None`: fetched from the server.
    #[prop_or_default]
    pub docs: Option<Docs>,
}

#[function_component(ReferenceView)]
pub fn reference_view(p: &ReferenceProps) -> Html {
    let doc = use_state(|| p.section.as_deref().and_then(doc_of).unwrap_or(0));
    let docs = use_state(|| p.docs.clone().or_else(|| FETCHED.with(|f| f.borrow().clone())));
    {
        let docs = docs.clone();
        use_effect_with((), move |_| {
            if docs.is_none() {
                wasm_bindgen_futures::spawn_local(async move {
                    let d: Docs = Rc::new(fetch_all().await);
                    if d.is_ok() {
                        FETCHED.with(|f| *f.borrow_mut() = Some(d.clone()));
                    }
                    docs.set(Some(d));
                });
            }
        });
    }
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
        let loaded = docs.as_ref().is_some_and(|d| d.is_ok());
        use_effect_with((*doc, sec, p.nonce, loaded), move |(_, sec, _, _)| {
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
    let file = FILES.get(*doc).copied().unwrap_or("");
    let texts: Option<&Vec<String>> = docs.as_ref().and_then(|d| d.as_ref().as_ref().ok());
    let name = |i: usize| texts.and_then(|t| t.get(i)).map_or_else(|| FILES[i].to_string(), |t| title(t).to_string());
    html! {
        <section class="panel reference" aria-label="Reference" data-testid="reference">
            <label>{"Document "}
                <select aria-label="Reference document" {onchange} data-testid="reference-doc">
                    { for (0..FILES.len()).map(|i| html! {
                        <option value={i.to_string()} selected={i == *doc}>{name(i)}</option>
                    }) }
                </select>
            </label>
            <p class="note">{format!("docs/reference/{file}")}</p>
            { match docs.as_ref().map(|d| d.as_ref()) {
                None => html! { <p class="note" data-testid="reference-loading">{"Loading the reference documents…"}</p> },
                Some(Err(why)) => html! { <p class="error" role="alert">{format!("The reference documents could not be loaded ({why}); they are in the repository's docs/reference.")}</p> },
                Some(Ok(t)) => html! { <div class="reference-text">{ render(t.get(*doc).map_or("", String::as_str), "ref") }</div> },
            } }
        </section>
    }
}
