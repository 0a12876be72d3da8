//! nestscope-core: a platform-free model of an x86-64 CPU with AMD SVM, and an L0 hypervisor model.
pub mod asm;
pub mod mem;
