//! gPAT handling of an L0 that emulates nested SVM, one design per file (reference §9).
//!
//! Every design decides the same five things: the VMRUN G_PAT check, where vmcb02.g_pat comes
//! from, where L2's RDMSR/WRMSR(PAT) go, what #VMEXIT writes back to vmcb12.g_pat, and what the
//! userspace save/restore interface (KVM_GET/SET_MSRS, KVM_GET/SET_NESTED_STATE) carries.
//! L0 is modelled with NPT enabled for L1 (`npt_enabled`), as KVM by default.
pub(crate) mod legacy;
pub(crate) mod merged;
pub(crate) mod rfc;
pub(crate) mod swap;

use crate::hv::nested_state::{NestedState, SaveOrder};
use crate::mem::memtype::pat_valid;

/// Reset value of the PAT MSR: what a freshly created vCPU holds (reference §5.1, "R" in §9.1).
pub const PAT_RESET: u64 = crate::mem::memtype::PAT_POWER_ON;

/// The designs a user can switch between (CONTRACT §2 model names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Design {
    /// Before the gPAT series = merged KVM with KVM_X86_QUIRK_NESTED_SVM_SHARED_PAT on.
    KvmLegacy,
    /// The Nov 2025 RFC: hidden gPAT, MSR ioctls follow the redirect.
    KvmRfc,
    /// The Jan 2026 v1: PAT swapped on emulated VMRUN/#VMEXIT.
    KvmSwap,
    /// Merged v8 with the quirk disabled.
    KvmMerged,
}

impl Design {
    pub const ALL: [Design; 4] = [Design::KvmLegacy, Design::KvmRfc, Design::KvmSwap, Design::KvmMerged];

    pub fn name(self) -> &'static str {
        match self {
            Design::KvmLegacy => "kvm-legacy",
            Design::KvmRfc => "kvm-rfc",
            Design::KvmSwap => "kvm-swap",
            Design::KvmMerged => "kvm-merged",
        }
    }

    /// Which KVM the design is, in a few words (CONTRACT §2).
    pub fn title(self) -> &'static str {
        match self {
            Design::KvmLegacy => "before the gPAT series (shared-PAT quirk on)",
            Design::KvmRfc => "Nov 2025 RFC",
            Design::KvmSwap => "Jan 2026 v1 swap design",
            Design::KvmMerged => "merged v8 with the quirk disabled",
        }
    }

    pub fn from_name(s: &str) -> Option<Design> {
        Design::ALL.into_iter().find(|d| d.name() == s)
    }

    /// The design's behaviour.
    pub fn ops(self) -> &'static dyn GpatDesign {
        match self {
            Design::KvmLegacy => &legacy::Legacy,
            Design::KvmRfc => &rfc::Rfc,
            Design::KvmSwap => &swap::Swap,
            Design::KvmMerged => &merged::Merged,
        }
    }
}

/// Where KVM keeps PAT values (reference §9.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatRegs {
    /// `vcpu->arch.pat`: what KVM's common MSR code reads and writes.
    pub arch_pat: u64,
    /// `vmcb01.save.g_pat`: the hardware gPAT while L1 runs (L0 uses NPT).
    pub vmcb01_gpat: u64,
    /// `vmcb02.save.g_pat`: the hardware gPAT while L2 runs.
    pub vmcb02_gpat: u64,
}

impl PatRegs {
    /// A freshly created vCPU.
    pub fn reset() -> PatRegs {
        PatRegs { arch_pat: PAT_RESET, vmcb01_gpat: PAT_RESET, vmcb02_gpat: PAT_RESET }
    }
}

/// Nested context the designs consult.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NestedCtx {
    /// L2 is active (KVM's "guest mode").
    pub guest_mode: bool,
    /// The cached vmcb12 has NP_ENABLE ("nested NPT").
    pub nested_npt: bool,
}

/// What the emulated VMRUN needs from vmcb12 for the gPAT decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vmrun12 {
    pub g_pat: u64,
    pub nested_npt: bool,
    /// vmcb12's GPA differs from the previous VMRUN's.
    pub new_vmcb12: bool,
    /// vmcb12's NP clean bit (bit 4) is set.
    pub np_clean: bool,
}

/// A WRMSR(PAT) that must fail: #GP for the guest, an error for the ioctl.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidPat(pub u64);

/// KVM_SET_NESTED_STATE rejected the data (-EINVAL) with a reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Einval(pub String);

/// One gPAT design.
pub trait GpatDesign: Sync {
    fn design(&self) -> Design;
    /// Where the design comes from (Message-ID / commit).
    fn source(&self) -> &'static str;
    /// One line on what the design does.
    fn summary(&self) -> &'static str;

    /// Does the emulated VMRUN check vmcb12.g_pat (VMEXIT_INVALID when invalid)?
    fn checks_gpat(&self, v: &Vmrun12) -> bool;
    /// Emulated VMRUN after the checks passed: set vmcb02.g_pat (and whatever else the design moves).
    fn vmrun(&self, r: &mut PatRegs, v: &Vmrun12);
    /// RDMSR(PAT) by the vCPU (`host` = a KVM_GET_MSRS from userspace).
    fn rdmsr(&self, r: &PatRegs, c: &NestedCtx, host: bool) -> u64;
    /// WRMSR(PAT) by the vCPU (`host` = KVM_SET_MSRS).
    fn wrmsr(&self, r: &mut PatRegs, c: &NestedCtx, value: u64, host: bool) -> Result<(), InvalidPat>;
    /// Emulated #VMEXIT from L2: the value written into vmcb12.g_pat, if any; restores what the
    /// design must restore for L1.
    fn vmexit(&self, r: &mut PatRegs, c: &NestedCtx) -> Option<u64>;
    /// KVM_GET_NESTED_STATE while L2 is active: the gPAT-related part of the header and the
    /// save-area g_pat (the rest of the state is common to all designs).
    fn get_nested_state(&self, r: &PatRegs, c: &NestedCtx, ns: &mut NestedState);
    /// KVM_SET_NESTED_STATE into a vCPU (the gPAT-related part), entering guest mode.
    fn set_nested_state(&self, r: &mut PatRegs, c: &mut NestedCtx, ns: &NestedState) -> Result<(), Einval>;
    /// The PAT L1 runs with once L2 exits (guest-visible L1 state).
    fn l1_pat(&self, r: &PatRegs, c: &NestedCtx) -> u64;
}

pub(crate) fn validate(v: u64) -> Result<(), InvalidPat> {
    if pat_valid(v) { Ok(()) } else { Err(InvalidPat(v)) }
}

/// The PAT L2 runs with while active: the hardware gPAT of vmcb02 (L0 uses NPT).
pub fn l2_pat(r: &PatRegs) -> u64 {
    r.vmcb02_gpat
}

/// What userspace reads from a vCPU whose L2 is active, in the order it reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct UserspaceCheckpoint {
    pub design: Design,
    /// KVM_GET_MSRS(IA32_PAT).
    pub msr_pat: u64,
    pub nested: NestedState,
}

/// Takes the PAT part of a userspace checkpoint (KVM_GET_MSRS then KVM_GET_NESTED_STATE).
pub fn checkpoint(d: Design, r: &PatRegs, c: &NestedCtx, ns: NestedState) -> UserspaceCheckpoint {
    let ops = d.ops();
    let msr_pat = ops.rdmsr(r, c, true);
    let mut nested = ns;
    ops.get_nested_state(r, c, &mut nested);
    UserspaceCheckpoint { design: d, msr_pat, nested }
}

/// Restores a checkpoint into a freshly created vCPU of design `to`, in the given order.
pub fn restore(to: Design, cp: &UserspaceCheckpoint, order: SaveOrder) -> Result<(PatRegs, NestedCtx), Einval> {
    let ops = to.ops();
    let mut r = PatRegs::reset();
    let mut c = NestedCtx::default();
    let set_msrs = |r: &mut PatRegs, c: &NestedCtx| {
        ops.wrmsr(r, c, cp.msr_pat, true).map_err(|InvalidPat(v)| Einval(format!("KVM_SET_MSRS: invalid PAT {v:#x}")))
    };
    match order {
        SaveOrder::MsrsFirst => {
            set_msrs(&mut r, &c)?;
            ops.set_nested_state(&mut r, &mut c, &cp.nested)?;
        }
        SaveOrder::NestedStateFirst => {
            ops.set_nested_state(&mut r, &mut c, &cp.nested)?;
            set_msrs(&mut r, &c)?;
        }
    }
    Ok((r, c))
}

#[cfg(test)]
mod tests;
