//! Interpreter speed in MIPS (millions of retired instructions per second).
//! Run: `cargo bench -p nestscope-core --bench mips`
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark stops on a broken setup")]
use nestscope_core::bench::{alu_loop_program, mem_loop_program, run_mips};

fn main() {
    let steps: u64 = std::env::var("NESTSCOPE_BENCH_STEPS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000_000);
    for (name, prog) in [("alu loop", alu_loop_program()), ("mem loop", mem_loop_program())] {
        // Warm-up, then the best of three.
        run_mips(&prog, steps / 10);
        let best = (0..3).map(|_| run_mips(&prog, steps)).fold(0.0f64, f64::max);
        println!("{name:>9}: {best:8.1} MIPS ({steps} steps)");
    }
}
