//! Persisted state: serde records separate from the live machine types, so the file format
//! changes only when `FORMAT_VERSION` does.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineRecord {
    /// CONTRACT §2 model name the run uses (`Model`'s name).
    pub model: String,
    pub mem_mib: u64,
    /// Retired instructions since the program's start.
    pub steps: u64,
    /// Console bytes (base64 in JSON).
    pub console: super::format::Bytes,
    pub stopped: Option<StopRecord>,
    /// The kept events (trace/log.rs): all of them, or the first 10 000 and the last 10 000.
    pub events: Vec<EventRecord>,
    /// How many events the run had when some were not kept (absent: `events` is all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_total: Option<u64>,
    pub cpu: CpuRecord,
    /// v1: every RAM page that is not all zero. v2: empty (memory is the payload's page section).
    #[serde(default)]
    pub pages: Vec<PageRecord>,
    /// The processor's SVM state (GIF, a running guest and its host save). Absent in files written
    /// before the SVM model existed, which had none to save.
    #[serde(default)]
    pub svm: Option<SvmRecord>,
    /// The L0 model's state under a `kvm-*` model.
    #[serde(default)]
    pub l0: Option<L0Record>,
    /// The local APIC and the processor's interrupt state (cpu/interrupts.rs), when not at reset
    /// (absent: an APIC at reset, nothing halted or blocked — every file written before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupts: Option<InterruptRecord>,
    /// The 16550A UART's registers, when not at reset (absent in every file written before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uart: Option<crate::devices::uart::UartState>,
}

/// What the processor holds about external interrupts besides its registers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterruptRecord {
    pub apic: crate::devices::apic::ApicState,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub halted: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nmi_blocked: bool,
    /// The interrupt shadow (`Processor::shadow_step`), when it covers the next instruction.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shadow: bool,
}

/// The processor's SVM state. Files written before the hardware stopped knowing about L0 carry
/// `l0_host` (the guest was entered by the L0 model: it has no host save now) and `pending_exit`
/// (never set between steps); both are read and no longer written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SvmRecord {
    pub model: crate::svm::SvmModel,
    pub gif: bool,
    pub guest: Option<crate::svm::state::GuestMode>,
    #[serde(default, skip_serializing)]
    pub l0_host: bool,
    #[serde(default, skip_serializing)]
    pub pending_exit: Option<crate::outcome::VmExit>,
}

/// What the L0 model keeps besides the machine (hv/l0.rs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct L0Record {
    pub design: crate::hv::gpat::Design,
    pub l1_mem_mib: u64,
    pub config: crate::hv::L0Config,
    pub pat: crate::hv::gpat::PatRegs,
    pub ctx: crate::hv::gpat::NestedCtx,
    pub l1_gif: bool,
    pub nested: Option<crate::hv::l0::Nested12>,
    pub last_vmcb12: Option<u64>,
    pub shadow: crate::hv::shadow_npt::ShadowNpt,
    pub svme: [bool; 2],
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "exit", rename_all = "kebab-case", deny_unknown_fields)]
pub enum StopRecord {
    Halt,
    DebugExit { code: u8 },
    Shutdown { reason: String },
    /// The model-limit stop of an L2 HLT without the HLT intercept (files written before it
    /// existed hold it as `shutdown` with the same reason text, which loads as a shutdown).
    L2HaltForever { rip: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRecord {
    /// "vmrun" or "vmexit".
    pub kind: String,
    pub from: String,
    pub to: String,
    pub exit_code: u64,
    pub step: u64,
    pub rip: u64,
    /// The detail as text (what the CLI shows).
    pub detail: Option<String>,
    /// The detail as data, when it is more than text (absent in version 1 files and in version 2
    /// files written before details were structured). Its text must be `detail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_data: Option<DetailRecord>,
}

/// A structured event detail (trace::Detail) in plain fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "is", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DetailRecord {
    /// A VMRUN of the VMCB at host-physical `vmcb`, emulated by the L0 model `emulated_by`.
    Vmrun { vmcb: u64, emulated_by: Option<String> },
    /// A VMRUN that failed the consistency check `check` (a name of svm::checks::CHECKS).
    VmrunFailed { check: String, apm_section: String, detail: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRecord {
    pub selector: u16,
    pub base: u64,
    pub limit: u32,
    pub attrib: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRecord {
    pub base: u64,
    pub limit: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuRecord {
    /// rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15.
    pub gpr: [u64; 16],
    pub rip: u64,
    pub rflags: u64,
    pub cs: SegmentRecord,
    pub ds: SegmentRecord,
    pub es: SegmentRecord,
    pub ss: SegmentRecord,
    pub fs: SegmentRecord,
    pub gs: SegmentRecord,
    pub ldtr: SegmentRecord,
    pub tr: SegmentRecord,
    pub gdtr: TableRecord,
    pub idtr: TableRecord,
    pub cr0: u64,
    pub cr2: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub cr8: u64,
    pub efer: u64,
    pub dr: [u64; 8],
    pub pat: u64,
    pub cpl: u8,
    pub msr: MsrRecord,
    /// CPU features the machine is configured without (cpuid.rs `Hidden`; added later: absent in
    /// older files, left out when none).
    #[serde(default, skip_serializing_if = "is_default_hidden")]
    pub hidden: crate::cpu::cpuid::Hidden,
}

fn is_default_hidden(h: &crate::cpu::cpuid::Hidden) -> bool {
    *h == crate::cpu::cpuid::Hidden::default()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MsrRecord {
    pub apic_base: u64,
    pub mtrr_def_type: u64,
    pub mtrr_fixed: [u64; 11],
    pub mtrr_var: [u64; 16],
    pub sysenter_cs: u64,
    pub sysenter_esp: u64,
    pub sysenter_eip: u64,
    pub star: u64,
    pub lstar: u64,
    pub cstar: u64,
    pub sfmask: u64,
    pub kernel_gs_base: u64,
    pub tsc_aux: u64,
    pub vm_cr: u64,
    pub vm_hsave_pa: u64,
    pub tsc_offset: u64,
    /// DEBUGCTL and the legacy performance-counter MSRs (added in format 2 without a version
    /// change: absent in older files, left out when zero).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub debugctl: u64,
    #[serde(default, skip_serializing_if = "all_zero")]
    pub perf_ctl: [u64; 4],
    #[serde(default, skip_serializing_if = "all_zero")]
    pub perf_ctr: [u64; 4],
    /// The LBR MSRs (cpu/lbr.rs; added without a version change: absent in older files, left
    /// out when zero).
    #[serde(default, skip_serializing_if = "crate::cpu::lbr::Lbr::is_zero")]
    pub lbr: crate::cpu::lbr::Lbr,
    /// IA32_TSC_ADJUST (likewise added later; left out when zero).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tsc_adjust: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn all_zero(v: &[u64; 4]) -> bool {
    v.iter().all(|&x| x == 0)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageRecord {
    /// Physical page number (address >> 12).
    pub page: u64,
    /// 4096 bytes (base64 in JSON).
    pub data: super::format::Bytes,
}
