//! The L0 hypervisor model (KVM-like nested SVM): gPAT designs, the nested-state ABI and
//! userspace save/restore.
pub mod emulate;
pub mod gpat;
pub mod l0;
pub mod migrate;
pub mod layout;
pub mod nested;
pub mod nested_state;
pub mod shadow_npt;

pub use l0::{Kvm, L0Config};
