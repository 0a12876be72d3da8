//! Trace events: world switches (VMRUN / #VMEXIT) at every level, in order.
use serde::{Deserialize, Serialize};

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
    pub detail: Option<String>,
}
