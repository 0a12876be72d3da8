//! AMD SVM: the data layer (VMCB layout and field table, exit codes, intercepts/permission maps,
//! VMRUN consistency checks, nested-walk primitives; reference §1–§4, §7) and the hardware model
//! on top of it (`state`, `model`, `vmrun`, `vmexit`, `insn`, `guest`, `nested_walk`): VMRUN and
//! #VMEXIT, intercepts, the 2-D walk with #NPF, memory types under NP, and the G_PAT readings.

/// `[concat!(pre, 0, suf), concat!(pre, 1, suf), …]` for the listed numbers: static names like
/// "VMEXIT_CR3_READ" without runtime formatting.
macro_rules! numbered_names {
    ($pre:literal, $suf:literal; $($n:literal)*) => { [$(concat!($pre, $n, $suf)),*] };
    (16: $pre:literal, $suf:literal) => {
        numbered_names!($pre, $suf; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
    };
    (32: $pre:literal, $suf:literal) => {
        numbered_names!($pre, $suf; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
            16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)
    };
}

pub mod checks;
pub mod exit_code;
pub mod exit_table;
pub(crate) mod features;
pub(crate) mod guest;
pub(crate) mod hooks;
pub(crate) mod insn;
pub mod intercept;
pub(crate) mod interrupts;
pub(crate) mod model;
pub mod nested_walk;
pub mod npt;
pub(crate) mod state;
pub mod vmcb;
pub(crate) mod vmexit;
pub mod vmrun;

pub use checks::{FailedCheck, HostContext, check_vmrun, check_vmrun_all};
pub use exit_code::{SvmExitCode, VmExit};
pub use exit_table::{ExitInfo, Intercept, explain};
pub use intercept::{EventInj, EventType, IoioInfo, is_intercepted};
pub use model::SvmModel;
pub use nested_walk::{MemTypeError, MemTypeReport};
pub use state::SvmState;
pub use vmrun::{GuestEntry, HostPaging};
pub use vmcb::{Vmcb, VmcbControl, VmcbSave, VmcbSeg};

#[cfg(test)]
mod intercept_tests;
#[cfg(test)]
mod npt_tests;
