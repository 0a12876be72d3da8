//! Robustness property tests: random token soup and mutated corpus lines never panic or hang.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![allow(clippy::cast_possible_truncation, reason = "test programs and fixtures narrow values deliberately")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use nestscope_core::asm::{MAX_OUTPUT, assemble, assemble_all_errors};

const CORPUS: &str = include_str!("data/asm/corpus.asm");

/// Small deterministic PRNG (xorshift64*), so failures are reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const VOCAB: &[&str] = &[
    "mov",
    "add",
    "jmp",
    "jz",
    "call",
    "ret",
    "push",
    "pop",
    "lea",
    "times",
    "db",
    "dw",
    "dd",
    "dq",
    "resb",
    "align",
    "org",
    "equ",
    "bits",
    "default",
    "rel",
    "abs",
    "byte",
    "word",
    "dword",
    "qword",
    "ptr",
    "strict",
    "short",
    "near",
    "rep",
    "lock",
    "movsb",
    "nop",
    "vmrun",
    "invlpga",
    "imul",
    "shl",
    "xchg",
    "test",
    "in",
    "out",
    "int",
    "loop",
    "rax",
    "eax",
    "ax",
    "al",
    "ah",
    "r8",
    "r8b",
    "rsp",
    "rbp",
    "r13",
    "rip",
    "fs",
    "gs",
    "cs",
    "cr0",
    "cr8",
    "dr7",
    "ecx",
    "cl",
    "dx",
    "[",
    "]",
    "(",
    ")",
    ",",
    ":",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "%%",
    "<<",
    ">>",
    "&",
    "|",
    "^",
    "~",
    "$",
    "$$",
    "0",
    "1",
    "2",
    "3",
    "8",
    "127",
    "128",
    "255",
    "256",
    "1000",
    "65535",
    "0x7fffffff",
    "0xffffffff",
    "-1",
    "0x123456789",
    "0x8000000000000000",
    "99999999999999999999999",
    "0FFh",
    "101b",
    "'a'",
    "\"str\"",
    "`e\\n`",
    "'",
    "\"",
    "`",
    "lbl",
    "lbl:",
    ".loc",
    ".loc:",
    "other:",
    ";",
    "\\",
    "é",
    "\t",
    "[bits 64]",
];

fn check(src: &str, seed: u64) {
    let one = assemble(src);
    let all = assemble_all_errors(src);
    match (&one, &all) {
        (Ok(a), Ok(b)) => {
            assert_eq!(
                a, b,
                "seed {seed}: assemble and assemble_all_errors disagree on {src:?}"
            );
            assert!(a.bytes.len() as u64 <= MAX_OUTPUT);
            for lm in &a.lines {
                assert!(
                    lm.offset + lm.len as u64 <= a.bytes.len() as u64,
                    "seed {seed}: bad line map for {src:?}"
                );
            }
        }
        (Err(e), Err(es)) => {
            assert!(!es.is_empty());
            assert_eq!(e, &es[0], "seed {seed}: first error differs for {src:?}");
            for e in es {
                assert!(
                    e.line >= 1 && e.column >= 1,
                    "seed {seed}: error position {e:?} for {src:?}"
                );
                assert!(!e.message.is_empty());
            }
        }
        _ => {
            panic!("seed {seed}: assemble and assemble_all_errors disagree on success for {src:?}")
        }
    }
}

#[test]
fn asm_property_token_soup_never_panics() {
    for case in 0..1000u64 {
        let seed = 0x9e37_79b9_7f4a_7c15 ^ case.wrapping_mul(0x1000_0000_01b3);
        let mut rng = Rng(seed | 1);
        let mut src = String::new();
        for _ in 0..1 + rng.below(6) {
            for _ in 0..rng.below(10) {
                src.push_str(rng.pick(VOCAB));
                if rng.below(4) != 0 {
                    src.push(' ');
                }
            }
            src.push('\n');
        }
        check(&src, seed);
    }
}

#[test]
fn asm_property_mutated_corpus_lines_never_panic() {
    let lines: Vec<&str> = CORPUS.lines().filter(|l| !l.trim().is_empty()).collect();
    const CHARS: &[u8] = b" ,[]+-*:$0123456789abcdefxhqrsp.;'\"`()~";
    for case in 0..1000u64 {
        let seed = 0x5851_f42d_4c95_7f2d ^ case.wrapping_mul(0x2545_f491);
        let mut rng = Rng(seed | 1);
        let mut src = String::from("bits 64\n");
        for _ in 0..1 + rng.below(8) {
            let mut l: Vec<u8> = lines[rng.below(lines.len())].as_bytes().to_vec();
            for _ in 0..rng.below(4) {
                let pos = rng.below(l.len() + 1);
                match rng.below(4) {
                    0 if pos < l.len() => {
                        l.remove(pos);
                    }
                    1 => l.insert(pos, CHARS[rng.below(CHARS.len())]),
                    2 => {
                        let word = rng.pick(VOCAB).as_bytes().to_vec();
                        for (i, b) in word.into_iter().enumerate() {
                            l.insert(pos + i, b);
                        }
                    }
                    _ if pos < l.len() => l.truncate(pos),
                    _ => {}
                }
            }
            src.push_str(&String::from_utf8_lossy(&l));
            src.push('\n');
        }
        // Sometimes reference labels the corpus defines elsewhere.
        if rng.below(3) == 0 {
            src.push_str("data1: back: back2: fwd1: far_fwd: start: func1: dq 0\n");
        }
        check(&src, seed);
    }
}

/// The same body as the cargo-fuzz target, over many more random inputs: run with
/// `cargo test -p nestscope-core --release --test asm_robust -- --ignored`.
#[test]
#[ignore]
fn asm_long_random_run() {
    let n: u64 = std::env::var("ASM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    for case in 0..n {
        let mut rng = Rng(case.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(3) == 0 {
                    rng.next() as u8
                } else {
                    rng.pick(VOCAB).as_bytes()[0]
                }
            })
            .collect();
        let mut src = String::from_utf8_lossy(&bytes).into_owned();
        for _ in 0..rng.below(8) {
            src.push_str(rng.pick(VOCAB));
            src.push(if rng.below(3) == 0 { '\n' } else { ' ' });
        }
        check(&src, case);
    }
}
