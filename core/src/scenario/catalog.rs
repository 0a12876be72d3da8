//! The built-in catalog: the scenario files under `catalog/`, embedded at build time — one source
//! of truth for the UI, the CLI and the tests.
#![warn(missing_docs)]
use super::format::{parse, Scenario, ScenarioError};

/// (file stem, file text) of every catalog scenario, in display order.
pub const FILES: &[(&str, &str)] = &[
    ("hello", include_str!("catalog/hello.toml")),
    ("hello-vmrun", include_str!("catalog/hello-vmrun.toml")),
    ("intercepts", include_str!("catalog/intercepts.toml")),
    ("npf", include_str!("catalog/npf.toml")),
    ("interrupts", include_str!("catalog/interrupts.toml")),
    ("vmexit-invalid", include_str!("catalog/vmexit-invalid.toml")),
    ("problem1-gpat-check", include_str!("catalog/problem1-gpat-check.toml")),
    ("problem2-l2-pat-msr", include_str!("catalog/problem2-l2-pat-msr.toml")),
    ("problem3-writeback", include_str!("catalog/problem3-writeback.toml")),
    ("problem4-checkpoint", include_str!("catalog/problem4-checkpoint.toml")),
    ("problem4-checkpoint-nested-first", include_str!("catalog/problem4-checkpoint-nested-first.toml")),
    ("problem4-checkpoint-cross-design", include_str!("catalog/problem4-checkpoint-cross-design.toml")),
    ("v1-cross-design-checkpoint", include_str!("catalog/v1-cross-design-checkpoint.toml")),
    ("svm-nested-pat-test", include_str!("catalog/svm-nested-pat-test.toml")),
    ("pat-wrmsr-checks", include_str!("catalog/pat-wrmsr-checks.toml")),
    ("memtype-matrix", include_str!("catalog/memtype-matrix.toml")),
];

/// Parses the whole catalog.
pub fn load() -> Result<Vec<Scenario>, ScenarioError> {
    FILES.iter().map(|(n, t)| parse(n, t)).collect()
}

/// One scenario by name.
pub fn get(name: &str) -> Option<Result<Scenario, ScenarioError>> {
    FILES.iter().find(|(n, _)| *n == name).map(|(n, t)| parse(n, t))
}
