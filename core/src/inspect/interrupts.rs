//! The interrupt state of a run, as the Registers panel and `nestscope exec` show it: GIF (L1's,
//! as L0 emulates it under a kvm-* model), RFLAGS.IF and the interrupt shadow of the code that
//! runs, the local APIC (requested and in-service vectors, TPR, the timer), NMI latch and
//! blocking, a halted processor, and a running guest's virtual interrupt (V_IRQ).
use crate::sim::Sim;

/// The timer while it counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimerView {
    /// Steps until it reaches zero.
    pub in_steps: u64,
    /// Its LVT vector.
    pub vector: u8,
    /// Periodic (else one-shot).
    pub periodic: bool,
    /// The LVT entry is masked (reaching zero requests nothing).
    pub masked: bool,
}

/// What can interrupt the code that runs, now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterruptView {
    /// The GIF of the level that runs (under kvm-*, L1's GIF is L0's software flag).
    pub gif: bool,
    /// RFLAGS.IF of the code that runs.
    pub rflags_if: bool,
    /// The next instruction is in an interrupt shadow (STI, MOV SS).
    pub shadow: bool,
    /// The APIC's requested vectors (IRR).
    pub requested: Vec<u8>,
    /// The APIC's in-service vectors (ISR).
    pub in_service: Vec<u8>,
    /// TPR.
    pub tpr: u8,
    /// The APIC timer, if it counts.
    pub timer: Option<TimerView>,
    /// An NMI is latched; NMIs are blocked (a handler runs until IRET).
    pub nmi_pending: bool,
    /// NMIs are blocked until the next IRET.
    pub nmi_blocked: bool,
    /// HLT waits for an interrupt.
    pub halted: bool,
    /// The running guest's V_IRQ request, with its vector (APM 15.21.4).
    pub v_irq: Option<u8>,
}

/// The interrupt state of `sim` now.
pub fn interrupt_view(sim: &Sim) -> InterruptView {
    let m = sim.machine();
    let a = &m.devices.apic;
    let gif = match sim {
        Sim::Kvm(k) if k.nested.is_none() => k.l1_gif,
        _ => m.svm.gif,
    };
    let timer = a.timer_deadline().map(|d| {
        let (vector, periodic, masked) = a.timer_lvt();
        TimerView { in_steps: d.saturating_sub(m.steps), vector, periodic, masked }
    });
    let v_irq = m.svm.guest.as_ref().and_then(|g| {
        #[allow(clippy::cast_possible_truncation, reason = "V_INTR_VECTOR is bits 7:0")]
        let v = g.ctrl.int_vector as u8;
        (g.ctrl.int_ctl & crate::svm::vmcb::control::V_IRQ != 0).then_some(v)
    });
    InterruptView {
        gif,
        rflags_if: m.cpu.regs.rflags & crate::cpu::regs::flags::IF != 0,
        shadow: m.in_interrupt_shadow(),
        requested: a.requested(),
        in_service: a.in_service(),
        tpr: a.tpr(),
        timer,
        nmi_pending: a.nmi_pending,
        nmi_blocked: m.nmi_blocked,
        halted: m.halted,
        v_irq,
    }
}

impl std::fmt::Display for InterruptView {
    /// One line: `GIF 1 IF 0 · APIC IRR 0x40 ISR - TPR 0x00 · timer 0xde periodic in 812 · NMI pending · halted`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |v: &[u8]| if v.is_empty() { "-".to_string() } else { v.iter().map(|x| format!("{x:#04x}")).collect::<Vec<_>>().join(",") };
        write!(f, "GIF {} IF {}", u8::from(self.gif), u8::from(self.rflags_if))?;
        if self.shadow {
            write!(f, " (shadow)")?;
        }
        write!(f, " · APIC IRR {} ISR {} TPR {:#04x}", list(&self.requested), list(&self.in_service), self.tpr)?;
        if let Some(t) = &self.timer {
            let mode = if t.periodic { "periodic" } else { "one-shot" };
            let mask = if t.masked { " masked" } else { "" };
            write!(f, " · timer {:#04x} {mode}{mask} in {}", t.vector, t.in_steps)?;
        }
        if self.nmi_pending {
            write!(f, " · NMI pending")?;
        }
        if self.nmi_blocked {
            write!(f, " · NMIs blocked")?;
        }
        if let Some(v) = self.v_irq {
            write!(f, " · V_IRQ {v:#04x}")?;
        }
        if self.halted {
            write!(f, " · halted")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hv::L0Config;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_self_ipi_held_by_if_shows_as_requested() {
        // mov rbx, 0xFEE00000; mov dword [rbx + 0x300], 0x40041 (fixed, self, vector 0x41); hlt?
        // no: stop with the IPI pending and IF = 0 (APM 16.6: held in IRR).
        let src = "bits 64\nmov rbx, 0xFEE00000\nmov dword [rbx + 0x300], 0x40041\nnop\n";
        let bin = crate::asm::assemble(src).expect("assembles").bytes;
        for model in ["bare", "kvm-merged"] {
            let mut s = Sim::new(&bin, 64, model.parse().expect("model"), &L0Config::default()).expect("loads");
            for _ in 0..2 {
                s.step().expect("steps");
            }
            let v = interrupt_view(&s);
            assert_eq!(v.requested, vec![0x41], "{model}");
            assert!(!v.rflags_if && v.gif && v.in_service.is_empty() && !v.halted, "{model}: {v}");
            assert_eq!(v.to_string(), "GIF 1 IF 0 · APIC IRR 0x41 ISR - TPR 0x00", "{model}");
        }
    }
}
