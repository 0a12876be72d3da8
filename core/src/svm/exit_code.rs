//! SVM exit codes (EXITCODE, VMCB+0x070; reference §2.1 / APM Appendix C) and the `VmExit` value.
#![warn(missing_docs)]
use super::exit_table::explain;
use std::fmt;

/// A 64-bit SVM exit code: the type lives with the other outcomes (`crate::outcome`); its named
/// constants, the numbered families (`exception(v)`, `cr_write(n)`, …) and the names come from the
/// exit table (`exit_table.rs`).
pub use crate::outcome::{SvmExitCode, VmExit};

impl SvmExitCode {
    /// The APM name ("VMEXIT_MSR", "VMEXIT_NPF", "VMEXIT_INVALID", …; from the exit table), or
    /// "VMEXIT_UNKNOWN".
    pub fn name(self) -> &'static str {
        explain(self).map_or("VMEXIT_UNKNOWN", |i| i.apm_name)
    }

    /// True for VMEXIT_INVALID (-1). Only the low 32 bits are compared, as KVM does when it runs
    /// as a guest, because KVM-as-L0 has long left bits 63:32 clear (reference §2.1).
    pub fn is_invalid(self) -> bool {
        self.0 & 0xFFFF_FFFF == 0xFFFF_FFFF
    }
}

impl fmt::Debug for SvmExitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:#x})", self.name(), self.0)
    }
}
impl fmt::Display for SvmExitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The mnemonic of a defined exception vector ("#PF"), for display.
pub fn exception_mnemonic(v: u8) -> Option<&'static str> {
    #[rustfmt::skip]
    const N: [&str; 32] = [
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "", "#TS", "#NP", "#SS", "#GP", "#PF", "",
        "#MF", "#AC", "#MC", "#XM", "", "#CP", "", "", "", "", "", "", "#HV", "#VC", "#SX", "",
    ];
    N.get(v as usize).copied().filter(|s| !s.is_empty())
}

impl VmExit {
    /// A VMEXIT_INVALID exit with EXITINFO1/2 = 0 (what KVM writes on a failed VMRUN, reference §4.5).
    pub fn invalid() -> Self {
        VmExit { code: SvmExitCode::INVALID, ..Default::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn names_of_reference_2_1_codes() {
        let cases: &[(u64, &str)] = &[
            (0x000, "VMEXIT_CR0_READ"),
            (0x00F, "VMEXIT_CR15_READ"),
            (0x013, "VMEXIT_CR3_WRITE"),
            (0x027, "VMEXIT_DR7_READ"),
            (0x03F, "VMEXIT_DR15_WRITE"),
            (0x04E, "VMEXIT_EXCP14"),
            (0x05F, "VMEXIT_EXCP31"),
            (0x060, "VMEXIT_INTR"),
            (0x065, "VMEXIT_CR0_SEL_WRITE"),
            (0x06D, "VMEXIT_TR_WRITE"),
            (0x075, "VMEXIT_SWINT"),
            (0x07B, "VMEXIT_IOIO"),
            (0x07C, "VMEXIT_MSR"),
            (0x07F, "VMEXIT_SHUTDOWN"),
            (0x080, "VMEXIT_VMRUN"),
            (0x081, "VMEXIT_VMMCALL"),
            (0x08C, "VMEXIT_MWAIT_CONDITIONAL"),
            (0x08E, "VMEXIT_RDPRU"),
            (0x08F, "VMEXIT_EFER_WRITE_TRAP"),
            (0x090, "VMEXIT_CR0_WRITE_TRAP"),
            (0x098, "VMEXIT_CR8_WRITE_TRAP"),
            (0x0A0, "VMEXIT_INVLPGB"),
            (0x0A2, "VMEXIT_INVPCID"),
            (0x0A5, "VMEXIT_BUSLOCK"),
            (0x0A6, "VMEXIT_IDLE_HLT"),
            (0x0A7, "VMEXIT_UNKNOWN"),
            (0x400, "VMEXIT_NPF"),
            (0x403, "VMEXIT_VMGEXIT"),
            (0x407, "VMEXIT_PML_FULL"),
            (u64::MAX, "VMEXIT_INVALID"),
        ];
        for &(c, n) in cases {
            assert_eq!(SvmExitCode(c).name(), n, "{c:#x}");
        }
        assert_eq!(SvmExitCode::exception(14), SvmExitCode(0x04E));
        assert!(SvmExitCode(0xFFFF_FFFF).is_invalid() && SvmExitCode::INVALID.is_invalid());
        assert_eq!(SvmExitCode::MSR.intercept().map(|i| i.bit()), Some(124));
        assert_eq!(SvmExitCode::NPF.intercept(), None);
        assert_eq!(exception_mnemonic(14), Some("#PF"));
        assert_eq!(format!("{:?}", SvmExitCode::NPF), "VMEXIT_NPF(0x400)");
    }
}
