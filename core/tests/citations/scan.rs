//! The scanner behind the citations test: numbered headings in docs/, "§" citations, `docs/`
//! paths and "APM …" section numbers in source text.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Target {
    Reference,
    Contract,
}

/// One citation found in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Citation {
    pub(crate) target: Target,
    pub(crate) section: String,
    /// Numbered-list items cited inside the section ("step 4", "steps 3–4").
    pub(crate) steps: Vec<u32>,
}

/// A numbered heading in docs/: its number and the text up to the next heading of the same or
/// a higher level.
#[derive(Debug, Default)]
pub(crate) struct Sections {
    pub(crate) body: BTreeMap<String, String>,
    /// Which file each heading is in (for the index check).
    pub(crate) file: BTreeMap<String, String>,
}

/// "1", "4.2", "12.3" at the start of a heading's text (a trailing '.' allowed: "1. Machine").
pub(crate) fn heading_number(line: &str) -> Option<(usize, String)> {
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

pub(crate) fn sections_of(files: &[(String, String)]) -> Sections {
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
pub(crate) fn take_number(s: &str) -> Option<(String, &str)> {
    let end = s.char_indices().find(|&(_, c)| !(c.is_ascii_digit() || c == '.')).map_or(s.len(), |(i, _)| i);
    let num = s[..end].trim_end_matches('.');
    let ok = !num.is_empty() && num.split('.').all(|p| !p.is_empty() && p.len() <= 3);
    ok.then(|| (num.to_string(), &s[num.len()..]))
}

/// Strips a range dash ("-", "–", "—") before a second number written without '§' ("§5.1-5.2");
/// a second number with its own sign ("§9.2–§9.7") is found as a citation of its own.
pub(crate) fn after_dash(s: &str) -> Option<&str> {
    let s = s.strip_prefix('-').or_else(|| s.strip_prefix('–')).or_else(|| s.strip_prefix('—'))?;
    s.starts_with(|c: char| c.is_ascii_digit()).then_some(s)
}

/// "step 4", "steps 3–4", "step 4 and 5" right after a citation.
pub(crate) fn take_steps(s: &str) -> Vec<u32> {
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
pub(crate) fn word_before(text: &str, at: usize) -> &str {
    let head = text[..at].trim_end_matches([' ', '(', '[', '"', '*']);
    let start = head
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '.' || c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &head[start..]
}

/// All "§" citations in `text`, with the line number of each.
pub(crate) fn citations(text: &str) -> Vec<(usize, Citation)> {
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
pub(crate) fn docs_paths(text: &str) -> Vec<(usize, String)> {
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
pub(crate) fn apm_problems(text: &str) -> (usize, Vec<String>) {
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
pub(crate) fn text_files(root: &Path, path: &str) -> Vec<(String, String)> {
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
