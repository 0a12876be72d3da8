//! The module graph of the core, read from the sources: every `crate::X` reference outside test
//! code is an arrow from the module that holds it to `X`. The test fails on an arrow that points
//! up the layering below (or sideways between two modules of one layer) unless it is listed in
//! `ALLOWED` with its reason, and on any cycle among the modules. Run with `--nocapture` to see
//! the graph.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first: a module may name modules of lower layers only.
/// `outcome` is the crate-level outcome types; `report` the CONTRACT JSON. `compare`, `bench`,
/// `pat_layers`, `checkpoint` and `scenario` are drivers and views on top of `sim`:
/// - `scenario` → `hv` is a downward arrow of a driver: a scenario names L0 designs, L0's PAT
///   and KVM save/restore (`hv::migrate`), which only `hv` defines;
/// - `checkpoint` → `hv`/`svm`/`cpu` is the persistence layer converting live state into records;
///   that its records still embed some live types (GuestMode, the L0 state) is the checkpoint
///   format's business (issue 15), not an arrow problem.
const LAYERS: &[&[&str]] = &[
    &["mem", "asm", "devices", "loader"],
    &["outcome", "trace"],
    &["cpu"],
    &["svm"],
    &["machine"],
    &["hv", "report"],
    &["model"],
    &["sim"],
    &["inspect", "timetravel"],
    &["compare", "checkpoint", "bench", "pat_layers"],
    &["scenario"],
    &["share"],
];

/// Arrows that break the layering today, each with why it is still there. Shrink this list; do
/// not grow it.
const ALLOWED: &[(&str, &str, &str)] = &[];

fn rank(m: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&m))
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("readable source dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source without comments, string contents and `#[cfg(test)]` items.
fn code_of(src: &str) -> String {
    // Comments and strings out first (so braces in them do not count).
    let b = src.as_bytes();
    let mut s = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            s.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // a char literal like '{'
            s.push_str("' '");
            i += 3;
        } else {
            s.push(b[i] as char);
            i += 1;
        }
    }
    // Then every `#[cfg(test)]` item: up to its `;` or its balanced `{ … }`.
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let (mut depth, mut end) = (0usize, tail.len());
        for (j, c) in tail.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = j + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Names `lib.rs` re-exports at the crate root (`crate::Stop`) → the module they come from.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in code_of(lib).lines() {
        let Some(u) = line.trim().strip_prefix("pub use ") else { continue };
        let u = u.trim_end_matches(';');
        let Some((module, names)) = u.split_once("::") else { continue };
        for n in names.trim_matches(|c| c == '{' || c == '}').split(',') {
            let n = n.trim().rsplit("::").next().unwrap_or("").to_string();
            if !n.is_empty() {
                map.insert(n, module.to_string());
            }
        }
    }
    map
}

/// The top-level module a source file belongs to (`cpu/exec/alu.rs` → `cpu`, `sim.rs` → `sim`).
fn module_of(src_dir: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src_dir).expect("under src");
    let first = rel.components().next().expect("non-empty").as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

/// Test-only files (`mod tests;` / `mod intercept_tests;` under `#[cfg(test)]`).
fn is_test_file(file: &Path) -> bool {
    let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    name == "tests.rs" || name.ends_with("_tests.rs")
}

/// Every `crate::X` and `use crate::{X, …}` target in `code`.
fn references(code: &str, roots: &BTreeMap<String, String>, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |name: &str| {
        if modules.contains(name) {
            out.insert(name.to_string());
        } else if let Some(m) = roots.get(name) {
            out.insert(m.clone());
        }
    };
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `nestscope_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let head = item.trim().split("::").next().unwrap_or("").trim();
                add(head);
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            add(&name);
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    files.sort();
    let roots = root_reexports(&std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs"));
    let modules: BTreeSet<String> =
        files.iter().map(|f| module_of(&src, f)).filter(|m| m != "lib").collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let m = module_of(&src, f);
        if m == "lib" || is_test_file(f) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(f).expect("readable source"));
        let e = g.entry(m.clone()).or_default();
        for r in references(&code, &roots, &modules) {
            if r != m {
                e.insert(r);
            }
        }
    }
    g
}

fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|p| p == m).unwrap_or(0);
                    let mut c = path[start..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, g, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, g, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_reader_sees_known_arrows() {
    // The reader itself: these arrows exist and must be found, or the test below proves nothing.
    let g = graph();
    for (from, to) in [("machine", "cpu"), ("svm", "cpu"), ("hv", "machine"), ("cpu", "mem"), ("sim", "hv")] {
        assert!(g.get(from).is_some_and(|s| s.contains(to)), "{from} -> {to} not found in {g:#?}");
    }
    // Test modules are not read: trace's only `crate::` reference outside its tests is to mem
    // (its tests name `crate::trace` itself).
    assert!(g.get("trace").is_none_or(|s| s.iter().all(|m| m == "mem")), "trace -> {:?}", g.get("trace"));
    let roots = root_reexports("pub use outcome::{EmuError, Stop};\npub use machine::Machine;");
    assert_eq!(roots.get("Stop").map(String::as_str), Some("outcome"));
    let modules: BTreeSet<String> = ["machine", "outcome", "cpu"].map(String::from).into();
    let code = code_of("use crate::{cpu::Regs, Stop};\n// crate::machine\n#[cfg(test)]\nmod t { use crate::machine; }\n");
    assert_eq!(references(&code, &roots, &modules), ["cpu", "outcome"].map(String::from).into());
}

#[test]
fn no_upward_arrow_and_no_cycle() {
    let g = graph();
    for (from, tos) in &g {
        println!("{from} -> {}", tos.iter().cloned().collect::<Vec<_>>().join(" "));
    }
    let mut bad = Vec::new();
    for (from, tos) in &g {
        let Some(rf) = rank(from) else {
            bad.push(format!("module `{from}` is in no layer of LAYERS"));
            continue;
        };
        for to in tos {
            let Some(rt) = rank(to) else {
                bad.push(format!("module `{to}` is in no layer of LAYERS"));
                continue;
            };
            if rt >= rf && !ALLOWED.iter().any(|(a, b, _)| a == from && b == to) {
                bad.push(format!("{from} -> {to} points up (or sideways) the layers"));
            }
        }
    }
    for (a, b, why) in ALLOWED {
        if !g.get(*a).is_some_and(|s| s.contains(*b)) {
            bad.push(format!("ALLOWED lists {a} -> {b} ({why}), which no longer exists: remove it"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // Cycles among the layered modules, the allowed arrows excepted (they are the known debt).
    let mut layered = g.clone();
    for (a, b, _) in ALLOWED {
        if let Some(s) = layered.get_mut(*a) {
            s.remove(*b);
        }
    }
    assert_eq!(find_cycle(&layered), None, "a cycle in the module graph");
}

#[test]
fn cycle_finder_finds_cycles() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), ["b".to_string()].into()),
        ("b".to_string(), ["c".to_string()].into()),
        ("c".to_string(), ["a".to_string()].into()),
    ]
    .into();
    assert_eq!(find_cycle(&g), Some(["a", "b", "c", "a"].map(String::from).to_vec()));
    let dag: BTreeMap<String, BTreeSet<String>> =
        [("a".to_string(), ["b".to_string()].into()), ("b".to_string(), BTreeSet::new())].into();
    assert_eq!(find_cycle(&dag), None);
}
