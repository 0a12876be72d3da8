//! wasm entry points for the core's benchmarks, run in node by `scripts/bench-wasm.sh`.
#![allow(clippy::cast_possible_truncation, reason = "JS numbers (f64) become step and trip counts; float casts saturate")]
use wasm_bindgen::prelude::*;

#[allow(clippy::expect_used, reason = "node >= 16 and browsers have performance.now(); a benchmark without a clock cannot run")]
fn now() -> f64 {
    // performance.now() in milliseconds (node ≥ 16 and browsers have a global `performance`).
    let perf = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).expect("performance");
    let f: js_sys::Function = js_sys::Reflect::get(&perf, &JsValue::from_str("now")).expect("now").into();
    f.call0(&perf).expect("now()").as_f64().unwrap_or(0.0)
}

/// MIPS of the ALU loop over `steps` instructions.
#[wasm_bindgen]
pub fn mips_alu(steps: f64) -> f64 {
    nestscope_core::bench::run_mips_with_clock(&nestscope_core::bench::alu_loop_program(), steps as u64, &mut now)
}

/// MIPS of the memory loop over `steps` instructions.
#[wasm_bindgen]
pub fn mips_mem(steps: f64) -> f64 {
    nestscope_core::bench::run_mips_with_clock(&nestscope_core::bench::mem_loop_program(), steps as u64, &mut now)
}

/// Nested round trips per second under `model` (L2 VMMCALL reflected to L1, L1 VMRUN again).
#[wasm_bindgen]
pub fn round_trips(model: &str, n: u32) -> f64 {
    let model = model.parse().unwrap_or_else(|e| panic!("{e}"));
    nestscope_core::bench::round_trips_per_second(model, n, &mut now)
}

/// Runs a program (raw bytes, as `nestscope exec` loads a `.bin`) under `model` to its end and
/// returns `{"exit", "code", "steps", "console"}` as JSON, or the error as text
/// (`bench/run-wasm.js`, used by `scripts/bench-against.sh`).
#[wasm_bindgen]
pub fn run_program(program: &[u8], model: &str) -> Result<String, String> {
    let model: nestscope_core::Model = model.parse().map_err(|e: nestscope_core::model::UnknownModel| e.to_string())?;
    let mut s = nestscope_core::sim::Sim::new(program, nestscope_core::machine::DEFAULT_MEM_MIB, model, &Default::default())
        .map_err(|e| e.to_string())?;
    let end = s.run(u64::MAX).map_err(|e| e.to_string())?;
    let r = s.report(&end);
    Ok(serde_json::json!({"exit": r["exit"], "code": r["code"], "steps": r["steps"], "console": r["console"]})
        .to_string())
}
