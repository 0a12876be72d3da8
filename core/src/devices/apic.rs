//! The local APIC's xAPIC register page (MMIO at 0xFEE0_0000) as a register file: software that
//! reads its ID and version, programs SPIV/TPR/LVT entries and sends the boot INIT/SIPI to the
//! other processors (there are none) runs; interrupt delivery (fixed or NMI IPIs to this
//! processor, the timer counting down) is not modelled and is refused by name.
//!
//! Register offsets, reset values and which registers are read-only: APM vol.2 16.3 and
//! Table 16-2 ("APIC Registers"); the version register's layout: APM 16.3.4.

/// The default physical base of the APIC page (APIC_BASE MSR, APM 16.3.1).
pub const APIC_BASE: u64 = 0xFEE0_0000;

/// Register offsets within the page (APM Table 16-2).
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
/// LVT entries reset masked (bit 16).
const LVT_MASKED: u32 = 1 << 16;

/// An IPI the model cannot deliver: the ICR value written (in the emulator error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UndeliverableIpi(pub u32);

/// The xAPIC register page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalApic {
    regs: [u32; 64],
}

impl Default for LocalApic {
    fn default() -> Self {
        let mut regs = [0u32; 64];
        regs[(reg::DFR >> 4) as usize] = 0xFFFF_FFFF;
        regs[(reg::SPIV >> 4) as usize] = 0xFF;
        for off in (reg::LVT_TIMER..=reg::LVT_ERROR).step_by(16) {
            regs[(off >> 4) as usize] = LVT_MASKED;
        }
        LocalApic { regs }
    }
}

impl LocalApic {
    /// `pa` lies in the APIC page.
    pub fn claims(pa: u64) -> bool {
        pa & !0xfff == APIC_BASE
    }

    /// A read at `pa` (any size; registers are 32 bits at 16-byte offsets, other bytes read 0).
    pub fn read(&self, pa: u64, size: u32) -> u64 {
        let off = pa & 0xfff;
        let v = match off & !0xf {
            reg::VERSION => VERSION,
            reg::PPR => self.regs[(reg::TPR >> 4) as usize] & 0xf0,
            reg::TMCCT => 0, // the timer does not count: it reads as expired
            r => self.regs[(r >> 4) as usize],
        } as u64;
        let shifted = if off & 0xf < 4 { v >> (8 * (off & 3)) } else { 0 };
        if size >= 4 { shifted } else { shifted & ((1u64 << (8 * size)) - 1) }
    }

    /// A write at `pa`. An IPI that would interrupt this processor is refused.
    pub fn write(&mut self, pa: u64, v: u64) -> Result<(), UndeliverableIpi> {
        let off = (pa & 0xfff) & !0xf;
        let v = v as u32;
        match off {
            reg::VERSION | reg::PPR | reg::TMCCT | reg::APR => {} // read-only
            r if (reg::ISR0..=reg::IRR7).contains(&r) => {}   // ISR, TMR, IRR: read-only
            reg::EOI => {}                                       // no interrupt is in service
            reg::ICR_LO => {
                // Delivery mode (bits 10:8) and shorthand (bits 19:18): only INIT/SIPI/… to the
                // other processors, of which there are none, can be "sent".
                let mode = (v >> 8) & 7;
                let shorthand = (v >> 18) & 3;
                let others_only = shorthand == 3;
                let to_self = shorthand == 1 || shorthand == 2;
                let dest = self.regs[(reg::ICR_HI >> 4) as usize] >> 24;
                let me = self.regs[(reg::ID >> 4) as usize] >> 24;
                let init_or_sipi = mode == 5 || mode == 6;
                if !others_only && !init_or_sipi && (to_self || dest == me || dest == 0xff) {
                    return Err(UndeliverableIpi(v));
                }
                self.regs[(off >> 4) as usize] = v & !(1 << 12); // delivery status: idle
            }
            r => self.regs[(r >> 4) as usize] = v,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn reset_values_follow_the_apm() {
        // APM 16.3: DFR all ones (flat model), SPIV 0xFF (APIC software-disabled), LVT masked.
        let a = LocalApic::default();
        assert_eq!(a.read(APIC_BASE + reg::DFR, 4), 0xFFFF_FFFF);
        assert_eq!(a.read(APIC_BASE + reg::SPIV, 4), 0xFF);
        assert_eq!(a.read(APIC_BASE + reg::LVT_TIMER, 4), 1 << 16);
        assert_eq!(a.read(APIC_BASE + reg::ID, 4), 0, "the BSP's APIC ID is 0");
        assert_eq!(a.read(APIC_BASE + reg::VERSION, 4) & 0xff, 0x10);
    }

    #[test]
    fn version_is_read_only_and_tpr_shows_in_ppr() {
        let mut a = LocalApic::default();
        a.write(APIC_BASE + reg::VERSION, 0).unwrap();
        assert_eq!(a.read(APIC_BASE + reg::VERSION, 4), VERSION as u64);
        a.write(APIC_BASE + reg::TPR, 0x20).unwrap();
        assert_eq!(a.read(APIC_BASE + reg::PPR, 4), 0x20);
    }

    #[test]
    fn boot_ipis_to_others_are_accepted_and_self_ipis_refused() {
        let mut a = LocalApic::default();
        // INIT, all excluding self (shorthand 3), level assert: what an SMP bring-up sends.
        assert_eq!(a.write(APIC_BASE + reg::ICR_LO, 0x000C_4500), Ok(()));
        assert_eq!(a.read(APIC_BASE + reg::ICR_LO, 4) & (1 << 12), 0, "delivery status idle");
        // A fixed IPI, vector 0x40, to self (shorthand 1).
        assert_eq!(a.write(APIC_BASE + reg::ICR_LO, 0x0004_0040), Err(UndeliverableIpi(0x0004_0040)));
    }
}
