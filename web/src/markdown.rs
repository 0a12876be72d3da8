//! The markdown subset the catalog's teaching notes and the reference documents use: `#`
//! headings, paragraphs, `-`/`*`/`1.` lists, pipe tables, fenced code and `inline code`. Parsed
//! into blocks (tested natively), rendered by [`render`]; a "§N.M" citation becomes a link that
//! opens the Reference panel there (through the [`OpenRef`] context, when the app provides it).
use yew::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Para(String),
    List { ordered: bool, items: Vec<String> },
    Table { head: Vec<String>, rows: Vec<Vec<String>> },
    Code(String),
    /// `#`…`######` and the text.
    Heading(u8, String),
}

/// A heading line: its level and text ("## 9 KVM" → (2, "9 KVM")); "#VMEXIT" is no heading.
fn heading(line: &str) -> Option<(u8, &str)> {
    let hashes = line.chars().take_while(|c| *c == '#').count();
    let level = u8::try_from(hashes).ok().filter(|h| (1..=6).contains(h))?;
    line[hashes..].strip_prefix(' ').map(|t| (level, t.trim()))
}

fn cells(line: &str) -> Vec<String> {
    let t = line.trim().trim_start_matches('|').trim_end_matches('|');
    t.split('|').map(|c| c.trim().to_string()).collect()
}

fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.chars().all(|c| "|-: ".contains(c)) && t.contains('-')
}

/// A list item's text, if the line starts one.
fn item(line: &str) -> Option<(bool, &str)> {
    let t = line.trim_start();
    if let Some(r) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
        return Some((false, r));
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    (digits > 0).then(|| t[digits..].strip_prefix(". ").map(|r| (true, r))).flatten()
}

pub fn parse(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.trim().lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.trim().is_empty() {
            i += 1;
        } else if let Some((level, t)) = heading(l) {
            out.push(Block::Heading(level, t.to_string()));
            i += 1;
        } else if l.trim_start().starts_with("```") {
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                code.push(lines[i]);
                i += 1;
            }
            i += 1;
            out.push(Block::Code(code.join("\n")));
        } else if l.trim_start().starts_with('|') && lines.get(i + 1).is_some_and(|n| is_rule(n)) {
            let head = cells(l);
            i += 2;
            let mut rows = Vec::new();
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                rows.push(cells(lines[i]));
                i += 1;
            }
            out.push(Block::Table { head, rows });
        } else if let Some((ordered, first)) = item(l) {
            let mut items = vec![first.to_string()];
            i += 1;
            while i < lines.len() && !lines[i].trim().is_empty() {
                match item(lines[i]) {
                    Some((_, t)) => items.push(t.to_string()),
                    // A continuation line of the item before.
                    None => {
                        if let Some(last) = items.last_mut() {
                            last.push(' ');
                            last.push_str(lines[i].trim());
                        }
                    }
                }
                i += 1;
            }
            out.push(Block::List { ordered, items });
        } else {
            let mut para = Vec::new();
            while i < lines.len()
                && !lines[i].trim().is_empty()
                && item(lines[i]).is_none()
                && heading(lines[i]).is_none()
                && !lines[i].trim_start().starts_with("```")
                && !(lines[i].trim_start().starts_with('|') && lines.get(i + 1).is_some_and(|n| is_rule(n)))
            {
                para.push(lines[i].trim());
                i += 1;
            }
            out.push(Block::Para(para.join(" ")));
        }
    }
    out
}

/// Opens the Reference panel at a section ("9.7"); provided by the app as a context.
#[derive(Clone, PartialEq)]
pub struct OpenRef(pub Callback<String>);

/// Splits text at "§N[.M…]" citations: (text before, Some(section)) pairs, the last with None.
fn split_citations(text: &str) -> Vec<(&str, Option<&str>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('§') {
        let after = &rest[at + '§'.len_utf8()..];
        let n = after.char_indices().take_while(|(_, c)| c.is_ascii_digit() || *c == '.').last().map_or(0, |(i, c)| i + c.len_utf8());
        let sec = after[..n].trim_end_matches('.');
        if sec.is_empty() {
            out.push((&rest[..at + '§'.len_utf8()], None));
            rest = after;
            continue;
        }
        out.push((&rest[..at], Some(sec)));
        rest = &after[sec.len()..];
    }
    out.push((rest, None));
    out
}

/// Every "§N.M" cited in `text` (in order, with repeats).
pub fn citations(text: &str) -> Vec<String> {
    split_citations(text).into_iter().filter_map(|(_, s)| s.map(str::to_string)).collect()
}

#[derive(Properties, PartialEq)]
pub struct CiteProps {
    pub sec: AttrValue,
}

/// A citation: a link to the Reference panel where the app gives one, else the plain "§N.M".
#[function_component(Cite)]
pub fn cite(p: &CiteProps) -> Html {
    let open = use_context::<OpenRef>();
    let text = format!("§{}", p.sec);
    match open {
        None => html! { {text} },
        Some(OpenRef(cb)) => {
            let sec = p.sec.to_string();
            let onclick = Callback::from(move |e: MouseEvent| {
                e.prevent_default();
                cb.emit(sec.clone());
            });
            html! { <a class="cite" href="" data-sec={p.sec.clone()} title={format!("Reference §{} (opens the Reference panel)", p.sec)} {onclick}>{text}</a> }
        }
    }
}

/// Plain text with its citations as links.
fn cited(text: &str) -> Html {
    split_citations(text)
        .into_iter()
        .map(|(t, sec)| html! { <>{t.to_string()}{ for sec.map(|s| html! { <Cite sec={AttrValue::from(s.to_string())} /> }) }</> })
        .collect()
}

/// Text with `inline code` spans and § citations.
fn inline(text: &str) -> Html {
    text.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { html! { <code>{part.to_string()}</code> } } else { cited(part) })
        .collect()
}

/// The id of a reference heading ("9.7 Nested-state…" → "ref-9.7"), if it starts with a number.
pub fn heading_id(text: &str) -> Option<String> {
    crate::help::heading_section(text).map(|s| format!("ref-{s}"))
}

pub fn render(text: &str, class: &'static str) -> Html {
    parse(text)
        .into_iter()
        .map(|b| match b {
            Block::Para(t) => html! { <p class={class}>{inline(&t)}</p> },
            Block::List { ordered: false, items } => {
                html! { <ul class={class}>{ for items.iter().map(|t| html! { <li>{inline(t)}</li> }) }</ul> }
            }
            Block::List { ordered: true, items } => {
                html! { <ol class={class}>{ for items.iter().map(|t| html! { <li>{inline(t)}</li> }) }</ol> }
            }
            Block::Table { head, rows } => html! {
                <div class="md-table"><table class={classes!("md", class)}>
                    <thead><tr>{ for head.iter().map(|h| html! { <th>{inline(h)}</th> }) }</tr></thead>
                    <tbody>{ for rows.iter().map(|r| html! {
                        <tr>{ for r.iter().map(|c| html! { <td>{inline(c)}</td> }) }</tr>
                    }) }</tbody>
                </table></div>
            },
            Block::Code(t) => html! { <pre class={classes!("md-code", class)}><code>{t}</code></pre> },
            Block::Heading(level, t) => {
                let id = heading_id(&t);
                let inner = inline(&t);
                match level {
                    1 => html! { <h2 class={class} {id}>{inner}</h2> },
                    2 => html! { <h3 class={class} {id}>{inner}</h3> },
                    3 => html! { <h4 class={class} {id}>{inner}</h4> },
                    _ => html! { <h5 class={class} {id}>{inner}</h5> },
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_lists_code_and_paragraphs() {
        let text = "Intro line one\nline two.\n\n| a | b |\n|---|:-:|\n| 1 | `x` |\n| 2 | y |\n\n- first\n  goes on\n- second\n\n1. one\n2. two\n\n```\nmov eax, 1\n```\nafter";
        assert_eq!(
            parse(text),
            vec![
                Block::Para("Intro line one line two.".into()),
                Block::Table {
                    head: vec!["a".into(), "b".into()],
                    rows: vec![vec!["1".into(), "`x`".into()], vec!["2".into(), "y".into()]]
                },
                Block::List { ordered: false, items: vec!["first goes on".into(), "second".into()] },
                Block::List { ordered: true, items: vec!["one".into(), "two".into()] },
                Block::Code("mov eax, 1".into()),
                Block::Para("after".into()),
            ]
        );
    }

    #[test]
    fn headings_and_citations() {
        assert_eq!(
            parse("# Reference §9: KVM\n\n### 9.7 ABI\ntext §9.7 and §5.1-5.2.\n#VMEXIT is text"),
            vec![
                Block::Heading(1, "Reference §9: KVM".into()),
                Block::Heading(3, "9.7 ABI".into()),
                Block::Para("text §9.7 and §5.1-5.2. #VMEXIT is text".into()),
            ]
        );
        assert_eq!(citations("(§9.7), §5.1-5.2. and § alone, §14."), vec!["9.7", "5.1", "14"]);
        assert_eq!(heading_id("9.7 Nested-state ABI").as_deref(), Some("ref-9.7"));
        assert_eq!(heading_id("Facts"), None);
    }

    #[test]
    fn every_catalog_note_with_a_pipe_table_parses_into_a_table() {
        let scenarios = nestscope_core::scenario::catalog::load().expect("the catalog parses");
        let mm = scenarios.iter().find(|s| s.name == "memtype-matrix").expect("memtype-matrix");
        let tables: Vec<_> = parse(&mm.teaching_notes).into_iter().filter(|b| matches!(b, Block::Table { .. })).collect();
        assert_eq!(tables.len(), 2, "the PAT entry table and the per-page table");
        let Block::Table { head, rows } = &tables[1] else { unreachable!() };
        assert_eq!(head[0], "page");
        assert_eq!(rows.len(), 8, "pages 0x600000..0x607000");
        assert_eq!(rows[0][0], "0x600000");
    }
}
