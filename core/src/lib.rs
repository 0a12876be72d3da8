//! nestscope-core: a platform-free model of an x86-64 CPU with AMD SVM, and an L0 hypervisor model.
pub mod asm;
pub mod bench;
pub mod checkpoint;
pub mod compare;
pub mod cpu;
pub mod devices;
pub mod hv;
pub mod inspect;
pub mod machine;
pub mod mem;
pub mod model;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod svm;
pub mod trace;

pub use machine::{Machine, RunEnd, Stop};
pub use model::Model;
