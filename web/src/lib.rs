//! nestscope-web: the Yew front end. Components live one per file under `components/`.
pub mod app;
pub mod components;
pub mod outcome;
pub mod state;
pub mod storage;
pub mod switches;
pub mod walk_format;

/// Mounts the app on the page body.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
