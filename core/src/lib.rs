//! nestscope-core: a platform-free model of an x86-64 CPU with AMD SVM, and an L0 hypervisor model.
pub mod asm;
pub mod bench;
pub mod checkpoint;
pub mod compare;
pub mod cpu;
pub mod devices;
pub mod hv;
pub mod machine;
pub mod mem;
pub mod report;
pub mod scenario;
pub mod share;
pub mod sim;
pub mod svm;
pub mod timetravel;
pub mod trace;

pub use machine::{Machine, RunEnd, Stop};
