//! A scenario's guided comparison ("What to look at"): its guide's two models in a resumable
//! lockstep (the second saved and restored when the guide says so), and the difference of the
//! first divergence the guide points at. The app advances it in time slices; the tests to its end.
#![warn(missing_docs)]
use super::format::{Guide, Scenario};
use super::run::{RunError, l0_config, migrate_plan};
use crate::compare::{Divergence, Lockstep};
use crate::model::Model;

/// The guide's lockstep over `program` (the scenario's own, assembled).
pub fn lockstep(s: &Scenario, g: &Guide, program: &[u8]) -> Result<Lockstep, RunError> {
    let l0 = l0_config(&s.machine)?;
    let l = Lockstep::new(program, g.models, s.machine.mem_mib, s.machine.max_steps, &l0).map_err(|e| RunError(e.to_string()))?;
    match (&g.migrate, g.models[1]) {
        (None, _) => Ok(l),
        (Some(m), Model::L0(d)) => {
            l.with_migration(1, migrate_plan(m, d)?).map_err(|e| RunError(e.to_string()))
        }
        (Some(_), m) => Err(RunError(format!("guide.migrate needs a kvm-* second model, not `{m}`"))),
    }
}

/// The difference line of `d` that the guide points at: the one whose name (before ": ") is
/// `look_for`.
pub fn pointed<'a>(g: &Guide, d: &'a Divergence) -> Option<&'a str> {
    d.differences.iter().map(String::as_str).find(|l| l.split_once(": ").is_some_and(|(w, _)| w == g.look_for))
}

/// The two sides' values of the pointed difference ("0x6060606", "0x70404").
pub fn pointed_values<'a>(g: &Guide, d: &'a Divergence) -> Option<(&'a str, &'a str)> {
    pointed(g, d)?.split_once(": ")?.1.split_once(" vs ")
}
