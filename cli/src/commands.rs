//! The `nestscope` subcommands.
use crate::args::{self, Args};
use crate::Failure;
use nestscope_core::machine::{Machine, DEFAULT_MEM_MIB};
use nestscope_core::report;
use nestscope_core::RunEnd;

const USAGE: &str = "usage: nestscope <command> …
  exec PROGRAM [--model NAME] [--max-steps N] [--mem MiB] [--json]
  asm FILE.asm -o FILE.bin
  disasm FILE.bin
PROGRAM is a flat binary (.bin, loaded at 0x100000) or an assembly file (.asm).";

/// Default step budget: large enough for any catalog program, small enough to stop a runaway guest.
pub const DEFAULT_MAX_STEPS: u64 = 50_000_000;

pub fn dispatch(argv: &[String]) -> Result<u8, Failure> {
    let Some((cmd, rest)) = argv.split_first() else {
        return Err(Failure::input(USAGE));
    };
    match cmd.as_str() {
        "exec" => exec(&args::parse(rest, &["model", "max-steps", "mem"], &["json"])?),
        "disasm" => disasm(&args::parse(rest, &[], &[])?),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(0)
        }
        other => Err(Failure::input(format!("unknown command `{other}`\n{USAGE}"))),
    }
}

/// Reads a program file: raw bytes for anything but `.asm`.
fn load_program(path: &str) -> Result<Vec<u8>, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure::input(format!("cannot read {path}: {e}")))?;
    if path.ends_with(".asm") {
        return Err(Failure::input(format!("{path}: assembling .asm programs is not available yet")));
    }
    if bytes.is_empty() {
        return Err(Failure::input(format!("{path}: the file is empty")));
    }
    Ok(bytes)
}

fn exec(a: &Args) -> Result<u8, Failure> {
    let path = a.one_file("PROGRAM")?;
    let model = a.value("model").unwrap_or("bare");
    let Some(model) = nestscope_core::svm::SvmModel::from_name(model) else {
        return Err(Failure::input(format!(
            "model `{model}` is not available yet (available: bare, bare-swap, bare-qemu)"
        )));
    };
    let program = load_program(path)?;
    let mem = a.number("mem")?.unwrap_or(DEFAULT_MEM_MIB);
    let max_steps = a.number("max-steps")?.unwrap_or(DEFAULT_MAX_STEPS);
    let mut m = Machine::with_model(&program, mem, model).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    let end = m.run(max_steps).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    if a.flag("json") {
        println!("{}", report::run_json(&m, &end));
    } else {
        print_human(&m, &end);
    }
    Ok(0)
}

fn print_human(m: &Machine, end: &RunEnd) {
    let j = report::run_json(m, end);
    print!("{}", String::from_utf8_lossy(&m.console));
    if !m.console.is_empty() && !m.console.ends_with(b"\n") {
        println!();
    }
    println!("exit: {}  code: {}  steps: {}", j["exit"].as_str().unwrap_or("?"), j["code"], m.steps);
    if let Some(why) = j.get("shutdown_reason").and_then(|v| v.as_str()) {
        println!("shutdown: {why}");
    }
    for (i, n) in nestscope_core::cpu::regs::GPR_NAMES.iter().enumerate() {
        print!("{n:>4}={:#018x}{}", m.cpu.regs.gpr[i], if i % 4 == 3 { "\n" } else { "  " });
    }
    println!(" rip={:#018x}  rflags={:#x}", m.cpu.regs.rip, m.cpu.regs.rflags);
}

fn disasm(a: &Args) -> Result<u8, Failure> {
    let path = a.one_file("FILE.bin")?;
    let bytes = std::fs::read(path).map_err(|e| Failure::input(format!("cannot read {path}: {e}")))?;
    use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
    let mut d = Decoder::with_ip(64, &bytes, nestscope_core::machine::LOAD_ADDR, DecoderOptions::NONE);
    let mut f = IntelFormatter::new();
    f.options_mut().set_hex_prefix("0x");
    f.options_mut().set_hex_suffix("");
    f.options_mut().set_uppercase_hex(false);
    let mut s = String::new();
    for ins in &mut d {
        s.clear();
        f.format(&ins, &mut s);
        let start = (ins.ip() - nestscope_core::machine::LOAD_ADDR) as usize;
        let hex: String = bytes[start..start + ins.len()].iter().map(|b| format!("{b:02x}")).collect();
        println!("{:#010x}  {hex:<30} {s}", ins.ip());
    }
    Ok(0)
}
