//! Time travel costs per catalog scenario: run time with and without automatic snapshots, the
//! snapshots' memory, and the latency of step back 1, step back half-way, back to the previous
//! world switch and a jump from the start to the end.
//! Run: `cargo bench -p nestscope-core --bench timetravel`
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark stops on a broken setup")]
use nestscope_core::scenario::{catalog, run as srun};
use nestscope_core::sim::Sim;
use nestscope_core::timetravel::TimeTravel;
use std::time::Instant;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    println!("{:<34} {:>10} {:>7} {:>8} {:>8} {:>6} {:>10} {:>9} {:>9} {:>9} {:>9}", "scenario", "model", "steps", "plain ms", "tt ms", "snaps", "snap KiB", "back1 ms", "half ms", "wsw ms", "jump ms");
    for s in catalog::load().expect("catalog") {
        let prog = srun::assemble(&s.source).expect("assembles");
        let l0 = srun::l0_config(&s.machine).expect("l0");
        for name in ["bare", "kvm-merged"] {
            let model: nestscope_core::Model = name.parse().expect("a model");
            let budget = s.machine.max_steps;
            let mut plain = Sim::new(&prog, s.machine.mem_mib, model, &l0).expect("loads");
            let t = Instant::now();
            if plain.run(budget).is_err() {
                continue;
            }
            let plain_ms = ms(t);
            let total = plain.machine().steps;
            let mut tt = TimeTravel::new(Sim::new(&prog, s.machine.mem_mib, model, &l0).expect("loads"));
            let t = Instant::now();
            tt.goto_step(total).expect("runs");
            let tt_ms = ms(t);
            let (pages, book) = tt.snapshot_cost();
            let kib = (pages * 4096 + book) as f64 / 1024.0;
            let t = Instant::now();
            tt.step_back(1).expect("back");
            let back1 = ms(t);
            tt.goto_step(total).expect("fwd");
            let t = Instant::now();
            tt.step_back(total / 2).expect("back");
            let half = ms(t);
            tt.goto_step(total).expect("fwd");
            let t = Instant::now();
            tt.back_to_previous_world_switch().expect("back");
            let wsw = ms(t);
            tt.goto_step(0).expect("start");
            let t = Instant::now();
            tt.goto_step(total).expect("jump");
            let jump = ms(t);
            println!("{:<34} {model:>10} {total:>7} {plain_ms:>8.2} {tt_ms:>8.2} {:>6} {kib:>10.0} {back1:>9.3} {half:>9.3} {wsw:>9.3} {jump:>9.3}", s.name, tt.snapshot_count());
        }
    }
}
