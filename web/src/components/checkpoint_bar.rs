//! Checkpoint export (download a JSON file) and import (pick a file), with import errors shown
//! in place while the current machine stays untouched.
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CheckpointBarProps {
    /// Produces the checkpoint text of the current machine.
    pub on_export: Callback<(), String>,
    /// Receives the text of a picked file.
    pub on_import: Callback<String>,
    pub message: Option<AttrValue>,
}

/// Starts a browser download of `text` as `name`.
pub fn download(name: &str, text: &str) -> Result<(), String> {
    let err = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).map_err(err)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(err)?;
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a").map_err(err)?.unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url).map_err(err)?;
    Ok(())
}

#[function_component(CheckpointBar)]
pub fn checkpoint_bar(p: &CheckpointBarProps) -> Html {
    let export = {
        let on_export = p.on_export.clone();
        Callback::from(move |_: MouseEvent| {
            let text = on_export.emit(());
            let _ = download("nestscope-checkpoint.json", &text);
        })
    };
    let import = {
        let on_import = p.on_import.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            let on_import = on_import.clone();
            input.set_value("");
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                match text.ok().and_then(|t| t.as_string()) {
                    Some(t) => on_import.emit(t),
                    None => on_import.emit(String::new()),
                }
            });
        })
    };
    html! {
        <div class="checkpoint-bar">
            <button onclick={export} title="Download the machine state as a checkpoint file">{"Export checkpoint"}</button>
            <label class="button" title="Load a checkpoint file">
                {"Import checkpoint"}
                <input type="file" accept=".json,application/json" onchange={import} data-testid="import" class="visually-hidden" />
            </label>
            if let Some(m) = &p.message {
                <span class="message" role="status" data-testid="checkpoint-message">{m.clone()}</span>
            }
        </div>
    }
}
