//! Writes to the time-stamp counter (MSR 0x10) and to IA32_TSC_ADJUST (MSR 0x3B, SDM vol.3
//! 17.17.3, which AMD processors implement too; CPUID 7.0:EBX[1]). The TSC is the step count plus
//! `tsc_offset` (cpu/exec/system.rs `tsc`).
//! - WRMSR(TSC) sets the processor's TSC; a running guest's TSC_OFFSET applies to what it reads,
//!   not to what it writes (kvm-unit-tests tsc_adjust: L2 writing the TSC sets L1's TSC). The
//!   difference between the new and the old TSC is added to IA32_TSC_ADJUST.
//! - WRMSR(IA32_TSC_ADJUST) adds the difference between the new and the old value to the TSC.
use crate::cpu::processor::{Processor, Virt};

impl<V: Virt> Processor<V> {
    pub(crate) fn write_tsc(&mut self, v: u64) {
        let m = &mut self.cpu.msr;
        let old = self.steps.wrapping_add(m.tsc_offset);
        m.tsc_adjust = m.tsc_adjust.wrapping_add(v.wrapping_sub(old));
        m.tsc_offset = v.wrapping_sub(self.steps);
    }

    pub(crate) fn write_tsc_adjust(&mut self, v: u64) {
        let m = &mut self.cpu.msr;
        m.tsc_offset = m.tsc_offset.wrapping_add(v.wrapping_sub(m.tsc_adjust));
        m.tsc_adjust = v;
    }
}

#[cfg(test)]
mod tests {
    use crate::cpu::msr;
    use crate::cpu::processor::Processor;
    use crate::cpu::Cpu;
    use crate::mem::PhysMem;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn tsc_adjust_tracks_tsc_writes_sdm_17_17_3() {
        // SDM vol.3 17.17.3: WRMSR(IA32_TSC_ADJUST) adds (new - old) to the TSC; WRMSR(TSC) adds
        // (new TSC - old TSC) to IA32_TSC_ADJUST.
        let mut p = Processor::new(Cpu::contract_entry(), PhysMem::new(1 << 20), ());
        p.steps = 1000;
        assert_eq!(p.tsc(), 1000);
        p.wrmsr(msr::TSC_ADJUST, 1 << 32).unwrap();
        assert_eq!((p.tsc(), p.rdmsr(msr::TSC_ADJUST)), ((1 << 32) + 1000, Ok(1 << 32)));
        p.steps = 1010;
        p.wrmsr(msr::TSC, 10).unwrap();
        assert_eq!(p.tsc(), 10);
        assert_eq!(p.rdmsr(msr::TSC_ADJUST), Ok((1u64 << 32).wrapping_add(10).wrapping_sub((1 << 32) + 1010)));
        p.steps = 1015;
        assert_eq!(p.tsc(), 15);
        p.wrmsr(msr::TSC_ADJUST, 0).unwrap();
        assert_eq!(p.tsc(), 1015, "adjust back to 0: the TSC is the step count again");
    }
}
