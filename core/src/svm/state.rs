//! The SVM part of the processor state: GIF, the model, and — while a guest runs — the cached
//! VMCB controls, the host state saved by VMRUN and the nested-paging context. Checkpoints keep it
//! as a record of its own (checkpoint/records/svm.rs).
#![warn(missing_docs)]
use super::model::SvmModel;
use super::vmcb::VmcbControl;
use crate::cpu::{DescTable, Segment};
use crate::trace::Level;

/// Host state saved by VMRUN (APM 15.5.1, reference §4.1 list: CS, NEXT_RIP, RFLAGS, RAX, SS, RSP,
/// CR0, CR3, CR4, EFER, IDTR, GDTR, ES, DS).
///
/// **Where it lives:** in this internal structure (as Bochs does, reference §10.2), not in the
/// VM_HSAVE_PA page. The APM leaves the format of the host save area implementation-specific and
/// tells software not to rely on it, so keeping it inside the CPU is indistinguishable to a
/// program; VM_HSAVE_PA must still be set and valid for VMRUN (#GP otherwise), and the page is not
/// written. Segments are saved whole (selector and hidden part), which is what #VMEXIT reloads.
#[derive(Clone, Debug, PartialEq)]
pub struct HostSave {
    pub es: Segment,
    pub cs: Segment,
    pub ss: Segment,
    pub ds: Segment,
    pub gdtr: DescTable,
    pub idtr: DescTable,
    pub cr0: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub efer: u64,
    pub rflags: u64,
    /// NEXT_RIP: the instruction after VMRUN.
    pub rip: u64,
    pub rsp: u64,
    pub rax: u64,
    /// `bare-swap` only: the host PAT parked while the PAT MSR holds gPAT (NP on). `None` otherwise
    /// — the APM host save list has no PAT (reference §8.2).
    pub parked_pat: Option<u64>,
}

pub use crate::mem::NestedPaging;

/// What the processor holds while it runs a guest (between VMRUN and #VMEXIT).
#[derive(Clone, Debug, PartialEq)]
pub struct GuestMode {
    /// Physical address of the VMCB (rAX at VMRUN).
    pub vmcb_pa: u64,
    /// The control area as read at VMRUN (intercepts, permission maps, NP, …). Hardware reads the
    /// VMCB at VMRUN; later changes to the VMCB memory by the guest do not change the intercepts.
    pub ctrl: VmcbControl,
    /// The host state VMRUN saved. `None` when the guest was entered through the host-neutral
    /// entry (`Processor::enter_guest`): there is no host state inside the CPU to reload, and
    /// #VMEXIT ends guest mode and returns the exit to whoever entered (`StepOutcome::Exited`).
    pub host: Option<HostSave>,
    /// `Some` when NP_ENABLE = 1.
    pub np: Option<NestedPaging>,
    /// `bare` model: the separate guest PAT register, loaded from G_PAT at VMRUN when NP is on.
    pub gpat: u64,
    /// The host's RFLAGS.IF at the entry (V_INTR_MASKING masks physical interrupts with it).
    pub host_if: bool,
    /// The host's DEBUGCTL/LBR MSRs when the guest runs with LBR virtualization (svm/features.rs).
    pub lbr_host: Option<super::features::LbrHost>,
    /// The PAUSE filter counter (svm/features.rs).
    pub pause: super::features::PauseFilter,
}

/// SVM state of the processor.
#[derive(Clone, Debug, PartialEq)]
pub struct SvmState {
    /// The hardware model (how the PAT is applied in a guest: `bare`, `bare-swap`, `bare-qemu`).
    pub model: SvmModel,
    /// The global interrupt flag (APM 15.17). Set by STGI and VMRUN, cleared by CLGI and #VMEXIT.
    /// No interrupt source is modelled, so it has no further effect.
    pub gif: bool,
    /// `Some` while the CPU executes a guest (L2).
    pub guest: Option<GuestMode>,
    /// Parsed VMCBs (svm/vmcb/cache.rs; not architectural state, never saved).
    pub vmcb_cache: super::vmcb::cache::VmcbCache,
}

impl SvmState {
    /// Power-on state: GIF set, no guest.
    pub fn new(model: SvmModel) -> Self {
        SvmState { model, gif: true, guest: None, vmcb_cache: Default::default() }
    }

    /// The level of the code the CPU executes: L2 while a guest runs, else L1.
    #[inline]
    pub fn level(&self) -> Level {
        if self.guest.is_some() { Level::L2 } else { Level::L1 }
    }

    #[inline]
    /// True while the CPU executes a guest.
    pub fn in_guest(&self) -> bool {
        self.guest.is_some()
    }

    /// The nested-paging context when a guest runs with NP on.
    #[inline]
    pub fn nested_paging(&self) -> Option<&NestedPaging> {
        self.guest.as_ref().and_then(|g| g.np.as_ref())
    }
}

impl Default for SvmState {
    fn default() -> Self {
        SvmState::new(SvmModel::Bare)
    }
}

impl SvmState {
    /// (guest PAT, host PAT) for the memory-type rules of a guest with NP (reference §6.4), as
    /// each model holds them: `bare` the gPAT register and the PAT MSR; `bare-swap` the PAT MSR
    /// (holding G_PAT) and the parked host PAT; `bare-qemu` the one shared PAT for both.
    pub fn model_pats(&self, g: &GuestMode, pat_msr: u64) -> (u64, u64) {
        match self.model {
            SvmModel::Bare => (g.gpat, pat_msr),
            SvmModel::BareSwap => (pat_msr, g.host.as_ref().and_then(|h| h.parked_pat).unwrap_or(pat_msr)),
            SvmModel::BareQemu => (pat_msr, pat_msr),
        }
    }
}

impl crate::cpu::processor::Processor<SvmState> {
    /// The registers of the outermost program (L1) — CONTRACT §3 reports these. While a guest
    /// runs, VMRUN has not switched the GPRs other than RAX and RSP, so L1's are the current ones
    /// with RAX, RSP, RIP (the instruction after VMRUN) and RFLAGS from the host save.
    pub fn outer_regs(&self) -> crate::cpu::Regs {
        let mut r = self.cpu.regs.clone();
        if let Some(h) = self.svm.guest.as_ref().and_then(|g| g.host.as_ref()) {
            r.gpr[0] = h.rax;
            r.gpr[4] = h.rsp;
            r.rip = h.rip;
            r.rflags = h.rflags;
        }
        r
    }
}
