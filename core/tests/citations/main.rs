//! Every citation in the sources resolves to the reference inside the repository (`docs/`).
//!
//! Convention (docs/README.md): "reference §X.Y" — and a bare "§X.Y" — names the heading numbered
//! X.Y in `docs/reference/*.md`; "CONTRACT §N" names the heading numbered N in `docs/contract.md`;
//! "§X.Y step N" (or "steps N–M") names item N of a numbered list inside that section; a `docs/…`
//! path must name a file that exists. "APM …" citations name sections of the AMD manual, which is
//! not in the repository: they are checked for form only (chapter.section numbers, "Table N-M",
//! "Appendix X").
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root (this test lives in `core/tests/citations/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("core/ has a parent").to_path_buf()
}

mod scan;
use scan::{apm_problems, citations, docs_paths, sections_of, text_files, Sections, Target};

/// Where citations are looked for: the three crates' sources and tests, and the top-level docs.
const SCANNED: &[&str] =
    &["core/src", "cli/src", "web/src", "core/tests", "cli/tests", "web/tests", "tests", "README.md", "BENCHMARKS.md"];

/// This test's own files: their examples of bad citations must not count as citations.
const SELF: &str = "core/tests/citations/";

fn docs() -> (Sections, Sections, String) {
    let root = root();
    let mut reference: Vec<(String, String)> =
        text_files(&root, "docs/reference").into_iter().filter(|(n, _)| n.ends_with(".md")).collect();
    reference.sort();
    assert!(!reference.is_empty(), "docs/reference/*.md missing");
    let contract = text_files(&root, "docs/contract.md");
    assert_eq!(contract.len(), 1, "docs/contract.md missing");
    let index = fs::read_to_string(root.join("docs/README.md")).expect("docs/README.md");
    (sections_of(&reference), sections_of(&contract), index)
}

#[test]
fn every_cited_section_is_a_heading_in_docs() {
    let root = root();
    let (reference, contract, _) = docs();
    let mut problems = Vec::new();
    let mut counts: BTreeMap<Target, usize> = BTreeMap::new();
    let mut steps_checked = 0;
    let mut paths_checked = 0;
    let mut files = 0;
    let mut in_docs = 0;
    // docs/ cites itself too ("see §9.7"): those cross-references must resolve as well.
    for base in SCANNED.iter().chain(&["docs"]) {
        for (name, text) in text_files(&root, base) {
            if name.starts_with(SELF) {
                continue;
            }
            files += 1;
            for (line, c) in citations(&text) {
                if name.starts_with("docs/") {
                    in_docs += 1;
                } else {
                    *counts.entry(c.target).or_default() += 1;
                }
                let (secs, doc) = match c.target {
                    Target::Reference => (&reference, "docs/reference/"),
                    Target::Contract => (&contract, "docs/contract.md"),
                };
                let Some(body) = secs.body.get(&c.section) else {
                    problems.push(format!("{name}:{line}: §{} ({:?}) is not a heading in {doc}", c.section, c.target));
                    continue;
                };
                for n in &c.steps {
                    steps_checked += 1;
                    let item = format!("{n}. ");
                    if !body.lines().any(|l| l.trim_start().starts_with(&item)) {
                        problems.push(format!("{name}:{line}: §{} has no numbered step {n}", c.section));
                    }
                }
            }
            for (line, p) in docs_paths(&text) {
                paths_checked += 1;
                if !root.join(&p).exists() {
                    problems.push(format!("{name}:{line}: {p} does not exist"));
                }
            }
        }
    }
    let r = counts.get(&Target::Reference).copied().unwrap_or(0);
    let k = counts.get(&Target::Contract).copied().unwrap_or(0);
    eprintln!(
        "citations: {files} files; outside docs/ {r} reference §, {k} CONTRACT §; {in_docs} inside docs/; {steps_checked} steps, {paths_checked} docs/ paths"
    );
    assert!(problems.is_empty(), "{} unresolved citation(s):\n{}", problems.len(), problems.join("\n"));
    // The scan itself must find the citations the code is known to carry (else it proves nothing).
    assert!(r > 100 && k > 10, "the scan found too few citations ({r} reference, {k} CONTRACT): is it broken?");
}

#[test]
fn apm_citations_are_well_formed() {
    let root = root();
    let mut checked = 0;
    let mut problems = Vec::new();
    for base in SCANNED.iter().chain(&["docs"]) {
        for (name, text) in text_files(&root, base) {
            if name.starts_with(SELF) {
                continue;
            }
            let (n, bad) = apm_problems(&text);
            checked += n;
            problems.extend(bad.into_iter().map(|b| format!("{name}: {b}")));
        }
    }
    eprintln!("APM citations checked: {checked}");
    assert!(problems.is_empty(), "malformed APM citations:\n{}", problems.join("\n"));
    assert!(checked > 50, "found only {checked} APM citations: is the scan broken?");
}

/// The index (docs/README.md) names the file of every top-level reference section, and the
/// README no longer points at the reference outside the repository.
#[test]
fn index_maps_every_top_level_section_to_its_file() {
    let root = root();
    let (reference, contract, index) = docs();
    for (num, file) in &reference.file {
        if !num.contains('.') {
            let rel = file.trim_start_matches("docs/");
            assert!(index.contains(rel), "docs/README.md does not list {rel} (§{num})");
            assert!(index.contains(&format!("§{num} ")), "docs/README.md has no row for §{num}");
        }
    }
    for n in 1..=12 {
        assert!(reference.body.contains_key(&n.to_string()), "reference §{n} missing");
    }
    for n in 1..=3 {
        assert!(contract.body.contains_key(&n.to_string()), "CONTRACT §{n} missing");
    }
    for base in ["README.md", "docs"] {
        for (name, text) in text_files(&root, base) {
            assert!(
                !text.contains("svm-pat-reference.md"),
                "{name} still points at the reference outside the repository"
            );
        }
    }
}

// ---- the scanner itself (bad citations are built at run time so that the scan above skips them)

#[test]
fn scanner_reads_the_citation_forms_in_use() {
    let s = "§";
    let text = format!(
        "reference {s}4.2 and (CONTRACT {s}3) and {s}9.2–{s}9.7, {s}5.1-5.2; {s}9.4 steps 3–4; APM {s}15.5; Reference {s}6.1."
    );
    let got: Vec<(Target, String, Vec<u32>)> =
        citations(&text).into_iter().map(|(_, c)| (c.target, c.section, c.steps)).collect();
    let r = |s: &str, st: Vec<u32>| (Target::Reference, s.to_string(), st);
    assert_eq!(
        got,
        vec![
            r("4.2", vec![]),
            (Target::Contract, "3".into(), vec![]),
            r("9.2", vec![]),
            r("9.7", vec![]),
            r("5.1", vec![]),
            r("5.2", vec![]),
            r("9.4", vec![3, 4]),
            r("6.1", vec![]),
        ]
    );
}

#[test]
fn a_citation_of_a_missing_section_is_reported() {
    let docs = sections_of(&[("x.md".into(), "## 4 T\n### 4.2 U\n1. one\n2. two\n## 5 V\n".into())]);
    let s = "§";
    let found = citations(&format!("reference {s}4.3, {s}4.2 step 3, {s}4.2 step 2"));
    let missing: Vec<_> = found.iter().filter(|(_, c)| !docs.body.contains_key(&c.section)).collect();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].1.section, "4.3");
    let body = &docs.body["4.2"];
    assert!(body.contains("2. two") && !body.contains("3. "));
    assert!(docs.body["4"].contains("2. two"), "a section's body includes its subsections");
    assert!(!docs.body["4"].contains("## 5"), "a section ends at the next heading of its level");
}

#[test]
fn malformed_apm_citations_are_reported() {
    let (n, bad) = apm_problems(
        "APM 15.25.4, APM vol.2 15.5.1, APM 15.25.5–15.25.7, APM Table 15-19, APM's reading, APM 24593 Rev. 3.42",
    );
    assert_eq!((n, bad.len()), (5, 0), "{bad:?}");
    let (_, bad) = apm_problems("APM 15..2 and APM 150.1 and APM Table 15");
    assert_eq!(bad.len(), 3, "{bad:?}");
}

/// docs/contract.md says what the shared contract says (which outside acceptance programs use).
/// Where the shared material sits beside the repository (developers' machines, CI), the text
/// after the mirror note must equal it; elsewhere only the § structure is checked above.
#[test]
fn contract_mirrors_the_shared_contract() {
    let root = root();
    let ours = fs::read_to_string(root.join("docs/contract.md")).expect("docs/contract.md");
    assert!(
        ours.contains("mirrors the shared contract"),
        "docs/contract.md must say that it mirrors the shared contract"
    );
    let Ok(shared) = fs::read_to_string(root.join("../shared/CONTRACT.md")) else {
        eprintln!("shared CONTRACT.md not beside the repository: mirror check skipped");
        return;
    };
    // Both open with the same title; ours then has the mirror note (a block quote).
    let body = |t: &str| -> String {
        t.lines().skip(1).skip_while(|l| l.trim().is_empty() || l.starts_with('>')).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(ours.lines().next(), shared.lines().next(), "title differs");
    assert_eq!(body(&ours), body(&shared), "docs/contract.md has drifted from the shared CONTRACT.md");
}

/// Every relative Markdown link in docs/ and the README ("[x](reference/01-vmcb.md)") names a file
/// that exists.
#[test]
fn links_in_docs_resolve() {
    let root = root();
    let mut checked = 0;
    let mut problems = Vec::new();
    for base in ["docs", "README.md"] {
        for (name, text) in text_files(&root, base) {
            let dir = Path::new(&name).parent().map(Path::to_path_buf).unwrap_or_default();
            for (i, _) in text.match_indices("](") {
                let target: String = text[i + 2..].chars().take_while(|&c| c != ')' && c != ' ').collect();
                let path = target.split('#').next().unwrap_or("");
                if path.is_empty() || path.contains("://") || path.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                if !root.join(&dir).join(path).exists() {
                    problems.push(format!("{name}: link to {target} does not resolve"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 14, "only {checked} links found in docs/: is the scan broken?");
}
