//! Benchmark bodies shared by the native bench (`core/benches/mips.rs`) and the wasm side:
//! two endless loops (ALU-only and memory-heavy) and a MIPS helper.
use crate::machine::{Machine, DEFAULT_MEM_MIB};
use iced_x86::code_asm::*;

fn assemble(f: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>) -> Vec<u8> {
    let mut a = CodeAssembler::new(64).expect("64-bit assembler");
    f(&mut a).expect("benchmark program assembles");
    a.assemble(crate::machine::LOAD_ADDR).expect("benchmark program encodes")
}

/// An endless register-only loop: 8 instructions per iteration (ADD, XOR, SUB, SHL, IMUL, INC,
/// CMP/Jcc pair), never stops on its own.
pub fn alu_loop_program() -> Vec<u8> {
    assemble(|a| {
        let mut top = a.create_label();
        a.mov(rbx, 0x1234_5678u64)?;
        a.set_label(&mut top)?;
        a.add(rax, rbx)?;
        a.xor(rdx, rax)?;
        a.sub(rbx, 3)?;
        a.shl(rsi, 1)?;
        a.imul_3(rdi, rdx, 5)?;
        a.inc(rcx)?;
        a.cmp(rcx, -1)?;
        a.jne(top)?;
        a.hlt()?;
        Ok(())
    })
}

/// An endless memory loop: loads, stores and a read-modify-write over a 4 KiB buffer at
/// 0x200000, 8 instructions per iteration.
pub fn mem_loop_program() -> Vec<u8> {
    assemble(|a| {
        let mut top = a.create_label();
        a.mov(rsi, 0x20_0000u64)?;
        a.set_label(&mut top)?;
        a.mov(rax, qword_ptr(rsi + rcx * 8))?;
        a.add(qword_ptr(rsi + 8), rax)?;
        a.mov(rdx, qword_ptr(rsi + 16))?;
        a.mov(qword_ptr(rsi + rcx * 8 + 24), rdx)?;
        a.push(rax)?;
        a.pop(rdx)?;
        a.inc(ecx)?;
        a.and(ecx, 0x1ff)?;
        a.jmp(top)?;
        Ok(())
    })
}

/// Runs `program` for `steps` steps and returns millions of instructions per second, timing
/// with `clock` (milliseconds, e.g. `performance.now()` on the web).
pub fn run_mips_with_clock(program: &[u8], steps: u64, clock: &mut dyn FnMut() -> f64) -> f64 {
    let mut m = Machine::new(program, DEFAULT_MEM_MIB).expect("benchmark program loads");
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
