//! `kvm-merged`: the merged v8 series with KVM_X86_QUIRK_NESTED_SVM_SHARED_PAT disabled.
//! v8: <20260407190343.325299-1-jmattson@google.com>; applied to kvm-x86 "svm"
//! (<177915062620.2226127.1264745848157211491.b4-ty@google.com>) as 822790ab0149, 0a8aeb15848e,
//! 4b83e4ba836e, 02233c73f8ae, "Redirect IA32_PAT accesses to either hPAT or gPAT", d65cf222b899,
//! 32ebdbce3b23, 4f256d5770fe; present in torvalds/linux @7bb6284aa7b3. Reference §9.6–§9.7.
//!
//! The architected separation: gPAT = vmcb02.g_pat (loaded from vmcb12 when vmcb12 is new or its
//! NP clean bit is clear, checked at every VMRUN), guest PAT accesses in L2 with nested NPT go to
//! it, **userspace accesses always go to hPAT**, #VMEXIT writes it back, and the nested-state
//! header carries it as a u64 at hdr+8 — so save and restore work in either order.
use super::*;

pub struct Merged;

/// `l2_has_separate_pat()`: nested NPT and the quirk disabled (this design has it disabled).
fn separate(c: &NestedCtx) -> bool {
    c.nested_npt
}

impl GpatDesign for Merged {
    fn design(&self) -> Design {
        Design::KvmMerged
    }
    fn source(&self) -> &'static str {
        "<20260407190343.325299-1-jmattson@google.com> (v8), merged as 822790ab0149..4f256d5770fe, quirk off"
    }
    fn summary(&self) -> &'static str {
        "separate gPAT in vmcb02 with nested NPT, checked and written back; userspace MSR accesses \
         always hPAT; gPAT in the nested-state header"
    }
    fn checks_gpat(&self, v: &Vmrun12) -> bool {
        v.nested_npt
    }
    fn vmrun(&self, r: &mut PatRegs, v: &Vmrun12) {
        if v.nested_npt {
            if v.new_vmcb12 || !v.np_clean {
                r.vmcb02_gpat = v.g_pat;
            }
        } else {
            r.vmcb02_gpat = r.arch_pat;
        }
    }
    fn rdmsr(&self, r: &PatRegs, c: &NestedCtx, host: bool) -> u64 {
        // svm_pat_accesses_gpat(): not host-initiated, in guest mode, separate L2 PAT.
        if !host && c.guest_mode && separate(c) { r.vmcb02_gpat } else { r.arch_pat }
    }
    fn wrmsr(&self, r: &mut PatRegs, c: &NestedCtx, value: u64, host: bool) -> Result<(), InvalidPat> {
        validate(value)?;
        if !host && c.guest_mode && separate(c) {
            r.vmcb02_gpat = value;
        } else {
            r.arch_pat = value;
            r.vmcb01_gpat = value;
            if c.guest_mode && !separate(c) {
                r.vmcb02_gpat = value;
            }
        }
        Ok(())
    }
    fn vmexit(&self, r: &mut PatRegs, c: &NestedCtx) -> Option<u64> {
        separate(c).then_some(r.vmcb02_gpat)
    }
    fn get_nested_state(&self, r: &PatRegs, c: &NestedCtx, ns: &mut NestedState) {
        ns.set_hdr_u64(8, if separate(c) { r.vmcb02_gpat } else { 0 });
        ns.save.g_pat = r.vmcb01_gpat;
    }
    fn set_nested_state(&self, r: &mut PatRegs, c: &mut NestedCtx, ns: &NestedState) -> Result<(), Einval> {
        let use_separate = ns.control_np();
        let gpat = ns.hdr_u64(8);
        if use_separate && !pat_valid(gpat) {
            return Err(Einval(format!("hdr.svm.gpat {gpat:#x} is not a valid PAT")));
        }
        if !c.guest_mode {
            r.vmcb02_gpat = r.vmcb01_gpat;
        }
        c.guest_mode = true;
        c.nested_npt = use_separate;
        if use_separate {
            r.vmcb02_gpat = gpat;
        }
        Ok(())
    }
    fn l1_pat(&self, r: &PatRegs, _c: &NestedCtx) -> u64 {
        r.arch_pat
    }
}
