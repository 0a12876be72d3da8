//! Nested round trips per second (L2 VMMCALL reflected to L1, L1 VMRUN again) under each model.
//! Run: `cargo bench -p nestscope-core --bench roundtrip`
//! (`NESTSCOPE_BENCH_TRIPS=N`, `NESTSCOPE_BENCH_MODELS=bare,kvm-merged`)
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark stops on a broken setup")]
use nestscope_core::bench::round_trips_per_second;

fn main() {
    let n: u32 = std::env::var("NESTSCOPE_BENCH_TRIPS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let start = std::time::Instant::now();
    let mut clock = || start.elapsed().as_secs_f64() * 1000.0;
    let models = std::env::var("NESTSCOPE_BENCH_MODELS").unwrap_or_else(|_| "bare,kvm-legacy,kvm-merged".into());
    for name in models.split(',') {
        let model: nestscope_core::Model = name.parse().unwrap_or_else(|e| panic!("NESTSCOPE_BENCH_MODELS: {e}"));
        round_trips_per_second(model, n / 10, &mut clock);
        let best = (0..3).map(|_| round_trips_per_second(model, n, &mut clock)).fold(0.0f64, f64::max);
        println!("{model:>11}: {best:12.0} round trips/s ({n} round trips)");
    }
}
