//! `kvm-rfc`: "[RFC PATCH 0/6] KVM: x86: nSVM: Improve virtualization of VMCB12 G_PAT", Jim
//! Mattson, 7 Nov 2025, <20251107201151.3303170-1-jmattson@google.com> (patches -2- … -7-).
//! Reference §9.3. Not merged.
//!
//! gPAT is a hidden register (vmcb02.g_pat) loaded from vmcb12.g_pat with nested NPT and checked;
//! RDMSR/WRMSR(PAT) in guest mode with nested NPT go to it — **for KVM_GET/SET_MSRS too** — and
//! #VMEXIT writes it back. KVM_GET_NESTED_STATE sets VALID_GPAT (u32 at hdr+8) whenever in guest
//! mode and carries L1's PAT in the save-area g_pat; KVM_SET_NESTED_STATE then "fixes up" what
//! KVM_SET_MSRS restored (patch 1, "Shuffle guest PAT and PAT MSR in svm_set_nested_state()").
use super::*;
use crate::hv::nested_state::KVM_STATE_SVM_VALID_GPAT;

pub struct Rfc;

impl GpatDesign for Rfc {
    fn design(&self) -> Design {
        Design::KvmRfc
    }
    fn source(&self) -> &'static str {
        "<20251107201151.3303170-1-jmattson@google.com> (RFC 0/6, Nov 2025)"
    }
    fn summary(&self) -> &'static str {
        "hidden gPAT in vmcb02 with nested NPT; guest and userspace PAT accesses redirected to it; \
         SET_NESTED_STATE fixes up the MSR restore"
    }
    fn checks_gpat(&self, v: &Vmrun12) -> bool {
        // Patch 5: fail if vmcb12 has NP, L0 uses NPT, and the cached g_pat is invalid.
        v.nested_npt
    }
    fn vmrun(&self, r: &mut PatRegs, v: &Vmrun12) {
        // Patch 6: vmcb02.g_pat = cached vmcb12 g_pat with nested NPT, else vmcb01.g_pat.
        r.vmcb02_gpat = if v.nested_npt { v.g_pat } else { r.vmcb01_gpat };
    }
    fn rdmsr(&self, r: &PatRegs, c: &NestedCtx, _host: bool) -> u64 {
        if c.guest_mode && c.nested_npt { r.vmcb02_gpat } else { r.arch_pat }
    }
    fn wrmsr(&self, r: &mut PatRegs, c: &NestedCtx, value: u64, _host: bool) -> Result<(), InvalidPat> {
        validate(value)?;
        if !(c.guest_mode && c.nested_npt) {
            r.arch_pat = value;
            r.vmcb01_gpat = value;
        }
        if c.guest_mode {
            r.vmcb02_gpat = value;
        }
        Ok(())
    }
    fn vmexit(&self, r: &mut PatRegs, c: &NestedCtx) -> Option<u64> {
        c.nested_npt.then_some(r.vmcb02_gpat)
    }
    fn get_nested_state(&self, r: &PatRegs, _c: &NestedCtx, ns: &mut NestedState) {
        let f = ns.hdr_u32(8) | KVM_STATE_SVM_VALID_GPAT;
        ns.set_hdr_u32(8, f);
        ns.save.g_pat = r.vmcb01_gpat;
    }
    fn set_nested_state(&self, r: &mut PatRegs, c: &mut NestedCtx, ns: &NestedState) -> Result<(), Einval> {
        if !c.guest_mode {
            r.vmcb02_gpat = r.vmcb01_gpat;
        }
        // svm_copy_vmrun_state() now copies g_pat.
        r.vmcb01_gpat = ns.save.g_pat;
        c.guest_mode = true;
        c.nested_npt = ns.control_np();
        if ns.hdr_u32(8) & KVM_STATE_SVM_VALID_GPAT != 0 && c.nested_npt {
            r.vmcb02_gpat = r.arch_pat;
            if !pat_valid(r.vmcb01_gpat) {
                return Err(Einval(format!("save-area g_pat {:#x} (L1's PAT) is not a valid PAT", r.vmcb01_gpat)));
            }
            r.arch_pat = r.vmcb01_gpat;
        }
        Ok(())
    }
    fn l1_pat(&self, r: &PatRegs, _c: &NestedCtx) -> u64 {
        r.arch_pat
    }
}
