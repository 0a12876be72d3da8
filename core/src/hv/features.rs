//! Optional SVM features L0 carries through nested SVM for L1, as KVM does (reference §4.5/§4.6):
//! - nested LBR virtualization: with misc_ctl2 bit 0 (V_LBR) in vmcb12, vmcb02 runs with V_LBR
//!   and vmcb12's DBGCTL (reserved bits dropped), BR_FROM, BR_TO, LASTEXCPFROM, LASTEXCPTO, and the
//!   emulated #VMEXIT copies them back into vmcb12 (KVM `nested_vmcb02_prepare_save` /
//!   `nested_svm_vmexit`: `svm_copy_lbrs`). Without it L2 shares L1's DEBUGCTL and LBR MSRs: L0
//!   leaves them to the hardware for L1 (not intercepted), so vmcb02 without V_LBR is KVM's
//!   "vmcb02 takes vmcb01's LBR state, and gives it back at the exit";
//! - the PAUSE filter: L0 does not intercept PAUSE for L1 (KVM's "pause in guest", the
//!   configuration `-overcommit cpu-pm=on` of kvm-unit-tests' svm_pause_filter), so vmcb02 takes
//!   vmcb12's PAUSE_FILTER_COUNT and PAUSE_FILTER_THRESHOLD (KVM `nested_vmcb02_prepare_control`)
//!   and L2's PAUSE exits go to L1 when vmcb12 intercepts PAUSE.
//!
//! Both are advertised to L1 by the CPUID it reads from the hardware (L0 does not intercept CPUID).
use super::l0::Kvm;
use crate::cpu::lbr::DEBUGCTL_VALID;
use crate::outcome::EmuError;
use crate::svm::vmcb::control::MISC_CTL2_V_LBR;
use crate::svm::vmcb::{save_f as sf, Vmcb};

/// vmcb02's LBR virtualization and PAUSE filter fields from vmcb12 (`v12`) into `v02`.
pub(crate) fn vmcb02_features(v12: &Vmcb, v02: &mut Vmcb) {
    let (c12, s12) = (&v12.control, &v12.save);
    let (c, s) = (&mut v02.control, &mut v02.save);
    c.pause_filter_count = c12.pause_filter_count;
    c.pause_filter_thresh = c12.pause_filter_thresh;
    c.misc_ctl2 = (c.misc_ctl2 & !MISC_CTL2_V_LBR) | (c12.misc_ctl2 & MISC_CTL2_V_LBR);
    if c12.misc_ctl2 & MISC_CTL2_V_LBR != 0 {
        s.dbgctl = s12.dbgctl & DEBUGCTL_VALID;
        (s.br_from, s.br_to, s.last_excp_from, s.last_excp_to) = (s12.br_from, s12.br_to, s12.last_excp_from, s12.last_excp_to);
    }
}

impl Kvm {
    /// The emulated #VMEXIT to L1: with nested LBR virtualization, L2's DEBUGCTL/LBR state from
    /// vmcb02 into vmcb12 (`v_lbr` = vmcb12's V_LBR at the VMRUN).
    pub(crate) fn vmexit12_features(&mut self, vmcb12: u64, v_lbr: bool) -> Result<(), EmuError> {
        if !v_lbr {
            return Ok(());
        }
        let fields = [sf::dbgctl, sf::br_from, sf::br_to, sf::last_excp_from, sf::last_excp_to];
        let vals = self.vmcb_fields(self.layout.vmcb02, |p| fields.map(|f| f.get(p)))?;
        self.edit_vmcb(vmcb12, |p| {
            for (f, v) in fields.into_iter().zip(vals) {
                f.set(p, v);
            }
        })
    }
}
