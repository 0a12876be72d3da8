//! Every citation in the sources resolves to the reference inside the repository (`docs/`).
//!
//! Convention (docs/README.md): "reference §X.Y" — and a bare "§X.Y" — names the heading numbered
//! X.Y in `docs/reference/*.md`; "CONTRACT §N" names the heading numbered N in `docs/contract.md`;
//! "§X.Y step N" (or "steps N–M") names item N of a numbered list inside that section; a `docs/…`
//! path must name a file that exists. "APM …" citations name sections of the AMD manual, which is
//! not in the repository: they are checked for form only (chapter.section numbers, "Table N-M",
//! "Appendix X").

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root (this file lives in `core/tests`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("core/ has a parent").to_path_buf()
}

/// Where citations are looked for: the three crates' sources and tests, and the top-level docs.
const SCANNED: &[&str] =
    &["core/src", "cli/src", "web/src", "core/tests", "cli/tests", "web/tests", "tests", "README.md", "BENCHMARKS.md"];

/// This file: its examples of bad citations must not count as citations.
const SELF: &str = "core/tests/citations.rs";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Reference,
    Contract,
}

/// One citation found in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Citation {
    target: Target,
    section: String,
    /// Numbered-list items cited inside the section ("step 4", "steps 3–4").
    steps: Vec<u32>,
}

/// A numbered heading in docs/: its number and the text up to the next heading of the same or
/// a higher level.
#[derive(Debug, Default)]
struct Sections {
    body: BTreeMap<String, String>,
    /// Which file each heading is in (for the index check).
    file: BTreeMap<String, String>,
}

/// "1", "4.2", "12.3" at the start of a heading's text (a trailing '.' allowed: "1. Machine").
fn heading_number(line: &str) -> Option<(usize, String)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if level == 0 || !line[level..].starts_with(' ') {
        return None;
    }
    let text = line[level..].trim_start();
    let num: String = text.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let num = num.trim_end_matches('.').to_string();
    let well_formed = !num.is_empty() && num.split('.').all(|p| !p.is_empty());
    let rest =
        &text[text.char_indices().find(|&(_, c)| !(c.is_ascii_digit() || c == '.')).map_or(text.len(), |(i, _)| i)..];
    (well_formed && (rest.is_empty() || rest.starts_with(' '))).then_some((level, num))
}

fn sections_of(files: &[(String, String)]) -> Sections {
    let mut s = Sections::default();
    for (name, text) in files {
        let mut open: Vec<(usize, String)> = Vec::new();
        let mut in_fence = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            if !in_fence {
                if let Some((level, num)) = heading_number(line) {
                    open.retain(|(l, _)| *l < level);
                    assert!(
                        s.file.insert(num.clone(), name.clone()).is_none(),
                        "§{num} is a heading twice in docs/ (second time in {name})"
                    );
                    s.body.insert(num.clone(), String::new());
                    open.push((level, num));
                    continue;
                } else if line.starts_with('#') {
                    // An unnumbered heading ("## Sources") closes the sections at its level;
                    // "#VMEXIT" at the start of a line is text, not a heading.
                    let level = line.bytes().take_while(|&b| b == b'#').count();
                    if line[level..].starts_with(' ') {
                        open.retain(|(l, _)| *l < level);
                    }
                }
            }
            for (_, num) in &open {
                let b = s.body.get_mut(num).expect("opened above");
                b.push_str(line);
                b.push('\n');
            }
        }
    }
    s
}

/// Parses "N" or "N.M…" at the start of `s`; returns it and the rest.
fn take_number(s: &str) -> Option<(String, &str)> {
    let end = s.char_indices().find(|&(_, c)| !(c.is_ascii_digit() || c == '.')).map_or(s.len(), |(i, _)| i);
    let num = s[..end].trim_end_matches('.');
    let ok = !num.is_empty() && num.split('.').all(|p| !p.is_empty() && p.len() <= 3);
    ok.then(|| (num.to_string(), &s[num.len()..]))
}

/// Strips a range dash ("-", "–", "—") before a second number written without '§' ("§5.1-5.2");
/// a second number with its own sign ("§9.2–§9.7") is found as a citation of its own.
fn after_dash(s: &str) -> Option<&str> {
    let s = s.strip_prefix('-').or_else(|| s.strip_prefix('–')).or_else(|| s.strip_prefix('—'))?;
    s.starts_with(|c: char| c.is_ascii_digit()).then_some(s)
}

/// "step 4", "steps 3–4", "step 4 and 5" right after a citation.
fn take_steps(s: &str) -> Vec<u32> {
    let s = s.trim_start();
    let Some(rest) = s.strip_prefix("steps ").or_else(|| s.strip_prefix("step ")) else { return Vec::new() };
    let digits = |t: &str| -> Option<(u32, usize)> {
        let n = t.bytes().take_while(u8::is_ascii_digit).count();
        t[..n].parse().ok().map(|v| (v, n))
    };
    let Some((a, n)) = digits(rest) else { return Vec::new() };
    let rest = &rest[n..];
    let b = rest
        .strip_prefix('-')
        .or_else(|| rest.strip_prefix('–'))
        .or_else(|| rest.strip_prefix(" and "))
        .and_then(digits)
        .map(|(b, _)| b);
    match b {
        Some(b) if b >= a && b - a < 20 => (a..=b).collect(),
        _ => vec![a],
    }
}

/// The word right before byte `at`, skipping spaces and an opening parenthesis.
fn word_before(text: &str, at: usize) -> &str {
    let head = text[..at].trim_end_matches([' ', '(', '[', '"', '*']);
    let start = head
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '.' || c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &head[start..]
}

/// All "§" citations in `text`, with the line number of each.
fn citations(text: &str) -> Vec<(usize, Citation)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices('§') {
        let prev = word_before(text, i);
        if text[..i].ends_with('§') {
            continue; // "§§": the second sign of a pair
        }
        let target = match prev {
            "CONTRACT" | "CONTRACT.md" | "contract" | "contract.md" => Target::Contract,
            // Another document's own numbering (the APM, the SDM): checked for form elsewhere.
            "APM" | "SDM" => continue,
            w if w.starts_with("vol") || w.starts_with("Vol") => continue, // e.g. the SDM's "vol.3A" before its own section number
            _ => Target::Reference,
        };
        let line = text[..i].matches('\n').count() + 1;
        let rest = text[i..].trim_start_matches('§').trim_start();
        let Some((first, mut rest)) = take_number(rest) else { continue };
        let mut nums = vec![first];
        if let Some((second, r2)) = after_dash(rest).and_then(take_number) {
            nums.push(second);
            rest = r2;
        }
        let steps = take_steps(rest);
        let last = nums.len() - 1;
        for (k, n) in nums.into_iter().enumerate() {
            let steps = if k == last { steps.clone() } else { Vec::new() };
            out.push((line, Citation { target, section: n, steps }));
        }
    }
    out
}

/// `docs/…` paths in `text` (up to the first character that cannot be in a path).
fn docs_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("docs/") {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.') {
            continue; // "rustdocs/", "../docs/" is fine below but "x.docs/" is not ours
        }
        let path: String =
            text[i..].chars().take_while(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-')).collect();
        let path = path.trim_end_matches(['.', '/']).to_string();
        let line = text[..i].matches('\n').count() + 1;
        out.push((line, path));
    }
    out
}

/// Checks the form of every "APM …" section citation; returns (count checked, problems).
fn apm_problems(text: &str) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut bad = Vec::new();
    for (i, _) in text.match_indices("APM") {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut rest = &text[i + 3..];
        if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '\'') {
            continue; // "APM's", "APMs", an identifier
        }
        let line = text[..i].matches('\n').count() + 1;
        rest = rest.trim_start_matches([' ', ',']);
        for vol in ["volume ", "vol. ", "vol.", "Vol. ", "Vol."] {
            if let Some(r) = rest.strip_prefix(vol) {
                let n = r.bytes().take_while(u8::is_ascii_digit).count();
                if !(1..=1).contains(&n) || !(1..=6).contains(&r[..n].parse::<u32>().unwrap_or(0)) {
                    bad.push(format!("line {line}: APM volume is not 1-6: {:?}", &text[i..(i + 24).min(text.len())]));
                }
                rest = r[n..].trim_start_matches([' ', ',']);
                rest = rest.strip_prefix("section ").or_else(|| rest.strip_prefix("Section ")).unwrap_or(rest);
                break;
            }
        }
        let rest = rest.strip_prefix('§').unwrap_or(rest);
        // The publication number ("APM 24593 Rev. 3.42") is not a section.
        let rest = rest.strip_prefix("24593").map_or(rest, |r| r.trim_start_matches([' ', ',']));
        if let Some(r) = rest.strip_prefix("Table ").or_else(|| rest.strip_prefix("Figure ")) {
            checked += 1;
            // "15-19", and in the appendices "B-4".
            let n = r.bytes().take_while(|b| b.is_ascii_digit() || b.is_ascii_uppercase()).count();
            let ok = n > 0 && r[n..].starts_with('-') && r[n + 1..].starts_with(|c: char| c.is_ascii_digit());
            if !ok {
                bad.push(format!("line {line}: APM table/figure not \"N-M\": {:?}", &r[..r.len().min(12)]));
            }
            continue;
        }
        if let Some(r) = rest.strip_prefix("Appendix ") {
            checked += 1;
            if !r.starts_with(|c: char| c.is_ascii_uppercase()) {
                bad.push(format!("line {line}: APM appendix is not a letter: {:?}", &r[..r.len().min(12)]));
            }
            continue;
        }
        // Section numbers: "15.25.4", "15.25.5–15.25.7", "15.25.3/15.25.4", "15.7–15.12".
        let mut cur = rest;
        loop {
            if !cur.starts_with(|c: char| c.is_ascii_digit()) {
                break;
            }
            checked += 1;
            let end =
                cur.char_indices().find(|&(_, c)| !(c.is_ascii_digit() || c == '.')).map_or(cur.len(), |(k, _)| k);
            let raw = &cur[..end];
            let num = raw.trim_end_matches('.');
            let parts: Vec<&str> = num.split('.').collect();
            let chapter = parts[0].parse::<u32>().unwrap_or(0);
            let ok = parts.len() <= 5
                && (1..=20).contains(&chapter)
                && parts.iter().all(|p| !p.is_empty() && p.len() <= 2 && p.parse::<u32>().is_ok_and(|v| v > 0));
            if !ok {
                bad.push(format!("line {line}: malformed APM section {num:?}"));
            }
            cur = &cur[num.len()..];
            let next = cur.strip_prefix('–').or_else(|| cur.strip_prefix('-')).or_else(|| cur.strip_prefix('/'));
            match next {
                Some(n) if n.starts_with(|c: char| c.is_ascii_digit()) => cur = n,
                _ => break,
            }
        }
    }
    (checked, bad)
}

/// Every file under `path` (or `path` itself), relative to the root, with its text.
fn text_files(root: &Path, path: &str) -> Vec<(String, String)> {
    let full = root.join(path);
    let mut out = Vec::new();
    if full.is_file() {
        if let Ok(t) = fs::read_to_string(&full) {
            out.push((path.to_string(), t));
        }
        return out;
    }
    let Ok(entries) = fs::read_dir(&full) else { return out };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        out.extend(text_files(root, &format!("{path}/{name}")));
    }
    out
}

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
            if name == SELF {
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
            if name == SELF {
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
