//! SVM as the processor's virtualization extension: `SvmState` implements the CPU's hook
//! interface (cpu/processor.rs `Virt`) with the intercept checks, the 2-D walk and #VMEXIT of
//! the files beside this one.
use super::state::SvmState;
use super::VmExit;
use crate::cpu::exec::ExecResult;
use crate::cpu::interrupts::{EventAction, External};
use crate::cpu::processor::{Processor, Virt};
use crate::mem::paging::Access;
use crate::mem::{Hpa, NestedPaging};
use crate::outcome::{EmuError, Fault, IdtEvent, Trap};
use iced_x86::Instruction;

impl Virt for SvmState {
    #[inline]
    fn nested_paging(&self) -> Option<&NestedPaging> {
        SvmState::nested_paging(self)
    }

    #[inline]
    fn in_guest(&self) -> bool {
        SvmState::in_guest(self)
    }

    /// TSC_OFFSET of the guest that runs now; 0 outside a guest (APM Table B-1, VMCB+0x050).
    #[inline]
    fn tsc_offset(&self) -> u64 {
        self.guest.as_ref().map_or(0, |g| g.ctrl.tsc_offset)
    }

    #[inline]
    fn pre_execute(p: &mut Processor<Self>, ins: &Instruction) -> Option<ExecResult> {
        p.svm_pre_execute(ins)
    }

    fn exception_exit(p: &Processor<Self>, f: &Fault, prior: Option<&IdtEvent>) -> Option<VmExit> {
        p.svm_exception_hook(f, prior)
    }

    fn exit_during_delivery(p: &Processor<Self>, exit: VmExit, event: &IdtEvent) -> VmExit {
        p.svm_exit_during_delivery(exit, event)
    }

    fn shutdown_exit(p: &Processor<Self>) -> Option<VmExit> {
        p.svm_shutdown_hook()
    }

    fn translate_nested(p: &mut Processor<Self>, la: u64, acc: Access) -> Result<Hpa, Trap> {
        p.translate_nested(la, acc)
    }

    fn vmexit(p: &mut Processor<Self>, exit: VmExit) -> Result<Option<VmExit>, EmuError> {
        p.svm_vmexit(exit)
    }

    fn event_action(p: &Processor<Self>, ev: External) -> EventAction {
        p.svm_event_action(ev)
    }

    fn virtual_interrupt(p: &mut Processor<Self>) -> Option<Result<(u8, bool), VmExit>> {
        p.svm_virtual_interrupt()
    }

    fn iret(p: &mut Processor<Self>) {
        p.svm_iret();
    }

    #[inline]
    fn virtual_pending(&self) -> bool {
        self.virq_pending()
    }

}
