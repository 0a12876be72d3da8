//! What the UI reads: views of a run that change nothing in it (no A/D updates, no TLB fills, no
//! steps), and the world-switch tracker that keeps each VMCB page as it was before and after a
//! switch, with who handled each world switch and which bit decided (`attribution`). The web app
//! is a thin shell over these; the CLI and tests use them too.
pub mod attribution;
pub mod interrupts;
pub mod l0_runs;
pub mod memory;
pub mod paging;
pub mod switches;
pub mod vmcb;

pub use crate::sim::VmcbRole;
