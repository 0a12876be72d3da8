//! nestscope-core: a platform-free model of an x86-64 CPU with AMD SVM, and an L0 hypervisor model.
//!
//! The entry points the CLI and the web app use are re-exported here:
//!
//! - a run: [`Sim`] under a [`Model`] (a hardware model, [`Machine`], or the program as L1 under
//!   the L0 model of KVM, [`Kvm`]); it steps ([`StepOutcome`]) and runs to a [`RunEnd`] ([`Stop`]);
//! - outcomes kept apart: an architectural [`Fault`], a #VMEXIT [`VmExit`] with its
//!   [`SvmExitCode`], an emulator error [`EmuError`];
//! - addresses: [`Gva`], [`Gpa`], [`Hpa`];
//! - checkpoints: [`save_checkpoint`], [`load_checkpoint`] ([`Loaded`]), [`load_sim`] ([`CheckpointError`]);
//! - scenarios: [`Scenario`], [`scenario::catalog`], [`scenario::run`];
//! - what the UI reads: [`inspect`] (world-switch tracker, VMCB fields of a page, side-effect-free
//!   memory reads, paging entries) and the recorded [`trace`] events.
//!
//! Submodules that nothing outside the crate uses (the interpreter's parts, L0's internals, the
//! checkpoint codec's internals…) are `pub(crate)`; what they define for the outside is re-exported
//! by their parent module.

/// The assembler (NASM syntax) and disassembler.
pub mod asm;
/// Benchmark programs and measurements (`nestscope bench`, the wasm benchmarks).
pub mod bench;
/// Checkpoints: saving and loading a run (formats v1 and v2).
pub mod checkpoint;
/// Lockstep comparison of one program under two models.
pub mod compare;
/// The x86-64 CPU: registers, control registers, MSRs, the interpreter, TLB and faults.
pub mod cpu;
/// The machine's devices: the CONTRACT console and debug-exit ports.
pub mod devices;
/// The L0 hypervisor model (KVM's nested SVM and its gPAT designs).
pub mod hv;
/// What the UI reads: views of a run that change nothing in it.
pub mod inspect;
/// Boot images: flat CONTRACT programs and multiboot v1 kernels, as values the machine applies.
pub mod loader;
/// The machine: CPU, RAM, console and SVM hardware state; stepping and running.
pub mod machine;
/// Memory: address types, physical memory, paging and memory types.
pub mod mem;
/// The seven CONTRACT models as one type.
pub mod model;
/// The three outcomes kept apart (fault, #VMEXIT, emulator error) and the step/run results.
pub mod outcome;
/// The three PAT layers of L2's accesses under any model.
pub mod pat_layers;
/// The CONTRACT run report (JSON).
pub(crate) mod report;
/// Scenarios: the file format, the built-in catalog and the expectation runner.
pub mod scenario;
/// Share links: a run (program, model, step, view) as a compact URL fragment.
pub mod share;
/// One handle on a run under any model.
pub mod sim;
/// The SVM hardware model: VMCB, VMRUN, #VMEXIT, intercepts, consistency checks, nested paging.
pub mod svm;
/// Time travel: automatic snapshots of a run, step back, jump to any step or world switch.
pub mod timetravel;
/// Recorded world switches (VMRUN / #VMEXIT) with structured details.
pub mod trace;

pub use checkpoint::{CheckpointError, Loaded, load as load_checkpoint, load_sim, save as save_checkpoint};
pub use hv::Kvm;
pub use machine::Machine;
pub use mem::{Gpa, Gva, Hpa};
pub use model::Model;
pub use outcome::{EmuError, Fault, GuestRun, RunEnd, StepOutcome, Stop, SvmExitCode, VmExit};
pub use scenario::Scenario;
pub use sim::Sim;
