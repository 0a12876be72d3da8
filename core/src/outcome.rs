//! The outcomes of running code, in one place and kept apart:
//! - an architectural fault ([`Fault`]) — delivered through the IDT, or a #VMEXIT when intercepted;
//! - a #VMEXIT ([`VmExit`]) — a value the guest-execution path returns, never an error;
//! - an emulator error ([`EmuError`]) — something the model cannot do (exit status 2 in the CLI),
//!   never a guest shutdown;
//!
//! and the results of stepping and running a machine ([`StepOutcome`], [`RunEnd`], [`GuestRun`],
//! [`Stop`]). `Trap` is the internal "what stopped this instruction" of the interpreter.
//!
//! This module depends on `mem` (addresses) only, so every layer can name these types.
use crate::mem::Hpa;
use serde::Serialize;
use std::fmt;

// ---- architectural faults ----

/// An architectural exception raised by an instruction. It is delivered through the IDT, or
/// becomes a #VMEXIT when intercepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub vector: u8,
    pub error_code: Option<u32>,
    /// CR2 value for #PF.
    pub cr2: Option<u64>,
    /// The event whose delivery raised this fault, when that event is not itself an exception
    /// being delivered by `deliver_exception` (INT n / INT3 / INTO / INT1 executed by the program):
    /// what EXITINTINFO records if this fault is intercepted (APM 15.7.2).
    pub during: Option<IdtEvent>,
}

/// The type of an event delivered through the IDT, numbered as EVENTINJ / EXITINTINFO TYPE
/// (APM 15.20): 0 external interrupt, 2 NMI, 3 exception (INT3 and INTO included, as the
/// hardware reports them: KVM svm_complete_interrupts), 4 software interrupt (INT n).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdtEventType {
    Intr = 0,
    Nmi = 2,
    Exception = 3,
    SoftInt = 4,
}

/// An event being delivered through the IDT when another one arises (the subject of
/// EXITINTINFO, APM 15.7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdtEvent {
    pub vector: u8,
    pub ty: IdtEventType,
    pub error_code: Option<u32>,
    /// Raised by the program's own INT n, INT3 or INTO: faults raised while delivering it have
    /// EXT = 0 in their error code; every other event (an exception, an interrupt, an injected
    /// event, INT1) is external to the program and they have EXT = 1 (APM vol.2 8.4.1 "EXT").
    pub soft: bool,
}

impl IdtEvent {
    /// An exception being delivered.
    pub const fn exception(f: &Fault) -> Self {
        IdtEvent { vector: f.vector, ty: IdtEventType::Exception, error_code: f.error_code, soft: false }
    }
}

/// Exception vectors (APM vol.2 8.2).
pub mod vector {
    pub const DE: u8 = 0;
    pub const DB: u8 = 1;
    pub const NMI: u8 = 2;
    pub const BP: u8 = 3;
    pub const OF: u8 = 4;
    pub const BR: u8 = 5;
    pub const UD: u8 = 6;
    pub const NM: u8 = 7;
    pub const DF: u8 = 8;
    pub const TS: u8 = 10;
    pub const NP: u8 = 11;
    pub const SS: u8 = 12;
    pub const GP: u8 = 13;
    pub const PF: u8 = 14;
    pub const MF: u8 = 16;
    pub const AC: u8 = 17;
    pub const MC: u8 = 18;
    pub const XM: u8 = 19;
}

impl Fault {
    pub const fn new(vector: u8) -> Self {
        Fault { vector, error_code: None, cr2: None, during: None }
    }
    pub const fn with_code(vector: u8, code: u32) -> Self {
        Fault { vector, error_code: Some(code), cr2: None, during: None }
    }
    pub const fn gp0() -> Self {
        Self::with_code(vector::GP, 0)
    }
    pub const fn ud() -> Self {
        Self::new(vector::UD)
    }
    pub const fn pf(code: u32, addr: u64) -> Self {
        Fault { vector: vector::PF, error_code: Some(code), cr2: Some(addr), during: None }
    }
    pub fn mnemonic(&self) -> &'static str {
        const N: [&str; 21] = [
            "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF9", "#TS", "#NP", "#SS", "#GP", "#PF",
            "#15", "#MF", "#AC", "#MC", "#XM", "#VE",
        ];
        N.get(self.vector as usize).copied().unwrap_or("#?")
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.mnemonic())?;
        if let Some(c) = self.error_code {
            write!(f, "({c:#x})")?;
        }
        if let Some(a) = self.cr2 {
            write!(f, " at {a:#x}")?;
        }
        Ok(())
    }
}

// ---- #VMEXIT values ----

/// A 64-bit SVM exit code (EXITCODE, VMCB+0x070). For every intercept, the intercept bit index
/// equals the exit code (APM 15.9, Appendix C). The named codes and their names are in
/// `svm/exit_code.rs`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct SvmExitCode(pub u64);

/// The result of running a guest until it exits: a value, not an error. Mirrors the VMCB exit
/// fields (EXITCODE, EXITINFO1, EXITINFO2, EXITINTINFO as 64 bits, nRIP).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub struct VmExit {
    pub code: SvmExitCode,
    pub info1: u64,
    pub info2: u64,
    pub int_info: u64,
    pub next_rip: u64,
}

// ---- emulator errors ----

/// What a failed physical access was for (in [`EmuError::OutsideRam`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhysUse {
    /// A data read of an instruction.
    Read,
    /// A data write of an instruction.
    Write,
    /// An instruction fetch.
    Fetch,
    /// VMRUN reading the VMCB.
    VmcbRead,
    /// VMRUN or #VMEXIT writing the VMCB.
    VmcbWrite,
    /// VMLOAD/VMSAVE on their VMCB.
    VmloadVmsave,
    /// An entry of a nested page table.
    NestedTable,
    /// The L0 model reading a VMCB it keeps (vmcb01/vmcb02/vmcb12).
    L0VmcbRead,
    /// The L0 model writing a VMCB it keeps.
    L0VmcbWrite,
    /// The L0 model updating an entry of L1's nested page table (accessed/dirty bits).
    L0L1NptEntry,
    /// The L0 model writing its shadow nested page table.
    L0ShadowNpt,
    /// The L0 model laying out its own pages (its NPT for L1, its permission maps).
    L0Layout,
}

impl PhysUse {
    fn text(self) -> &'static str {
        match self {
            PhysUse::Read => "read of physical",
            PhysUse::Write => "write to physical",
            PhysUse::Fetch => "instruction fetch from physical",
            PhysUse::VmcbRead => "VMCB read at",
            PhysUse::VmcbWrite => "VMCB write at",
            PhysUse::VmloadVmsave => "VMLOAD/VMSAVE VMCB at physical",
            PhysUse::NestedTable => "nested page table access at",
            PhysUse::L0VmcbRead => "L0: VMCB read at",
            PhysUse::L0VmcbWrite => "L0: VMCB write at",
            PhysUse::L0L1NptEntry => "L0: L1's nested page table entry at",
            PhysUse::L0ShadowNpt => "L0: shadow NPT write at",
            PhysUse::L0Layout => "L0: write to its own page at",
        }
    }
}

/// A CPU feature the interpreter does not model (in [`EmuError::Unmodelled`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unmodelled {
    /// An IDT gate whose code segment is not 64-bit.
    CompatIdtGate,
    /// What 16-bit code (real mode, or a 16-bit code segment) does beyond the modelled part:
    /// 16-bit addressing, a 16-bit stack, IRET/RETF in real mode.
    Code16,
    /// A data segment with a non-zero base outside 64-bit mode (selector): only flat segments
    /// are modelled in protected and compatibility mode.
    LegacySegmentBase(u16),
    /// An exception or interrupt (vector), or an IRET (0), outside long mode that the 32-bit
    /// interrupt/trap gates do not cover: real mode's IVT, a task gate, a 16-bit gate,
    /// virtual-8086 mode, a task return.
    LegacyEvent(u8),
    /// An IPI that would interrupt this processor (the ICR value): APIC interrupt delivery is
    /// not modelled.
    Ipi(u32),
    /// A data or I/O breakpoint enabled in DR7 (its R/W field): only instruction breakpoints
    /// are modelled.
    DataBreakpoint(u8),
}

/// Something the L0 model cannot do or finds impossible: a bug in the model, or guest behaviour
/// it does not emulate (in [`EmuError::L0`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum L0Failure {
    /// A VMCB L0 built fails a VMRUN consistency check (name, APM section, values).
    BadVmcb { check: &'static str, section: &'static str, detail: String },
    /// An exit L0 did not ask for (its name), from L1 or L2.
    UnexpectedExit { name: &'static str, from_l2: bool },
    /// An MSR exit for an MSR L0 does not intercept.
    UnexpectedMsr(u32),
    /// An IOIO exit whose EXITINFO1 does not decode.
    MalformedIoio(u64),
    /// String I/O to a CONTRACT device port.
    StringIo(u16),
    /// vmcb12 lies outside L1's RAM.
    Vmcb12OutsideL1(u64),
    /// A guest-physical address of L1 outside its RAM (GPA, L1's RAM in MiB).
    GpaOutsideL1 { gpa: u64, l1_mib: u64 },
    /// L1 maps an L2 address to one outside L1's RAM.
    L2MapOutsideL1 { gpa: u64, spa: u64, l1_mib: u64 },
    /// The same #NPF keeps coming back without an instruction retiring.
    NpfLoop { gpa: u64, info1: u64, step: u64 },
    /// L0 handled this many exits in a row without an instruction of L1 or L2 retiring.
    NoProgress { exits: u32, step: u64, level: &'static str, rip: u64 },
    /// L0 took an exit as L2's but holds no vmcb12 (L2 is not running): a bug in the model.
    NotInL2(&'static str),
}

impl fmt::Display for L0Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            L0Failure::BadVmcb { check, section, detail } => {
                write!(f, "L0 built a VMCB that fails `{check}` ({section}): {detail}")
            }
            L0Failure::UnexpectedExit { name, from_l2 } => {
                write!(f, "L0: unexpected exit {name} from {}", if *from_l2 { "L2" } else { "L1" })
            }
            L0Failure::UnexpectedMsr(m) => write!(f, "L0: unexpected MSR exit for {m:#x}"),
            L0Failure::MalformedIoio(i) => write!(f, "L0: malformed IOIO EXITINFO1 {i:#x}"),
            L0Failure::StringIo(p) => write!(f, "L0: string I/O to port {p:#x} is not emulated"),
            L0Failure::Vmcb12OutsideL1(a) => write!(f, "L0: vmcb12 at {a:#x} is outside L1's RAM"),
            L0Failure::GpaOutsideL1 { gpa, l1_mib } => {
                write!(f, "L0: guest-physical {gpa:#x} is outside L1's {l1_mib} MiB of RAM")
            }
            L0Failure::L2MapOutsideL1 { gpa, spa, l1_mib } => {
                write!(f, "L0: L1 maps L2's {gpa:#x} to {spa:#x}, outside its {l1_mib} MiB of RAM")
            }
            L0Failure::NpfLoop { gpa, info1, step } => write!(
                f,
                "L0: #NPF at {gpa:#x} (EXITINFO1 {info1:#x}) keeps recurring without progress at step {step}"
            ),
            L0Failure::NoProgress { exits, step, level, rip } => {
                write!(f, "L0: no instruction retired in {exits} exits (step {step}, {level} rip {rip:#x})")
            }
            L0Failure::NotInL2(what) => write!(f, "L0: {what} without a running L2 (no vmcb12)"),
        }
    }
}

/// Something the emulator cannot do. Ends the run with exit status 2 in the CLI; never a panic,
/// never a guest shutdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmuError {
    /// A decoded instruction that the interpreter does not implement yet.
    Unsupported { mnemonic: String, rip: u64 },
    /// A physical access outside RAM: what it was for and the address. (Bytes that do not decode
    /// to a valid instruction are a #UD, not this.)
    OutsideRam { what: PhysUse, addr: Hpa },
    /// A CPU mode or feature the model does not implement.
    Unmodelled(Unmodelled),
    /// An operand form the interpreter cannot read or write (the instruction text): a decoder
    /// table gap, not guest behaviour.
    Operand { ins: String, op: u32, write: bool },
    /// The L0 model failed.
    L0(L0Failure),
    /// A guest entered through `Machine::enter_guest` (machine.rs) exited, and the caller
    /// ran the machine with `run`/`step`, which have no host to hand the exit to.
    UnclaimedExit(SvmExitCode),
}

impl EmuError {
    /// A physical access outside RAM.
    pub fn outside_ram(what: PhysUse, addr: Hpa) -> Self {
        EmuError::OutsideRam { what, addr }
    }
}

impl fmt::Display for EmuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmuError::Unsupported { mnemonic, rip } => write!(f, "unsupported instruction `{mnemonic}` at {rip:#x}"),
            EmuError::OutsideRam { what, addr } => write!(f, "{} {addr} outside RAM", what.text()),
            EmuError::Unmodelled(Unmodelled::CompatIdtGate) => write!(f, "IDT gate to a non-64-bit code segment"),
            EmuError::Unmodelled(Unmodelled::Code16) => write!(
                f,
                "16-bit addressing, a 16-bit stack or a real-mode IRET/RETF (only 16-bit code without them is modelled)"
            ),
            EmuError::Unmodelled(Unmodelled::LegacySegmentBase(sel)) => write!(
                f,
                "segment {sel:#x} has a non-zero base outside 64-bit mode (only flat segments are modelled there)"
            ),
            EmuError::Unmodelled(Unmodelled::Ipi(icr)) => write!(
                f,
                "APIC IPI {icr:#x} to this processor (local APIC interrupt delivery is not modelled)"
            ),
            EmuError::Unmodelled(Unmodelled::DataBreakpoint(rw)) => write!(
                f,
                "a DR7 breakpoint with R/W = {rw:#b} (data and I/O breakpoints are not modelled)"
            ),
            EmuError::Unmodelled(Unmodelled::LegacyEvent(v)) => write!(
                f,
                "exception or interrupt {v} outside long mode through a real-mode IVT, task gate, 16-bit gate or virtual-8086 mode, or such an IRET (not modelled)"
            ),
            EmuError::Operand { ins, op, write: false } => write!(f, "operand {op} of `{ins}` is not readable"),
            EmuError::Operand { ins, op, write: true } => write!(f, "operand {op} of `{ins}` is not writable"),
            EmuError::L0(e) => write!(f, "{e}"),
            EmuError::UnclaimedExit(c) => {
                write!(f, "#VMEXIT {:#x} of a guest entered from outside, but nobody took the exit", c.0)
            }
        }
    }
}

impl std::error::Error for EmuError {}

impl From<L0Failure> for EmuError {
    fn from(e: L0Failure) -> Self {
        EmuError::L0(e)
    }
}

/// What can stop an instruction: an architectural fault, a #VMEXIT of the running guest, or an
/// emulator error. Internal to the interpreter; `step`/`run` turn it into an outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    Fault(Fault),
    /// Boxed: emulator errors are rare and this keeps `Result<_, Trap>` small on the hot path.
    Emu(Box<EmuError>),
    /// SVM: the guest instruction is intercepted (or hit a nested page fault). Not an error: the
    /// value the guest-execution path returns so that the machine performs the world switch.
    Exit(VmExit),
}

impl From<Fault> for Trap {
    fn from(f: Fault) -> Self {
        Trap::Fault(f)
    }
}
impl From<EmuError> for Trap {
    fn from(e: EmuError) -> Self {
        Trap::Emu(Box::new(e))
    }
}

// ---- stops and run results ----

/// A run ended because the model does not implement what the guest needs next (not an
/// architectural event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelLimit {
    /// L2 executed HLT without the HLT intercept: it halts forever, since no interrupt can end the
    /// wait (none requested, no timer counting toward an unmasked vector; cpu/interrupts.rs).
    /// The RIP of the HLT.
    L2HaltForever { rip: u64 },
}

impl fmt::Display for ModelLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelLimit::L2HaltForever { rip } => write!(
                f,
                "L2 executed HLT at rip {rip:#x} without the HLT intercept: it halts forever (no interrupt can end the wait)"
            ),
        }
    }
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// HLT by the outermost program.
    Halt,
    /// OUT 0xF4: the byte written.
    DebugExit(u8),
    /// The architectural shutdown: a triple fault (or a shutdown-class world-switch failure); the
    /// text says why.
    Shutdown(String),
    /// A limit of the model, not an architectural event. CONTRACT §1 has no exit name for it, so
    /// it reports `shutdown` with the reason.
    ModelLimit(ModelLimit),
}

impl Stop {
    /// The CONTRACT "exit" string.
    pub fn name(&self) -> &'static str {
        match self {
            Stop::Halt => "halt",
            Stop::DebugExit(_) => "debug-exit",
            Stop::Shutdown(_) | Stop::ModelLimit(_) => "shutdown",
        }
    }

    /// The reason text of a shutdown-class stop (CONTRACT §3 `shutdown_reason`).
    pub fn reason(&self) -> Option<String> {
        match self {
            Stop::Shutdown(why) => Some(why.clone()),
            Stop::ModelLimit(l) => Some(l.to_string()),
            _ => None,
        }
    }
}

/// The result of one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// A step retired (an instruction, a REP chunk, a delivered exception, a world switch).
    Retired,
    Stopped(Stop),
}

/// The result of one step inside the machine: [`StepOutcome`], or the #VMEXIT of a guest entered
/// through `Machine::enter_guest` (not counted as a step: whoever entered the guest decides
/// what the exit means).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stepped {
    Retired,
    Stopped(Stop),
    Exited(VmExit),
}

/// How a `run` ended: a stop, or the step budget spent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    Stopped(Stop),
    Budget,
}

/// How `Machine::run_guest` ended (the shape of kvm-ioctls' `run() -> VcpuExit`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuestRun {
    /// The guest entered with `Machine::enter_guest` exited (not counted as a step).
    Exited(VmExit),
    Stopped(Stop),
    Budget,
}

/// Why an exception could not be delivered through the IDT (internal to the interpreter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Undelivered {
    /// A fault while delivering #DF: the processor shuts down (the text says why).
    TripleFault(String),
    /// The guest intercepts the exception, or the delivery itself caused a #VMEXIT (e.g. #NPF on
    /// the guest's IDT or stack): the exit to perform.
    Exit(VmExit),
    /// The emulator failed during the delivery.
    Emu(EmuError),
}
