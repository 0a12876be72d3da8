//! Trace events: world switches (VMRUN / #VMEXIT) at every level, in order.
use crate::mem::Hpa;
use serde::Serialize;

pub mod log;
pub use log::EventLog;

/// A level of the nesting hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Level {
    L0,
    L1,
    L2,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::L0 => "L0",
            Level::L1 => "L1",
            Level::L2 => "L2",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EventKind {
    Vmrun,
    Vmexit,
}

/// One world switch. `exit_code` is the SVM exit code for #VMEXIT (and for a VMRUN that failed
/// its consistency checks, VMEXIT_INVALID); `detail` names e.g. the failed check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub from: Level,
    pub to: Level,
    pub exit_code: u64,
    pub step: u64,
    pub rip: u64,
    pub detail: Option<Detail>,
}

impl Event {
    /// The detail as text (what the CLI, checkpoints and the UI show).
    pub fn detail_text(&self) -> Option<String> {
        self.detail.as_ref().map(Detail::to_string)
    }
}

/// A failed VMRUN consistency check: which one, where the APM states it, and the offending values.
/// (Recorded in the VMEXIT_INVALID event of that VMRUN; `svm::checks` produces it.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedCheck {
    pub name: &'static str,
    pub apm_section: &'static str,
    pub detail: String,
}

impl std::fmt::Display for FailedCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (APM {}): {}", self.name, self.apm_section, self.detail)
    }
}

/// What an event's `detail` says, as data: kept unformatted until someone shows it (events are
/// recorded at every world switch, and formatting a string there cost more than the rest of the
/// switch), and never parsed back from its text. Equal when the variant and the data are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detail {
    /// A fixed text, e.g. an exit name.
    Name(&'static str),
    /// A VMRUN of the VMCB at `vmcb` (under a `kvm-*` model vmcb12, whose L1 guest-physical
    /// address is its host-physical one: L0 maps L1's RAM 1:1); `emulated_by` names the L0 design
    /// that emulated it.
    Vmrun { vmcb: Hpa, emulated_by: Option<&'static str> },
    /// The VMEXIT_INVALID of a VMRUN that failed this consistency check.
    VmrunFailed(FailedCheck),
    /// Any other text (e.g. why L0 refused a VMRUN, or a detail of a checkpoint written before
    /// details were structured).
    Text(String),
}

impl Detail {
    /// The VMCB of a VMRUN event.
    pub fn vmrun_vmcb(&self) -> Option<Hpa> {
        match self {
            Detail::Vmrun { vmcb, .. } => Some(*vmcb),
            _ => None,
        }
    }

    /// The failed check of a VMEXIT_INVALID event.
    pub fn failed_check(&self) -> Option<&FailedCheck> {
        match self {
            Detail::VmrunFailed(f) => Some(f),
            _ => None,
        }
    }
}

impl std::fmt::Display for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Detail::Name(s) => f.write_str(s),
            Detail::Vmrun { vmcb, emulated_by: None } => write!(f, "VMCB {vmcb}"),
            Detail::Vmrun { vmcb, emulated_by: Some(d) } => write!(f, "VMCB {vmcb}, emulated by L0 ({d})"),
            Detail::VmrunFailed(c) => write!(f, "{c}"),
            Detail::Text(s) => f.write_str(s),
        }
    }
}

impl From<&str> for Detail {
    fn from(s: &str) -> Self {
        Detail::Text(s.to_string())
    }
}

impl From<String> for Detail {
    fn from(s: String) -> Self {
        Detail::Text(s)
    }
}

impl From<FailedCheck> for Detail {
    fn from(c: FailedCheck) -> Self {
        Detail::VmrunFailed(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn details_read_as_before_they_were_structured() {
        let check = FailedCheck { name: "asid_zero", apm_section: "15.5.1", detail: "ASID = 0".into() };
        let cases = [
            (Detail::Name("VMMCALL"), "VMMCALL"),
            (Detail::Vmrun { vmcb: Hpa(0x200000), emulated_by: None }, "VMCB 0x200000"),
            (Detail::Vmrun { vmcb: Hpa(0x3000), emulated_by: Some("kvm-rfc") }, "VMCB 0x3000, emulated by L0 (kvm-rfc)"),
            (Detail::VmrunFailed(check.clone()), "asid_zero (APM 15.5.1): ASID = 0"),
            (Detail::Text("x (APM 15.5.1): y".into()), "x (APM 15.5.1): y"),
        ];
        for (d, text) in cases {
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(Detail::Vmrun { vmcb: Hpa(0x3000), emulated_by: None }.vmrun_vmcb(), Some(Hpa(0x3000)));
        assert_eq!(Detail::from(check.clone()).failed_check(), Some(&check));
        assert_eq!(Detail::Text("VMCB 0x3000".into()).vmrun_vmcb(), None, "text is never parsed back");
    }
}
