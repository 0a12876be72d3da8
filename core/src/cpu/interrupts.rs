//! External events between instructions: the local APIC's fixed interrupts, NMIs and SMIs (the
//! timer counting on the processor's time base), HLT waiting for them — and the virtualization
//! extension's say over each (GIF, intercepts, virtual interrupts) through the `Virt` hooks.
//!
//! Priorities between instructions (APM vol.2 8.5, "Priorities"): SMI, then NMI, then maskable
//! external interrupts (INTR), then a virtual interrupt of the running guest (V_IRQ, APM 15.21.4).
//! A maskable interrupt is recognized only with RFLAGS.IF = 1 and outside an interrupt shadow
//! (APM 8.1.2); an NMI is blocked from its delivery until the next IRET (APM 8.2.3).
//!
//! Time base: one tick per step (the TSC derives from steps, cpu/exec/system.rs); the APIC timer
//! counts these ticks through its divider. A halted processor lets time pass: the steps jump to
//! the timer's next expiry, so that the TSC and the timer agree on how long HLT waited.
//!
//! Cost: the run loop asks `take_event` only while `event_check` is set — by an APIC write, a
//! guest entry or HLT — and `take_event` clears it when nothing at all is pending.
use crate::cpu::exec::Flow;
use crate::cpu::processor::{Processor, Virt};
use crate::cpu::regs::flags as rf;
use crate::outcome::{vector, Fault, IdtEvent, IdtEventType, ModelLimit, Stop, Trap, VmExit};

/// An event arriving from outside the instruction stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum External {
    /// A system-management interrupt.
    Smi,
    /// A non-maskable interrupt.
    Nmi,
    /// A maskable external interrupt (the APIC's highest deliverable vector).
    Intr,
}

/// What happens to a pending event now (decided by [`Virt::event_action`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventAction {
    /// Not recognized now (masked): it stays pending.
    Held,
    /// Taken through the IDT of the code that runs.
    Deliver,
    /// Recognized and intercepted: this #VMEXIT; the event stays pending for the host.
    Exit(VmExit),
    /// Consumed without a visible effect: an SMI, whose handler is the platform's SMM code
    /// (not modelled, and invisible to the interrupted software by design).
    Absorb,
}

/// What the processor did between two instructions.
pub(crate) enum Between {
    /// Nothing pending can be taken: execute the next instruction.
    Nothing,
    /// An event was taken (a step): delivered, or a #VMEXIT, or a stop.
    Step(Result<Flow, Trap>),
    /// The processor is halted and time passed (steps moved on; no instruction retired).
    Idle,
}

impl<V: Virt> Processor<V> {
    /// What a processor without a virtualization extension does with a pending event (and what
    /// a host with GIF = 1 does).
    pub fn native_action(&self, ev: External) -> EventAction {
        match ev {
            External::Smi => EventAction::Absorb,
            External::Nmi if self.nmi_blocked => EventAction::Held,
            External::Nmi => EventAction::Deliver,
            External::Intr if self.intr_window() => EventAction::Deliver,
            External::Intr => EventAction::Held,
        }
    }

    /// RFLAGS.IF = 1 and no interrupt shadow: a maskable interrupt may be taken before the next
    /// instruction.
    pub fn intr_window(&self) -> bool {
        self.cpu.regs.rflags & rf::IF != 0 && !self.in_interrupt_shadow()
    }

    /// HLT: with an event that can end the wait (something requested, or the timer counting
    /// toward an unmasked interrupt), the processor halts; RIP moves past the HLT, as an
    /// interrupt taken during the halt returns there. Without one the machine stops (`Stop::Halt`
    /// — CONTRACT §1's "halt" — or, in a guest, the model-limit stop).
    pub(crate) fn halt(&mut self, rip: u64) -> Flow {
        let a = &self.devices.apic;
        let wakeable = a.nmi_pending
            || a.smi_pending
            || a.timer_unmasked()
            || a.deliverable().is_some()
            || V::virtual_pending(&self.svm);
        if wakeable {
            self.halted = true;
            self.event_check = true;
            Flow::Next
        } else if self.svm.in_guest() {
            Flow::Stop(Box::new(Stop::ModelLimit(ModelLimit::L2HaltForever { rip })))
        } else {
            Flow::Stop(Box::new(Stop::Halt))
        }
    }

    /// Between instructions: takes the highest-priority event that can be taken now; halted,
    /// lets time pass to the timer's next expiry. The wait is one whole step of time, also when
    /// it ends past a run's step budget: a run stopped by its budget during a HLT reports the
    /// state after the wait, as a single step there does (time travel and `exec --max-steps`
    /// agree).
    pub(crate) fn take_event(&mut self) -> Between {
        self.devices.apic.advance(self.steps);
        if self.devices.apic.smi_pending {
            match V::event_action(self, External::Smi) {
                EventAction::Held => {}
                EventAction::Exit(x) => return self.woken(Err(Trap::Exit(x))),
                EventAction::Absorb | EventAction::Deliver => self.devices.apic.smi_pending = false,
            }
        }
        if self.devices.apic.nmi_pending {
            match V::event_action(self, External::Nmi) {
                EventAction::Held => {}
                EventAction::Exit(x) => return self.woken(Err(Trap::Exit(x))),
                EventAction::Absorb => self.devices.apic.nmi_pending = false,
                EventAction::Deliver => {
                    self.devices.apic.nmi_pending = false;
                    self.nmi_blocked = true;
                    let r = self.deliver_external(vector::NMI, true);
                    return self.woken(r);
                }
            }
        }
        if let Some(v) = self.devices.apic.deliverable() {
            match V::event_action(self, External::Intr) {
                EventAction::Held | EventAction::Absorb => {}
                EventAction::Exit(x) => return self.woken(Err(Trap::Exit(x))),
                EventAction::Deliver => {
                    self.devices.apic.acknowledge(v);
                    let r = self.deliver_external(v, false);
                    return self.woken(r);
                }
            }
        }
        if let Some(r) = V::virtual_interrupt(self) {
            let r = match r {
                Ok((v, nmi)) => self.deliver_external(v, nmi),
                Err(x) => Err(Trap::Exit(x)),
            };
            return self.woken(r);
        }
        if self.halted {
            let a = &self.devices.apic;
            return match a.timer_deadline() {
                Some(d) if a.timer_unmasked() => {
                    self.steps = self.steps.max(d);
                    Between::Idle
                }
                _ => {
                    // Nothing can end the wait any more (the timer stopped, or fired masked).
                    self.halted = false;
                    let rip = self.cpu.regs.rip;
                    let stop = if self.svm.in_guest() {
                        Stop::ModelLimit(ModelLimit::L2HaltForever { rip })
                    } else {
                        Stop::Halt
                    };
                    Between::Step(Ok(Flow::Stop(Box::new(stop))))
                }
            };
        }
        if !self.devices.apic.busy() && !V::virtual_pending(&self.svm) {
            self.event_check = false;
        }
        Between::Nothing
    }

    /// An event was taken: the halt (if any) ends.
    fn woken(&mut self, r: Result<Flow, Trap>) -> Between {
        self.halted = false;
        Between::Step(r)
    }

    /// Delivers an external interrupt or NMI with vector `v` through the IDT of the code that
    /// runs (no error code; faults during the delivery carry EXT, APM 8.4.1); `nmi`: it is an NMI.
    fn deliver_external(&mut self, v: u8, nmi: bool) -> Result<Flow, Trap> {
        let rip = self.cpu.regs.rip;
        let ty = if nmi { IdtEventType::Nmi } else { IdtEventType::Intr };
        let event = IdtEvent { vector: v, ty, error_code: None, soft: false };
        match self.deliver_vector(v, None, rip, false, true) {
            Ok(()) => Ok(Flow::Next),
            // A #VMEXIT (e.g. #NPF) during the delivery records the event (EXITINTINFO); so
            // does an intercepted fault it raises (`Fault::during`).
            Err(Trap::Exit(x)) => Err(Trap::Exit(V::exit_during_delivery(self, x, &event))),
            Err(Trap::Fault(f)) => Err(Trap::Fault(Fault { during: Some(event), ..f })),
            Err(t) => Err(t),
        }
    }
}
