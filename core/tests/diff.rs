//! Differential tests against the host CPU: random (edge-biased) operands for the arithmetic,
//! logic, shift, rotate, multiply, divide and bit instructions at every operand size, executed
//! natively with `asm!` and in the interpreter; results and every architecturally *defined*
//! flag are compared (undefined flags are masked per the SDM/APM for each instruction).
//!
//! `NESTSCOPE_DIFF_CASES=N` sets the total number of cases (default 160 000).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![cfg(target_arch = "x86_64")]
#![allow(clippy::cast_possible_truncation, reason = "test programs and fixtures narrow values deliberately")]
use core::arch::asm;
use iced_x86::{Code, Instruction, Register};
use nestscope_core::outcome::Trap;
use nestscope_core::machine::Machine;

const CF: u64 = 1;
const PF: u64 = 4;
const AF: u64 = 0x10;
const ZF: u64 = 0x40;
const SF: u64 = 0x80;
const OF: u64 = 0x800;
const ALL: u64 = CF | PF | AF | ZF | SF | OF;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A value biased to the edges of a `size`-byte operand; the bits above it are random.
    fn edge(&mut self, size: u32) -> u64 {
        let bits = size * 8;
        let m = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        let s = 1u64 << (bits - 1);
        let v = match self.next() % 12 {
            0 => 0,
            1 => 1,
            2 => m,
            3 => s,
            4 => s - 1,
            5 => s + 1,
            6 => m - 1,
            7 => self.next() & 0xff,
            8 => 1u64 << (self.next() % bits as u64),
            _ => self.next(),
        } & m;
        (self.next() & !m) | v
    }
    fn count(&mut self, size: u32) -> u64 {
        let bits = size as u64 * 8;
        match self.next() % 10 {
            0 => 0,
            1 => 1,
            2 => bits - 1,
            3 => bits,
            4 => bits + 1,
            5 => 31,
            6 => 32,
            7 => 63,
            8 => 64 + (self.next() % 8),
            _ => self.next() % 256,
        }
    }
    fn flags(&mut self) -> u64 {
        (self.next() & ALL) | 2
    }
}

fn cases_per_combo(combos: u64) -> u64 {
    let total: u64 = std::env::var("NESTSCOPE_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(160_000);
    (total / combos).max(1)
}

fn code(name: &str) -> Code {
    Code::values().find(|c| format!("{c:?}") == name).unwrap_or_else(|| panic!("no iced code {name}"))
}

fn regs(size: u32) -> (Register, Register) {
    match size {
        1 => (Register::BL, Register::SIL),
        2 => (Register::BX, Register::SI),
        4 => (Register::EBX, Register::ESI),
        _ => (Register::RBX, Register::RSI),
    }
}

/// Register state in and out: rax rcx rdx rbx rsi, rflags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct St {
    rax: u64,
    rcx: u64,
    rdx: u64,
    rbx: u64,
    rsi: u64,
    fl: u64,
}

/// Runs `ins` in the interpreter twice: through the generic `execute` and through the run
/// loop's pre-decoded fast form (when it has one); both must agree exactly.
fn interp(m: &mut Machine, ins: &Instruction, s: St) -> Result<St, Trap> {
    interp_with_cell(m, ins, s, None)
}

/// `interp` with a memory cell (address, value) that is reset before each of the two runs.
fn interp_with_cell(m: &mut Machine, ins: &Instruction, s: St, cell: Option<(u64, u64)>) -> Result<St, Trap> {
    let run = |m: &mut Machine, fast: bool| -> Result<St, Trap> {
        if let Some((a, v)) = cell {
            m.mem.write_u64(nestscope_core::mem::Hpa(a), v).unwrap();
            m.cpu.regs.gpr[7] = a;
        }
        let g = &mut m.cpu.regs.gpr;
        (g[0], g[1], g[2], g[3], g[6]) = (s.rax, s.rcx, s.rdx, s.rbx, s.rsi);
        m.cpu.regs.rflags = s.fl;
        if fast {
            m.execute_as_cached(ins)?;
        } else {
            m.execute(ins)?;
        }
        let g = &m.cpu.regs.gpr;
        Ok(St { rax: g[0], rcx: g[1], rdx: g[2], rbx: g[3], rsi: g[6], fl: m.cpu.regs.rflags })
    };
    let generic = run(m, false);
    let mem_generic = cell.map(|(a, _)| m.mem.read_u64(nestscope_core::mem::Hpa(a)).unwrap());
    let fast = run(m, true);
    let mem_fast = cell.map(|(a, _)| m.mem.read_u64(nestscope_core::mem::Hpa(a)).unwrap());
    assert_eq!(generic, fast, "generic and fast paths disagree on {ins} for {s:x?}");
    assert_eq!(mem_generic, mem_fast, "generic and fast paths disagree on memory for {ins}, {s:x?}");
    generic
}

/// Cases compared by all tests of this binary (printed with `--nocapture`).
static CASES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[track_caller]
fn compare(what: &str, input: St, native: St, emu: St, flag_mask: u64) {
    CASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let n = St { fl: native.fl & flag_mask, ..native };
    let e = St { fl: emu.fl & flag_mask, ..emu };
    assert_eq!(n, e, "{what}: input {input:x?}\n native {native:x?}\n interp {emu:x?}\n (flag mask {flag_mask:#x})");
}

/// Native execution: `$t` is the instruction template using {a} (rbx slot) and {b} (rsi slot),
/// rax/rcx/rdx are fixed registers.
macro_rules! native {
    ($s:expr, $t:expr) => {{
        let mut s: St = $s;
        unsafe {
            asm!(
                "push {fl}",
                "popfq",
                $t,
                "pushfq",
                "pop {fl}",
                "/* {a} {b} */",
                fl = inout(reg) s.fl,
                a = inout(reg) s.rbx,
                b = inout(reg) s.rsi,
                inout("rax") s.rax,
                inout("rcx") s.rcx,
                inout("rdx") s.rdx,
            );
        }
        s
    }};
}

/// Runs `$t8 $t16 $t32 $t64` templates by size.
macro_rules! native_sized {
    ($size:expr, $s:expr, $op:literal, $fmt:ident) => {
        match $size {
            1 => native!($s, $fmt!($op, "l")),
            2 => native!($s, $fmt!($op, "x")),
            4 => native!($s, $fmt!($op, "e")),
            _ => native!($s, $fmt!($op, "r")),
        }
    };
}
/// The same for instructions without a byte form.
macro_rules! native_wide {
    ($size:expr, $s:expr, $op:literal, $fmt:ident) => {
        match $size {
            2 => native!($s, $fmt!($op, "x")),
            4 => native!($s, $fmt!($op, "e")),
            _ => native!($s, $fmt!($op, "r")),
        }
    };
}
macro_rules! f_ab { ($op:literal, $m:literal) => { concat!($op, " {a:", $m, "}, {b:", $m, "}") }; }
macro_rules! f_a { ($op:literal, $m:literal) => { concat!($op, " {a:", $m, "}") }; }
macro_rules! f_b { ($op:literal, $m:literal) => { concat!($op, " {b:", $m, "}") }; }
macro_rules! f_acl { ($op:literal, $m:literal) => { concat!($op, " {a:", $m, "}, cl") }; }
macro_rules! f_abcl { ($op:literal, $m:literal) => { concat!($op, " {a:", $m, "}, {b:", $m, "}, cl") }; }

struct Report(&'static str);
impl Drop for Report {
    fn drop(&mut self) {
        eprintln!("{}: {} differential cases so far", self.0, CASES.load(std::sync::atomic::Ordering::Relaxed));
    }
}

fn machine() -> Machine {
    Machine::new(&[0x90], 2).unwrap()
}

fn input(r: &mut Rng, size: u32) -> St {
    St { rax: r.edge(size), rcx: r.next(), rdx: r.edge(size), rbx: r.edge(size), rsi: r.edge(size), fl: r.flags() }
}

#[test]
fn diff_binary_alu() {
    let _report = Report("diff_binary_alu");
    let mut m = machine();
    let mut r = Rng(0x1234_5678_9abc_def1);
    let n = cases_per_combo(160);
    for op in ["add", "adc", "sub", "sbb", "cmp", "and", "or", "xor", "test", "xadd", "cmpxchg"] {
        for size in [1u32, 2, 4, 8] {
            let (d, s) = regs(size);
            let cname = match op {
                "xadd" | "cmpxchg" | "test" => format!("{}_rm{}_r{}", capital(op), size * 8, size * 8),
                _ => format!("{}_rm{}_r{}", capital(op), size * 8, size * 8),
            };
            let ins = Instruction::with2(code(&cname), d, s).unwrap();
            let mask = if matches!(op, "and" | "or" | "xor" | "test") { ALL & !AF } else { ALL };
            for _ in 0..n {
                let mut inp = input(&mut r, size);
                if op == "cmpxchg" && r.next().is_multiple_of(2) {
                    inp.rax = inp.rbx; // make the compare succeed half the time
                }
                let nat = match op {
                    "add" => native_sized!(size, inp, "add", f_ab),
                    "adc" => native_sized!(size, inp, "adc", f_ab),
                    "sub" => native_sized!(size, inp, "sub", f_ab),
                    "sbb" => native_sized!(size, inp, "sbb", f_ab),
                    "cmp" => native_sized!(size, inp, "cmp", f_ab),
                    "and" => native_sized!(size, inp, "and", f_ab),
                    "or" => native_sized!(size, inp, "or", f_ab),
                    "xor" => native_sized!(size, inp, "xor", f_ab),
                    "test" => native_sized!(size, inp, "test", f_ab),
                    "xadd" => native_sized!(size, inp, "xadd", f_ab),
                    _ => native_sized!(size, inp, "cmpxchg", f_ab),
                };
                let emu = interp(&mut m, &ins, inp).unwrap();
                compare(&format!("{op} size {size}"), inp, nat, emu, mask);
            }
        }
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

#[test]
fn diff_unary_alu() {
    let _report = Report("diff_unary_alu");
    let mut m = machine();
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    let n = cases_per_combo(160);
    for op in ["neg", "not", "inc", "dec"] {
        for size in [1u32, 2, 4, 8] {
            let ins = Instruction::with1(code(&format!("{}_rm{}", capital(op), size * 8)), regs(size).0).unwrap();
            for _ in 0..n {
                let inp = input(&mut r, size);
                let nat = match op {
                    "neg" => native_sized!(size, inp, "neg", f_a),
                    "not" => native_sized!(size, inp, "not", f_a),
                    "inc" => native_sized!(size, inp, "inc", f_a),
                    _ => native_sized!(size, inp, "dec", f_a),
                };
                let emu = interp(&mut m, &ins, inp).unwrap();
                compare(&format!("{op} size {size}"), inp, nat, emu, ALL);
            }
        }
    }
}

#[test]
fn diff_shifts_and_rotates() {
    let _report = Report("diff_shifts_and_rotates");
    let mut m = machine();
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let n = cases_per_combo(160);
    for op in ["shl", "shr", "sar", "rol", "ror", "rcl", "rcr"] {
        for size in [1u32, 2, 4, 8] {
            let ins = Instruction::with2(code(&format!("{}_rm{}_CL", capital(op), size * 8)), regs(size).0, Register::CL).unwrap();
            for _ in 0..n {
                let mut inp = input(&mut r, size);
                inp.rcx = (inp.rcx & !0xff) | r.count(size);
                let nat = match op {
                    "shl" => native_sized!(size, inp, "shl", f_acl),
                    "shr" => native_sized!(size, inp, "shr", f_acl),
                    "sar" => native_sized!(size, inp, "sar", f_acl),
                    "rol" => native_sized!(size, inp, "rol", f_acl),
                    "ror" => native_sized!(size, inp, "ror", f_acl),
                    "rcl" => native_sized!(size, inp, "rcl", f_acl),
                    _ => native_sized!(size, inp, "rcr", f_acl),
                };
                let c = inp.rcx & if size == 8 { 63 } else { 31 };
                let bits = size as u64 * 8;
                let mask = if c == 0 {
                    ALL
                } else {
                    let of = if c == 1 { OF } else { 0 };
                    match op {
                        "shl" | "shr" => (if c < bits { CF } else { 0 }) | of | SF | ZF | PF,
                        "sar" => CF | of | SF | ZF | PF,
                        // Rotates leave SF ZF AF PF alone.
                        _ => CF | of | SF | ZF | AF | PF,
                    }
                };
                let emu = interp(&mut m, &ins, inp).unwrap();
                compare(&format!("{op} size {size} count {c}"), inp, nat, emu, mask);
            }
        }
    }
    for op in ["shld", "shrd"] {
        for size in [2u32, 4, 8] {
            let (d, s) = regs(size);
            let ins = Instruction::with3(code(&format!("{}_rm{}_r{}_CL", capital(op), size * 8, size * 8)), d, s, Register::CL).unwrap();
            for _ in 0..n {
                let mut inp = input(&mut r, size);
                inp.rcx = (inp.rcx & !0xff) | r.count(size);
                let c = inp.rcx & if size == 8 { 63 } else { 31 };
                if c > size as u64 * 8 {
                    continue; // result and flags undefined
                }
                let nat = if op == "shld" { native_wide!(size, inp, "shld", f_abcl) } else { native_wide!(size, inp, "shrd", f_abcl) };
                let mask = if c == 0 { ALL } else { CF | SF | ZF | PF | if c == 1 { OF } else { 0 } };
                let emu = interp(&mut m, &ins, inp).unwrap();
                compare(&format!("{op} size {size} count {c}"), inp, nat, emu, mask);
            }
        }
    }
}

#[test]
fn diff_multiply_divide() {
    let _report = Report("diff_multiply_divide");
    let mut m = machine();
    let mut r = Rng(0xdead_beef_cafe_f00d);
    let n = cases_per_combo(160);
    for op in ["mul", "imul", "div", "idiv"] {
        for size in [1u32, 2, 4, 8] {
            let (_, s) = regs(size);
            let ins = Instruction::with1(code(&format!("{}_rm{}", capital(op), size * 8)), s).unwrap();
            for _ in 0..n {
                let mut inp = input(&mut r, size);
                if op.ends_with("div") && r.next().is_multiple_of(2) {
                    // Keep the high half small so that many divisions do not overflow.
                    inp.rdx = if r.next().is_multiple_of(2) { 0 } else { u64::MAX };
                    if size == 1 {
                        inp.rax = (inp.rax & !0xff00) | if inp.rdx == 0 { 0 } else { 0xff00 };
                    }
                }
                let emu = interp(&mut m, &ins, inp);
                if op.ends_with("div") {
                    match emu {
                        Err(Trap::Fault(f)) => {
                            assert_eq!(f.vector, 0, "{op} size {size}: {inp:x?}");
                            assert!(would_de(op == "idiv", size, inp), "{op} size {size}: spurious #DE for {inp:x?}");
                            continue;
                        }
                        Err(e) => panic!("{e:?}"),
                        Ok(_) => assert!(!would_de(op == "idiv", size, inp), "{op} size {size}: missing #DE for {inp:x?}"),
                    }
                }
                let nat = match op {
                    "mul" => native_sized!(size, inp, "mul", f_b),
                    "imul" => native_sized!(size, inp, "imul", f_b),
                    "div" => native_sized!(size, inp, "div", f_b),
                    _ => native_sized!(size, inp, "idiv", f_b),
                };
                let mask = if op.ends_with("div") { 0 } else { CF | OF };
                compare(&format!("{op} size {size}"), inp, nat, emu.unwrap(), mask);
            }
        }
    }
    // IMUL r, r/m and IMUL r, r/m, imm.
    for size in [2u32, 4, 8] {
        let (d, s) = regs(size);
        let ins2 = Instruction::with2(code(&format!("Imul_r{}_rm{}", size * 8, size * 8)), d, s).unwrap();
        for _ in 0..n {
            let inp = input(&mut r, size);
            let nat = native_wide!(size, inp, "imul", f_ab);
            let emu = interp(&mut m, &ins2, inp).unwrap();
            compare(&format!("imul2 size {size}"), inp, nat, emu, CF | OF);
        }
        macro_rules! imul3 {
            ($imm:literal) => {{
                let cn = if size == 2 { "Imul_r16_rm16_imm16".to_string() } else { format!("Imul_r{}_rm{}_imm32", size * 8, size * 8) };
                let imm: i64 = $imm;
                let ins3 = if size == 2 {
                    Instruction::with3(code(&cn), d, s, imm as i16 as i32).unwrap()
                } else {
                    Instruction::with3(code(&cn), d, s, imm as i32).unwrap()
                };
                for _ in 0..n / 4 {
                    let inp = input(&mut r, size);
                    let nat = match size {
                        2 => native!(inp, concat!("imul {a:x}, {b:x}, ", $imm)),
                        4 => native!(inp, concat!("imul {a:e}, {b:e}, ", $imm)),
                        _ => native!(inp, concat!("imul {a:r}, {b:r}, ", $imm)),
                    };
                    let emu = interp(&mut m, &ins3, inp).unwrap();
                    compare(&format!("imul3 size {size} imm {}", $imm), inp, nat, emu, CF | OF);
                }
            }};
        }
        imul3!(-1);
        imul3!(3);
        imul3!(0x7fff);
        imul3!(-32768);
    }
}

fn would_de(signed: bool, size: u32, s: St) -> bool {
    let bits = size * 8;
    let m = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let (hi, lo, d) = if size == 1 { ((s.rax >> 8) & 0xff, s.rax & 0xff, s.rsi & 0xff) } else { (s.rdx & m, s.rax & m, s.rsi & m) };
    if d == 0 {
        return true;
    }
    let n = ((hi as u128) << bits) | lo as u128;
    if !signed {
        return n / d as u128 > m as u128;
    }
    let sh = 128 - 2 * bits;
    let n = ((n << sh) as i128) >> sh;
    let d = (((d as u128) << (128 - bits)) as i128) >> (128 - bits);
    let Some(q) = n.checked_div(d) else { return true };
    q < -(1i128 << (bits - 1)) || q > (1i128 << (bits - 1)) - 1
}

#[test]
fn diff_bit_instructions() {
    let _report = Report("diff_bit_instructions");
    let mut m = machine();
    let mut r = Rng(0x0123_4567_89ab_cdef);
    let n = cases_per_combo(160);
    let bmi1 = std::arch::is_x86_feature_detected!("bmi1");
    let lzcnt = std::arch::is_x86_feature_detected!("lzcnt");
    let popcnt = std::arch::is_x86_feature_detected!("popcnt");
    for op in ["bt", "bts", "btr", "btc", "bsf", "bsr", "tzcnt", "lzcnt", "popcnt"] {
        if (op == "tzcnt" && !bmi1) || (op == "lzcnt" && !lzcnt) || (op == "popcnt" && !popcnt) {
            eprintln!("host lacks {op}: skipped");
            continue;
        }
        for size in [2u32, 4, 8] {
            let (d, s) = regs(size);
            let cn = if op.starts_with("bt") {
                format!("{}_rm{}_r{}", capital(op), size * 8, size * 8)
            } else {
                format!("{}_r{}_rm{}", capital(op), size * 8, size * 8)
            };
            let ins = Instruction::with2(code(&cn), d, s).unwrap();
            for _ in 0..n {
                let inp = input(&mut r, size);
                let nat = match op {
                    "bt" => native_wide!(size, inp, "bt", f_ab),
                    "bts" => native_wide!(size, inp, "bts", f_ab),
                    "btr" => native_wide!(size, inp, "btr", f_ab),
                    "btc" => native_wide!(size, inp, "btc", f_ab),
                    "bsf" => native_wide!(size, inp, "bsf", f_ab),
                    "bsr" => native_wide!(size, inp, "bsr", f_ab),
                    "tzcnt" => native_wide!(size, inp, "tzcnt", f_ab),
                    "lzcnt" => native_wide!(size, inp, "lzcnt", f_ab),
                    _ => native_wide!(size, inp, "popcnt", f_ab),
                };
                let mut emu = interp(&mut m, &ins, inp).unwrap();
                let mask = match op {
                    "bt" | "bts" | "btr" | "btc" => CF | ZF,
                    "bsf" | "bsr" => ZF,
                    "tzcnt" | "lzcnt" => CF | ZF,
                    _ => ALL,
                };
                let src = inp.rsi & if size == 8 { u64::MAX } else { (1u64 << (size * 8)) - 1 };
                if (op == "bsf" || op == "bsr") && src == 0 {
                    emu.rbx = nat.rbx; // destination undefined for a zero source
                }
                compare(&format!("{op} size {size}"), inp, nat, emu, mask);
            }
        }
    }
}

#[test]
fn diff_setcc_cmovcc() {
    let _report = Report("diff_setcc_cmovcc");
    let mut m = machine();
    let mut r = Rng(0x5555_aaaa_3333_cccc);
    let n = cases_per_combo(160) / 4 + 1;
    macro_rules! cc {
        ($($c:literal),*) => {$(
            let set = Instruction::with1(code(&format!("Set{}_rm8", $c)), Register::BL).unwrap();
            let cmov = Instruction::with2(code(&format!("Cmov{}_r32_rm32", $c)), Register::EBX, Register::ESI).unwrap();
            for _ in 0..n {
                let inp = input(&mut r, 8);
                let nat = native!(inp, concat!("set", $c, " {a:l}"));
                compare(concat!("set", $c), inp, nat, interp(&mut m, &set, inp).unwrap(), ALL);
                let nat = native!(inp, concat!("cmov", $c, " {a:e}, {b:e}"));
                compare(concat!("cmov", $c), inp, nat, interp(&mut m, &cmov, inp).unwrap(), ALL);
            }
        )*};
    }
    cc!("o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g");
}

/// Native execution with a memory destination `[p]` (a host variable) and {b} as the source.
macro_rules! native_mem {
    ($s:expr, $mem:expr, $t:expr) => {{
        let mut s: St = $s;
        let mut cell: u64 = $mem;
        let p: *mut u64 = &mut cell;
        unsafe {
            asm!(
                "push {fl}",
                "popfq",
                $t,
                "pushfq",
                "pop {fl}",
                "/* {p} {b} */",
                fl = inout(reg) s.fl,
                p = in(reg) p,
                b = inout(reg) s.rsi,
            );
        }
        (s, cell)
    }};
}
macro_rules! native_mem_sized {
    ($size:expr, $s:expr, $mem:expr, $op:literal) => {
        match $size {
            1 => native_mem!($s, $mem, concat!($op, " byte ptr [{p}], {b:l}")),
            2 => native_mem!($s, $mem, concat!($op, " word ptr [{p}], {b:x}")),
            4 => native_mem!($s, $mem, concat!($op, " dword ptr [{p}], {b:e}")),
            _ => native_mem!($s, $mem, concat!($op, " qword ptr [{p}], {b:r}")),
        }
    };
}

#[test]
fn diff_memory_destination_alu() {
    let _report = Report("diff_memory_destination_alu");
    use iced_x86::MemoryOperand;
    const CELL: u64 = 0x18_0000;
    let mut m = machine();
    let mut r = Rng(0x7777_1234_abcd_0001);
    let n = cases_per_combo(160);
    for op in ["add", "adc", "sub", "sbb", "cmp", "and", "or", "xor", "test", "xadd"] {
        for size in [1u32, 2, 4, 8] {
            let cname = format!("{}_rm{}_r{}", capital(op), size * 8, size * 8);
            let ins = Instruction::with2(code(&cname), MemoryOperand::with_base(Register::RDI), regs(size).1).unwrap();
            let mask = if matches!(op, "and" | "or" | "xor" | "test") { ALL & !AF } else { ALL };
            for _ in 0..n / 2 {
                let inp = input(&mut r, size);
                let mem = r.edge(size);
                let (nat, nat_mem) = match op {
                    "add" => native_mem_sized!(size, inp, mem, "add"),
                    "adc" => native_mem_sized!(size, inp, mem, "adc"),
                    "sub" => native_mem_sized!(size, inp, mem, "sub"),
                    "sbb" => native_mem_sized!(size, inp, mem, "sbb"),
                    "cmp" => native_mem_sized!(size, inp, mem, "cmp"),
                    "and" => native_mem_sized!(size, inp, mem, "and"),
                    "or" => native_mem_sized!(size, inp, mem, "or"),
                    "xor" => native_mem_sized!(size, inp, mem, "xor"),
                    "test" => native_mem_sized!(size, inp, mem, "test"),
                    _ => native_mem_sized!(size, inp, mem, "xadd"),
                };
                let emu = interp_with_cell(&mut m, &ins, inp, Some((CELL, mem))).unwrap();
                let emu_mem = m.mem.read_u64(nestscope_core::mem::Hpa(CELL)).unwrap();
                // Only the source register (rsi) and flags can change besides memory.
                let nat = St { rax: inp.rax, rcx: inp.rcx, rdx: inp.rdx, rbx: inp.rbx, ..nat };
                compare(&format!("{op} [mem] size {size}"), inp, nat, emu, mask);
                assert_eq!(nat_mem, emu_mem, "{op} [mem] size {size}: memory, input {inp:x?} mem {mem:#x}");
            }
        }
    }
}

#[test]
fn diff_shift_by_immediate() {
    let _report = Report("diff_shift_by_immediate");
    let mut m = machine();
    let mut r = Rng(0x3141_5926_5358_9793);
    let n = cases_per_combo(160) / 8 + 1;
    macro_rules! by_imm {
        ($op:literal, $($imm:literal),*) => {$(
            for size in [1u32, 2, 4, 8] {
                let ins = Instruction::with2(code(&format!("{}_rm{}_imm8", capital($op), size * 8)), regs(size).0, $imm as u32).unwrap();
                for _ in 0..n {
                    let inp = input(&mut r, size);
                    let nat = match size {
                        1 => native!(inp, concat!($op, " {a:l}, ", $imm)),
                        2 => native!(inp, concat!($op, " {a:x}, ", $imm)),
                        4 => native!(inp, concat!($op, " {a:e}, ", $imm)),
                        _ => native!(inp, concat!($op, " {a:r}, ", $imm)),
                    };
                    let c = $imm & if size == 8 { 63 } else { 31 };
                    let bits = size as u64 * 8;
                    let mask = if c == 0 {
                        ALL
                    } else {
                        let of = if c == 1 { OF } else { 0 };
                        match $op {
                            "shl" | "shr" => (if c < bits { CF } else { 0 }) | of | SF | ZF | PF,
                            "sar" => CF | of | SF | ZF | PF,
                            _ => CF | of | SF | ZF | AF | PF,
                        }
                    };
                    let emu = interp(&mut m, &ins, inp).unwrap();
                    compare(&format!("{} size {size} imm {}", $op, $imm), inp, nat, emu, mask);
                }
            }
        )*};
    }
    by_imm!("shl", 0, 1, 3, 7, 8, 15, 16, 31, 32, 63);
    by_imm!("shr", 0, 1, 3, 7, 8, 15, 16, 31, 32, 63);
    by_imm!("sar", 0, 1, 3, 7, 8, 15, 16, 31, 32, 63);
    by_imm!("rol", 0, 1, 3, 7, 8, 15, 16, 31, 32, 63);
    by_imm!("ror", 0, 1, 3, 7, 8, 15, 16, 31, 32, 63);
}
