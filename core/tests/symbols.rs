//! ELF symbols of the real kvm-unit-tests binaries against binutils' `nm` (run when installed; the
//! figures recorded below are its output), and hostile symbol tables: cut, out of the file, with
//! escapes in names — named errors or sanitized names, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use nestscope_core::loader::LoaderError;
use nestscope_core::loader::symbols::{self, SymbolKind};
use std::collections::BTreeSet;
use std::process::Command;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn svm_flat() -> Option<(std::path::PathBuf, Vec<u8>)> {
    let dir = std::env::var_os("NESTSCOPE_KUT_DIR").map(std::path::PathBuf::from);
    let p = dir.unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/kvm-unit-tests").into()).join("svm.flat");
    match std::fs::read(&p) {
        Ok(b) => Some((p, b)),
        Err(e) => {
            assert!(std::env::var("NESTSCOPE_REQUIRE_KUT").is_err(), "{}: {e}", p.display());
            eprintln!("skipped: {} not readable ({e})", p.display());
            None
        }
    }
}

#[test]
fn svm_flat_symbols_are_those_nm_lists() {
    let Some((path, file)) = svm_flat() else { return };
    let syms = symbols::read(&file).unwrap();
    // `nm -S svm.flat` (GNU binutils 2.40):
    //   00409614 ... T main   004000bc T start   00400731 0000022d t test_run
    //   00400b0f ... T svm_vmrun   0040be46 ... W vm_available
    let find = |n: &str| syms.iter().find(|s| s.name == n).unwrap_or_else(|| panic!("{n} missing"));
    assert_eq!((find("main").addr, find("main").kind, find("main").global), (0x409614, SymbolKind::Func, true));
    assert_eq!((find("start").addr, find("start").kind), (0x4000bc, SymbolKind::Label));
    let t = find("test_run");
    assert_eq!((t.addr, t.size, t.global), (0x400731, 0x22d, false));
    assert_eq!(find("svm_vmrun").addr, 0x400b0f);
    assert!(find("vm_available").global, "a weak symbol counts as global, as nm's W");
    // Absolute symbols (nm's `a`: MSR_GS_BASE = 0xc0000101, an equate) are not addresses.
    assert!(syms.iter().all(|s| s.name != "MSR_GS_BASE"));
    assert_eq!(symbols::describe(&syms, 0x400731 + 0x14).as_deref(), Some("test_run+0x14"));
    assert_eq!(symbols::describe(&syms, 0x400731).as_deref(), Some("test_run"));
    // The full set against nm when it is installed: every defined, non-absolute symbol.
    let Ok(out) = Command::new("nm").arg("--defined-only").arg(&path).output() else { return };
    let nm: BTreeSet<(u64, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() == 3 && w[1] != "a").then(|| (u64::from_str_radix(w[0], 16).unwrap(), w[2].to_string()))
        })
        .collect();
    let ours: BTreeSet<(u64, String)> = syms.iter().map(|s| (s.addr, s.name.clone())).collect();
    assert_eq!(ours, nm);
    assert_eq!(ours.len(), 668, "nm --defined-only svm.flat | grep -v ' a ' | wc -l");
}

/// Offset of the section header of .symtab in svm.flat, and of the file's e_shoff.
fn symtab_header(file: &[u8]) -> usize {
    let le = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().unwrap()) as usize;
    let shoff = le(32);
    (0..21).map(|i| shoff + i * 40).find(|&h| le(h + 4) == 2).unwrap()
}

#[test]
fn a_symbol_table_outside_the_file_is_named() {
    let Some((_, mut file)) = svm_flat() else { return };
    let h = symtab_header(&file);
    file[h + 20..h + 24].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    assert!(matches!(symbols::read(&file), Err(LoaderError::Truncated { what: ".symtab", .. })));
    // A cut file: the section headers are at its end.
    let Some((_, file)) = svm_flat() else { return };
    let cut = &file[..file.len() - 10];
    assert!(matches!(symbols::read(cut), Err(LoaderError::Truncated { what: "section header table", .. })));
}

#[test]
fn names_with_escapes_are_shown_as_question_marks() {
    let Some((_, mut file)) = svm_flat() else { return };
    let syms = symbols::read(&file).unwrap();
    let main = syms.iter().find(|s| s.name == "main").unwrap().clone();
    // Overwrite main's name in the string table with ESC [ 2 J: find its Elf32_Sym by st_value.
    let le = |f: &[u8], at: usize| u32::from_le_bytes(f[at..at + 4].try_into().unwrap()) as usize;
    let h = symtab_header(&file);
    let (off, size, link) = (le(&file, h + 16), le(&file, h + 20), le(&file, h + 24));
    let strtab = le(&file, le(&file, 32) + link * 40 + 16);
    let sym = (off..off + size).step_by(16).find(|&at| le(&file, at + 4) == 0x409614 && file[at + 12] & 0xf == 2).unwrap();
    let pos = strtab + le(&file, sym);
    assert_eq!(&file[pos..pos + 5], b"main\0");
    file[pos..pos + 4].copy_from_slice(b"\x1b[2J");
    let after = symbols::read(&file).unwrap();
    assert!(after.iter().any(|s| s.addr == main.addr && s.name == "?[2J"), "{:?}", after.iter().find(|s| s.addr == main.addr));
}

#[test]
fn no_flipped_byte_of_the_section_headers_panics() {
    let Some((_, file)) = svm_flat() else { return };
    let h = symtab_header(&file);
    for at in (32..52).chain(h..h + 40) {
        for bit in [0x01, 0x10, 0x80] {
            let mut f = file.clone();
            f[at] ^= bit;
            let _ = symbols::read(&f);
        }
    }
    assert!(symbols::read(&file[..40]).unwrap().is_empty(), "no header, no symbols");
    assert!(symbols::read(b"flat program").unwrap().is_empty());
}
