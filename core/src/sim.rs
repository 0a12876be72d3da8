//! One handle on a run under any CONTRACT §2 model: the hardware models run the program on the
//! machine directly; the `kvm-*` models run it as L1 under the L0 model. The CLI, the web app and
//! the scenario runner all go through this.
use crate::cpu::fault::EmuError;
use crate::cpu::Regs;
use crate::hv::gpat::Design;
use crate::hv::{Kvm, L0Config};
use crate::machine::{LoadError, Machine, RunEnd, StepOutcome};
use crate::svm::SvmModel;
use crate::trace::Level;
use serde_json::Value;

/// Every model name of CONTRACT §2, in display order.
pub const MODELS: [&str; 7] = ["bare", "bare-swap", "bare-qemu", "kvm-legacy", "kvm-rfc", "kvm-swap", "kvm-merged"];

/// One value per run, never stored in bulk: the size difference of the variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Sim {
    /// A hardware model running the program directly.
    Hw(Machine),
    /// The program as L1 under the L0 model.
    Kvm(Box<Kvm>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    UnknownModel(String),
    Load(LoadError),
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimError::UnknownModel(m) => {
                let shown: String = m.chars().take(60).collect();
                write!(f, "unknown model `{}` (models: {})", shown.escape_default(), MODELS.join(", "))
            }
            SimError::Load(e) => write!(f, "{e}"),
        }
    }
}

impl Sim {
    pub fn new(program: &[u8], mem_mib: u64, model: &str, l0: &L0Config) -> Result<Sim, SimError> {
        if let Some(hw) = SvmModel::from_name(model) {
            return Machine::with_model(program, mem_mib, hw).map(Sim::Hw).map_err(SimError::Load);
        }
        let d = Design::from_name(model).ok_or_else(|| SimError::UnknownModel(model.to_string()))?;
        Kvm::new(program, mem_mib, d, l0.clone()).map(|k| Sim::Kvm(Box::new(k))).map_err(SimError::Load)
    }

    pub fn model_name(&self) -> &'static str {
        match self {
            Sim::Hw(m) => m.svm.model.name(),
            Sim::Kvm(k) => k.design.name(),
        }
    }

    /// The hardware machine (for a `kvm-*` model: the one L0 runs on).
    pub fn machine(&self) -> &Machine {
        match self {
            Sim::Hw(m) => m,
            Sim::Kvm(k) => &k.m,
        }
    }

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

    pub fn step(&mut self) -> Result<StepOutcome, EmuError> {
        match self {
            Sim::Hw(m) => m.step(),
            Sim::Kvm(k) => k.step(),
        }
    }

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

/// The 15 bytes at linear `rip` of the level that runs now, read without side effects (no A/D
/// updates); `None` if the fetch would fault. Bytes on a following page are translated too.
pub fn code_bytes(m: &Machine, rip: u64) -> Option<[u8; 15]> {
    use crate::mem::paging::Access;
    use crate::mem::{Gva, Hpa};
    let first = m.memtype_of(Gva(rip), Access::FETCH).ok()?.spa.0;
    let split = (0x1000 - (rip & 0xfff)).min(15) as usize;
    let second = if split < 15 { m.memtype_of(Gva(rip + split as u64), Access::FETCH).ok().map(|r| r.spa.0) } else { None };
    let mut bytes = [0u8; 15];
    for (i, b) in bytes.iter_mut().enumerate() {
        let a = if i < split { first + i as u64 } else { second? + (i - split) as u64 };
        *b = m.mem.read_u8(Hpa(a)).unwrap_or(0);
    }
    Some(bytes)
}
