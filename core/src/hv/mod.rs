//! The L0 hypervisor model (KVM-like nested SVM): gPAT designs, the nested-state ABI and
//! userspace save/restore.
pub(crate) mod emulate;
pub(crate) mod features;
pub mod gpat;
pub(crate) mod l0;
pub(crate) mod l1_fetch;
pub mod migrate;
pub(crate) mod layout;
pub(crate) mod nested;
pub mod nested_state;
pub(crate) mod shadow_npt;

pub use l0::{Kvm, L0Config};
