//! The world-switch tracker and the VMCBs of a run, from the core (`inspect::switches`,
//! `Sim::vmcbs`), under the names the app uses.
pub use nestscope_core::inspect::switches::{PAGE, PageChange, SliceEnd, SwitchRecord, Tracker, read_page, run_end};
pub use nestscope_core::sim::VmcbRole;
