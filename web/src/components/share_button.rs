//! "Share link": makes the link of the session now (program, model, step, the shown panel),
//! copies it to the clipboard and shows it with its size in a read-only field (selected, so
//! Ctrl+C copies it where the clipboard is refused). A state too big for a link is said so, with
//! the checkpoint file offered instead.
use crate::link::Shared;
use nestscope_core::share::MAX_LINK_CHARS;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ShareButtonProps {
    /// What the last click made (the box is open while this is set).
    pub shared: Option<Shared>,
    pub on_share: Callback<()>,
    pub on_close: Callback<()>,
    /// Downloads the checkpoint file (`.nsc`) of the session.
    pub on_download: Callback<()>,
}

#[derive(Clone, Copy, PartialEq)]
enum Copy {
    Pending,
    Done,
    Refused,
}

/// Writes `text` to the clipboard; `false` when the page has no clipboard or it refused.
async fn copy_to_clipboard(text: String) -> bool {
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else { return false };
    let has = js_sys::Reflect::get(&nav, &"clipboard".into()).is_ok_and(|c| !c.is_undefined() && !c.is_null());
    if !has {
        return false;
    }
    wasm_bindgen_futures::JsFuture::from(nav.clipboard().write_text(&text)).await.is_ok()
}

#[function_component(ShareButton)]
pub fn share_button(p: &ShareButtonProps) -> Html {
    let copy = use_state(|| Copy::Pending);
    let field = use_node_ref();
    {
        let (copy, field) = (copy.clone(), field.clone());
        use_effect_with(p.shared.clone(), move |shared| {
            if let Some(Shared::Link { url, .. }) = shared {
                if let Some(f) = field.cast::<web_sys::HtmlInputElement>() {
                    let _ = f.focus();
                    f.select();
                }
                copy.set(Copy::Pending);
                let url = url.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    copy.set(if copy_to_clipboard(url).await { Copy::Done } else { Copy::Refused });
                });
            }
        });
    }
    let click = |cb: &Callback<()>| {
        let cb = cb.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let select_all = Callback::from(|e: FocusEvent| {
        if let Some(i) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
            i.select();
        }
    });
    let body = match &p.shared {
        None => html! {},
        Some(Shared::Link { url, bytes, caveat }) => html! {
            <>
                <input ref={field} class="share-url" readonly=true value={url.clone()} aria-label="Share link"
                    data-testid="share-url" onfocus={select_all} />
                <p data-testid="share-size">
                    {format!("{bytes} bytes · ")}
                    { match *copy {
                        Copy::Pending => "copying…",
                        Copy::Done => "copied to the clipboard",
                        Copy::Refused => "the clipboard is not available here: the link is selected, press Ctrl+C to copy it",
                    } }
                </p>
                if let Some(c) = caveat {
                    <p class="caveat" data-testid="share-caveat">{c.clone()}</p>
                    <button onclick={click(&p.on_download)}>{"Download .nsc"}</button>
                }
            </>
        },
        Some(Shared::TooBig { chars }) => html! {
            <>
                <p class="caveat" data-testid="share-too-big">
                    {format!("This state is too big for a link ({chars} characters; a link holds at most {MAX_LINK_CHARS}). \
                              Download it as a checkpoint file instead: nothing is lost, and Import checkpoint opens it.")}
                </p>
                <button onclick={click(&p.on_download)}>{"Download .nsc"}</button>
            </>
        },
    };
    html! {
        <div class="share">
            <button onclick={click(&p.on_share)} aria-keyshortcuts="L" aria-expanded={p.shared.is_some().to_string()}
                title="Copy a link to this program, model, step and panel (L)">{"Share link"}</button>
            if p.shared.is_some() {
                <div class="share-box" role="dialog" aria-label="Share link" data-testid="share-box">
                    { body }
                    <button onclick={click(&p.on_close)}>{"Close"}</button>
                </div>
            }
        </div>
    }
}
