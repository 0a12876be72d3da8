//! `nestscope share` prints a share link for a program at a step; `nestscope exec --link URL`
//! opens one: re-executes its program deterministically to that step and prints the report.
use crate::args::Args;
use crate::Failure;
use nestscope_core::share::{ShareLink, VIEWS};
use nestscope_core::sim::Sim;

/// Where the web app is served by default (scripts/serve.sh); `--base` changes it.
pub const DEFAULT_BASE: &str = "http://127.0.0.1:8080/";

pub fn share(a: &Args) -> Result<u8, Failure> {
    let model = a.value("model").unwrap_or("bare");
    model.parse::<nestscope_core::Model>().map_err(|e| Failure::input(format!("--model: {e}")))?;
    let step = a.number("step")?.ok_or_else(|| Failure::input("share needs --step N"))?;
    let mut link = match (a.value("scenario"), a.positional.as_slice()) {
        (Some(n), []) => {
            let s = nestscope_core::scenario::catalog::get(n)
                .ok_or_else(|| Failure::input(format!("--scenario: no catalog scenario `{}`", crate::args::safe(n))))?
                .map_err(|e| Failure::input(e.to_string()))?;
            ShareLink::for_source(&s.source, model, step)
        }
        (Some(_), _) => return Err(Failure::input("give PROGRAM or --scenario NAME, not both")),
        (None, _) => {
            let path = a.one_file("PROGRAM (or --scenario NAME)")?;
            crate::commands::load_program(path)?; // refuses what exec would refuse
            if path.ends_with(".asm") {
                let text = String::from_utf8(crate::checkpoint_cmd::read_at_most(path, crate::commands::MAX_PROGRAM_FILE)?)
                    .map_err(|_| Failure::input(format!("{path}: not UTF-8 text")))?;
                ShareLink::for_source(&text, model, step)
            } else {
                ShareLink::for_binary(&crate::commands::load_program(path)?, model, step)
            }
        }
    };
    link.mem_mib = a.number("mem")?;
    if let Some(v) = a.value("view") {
        if !VIEWS.contains(&v) {
            return Err(Failure::input(format!("--view: unknown view `{}` (views: {})", crate::args::safe(v), VIEWS.join(", "))));
        }
        link.view = Some(v.to_string());
    }
    link.address = a.number("address")?;
    let frag = link.encode();
    // The link must open again (limits are the decoder's): refuse rather than print a dead link.
    ShareLink::decode(&frag).map_err(|e| Failure::input(e.to_string()))?;
    println!("{}{frag}", a.value("base").unwrap_or(DEFAULT_BASE));
    Ok(0)
}

/// `exec --link URL`: no PROGRAM and none of the options the link fixes.
pub fn exec_link(a: &Args, url: &str) -> Result<u8, Failure> {
    if !a.positional.is_empty() {
        return Err(Failure::input("--link takes the place of PROGRAM (give one of them)"));
    }
    for o in ["model", "max-steps", "mem", "save-at", "checkpoint", "migrate-at", "migrate-to", "restore-order", "pat-layers"] {
        if a.flag(o) {
            return Err(Failure::input(format!("--{o} cannot be combined with --link (the link fixes the run)")));
        }
    }
    let link = ShareLink::decode(url).map_err(|e| Failure::input(e.to_string()))?;
    let (program, mem, l0) = link.setup().map_err(|e| Failure::input(e.to_string()))?;
    let model: nestscope_core::Model = link.model.parse().map_err(|e| Failure::input(format!("link: {e}")))?;
    let mut sim = Sim::new(&program, mem, model, &l0).map_err(|e| Failure::input(format!("link: {e}")))?;
    let end = sim.run(link.step).map_err(|e| Failure::input(format!("link: {e}")))?;
    crate::commands::report_run(&sim, &end, a.flag("json"))
}
