//! The `nestscope` subcommands.
use crate::args::{self, Args};
use crate::Failure;
use nestscope_core::hv::L0Config;
use nestscope_core::machine::DEFAULT_MEM_MIB;
use nestscope_core::sim::Sim;
use nestscope_core::checkpoint;
use nestscope_core::{Model, RunEnd};
use std::io::Write;

const USAGE: &str = "usage: nestscope <command> …
  exec PROGRAM [--model NAME] [--max-steps N] [--mem MiB] [--json] [--save-at STEP --checkpoint FILE]
       [--migrate-at STEP [--migrate-to MODEL] [--restore-order msrs-first|nested-state-first]] [--pat-layers]
       [--exits]   (each world switch: its cause, who handled it, which intercept/MSRPM/IOPM bit decided)
  exec KERNEL.flat [--append \"ARGS\"] [--mem MiB] [--cpu -rdtscp,-xsave]  (a multiboot v1 kernel, e.g. kvm-unit-tests' svm.flat: booted and run; under kvm-* as L1)
  exec --link URL [--json]                      (re-runs a share link to its step)
  inspect-image FILE [--append \"ARGS\"] [--mem MiB] [--symbols] [--json]   (what the loader finds: segments, multiboot info, entry state; the ELF symbols)
  share PROGRAM|--scenario NAME --step N [--model M] [--mem MiB] [--view V] [--address A] [--base URL]
  resume CHECKPOINT [--max-steps N] [--json]
  checkpoint inspect CHECKPOINT [--json]
  compare PROGRAM --models A,B [--json] [--max-steps N] [--mem MiB]
          [--migrate-at STEP [--migrate-to MODEL] [--restore-order O]]  (save/restore of B)
  asm FILE.asm -o FILE.bin
  disasm FILE.bin
  scenario list | scenario run NAME [--model M] [--json] | scenario test
  bench [--steps N] [--trips N] [--models A,B,…] [--json] | bench --checkpoints [--json]
  explain CODE… [--json]   (SVM exit code or name: 0x7c, -1, VMEXIT_NPF, MSR_PROT)
PROGRAM is a flat binary (.bin, loaded at 0x100000) or an assembly file (.asm); an ELF file is a multiboot kernel.";

/// Default step budget: large enough for any catalog program, small enough to stop a runaway guest.
pub const DEFAULT_MAX_STEPS: u64 = 50_000_000;

pub fn dispatch(argv: &[String]) -> Result<u8, Failure> {
    let Some((cmd, rest)) = argv.split_first() else {
        return Err(Failure::input(USAGE));
    };
    match cmd.as_str() {
        "exec" => exec(&args::parse(
            rest,
            &["model", "max-steps", "mem", "save-at", "checkpoint", "migrate-at", "migrate-to", "restore-order", "link", "append", "cpu"],
            &["json", "pat-layers", "exits"],
        )?),
        "share" => crate::share_cmd::share(&args::parse(rest, &["model", "step", "mem", "view", "address", "base", "scenario"], &[])?),
        "inspect-image" => crate::image_cmd::run(&args::parse(rest, &["append", "mem"], &["json", "symbols"])?),
        "resume" => resume(&args::parse(rest, &["max-steps"], &["json"])?),
        "checkpoint" => crate::checkpoint_cmd::dispatch(rest),
        "compare" => crate::compare_cmd::run(&args::parse(rest, &["models", "max-steps", "mem", "migrate-at", "migrate-to", "restore-order"], &["json"])?),
        "disasm" => disasm(&args::parse(rest, &[], &[])?),
        "asm" => asm(&args::parse(rest, &["o"], &[])?),
        "scenario" => crate::scenario_cmd::dispatch(rest),
        "bench" => crate::bench_cmd::run(&args::parse(rest, &["steps", "trips", "models"], &["json", "checkpoints"])?),
        "explain" => crate::explain_cmd::run(&args::parse(rest, &[], &["json"])?),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(0)
        }
        other => Err(Failure::input(format!("unknown command `{}`\n{USAGE}", args::safe(other)))),
    }
}

/// Largest program file read: a program must fit in the largest RAM (4096 MiB) above 0x100000,
/// and no source or binary of that size is useful; this keeps a mistaken argument cheap.
pub const MAX_PROGRAM_FILE: u64 = 256 << 20;

/// Reads a file of at most [`MAX_PROGRAM_FILE`] bytes (checked before reading it).
fn read_program_file(path: &str) -> Result<Vec<u8>, Failure> {
    crate::checkpoint_cmd::read_at_most(path, MAX_PROGRAM_FILE)
}

/// Reads a program file to run: `.asm` is assembled, anything else is a flat binary. A multiboot
/// kernel (an ELF file) is refused with a named message pointing to `exec`, which runs it.
pub fn load_program(path: &str) -> Result<Vec<u8>, Failure> {
    let bytes = read_program_bytes(path)?;
    if nestscope_core::loader::classify(&bytes) == nestscope_core::loader::Format::Elf {
        return Err(crate::image_cmd::refuse_kernel(path, &bytes, DEFAULT_MEM_MIB, ""));
    }
    Ok(bytes)
}

/// Reads a program file: `.asm` is assembled, anything else is returned as it is (flat or ELF).
pub fn read_program_bytes(path: &str) -> Result<Vec<u8>, Failure> {
    let bytes = read_program_file(path)?;
    if path.ends_with(".asm") {
        let text = String::from_utf8(bytes).map_err(|_| Failure::input(format!("{path}: not UTF-8 text")))?;
        let a = nestscope_core::asm::assemble(&text).map_err(|e| Failure::input(format!("{path}: {e}")))?;
        if a.bytes.is_empty() {
            return Err(Failure::input(format!("{path}: the program assembles to no bytes")));
        }
        return Ok(a.bytes);
    }
    if bytes.is_empty() {
        return Err(Failure::input(format!("{path}: the file is empty")));
    }
    Ok(bytes)
}

fn exec(a: &Args) -> Result<u8, Failure> {
    if let Some(url) = a.value("link") {
        return crate::share_cmd::exec_link(a, url);
    }
    let path = a.one_file("PROGRAM")?;
    let program = read_program_bytes(path)?;
    let mem = a.number("mem")?.unwrap_or(DEFAULT_MEM_MIB);
    if nestscope_core::loader::classify(&program) == nestscope_core::loader::Format::Elf {
        // A multiboot kernel: loaded (a bad image gets the loader's error), booted and run.
        return crate::image_cmd::exec_kernel(a, path, &program, mem);
    }
    for o in ["append", "cpu"] {
        if a.value(o).is_some() {
            return Err(Failure::input(format!("{path}: --{o} is for multiboot kernels; this is a flat program")));
        }
    }
    let max_steps = a.number("max-steps")?.unwrap_or(DEFAULT_MAX_STEPS);
    let save_at = a.number("save-at")?;
    let cp_file = a.value("checkpoint");
    if save_at.is_some() != cp_file.is_some() {
        return Err(Failure::input("--save-at and --checkpoint go together"));
    }
    if save_at.is_some() && a.value("migrate-at").is_some() {
        return Err(Failure::input("--save-at cannot be combined with --migrate-at (save the run, or migrate it)"));
    }
    if a.value("migrate-at").is_none() {
        for o in ["migrate-to", "restore-order"] {
            if a.value(o).is_some() {
                return Err(Failure::input(format!("--{o} needs --migrate-at")));
            }
        }
    }
    let model: Model = a.value("model").unwrap_or("bare").parse().map_err(|e| Failure::input(format!("{path}: {e}")))?;
    let mut sim = Sim::new(&program, mem, model, &L0Config::default()).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    if a.flag("pat-layers") && a.flag("exits") {
        return Err(Failure::input("--exits and --pat-layers are two different runs: give one"));
    }
    if a.flag("pat-layers") {
        if save_at.is_some() || a.value("migrate-at").is_some() {
            return Err(Failure::input("--pat-layers goes with a plain run (not with --save-at or --migrate-at)"));
        }
        return crate::pat_layers_cmd::exec(path, sim, max_steps, a.flag("json"));
    }
    if a.flag("exits") {
        if save_at.is_some() || a.value("migrate-at").is_some() {
            return Err(Failure::input("--exits goes with a plain run (not with --save-at or --migrate-at)"));
        }
        return crate::exits_cmd::exec(path, sim, max_steps, a.flag("json"));
    }
    if let Some(at) = a.number("migrate-at")? {
        return crate::migrate_cmd::exec_with_migration(a, path, sim, at, max_steps);
    }
    if let (Some(step), Some(file)) = (save_at, cp_file) {
        let end = sim.run(step.min(max_steps)).map_err(|e| Failure::input(format!("{path}: {e}")))?;
        crate::checkpoint_cmd::write_atomically(file, &checkpoint::save(&sim, Some(&program)))?;
        return report_run(&sim, &end, a.flag("json"));
    }
    let end = sim.run(max_steps).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    report_run(&sim, &end, a.flag("json"))
}

pub fn report_run(sim: &Sim, end: &RunEnd, json: bool) -> Result<u8, Failure> {
    let j = sim.report(end);
    if json {
        println!("{j}");
    } else {
        print_human(sim, &j);
    }
    Ok(0)
}

fn resume(a: &Args) -> Result<u8, Failure> {
    let path = a.one_file("CHECKPOINT")?;
    let bytes = crate::checkpoint_cmd::read_bounded(path)?;
    let loaded = checkpoint::load(&bytes).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    // A kernel run goes on with a kernel's budget (image_cmd.rs), as `exec` of the kernel would.
    let default = if loaded.boot.is_some() { crate::image_cmd::KERNEL_MAX_STEPS } else { DEFAULT_MAX_STEPS };
    let mut sim = loaded.sim;
    let max_steps = a.number("max-steps")?.unwrap_or(default);
    let end = sim.run(max_steps).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    report_run(&sim, &end, a.flag("json"))
}

fn print_human(sim: &Sim, j: &serde_json::Value) {
    let m = sim.machine();
    print!("{}", String::from_utf8_lossy(&m.console));
    if !m.console.is_empty() && !m.console.ends_with(b"\n") {
        println!();
    }
    println!("exit: {}  code: {}  steps: {}", j["exit"].as_str().unwrap_or("?"), j["code"], j["steps"]);
    if let Some(why) = j.get("shutdown_reason").and_then(|v| v.as_str()) {
        println!("shutdown: {why}");
    }
    for (i, n) in nestscope_core::cpu::regs::GPR_NAMES.iter().enumerate() {
        print!("{n:>4}={}{}", j["regs"][*n].as_str().unwrap_or("?"), if i % 4 == 3 { "\n" } else { "  " });
    }
    println!(" rip={}  rflags={}", j["regs"]["rip"].as_str().unwrap_or("?"), j["regs"]["rflags"].as_str().unwrap_or("?"));
    // What can interrupt the code that runs (devices/apic.rs, cpu/interrupts.rs): shown once the
    // program used the APIC or an interrupt is in flight.
    let iv = nestscope_core::inspect::interrupts::interrupt_view(sim);
    if !iv.requested.is_empty() || !iv.in_service.is_empty() || iv.timer.is_some() || iv.nmi_pending || iv.halted || iv.v_irq.is_some() {
        println!("interrupts: {iv}");
    }
    for e in j["events"].as_array().into_iter().flatten() {
        println!("  {}", nestscope_core::scenario::run::compact_event(e));
    }
}

fn disasm(a: &Args) -> Result<u8, Failure> {
    let path = a.one_file("FILE.bin")?;
    let bytes = read_program_file(path)?;
    // One instruction at a time into a buffered stdout: memory stays that of the file.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = None;
    nestscope_core::asm::disassemble_each(&bytes, nestscope_core::machine::LOAD_ADDR, |addr, b, text| {
        if failed.is_none() {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            if let Err(e) = writeln!(out, "{addr:#010x}  {hex:<30} {text}") {
                failed = Some(e);
            }
        }
    });
    match failed.map_or_else(|| out.flush(), Err) {
        Ok(()) => Ok(0),
        // `nestscope disasm … | head`: the reader left; nothing is wrong.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(Failure::input(format!("cannot write the listing: {e}"))),
    }
}

fn asm(a: &Args) -> Result<u8, Failure> {
    let path = a.one_file("FILE.asm")?;
    let out = a.value("o").ok_or_else(|| Failure::input("asm needs -o FILE.bin"))?;
    let text = String::from_utf8(read_program_file(path)?).map_err(|_| Failure::input(format!("{path}: not UTF-8 text")))?;
    let asm = nestscope_core::asm::assemble(&text).map_err(|e| Failure::input(format!("{path}: {e}")))?;
    crate::checkpoint_cmd::write_atomically(out, &asm.bytes)?;
    Ok(0)
}
