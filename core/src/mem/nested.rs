//! The nested paging context: what a 2-D walk needs besides memory while a guest runs with nested
//! paging (APM 15.25.3/15.25.4): nCR3 and the host's paging mode captured at VMRUN, which keeps
//! controlling the nested walk. The TLB keys its translations on it; `svm/` sets it up.
#![warn(missing_docs)]

/// The nested-paging context of a guest run with NP_ENABLE = 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NestedPaging {
    /// nCR3: the root of the nested page table (VMCB control area).
    pub ncr3: u64,
    /// hEFER.NXE: without it every nested mapping is executable and NX is a reserved bit.
    pub host_nxe: bool,
    /// hCR0 (for hCR0.CD in the memory-type rules, APM 7.8 / 15.25.8).
    pub host_cr0: u64,
    /// hCR4 (for the nested walk's paging mode).
    pub host_cr4: u64,
    /// hEFER (for the nested walk's paging mode).
    pub host_efer: u64,
}
