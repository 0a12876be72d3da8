//! `nestscope compare PROGRAM --models A,B [--json] [--max-steps N] [--mem MiB]
//! [--migrate-at STEP [--migrate-to M] [--restore-order O]]` (CONTRACT §3): exit 0 when the
//! models agree, 1 when they diverge, 2 on bad input. The lockstep is the core's resumable
//! `Lockstep` (the web app advances the same one in time slices), run here to its end; a
//! `--migrate-at` saves and restores B's run (a `kvm-*` model) at that step. When the step limit
//! ends the comparison first, the output says so.
use crate::args::Args;
use crate::commands::{load_program, DEFAULT_MAX_STEPS};
use crate::Failure;
use nestscope_core::compare::{CompareError, Lockstep, MigratePlan};
use nestscope_core::hv::gpat::Design;
use nestscope_core::hv::nested_state::SaveOrder;
use nestscope_core::hv::L0Config;
use nestscope_core::machine::DEFAULT_MEM_MIB;
use nestscope_core::Model;

/// B's save/restore from `--migrate-*` (the target design defaults to B's own).
fn plan(a: &Args, b: Model) -> Result<Option<MigratePlan>, Failure> {
    let Some(at) = a.number("migrate-at")? else {
        for o in ["migrate-to", "restore-order"] {
            if a.value(o).is_some() {
                return Err(Failure::input(format!("--{o} needs --migrate-at")));
            }
        }
        return Ok(None);
    };
    let Model::L0(own) = b else {
        return Err(Failure::input("--migrate-at needs the second model to be kvm-* (a KVM userspace save/restore)"));
    };
    let to = match a.value("migrate-to") {
        None => own,
        Some(n) => Design::from_name(n).ok_or_else(|| Failure::input(format!("--migrate-to: `{n}` is not a kvm-* model")))?,
    };
    let order = match a.value("restore-order") {
        None => SaveOrder::MsrsFirst,
        Some(o) => SaveOrder::from_name(o)
            .ok_or_else(|| Failure::input(format!("--restore-order: `{o}` (msrs-first or nested-state-first)")))?,
    };
    Ok(Some(MigratePlan { at, to, order }))
}

pub fn run(a: &Args) -> Result<u8, Failure> {
    let path = a.one_file("PROGRAM")?;
    let models = a.value("models").ok_or_else(|| Failure::input("compare needs --models A,B"))?;
    let ms: Vec<&str> = models.split(',').map(str::trim).collect();
    let [ma, mb] = ms.as_slice() else {
        return Err(Failure::input(format!("--models takes two models separated by a comma, got `{models}`")));
    };
    let program = load_program(path)?;
    let mem = a.number("mem")?.unwrap_or(DEFAULT_MEM_MIB);
    let max = a.number("max-steps")?.unwrap_or(DEFAULT_MAX_STEPS);
    let parse = |m: &str| m.parse::<Model>().map_err(|e| Failure::input(format!("{path}: {e}")));
    let (ma, mb) = (parse(ma)?, parse(mb)?);
    let err = |e: CompareError| Failure::input(format!("{path}: {e}"));
    let mut l = Lockstep::new(&program, [ma, mb], mem, max, &L0Config::default()).map_err(err)?;
    if let Some(p) = plan(a, mb)? {
        l = l.with_migration(1, p).map_err(err)?;
    }
    while !l.advance(u64::MAX).map_err(err)? {}
    let c = l.result();
    if a.flag("json") {
        println!("{}", serde_json::to_string(&c).map_err(|e| Failure::input(format!("{path}: {e}")))?);
    } else {
        for m in &c.migrations {
            let g = &m.migration;
            println!("save/restore of {} at step {}: {} -> {} ({}); lost: {:?}", c.models[m.side], g.at, g.from, g.to, g.order, g.lost);
        }
        if let Some(d) = &c.divergence {
            println!("{} and {} diverge at step {} ({} at {}: {})", c.models[0], c.models[1], d.step, d.level, d.rip, d.instruction);
            for line in &d.differences {
                println!("  {line}   [{} vs {}]", c.models[0], c.models[1]);
            }
        } else if c.limit_reached {
            println!(
                "{} and {} agree on the first {} instructions; the step limit ({max}, --max-steps) ended the comparison before either run did",
                c.models[0], c.models[1], c.steps
            );
        } else {
            println!("{} and {} agree on {} instructions (ends: {} / {})", c.models[0], c.models[1], c.steps, c.ends[0], c.ends[1]);
        }
    }
    Ok(if c.agree { 0 } else { 1 })
}
