//! Checkpoint export (download a `.nsc` file, format v2) and import (pick a file: v2, or a v1 JSON
//! document), with import errors shown in place while the current machine stays untouched.
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CheckpointBarProps {
    /// Produces the checkpoint file of the current machine.
    pub on_export: Callback<(), Vec<u8>>,
    /// Receives the bytes of a picked file.
    pub on_import: Callback<Vec<u8>>,
    pub message: Option<AttrValue>,
}

/// Starts a browser download of `bytes` as `name`.
pub fn download(name: &str, bytes: &[u8]) -> Result<(), String> {
    let err = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(err)?;
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
            let bytes = on_export.emit(());
            let _ = download("nestscope-checkpoint.nsc", &bytes);
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
                let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await;
                // An unreadable file arrives as no bytes, which the importer refuses with a message.
                on_import.emit(buf.map(|b| js_sys::Uint8Array::new(&b).to_vec()).unwrap_or_default());
            });
        })
    };
    html! {
        <div class="checkpoint-bar">
            <button onclick={export} title="Download the machine state as a checkpoint file">{"Export checkpoint"}</button>
            <label class="button" title="Load a checkpoint file">
                {"Import checkpoint"}
                <input type="file" accept=".nsc,.json,application/octet-stream,application/json" onchange={import} data-testid="import" class="visually-hidden" />
            </label>
            if let Some(m) = &p.message {
                <span class="message" role="status" data-testid="checkpoint-message" title={m.clone()}>{m.clone()}</span>
            }
        </div>
    }
}
