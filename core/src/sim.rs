//! One handle on a run under any CONTRACT §2 model: the hardware models run the program on the
//! machine directly; the `kvm-*` models run it as L1 under the L0 model. The CLI, the web app and
//! the scenario runner all go through this.
#![warn(missing_docs)]
use crate::outcome::EmuError;
use crate::cpu::Regs;
use crate::hv::{Kvm, L0Config};
use crate::machine::{LoadError, Machine, RunEnd, StepOutcome};
use crate::model::Model;
use crate::mem::Hpa;
use crate::trace::{EventKind, Level};
use serde_json::Value;

/// One value per run, never stored in bulk: the size difference of the variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Sim {
    /// A hardware model running the program directly.
    Hw(Machine),
    /// The program as L1 under the L0 model.
    Kvm(Box<Kvm>),
}

/// Which VMCB a page is, from the point of view of the modelled system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VmcbRole {
    /// The VMCB L1 passed to VMRUN (vmcb12 under a kvm-* model, the guest's VMCB on bare metal).
    Vmcb12,
    /// L0's VMCB for running L1 (kvm-* only).
    Vmcb01,
    /// L0's VMCB for running L2 (kvm-* only).
    Vmcb02,
}

impl VmcbRole {
    /// "vmcb12" / "vmcb01" / "vmcb02" under a kvm-* model; "VMCB" for the one VMCB of a hardware model.
    pub fn name(self, kvm: bool) -> &'static str {
        match (self, kvm) {
            (VmcbRole::Vmcb12, true) => "vmcb12",
            (VmcbRole::Vmcb12, false) => "VMCB",
            (VmcbRole::Vmcb01, _) => "vmcb01",
            (VmcbRole::Vmcb02, _) => "vmcb02",
        }
    }
}

impl Sim {
    /// Loads `program` under `model` with `mem_mib` MiB of RAM (L1's RAM under a `kvm-*` model).
    pub fn new(program: &[u8], mem_mib: u64, model: Model, l0: &L0Config) -> Result<Sim, LoadError> {
        match model {
            Model::Hw(hw) => Machine::with_model(program, mem_mib, hw).map(Sim::Hw),
            Model::L0(d) => Kvm::new(program, mem_mib, d, l0.clone()).map(|k| Sim::Kvm(Box::new(k))),
        }
    }

    /// Boots a multiboot kernel (loader/) under `model`: on a hardware model, or as L1 under L0.
    pub fn boot(image: &crate::loader::BootImage, model: Model) -> Result<Sim, LoadError> {
        match model {
            Model::Hw(hw) => Machine::boot(image, hw).map(Sim::Hw),
            Model::L0(d) => Kvm::boot(image, d, L0Config::default()).map(|k| Sim::Kvm(Box::new(k))),
        }
    }

    /// The model the run uses.
    pub fn model(&self) -> Model {
        match self {
            Sim::Hw(m) => Model::Hw(m.svm.model),
            Sim::Kvm(k) => Model::L0(k.design),
        }
    }

    /// The VMCBs worth showing now, with their host-physical addresses: the VMCB L1 runs L2 with
    /// (the one of the current guest run, else the one of L1's most recent VMRUN, failed or not),
    /// and under a `kvm-*` model L0's vmcb01 and vmcb02. (L0 maps L1's RAM 1:1, so vmcb12's L1
    /// guest-physical address is its host-physical one.)
    pub fn vmcbs(&self) -> Vec<(VmcbRole, Hpa)> {
        let running = match self {
            Sim::Hw(m) => m.svm.guest.is_some(),
            Sim::Kvm(k) => k.nested.is_some(),
        };
        self.vmcbs_given(if running { None } else { self.last_vmrun_vmcb() })
    }

    /// The VMCB of L1's most recent VMRUN (failed or not), from the event log (a scan back to it).
    pub fn last_vmrun_vmcb(&self) -> Option<Hpa> {
        self.machine()
            .events
            .iter()
            .rev()
            .filter(|e| e.kind == EventKind::Vmrun && e.from == Level::L1)
            .find_map(|e| e.detail.as_ref()?.vmrun_vmcb())
    }

    /// [`Sim::vmcbs`] given the VMCB of L1's most recent VMRUN (for a caller that follows the
    /// events as they come, instead of scanning the log at every world switch).
    pub fn vmcbs_given(&self, last_vmrun: Option<Hpa>) -> Vec<(VmcbRole, Hpa)> {
        let vmcb12 = match self {
            Sim::Hw(m) => m.svm.guest.as_ref().map(|g| Hpa(g.vmcb_pa)).or(last_vmrun),
            Sim::Kvm(k) => k.nested.as_ref().map(|n| Hpa(n.vmcb12)).or(last_vmrun).or(k.last_vmcb12.map(Hpa)),
        };
        let mut v: Vec<(VmcbRole, Hpa)> = vmcb12.map(|a| (VmcbRole::Vmcb12, a)).into_iter().collect();
        if let Sim::Kvm(k) = self {
            v.push((VmcbRole::Vmcb01, Hpa(k.layout.vmcb01)));
            v.push((VmcbRole::Vmcb02, Hpa(k.layout.vmcb02)));
        }
        v
    }

    /// The hardware machine (for a `kvm-*` model: the one L0 runs on).
    pub fn machine(&self) -> &Machine {
        match self {
            Sim::Hw(m) => m,
            Sim::Kvm(k) => &k.m,
        }
    }

    /// The machine of the run, for changing it (under a kvm-* model: L0's host machine).
    pub fn machine_mut(&mut self) -> &mut Machine {
        match self {
            Sim::Hw(m) => m,
            Sim::Kvm(k) => &mut k.m,
        }
    }

    /// L1 or L2: whose code runs now.
    pub fn level(&self) -> Level {
        match self {
            Sim::Hw(m) => m.level(),
            Sim::Kvm(k) => k.level(),
        }
    }

    /// Executes one step under the run's model: an instruction, or a world switch L0 handles.
    pub fn step(&mut self) -> Result<StepOutcome, EmuError> {
        match self {
            Sim::Hw(m) => m.step(),
            Sim::Kvm(k) => k.step(),
        }
    }

    /// Runs until the program stops or `max_steps` instructions have retired.
    pub fn run(&mut self, max_steps: u64) -> Result<RunEnd, EmuError> {
        match self {
            Sim::Hw(m) => m.run(max_steps),
            Sim::Kvm(k) => k.run(max_steps),
        }
    }

    /// The outermost program's (L1's) registers, also while L2 runs.
    pub fn l1_regs(&self) -> Regs {
        match self {
            Sim::Hw(m) => m.outer_regs(),
            Sim::Kvm(k) => k.l1_regs(),
        }
    }

    /// The CONTRACT §3 report.
    pub fn report(&self, end: &RunEnd) -> Value {
        crate::report::run_json_with_regs(self.machine(), end, &self.l1_regs())
    }
}
