//! What the modelled processor supports: the CR4 and EFER bits software may set, MAXPHYADDR and
//! long mode. One value ([`CpuCaps::MODEL`]) used by MOV CR3/CR4 and WRMSR EFER, by the VMRUN
//! consistency checks (`svm::HostContext`) and by the tests of both.
use super::control::{cr4, efer};
use serde::Serialize;

/// Capabilities of a modelled processor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CpuCaps {
    /// CR4 bits MOV CR4 accepts; any other bit is reserved (#GP(0), and MBZ for VMRUN).
    pub cr4_valid: u64,
    /// EFER bits WRMSR accepts; any other bit is reserved (#GP(0), and MBZ for VMRUN).
    pub efer_valid: u64,
    /// Physical-address width (CPUID 0x80000008 EAX[7:0]).
    pub maxphyaddr: u8,
    /// Whether long mode is supported (EFER.LME/LMA may be set).
    pub long_mode: bool,
}

impl CpuCaps {
    /// The processor this emulator models: CR4 VME, PVI, TSD, DE, PSE, PAE, MCE, PGE, PCE, OSFXSR,
    /// OSXMMEXCPT (bits 0-10), OSXSAVE (bit 18, CPUID reports XSAVE), SMEP (bit 20); EFER SCE, LME, LMA (read back, processor-managed), NXE, SVME, FFXSR,
    /// TCE (no LMSLE); MAXPHYADDR 48; long mode.
    pub const MODEL: CpuCaps = CpuCaps {
        cr4_valid: cr4::VME
            | cr4::PVI
            | cr4::TSD
            | cr4::DE
            | cr4::PSE
            | cr4::PAE
            | cr4::MCE
            | cr4::PGE
            | cr4::PCE
            | cr4::OSFXSR
            | cr4::OSXMMEXCPT
            | cr4::OSXSAVE
            | cr4::SMEP,
        efer_valid: efer::SCE | efer::LME | efer::LMA | efer::NXE | efer::SVME | efer::FFXSR | efer::TCE,
        maxphyaddr: 48,
        long_mode: true,
    };

    /// The bits at or above MAXPHYADDR (reserved in physical addresses).
    pub const fn above_maxphyaddr(self) -> u64 {
        if self.maxphyaddr >= 64 { 0 } else { !0u64 << self.maxphyaddr }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn model_caps_bit_positions() {
        // APM vol.2 3.1.3 (CR4) and 3.1.7 (EFER): OSXMMEXCPT is CR4 bit 10, OSXSAVE bit 18, TCE
        // is EFER bit 15, LMSLE (bit 13) is not offered.
        let c = CpuCaps::MODEL;
        assert_eq!(c.cr4_valid, 0x14_07ff);
        assert_eq!(c.efer_valid, 0xdd01);
        assert_eq!(c.above_maxphyaddr(), 0xffff_0000_0000_0000);
    }
}
