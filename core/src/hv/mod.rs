//! The L0 hypervisor model (KVM-like nested SVM): gPAT designs, the nested-state ABI and
//! userspace save/restore.
pub mod gpat;
pub mod nested_state;
