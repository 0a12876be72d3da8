//! `nestscope compare PROGRAM --models A,B [--json] [--max-steps N] [--mem MiB]` (CONTRACT §3):
//! exit 0 when the models agree, 1 when they diverge, 2 on bad input.
use crate::args::Args;
use crate::commands::{load_program, DEFAULT_MAX_STEPS};
use crate::Failure;
use nestscope_core::compare::{compare, CompareError};
use nestscope_core::hv::L0Config;
use nestscope_core::machine::DEFAULT_MEM_MIB;
use nestscope_core::Model;

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
    let c = compare(&program, [ma, mb], mem, max, &L0Config::default()).map_err(|e| match e {
        CompareError::Setup(e) => Failure::input(format!("{path}: {e}")),
        CompareError::Emulator(e) => Failure::input(format!("{path}: {e}")),
    })?;
    if a.flag("json") {
        println!("{}", serde_json::to_string(&c).map_err(|e| Failure::input(format!("{path}: {e}")))?);
    } else if let Some(d) = &c.divergence {
        println!("{} and {} diverge at step {} ({} at {}: {})", c.models[0], c.models[1], d.step, d.level, d.rip, d.instruction);
        for line in &d.differences {
            println!("  {line}   [{} vs {}]", c.models[0], c.models[1]);
        }
    } else {
        println!("{} and {} agree on {} instructions (ends: {} / {})", c.models[0], c.models[1], c.steps, c.ends[0], c.ends[1]);
    }
    Ok(if c.agree { 0 } else { 1 })
}
