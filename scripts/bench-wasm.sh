#!/usr/bin/env bash
# Interpreter speed in wasm (node): builds bench-wasm for wasm32 (release), binds it for node and
# prints MIPS of the ALU and memory loops and nested round trips per second (best of three).
# NESTSCOPE_BENCH_STEPS overrides 50M steps; NESTSCOPE_BENCH_TRIPS 100000 round trips.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build -p nestscope-bench-wasm --release --target wasm32-unknown-unknown
out=target/bench-wasm
wasm-bindgen --target nodejs --out-dir "$out" target/wasm32-unknown-unknown/release/nestscope_bench_wasm.wasm
steps=${NESTSCOPE_BENCH_STEPS:-50000000}
node -e "
const b = require('./$out/nestscope_bench_wasm.js');
b.mips_alu(1e6); b.mips_mem(1e6); // warm-up
for (const [name, f] of [['alu loop', b.mips_alu], ['mem loop', b.mips_mem]]) {
  const runs = [0, 1, 2].map(() => f($steps));
  console.log(name.padEnd(9), 'wasm (node ' + process.version + '):', Math.max(...runs).toFixed(1), 'MIPS  (runs:', runs.map(r => r.toFixed(1)).join(', ') + ')');
}
const trips = Number(process.env.NESTSCOPE_BENCH_TRIPS || 100000);
for (const m of ['bare', 'kvm-legacy', 'kvm-merged']) {
  b.round_trips(m, trips / 10);
  const runs = [0, 1, 2].map(() => b.round_trips(m, trips));
  console.log(m.padEnd(11), 'wasm (node ' + process.version + '):', Math.max(...runs).toFixed(0), 'round trips/s');
}"
