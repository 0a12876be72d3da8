//! The browser's save/restore (CONTRACT `--migrate-at/--migrate-to/--restore-order`): a plan
//! kept in the session — by default the one the scenario's expectation for the model names —
//! that the run carries out when its step counter reaches the planned step: the vCPU is saved
//! the way KVM userspace does and restored into a fresh L0 of the target design (core
//! hv/migrate.rs), and the run goes on there. What the restore lost is kept for the verdict.
use crate::state::Session;
use nestscope_core::compare::MigratePlan;
use nestscope_core::hv::migrate::{Migration, migrate};
use nestscope_core::scenario::Scenario;
use nestscope_core::scenario::run::migrate_plan;
use nestscope_core::sim::Sim;
use nestscope_core::Model;
use std::cell::RefCell;
use std::rc::Rc;

/// The save/restore the scenario's expectation for `model` describes (a `kvm-*` model only).
pub fn default_plan(sc: &Scenario, model: Model) -> Option<MigratePlan> {
    let Model::L0(d) = model else { return None };
    sc.expect.get(&model)?.migrate.as_ref().and_then(|m| migrate_plan(m, d).ok())
}

/// "save/restore at step 20000 into kvm-legacy (msrs-first)".
pub fn plan_text(p: &MigratePlan) -> String {
    format!("save/restore at step {} into {} ({})", p.at, p.to.name(), p.order.name())
}

/// "at step 20000: kvm-merged → kvm-legacy (msrs-first); lost: L2's gPAT" (or "nothing lost").
pub fn migration_text(m: &Migration) -> String {
    let lost = if m.lost.is_empty() { "nothing lost".to_string() } else { format!("lost: {}", m.lost.join(", ")) };
    format!("at step {}: {} → {} ({}); {lost}", m.at, m.from, m.to, m.order)
}

impl Session {
    /// The step the run must stop at for the pending save/restore, if one is pending.
    pub(crate) fn migrate_stop(&self) -> Option<u64> {
        self.migration.is_none().then_some(self.migrate?.at).filter(|at| *at >= self.sim().machine().steps)
    }

    /// Carries out the pending save/restore if the run is at its step: the run continues in a
    /// fresh time travel from the restored vCPU (going back reaches the restore, not before it).
    pub(crate) fn migrate_due(&mut self) -> Result<(), String> {
        let (Some(plan), None) = (self.migrate, &self.migration) else { return Ok(()) };
        let new = {
            let sim = self.sim();
            let Sim::Kvm(k) = &*sim else { return Ok(()) };
            if k.m.steps != plan.at || k.m.stopped.is_some() {
                return Ok(());
            }
            migrate(k, plan.to, plan.order).map_err(|e| format!("save/restore failed: KVM_SET_NESTED_STATE/KVM_SET_MSRS: -EINVAL ({})", e.0))?
        };
        let (kvm, m) = new;
        self.message = Some(format!("save/restore {}", migration_text(&m)));
        self.migration = Some(m);
        let sim = Sim::Kvm(Box::new(kvm));
        self.run = Rc::new(RefCell::new(crate::travel::new_run(sim, self.travel_on)));
        Ok(())
    }
}
