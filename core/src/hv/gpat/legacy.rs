//! `kvm-legacy`: KVM before the gPAT series, which is also merged KVM with
//! KVM_X86_QUIRK_NESTED_SVM_SHARED_PAT on (the default). Reference §9.2 and the quirk-on column of
//! §9.6. Sources: nested.c @00f08d99dd7d (`nested_vmcb02_compute_g_pat()` with its FIXME, from
//! commit 4995a3685f1b "KVM: SVM: Use a separate vmcb for the nested L2 guest"); commit
//! 15038e147247 "KVM: SVM: obey guest PAT"; quirk: 822790ab0149.
//!
//! One PAT for L1 and L2: vmcb12.g_pat is never read nor checked, L2 runs on L1's PAT, L2's
//! RDMSR/WRMSR(PAT) reach L1's PAT, nothing is written back at #VMEXIT, and the nested-state
//! header carries only vmcb_pa (merged quirk-on writes gpat = 0 at hdr+8, which is the same bytes).
use super::*;

pub struct Legacy;

impl GpatDesign for Legacy {
    fn design(&self) -> Design {
        Design::KvmLegacy
    }
    fn source(&self) -> &'static str {
        "nested.c @00f08d99dd7d (nested_vmcb02_compute_g_pat, FIXME from 4995a3685f1b); \
         = merged 822790ab0149 with KVM_X86_QUIRK_NESTED_SVM_SHARED_PAT on"
    }
    fn summary(&self) -> &'static str {
        "L1 and L2 share one PAT: vmcb12.G_PAT ignored and unchecked, vmcb02.g_pat = L1's PAT, no write-back"
    }
    fn checks_gpat(&self, _v: &Vmrun12) -> bool {
        false
    }
    fn vmrun(&self, r: &mut PatRegs, _v: &Vmrun12) {
        // nested_vmcb02_compute_g_pat(): vmcb02.g_pat = vmcb01.g_pat.
        r.vmcb02_gpat = r.vmcb01_gpat;
    }
    fn rdmsr(&self, r: &PatRegs, _c: &NestedCtx, _host: bool) -> u64 {
        r.arch_pat
    }
    fn wrmsr(&self, r: &mut PatRegs, c: &NestedCtx, value: u64, _host: bool) -> Result<(), InvalidPat> {
        validate(value)?;
        r.arch_pat = value;
        r.vmcb01_gpat = value;
        if c.guest_mode {
            r.vmcb02_gpat = r.vmcb01_gpat;
        }
        Ok(())
    }
    fn vmexit(&self, _r: &mut PatRegs, _c: &NestedCtx) -> Option<u64> {
        None
    }
    fn get_nested_state(&self, r: &PatRegs, _c: &NestedCtx, ns: &mut NestedState) {
        ns.save.g_pat = r.vmcb01_gpat;
    }
    fn set_nested_state(&self, r: &mut PatRegs, c: &mut NestedCtx, ns: &NestedState) -> Result<(), Einval> {
        // vmcb02.save <- vmcb01.save; svm_copy_vmrun_state() does not copy g_pat.
        if !c.guest_mode {
            r.vmcb02_gpat = r.vmcb01_gpat;
        }
        c.guest_mode = true;
        c.nested_npt = ns.control_np();
        Ok(())
    }
    fn l1_pat(&self, r: &PatRegs, _c: &NestedCtx) -> u64 {
        r.arch_pat
    }
}
