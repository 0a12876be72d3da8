//! The built-in catalog: the scenario files under `catalog/`, embedded at build time — one source
//! of truth for the UI, the CLI and the tests.
use super::format::{parse, Scenario, ScenarioError};

/// (file stem, file text) of every catalog scenario, in display order.
pub const FILES: &[(&str, &str)] = &[
    ("hello", include_str!("catalog/hello.toml")),
    ("hello-vmrun", include_str!("catalog/hello-vmrun.toml")),
    ("intercepts", include_str!("catalog/intercepts.toml")),
];

/// Parses the whole catalog.
pub fn load() -> Result<Vec<Scenario>, ScenarioError> {
    FILES.iter().map(|(n, t)| parse(n, t)).collect()
}

/// One scenario by name.
pub fn get(name: &str) -> Option<Result<Scenario, ScenarioError>> {
    FILES.iter().find(|(n, _)| *n == name).map(|(n, t)| parse(n, t))
}
