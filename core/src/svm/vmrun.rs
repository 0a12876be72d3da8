//! VMRUN (APM 15.5.1 and vol.3 "VMRUN", reference §4.1/§4.2/§8.2).
//!
//! Order: EFER.SVME/protected mode (#UD), CPL (#GP(0)), rAX (4 KiB aligned, below MAXPHYADDR, in
//! RAM: #GP(0)), VM_HSAVE_PA (set, in RAM: #GP(0)); then the VMCB is read and every consistency
//! check of `check_vmrun` is run (the G_PAT check only on the models that check it). On failure
//! VMRUN ends in #VMEXIT(VMEXIT_INVALID): EXITCODE = 0xFFFF_FFFF_FFFF_FFFF (all 64 bits),
//! EXITINFO1/2 = 0 and EVENTINJ = 0 are written into the VMCB, GIF = 0, and the host continues at
//! the instruction after VMRUN with its state unchanged.
//!
//! Trace convention: every VMRUN pushes a `vmrun` event L1→L2; a failed one is immediately followed
//! by a `vmexit` event L2→L1 with exit code 0xFFFF_FFFF_FFFF_FFFF and `detail` = "name (APM
//! section): values" of the first failing check — the hardware did attempt the world switch and
//! reports the failure as a #VMEXIT.
//!
//! On success the host state is saved (internally, see `HostSave`), the guest state is loaded,
//! NP is set up with the host paging mode of this moment, the model decides what happens to the
//! PAT, the optional features load (LBR virtualization, the PAUSE filter counter: svm/features.rs),
//! GIF = 1, the TLB is flushed, EVENTINJ is delivered through the guest IDT, and the CPU
//! continues with the guest's first instruction.
#![warn(missing_docs)]
use super::checks::{FailedCheck, HostContext, check_pae_pdptes, check_vmrun, pae_pdpt_of};
use super::insn::seg_from_vmcb;
use super::intercept::{EventInj, EventType};
use super::model::SvmModel;
use super::state::{GuestMode, HostSave, NestedPaging};
use super::vmcb::Vmcb;

use super::{SvmExitCode, VmExit};
use crate::cpu::DescTable;
use crate::cpu::control::{cr0, efer};
use crate::cpu::exec::{ExecResult, Flow};
use crate::outcome::{EmuError, Fault, IdtEvent, IdtEventType, PhysUse, Stepped, Trap};
use crate::cpu::processor::Processor;
use crate::svm::SvmState;
use crate::mem::Hpa;
use crate::trace::{Detail, Event, EventKind, Level};
use iced_x86::Instruction;

impl Processor<SvmState> {
    pub(crate) fn exec_vmrun(&mut self, ins: &Instruction) -> ExecResult {
        self.svm_insn_prechecks()?;
        let pa = self.svm_rax_page(ins, false)?;
        let hsave = self.cpu.msr.vm_hsave_pa;
        if hsave == 0 || !self.mem.contains(Hpa(hsave), 0x1000) {
            return Err(Fault::gp0().into());
        }
        let vmcb = self
            .lend_vmcb(pa)
            .map_err(|e| Trap::from(EmuError::outside_ram(PhysUse::VmcbRead, e.0)))?;
        let rip = ins.ip();
        let next = ins.next_ip();
        self.events.push(Event {
            kind: EventKind::Vmrun,
            from: Level::L1,
            to: Level::L2,
            exit_code: 0,
            step: self.steps + 1,
            rip,
            detail: Some(Detail::Vmrun { vmcb: pa, emulated_by: None }),
        });
        let model = self.svm.model;
        let host_ctx = HostContext::new(self.cpu.ctl.cr0, model.checks_gpat());
        if let Err(f) = self.vmrun_checks(&vmcb.v, &host_ctx) {
            let mut c = vmcb.v.control.clone();
            c.set_vmexit(&VmExit::invalid());
            c.event_inj = 0;
            c.event_inj_err = 0;
            c.write_to(&mut self.mem, pa)
                .map_err(|e| Trap::from(EmuError::outside_ram(PhysUse::VmcbWrite, e.0)))?;
            self.svm.gif = false;
            self.events.push(Event {
                kind: EventKind::Vmexit,
                from: Level::L2,
                to: Level::L1,
                exit_code: SvmExitCode::INVALID.0,
                step: self.steps + 1,
                rip,
                detail: Some(Detail::VmrunFailed(f)),
            });
            return Ok(Flow::Next);
        }

        // Save the host state (reference §4.1 list).
        let c = &self.cpu;
        let host = HostSave {
            es: c.es,
            cs: c.cs,
            ss: c.ss,
            ds: c.ds,
            gdtr: c.gdtr,
            idtr: c.idtr,
            cr0: c.ctl.cr0,
            cr3: c.ctl.cr3,
            cr4: c.ctl.cr4,
            efer: c.ctl.efer,
            // VMRUN completes at the #VMEXIT with the host's RF clear: RF suppressed a breakpoint
            // on the VMRUN only (APM vol.2 13.1.3.3; kvm-unit-tests host_rflags).
            rflags: c.regs.rflags & !(1 << 16),
            rip: next,
            rsp: c.regs.gpr[4],
            rax: c.regs.gpr[0],
            parked_pat: None,
        };
        let paging = HostPaging {
            cr0: c.ctl.cr0,
            cr4: c.ctl.cr4,
            efer: c.ctl.efer,
            host_if: c.regs.rflags & crate::cpu::regs::flags::IF != 0,
        };
        let r = self.svm_enter_guest(pa, &vmcb.v, Some(host), paging);
        self.give_back_vmcb(vmcb);
        r?;
        Ok(Flow::Jump(self.cpu.regs.rip))
    }

    /// Every consistency check of VMRUN: `check_vmrun`, then the PDPEs of a legacy PAE guest
    /// without nested paging, read from memory (guest-physical = system-physical here; an address
    /// outside RAM reads as a PDPE that is not present, as the walker reads it).
    fn vmrun_checks(&self, v: &Vmcb, host: &HostContext) -> Result<(), FailedCheck> {
        check_vmrun(&v.control, &v.save, host)?;
        if let Some(pdpt) = pae_pdpt_of(&v.control, &v.save) {
            let pdptes = std::array::from_fn(|i| self.mem.read_u64(Hpa(pdpt + 8 * i as u64)).unwrap_or(0));
            check_pae_pdptes(&pdptes)?;
        }
        Ok(())
    }

    /// The world switch into a guest whose VMCB passed the consistency checks: NP set up with the
    /// host paging mode `hp`, the model's PAT handling, guest state loaded, GIF = 1, TLB flushed,
    /// EVENTINJ delivered. Shared by the VMRUN instruction (`host` = the state it saved) and the
    /// host-neutral entry (`host` = `None`).
    pub(crate) fn svm_enter_guest(&mut self, pa: Hpa, vmcb: &Vmcb, mut host: Option<HostSave>, hp: HostPaging) -> Result<(), Trap> {
        let model = self.svm.model;
        // The translation context being left: the host program's, or none for a host outside the
        // model (which does not translate through this CPU).
        let from = host.is_some().then(|| self.tlb_context());
        let (ctrl, s) = (&vmcb.control, &vmcb.save);
        // INTERRUPT_SHADOW loaded: the guest's first instruction is in a shadow (VMRUN itself
        // is a step when the CPU executes it; an entry from outside is not).
        if ctrl.int_state & 1 != 0 {
            self.shadow_step = self.steps + host.is_some() as u64;
        }
        let np = ctrl.np_enable().then_some(NestedPaging {
            ncr3: ctrl.nested_cr3,
            host_nxe: hp.efer & efer::NXE != 0,
            host_cr0: hp.cr0,
            host_cr4: hp.cr4,
            host_efer: hp.efer,
        });
        // G_PAT (reference §8.2, §10.3): only with NP, and only on the models that use it.
        let mut gpat = self.cpu.pat;
        if np.is_some() {
            match model {
                SvmModel::Bare => gpat = s.g_pat,
                SvmModel::BareSwap => {
                    // A host outside the model keeps its own PAT: nothing is parked for it.
                    if let Some(h) = host.as_mut() {
                        h.parked_pat = Some(self.cpu.pat);
                    }
                    self.cpu.pat = s.g_pat;
                }
                SvmModel::BareQemu => {}
            }
        }
        // Load the guest state (reference §4.1).
        let c = &mut self.cpu;
        c.es = seg_from_vmcb(&s.es);
        c.cs = seg_from_vmcb(&s.cs);
        c.ss = seg_from_vmcb(&s.ss);
        c.ds = seg_from_vmcb(&s.ds);
        // The VMCB's GDTR/IDTR limit fields are 32 bits wide; the registers hold bits 15:0.
        #[allow(clippy::cast_possible_truncation, reason = "the descriptor-table registers' limits are 16 bits")]
        let (gdt_limit, idt_limit) = (s.gdtr.limit as u16, s.idtr.limit as u16);
        c.gdtr = DescTable { base: s.gdtr.base, limit: gdt_limit };
        c.idtr = DescTable { base: s.idtr.base, limit: idt_limit };
        c.ctl.efer = s.efer;
        c.ctl.cr0 = s.cr0;
        c.ctl.cr2 = s.cr2;
        c.ctl.cr3 = s.cr3;
        c.ctl.cr4 = s.cr4;
        c.ctl.dr[6] = s.dr6;
        c.ctl.dr[7] = s.dr7;
        c.regs.rflags = s.rflags | crate::cpu::regs::flags::FIXED1;
        c.regs.rip = s.rip;
        c.regs.gpr[4] = s.rsp;
        c.regs.gpr[0] = s.rax;
        // CPL from the VMCB; forced to 0 in real mode (APM 15.5.1).
        c.cpl = if s.cr0 & cr0::PE == 0 { 0 } else { s.cpl & 3 };
        // LBR virtualization and the PAUSE filter (svm/features.rs).
        let lbr_host = self.lbrv_enter(ctrl, s);
        let pause = super::features::PauseFilter::load(ctrl, self.steps);
        self.svm.guest =
            Some(GuestMode { vmcb_pa: pa.0, ctrl: ctrl.clone(), host, np, gpat, host_if: hp.host_if, lbr_host, pause });
        self.svm.gif = true;
        // A virtual interrupt to look at (cpu/interrupts.rs). Events GIF held keep the APIC busy,
        // so `event_check` is already set for them.
        if self.svm.virq_pending() {
            self.event_check = true;
        }
        // TLB_CONTROL: the software TLB has no ASID tags and behaves as flushed on every VMRUN and
        // #VMEXIT, which satisfies every TLB_CONTROL value (translations kept across the switch
        // are exactly what re-walking gives, cpu/tlb.rs). The decode cache is keyed by
        // system-physical address and page write generation, so it needs no flush.
        self.tlb_world_switch(from, Some(self.tlb_context()));

        // EVENTINJ (APM 15.20): delivered through the guest IDT as if it had occurred in the guest,
        // without consulting the exception intercepts for the injected event itself. A fault
        // raised while delivering it is an ordinary guest exception: subject to the intercepts
        // with the injected event in EXITINTINFO, and combined with it by the double-fault rules
        // (APM 15.20 "Event Injection", 8.2.9); a #VMEXIT during the delivery (#NPF) records it too.
        let e = EventInj::decode(ctrl.event_inj_u64());
        if e.valid {
            let rip = self.cpu.regs.rip;
            let (soft, ret) = match e.ty {
                // With NRIPS, the return address of an injected INTn is nRIP when it is set
                // (what KVM relies on for soft interrupts); else the VMCB RIP.
                EventType::SoftInt => (true, if ctrl.next_rip != 0 { ctrl.next_rip } else { rip }),
                _ => (false, rip),
            };
            // TYPE 2 (NMI): the VECTOR field is ignored, an NMI is vector 2 (APM 15.20).
            let v = if e.ty == EventType::Nmi { crate::outcome::vector::NMI } else { e.vector };
            let ty = match e.ty {
                EventType::Intr => IdtEventType::Intr,
                EventType::Nmi => IdtEventType::Nmi,
                EventType::SoftInt => IdtEventType::SoftInt,
                _ => IdtEventType::Exception,
            };
            // An injected event is external to the guest program: faults raised while delivering
            // it have EXT set, except for an injected software interrupt (APM 8.4.1).
            let during = IdtEvent { vector: v, ty, error_code: e.error_code, soft };
            match self.deliver_vector(v, e.error_code, ret, soft, !soft) {
                Ok(()) => {}
                Err(Trap::Exit(mut x)) => {
                    x.int_info = ctrl.event_inj_u64();
                    return Err(Trap::Exit(x));
                }
                Err(Trap::Fault(f)) => return Err(Trap::Fault(Fault { during: Some(during), ..f })),
                Err(t) => return Err(t),
            }
        }
        Ok(())
    }

    /// The host-neutral guest entry: VMRUN on the VMCB at `pa` for a host outside the model whose
    /// paging mode is `hp` (it keeps controlling the nested walk). The VMCB is checked like VMRUN
    /// checks it; no host state is saved in the CPU, so the guest's #VMEXIT is returned to the
    /// caller by `step`/`run_guest` (`Exited`) instead of reloading a host. Whoever calls this
    /// knows that it entered the guest; the hardware does not record it.
    pub fn enter_guest(&mut self, pa: Hpa, hp: HostPaging) -> Result<GuestEntry, EmuError> {
        let vmcb = self.lend_vmcb(pa).map_err(|e| EmuError::outside_ram(PhysUse::VmcbRead, e.0))?;
        let host_ctx = HostContext::new(hp.cr0, self.svm.model.checks_gpat());
        if let Err(f) = self.vmrun_checks(&vmcb.v, &host_ctx) {
            self.give_back_vmcb(vmcb);
            return Ok(GuestEntry::Invalid(f));
        }
        let r = self.svm_enter_guest(pa, &vmcb.v, None, hp);
        self.give_back_vmcb(vmcb);
        // A fault or intercept while delivering EVENTINJ: it happens before any guest instruction.
        let out = match r {
            Ok(()) => return Ok(GuestEntry::Running),
            Err(Trap::Exit(x)) => self.vmexit(x)?,
            Err(Trap::Fault(f)) => self.deliver_fault(f)?,
            Err(Trap::Emu(e)) => return Err(*e),
        };
        Ok(match out {
            Stepped::Retired => GuestEntry::Running,
            Stepped::Exited(x) => GuestEntry::Exited(x),
            Stepped::Stopped(s) => GuestEntry::Stopped(s),
        })
    }
}

/// How `Processor::enter_guest` ended (`Machine::enter_guest` records a stop).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuestEntry {
    /// The guest runs; `step`/`run_guest` execute it.
    Running,
    /// Delivering EVENTINJ caused a #VMEXIT: the guest has already exited with this.
    Exited(VmExit),
    /// Delivering EVENTINJ shut the machine down.
    Stopped(crate::outcome::Stop),
    /// The VMCB fails a consistency check (VMRUN would #VMEXIT(VMEXIT_INVALID)); nothing changed.
    Invalid(super::checks::FailedCheck),
}

/// The paging mode of whoever executes VMRUN: it keeps controlling the nested walk (reference §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostPaging {
    /// CR0 (CR0.PG: whether the host walk is paged).
    pub cr0: u64,
    /// CR4 (the host walk's paging controls).
    pub cr4: u64,
    /// EFER (LMA and NXE of the host walk).
    pub efer: u64,
    /// The host's RFLAGS.IF: with V_INTR_MASKING it masks physical interrupts while the guest
    /// runs (APM 15.21.1).
    pub host_if: bool,
}
