//! Browser localStorage for edited scenario sources (autosaved, restored on reload).
const PREFIX: &str = "nestscope.source.";

fn store() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The user's edited source of a scenario, if any.
pub fn load_source(scenario: &str) -> Option<String> {
    store()?.get_item(&format!("{PREFIX}{scenario}")).ok()?
}

/// Saves an edited source; returns false when storage is unavailable or full.
pub fn save_source(scenario: &str, text: &str) -> bool {
    store().is_some_and(|s| s.set_item(&format!("{PREFIX}{scenario}"), text).is_ok())
}

/// Forgets the edit (back to the catalog version).
pub fn clear_source(scenario: &str) {
    if let Some(s) = store() {
        let _ = s.remove_item(&format!("{PREFIX}{scenario}"));
    }
}
