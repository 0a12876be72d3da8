//! #VMEXIT (APM 15.6, reference §4.3, §8.2).
//!
//! 1. GIF = 0.
//! 2. The guest state VMRUN loaded is written back to the VMCB (ES CS SS DS with hidden parts, GDTR,
//!    IDTR, EFER, CR0, CR2, CR3, CR4, DR6, DR7, RFLAGS, RIP, RSP, RAX, CPL), with EXITCODE,
//!    EXITINFO1/2, EXITINTINFO and nRIP (NRIPS); EVENTINJ is cleared and INT_STATE written (no
//!    interrupt shadow is modelled: 0). The VMLOAD/VMSAVE state is not written (reference §4.4).
//!    With LBR virtualization the guest's DEBUGCTL and LBR MSRs go into the VMCB and the host's
//!    come back (svm/features.rs).
//! 3. With NP: G_PAT per model (`bare`: G_PAT := gPAT register; `bare-swap`: G_PAT := PAT MSR and
//!    the parked host PAT goes back into the PAT MSR; `bare-qemu`: nothing). nCR3 is not saved, and
//!    nested paging ends.
//! 4. The host state is reloaded from the internal host save: CR0.PE forced to 1, RFLAGS.VM = 0,
//!    CPL = 0, DR7 breakpoints disabled (DR7 = 0x400); RIP = the instruction after VMRUN.
//! 5. The TLB is flushed (observably; cpu/tlb.rs keeps translations that re-walking would give).
//!
//! A guest entered through the host-neutral entry (`Processor::enter_guest`) has no host state in
//! the CPU: steps 1-3 happen, guest mode ends, and the exit is returned to whoever entered it.
//!
//! Host-state inconsistency → shutdown: the host state lives inside the CPU (`HostSave`) and was
//! the state of a running host, so the re-check cannot fail in this model; it is not modelled.
use super::VmExit;
use super::model::SvmModel;
use crate::cpu::control::cr0;
use crate::cpu::processor::Processor;
use crate::svm::SvmState;
use crate::mem::Hpa;
use crate::outcome::{EmuError, PhysUse};
use crate::trace::{Detail, Event, EventKind, Level};

const RFLAGS_VM: u64 = 1 << 17;

impl Processor<SvmState> {
    /// Performs #VMEXIT with `exit` from the running guest. `Ok(Some(exit))`: the guest was
    /// entered from outside (`enter_guest`), which takes the exit; `Ok(None)`: the host program
    /// continues after its VMRUN (or no guest ran). The VMCB write-back to a page outside RAM is
    /// an emulator error: VMRUN checked the page, so only a broken entry can get here.
    pub(crate) fn svm_vmexit(&mut self, exit: VmExit) -> Result<Option<VmExit>, EmuError> {
        // The translation context being left (taken while the guest's NP is still in force).
        let from = Some(self.tlb_context());
        let Some(g) = self.svm.guest.take() else { return Ok(None) };
        self.svm.gif = false;
        let pa = Hpa(g.vmcb_pa);
        let guest_rip = self.cpu.regs.rip;
        let shadow = self.in_interrupt_shadow();
        // VMRUN checked that the VMCB page is aligned and in RAM. The fields are written in place:
        // the rest of the VMCB (intercepts, the VMLOAD/VMSAVE state, reserved bytes) is untouched.
        {
            let page = self.mem.page_for_write(pa).map_err(|e| EmuError::outside_ram(PhysUse::VmcbWrite, e.0))?;
            use super::vmcb::{Field, save_f as sf};
            let c = &self.cpu;
            sf::es.set(page, super::insn::seg_to_vmcb(&c.es));
            sf::cs.set(page, super::insn::seg_to_vmcb(&c.cs));
            sf::ss.set(page, super::insn::seg_to_vmcb(&c.ss));
            sf::ds.set(page, super::insn::seg_to_vmcb(&c.ds));
            // GDTR/IDTR: limit (seg+4) and base (seg+8) only, as `struct vmcb_seg` holds them.
            for (f, t) in [(sf::gdtr, &c.gdtr), (sf::idtr, &c.idtr)] {
                Field::<u32>::at(f.off + 4).set(page, t.limit as u32);
                Field::<u64>::at(f.off + 8).set(page, t.base);
            }
            sf::efer.set(page, c.ctl.efer);
            sf::cr0.set(page, c.ctl.cr0);
            sf::cr2.set(page, c.ctl.cr2);
            sf::cr3.set(page, c.ctl.cr3);
            sf::cr4.set(page, c.ctl.cr4);
            sf::dr6.set(page, c.ctl.dr[6]);
            sf::dr7.set(page, c.ctl.dr[7]);
            sf::rflags.set(page, c.regs.rflags);
            sf::rip.set(page, guest_rip);
            sf::rsp.set(page, c.regs.gpr[4]);
            sf::rax.set(page, c.regs.gpr[0]);
            sf::cpl.set(page, c.cpl);
            if g.np.is_some() {
                match self.svm.model {
                    SvmModel::Bare => sf::g_pat.set(page, g.gpat),
                    SvmModel::BareSwap => sf::g_pat.set(page, c.pat),
                    SvmModel::BareQemu => {}
                }
            }
            // INTERRUPT_SHADOW: the exiting instruction was in the shadow of STI / MOV SS.
            super::vmcb::VmcbControl::store_vmexit_in_page(page, &exit, shadow as u32);
            // V_IRQ (cleared when the virtual interrupt was taken), V_TPR, V_GIF and the vNMI
            // state go back (APM 15.21.4, 15.33, 15.21.6); the other int_ctl bits are the VMCB's.
            use super::vmcb::control::{V_GIF, V_IRQ, V_NMI_BLOCKING, V_NMI_PENDING, V_TPR_MASK};
            let keep = V_IRQ | V_TPR_MASK | V_GIF | V_NMI_PENDING | V_NMI_BLOCKING;
            let f = super::vmcb::control_f::int_ctl;
            let old = f.get(page);
            f.set(page, (old & !keep) | (g.ctrl.int_ctl & keep));
            // LBR virtualization: the guest's DEBUGCTL/LBR MSRs out (svm/features.rs).
            if g.lbr_host.is_some() {
                super::features::lbrv_store(page, &c.msr);
            }
        }
        self.lbrv_restore(g.lbr_host);
        let Some(h) = g.host else {
            // Entered from outside: no host state to reload; the caller takes the exit.
            self.tlb_world_switch(from, None);
            return Ok(Some(exit));
        };
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
        self.tlb_world_switch(from, Some(self.tlb_context()));
        self.events.push(Event {
            kind: EventKind::Vmexit,
            from: Level::L2,
            to: Level::L1,
            exit_code: exit.code.0,
            step: self.steps + 1,
            rip: guest_rip,
            detail: Some(Detail::Name(exit.code.name())),
        });
        Ok(None)
    }
}
