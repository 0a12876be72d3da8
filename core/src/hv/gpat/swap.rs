//! `kvm-swap`: "[PATCH 00/10] KVM: x86: nSVM: Improve PAT virtualization", Jim Mattson, 12/13 Jan
//! 2026, <20260113003016.3511895-1-jmattson@google.com> (v1). Reference §9.4. Not merged.
//!
//! PAT is "just like any other resource with distinct host and guest values": one storage
//! location (`vcpu->arch.pat`) swapped on emulated VMRUN/#VMEXIT with nested NPT, L1's PAT parked
//! in vmcb01.g_pat meanwhile and restored at #VMEXIT ("not architected", patch 4/10). Userspace
//! MSR accesses reach `arch.pat`, i.e. L2's PAT while L2 runs. Its cross-version problem:
//! <CALMp9eTLS6_HhWTkf-baga77=0zNq6KUBYtvY0WNuGs3ts2Ptw@mail.gmail.com>.
use super::*;
use crate::hv::nested_state::KVM_STATE_SVM_VALID_GPAT;

pub struct Swap;

impl GpatDesign for Swap {
    fn design(&self) -> Design {
        Design::KvmSwap
    }
    fn source(&self) -> &'static str {
        "<20260113003016.3511895-1-jmattson@google.com> (v1 00/10, Jan 2026)"
    }
    fn summary(&self) -> &'static str {
        "PAT swapped: arch.pat = vmcb12.G_PAT at VMRUN (L1's PAT parked in vmcb01.g_pat), restored at #VMEXIT"
    }
    fn checks_gpat(&self, v: &Vmrun12) -> bool {
        // Patch 6/10: save checks fail if the control has NP, L0 uses NPT, and g_pat is invalid.
        v.nested_npt
    }
    fn vmrun(&self, r: &mut PatRegs, v: &Vmrun12) {
        // Patch 7/10.
        if v.nested_npt {
            r.arch_pat = v.g_pat;
            if v.new_vmcb12 || !v.np_clean {
                r.vmcb02_gpat = v.g_pat;
            }
        } else {
            r.vmcb02_gpat = r.arch_pat;
        }
    }
    fn rdmsr(&self, r: &PatRegs, _c: &NestedCtx, _host: bool) -> u64 {
        r.arch_pat
    }
    fn wrmsr(&self, r: &mut PatRegs, c: &NestedCtx, value: u64, _host: bool) -> Result<(), InvalidPat> {
        // Patch 9/10: common code stores arch.pat; then the *current* VMCB's g_pat; in guest mode
        // without nested NPT also vmcb01.g_pat.
        validate(value)?;
        r.arch_pat = value;
        if c.guest_mode {
            r.vmcb02_gpat = value;
            if !c.nested_npt {
                r.vmcb01_gpat = value;
            }
        } else {
            r.vmcb01_gpat = value;
        }
        Ok(())
    }
    fn vmexit(&self, r: &mut PatRegs, c: &NestedCtx) -> Option<u64> {
        // Patches 8/10 and 4/10.
        if c.nested_npt {
            let g = r.arch_pat;
            r.arch_pat = r.vmcb01_gpat;
            Some(g)
        } else {
            None
        }
    }
    fn get_nested_state(&self, r: &PatRegs, _c: &NestedCtx, ns: &mut NestedState) {
        // Patch 2/10: VALID_GPAT ORed in whenever in guest mode; the save area's g_pat is L1's PAT.
        let f = ns.hdr_u32(8) | KVM_STATE_SVM_VALID_GPAT;
        ns.set_hdr_u32(8, f);
        ns.save.g_pat = r.vmcb01_gpat;
    }
    fn set_nested_state(&self, r: &mut PatRegs, c: &mut NestedCtx, ns: &NestedState) -> Result<(), Einval> {
        if !c.guest_mode {
            r.vmcb02_gpat = r.vmcb01_gpat;
        }
        // Patch 3/10: a legacy checkpoint (no flag) gets the current arch.pat as L1's PAT.
        let l1 = if ns.hdr_u32(8) & KVM_STATE_SVM_VALID_GPAT != 0 { ns.save.g_pat } else { r.arch_pat };
        if ns.control_np() && !pat_valid(l1) {
            return Err(Einval(format!("save-area g_pat {l1:#x} is not a valid PAT")));
        }
        r.vmcb01_gpat = l1;
        c.guest_mode = true;
        c.nested_npt = ns.control_np();
        Ok(())
    }
    fn l1_pat(&self, r: &PatRegs, c: &NestedCtx) -> u64 {
        if c.guest_mode && c.nested_npt { r.vmcb01_gpat } else { r.arch_pat }
    }
}
