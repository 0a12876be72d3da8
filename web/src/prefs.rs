//! What the app keeps of the user's context: scenario, model and step in the page URL (a link
//! reopens the same place; reload restores it; a program the query cannot name rides along as a
//! share-link fragment), and the colour theme in localStorage.

/// The place a URL names: `?scenario=hello-vmrun&model=kvm-merged&step=57`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    pub scenario: Option<String>,
    pub model: Option<String>,
    pub step: Option<u64>,
}

/// Names in the URL are catalog and model names: letters, digits, '-', '_' and '.'.
fn plain(v: &str) -> Option<String> {
    (!v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .then(|| v.to_string())
}

/// Reads a query string (with or without the leading '?'); unknown keys and bad values are
/// ignored.
pub fn parse(query: &str) -> Place {
    let mut p = Place::default();
    for pair in query.trim_start_matches('?').split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "scenario" => p.scenario = plain(v),
            "model" => p.model = plain(v),
            "step" => p.step = v.parse().ok(),
            _ => {}
        }
    }
    p
}

/// The query string of a place ("" when it names nothing).
pub fn query(p: &Place) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &p.scenario {
        parts.push(format!("scenario={s}"));
    }
    if let Some(m) = &p.model {
        parts.push(format!("model={m}"));
    }
    if let Some(n) = p.step.filter(|&n| n > 0) {
        parts.push(format!("step={n}"));
    }
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

/// The place in the page's URL.
pub fn read_url() -> Place {
    web_sys::window().and_then(|w| w.location().search().ok()).map(|q| parse(&q)).unwrap_or_default()
}

/// The page URL's fragment (with its `#`; "" when there is none).
pub fn read_fragment() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Replaces the page URL's query with `p` and its fragment with `fragment` (a share link of a
/// program the query cannot name; `None` drops it) — no new history entry, no reload.
pub fn write_url(p: &Place, fragment: Option<&str>) {
    let Some(w) = web_sys::window() else { return };
    let q = query(p);
    let hash = fragment.unwrap_or("");
    if w.location().search().ok().as_deref() == Some(q.as_str()) && w.location().hash().ok().as_deref() == Some(hash) {
        return;
    }
    let url = format!("{}{q}{hash}", w.location().pathname().unwrap_or_else(|_| "/".into()));
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

thread_local! {
    /// The timer of the URL update `write_url_soon` scheduled and has not done yet.
    static PENDING_URL: std::cell::Cell<Option<i32>> = const { std::cell::Cell::new(None) };
}

/// `write_url` once the place stopped moving for a moment (`URL_DELAY_MS`): the browser's
/// history update costs about 2 ms, which a Step (and F10 held down) should not pay each time.
/// `make` gives the place and fragment when the update happens; a later call replaces an earlier
/// one that has not happened yet.
pub fn write_url_soon(make: impl FnOnce() -> (Place, Option<String>) + 'static) {
    use wasm_bindgen::JsCast;
    let Some(w) = web_sys::window() else { return };
    if let Some(id) = PENDING_URL.with(std::cell::Cell::take) {
        w.clear_timeout_with_handle(id);
    }
    let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
        PENDING_URL.with(|p| p.set(None));
        let (p, fragment) = make();
        write_url(&p, fragment.as_deref());
    });
    if let Ok(id) = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), URL_DELAY_MS) {
        PENDING_URL.with(|p| p.set(Some(id)));
    }
}

/// How long the place must stay put before the URL follows it.
pub const URL_DELAY_MS: i32 = 150;

/// The colour theme: the system's (`prefers-color-scheme`) unless the user chose one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

const THEME_KEY: &str = "nestscope.theme";

impl Theme {
    pub fn name(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
    /// The next theme of the toolbar toggle.
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }
    fn from_name(s: &str) -> Theme {
        match s {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }
}

fn store() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn load_theme() -> Theme {
    store().and_then(|s| s.get_item(THEME_KEY).ok()?).map_or(Theme::System, |t| Theme::from_name(&t))
}

/// Saves the choice and sets `data-theme` on the document element (the stylesheet keys on it).
pub fn apply_theme(t: Theme) {
    if let Some(s) = store() {
        let _ = s.set_item(THEME_KEY, t.name());
    }
    let el = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element());
    if let Some(el) = el {
        let _ = match t {
            Theme::System => el.remove_attribute("data-theme"),
            t => el.set_attribute("data-theme", t.name()),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_survives_its_query_string() {
        let p = Place { scenario: Some("problem2-l2-pat-msr".into()), model: Some("kvm-merged".into()), step: Some(57) };
        assert_eq!(query(&p), "?scenario=problem2-l2-pat-msr&model=kvm-merged&step=57");
        assert_eq!(parse(&query(&p)), p);
        assert_eq!(query(&Place::default()), "");
    }

    #[test]
    fn bad_values_are_ignored() {
        let p = parse("?scenario=<script>&model=&step=-3&x=1&step");
        assert_eq!(p, Place::default());
        assert_eq!(parse("step=12&model=bare").step, Some(12));
    }

    #[test]
    fn the_theme_toggle_cycles_through_all_three() {
        let mut t = Theme::System;
        let mut seen = vec![];
        for _ in 0..3 {
            t = t.next();
            seen.push(Theme::from_name(t.name()));
        }
        assert_eq!(seen, [Theme::Light, Theme::Dark, Theme::System]);
    }
}
