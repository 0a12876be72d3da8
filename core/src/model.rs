//! The seven CONTRACT §2 models as one type: a hardware reading of G_PAT, or the program as L1
//! under an L0 design. Names, the unknown-name error and the one-line descriptions live here; the
//! CLI, scenarios, checkpoints and the web app parse into this type and show it.
#![warn(missing_docs)]
use crate::hv::gpat::Design;
use crate::svm::SvmModel;
use std::fmt;
use std::str::FromStr;

/// Who runs the program: a hardware model directly, or the L0 model of KVM with the program as L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Model {
    /// The program runs directly on the SVM hardware model.
    Hw(SvmModel),
    /// The program runs as L1 under the L0 model of KVM with this gPAT design (on `bare` hardware).
    L0(Design),
}

impl Model {
    /// Every model, in display order (CONTRACT §2).
    pub const ALL: [Model; 7] = [
        Model::Hw(SvmModel::Bare),
        Model::Hw(SvmModel::BareSwap),
        Model::Hw(SvmModel::BareQemu),
        Model::L0(Design::KvmLegacy),
        Model::L0(Design::KvmRfc),
        Model::L0(Design::KvmSwap),
        Model::L0(Design::KvmMerged),
    ];

    /// The CONTRACT §2 default, `bare`.
    pub const DEFAULT: Model = Model::Hw(SvmModel::Bare);

    /// The CONTRACT §2 name.
    pub fn name(self) -> &'static str {
        match self {
            Model::Hw(m) => m.name(),
            Model::L0(d) => d.name(),
        }
    }

    /// What the model means, in one line (from the hardware model's and the L0 design's own
    /// descriptions).
    pub fn summary(self) -> String {
        match self {
            Model::Hw(m) => format!("hardware model, {}", m.summary()),
            Model::L0(d) => format!("L1 under modelled KVM, {}: {}", d.title(), d.ops().summary()),
        }
    }

    /// True for the `kvm-*` models.
    pub fn is_l0(self) -> bool {
        matches!(self, Model::L0(_))
    }

    /// The L0 design of a `kvm-*` model.
    pub fn design(self) -> Option<Design> {
        match self {
            Model::L0(d) => Some(d),
            Model::Hw(_) => None,
        }
    }
}

impl Default for Model {
    fn default() -> Self {
        Model::DEFAULT
    }
}

/// Models order by name, as the scenario files' expectation tables always did.
impl Ord for Model {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}
impl PartialOrd for Model {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A model name that is none of CONTRACT §2's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownModel(pub String);

impl fmt::Display for UnknownModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The name may come from anywhere (a file, a URL): at most 60 characters, escaped.
        let names: Vec<&str> = Model::ALL.iter().map(|m| m.name()).collect();
        let shown: String = self.0.chars().take(60).collect();
        write!(f, "unknown model `{}` (models: {})", shown.escape_default(), names.join(", "))
    }
}

impl std::error::Error for UnknownModel {}

impl FromStr for Model {
    type Err = UnknownModel;
    fn from_str(s: &str) -> Result<Model, UnknownModel> {
        Model::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| UnknownModel(s.to_string()))
    }
}

impl serde::Serialize for Model {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Model {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn names_are_contract_section_2_and_round_trip() {
        let names: Vec<&str> = Model::ALL.iter().map(|m| m.name()).collect();
        // CONTRACT §2's table, in its order.
        assert_eq!(names, ["bare", "bare-swap", "bare-qemu", "kvm-legacy", "kvm-rfc", "kvm-swap", "kvm-merged"]);
        for m in Model::ALL {
            assert_eq!(m.to_string().parse::<Model>(), Ok(m));
            assert_eq!(serde_json::from_str::<Model>(&serde_json::to_string(&m).unwrap()).unwrap(), m);
            assert!(!m.summary().is_empty());
        }
        assert_eq!(Model::default().name(), "bare");
        assert!(Model::ALL.iter().filter(|m| m.is_l0()).all(|m| m.name().starts_with("kvm-")));
    }

    #[test]
    fn an_unknown_name_lists_the_models() {
        let e = "kvm-nope".parse::<Model>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown model `kvm-nope` (models: bare, bare-swap, bare-qemu, kvm-legacy, kvm-rfc, kvm-swap, kvm-merged)"
        );
        assert!("Bare".parse::<Model>().is_err(), "names are exact");
        assert!("a\nb".parse::<Model>().unwrap_err().to_string().starts_with("unknown model `a\\nb`"), "one line");
        assert!(serde_json::from_str::<Model>("\"x\"").unwrap_err().to_string().contains("unknown model `x`"));
    }

    #[test]
    fn summaries_say_who_runs_the_program() {
        assert!(Model::Hw(SvmModel::BareQemu).summary().contains("QEMU"));
        assert!(Model::L0(Design::KvmRfc).summary().contains("RFC"));
        assert!(Model::L0(Design::KvmLegacy).summary().contains("quirk"));
    }
}
