//! A resumable lockstep comparison: both runs live in a [`Lockstep`] that is advanced by a
//! budget of retired instructions at a time, reports its progress, and ends at the first
//! divergence, when either run stops, or at the step limit (said, never silent). One side may do
//! a KVM userspace save/restore at a given step (CONTRACT `--migrate-at`), so a comparison can
//! show what a checkpoint loses (the seed's fourth problem).
use super::{Comparison, CompareError, Divergence, Migrated, differences, end_text, observe_step};
use crate::hv::L0Config;
use crate::hv::gpat::Design;
use crate::hv::nested_state::SaveOrder;
use crate::model::Model;
use crate::sim::Sim;

/// A save/restore of one run at step `at` into a fresh L0 of design `to`, restored in `order`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MigratePlan {
    pub at: u64,
    pub to: Design,
    pub order: SaveOrder,
}

/// Two runs of one program in lockstep, advanced with [`Lockstep::advance`].
pub struct Lockstep {
    sims: [Sim; 2],
    models: [Model; 2],
    l1_mem: u64,
    max_steps: u64,
    steps: u64,
    divergence: Option<Divergence>,
    plans: [Option<MigratePlan>; 2],
    migrations: Vec<Migrated>,
}

impl Lockstep {
    /// Both runs loaded, nothing executed; at most `max_steps` instructions will be compared.
    pub fn new(program: &[u8], models: [Model; 2], mem_mib: u64, max_steps: u64, l0: &L0Config) -> Result<Lockstep, CompareError> {
        let mut a = Sim::new(program, mem_mib, models[0], l0).map_err(CompareError::Setup)?;
        let mut b = Sim::new(program, mem_mib, models[1], l0).map_err(CompareError::Setup)?;
        for s in [&mut a, &mut b] {
            s.machine_mut().mem.write_log = Some(Vec::new());
        }
        Ok(Lockstep {
            sims: [a, b],
            models,
            l1_mem: mem_mib << 20,
            max_steps,
            steps: 0,
            divergence: None,
            plans: [None, None],
            migrations: Vec::new(),
        })
    }

    /// Side `side` (0 or 1) is saved and restored as `plan` says when its run reaches `plan.at`;
    /// only a `kvm-*` run has a KVM userspace to do it.
    pub fn with_migration(mut self, side: usize, plan: MigratePlan) -> Result<Lockstep, CompareError> {
        let Some(Sim::Kvm(_)) = self.sims.get(side) else {
            return Err(CompareError::Emulator(format!(
                "a save/restore needs a kvm-* model, not `{}`",
                self.models.get(side).map_or_else(String::new, |m| m.to_string())
            )));
        };
        self.plans[side] = Some(plan);
        Ok(self)
    }

    /// Instructions compared so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The step limit.
    pub fn max_steps(&self) -> u64 {
        self.max_steps
    }

    /// The comparison is over: a divergence, a run stopped, or the step limit.
    pub fn finished(&self) -> bool {
        self.divergence.is_some()
            || self.steps >= self.max_steps
            || self.sims.iter().any(|s| s.machine().stopped.is_some())
    }

    /// The two runs as they are now.
    pub fn sims(&self) -> &[Sim; 2] {
        &self.sims
    }

    /// Does side `i`'s save/restore if its run is at the planned step.
    fn migrate_due(&mut self, i: usize) -> Result<(), CompareError> {
        let Some(plan) = self.plans[i] else { return Ok(()) };
        let Sim::Kvm(k) = &self.sims[i] else { return Ok(()) };
        if k.m.steps < plan.at {
            return Ok(());
        }
        self.plans[i] = None;
        let (mut new, migration) = crate::hv::migrate::migrate(k, plan.to, plan.order)
            .map_err(|e| CompareError::Emulator(format!("save/restore at step {} failed: {}", plan.at, e.0)))?;
        new.m.mem.write_log = Some(Vec::new());
        self.sims[i] = Sim::Kvm(Box::new(new));
        self.migrations.push(Migrated { side: i, migration });
        Ok(())
    }

    /// Compares up to `budget` more instructions; `Ok(true)` once the comparison is over.
    pub fn advance(&mut self, budget: u64) -> Result<bool, CompareError> {
        let mut done = 0u64;
        while done < budget && !self.finished() {
            self.migrate_due(0)?;
            self.migrate_due(1)?;
            let [a, b] = &mut self.sims;
            let (oa, ob) = (observe_step(a, self.l1_mem)?, observe_step(b, self.l1_mem)?);
            self.steps += 1;
            done += 1;
            let d = differences(&oa, &ob, [&self.sims[0], &self.sims[1]]);
            if !d.is_empty() {
                self.divergence = Some(Divergence {
                    step: oa.step,
                    level: oa.level.clone(),
                    rip: format!("{:#x}", oa.rip),
                    instruction: oa.instruction.clone(),
                    differences: d,
                });
            }
        }
        Ok(self.finished())
    }

    /// The comparison as it stands (final once [`Lockstep::finished`]).
    pub fn result(&self) -> Comparison {
        let end = |s: &Sim| end_text(s).unwrap_or_else(|| "budget".into());
        let running = self.sims.iter().all(|s| s.machine().stopped.is_none());
        Comparison {
            models: self.models,
            steps: self.steps,
            agree: self.divergence.is_none(),
            divergence: self.divergence.clone(),
            ends: [end(&self.sims[0]), end(&self.sims[1])],
            limit_reached: self.divergence.is_none() && running && self.steps >= self.max_steps,
            migrations: self.migrations.clone(),
        }
    }
}
