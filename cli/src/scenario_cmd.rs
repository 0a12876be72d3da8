//! `nestscope scenario list | run NAME [--model M] [--json] | test`.
use crate::args;
use crate::Failure;
use nestscope_core::scenario::{catalog, run};

pub fn dispatch(argv: &[String]) -> Result<u8, Failure> {
    let Some((sub, rest)) = argv.split_first() else {
        return Err(Failure::input("usage: nestscope scenario list | run NAME [--model M] [--json] | test"));
    };
    let all = catalog::load().map_err(|e| Failure { status: 1, message: format!("catalog: {e}") })?;
    match sub.as_str() {
        "list" => {
            for s in &all {
                println!("{:<28} {:<40} models: {}", s.name, s.title, s.models.join(", "));
            }
            Ok(0)
        }
        "run" => {
            let a = args::parse(rest, &["model"], &["json"])?;
            let name = a.one_file("scenario NAME")?;
            let s = all.iter().find(|s| s.name == name).ok_or_else(|| {
                Failure::input(format!("no scenario `{name}` (see `nestscope scenario list`)"))
            })?;
            let model = a.value("model").map(str::to_string).unwrap_or_else(|| s.models[0].clone());
            let program = run::assemble(&s.source).map_err(|e| Failure::input(format!("{name}: {e}")))?;
            // The expectation's save/restore (if any) is part of the scenario run.
            let mig = s.expect.get(&model).and_then(|e| e.migrate.as_ref());
            let report =
                run::run_with(&program, &model, &s.machine, mig).map_err(|e| Failure::input(format!("{name}: {e}")))?;
            if a.flag("json") {
                println!("{report}");
            } else {
                println!("{} [{model}]: exit {} code {} steps {}", s.name, report["exit"], report["code"], report["steps"]);
                print!("{}", report["console"].as_str().unwrap_or(""));
                for e in report["events"].as_array().into_iter().flatten() {
                    println!("  {}", run::compact_event(e));
                }
            }
            match s.expect.get(&model) {
                Some(exp) => {
                    let bad = run::mismatches(&report, exp);
                    for m in &bad {
                        eprintln!("{name} [{model}]: {m}");
                    }
                    Ok(if bad.is_empty() { 0 } else { 1 })
                }
                None => Ok(0),
            }
        }
        "test" => {
            let (mut passed, mut failed) = (0, 0);
            for s in &all {
                for c in run::check(s) {
                    if c.passed() {
                        passed += 1;
                        println!("ok   {} [{}]", c.scenario, c.model);
                    } else {
                        failed += 1;
                        println!("FAIL {} [{}]", c.scenario, c.model);
                        if let Err(e) = &c.report {
                            println!("     {e}");
                        }
                        for m in &c.mismatches {
                            println!("     {m}");
                        }
                    }
                }
            }
            println!("scenarios: {passed} passed, {failed} failed");
            Ok(if failed == 0 { 0 } else { 1 })
        }
        other => Err(Failure::input(format!("unknown scenario command `{}`", crate::args::safe(other)))),
    }
}
