//! The benchmark programs: the core's loops assemble to nasm's bytes, and the side-by-side
//! programs of `bench/programs/` (built with nasm, run by `scripts/bench-against.sh` on every
//! engine) end the way the script checks and run exactly the instructions per iteration that
//! their `; iteration:` line (which the script reads) announces.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![cfg(not(target_arch = "wasm32"))]
use nestscope_core::machine::DEFAULT_MEM_MIB;
use nestscope_core::sim::Sim;
use nestscope_core::{RunEnd, Stop};
use std::path::{Path, PathBuf};
use std::process::Command;

/// nasm is needed; skipped (with a message) without it, except under CI (`CI` set).
fn have_nasm() -> bool {
    if Command::new("nasm").arg("-v").output().is_ok() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "nasm is required under CI");
    eprintln!("nasm not found: skipping");
    false
}

/// A temporary file name of its own (tests run in parallel).
fn tmp(name: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("nestscope-bench-{}-{n}-{name}", std::process::id()))
}

/// `nasm -f bin` of `src` (a file) with `defines`.
fn nasm(src: &Path, defines: &[String], tag: &str) -> Vec<u8> {
    let out = tmp(&format!("{tag}.bin"));
    let st =
        Command::new("nasm").args(["-f", "bin"]).args(defines).arg("-o").arg(&out).arg(src).status().expect("run nasm");
    assert!(st.success(), "nasm failed on {}", src.display());
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    bytes
}

#[test]
fn core_bench_loops_are_what_nasm_makes_of_their_source() {
    if !have_nasm() {
        return;
    }
    use nestscope_core::bench::*;
    for (name, src, ours) in
        [("alu", ALU_LOOP_SOURCE, alu_loop_program()), ("mem", MEM_LOOP_SOURCE, mem_loop_program())]
    {
        let file = tmp(&format!("{name}.asm"));
        std::fs::write(&file, src).unwrap();
        let theirs = nasm(&file, &[], name);
        let _ = std::fs::remove_file(&file);
        assert_eq!(ours, theirs, "{name} loop: the project's assembler and nasm disagree");
    }
}

fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/programs")
}

/// The number on the program's `; iteration: N ...` line.
fn per_iteration(src: &Path) -> u64 {
    let text = std::fs::read_to_string(src).unwrap();
    let line = text.lines().find_map(|l| l.strip_prefix("; iteration: ")).expect("an `; iteration:` line");
    line.split_whitespace().next().unwrap().parse().expect("a number of instructions")
}

/// Runs `name` with `iters` iterations under `model`: (steps, L1's R14).
fn run(name: &str, iters: u64, model: &str) -> (u64, u64) {
    let src = programs_dir().join(format!("{name}.asm"));
    let bin = nasm(&src, &[format!("-DITERS={iters}")], name);
    let mut s = Sim::new(&bin, DEFAULT_MEM_MIB, model.parse().unwrap(), &Default::default()).unwrap();
    let end = s.run(100_000_000).unwrap();
    assert_eq!(end, RunEnd::Stopped(Stop::DebugExit(0)), "{name} under {model}");
    assert_eq!(s.machine().console, b"0", "{name} under {model}: the success mark on the console");
    (s.machine().steps, s.l1_regs().gpr[14])
}

#[test]
fn side_by_side_loops_run_their_announced_instructions_per_iteration() {
    if !have_nasm() {
        return;
    }
    for name in ["alu", "mem", "call", "string"] {
        let k = per_iteration(&programs_dir().join(format!("{name}.asm")));
        let (short, _) = run(name, 1000, "bare");
        let (long, _) = run(name, 3000, "bare");
        assert_eq!(long - short, 2000 * k, "{name}: instructions per iteration");
    }
}

#[test]
fn side_by_side_round_trips_count_every_exit() {
    if !have_nasm() {
        return;
    }
    assert_eq!(per_iteration(&programs_dir().join("roundtrip.asm")), 1);
    for model in ["bare", "kvm-merged"] {
        let (_, trips) = run("roundtrip", 1500, model);
        assert_eq!(trips, 1500, "{model}: L1 counted one VMMCALL exit per round trip");
    }
}
