//! Corpus tests: our assembler vs. NASM's committed output, and (natively) vs. a fresh NASM run.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![allow(clippy::cast_possible_truncation, reason = "test programs and fixtures narrow values deliberately")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use nestscope_core::asm::{assemble, assemble_all_errors, disassemble};
use std::collections::HashMap;

const CORPUS: &str = include_str!("data/asm/corpus.asm");
const EXPECTED: &str = include_str!("data/asm/corpus.expected.hex");
const DIFFERENCES: &str = include_str!("data/asm/encoding_differences.txt");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `line -> bytes` from the committed expected file (`LINE HEX` per emitting line).
fn expected_map(text: &str) -> HashMap<u32, Vec<u8>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (n, h) = l.split_once(' ').expect("`LINE HEX`");
            (n.parse().expect("line number"), unhex(h.trim()))
        })
        .collect()
}

/// Source texts whose encoding is allowed to differ from NASM's (but must decode identically).
fn allowed_differences() -> HashMap<String, String> {
    DIFFERENCES
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains(" | "))
        .map(|l| {
            let (src, why) = l.split_once(" | ").unwrap_or((l, ""));
            (src.trim().to_string(), why.trim().to_string())
        })
        .collect()
}

/// Decode one instruction at `ip` and format it (used to check that two encodings mean the same).
fn decode_text(bytes: &[u8], ip: u64) -> String {
    let mut d = Decoder::with_ip(64, bytes, ip, DecoderOptions::NONE);
    let mut f = IntelFormatter::new();
    let mut out = String::new();
    while d.can_decode() {
        let ins = d.decode();
        f.format(&ins, &mut out);
        out.push_str("; ");
    }
    out
}

#[test]
fn asm_corpus_matches_committed_nasm_bytes() {
    let ours = assemble_all_errors(CORPUS).unwrap_or_else(|errs| {
        let list: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        panic!("corpus failed to assemble:\n{}", list.join("\n"))
    });
    let expected = expected_map(EXPECTED);
    let allowed = allowed_differences();
    let src: Vec<&str> = CORPUS.lines().collect();
    let mut failures = Vec::new();
    let mut differences_seen = 0;
    let mut insn_lines = 0;
    for lm in &ours.lines {
        let got = &ours.bytes[lm.offset as usize..(lm.offset + lm.len as u64) as usize];
        let want = expected.get(&lm.line).map(|v| v.as_slice()).unwrap_or(&[]);
        let text = src[lm.line as usize - 1].trim();
        if !got.is_empty() {
            insn_lines += 1;
        }
        if got == want {
            continue;
        }
        let ip = ours.origin + lm.offset;
        match allowed.get(text) {
            Some(_) if got.len() == want.len() && decode_text(got, ip) == decode_text(want, ip) => differences_seen += 1,
            Some(_) => failures.push(format!(
                "line {} `{text}`: listed difference does not decode identically: ours {} `{}` nasm {} `{}`",
                lm.line,
                hex(got),
                decode_text(got, ip),
                hex(want),
                decode_text(want, ip)
            )),
            None => failures.push(format!("line {} `{text}`: ours {} nasm {}", lm.line, hex(got), hex(want))),
        }
    }
    let covered: std::collections::HashSet<u32> = ours.lines.iter().map(|l| l.line).collect();
    for line in expected.keys() {
        if !covered.contains(line) {
            failures.push(format!(
                "line {line}: NASM emitted bytes but we have no line-map entry"
            ));
        }
    }
    assert!(
        insn_lines >= 500,
        "corpus should have at least 500 emitting lines, has {insn_lines}"
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        differences_seen,
        allowed.len(),
        "encoding_differences.txt lists lines that no longer differ"
    );
}

#[test]
fn asm_disassembly_round_trips_corpus_subset() {
    let ours = assemble(CORPUS).expect("corpus assembles");
    let src: Vec<&str> = CORPUS.lines().collect();
    let mut checked = 0;
    let mut failures = Vec::new();
    for lm in ours.lines.iter().filter(|l| l.len > 0) {
        let text = src[lm.line as usize - 1].trim();
        // Representative subset: instructions without labels, `$`, data or string-op pseudo forms.
        let first = text.split_whitespace().next().unwrap_or("");
        let skip = text.contains("data1")
            || text.contains('$')
            || text.contains("back")
            || text.contains("fwd")
            || text.contains('.')
            || text.contains("start")
            || text.contains("cst")
            || text.contains("func")
            || text.starts_with("times")
            || matches!(
                first,
                "db" | "dw" | "dd" | "dq" | "resb" | "resw" | "resd" | "resq" | "align"
            )
            || text.contains("[qword")
            || text.contains("jmp")
            || text.contains("call")
            || text.contains("rep")
            || text.contains("es:")
            || text.contains("ss:")
            || text.contains("cs:")
            || text.contains("ds:")
            || first == "xchg"
            || first.starts_with("ins")
            || first.starts_with("outs")
            || first.starts_with("lods")
            || first.starts_with("stos")
            || first.starts_with("movs")
            || first.starts_with("cmps")
            || first.starts_with("scas")
            || lm.line % 2 != 0;
        if skip {
            continue;
        }
        let bytes = &ours.bytes[lm.offset as usize..(lm.offset + lm.len as u64) as usize];
        let dis = disassemble(bytes, ours.origin + lm.offset);
        assert_eq!(dis.len(), 1, "line {} `{text}` decoded as {dis:?}", lm.line);
        let re = format!(
            "bits 64\norg {:#x}\n{}\n",
            ours.origin + lm.offset,
            dis[0].2
        );
        let again = match assemble(&re) {
            Ok(a) => a,
            Err(e) => {
                failures.push(format!("line {} `{text}` -> `{}`: {e}", lm.line, dis[0].2));
                continue;
            }
        };
        if again.bytes != bytes {
            failures.push(format!(
                "line {} `{text}` -> `{}` -> {} (was {})",
                lm.line,
                dis[0].2,
                hex(&again.bytes),
                hex(bytes)
            ));
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} round-trip failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 100, "round-tripped only {checked} lines");
}

/// Regenerate the expected bytes with NASM and check the committed file is current.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn asm_corpus_expected_file_is_current_with_nasm() {
    use std::process::Command;
    let have_nasm = Command::new("nasm")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_nasm {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("nasm is required in CI (scripts/setup.sh installs it)");
        }
        eprintln!("SKIPPED asm_corpus_expected_file_is_current_with_nasm: nasm is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("nestscope-asm-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let asm = dir.join("corpus.asm");
    std::fs::write(&asm, CORPUS).expect("write corpus");
    let bin = dir.join("corpus.bin");
    let lst = dir.join("corpus.lst");
    let out = Command::new("nasm")
        .args(["-f", "bin", "-w-all"])
        .arg(&asm)
        .arg("-o")
        .arg(&bin)
        .arg("-l")
        .arg(&lst)
        .output()
        .expect("run nasm");
    assert!(
        out.status.success(),
        "nasm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = std::fs::read(&bin).expect("read bin");
    let lst = std::fs::read_to_string(&lst).expect("read listing");
    let fresh = expected_from_listing(&bin, &lst);
    let _ = std::fs::remove_dir_all(&dir);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/asm/corpus.expected.hex"
    );
    if std::env::var("NESTSCOPE_REGEN").is_ok() {
        std::fs::write(path, &fresh).expect("write expected file");
        return;
    }
    assert!(
        fresh == EXPECTED,
        "corpus.expected.hex is stale: rerun with NESTSCOPE_REGEN=1 cargo test -p nestscope-core asm_corpus_expected"
    );
}

/// Per-line bytes from a NASM listing: each line's first address up to the next line's address.
#[cfg(not(target_arch = "wasm32"))]
fn expected_from_listing(bin: &[u8], lst: &str) -> String {
    let mut first_addr: HashMap<u32, u64> = HashMap::new();
    for l in lst.lines() {
        let mut it = l.split_whitespace();
        let (Some(n), Some(a)) = (it.next(), it.next()) else {
            continue;
        };
        let (Ok(n), true) = (n.parse::<u32>(), a.len() == 8) else {
            continue;
        };
        let Ok(a) = u64::from_str_radix(a, 16) else {
            continue;
        };
        first_addr.entry(n).or_insert(a);
    }
    let mut v: Vec<(u64, u32)> = first_addr.into_iter().map(|(n, a)| (a, n)).collect();
    v.sort();
    let mut out = String::from(
        "# NASM output per corpus line: LINE HEX (regenerate: NESTSCOPE_REGEN=1 cargo test -p nestscope-core asm_corpus_expected)\n",
    );
    for (i, &(a, n)) in v.iter().enumerate() {
        let end = v.get(i + 1).map(|x| x.0).unwrap_or(bin.len() as u64);
        if end > a {
            out.push_str(&format!("{n} {}\n", hex(&bin[a as usize..end as usize])));
        }
    }
    out
}
