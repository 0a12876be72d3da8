//! SVM exit codes (EXITCODE, VMCB+0x070; reference §2.1 / APM Appendix C) and the `VmExit` value.
use std::fmt;

pub use crate::outcome::{SvmExitCode, VmExit};

static CR_READ: [&str; 16] = numbered_names!(16: "VMEXIT_CR", "_READ");
static CR_WRITE: [&str; 16] = numbered_names!(16: "VMEXIT_CR", "_WRITE");
static DR_READ: [&str; 16] = numbered_names!(16: "VMEXIT_DR", "_READ");
static DR_WRITE: [&str; 16] = numbered_names!(16: "VMEXIT_DR", "_WRITE");
static EXCP: [&str; 32] = numbered_names!(32: "VMEXIT_EXCP", "");
static CR_WRITE_TRAP: [&str; 16] = numbered_names!(16: "VMEXIT_CR", "_WRITE_TRAP");
/// 0x060..=0x0A6, in order (reference §2.1).
#[rustfmt::skip]
static MISC: [&str; 0x47] = [
    "VMEXIT_INTR", "VMEXIT_NMI", "VMEXIT_SMI", "VMEXIT_INIT", "VMEXIT_VINTR", "VMEXIT_CR0_SEL_WRITE",
    "VMEXIT_IDTR_READ", "VMEXIT_GDTR_READ", "VMEXIT_LDTR_READ", "VMEXIT_TR_READ",
    "VMEXIT_IDTR_WRITE", "VMEXIT_GDTR_WRITE", "VMEXIT_LDTR_WRITE", "VMEXIT_TR_WRITE",
    "VMEXIT_RDTSC", "VMEXIT_RDPMC", "VMEXIT_PUSHF", "VMEXIT_POPF", "VMEXIT_CPUID", "VMEXIT_RSM",
    "VMEXIT_IRET", "VMEXIT_SWINT", "VMEXIT_INVD", "VMEXIT_PAUSE", "VMEXIT_HLT", "VMEXIT_INVLPG",
    "VMEXIT_INVLPGA", "VMEXIT_IOIO", "VMEXIT_MSR", "VMEXIT_TASK_SWITCH", "VMEXIT_FERR_FREEZE",
    "VMEXIT_SHUTDOWN", "VMEXIT_VMRUN", "VMEXIT_VMMCALL", "VMEXIT_VMLOAD", "VMEXIT_VMSAVE",
    "VMEXIT_STGI", "VMEXIT_CLGI", "VMEXIT_SKINIT", "VMEXIT_RDTSCP", "VMEXIT_ICEBP", "VMEXIT_WBINVD",
    "VMEXIT_MONITOR", "VMEXIT_MWAIT", "VMEXIT_MWAIT_CONDITIONAL", "VMEXIT_XSETBV", "VMEXIT_RDPRU",
    "VMEXIT_EFER_WRITE_TRAP",
    // 0x090..=0x09F are the CRn write traps (CR_WRITE_TRAP); placeholders keep the indexing simple.
    "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
    "VMEXIT_INVLPGB", "VMEXIT_INVLPGB_ILLEGAL", "VMEXIT_INVPCID", "VMEXIT_MCOMMIT", "VMEXIT_TLBSYNC",
    "VMEXIT_BUSLOCK", "VMEXIT_IDLE_HLT",
];

impl SvmExitCode {
    pub const CR0_READ: Self = Self(0x000);
    pub const CR3_READ: Self = Self(0x003);
    pub const CR4_READ: Self = Self(0x004);
    pub const CR8_READ: Self = Self(0x008);
    pub const CR0_WRITE: Self = Self(0x010);
    pub const CR3_WRITE: Self = Self(0x013);
    pub const CR4_WRITE: Self = Self(0x014);
    pub const CR8_WRITE: Self = Self(0x018);
    pub const DR0_READ: Self = Self(0x020);
    pub const DR0_WRITE: Self = Self(0x030);
    /// EXCP_BASE: exit code of exception vector v is 0x40 + v.
    pub const EXCP_BASE: Self = Self(0x040);
    pub const EXCP_PF: Self = Self(0x04E);
    pub const LAST_EXCP: Self = Self(0x05F);
    pub const INTR: Self = Self(0x060);
    pub const NMI: Self = Self(0x061);
    pub const SMI: Self = Self(0x062);
    pub const INIT: Self = Self(0x063);
    pub const VINTR: Self = Self(0x064);
    pub const CR0_SEL_WRITE: Self = Self(0x065);
    pub const IDTR_READ: Self = Self(0x066);
    pub const GDTR_READ: Self = Self(0x067);
    pub const LDTR_READ: Self = Self(0x068);
    pub const TR_READ: Self = Self(0x069);
    pub const IDTR_WRITE: Self = Self(0x06A);
    pub const GDTR_WRITE: Self = Self(0x06B);
    pub const LDTR_WRITE: Self = Self(0x06C);
    pub const TR_WRITE: Self = Self(0x06D);
    pub const RDTSC: Self = Self(0x06E);
    pub const RDPMC: Self = Self(0x06F);
    pub const PUSHF: Self = Self(0x070);
    pub const POPF: Self = Self(0x071);
    pub const CPUID: Self = Self(0x072);
    pub const RSM: Self = Self(0x073);
    pub const IRET: Self = Self(0x074);
    pub const SWINT: Self = Self(0x075);
    pub const INVD: Self = Self(0x076);
    pub const PAUSE: Self = Self(0x077);
    pub const HLT: Self = Self(0x078);
    pub const INVLPG: Self = Self(0x079);
    pub const INVLPGA: Self = Self(0x07A);
    pub const IOIO: Self = Self(0x07B);
    pub const MSR: Self = Self(0x07C);
    pub const TASK_SWITCH: Self = Self(0x07D);
    pub const FERR_FREEZE: Self = Self(0x07E);
    pub const SHUTDOWN: Self = Self(0x07F);
    pub const VMRUN: Self = Self(0x080);
    pub const VMMCALL: Self = Self(0x081);
    pub const VMLOAD: Self = Self(0x082);
    pub const VMSAVE: Self = Self(0x083);
    pub const STGI: Self = Self(0x084);
    pub const CLGI: Self = Self(0x085);
    pub const SKINIT: Self = Self(0x086);
    pub const RDTSCP: Self = Self(0x087);
    pub const ICEBP: Self = Self(0x088);
    pub const WBINVD: Self = Self(0x089);
    pub const MONITOR: Self = Self(0x08A);
    pub const MWAIT: Self = Self(0x08B);
    pub const MWAIT_CONDITIONAL: Self = Self(0x08C);
    pub const XSETBV: Self = Self(0x08D);
    pub const RDPRU: Self = Self(0x08E);
    pub const EFER_WRITE_TRAP: Self = Self(0x08F);
    pub const CR0_WRITE_TRAP: Self = Self(0x090);
    pub const CR4_WRITE_TRAP: Self = Self(0x094);
    pub const CR8_WRITE_TRAP: Self = Self(0x098);
    /// 0xA0, 0xA1, 0xA3, 0xA4: from a third-party listing (reference §2.1, §12.3).
    pub const INVLPGB: Self = Self(0x0A0);
    pub const INVLPGB_ILLEGAL: Self = Self(0x0A1);
    pub const INVPCID: Self = Self(0x0A2);
    pub const MCOMMIT: Self = Self(0x0A3);
    pub const TLBSYNC: Self = Self(0x0A4);
    pub const BUSLOCK: Self = Self(0x0A5);
    pub const IDLE_HLT: Self = Self(0x0A6);
    pub const NPF: Self = Self(0x400);
    pub const AVIC_INCOMPLETE_IPI: Self = Self(0x401);
    pub const AVIC_NOACCEL: Self = Self(0x402);
    pub const VMGEXIT: Self = Self(0x403);
    pub const PML_FULL: Self = Self(0x407);
    /// VMEXIT_INVALID (Linux SVM_EXIT_ERR): -1.
    pub const INVALID: Self = Self(u64::MAX);
    /// -2, -3, -4: UNCONFIRMED encodings (reference §2.1, §12.3).
    pub const BUSY: Self = Self(-2i64 as u64);
    pub const IDLE_REQUIRED: Self = Self(-3i64 as u64);
    pub const INVALID_PMC: Self = Self(-4i64 as u64);

    /// Exit code for exception vector `v` (0..=31).
    pub const fn exception(v: u8) -> Self {
        Self(0x40 + (v as u64 & 31))
    }

    /// The APM name ("VMEXIT_MSR", "VMEXIT_NPF", "VMEXIT_INVALID", …), or "VMEXIT_UNKNOWN".
    pub fn name(self) -> &'static str {
        let c = self.0;
        match c {
            0x00..=0x0F => CR_READ[c as usize],
            0x10..=0x1F => CR_WRITE[c as usize - 0x10],
            0x20..=0x2F => DR_READ[c as usize - 0x20],
            0x30..=0x3F => DR_WRITE[c as usize - 0x30],
            0x40..=0x5F => EXCP[c as usize - 0x40],
            0x90..=0x9F => CR_WRITE_TRAP[c as usize - 0x90],
            0x60..=0xA6 => MISC[c as usize - 0x60],
            0x400 => "VMEXIT_NPF",
            0x401 => "VMEXIT_AVIC_INCOMPLETE_IPI",
            0x402 => "VMEXIT_AVIC_NOACCEL",
            0x403 => "VMEXIT_VMGEXIT",
            0x407 => "VMEXIT_PML_FULL",
            _ if c == Self::INVALID.0 => "VMEXIT_INVALID",
            _ if c == Self::BUSY.0 => "VMEXIT_BUSY",
            _ if c == Self::IDLE_REQUIRED.0 => "VMEXIT_IDLE_REQUIRED",
            _ if c == Self::INVALID_PMC.0 => "VMEXIT_INVALID_PMC",
            _ => "VMEXIT_UNKNOWN",
        }
    }

    /// True for VMEXIT_INVALID (-1). Only the low 32 bits are compared, as KVM does when it runs
    /// as a guest, because KVM-as-L0 has long left bits 63:32 clear (reference §2.1).
    pub fn is_invalid(self) -> bool {
        self.0 as u32 == u32::MAX
    }

    /// The exception vector for codes 0x40..=0x5F.
    pub fn exception_vector(self) -> Option<u8> {
        (0x40..=0x5F).contains(&self.0).then(|| (self.0 - 0x40) as u8)
    }

    /// The intercept bit with the same number, if this exit code is an intercept (reference §2.2).
    pub fn intercept_bit(self) -> Option<u32> {
        crate::svm::intercept::intercept_name(self.0.try_into().ok()?).map(|_| self.0 as u32)
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
        assert_eq!(SvmExitCode::exception(14), SvmExitCode::EXCP_PF);
        assert!(SvmExitCode(0xFFFF_FFFF).is_invalid() && SvmExitCode::INVALID.is_invalid());
        assert_eq!(SvmExitCode::MSR.intercept_bit(), Some(124));
        assert_eq!(SvmExitCode::NPF.intercept_bit(), None);
        assert_eq!(exception_mnemonic(14), Some("#PF"));
        assert_eq!(format!("{:?}", SvmExitCode::NPF), "VMEXIT_NPF(0x400)");
    }
}
