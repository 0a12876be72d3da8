//! The web app's "Run" path natively: nested round trips per second through the world-switch
//! tracker (which snapshots and diffs the VMCB pages at every switch), next to the bare core.
//! Run: `cargo bench -p nestscope-web --bench tracker` (`NESTSCOPE_BENCH_TRIPS=N`, default 50000).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark stops on a broken setup")]
use nestscope_core::hv::L0Config;
use nestscope_core::sim::Sim;
use nestscope_web::switches::Tracker;

fn main() {
    let n: u32 = std::env::var("NESTSCOPE_BENCH_TRIPS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let p = nestscope_core::bench::round_trip_program(n);
    for model in ["bare", "kvm-merged"] {
        let best = (0..3)
            .map(|_| {
                let mut s = Sim::new(&p, 64, model.parse().expect("a model"), &L0Config::default()).expect("loads");
                let mut t = Tracker::new(&s);
                let t0 = std::time::Instant::now();
                let end = t.run(&mut s, u64::MAX, false).expect("runs");
                assert!(matches!(end, nestscope_web::switches::SliceEnd::Stopped(_)), "{model}: {end:?}");
                n as f64 / t0.elapsed().as_secs_f64()
            })
            .fold(0.0f64, f64::max);
        println!("{model:>11}: {best:12.0} round trips/s through the tracker ({n} round trips)");
    }
}
