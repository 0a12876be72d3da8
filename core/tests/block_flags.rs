//! Basic blocks whose ALU, INC/DEC and shift forms skip their dead status flags
//! (cpu/block_flags.rs) end with the flags the host CPU computes for the same instructions:
//! each sequence (on RAX, RCX, RDX) runs natively (`asm!`, RFLAGS read with PUSHFQ after it) and in the interpreter
//! (assembled, run as a block to a HLT — or to a load that faults, whose exception sees RFLAGS as
//! they were before it) from the same random registers and CF/ZF/SF/OF/PF/AF.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![cfg(target_arch = "x86_64")]
use core::arch::asm;
use nestscope_core::machine::{Machine, RunEnd, Stop};

const CF: u64 = 1;
const PF: u64 = 4;
const AF: u64 = 0x10;
const ZF: u64 = 0x40;
const SF: u64 = 0x80;
const OF: u64 = 0x800;
const STATUS: u64 = CF | PF | AF | ZF | SF | OF;

/// A sequence of instructions on RAX, RCX, RDX as one string literal, for `asm!` and for the
/// project's assembler alike.
macro_rules! seq_alu { () => { "and rax, rdx\n or rax, 0x1234\n xor rax, rcx\n shl rax, 3\n inc rax\n sub rax, rdx\n dec rax\n" } }
macro_rules! seq_cf_through_incdec { () => { "add rax, rdx\n inc rcx\n dec rdx\n" } }
macro_rules! seq_adc_reads_cf { () => { "sub rax, rdx\n adc rcx, 0x10\n and rdx, rax\n" } }
macro_rules! seq_shifts { () => { "shr rax, 5\n sar rdx, 63\n shl rcx, 1\n add rax, rcx\n" } }
macro_rules! seq_sizes { () => { "add eax, edx\n or cx, 0x7f\n xor dl, cl\n inc ax\n sub ecx, eax\n" } }
macro_rules! seq_cmp_test { () => { "cmp rax, rdx\n test rcx, rcx\n inc rax\n" } }
macro_rules! seq_sbb_chain { () => { "xor rdx, rcx\n sbb rax, rdx\n shl rdx, 7\n sbb rcx, rax\n dec rcx\n" } }

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct St {
    rax: u64,
    rdx: u64,
    rcx: u64,
    fl: u64,
}

macro_rules! native {
    ($seq:ident, $s:expr) => {{
        let s: St = $s;
        let (mut a, mut b, mut c, mut f) = (s.rax, s.rdx, s.rcx, s.fl);
        // SAFETY: the sequence touches only RAX, RCX, RDX (declared) and RFLAGS; the stack is
        // used for PUSHFQ/POPFQ and left balanced.
        unsafe {
            asm!(
                "push {f}",
                "popfq",
                $seq!(),
                "pushfq",
                "pop {f}",
                f = inout(reg) f,
                inout("rax") a,
                inout("rdx") b,
                inout("rcx") c,
            );
        }
        St { rax: a, rdx: b, rcx: c, fl: f & STATUS }
    }};
}

/// Runs `seq` in the interpreter from `s`: to its HLT, or (`fault`) to a load from a
/// non-canonical address after it (#GP; with the program's IDT limit 0 the machine shuts down
/// with the state of the faulting instruction).
fn interp(seq: &str, s: St, fault: bool) -> St {
    let tail = if fault { "mov rsi, 0x8000000000000000\n mov rdi, [rsi]\n" } else { "hlt\n" };
    // The NOP in front takes the full-path fetch of a run's first instruction, so the whole
    // sequence (and the tail's MOV and load) is one block.
    let src = format!("bits 64\norg 0x100000\n nop\n{seq}{tail}");
    let p = nestscope_core::asm::assemble(&src).unwrap();
    let mut m = Machine::new(&p.bytes, 4).unwrap();
    let g = &mut m.cpu.regs.gpr;
    (g[0], g[2], g[1]) = (s.rax, s.rdx, s.rcx);
    m.cpu.regs.rflags = 2 | s.fl;
    let end = m.run(1000).unwrap();
    if fault {
        assert!(matches!(end, RunEnd::Stopped(Stop::Shutdown(_))), "{seq}: {end:?}");
    } else {
        assert_eq!(end, RunEnd::Stopped(Stop::Halt), "{seq}");
    }
    let g = &m.cpu.regs.gpr;
    St { rax: g[0], rdx: g[2], rcx: g[1], fl: m.cpu.regs.rflags & STATUS }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn value(&mut self) -> u64 {
        match self.next() % 6 {
            0 => 0,
            1 => u64::MAX,
            2 => 1 << (self.next() % 64),
            3 => self.next() & 0xff,
            _ => self.next(),
        }
    }
}

/// Compares `cases` random starts of one sequence; `undefined`: the flags its last writers leave
/// undefined (APM vol. 3: AF after AND/OR/XOR/TEST and after a shift by a non-zero count, OF
/// after a shift by more than 1).
macro_rules! check {
    ($seq:ident, $undefined:expr, $cases:expr) => {{
        let mut r = Rng(0x9e37_79b9_7f4a_7c15 ^ $seq!().len() as u64);
        for _ in 0..$cases {
            let s = St { rax: r.value(), rdx: r.value(), rcx: r.value(), fl: r.next() & STATUS };
            let mut want = native!($seq, s);
            want.fl &= !$undefined;
            for fault in [false, true] {
                let mut got = interp($seq!(), s, fault);
                got.fl &= !$undefined;
                assert_eq!(got, want, "{:?} from {s:x?} (fault at the end: {fault})", $seq!());
            }
        }
    }};
}

#[test]
fn dead_flags_skipped_in_a_block_leave_the_flags_the_host_computes() {
    check!(seq_alu, 0, 300);
    check!(seq_cf_through_incdec, 0, 300);
    check!(seq_adc_reads_cf, AF, 300);
    check!(seq_shifts, 0, 300);
    check!(seq_sizes, 0, 300);
    check!(seq_cmp_test, 0, 300);
    check!(seq_sbb_chain, 0, 300);
}
