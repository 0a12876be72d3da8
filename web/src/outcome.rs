//! Whether a finished run matched the scenario's expectation for its model
//! (`scenario::run::mismatches` on the CONTRACT report of the run).
use crate::switches::run_end;
use nestscope_core::scenario::Scenario;
use nestscope_core::scenario::run::mismatches;
use nestscope_core::sim::Sim;
use nestscope_core::Model;
use nestscope_core::hv::migrate::Migration;

/// How a finished run compares with the scenario's expectation for the model.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub model: Model,
    /// Every difference (empty: the run matched).
    pub mismatches: Vec<String>,
    /// Why the comparison may not apply (the program was edited, the expectation migrates).
    pub caveat: Option<String>,
}

/// The outcome of the ended run `sim` under `model`; `None` if the scenario expects nothing for
/// the model. `catalog_program`: the run is of the scenario's own program.
pub fn outcome_of(sim: &Sim, sc: &Scenario, model: Model, catalog_program: bool, migration: Option<&Migration>) -> Option<Outcome> {
    let exp = sc.expect.get(&model)?;
    let mut report = sim.report(&run_end(sim));
    if let Some(m) = migration {
        report["migration"] = serde_json::to_value(m).unwrap_or_default();
    }
    let did = |m: &Migration, e: &nestscope_core::scenario::Migrate| {
        m.at == e.at
            && e.to.as_deref().is_none_or(|t| t == m.to)
            && e.order.as_deref().unwrap_or("msrs-first") == m.order
    };
    let caveat = if let Some(e) = &exp.migrate
        && !migration.is_some_and(|m| did(m, e))
    {
        Some(format!(
            "the expectation is of a save/restore at step {} into {} ({}); this run {}",
            e.at,
            e.to.as_deref().unwrap_or(model.name()),
            e.order.as_deref().unwrap_or("msrs-first"),
            match migration {
                None => "did none".to_string(),
                Some(m) => format!("did another ({})", crate::migration::migration_text(m)),
            }
        ))
    } else if !catalog_program {
        Some("the program differs from the scenario's source".to_string())
    } else {
        None
    };
    Some(Outcome { model, mismatches: mismatches(&report, exp), caveat })
}

/// The scenario's own program bytes (to tell whether the loaded program is still it).
pub fn sc_program(sc: &Scenario) -> Option<Vec<u8>> {
    nestscope_core::asm::assemble(&sc.source).ok().map(|a| a.bytes)
}

/// The catalog scenario whose own program is `program` (an imported checkpoint's).
pub fn scenario_of(scenarios: &[Scenario], program: &[u8]) -> Option<usize> {
    scenarios.iter().position(|sc| sc_program(sc).as_deref() == Some(program))
}
