//! Benchmark bodies shared by the native bench (`core/benches/mips.rs`) and the wasm side:
//! two endless loops (ALU-only and memory-heavy) and a MIPS helper.
#![warn(missing_docs)]
use crate::machine::{DEFAULT_MEM_MIB, Machine};

#[allow(clippy::expect_used, reason = "the benchmark sources are fixed (tests/bench_programs.rs assembles them)")]
fn assemble(src: &str) -> Vec<u8> {
    crate::asm::assemble(src).expect("benchmark program assembles").bytes
}

/// Source of the endless register-only loop: 8 instructions per iteration (ADD, XOR, SUB, SHL,
/// IMUL, INC, CMP/Jcc pair), never stops on its own. nasm syntax (a test checks the project's
/// assembler gives nasm's bytes).
pub const ALU_LOOP_SOURCE: &str = "bits 64
org 0x100000
  mov rbx, 0x12345678
top:
  add rax, rbx
  xor rdx, rax
  sub rbx, 3
  shl rsi, 1
  imul rdi, rdx, 5
  inc rcx
  cmp rcx, -1
  jne top
  hlt
";

/// Source of the endless memory loop: loads, stores and a read-modify-write over a 4 KiB buffer
/// at 0x200000, 8 instructions per iteration.
pub const MEM_LOOP_SOURCE: &str = "bits 64
org 0x100000
  mov rsi, 0x200000
top:
  mov rax, [rsi + rcx*8]
  add [rsi + 8], rax
  mov rdx, [rsi + 16]
  mov [rsi + rcx*8 + 24], rdx
  push rax
  pop rdx
  inc ecx
  and ecx, 0x1ff
  jmp top
";

/// The ALU loop (`ALU_LOOP_SOURCE`) assembled at the load address.
pub fn alu_loop_program() -> Vec<u8> {
    assemble(ALU_LOOP_SOURCE)
}

/// The memory loop (`MEM_LOOP_SOURCE`) assembled at the load address.
pub fn mem_loop_program() -> Vec<u8> {
    assemble(MEM_LOOP_SOURCE)
}

/// Runs `program` for `steps` steps and returns millions of instructions per second, timing
/// with `clock` (milliseconds, e.g. `performance.now()` on the web); 0 for a program that does
/// not load (empty, or larger than RAM).
pub fn run_mips_with_clock(program: &[u8], steps: u64, clock: &mut dyn FnMut() -> f64) -> f64 {
    let Ok(mut m) = Machine::new(program, DEFAULT_MEM_MIB) else { return 0.0 };
    let t0 = clock();
    let _ = m.run(steps);
    let ms = (clock() - t0).max(1e-6);
    m.steps as f64 / ms / 1000.0
}

/// `run_mips_with_clock` with `std::time::Instant` (not available on wasm32-unknown-unknown).
#[cfg(not(target_arch = "wasm32"))]
pub fn run_mips(program: &[u8], steps: u64) -> f64 {
    let start = std::time::Instant::now();
    run_mips_with_clock(program, steps, &mut || start.elapsed().as_secs_f64() * 1000.0)
}

/// The nested round-trip program: L1 runs L2 (no nested paging), L2 executes VMMCALL, which L1
/// intercepts; L1 moves L2's RIP past it (nRIP) and runs it again, `n` times, then ends with
/// debug-exit 0. One round trip = VMRUN + #VMEXIT(VMMCALL) as L1 sees them.
pub fn round_trip_program(n: u32) -> Vec<u8> {
    let src = format!(
        "bits 64
org 0x100000
VMCB equ 0x200000
  mov ecx, 0xc0000080
  rdmsr
  or eax, 1 << 12
  wrmsr
  mov ecx, 0xc0010117
  mov eax, 0x201000
  xor edx, edx
  wrmsr
  mov dword [VMCB + 0x010], 3
  mov dword [VMCB + 0x058], 1
  mov word [VMCB + 0x410], 0x08
  mov word [VMCB + 0x412], 0x0a9b
  mov dword [VMCB + 0x414], 0xffffffff
  mov word [VMCB + 0x420], 0x10
  mov word [VMCB + 0x422], 0x0c93
  mov dword [VMCB + 0x424], 0xffffffff
  mov rax, cr0
  mov [VMCB + 0x558], rax
  mov rax, cr3
  mov [VMCB + 0x550], rax
  mov rax, cr4
  mov [VMCB + 0x548], rax
  mov ecx, 0xc0000080
  rdmsr
  mov [VMCB + 0x4d0], eax
  mov qword [VMCB + 0x570], 2
  lea rax, [rel guest]
  mov [VMCB + 0x578], rax
  mov qword [VMCB + 0x5d8], 0x380000
  mov r15d, {n}
again:
  mov rax, VMCB
  vmrun
  mov rax, [VMCB + 0x0c8]
  mov [VMCB + 0x578], rax
  dec r15d
  jnz again
  mov al, 0
  out 0xf4, al
guest:
  vmmcall
  jmp guest
"
    );
    #[allow(clippy::expect_used, reason = "a fixed source with a number in it (tests/bench_programs.rs assembles it)")]
    let program = crate::asm::assemble(&src).expect("round-trip program assembles");
    program.bytes
}

/// One timed run of the round-trip program, with what the caches did during it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RoundTrips {
    /// The model the program ran under.
    pub model: crate::model::Model,
    /// Round trips (VMRUN, #VMEXIT back) the program made.
    pub trips: u32,
    /// Round trips per second of host time.
    pub per_second: f64,
    /// Steps (retired L1 and L2 instructions) of the run.
    pub steps: u64,
    /// World switches whose translations were kept / that started with an empty TLB (cpu/tlb.rs).
    pub tlb_reuses: u64,
    /// World switches after which the TLB started empty.
    pub tlb_fresh: u64,
    /// VMCB reads answered from the parsed copy / parsed from memory (svm/vmcb/cache.rs).
    pub vmcb_hits: u64,
    /// VMCB reads that had to parse the VMCB from memory.
    pub vmcb_misses: u64,
}

/// Runs the round-trip program of `n` round trips under `model` (timed with `clock`, in
/// milliseconds). A program that does not load or a run that does not end in debug-exit 0 is an error.
pub fn measure_round_trips(model: crate::model::Model, n: u32, clock: &mut dyn FnMut() -> f64) -> Result<RoundTrips, String> {
    let p = round_trip_program(n);
    let mut s = crate::sim::Sim::new(&p, DEFAULT_MEM_MIB, model, &Default::default()).map_err(|e| e.to_string())?;
    let t0 = clock();
    let end = s.run(u64::MAX).map_err(|e| e.to_string())?;
    let ms = (clock() - t0).max(1e-6);
    if !matches!(end, crate::RunEnd::Stopped(crate::Stop::DebugExit(0))) {
        return Err(format!("{model}: the round-trip program ended with {end:?}"));
    }
    let m = s.machine();
    Ok(RoundTrips {
        model,
        trips: n,
        per_second: n as f64 / ms * 1000.0,
        steps: m.steps,
        tlb_reuses: m.tlb.reuses,
        tlb_fresh: m.tlb.fresh,
        vmcb_hits: m.svm.vmcb_cache.hits,
        vmcb_misses: m.svm.vmcb_cache.misses,
    })
}

/// `measure_round_trips` for a model known to work: round trips per second.
#[allow(clippy::expect_used, reason = "documented: for a model known to run the program (a panic otherwise)")]
pub fn round_trips_per_second(model: crate::model::Model, n: u32, clock: &mut dyn FnMut() -> f64) -> f64 {
    measure_round_trips(model, n, clock).expect("the round-trip program runs").per_second
}
