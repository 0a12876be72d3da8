//! The SVM instructions other than VMRUN (APM vol.3, reference §4.4): VMLOAD, VMSAVE, STGI, CLGI,
//! INVLPGA, VMMCALL, SKINIT, and the dispatch hook called at the top of `execute`.
use super::vmcb::{VmcbSave, VmcbSeg};
use crate::cpu::Segment;
use crate::cpu::exec::{ExecResult, Flow, canonical};
use crate::outcome::{EmuError, Fault, PhysUse, Trap};
use crate::cpu::msr::MAXPHYADDR;
use crate::cpu::processor::Processor;
use crate::svm::SvmState;
use crate::mem::Hpa;
use iced_x86::{Instruction, Mnemonic};

pub(crate) fn seg_to_vmcb(s: &Segment) -> VmcbSeg {
    VmcbSeg { selector: s.selector, attrib: s.attrib, limit: s.limit, base: s.base }
}

pub(crate) fn seg_from_vmcb(s: &VmcbSeg) -> Segment {
    Segment { selector: s.selector, attrib: s.attrib, limit: s.limit, base: s.base }
}

fn mem_err(a: Hpa) -> Trap {
    Trap::from(EmuError::outside_ram(PhysUse::VmloadVmsave, a))
}

impl Processor<SvmState> {
    /// The SVM hook at the top of `execute`: intercept checks while a guest runs, then the SVM
    /// instructions themselves. `None` = not an SVM matter, execute normally.
    #[inline]
    pub(crate) fn svm_pre_execute(&mut self, ins: &Instruction) -> Option<ExecResult> {
        if self.svm.guest.is_some()
            && let Some(r) = self.guest_intercept(ins)
        {
            return Some(r);
        }
        use Mnemonic as M;
        match ins.mnemonic() {
            M::Vmrun => Some(self.exec_vmrun(ins)),
            M::Vmload | M::Vmsave => Some(self.exec_vmload_vmsave(ins, ins.mnemonic() == M::Vmsave)),
            M::Stgi | M::Clgi => Some(self.svm_insn_prechecks().map(|()| {
                self.set_gif(ins.mnemonic() == M::Stgi);
                Flow::Next
            })),
            M::Invlpga => Some(self.svm_insn_prechecks().map(|()| {
                // rAX = linear address, ECX = ASID. The TLB has no ASID tags: drop everything.
                self.flush_tlb();
                Flow::Next
            })),
            // VMMCALL without an intercept is #UD (APM vol.3); so is SKINIT, which the model
            // does not offer (CPUID 0x80000001 ECX.SKINIT clear).
            M::Vmmcall | M::Skinit => Some(Err(Fault::ud().into())),
            _ => None,
        }
    }

    /// rAX as the physical address of a VMCB-format page (VMRUN, VMLOAD, VMSAVE): 4 KiB aligned,
    /// below MAXPHYADDR and inside RAM, else #GP(0). In a guest the address is guest-physical and
    /// goes through the nested table when NP is on. rAX is taken at the instruction's effective
    /// address size (APM vol.3: with the 0x67 prefix in 64-bit mode, EAX; bits 63:32 ignored).
    pub(crate) fn svm_rax_page(&mut self, ins: &Instruction, write: bool) -> Result<Hpa, Trap> {
        let rax = rax_at_address_size(ins, self.cpu.regs.gpr[0]);
        if rax & 0xfff != 0 || rax >> MAXPHYADDR != 0 {
            return Err(Fault::gp0().into());
        }
        let pa = self.guest_phys(rax, write)?;
        if !self.mem.contains(pa, 0x1000) {
            return Err(Fault::gp0().into());
        }
        Ok(pa)
    }

    /// VMLOAD / VMSAVE (APM 15.5.2, reference §4.4): FS, GS, TR, LDTR with their hidden parts,
    /// KernelGsBase, STAR, LSTAR, CSTAR, SFMASK, SYSENTER_CS/ESP/EIP.
    fn exec_vmload_vmsave(&mut self, ins: &Instruction, save: bool) -> ExecResult {
        self.svm_insn_prechecks()?;
        let pa = self.svm_rax_page(ins, save)?;
        self.vmload_vmsave_at(pa, save)?;
        Ok(Flow::Next)
    }

    /// Moves the VMLOAD/VMSAVE state between the CPU and the VMCB at `pa` (also used by an L0
    /// model emulating the instructions for its guest).
    pub(crate) fn vmload_vmsave_at(&mut self, pa: Hpa, save: bool) -> Result<(), Trap> {
        let mut v = VmcbSave::read_from(&self.mem, pa).map_err(|e| mem_err(e.0))?;
        let c = &mut self.cpu;
        let m = &mut c.msr;
        if save {
            v.fs = seg_to_vmcb(&c.fs);
            v.gs = seg_to_vmcb(&c.gs);
            v.tr = seg_to_vmcb(&c.tr);
            v.ldtr = seg_to_vmcb(&c.ldtr);
            v.kernel_gs_base = m.kernel_gs_base;
            v.star = m.star;
            v.lstar = m.lstar;
            v.cstar = m.cstar;
            v.sfmask = m.sfmask;
            v.sysenter_cs = m.sysenter_cs;
            v.sysenter_esp = m.sysenter_esp;
            v.sysenter_eip = m.sysenter_eip;
            v.write_to(&mut self.mem, pa).map_err(|e| mem_err(e.0))?;
        } else {
            // VMLOAD canonicalizes the bases it loads (kvm-unit-tests test_canonicalization, on
            // hardware: VMLOAD then VMSAVE gives canonical FS/GS/TR/LDTR/KernelGSbase bases).
            let canon = |s: &VmcbSeg| Segment { base: canonical(s.base), ..seg_from_vmcb(s) };
            c.fs = canon(&v.fs);
            c.gs = canon(&v.gs);
            c.tr = canon(&v.tr);
            c.ldtr = canon(&v.ldtr);
            m.kernel_gs_base = canonical(v.kernel_gs_base);
            m.star = v.star;
            m.lstar = v.lstar;
            m.cstar = v.cstar;
            m.sfmask = v.sfmask;
            m.sysenter_cs = v.sysenter_cs;
            m.sysenter_esp = v.sysenter_esp;
            m.sysenter_eip = v.sysenter_eip;
        }
        Ok(())
    }
}

/// rAX as VMRUN, VMLOAD and VMSAVE use it: at the instruction's effective address size (APM vol.3
/// VMRUN/VMLOAD/VMSAVE "rAX": with the 0x67 prefix in 64-bit mode EAX, bits 63:32 ignored; AX
/// for a 16-bit address size).
pub(crate) fn rax_at_address_size(ins: &Instruction, rax: u64) -> u64 {
    use iced_x86::Code as C;
    match ins.code() {
        C::Vmrund | C::Vmloadd | C::Vmsaved => rax & 0xffff_ffff,
        C::Vmrunw | C::Vmloadw | C::Vmsavew => rax & 0xffff,
        _ => rax,
    }
}
