//! A group of tabbed panels (WAI-ARIA tabs): a tab list and the active panel only (the panels
//! that are not shown are not rendered, so they cost nothing while stepping), each with its
//! "How to read this" (help.rs).
#![allow(clippy::cast_possible_truncation, reason = "pixel coordinates, DOM indices and text positions are far below the integer widths they are stored in (float casts saturate)")]
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TabsProps {
    /// The group's accessible name.
    pub label: AttrValue,
    pub names: Vec<&'static str>,
    pub active: usize,
    pub on_select: Callback<usize>,
    /// The active panel.
    pub children: Html,
}

/// "Page walk" → "page-walk" (ids and test ids).
pub fn slug(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

#[function_component(Tabs)]
pub fn tabs(p: &TabsProps) -> Html {
    let n = p.names.len();
    // Arrow keys move between tabs, Home/End to the first/last (focus follows selection).
    let onkeydown = {
        let (cb, active) = (p.on_select.clone(), p.active);
        Callback::from(move |e: KeyboardEvent| {
            let next = match e.key().as_str() {
                "ArrowRight" => (active + 1) % n,
                "ArrowLeft" => (active + n - 1) % n,
                "Home" => 0,
                "End" => n - 1,
                _ => return,
            };
            e.prevent_default();
            cb.emit(next);
            let target: Option<web_sys::Element> = e.target_dyn_into::<web_sys::Element>();
            if let Some(list) = target.and_then(|t| t.parent_element())
                && let Some(b) = list.children().item(next as u32)
                && let Ok(b) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(b)
            {
                let _ = b.focus();
            }
        })
    };
    let active_id = format!("tab-{}", slug(p.names[p.active]));
    html! {
        <div class="tab-group">
            <div class="tab-list" role="tablist" aria-label={p.label.clone()} {onkeydown}>
                { for p.names.iter().enumerate().map(|(i, name)| {
                    let sel = i == p.active;
                    let onclick = { let cb = p.on_select.clone(); Callback::from(move |_: MouseEvent| cb.emit(i)) };
                    html! {
                        <button role="tab" id={format!("tab-{}", slug(name))} class={classes!("tab", sel.then_some("active"))}
                            aria-selected={sel.to_string()} tabindex={if sel { "0" } else { "-1" }}
                            aria-controls={format!("panel-{}", slug(name))} {onclick}>{*name}</button>
                    }
                }) }
            </div>
            <div class="tab-panel" role="tabpanel" id={format!("panel-{}", slug(p.names[p.active]))}
                aria-labelledby={active_id}>
                if let Some(help) = crate::help::how_to_read(p.names[p.active]) {
                    <details class="how-to-read" data-testid="how-to-read">
                        <summary>{"How to read this"}</summary>
                        <p>{help}</p>
                    </details>
                }
                { p.children.clone() }
            </div>
        </div>
    }
}
