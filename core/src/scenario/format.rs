//! The scenario file format: one TOML file per scenario with its title, description, teaching
//! notes, the models to run, the machine configuration, the program source and the expectations
//! per model.
use crate::model::Model;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A parsed scenario.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// File stem, filled in by the loader (not written in the file).
    #[serde(skip)]
    pub name: String,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub teaching_notes: String,
    /// CONTRACT §2 model names, in the order to show them.
    pub models: Vec<Model>,
    #[serde(default)]
    pub machine: MachineConfig,
    /// The program, in the project's NASM-syntax assembly.
    pub source: String,
    /// Expected outcome per model name.
    #[serde(default)]
    pub expect: BTreeMap<Model, Expectation>,
    /// "What to look at": the pair of models that shows the scenario's point and where they
    /// first differ, explained (the app's guided mode).
    #[serde(default)]
    pub guide: Option<Guide>,
    /// The app shows the memory types of these L2 pages as a grid (L2 PAT × L1 NPT × L0 PAT).
    #[serde(default)]
    pub memtype_grid: Option<MemtypeGrid>,
}

/// `pages` consecutive 4 KiB L2 pages from `base`, looked at once L2 runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemtypeGrid {
    pub base: u64,
    pub pages: u64,
}

/// A guided comparison: the program under `models[0]` and `models[1]` in lockstep (the second
/// saved and restored as `migrate` says, if given) up to the first divergence, which must show
/// a difference named `look_for`; `panel` is where the app shows it and `explain` says why.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guide {
    pub models: [Model; 2],
    /// A save/restore of the second model's run (`kvm-*`).
    pub migrate: Option<Migrate>,
    /// The name of the difference to point at, as the comparison names it: a register ("rax"),
    /// a VMCB field ("vmcb12.G_PAT"), "executing".
    pub look_for: String,
    /// The panel that shows it: "Registers", "VMCB" or "PAT layers".
    pub panel: String,
    /// The PAT layer involved ("L2 gPAT", "L1 PAT", "L0 PAT"), when there is one.
    #[serde(default)]
    pub pat_layer: Option<String>,
    /// Two sentences: what differs and why (markdown).
    pub explain: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineConfig {
    #[serde(default = "default_mem")]
    pub mem_mib: u64,
    #[serde(default = "default_steps")]
    pub max_steps: u64,
    /// L0's PAT for the `kvm-*` models (hex string); default the power-on value.
    #[serde(default)]
    pub l0_pat: Option<String>,
}

fn default_mem() -> u64 {
    crate::machine::DEFAULT_MEM_MIB
}
fn default_steps() -> u64 {
    1_000_000
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig { mem_mib: default_mem(), max_steps: default_steps(), l0_pat: None }
    }
}

/// What a run under one model must produce. Absent fields are not checked.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub exit: Option<String>,
    pub code: Option<u64>,
    pub console: Option<String>,
    pub steps: Option<u64>,
    /// Register name → value (hex string like "0x1234").
    #[serde(default)]
    pub regs: BTreeMap<String, String>,
    /// World switches in order, compactly: "vmrun L1->L2", "vmexit L2->L1 0x81".
    pub events: Option<Vec<String>>,
    /// Why this model behaves this way (shown next to the result).
    #[serde(default)]
    pub note: String,
    /// A KVM userspace save/restore during the run (`kvm-*` models; CONTRACT `--migrate-at`).
    pub migrate: Option<Migrate>,
    /// With `migrate`: the guest-visible state the restore loses ("L1's PAT", "L2's gPAT").
    pub lost: Option<Vec<String>>,
}

/// A save/restore at step `at` into design `to` (default: the same) in `order` (default
/// "msrs-first").
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Migrate {
    pub at: u64,
    pub to: Option<String>,
    pub order: Option<String>,
}

/// A scenario file that does not parse, with the file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// Parses one scenario file; `name` is its stem.
pub fn parse(name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let mut s: Scenario =
        toml::from_str(text).map_err(|e| ScenarioError { file: format!("{name}.toml"), message: e.to_string() })?;
    s.name = name.to_string();
    for m in s.expect.keys() {
        if !s.models.contains(m) {
            return Err(ScenarioError {
                file: format!("{name}.toml"),
                message: format!("expectation for model `{m}` which is not in `models`"),
            });
        }
    }
    Ok(s)
}
