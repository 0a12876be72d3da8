//! `exec … --migrate-at STEP [--migrate-to B] [--restore-order …]` (CONTRACT §3, `kvm-*` only).
use crate::args::Args;
use crate::commands::report_run;
use crate::Failure;
use nestscope_core::hv::gpat::Design;
use nestscope_core::hv::migrate::migrate;
use nestscope_core::hv::nested_state::SaveOrder;
use nestscope_core::sim::Sim;

pub fn exec_with_migration(a: &Args, path: &str, mut sim: Sim, at: u64, max_steps: u64) -> Result<u8, Failure> {
    let Sim::Kvm(k) = &mut sim else {
        return Err(Failure::input("--migrate-at needs a kvm-* model (a KVM userspace save/restore)"));
    };
    let to = match a.value("migrate-to") {
        None => k.design,
        Some(n) => Design::from_name(n)
            .ok_or_else(|| Failure::input(format!("--migrate-to: `{n}` is not a kvm-* model")))?,
    };
    let order = match a.value("restore-order") {
        None => SaveOrder::MsrsFirst,
        Some(o) => SaveOrder::from_name(o)
            .ok_or_else(|| Failure::input(format!("--restore-order: `{o}` (msrs-first or nested-state-first)")))?,
    };
    let end = k.run(at.min(max_steps)).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    if k.m.stopped.is_some() || k.m.steps < at {
        // The program ended before the migration point: report the run as it is.
        return report_run(&sim, &end, a.flag("json"));
    }
    let (new, mig) = migrate(k, to, order)
        .map_err(|e| Failure { status: 1, message: format!("migration failed: KVM_SET_NESTED_STATE/KVM_SET_MSRS: -EINVAL ({})", e.0) })?;
    let mut sim = Sim::Kvm(Box::new(new));
    let end = sim.run(max_steps).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    let mut j = sim.report(&end);
    j["migration"] = serde_json::to_value(&mig).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    if a.flag("json") {
        println!("{j}");
    } else {
        report_run(&sim, &end, false)?;
        println!("migration at step {}: {} -> {} ({}); lost: {:?}", mig.at, mig.from, mig.to, mig.order, mig.lost);
        for d in &mig.detail {
            println!("  {d}");
        }
    }
    Ok(0)
}
