//! #VMEXIT (APM 15.6, reference §4.3, §8.2).
//!
//! 1. GIF = 0.
//! 2. The guest state VMRUN loaded is written back to the VMCB (ES CS SS DS with hidden parts, GDTR,
//!    IDTR, EFER, CR0, CR2, CR3, CR4, DR6, DR7, RFLAGS, RIP, RSP, RAX, CPL), with EXITCODE,
//!    EXITINFO1/2, EXITINTINFO and nRIP (NRIPS); EVENTINJ is cleared and INT_STATE written (no
//!    interrupt shadow is modelled: 0). The VMLOAD/VMSAVE state is not written (reference §4.4).
//! 3. With NP: G_PAT per model (`bare`: G_PAT := gPAT register; `bare-swap`: G_PAT := PAT MSR and
//!    the parked host PAT goes back into the PAT MSR; `bare-qemu`: nothing). nCR3 is not saved, and
//!    nested paging ends.
//! 4. The host state is reloaded from the internal host save: CR0.PE forced to 1, RFLAGS.VM = 0,
//!    CPL = 0, DR7 breakpoints disabled (DR7 = 0x400); RIP = the instruction after VMRUN.
//! 5. The TLB is flushed.
//!
//! Host-state inconsistency → shutdown: the host state lives inside the CPU (`HostSave`) and was
//! the state of a running host, so the re-check cannot fail in this model; it is not modelled.
use super::VmExit;
use super::model::SvmModel;
use super::vmcb::Vmcb;
use crate::cpu::control::cr0;
use crate::machine::Machine;
use crate::mem::Hpa;
use crate::trace::{Event, EventKind, Level};

const RFLAGS_VM: u64 = 1 << 17;

impl Machine {
    /// Performs #VMEXIT with `exit` from the running guest. No-op outside a guest.
    pub fn svm_vmexit(&mut self, exit: VmExit) {
        let Some(g) = self.svm.guest.take() else { return };
        self.svm.gif = false;
        let pa = Hpa(g.vmcb_pa);
        let guest_rip = self.cpu.regs.rip;
        // VMRUN checked that the VMCB page is in RAM, so the read-modify-write cannot fail.
        if let Ok(mut v) = Vmcb::read_from(&self.mem, pa) {
            let c = &self.cpu;
            let s = &mut v.save;
            s.es = super::insn::seg_to_vmcb(&c.es);
            s.cs = super::insn::seg_to_vmcb(&c.cs);
            s.ss = super::insn::seg_to_vmcb(&c.ss);
            s.ds = super::insn::seg_to_vmcb(&c.ds);
            s.gdtr.base = c.gdtr.base;
            s.gdtr.limit = c.gdtr.limit as u32;
            s.idtr.base = c.idtr.base;
            s.idtr.limit = c.idtr.limit as u32;
            s.efer = c.ctl.efer;
            s.cr0 = c.ctl.cr0;
            s.cr2 = c.ctl.cr2;
            s.cr3 = c.ctl.cr3;
            s.cr4 = c.ctl.cr4;
            s.dr6 = c.ctl.dr[6];
            s.dr7 = c.ctl.dr[7];
            s.rflags = c.regs.rflags;
            s.rip = guest_rip;
            s.rsp = c.regs.gpr[4];
            s.rax = c.regs.gpr[0];
            s.cpl = c.cpl;
            if g.np.is_some() {
                match self.svm.model {
                    SvmModel::Bare => s.g_pat = g.gpat,
                    SvmModel::BareSwap => s.g_pat = c.pat,
                    SvmModel::BareQemu => {}
                }
            }
            let ctl = &mut v.control;
            ctl.set_vmexit(&exit);
            ctl.event_inj = 0;
            ctl.event_inj_err = 0;
            ctl.int_state = 0;
            let _ = v.write_to(&mut self.mem, pa);
        }
        if self.svm.l0_host {
            // The host is an L0 model: no host program to reload; L0 takes the exit from here.
            self.flush_tlb();
            self.svm.pending_exit = Some(exit);
            return;
        }
        let h = g.host;
        let c = &mut self.cpu;
        if let Some(p) = h.parked_pat {
            c.pat = p;
        }
        c.es = h.es;
        c.cs = h.cs;
        c.ss = h.ss;
        c.ds = h.ds;
        c.gdtr = h.gdtr;
        c.idtr = h.idtr;
        c.ctl.cr0 = h.cr0 | cr0::PE;
        c.ctl.cr3 = h.cr3;
        c.ctl.cr4 = h.cr4;
        c.ctl.efer = h.efer;
        c.ctl.dr[7] = 0x400;
        c.regs.rflags = (h.rflags & !RFLAGS_VM) | crate::cpu::regs::flags::FIXED1;
        c.regs.rip = h.rip;
        c.regs.gpr[4] = h.rsp;
        c.regs.gpr[0] = h.rax;
        c.cpl = 0;
        self.flush_tlb();
        self.events.push(Event {
            kind: EventKind::Vmexit,
            from: Level::L2,
            to: Level::L1,
            exit_code: exit.code.0,
            step: self.steps,
            rip: guest_rip,
            detail: Some(exit.code.name().to_string()),
        });
    }
}
