//! Program editor: the scenario's assembly source, autosaved to localStorage on every edit, with
//! assembler errors shown at their lines; "Assemble & load" and "Revert to catalog".
#![allow(clippy::cast_possible_truncation, reason = "pixel coordinates, DOM indices and text positions are far below the integer widths they are stored in (float casts saturate)")]
use nestscope_core::asm::AsmError;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub scenario: AttrValue,
    pub source: AttrValue,
    pub edited: bool,
    pub errors: Vec<AsmError>,
    pub on_edit: Callback<String>,
    pub on_assemble: Callback<()>,
    pub on_revert: Callback<()>,
}

/// Character offsets of the start and end of 1-based `line` in `text`.
pub fn line_span(text: &str, line: u32) -> (u32, u32) {
    let mut start = 0usize;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line as usize {
            let s = text[..start].chars().count() as u32;
            return (s, s + l.chars().count() as u32);
        }
        start += l.len() + 1;
    }
    let n = text.chars().count() as u32;
    (n, n)
}

#[function_component(Editor)]
pub fn editor(p: &EditorProps) -> Html {
    let area = use_node_ref();
    let gutter = use_node_ref();
    let oninput = {
        let (cb, name) = (p.on_edit.clone(), p.scenario.clone());
        Callback::from(move |e: InputEvent| {
            let t: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            let text = t.value();
            crate::storage::save_source(&name, &text);
            cb.emit(text);
        })
    };
    let onscroll = {
        let (area, gutter) = (area.clone(), gutter.clone());
        Callback::from(move |_: Event| {
            if let (Some(a), Some(g)) = (area.cast::<web_sys::Element>(), gutter.cast::<web_sys::Element>()) {
                g.set_scroll_top(a.scroll_top());
            }
        })
    };
    let bad_lines: Vec<u32> = p.errors.iter().map(|e| e.line).collect();
    let n_lines = p.source.split('\n').count() as u32;
    let goto = |line: u32| {
        let (area, source) = (area.clone(), p.source.clone());
        Callback::from(move |_: MouseEvent| {
            let n_lines = source.split('\n').count() as u32;
            if let Some(t) = area.cast::<web_sys::HtmlTextAreaElement>() {
                let (s, e) = line_span(&source, line);
                let _ = t.focus();
                let _ = t.set_selection_range(s, e);
                // Scroll the line into view (a third from the top): selecting does not scroll.
                let line_h = t.scroll_height() as f64 / f64::from(n_lines.max(1));
                let top = (f64::from(line.saturating_sub(1)) * line_h - f64::from(t.client_height()) / 3.0).max(0.0);
                t.set_scroll_top(top as i32);
            }
        })
    };
    let click = |cb: &Callback<()>| {
        let cb = cb.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    html! {
        <section class="panel editor" aria-label="Program editor">
            <h2>{"Program"}{ if p.edited { " (edited, autosaved)" } else { "" } }</h2>
            <div class="editor-body">
                <pre class="gutter mono" ref={gutter} aria-hidden="true">
                    { for (1..=n_lines).map(|l| html! {
                        <div class={classes!(bad_lines.contains(&l).then_some("bad"))}>{l}</div>
                    }) }
                </pre>
                <textarea ref={area.clone()} class="mono" spellcheck="false" value={p.source.clone()} {oninput} {onscroll}
                    aria-label="Assembly source" aria-invalid={(!p.errors.is_empty()).to_string()} data-testid="source" />
            </div>
            <div class="editor-actions">
                <button onclick={click(&p.on_assemble)} title="Assemble the source and load it">{"Assemble & load"}</button>
                <button onclick={click(&p.on_revert)} disabled={!p.edited} title="Discard the edit">{"Revert to catalog"}</button>
            </div>
            if !p.errors.is_empty() {
                <ul class="asm-errors" data-testid="asm-errors">
                    { for p.errors.iter().map(|e| html! {
                        <li onclick={goto(e.line)}>{format!("line {}, column {}: {}", e.line, e.column, e.message)}</li>
                    }) }
                </ul>
            }
        </section>
    }
}
