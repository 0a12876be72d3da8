//! Persisted state: the machine's record, made of the per-component records (records/) and the
//! run's own (console, stop, events), separate from the live machine types, so the file format
//! changes only when `FORMAT_VERSION` does.
pub use super::records::cpu::CpuRecord;
pub use super::records::l0::L0Record;
pub use super::records::svm::SvmRecord;
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
    /// QEMU's fw_cfg, present in a kernel run (absent: no fw_cfg, every file written before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fw_cfg: Option<super::records::devices::FwCfgState>,
    /// The REP chunk a #VMEXIT cut short (cpu/exec/string.rs `rep_resume`: RIP, step, count,
    /// iterations allowed), when set (absent in every file written before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep_resume: Option<[u64; 4]>,
    /// A multiboot kernel run: how the kernel (the file's program) was loaded; the run's memory
    /// is stored as a difference from that boot (absent: a CONTRACT program).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot: Option<BootRecord>,
}

/// How a multiboot kernel was loaded (loader/multiboot.rs `BootConfig`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootRecord {
    /// The kernel's RAM (MiB; under a `kvm-*` model L1's RAM).
    pub ram_mib: u64,
    /// argv[0] on the kernel's command line.
    pub progname: String,
    /// The rest of the command line (`--append`).
    pub append: String,
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageRecord {
    /// Physical page number (address >> 12).
    pub page: u64,
    /// 4096 bytes (base64 in JSON).
    pub data: super::format::Bytes,
}
