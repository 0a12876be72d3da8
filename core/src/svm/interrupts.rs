//! What SVM decides for external events (cpu/interrupts.rs asks through the `Virt` hooks): GIF
//! and vGIF, the INTR/NMI/SMI intercepts, V_INTR_MASKING, and the virtual interrupt (V_IRQ,
//! V_INTR_PRIO, V_TPR, V_IGN_TPR, V_INTR_VECTOR) with the VINTR intercept.
//!
//! - GIF = 0 holds every external event (APM 15.17). With V_GIF_ENABLE in the running guest's
//!   VMCB, the guest's STGI/CLGI set and clear V_GIF instead, and V_GIF is the guest's GIF
//!   (APM 15.33 "Virtual GIF").
//! - In a guest, a recognized physical interrupt, NMI or SMI whose intercept is set is a
//!   #VMEXIT (INTR 0x60, NMI 0x61, SMI 0x62; APM 15.13); the event stays pending and is taken by
//!   the host once its GIF is set. Without the intercept it is taken in the guest.
//! - V_INTR_MASKING = 1: physical interrupts are masked by the host's RFLAGS.IF (saved at VMRUN),
//!   not the guest's; = 0: by the guest's RFLAGS.IF (APM 15.21.1).
//! - V_IRQ = 1: a virtual interrupt is taken when the guest's RFLAGS.IF = 1, no shadow, and
//!   V_INTR_PRIO > V_TPR (unless V_IGN_TPR); the VINTR intercept makes that moment a #VMEXIT
//!   instead (APM 15.21.4). Taken, it is delivered with vector V_INTR_VECTOR and V_IRQ is cleared
//!   (written back to the VMCB at #VMEXIT).
use super::intercept::is_intercepted;
use super::state::{GuestMode, SvmState};
use super::vmcb::control::{
    V_GIF, V_GIF_ENABLE, V_IGN_TPR, V_INTR_MASKING, V_INTR_PRIO_SHIFT, V_IRQ, V_NMI_BLOCKING, V_NMI_ENABLE, V_NMI_PENDING,
    V_TPR_MASK,
};
use super::{Intercept as I, SvmExitCode, VmExit};
use crate::cpu::interrupts::{EventAction, External};
use crate::cpu::processor::Processor;

/// The exit of a recognized external event (no exit information, APM 15.13).
fn event_exit(code: SvmExitCode) -> VmExit {
    VmExit { code, info1: 0, info2: 0, int_info: 0, next_rip: 0 }
}

/// The GIF that governs the running guest: V_GIF with vGIF enabled, else the GIF.
fn guest_gif(svm: &SvmState, g: &GuestMode) -> bool {
    if g.ctrl.int_ctl & V_GIF_ENABLE != 0 { g.ctrl.int_ctl & V_GIF != 0 } else { svm.gif }
}

impl Processor<SvmState> {
    /// STGI (`set`) / CLGI: the GIF, or the running guest's V_GIF when its VMCB enables vGIF.
    pub(crate) fn set_gif(&mut self, set: bool) {
        match self.svm.guest.as_mut() {
            Some(g) if g.ctrl.int_ctl & V_GIF_ENABLE != 0 => {
                if set { g.ctrl.int_ctl |= V_GIF } else { g.ctrl.int_ctl &= !V_GIF }
            }
            _ => self.svm.gif = set,
        }
        // Nothing to flag: what GIF held keeps the APIC busy, and `event_check` set with it.
    }

    /// `Virt::event_action` for SVM.
    pub(crate) fn svm_event_action(&self, ev: External) -> EventAction {
        let Some(g) = self.svm.guest.as_ref() else {
            return if self.svm.gif { self.native_action(ev) } else { EventAction::Held };
        };
        if !guest_gif(&self.svm, g) {
            return EventAction::Held;
        }
        let c = &g.ctrl;
        let (intercept, code) = match ev {
            External::Smi => (I::SMI, SvmExitCode::SMI),
            External::Nmi => (I::NMI, SvmExitCode::NMI),
            External::Intr => (I::INTR, SvmExitCode::INTR),
        };
        let recognized = match ev {
            External::Smi => true,
            External::Nmi => !self.nmi_blocked,
            External::Intr if c.int_ctl & V_INTR_MASKING != 0 => g.host_if && !self.in_interrupt_shadow(),
            External::Intr => self.intr_window(),
        };
        if !recognized {
            EventAction::Held
        } else if is_intercepted(c, intercept) {
            EventAction::Exit(event_exit(code))
        } else if ev == External::Smi {
            EventAction::Absorb
        } else {
            EventAction::Deliver
        }
    }

    /// `Virt::virtual_interrupt` for SVM: a virtual NMI (V_NMI_PENDING with vNMI), then V_IRQ.
    pub(crate) fn svm_virtual_interrupt(&mut self) -> Option<Result<(u8, bool), VmExit>> {
        let window = self.intr_window();
        let g = self.svm.guest.as_ref()?;
        let ic = g.ctrl.int_ctl;
        // vNMI (APM 15.21.6): a pending virtual NMI is taken when not blocked and GIF is set;
        // taking it sets V_NMI_BLOCKING until the guest's IRET.
        let vnmi = V_NMI_ENABLE | V_NMI_PENDING;
        if ic & (vnmi | V_NMI_BLOCKING) == vnmi && guest_gif(&self.svm, g) {
            if let Some(g) = self.svm.guest.as_mut() {
                g.ctrl.int_ctl = (ic & !V_NMI_PENDING) | V_NMI_BLOCKING;
            }
            return Some(Ok((crate::outcome::vector::NMI, true)));
        }
        if ic & V_IRQ == 0 || !window || !guest_gif(&self.svm, g) {
            return None;
        }
        let prio = (ic >> V_INTR_PRIO_SHIFT) & 0xf;
        if ic & V_IGN_TPR == 0 && prio <= ic & V_TPR_MASK {
            return None;
        }
        if is_intercepted(&g.ctrl, I::VINTR) {
            return Some(Err(event_exit(SvmExitCode::VINTR)));
        }
        #[allow(clippy::cast_possible_truncation, reason = "V_INTR_VECTOR is bits 7:0")]
        let v = g.ctrl.int_vector as u8;
        if let Some(g) = self.svm.guest.as_mut() {
            g.ctrl.int_ctl &= !V_IRQ;
        }
        Some(Ok((v, false)))
    }

    /// IRET: with vNMI in the running guest it ends the virtual NMI's blocking (APM 15.21.6).
    pub(crate) fn svm_iret(&mut self) {
        if let Some(g) = self.svm.guest.as_mut()
            && g.ctrl.int_ctl & V_NMI_ENABLE != 0
        {
            g.ctrl.int_ctl &= !V_NMI_BLOCKING;
        }
    }
}

impl SvmState {
    /// The running guest has a virtual interrupt request (V_IRQ).
    pub(crate) fn virq_pending(&self) -> bool {
        self.guest.as_ref().is_some_and(|g| g.ctrl.int_ctl & V_IRQ != 0 || g.ctrl.int_ctl & (V_NMI_ENABLE | V_NMI_PENDING) == V_NMI_ENABLE | V_NMI_PENDING)
    }
}
