//! Trace events: world switches (VMRUN / #VMEXIT) at every level, in order.
use serde::{Deserialize, Serialize};

pub mod log;
pub use log::EventLog;

/// A level of the nesting hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    Vmrun,
    Vmexit,
}

/// One world switch. `exit_code` is the SVM exit code for #VMEXIT (and for a VMRUN that failed
/// its consistency checks, VMEXIT_INVALID); `detail` names e.g. the failed check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// What an event's `detail` says, kept unformatted until someone reads it: events are recorded
/// at every world switch, and formatting a string there cost more than the rest of the switch.
/// Serialized as its text; two details are equal when their texts are (a detail read back from
/// a checkpoint is text).
#[derive(Clone, Debug)]
pub enum Detail {
    /// A fixed text, e.g. an exit name.
    Name(&'static str),
    /// A VMRUN of the VMCB at `vmcb`; `emulated_by` names the L0 design that emulated it.
    Vmrun { vmcb: u64, emulated_by: Option<&'static str> },
    Text(String),
}

impl PartialEq for Detail {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Detail::Name(a), Detail::Name(b)) => a == b,
            (Detail::Text(a), Detail::Text(b)) => a == b,
            _ => self.to_string() == other.to_string(),
        }
    }
}
impl Eq for Detail {}

impl std::fmt::Display for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Detail::Name(s) => f.write_str(s),
            Detail::Vmrun { vmcb, emulated_by: None } => write!(f, "VMCB {vmcb:#x}"),
            Detail::Vmrun { vmcb, emulated_by: Some(d) } => write!(f, "VMCB {vmcb:#x}, emulated by L0 ({d})"),
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

impl Serialize for Detail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Detail {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Detail::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn details_read_as_before_they_were_structured() {
        let cases = [
            (Detail::Name("VMMCALL"), "VMMCALL"),
            (Detail::Vmrun { vmcb: 0x200000, emulated_by: None }, "VMCB 0x200000"),
            (Detail::Vmrun { vmcb: 0x3000, emulated_by: Some("kvm-rfc") }, "VMCB 0x3000, emulated by L0 (kvm-rfc)"),
            (Detail::Text("x (APM 15.5.1): y".into()), "x (APM 15.5.1): y"),
        ];
        for (d, text) in cases {
            assert_eq!(d.to_string(), text);
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(json, serde_json::to_string(text).unwrap());
            assert_eq!(serde_json::from_str::<Detail>(&json).unwrap().to_string(), text);
        }
    }
}
