//! `nestscope bench`: the interpreter's MIPS and the nested round trips per second of each model,
//! measured the way `cargo bench` does (best of three after a warm-up), one line per figure as it
//! is measured.
use crate::args::Args;
use crate::Failure;
use nestscope_core::bench::{alu_loop_program, mem_loop_program, measure_round_trips, run_mips, RoundTrips};
use std::io::Write;

const DEFAULT_STEPS: u64 = 20_000_000;
const DEFAULT_TRIPS: u64 = 100_000;
const DEFAULT_MODELS: &str = "bare,kvm-legacy,kvm-merged";

pub fn run(a: &Args) -> Result<u8, Failure> {
    let steps = a.number("steps")?.unwrap_or(DEFAULT_STEPS);
    let trips = a.number("trips")?.unwrap_or(DEFAULT_TRIPS);
    if steps == 0 || trips == 0 || trips > u32::MAX as u64 {
        return Err(Failure::input("--steps and --trips must be positive (--trips at most 4294967295)"));
    }
    let models: Vec<&str> = a.value("models").unwrap_or(DEFAULT_MODELS).split(',').map(str::trim).collect();
    // Unknown models are bad input: find them before spending time on measurements.
    for m in &models {
        if !nestscope_core::sim::MODELS.contains(m) {
            return Err(Failure::input(format!(
                "unknown model `{}` (models: {})",
                crate::args::safe(m),
                nestscope_core::sim::MODELS.join(", ")
            )));
        }
    }
    let json = a.flag("json");
    let start = std::time::Instant::now();
    let mut clock = || start.elapsed().as_secs_f64() * 1000.0;
    let mut mips = Vec::new();
    for (name, program) in [("alu loop", alu_loop_program()), ("mem loop", mem_loop_program())] {
        run_mips(&program, steps / 10);
        let best = (0..3).map(|_| run_mips(&program, steps)).fold(0.0f64, f64::max);
        if !json {
            println!("{name:<11} {best:>12.1} MIPS              ({steps} steps, best of 3)");
            let _ = std::io::stdout().flush();
        }
        mips.push(serde_json::json!({"loop": name, "mips": best, "steps": steps}));
    }
    let mut trips_out = Vec::new();
    for m in models {
        let n = trips as u32;
        measure_round_trips(m, (n / 10).max(1), &mut clock).map_err(|e| Failure { status: 1, message: e })?;
        let mut best: Option<RoundTrips> = None;
        for _ in 0..3 {
            let r = measure_round_trips(m, n, &mut clock).map_err(|e| Failure { status: 1, message: e })?;
            if best.as_ref().is_none_or(|b| r.per_second > b.per_second) {
                best = Some(r);
            }
        }
        let r = best.expect("three runs");
        if !json {
            println!(
                "{m:<11} {:>12.0} round trips/s  ({n} trips; TLB kept at {} of {} switches; VMCB cache {} hits, {} parses)",
                r.per_second,
                r.tlb_reuses,
                r.tlb_reuses + r.tlb_fresh,
                r.vmcb_hits,
                r.vmcb_misses
            );
            let _ = std::io::stdout().flush();
        }
        trips_out.push(r);
    }
    if json {
        println!("{}", serde_json::json!({"mips": mips, "round_trips": trips_out}));
    }
    Ok(0)
}
