//! The local APIC (xAPIC register page at 0xFEE0_0000): ID, version, TPR/PPR, the IRR/ISR/TMR
//! bitmaps with priority and EOI, the ICR sending fixed interrupts, NMIs and SMIs to this
//! processor (the INIT/SIPI of an SMP bring-up to the other processors — there are none — are
//! accepted and go nowhere), and the timer (one-shot and periodic, with its divider) counting on
//! the processor's time base (one tick per step, cpu/interrupts.rs).
//!
//! Register offsets, reset values and read-only registers: APM vol.2 16.3 and Table 16-2
//! ("APIC Registers"); version register: 16.3.4; timer: 16.4.1 (divide configuration, initial
//! and current count, LVT timer mode); interrupt priority, TPR/PPR and EOI: 16.6; the ICR and
//! its destination shorthands: 16.5.
#![warn(missing_docs)]

/// The default physical base of the APIC page (APIC_BASE MSR, APM 16.3.1).
pub const APIC_BASE: u64 = 0xFEE0_0000;

/// Register offsets within the page (APM Table 16-2).
#[allow(missing_docs, reason = "each constant is the APM register of the same name")]
pub mod reg {
    pub const ID: u64 = 0x20;
    pub const VERSION: u64 = 0x30;
    pub const TPR: u64 = 0x80;
    pub const APR: u64 = 0x90;
    pub const PPR: u64 = 0xA0;
    pub const EOI: u64 = 0xB0;
    pub const LDR: u64 = 0xD0;
    pub const DFR: u64 = 0xE0;
    pub const SPIV: u64 = 0xF0;
    pub const ISR0: u64 = 0x100;
    pub const TMR0: u64 = 0x180;
    pub const IRR0: u64 = 0x200;
    pub const IRR7: u64 = 0x270;
    pub const ESR: u64 = 0x280;
    pub const ICR_LO: u64 = 0x300;
    pub const ICR_HI: u64 = 0x310;
    pub const LVT_TIMER: u64 = 0x320;
    pub const LVT_ERROR: u64 = 0x370;
    pub const TMICT: u64 = 0x380;
    pub const TMCCT: u64 = 0x390;
    pub const TDCR: u64 = 0x3E0;
}

/// Version register: version 0x10 (an integrated APIC), MaxLVTEntry 5 (six LVT entries: timer,
/// thermal, performance counter, LINT0, LINT1, error), no extended register space.
const VERSION: u32 = 0x0005_0010;
/// LVT mask bit (bit 16); LVT entries reset masked.
const LVT_MASKED: u32 = 1 << 16;
/// LVT timer mode, bits 18:17: 0 one-shot, 1 periodic (APM 16.4.1).
const LVT_TIMER_PERIODIC: u32 = 1 << 17;
/// ICR delivery status (bit 12): 0 = idle.
const ICR_BUSY: u32 = 1 << 12;

/// An IPI the model cannot deliver: the ICR value written (in the emulator error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UndeliverableIpi(pub u32);

/// The timer while it counts: when it reaches zero (in ticks of the time base) and its period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Countdown {
    deadline: u64,
    /// TMICT × divider.
    period: u64,
}

/// The local APIC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalApic {
    regs: [u32; 64],
    timer: Option<Countdown>,
    /// An NMI sent to this processor and not yet taken (edge: one latch).
    pub nmi_pending: bool,
    /// An SMI sent to this processor and not yet taken.
    pub smi_pending: bool,
}

impl Default for LocalApic {
    fn default() -> Self {
        let mut regs = [0u32; 64];
        regs[idx(reg::DFR)] = 0xFFFF_FFFF;
        regs[idx(reg::SPIV)] = 0xFF;
        for off in (reg::LVT_TIMER..=reg::LVT_ERROR).step_by(16) {
            regs[idx(off)] = LVT_MASKED;
        }
        LocalApic { regs, timer: None, nmi_pending: false, smi_pending: false }
    }
}

/// The register index of an offset (registers are 32 bits at 16-byte offsets).
fn idx(off: u64) -> usize {
    ((off & 0xff0) >> 4) as usize
}

/// The persisted form of the local APIC (checkpoint/): its registers and the timer's count.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApicState {
    /// The 64 register slots of the page (offset / 16).
    pub regs: Vec<u32>,
    /// While the timer counts: when it reaches zero and its period (steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<(u64, u64)>,
    /// An NMI is latched.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nmi_pending: bool,
    /// An SMI is latched.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub smi_pending: bool,
}

impl LocalApic {
    /// The persisted form.
    pub fn save(&self) -> ApicState {
        ApicState {
            regs: self.regs.to_vec(),
            timer: self.timer.map(|t| (t.deadline, t.period)),
            nmi_pending: self.nmi_pending,
            smi_pending: self.smi_pending,
        }
    }

    /// The APIC of a persisted form; `Err` names what is out of range.
    pub fn restore(s: &ApicState) -> Result<LocalApic, String> {
        let regs: [u32; 64] = s.regs.as_slice().try_into().map_err(|_| format!("apic.regs: {} registers, not 64", s.regs.len()))?;
        let timer = match s.timer {
            Some((deadline, 0)) => return Err(format!("apic.timer: period 0 (deadline {deadline})")),
            t => t.map(|(deadline, period)| Countdown { deadline, period }),
        };
        Ok(LocalApic { regs, timer, nmi_pending: s.nmi_pending, smi_pending: s.smi_pending })
    }

    /// `pa` lies in the APIC page.
    pub fn claims(pa: u64) -> bool {
        pa & !0xfff == APIC_BASE
    }

    fn set_bit(&mut self, base: u64, v: u8, on: bool) {
        let w = &mut self.regs[idx(base) + (v as usize >> 5)];
        if on { *w |= 1 << (v & 31) } else { *w &= !(1 << (v & 31)) }
    }

    /// The highest vector set in the 256-bit register at `base` (ISR, TMR or IRR).
    fn highest(&self, base: u64) -> Option<u8> {
        (0..8).rev().find_map(|i| {
            let w = self.regs[idx(base) + i];
            #[allow(clippy::cast_possible_truncation, reason = "a vector is below 256")]
            (w != 0).then(|| (i as u32 * 32 + 31 - w.leading_zeros()) as u8)
        })
    }

    /// PPR: the higher of TPR and the class of the highest in-service vector (APM 16.6.2).
    fn ppr(&self) -> u32 {
        let tpr = self.regs[idx(reg::TPR)] & 0xff;
        let isr = self.highest(reg::ISR0).map_or(0, |v| u32::from(v) & 0xf0);
        if tpr & 0xf0 >= isr { tpr } else { isr }
    }

    /// The fixed interrupt the APIC would present to the processor now: the highest requested
    /// vector whose priority class is above the processor priority (APM 16.6.1/16.6.2).
    pub fn deliverable(&self) -> Option<u8> {
        let v = self.highest(reg::IRR0)?;
        (u32::from(v) & 0xf0 > self.ppr() & 0xf0).then_some(v)
    }

    /// The processor takes the interrupt `deliverable` returned: IRR → ISR (INTA).
    pub fn acknowledge(&mut self, v: u8) {
        self.set_bit(reg::IRR0, v, false);
        self.set_bit(reg::ISR0, v, true);
    }

    /// Something is requested or counting: the processor must look between instructions.
    pub fn busy(&self) -> bool {
        self.nmi_pending || self.smi_pending || self.timer.is_some() || self.highest(reg::IRR0).is_some()
    }

    /// The vectors set in the 256-bit register at `base` (ISR, TMR or IRR), lowest first.
    fn vectors(&self, base: u64) -> Vec<u8> {
        (0..=255u8).filter(|&v| self.regs[idx(base) + (v as usize >> 5)] & (1 << (v & 31)) != 0).collect()
    }

    /// The requested vectors (IRR), lowest first.
    pub fn requested(&self) -> Vec<u8> {
        self.vectors(reg::IRR0)
    }

    /// The in-service vectors (ISR), lowest first.
    pub fn in_service(&self) -> Vec<u8> {
        self.vectors(reg::ISR0)
    }

    /// TPR (bits 7:0).
    pub fn tpr(&self) -> u8 {
        #[allow(clippy::cast_possible_truncation, reason = "TPR is bits 7:0")]
        let t = self.regs[idx(reg::TPR)] as u8;
        t
    }

    /// The LVT timer entry: (vector, periodic, masked).
    pub fn timer_lvt(&self) -> (u8, bool, bool) {
        let l = self.regs[idx(reg::LVT_TIMER)];
        #[allow(clippy::cast_possible_truncation, reason = "the LVT vector is bits 7:0")]
        let v = l as u8;
        (v, l & LVT_TIMER_PERIODIC != 0, l & LVT_MASKED != 0)
    }

    /// When the timer next reaches zero (time-base ticks), if it counts.
    pub fn timer_deadline(&self) -> Option<u64> {
        self.timer.map(|t| t.deadline)
    }

    /// The timer interrupt can be requested when it fires (its LVT entry is not masked).
    pub fn timer_unmasked(&self) -> bool {
        self.timer.is_some() && self.regs[idx(reg::LVT_TIMER)] & LVT_MASKED == 0
    }

    /// Advances the timer to `now`: at zero it requests its LVT vector (unless masked) and
    /// reloads (periodic) or stops (one-shot). A periodic timer that missed several periods
    /// requests the vector once (the IRR holds one request per vector).
    pub fn advance(&mut self, now: u64) {
        let Some(t) = self.timer else { return };
        if now < t.deadline {
            return;
        }
        let lvt = self.regs[idx(reg::LVT_TIMER)];
        if lvt & LVT_MASKED == 0 {
            #[allow(clippy::cast_possible_truncation, reason = "the LVT vector is bits 7:0")]
            self.request(lvt as u8);
        }
        self.timer = (lvt & LVT_TIMER_PERIODIC != 0).then(|| {
            let missed = (now - t.deadline) / t.period;
            Countdown { deadline: t.deadline + (missed + 1) * t.period, period: t.period }
        });
    }

    /// A fixed interrupt with vector `v` arrives (IRR). Vectors 0-15 are illegal (APM 16.4.7:
    /// the send/receive illegal-vector error) and are dropped.
    pub fn request(&mut self, v: u8) {
        if v >= 16 {
            self.set_bit(reg::IRR0, v, true);
        }
    }

    /// Timer divisor from TDCR bits 3,1:0 (APM 16.4.1: 0b111 divides by 1, else 2^(n+1)).
    fn divisor(&self) -> u64 {
        let d = self.regs[idx(reg::TDCR)];
        let n = ((d >> 1) & 4) | (d & 3);
        if n == 7 { 1 } else { 2 << n }
    }

    /// A read at `pa` at time `now` (any size; registers are 32 bits at 16-byte offsets, other
    /// bytes read 0).
    pub fn read(&self, pa: u64, size: u32, now: u64) -> u64 {
        let off = pa & 0xfff;
        let v = match off & !0xf {
            reg::VERSION => VERSION,
            reg::PPR => self.ppr(),
            reg::TMCCT => self.timer.map_or(0, |t| {
                let left = t.deadline.saturating_sub(now).div_ceil(self.divisor());
                u32::try_from(left).unwrap_or(u32::MAX)
            }),
            r => self.regs[idx(r)],
        } as u64;
        let shifted = if off & 0xf < 4 { v >> (8 * (off & 3)) } else { 0 };
        if size >= 4 { shifted } else { shifted & ((1u64 << (8 * size)) - 1) }
    }

    /// A write at `pa` at time `now`. An IPI this model cannot deliver is refused.
    pub fn write(&mut self, pa: u64, v: u64, now: u64) -> Result<(), UndeliverableIpi> {
        let off = (pa & 0xfff) & !0xf;
        #[allow(clippy::cast_possible_truncation, reason = "APIC registers are 32 bits")]
        let v = v as u32;
        match off {
            reg::VERSION | reg::PPR | reg::TMCCT | reg::APR => {} // read-only
            r if (reg::ISR0..=reg::IRR7).contains(&r) => {}   // ISR, TMR, IRR: read-only
            reg::EOI => {
                // The highest in-service interrupt ends (APM 16.6.3).
                if let Some(s) = self.highest(reg::ISR0) {
                    self.set_bit(reg::ISR0, s, false);
                }
            }
            reg::ICR_LO => {
                self.send_ipi(v)?;
                self.regs[idx(off)] = v & !ICR_BUSY; // delivered at once: idle
            }
            reg::TMICT => {
                self.regs[idx(off)] = v;
                let period = u64::from(v) * self.divisor();
                self.timer = (v != 0).then_some(Countdown { deadline: now + period, period });
            }
            reg::TDCR => self.regs[idx(off)] = v & 0xb,
            r => self.regs[idx(r)] = v,
        }
        Ok(())
    }

    /// ICR write (APM 16.5): delivery mode bits 10:8, destination mode bit 11, shorthand bits
    /// 19:18 (0 none, 1 self, 2 all including self, 3 all excluding self), destination ICR_HI
    /// bits 31:24. This is the only processor: what is addressed to it arrives, the rest goes
    /// nowhere.
    fn send_ipi(&mut self, icr: u32) -> Result<(), UndeliverableIpi> {
        let mode = (icr >> 8) & 7;
        let shorthand = (icr >> 18) & 3;
        let dest = self.regs[idx(reg::ICR_HI)] >> 24;
        let me = self.regs[idx(reg::ID)] >> 24;
        let logical = icr & (1 << 11) != 0;
        let ldr = self.regs[idx(reg::LDR)] >> 24;
        let to_me = match shorthand {
            1 | 2 => true,
            3 => false,
            _ if logical => dest == 0xff || dest & ldr != 0,
            _ => dest == me || dest == 0xff,
        };
        if !to_me {
            return Ok(());
        }
        #[allow(clippy::cast_possible_truncation, reason = "the ICR vector is bits 7:0")]
        match mode {
            0 | 1 => self.request(icr as u8), // fixed, lowest priority
            2 => self.smi_pending = true,
            4 => self.nmi_pending = true,
            // INIT to the only processor would reset it; SIPI and ExtINT have no meaning here.
            _ => return Err(UndeliverableIpi(icr)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn w(a: &mut LocalApic, r: u64, v: u32) {
        a.write(APIC_BASE + r, v as u64, 0).unwrap();
    }

    #[test]
    fn reset_values_follow_the_apm() {
        // APM 16.3: DFR all ones (flat model), SPIV 0xFF (APIC software-disabled), LVT masked.
        let a = LocalApic::default();
        assert_eq!(a.read(APIC_BASE + reg::DFR, 4, 0), 0xFFFF_FFFF);
        assert_eq!(a.read(APIC_BASE + reg::SPIV, 4, 0), 0xFF);
        assert_eq!(a.read(APIC_BASE + reg::LVT_TIMER, 4, 0), 1 << 16);
        assert_eq!(a.read(APIC_BASE + reg::ID, 4, 0), 0, "the BSP's APIC ID is 0");
        assert_eq!(a.read(APIC_BASE + reg::VERSION, 4, 0) & 0xff, 0x10);
        assert!(!a.busy());
    }

    #[test]
    fn version_is_read_only_and_tpr_shows_in_ppr() {
        let mut a = LocalApic::default();
        w(&mut a, reg::VERSION, 0);
        assert_eq!(a.read(APIC_BASE + reg::VERSION, 4, 0), VERSION as u64);
        w(&mut a, reg::TPR, 0x20);
        assert_eq!(a.read(APIC_BASE + reg::PPR, 4, 0), 0x20);
    }

    #[test]
    fn boot_ipis_to_others_go_nowhere_and_a_self_ipi_is_requested() {
        let mut a = LocalApic::default();
        // INIT, all excluding self (shorthand 3), level assert: what an SMP bring-up sends.
        w(&mut a, reg::ICR_LO, 0x000C_4500);
        assert_eq!(a.read(APIC_BASE + reg::ICR_LO, 4, 0) & (1 << 12), 0, "delivery status idle");
        assert!(!a.busy());
        // A fixed IPI, vector 0x40, to self (shorthand 1): IRR bit 0x40 (word 2, bit 0).
        w(&mut a, reg::ICR_LO, 0x0004_0040);
        assert_eq!(a.read(APIC_BASE + reg::IRR0 + 0x20, 4, 0), 1);
        assert_eq!(a.deliverable(), Some(0x40));
        // INIT to self would reset the only processor: refused by name.
        assert_eq!(a.write(APIC_BASE + reg::ICR_LO, 0x0004_0500, 0), Err(UndeliverableIpi(0x0004_0500)));
    }

    #[test]
    fn priority_classes_tpr_and_eoi() {
        // APM 16.6: a request is presented only when its class (vector[7:4]) is above PPR[7:4];
        // EOI ends the highest in-service vector.
        let mut a = LocalApic::default();
        a.request(0x51);
        a.request(0x62);
        assert_eq!(a.deliverable(), Some(0x62), "the highest vector first");
        a.acknowledge(0x62);
        assert_eq!(a.read(APIC_BASE + reg::PPR, 4, 0), 0x60, "PPR takes the in-service class");
        assert_eq!(a.deliverable(), None, "0x51 is below the in-service class 6");
        w(&mut a, reg::EOI, 0);
        assert_eq!(a.deliverable(), Some(0x51));
        w(&mut a, reg::TPR, 0x50);
        assert_eq!(a.deliverable(), None, "class 5 is not above TPR class 5");
        w(&mut a, reg::TPR, 0x4f);
        assert_eq!(a.deliverable(), Some(0x51));
        a.request(3);
        assert_eq!(a.read(APIC_BASE + reg::IRR0, 4, 0), 0, "vectors 0-15 are illegal");
    }

    #[test]
    fn the_timer_counts_down_with_its_divider() {
        // APM 16.4.1: TDCR 0b1011 divides by 1, 0b0000 by 2; the count starts at TMICT and the
        // LVT vector is requested at zero; periodic mode reloads, one-shot stops.
        let mut a = LocalApic::default();
        w(&mut a, reg::TDCR, 0xb);
        w(&mut a, reg::LVT_TIMER, 0x2_00de); // periodic, vector 0xde
        a.write(APIC_BASE + reg::TMICT, 1000, 100).unwrap();
        assert_eq!(a.read(APIC_BASE + reg::TMCCT, 4, 600), 500);
        a.advance(1099);
        assert_eq!(a.deliverable(), None);
        a.advance(1100);
        assert_eq!(a.deliverable(), Some(0xde));
        assert_eq!(a.timer_deadline(), Some(2100), "periodic: reloaded");
        let mut b = LocalApic::default();
        w(&mut b, reg::TDCR, 0);
        w(&mut b, reg::LVT_TIMER, 0x00de); // one-shot
        b.write(APIC_BASE + reg::TMICT, 10, 0).unwrap();
        assert_eq!(b.timer_deadline(), Some(20), "divide by 2");
        b.advance(25);
        assert_eq!((b.deliverable(), b.timer_deadline()), (Some(0xde), None));
        assert_eq!(b.read(APIC_BASE + reg::TMCCT, 4, 25), 0);
    }

    #[test]
    fn nmi_and_smi_to_self_latch() {
        let mut a = LocalApic::default();
        w(&mut a, reg::ICR_LO, 0x0004_4400); // NMI, self
        assert!(a.nmi_pending && !a.smi_pending);
        w(&mut a, reg::ICR_LO, 0x0004_0200); // SMI, self
        assert!(a.smi_pending);
        // Physical destination 1 is not this processor (ID 0).
        let mut b = LocalApic::default();
        w(&mut b, reg::ICR_HI, 1 << 24);
        w(&mut b, reg::ICR_LO, 0x0000_4400);
        assert!(!b.busy());
    }
}
