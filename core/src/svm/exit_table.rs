//! The one table of SVM exit codes and intercept bits (APM vol.2 Appendix C "SVM Intercept Exit
//! Codes", reference §2.1/§2.2): per exit code its APM name, Linux `SVM_EXIT_*` name, the intercept
//! bit of the same number (Linux `INTERCEPT_*` name) if there is one, the APM section and a
//! one-line meaning. The `SvmExitCode` and `Intercept` constants, exit and intercept names and the
//! UI's explanations ([`explain`]) all come from here.
//!
//! For every intercept the bit index equals the exit code (reference §2.2), so an [`Intercept`]
//! and its exit code are the same number; [`Intercept::exit_code`] is the only place that says so.
#![allow(clippy::cast_possible_truncation, reason = "every SVM exit code in the table is below 2^32 (APM Appendix C); the intercept number is that code")]
#![warn(missing_docs)]
use super::exit_code::SvmExitCode;
use serde::Serialize;

/// One intercept bit of the control area (bits 0..=191 of the six intercept words at VMCB+0x000,
/// reference §1.2/§2.2). Only bits the table defines can be built (`from_bit`, the constants and
/// the numbered constructors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Intercept(u32);

/// Everything the table knows about one exit code (see [`explain`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ExitInfo {
    /// The exit code (EXITCODE, VMCB offset 0x70).
    pub code: u64,
    /// The APM name, e.g. "VMEXIT_MSR".
    pub apm_name: &'static str,
    /// The Linux uapi name, e.g. "SVM_EXIT_MSR"; `None` where Linux defines none.
    pub linux_name: Option<&'static str>,
    /// The name of the intercept bit with the same number (Linux `INTERCEPT_*` without the
    /// prefix, e.g. "MSR_PROT"); `None` if no intercept bit produces this exit.
    pub intercept: Option<&'static str>,
    /// Where the APM describes the exit (vol.2 chapter 15 section; all are listed in App. C).
    pub section: &'static str,
    /// One line: what makes the guest exit with this code.
    pub meaning: &'static str,
}

/// One row of the table: `count` consecutive codes from `first` (numbered families such as
/// CR0..CR15 reads) or a single code (`count` 1). `intercept` names the intercept bits of the first
/// `intercept.len()` codes of the row.
struct Row {
    first: u64,
    apm: &'static [&'static str],
    linux: &'static [&'static str],
    intercept: &'static [&'static str],
    section: &'static str,
    meaning: &'static str,
}

impl Row {
    const fn count(&self) -> u64 {
        self.apm.len() as u64
    }
    fn info(&self, i: usize) -> ExitInfo {
        ExitInfo {
            code: self.first + i as u64,
            apm_name: self.apm[i],
            linux_name: self.linux.get(i).copied(),
            intercept: self.intercept.get(i).copied(),
            section: self.section,
            meaning: self.meaning,
        }
    }
}

// First codes of the numbered families (reference §2.1).
const CR_READ: u64 = 0x000;
const CR_WRITE: u64 = 0x010;
const DR_READ: u64 = 0x020;
const DR_WRITE: u64 = 0x030;
const EXCP: u64 = 0x040;
const CR_WRITE_TRAP: u64 = 0x090;

/// The numbered families: CRn/DRn reads and writes, exception vectors, CRn write traps (only
/// CR0..CR8 have a trap intercept bit, 144..=152).
static FAMILIES: [Row; 6] = [
    Row {
        first: CR_READ,
        apm: &numbered_names!(16: "VMEXIT_CR", "_READ"),
        linux: &numbered_names!(16: "SVM_EXIT_READ_CR", ""),
        intercept: &numbered_names!(16: "CR", "_READ"),
        section: "15.8.1",
        meaning: "MOV from CRn with its read intercept set",
    },
    Row {
        first: CR_WRITE,
        apm: &numbered_names!(16: "VMEXIT_CR", "_WRITE"),
        linux: &numbered_names!(16: "SVM_EXIT_WRITE_CR", ""),
        intercept: &numbered_names!(16: "CR", "_WRITE"),
        section: "15.8.1",
        meaning: "MOV to CRn (for CR0 also CLTS and LMSW) with its write intercept set",
    },
    Row {
        first: DR_READ,
        apm: &numbered_names!(16: "VMEXIT_DR", "_READ"),
        linux: &numbered_names!(16: "SVM_EXIT_READ_DR", ""),
        intercept: &numbered_names!(16: "DR", "_READ"),
        section: "15.8.1",
        meaning: "MOV from DRn with its read intercept set",
    },
    Row {
        first: DR_WRITE,
        apm: &numbered_names!(16: "VMEXIT_DR", "_WRITE"),
        linux: &numbered_names!(16: "SVM_EXIT_WRITE_DR", ""),
        intercept: &numbered_names!(16: "DR", "_WRITE"),
        section: "15.8.1",
        meaning: "MOV to DRn with its write intercept set",
    },
    Row {
        first: EXCP,
        apm: &numbered_names!(32: "VMEXIT_EXCP", ""),
        linux: &numbered_names!(32: "SVM_EXIT_EXCP_BASE+", ""),
        intercept: &numbered_names!(32: "EXCEPTION", ""),
        section: "15.12",
        meaning: "an exception of this vector, intercepted before it is delivered to the guest",
    },
    Row {
        first: CR_WRITE_TRAP,
        apm: &numbered_names!(16: "VMEXIT_CR", "_WRITE_TRAP"),
        linux: &numbered_names!(16: "SVM_EXIT_CR", "_WRITE_TRAP"),
        intercept: &numbered_names!("TRAP_CR", "_WRITE"; 0 1 2 3 4 5 6 7 8),
        section: "15.8, App. C",
        meaning: "a completed write of CRn, reported after the instruction (SEV-ES trap intercept)",
    },
];

/// Declares the single-code rows: `SvmExitCode::NAME`, `Intercept::NAME` for codes that are
/// intercept bits, and the `SINGLES` rows, from one list.
macro_rules! exits {
    ($(
        $exit:ident = $code:expr, $apm:literal, $linux:literal, [$($icpt:ident $iname:literal)?],
        $sec:literal, $meaning:literal;
    )*) => {
        impl SvmExitCode {
            $(#[doc = concat!($apm, ": ", $meaning, " (APM ", $sec, ").")]
            pub const $exit: Self = Self($code);)*
        }
        impl Intercept {
            $($(#[doc = concat!("Intercept ", $iname, " (exit ", $apm, ").")]
            pub const $icpt: Self = Self($code as u32);)?)*
        }
        /// The single-code rows, in ascending code order.
        static SINGLES: &[Row] = &[$(Row {
            first: $code,
            apm: &[$apm],
            linux: if $linux.is_empty() { &[] } else { &[$linux] },
            intercept: &[$($iname)?],
            section: $sec,
            meaning: $meaning,
        }),*];
    };
}

#[rustfmt::skip]
exits! {
    INTR = 0x060, "VMEXIT_INTR", "SVM_EXIT_INTR", [INTR "INTR"], "15.13.1", "a physical maskable interrupt (INTR) arrived";
    NMI = 0x061, "VMEXIT_NMI", "SVM_EXIT_NMI", [NMI "NMI"], "15.13.2", "a non-maskable interrupt arrived";
    SMI = 0x062, "VMEXIT_SMI", "SVM_EXIT_SMI", [SMI "SMI"], "15.13.3", "a system-management interrupt arrived";
    INIT = 0x063, "VMEXIT_INIT", "SVM_EXIT_INIT", [INIT "INIT"], "15.13.4", "an INIT signal arrived";
    VINTR = 0x064, "VMEXIT_VINTR", "SVM_EXIT_VINTR", [VINTR "VINTR"], "15.21.4", "a virtual interrupt (V_IRQ) is about to be taken";
    CR0_SEL_WRITE = 0x065, "VMEXIT_CR0_SEL_WRITE", "SVM_EXIT_CR0_SEL_WRITE", [SELECTIVE_CR0 "SELECTIVE_CR0"], "15.8.1", "a CR0 write that changes a bit other than TS or MP (selective CR0 intercept)";
    IDTR_READ = 0x066, "VMEXIT_IDTR_READ", "SVM_EXIT_IDTR_READ", [STORE_IDTR "STORE_IDTR"], "15.9", "SIDT";
    GDTR_READ = 0x067, "VMEXIT_GDTR_READ", "SVM_EXIT_GDTR_READ", [STORE_GDTR "STORE_GDTR"], "15.9", "SGDT";
    LDTR_READ = 0x068, "VMEXIT_LDTR_READ", "SVM_EXIT_LDTR_READ", [STORE_LDTR "STORE_LDTR"], "15.9", "SLDT";
    TR_READ = 0x069, "VMEXIT_TR_READ", "SVM_EXIT_TR_READ", [STORE_TR "STORE_TR"], "15.9", "STR";
    IDTR_WRITE = 0x06A, "VMEXIT_IDTR_WRITE", "SVM_EXIT_IDTR_WRITE", [LOAD_IDTR "LOAD_IDTR"], "15.9", "LIDT";
    GDTR_WRITE = 0x06B, "VMEXIT_GDTR_WRITE", "SVM_EXIT_GDTR_WRITE", [LOAD_GDTR "LOAD_GDTR"], "15.9", "LGDT";
    LDTR_WRITE = 0x06C, "VMEXIT_LDTR_WRITE", "SVM_EXIT_LDTR_WRITE", [LOAD_LDTR "LOAD_LDTR"], "15.9", "LLDT";
    TR_WRITE = 0x06D, "VMEXIT_TR_WRITE", "SVM_EXIT_TR_WRITE", [LOAD_TR "LOAD_TR"], "15.9", "LTR";
    RDTSC = 0x06E, "VMEXIT_RDTSC", "SVM_EXIT_RDTSC", [RDTSC "RDTSC"], "15.9", "RDTSC";
    RDPMC = 0x06F, "VMEXIT_RDPMC", "SVM_EXIT_RDPMC", [RDPMC "RDPMC"], "15.9", "RDPMC";
    PUSHF = 0x070, "VMEXIT_PUSHF", "SVM_EXIT_PUSHF", [PUSHF "PUSHF"], "15.9", "PUSHF";
    POPF = 0x071, "VMEXIT_POPF", "SVM_EXIT_POPF", [POPF "POPF"], "15.9", "POPF";
    CPUID = 0x072, "VMEXIT_CPUID", "SVM_EXIT_CPUID", [CPUID "CPUID"], "15.9", "CPUID";
    RSM = 0x073, "VMEXIT_RSM", "SVM_EXIT_RSM", [RSM "RSM"], "15.9", "RSM";
    IRET = 0x074, "VMEXIT_IRET", "SVM_EXIT_IRET", [IRET "IRET"], "15.9", "IRET";
    SWINT = 0x075, "VMEXIT_SWINT", "SVM_EXIT_SWINT", [INTN "INTn"], "15.9", "INTn (EXITINFO1 = the vector with decode assists)";
    INVD = 0x076, "VMEXIT_INVD", "SVM_EXIT_INVD", [INVD "INVD"], "15.9", "INVD";
    PAUSE = 0x077, "VMEXIT_PAUSE", "SVM_EXIT_PAUSE", [PAUSE "PAUSE"], "15.9", "PAUSE (subject to the pause filter)";
    HLT = 0x078, "VMEXIT_HLT", "SVM_EXIT_HLT", [HLT "HLT"], "15.9", "HLT";
    INVLPG = 0x079, "VMEXIT_INVLPG", "SVM_EXIT_INVLPG", [INVLPG "INVLPG"], "15.9", "INVLPG (EXITINFO1 = the linear address with decode assists)";
    INVLPGA = 0x07A, "VMEXIT_INVLPGA", "SVM_EXIT_INVLPGA", [INVLPGA "INVLPGA"], "15.9", "INVLPGA";
    IOIO = 0x07B, "VMEXIT_IOIO", "SVM_EXIT_IOIO", [IOIO_PROT "IOIO_PROT"], "15.10", "IN/OUT/INS/OUTS to a port whose IOPM bit is set (EXITINFO1 describes the access)";
    MSR = 0x07C, "VMEXIT_MSR", "SVM_EXIT_MSR", [MSR_PROT "MSR_PROT"], "15.11", "RDMSR (EXITINFO1 0) or WRMSR (1) of an MSR whose MSRPM bit is set";
    TASK_SWITCH = 0x07D, "VMEXIT_TASK_SWITCH", "SVM_EXIT_TASK_SWITCH", [TASK_SWITCH "TASK_SWITCH"], "15.14.1", "a hardware task switch";
    FERR_FREEZE = 0x07E, "VMEXIT_FERR_FREEZE", "SVM_EXIT_FERR_FREEZE", [FERR_FREEZE "FERR_FREEZE"], "15.14.2", "the processor froze on an x87 error (FERR_FREEZE)";
    SHUTDOWN = 0x07F, "VMEXIT_SHUTDOWN", "SVM_EXIT_SHUTDOWN", [SHUTDOWN "SHUTDOWN"], "15.14.3", "the guest would shut down (e.g. a triple fault)";
    VMRUN = 0x080, "VMEXIT_VMRUN", "SVM_EXIT_VMRUN", [VMRUN "VMRUN"], "15.5.1", "VMRUN in the guest (the intercept must be set for VMRUN to succeed)";
    VMMCALL = 0x081, "VMEXIT_VMMCALL", "SVM_EXIT_VMMCALL", [VMMCALL "VMMCALL"], "15.9", "VMMCALL, the call to the hypervisor";
    VMLOAD = 0x082, "VMEXIT_VMLOAD", "SVM_EXIT_VMLOAD", [VMLOAD "VMLOAD"], "15.5.2", "VMLOAD";
    VMSAVE = 0x083, "VMEXIT_VMSAVE", "SVM_EXIT_VMSAVE", [VMSAVE "VMSAVE"], "15.5.2", "VMSAVE";
    STGI = 0x084, "VMEXIT_STGI", "SVM_EXIT_STGI", [STGI "STGI"], "15.17", "STGI";
    CLGI = 0x085, "VMEXIT_CLGI", "SVM_EXIT_CLGI", [CLGI "CLGI"], "15.17", "CLGI";
    SKINIT = 0x086, "VMEXIT_SKINIT", "SVM_EXIT_SKINIT", [SKINIT "SKINIT"], "15.27", "SKINIT";
    RDTSCP = 0x087, "VMEXIT_RDTSCP", "SVM_EXIT_RDTSCP", [RDTSCP "RDTSCP"], "15.9", "RDTSCP";
    ICEBP = 0x088, "VMEXIT_ICEBP", "SVM_EXIT_ICEBP", [ICEBP "ICEBP"], "15.9", "ICEBP (INT1)";
    WBINVD = 0x089, "VMEXIT_WBINVD", "SVM_EXIT_WBINVD", [WBINVD "WBINVD"], "15.9", "WBINVD";
    MONITOR = 0x08A, "VMEXIT_MONITOR", "SVM_EXIT_MONITOR", [MONITOR "MONITOR"], "15.9", "MONITOR or MONITORX";
    MWAIT = 0x08B, "VMEXIT_MWAIT", "SVM_EXIT_MWAIT", [MWAIT "MWAIT"], "15.9", "MWAIT or MWAITX";
    MWAIT_CONDITIONAL = 0x08C, "VMEXIT_MWAIT_CONDITIONAL", "SVM_EXIT_MWAIT_COND", [MWAIT_COND "MWAIT_COND"], "15.9", "MWAIT with a monitor armed";
    XSETBV = 0x08D, "VMEXIT_XSETBV", "SVM_EXIT_XSETBV", [XSETBV "XSETBV"], "15.9", "XSETBV";
    RDPRU = 0x08E, "VMEXIT_RDPRU", "SVM_EXIT_RDPRU", [RDPRU "RDPRU"], "15.9", "RDPRU";
    EFER_WRITE_TRAP = 0x08F, "VMEXIT_EFER_WRITE_TRAP", "SVM_EXIT_EFER_WRITE_TRAP", [TRAP_EFER_WRITE "TRAP_EFER_WRITE"], "15.8, App. C", "a completed write of EFER, reported after the instruction (EXITINFO1 = new value)";
    INVLPGB = 0x0A0, "VMEXIT_INVLPGB", "", [INVLPGB "INVLPGB"], "15.9, App. C", "INVLPGB";
    INVLPGB_ILLEGAL = 0x0A1, "VMEXIT_INVLPGB_ILLEGAL", "", [INVLPGB_ILLEGAL "INVLPGB_ILLEGAL"], "15.9, App. C", "INVLPGB with an illegal operand";
    INVPCID = 0x0A2, "VMEXIT_INVPCID", "SVM_EXIT_INVPCID", [INVPCID "INVPCID"], "15.9, App. C", "INVPCID";
    MCOMMIT = 0x0A3, "VMEXIT_MCOMMIT", "", [MCOMMIT "MCOMMIT"], "15.9, App. C", "MCOMMIT";
    TLBSYNC = 0x0A4, "VMEXIT_TLBSYNC", "", [TLBSYNC "TLBSYNC"], "15.9, App. C", "TLBSYNC";
    BUSLOCK = 0x0A5, "VMEXIT_BUSLOCK", "SVM_EXIT_BUS_LOCK", [BUSLOCK "BUSLOCK"], "15.9, App. C", "the bus-lock threshold counter reached zero";
    IDLE_HLT = 0x0A6, "VMEXIT_IDLE_HLT", "SVM_EXIT_IDLE_HLT", [IDLE_HLT "IDLE_HLT"], "15.9, App. C", "HLT with no virtual interrupt pending";
    NPF = 0x400, "VMEXIT_NPF", "SVM_EXIT_NPF", [], "15.25.6", "nested page fault: the nested walk failed (EXITINFO1 = error code, EXITINFO2 = guest-physical address)";
    AVIC_INCOMPLETE_IPI = 0x401, "VMEXIT_AVIC_INCOMPLETE_IPI", "SVM_EXIT_AVIC_INCOMPLETE_IPI", [], "15.29, App. C", "AVIC could not complete an IPI";
    AVIC_NOACCEL = 0x402, "VMEXIT_AVIC_NOACCEL", "SVM_EXIT_AVIC_UNACCELERATED_ACCESS", [], "15.29, App. C", "an APIC access AVIC does not accelerate";
    VMGEXIT = 0x403, "VMEXIT_VMGEXIT", "SVM_EXIT_VMGEXIT", [], "15.35, App. C", "VMGEXIT from an SEV-ES guest";
    PML_FULL = 0x407, "VMEXIT_PML_FULL", "SVM_EXIT_PML_FULL", [], "15.25.15", "the page-modification log is full";
    INVALID_PMC = -4i64 as u64, "VMEXIT_INVALID_PMC", "", [], "App. C (UNCONFIRMED)", "UNCONFIRMED encoding (reference §12.3)";
    IDLE_REQUIRED = -3i64 as u64, "VMEXIT_IDLE_REQUIRED", "", [], "App. C (UNCONFIRMED)", "UNCONFIRMED encoding (reference §12.3)";
    BUSY = -2i64 as u64, "VMEXIT_BUSY", "", [], "App. C (UNCONFIRMED)", "UNCONFIRMED encoding (reference §12.3)";
    INVALID = u64::MAX, "VMEXIT_INVALID", "SVM_EXIT_ERR", [], "15.5.1", "VMRUN failed a consistency check on the guest state (exit code -1)";
}

impl SvmExitCode {
    /// CRn read (0x000 + n).
    pub const fn cr_read(n: u8) -> Self {
        Self(CR_READ + (n as u64 & 15))
    }
    /// CRn write (0x010 + n).
    pub const fn cr_write(n: u8) -> Self {
        Self(CR_WRITE + (n as u64 & 15))
    }
    /// DRn read (0x020 + n).
    pub const fn dr_read(n: u8) -> Self {
        Self(DR_READ + (n as u64 & 15))
    }
    /// DRn write (0x030 + n).
    pub const fn dr_write(n: u8) -> Self {
        Self(DR_WRITE + (n as u64 & 15))
    }
    /// Exception vector `v` (0..=31): 0x040 + v.
    pub const fn exception(v: u8) -> Self {
        Self(EXCP + (v as u64 & 31))
    }
    /// CRn write trap (0x090 + n).
    pub const fn cr_write_trap(n: u8) -> Self {
        Self(CR_WRITE_TRAP + (n as u64 & 15))
    }

    /// The intercept bit with the same number, if this exit code is an intercept (reference §2.2).
    pub fn intercept(self) -> Option<Intercept> {
        Intercept::from_bit(u32::try_from(self.0).ok()?)
    }
}

impl Intercept {
    /// CRn read intercept (bit n).
    pub const fn cr_read(n: u8) -> Self {
        Self(SvmExitCode::cr_read(n).0 as u32)
    }
    /// CRn write intercept (bit 16 + n).
    pub const fn cr_write(n: u8) -> Self {
        Self(SvmExitCode::cr_write(n).0 as u32)
    }
    /// DRn read intercept (bit 32 + n).
    pub const fn dr_read(n: u8) -> Self {
        Self(SvmExitCode::dr_read(n).0 as u32)
    }
    /// DRn write intercept (bit 48 + n).
    pub const fn dr_write(n: u8) -> Self {
        Self(SvmExitCode::dr_write(n).0 as u32)
    }
    /// The intercept of exception vector `v` (bit 64 + v).
    pub const fn exception(v: u8) -> Self {
        Self(SvmExitCode::exception(v).0 as u32)
    }

    /// The intercept bit `bit`, if the table defines it.
    pub fn from_bit(bit: u32) -> Option<Self> {
        lookup(bit as u64).and_then(|i| i.intercept).map(|_| Self(bit))
    }
    /// Bit index in the intercept vector (word = bit / 32, bit % 32 within the word).
    pub const fn bit(self) -> u32 {
        self.0
    }
    /// The exit code this intercept produces: the same number (reference §2.2).
    pub const fn exit_code(self) -> SvmExitCode {
        SvmExitCode(self.0 as u64)
    }
    /// The Linux-style name ("CR3_WRITE", "EXCEPTION14", "MSR_PROT", …).
    pub fn name(self) -> &'static str {
        lookup(self.0 as u64).and_then(|i| i.intercept).unwrap_or("RESERVED")
    }
    /// Every defined intercept bit, in bit order.
    pub fn all() -> impl Iterator<Item = Intercept> {
        all().filter_map(|i| i.intercept.map(|_| Intercept(i.code as u32)))
    }
}

fn lookup(code: u64) -> Option<ExitInfo> {
    if let Some(f) = FAMILIES.iter().find(|f| (f.first..f.first + f.count()).contains(&code)) {
        return Some(f.info((code - f.first) as usize));
    }
    let i = SINGLES.binary_search_by_key(&code, |r| r.first).ok()?;
    Some(SINGLES[i].info(0))
}

/// What the table says about exit code `code` (APM name, Linux name, intercept bit, APM section,
/// meaning), or `None` for a code the APM does not define.
pub fn explain(code: SvmExitCode) -> Option<ExitInfo> {
    lookup(code.0)
}

/// Every defined exit code, in ascending order of the 64-bit code.
pub fn all() -> impl Iterator<Item = ExitInfo> {
    let mut rows: Vec<&Row> = FAMILIES.iter().chain(SINGLES.iter()).collect();
    rows.sort_by_key(|r| r.first);
    rows.into_iter().flat_map(|r| (0..r.count() as usize).map(move |i| r.info(i)))
}
