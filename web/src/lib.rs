//! nestscope-web: the Yew front end. Components live one per file under `components/`.
pub mod app;
pub mod compare_run;
pub mod components;
pub mod help;
pub mod kernel;
pub mod link;
pub mod markdown;
pub mod migration;
pub mod outcome;
pub mod prefs;
pub mod run_status;
pub mod run_until;
pub mod state;
pub mod storage;
pub mod switches;
pub mod timeline;
pub mod travel;
pub mod walk_format;

/// Mounts the app on the page body (replacing the page's "Loading" line).
pub fn start() {
    if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("loading")) {
        el.remove();
    }
    yew::Renderer::<app::App>::new().render();
}
