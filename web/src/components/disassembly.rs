//! Disassembly panel: Intel-syntax listing of the loaded program with the instruction at RIP
//! highlighted, labels from the assembler's symbol table, data (db/dw/…/times) shown as data
//! rather than decoded as instructions, and a gutter to click for breakpoints.
#![allow(clippy::cast_possible_truncation, reason = "pixel coordinates, DOM indices and text positions are far below the integer widths they are stored in (float casts saturate)")]
use nestscope_core::asm::Assembled;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use yew::prelude::*;

/// One listed instruction (or data line).
#[derive(Clone, PartialEq, Debug)]
pub struct Line {
    pub addr: u64,
    pub bytes: String,
    pub text: String,
    /// Labels at this address (from the assembler's symbol table).
    pub labels: Vec<String>,
    /// The assembler emitted these bytes as data.
    pub data: bool,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// Linear-sweep listing of `code` loaded at `base` (the core's NASM-style disassembler).
pub fn listing(code: &[u8], base: u64) -> Vec<Line> {
    listing_bits(code, base, 64)
}

/// The same for a `bits`-bit code segment (16, 32 or 64).
pub fn listing_bits(code: &[u8], base: u64, bits: u32) -> Vec<Line> {
    nestscope_core::asm::disassemble_bits(code, base, bits)
        .into_iter()
        .map(|(addr, bytes, text)| Line { addr, bytes: hex(&bytes), text, labels: Vec::new(), data: false })
        .collect()
}

/// Whether a source line emits data: its first word (after a label) is a data directive.
pub fn is_data_line(src: &str) -> bool {
    let code = src.split(';').next().unwrap_or("");
    let mut words = code.split_whitespace().map(str::to_ascii_lowercase).peekable();
    if words.peek().is_some_and(|w| w.ends_with(':')) {
        words.next();
    }
    const DATA: [&str; 12] = ["db", "dw", "dd", "dq", "dt", "do", "resb", "resw", "resd", "resq", "incbin", "dy"];
    match words.next().as_deref() {
        Some("times") => words.any(|w| DATA.contains(&w.as_str())),
        Some(w) => DATA.contains(&w),
        None => false,
    }
}

/// "db 'L2', 0x0a" style text of data bytes: printable runs as a string, the rest as hex.
fn data_text(b: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut run = String::new();
    for &c in b {
        if (0x20..0x7f).contains(&c) && c != b'\'' {
            run.push(c as char);
        } else {
            if !run.is_empty() {
                parts.push(format!("'{}'", std::mem::take(&mut run)));
            }
            parts.push(format!("{c:#04x}"));
        }
    }
    if !run.is_empty() {
        parts.push(format!("'{run}'"));
    }
    format!("db {}", parts.join(", "))
}

/// Bytes shown as data: `db` lines of up to 8 bytes from `at`.
pub fn data_lines(bytes: &[u8], at: u64) -> Vec<Line> {
    bytes
        .chunks(8)
        .zip((at..).step_by(8))
        .map(|(b, addr)| Line { addr, bytes: hex(b), text: data_text(b), labels: Vec::new(), data: true })
        .collect()
}

/// The listing of an assembled program: data lines as `db`, code disassembled between them,
/// labels attached (local labels as `parent.local`, `equ` constants that are not addresses in
/// the program are left out).
pub fn listing_of(a: &Assembled, source: &str) -> Vec<Line> {
    let src: Vec<&str> = source.lines().collect();
    let end = a.origin + a.bytes.len() as u64;
    // Data ranges, program-relative.
    let mut data: Vec<(u64, u64)> = a
        .lines
        .iter()
        .filter(|l| l.len > 0 && src.get(l.line as usize - 1).is_some_and(|s| is_data_line(s)))
        .map(|l| (l.offset, l.offset + u64::from(l.len)))
        .collect();
    data.sort_unstable();
    let mut labels: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    // Addresses where an `equ` constant and not a label lives are unknowable here: keep symbols
    // that name a line start.
    let starts: BTreeSet<u64> = a.lines.iter().map(|l| a.origin + l.offset).collect();
    for (name, &v) in &a.symbols {
        if (a.origin..end).contains(&v) && starts.contains(&v) {
            labels.entry(v).or_default().push(name.clone());
        }
    }
    let mut out = Vec::new();
    let mut pos = 0u64;
    let code = |from: u64, to: u64, out: &mut Vec<Line>| {
        if to > from {
            out.extend(listing(&a.bytes[from as usize..to as usize], a.origin + from));
        }
    };
    for (s, e) in data {
        if s < pos {
            continue;
        }
        code(pos, s, &mut out);
        out.extend(data_lines(&a.bytes[s as usize..e as usize], a.origin + s));
        pos = e;
    }
    code(pos, a.bytes.len() as u64, &mut out);
    for l in &mut out {
        if let Some(names) = labels.get(&l.addr) {
            l.labels = names.clone();
        }
    }
    out
}

#[derive(Properties, PartialEq)]
pub struct DisassemblyProps {
    pub lines: Rc<Vec<Line>>,
    pub rip: u64,
    #[prop_or_default]
    pub breakpoints: BTreeSet<u64>,
    /// Set or clear a breakpoint at an address (the gutter was clicked).
    #[prop_or_default]
    pub on_toggle: Callback<u64>,
    /// Which level's code runs (for the heading).
    #[prop_or_default]
    pub level: AttrValue,
}

#[function_component(Disassembly)]
pub fn disassembly(p: &DisassemblyProps) -> Html {
    // Keep the current instruction visible: scroll the panel (not the page) when it is outside.
    let panel = use_node_ref();
    {
        let panel = panel.clone();
        // In the next animation frame: measuring rows right after the DOM changed would force a
        // layout of the whole page inside the Step (its latency); in the frame it is the layout
        // the browser does anyway.
        use_effect_with(p.rip, move |_| {
            let scroll = move || {
                let Some(el) = panel.cast::<web_sys::HtmlElement>() else { return };
                let Ok(Some(row)) = el.query_selector("tr.current") else { return };
                let (r, p) = (row.get_bounding_client_rect(), el.get_bounding_client_rect());
                if r.top() < p.top() + 30.0 || r.bottom() > p.bottom() {
                    let top = r.top() - p.top() + el.scroll_top() as f64;
                    el.set_scroll_top((top - p.height() / 3.0).max(0.0) as i32);
                }
            };
            let cb = wasm_bindgen::closure::Closure::once_into_js(scroll);
            if let Some(w) = web_sys::window() {
                let _ = w.request_animation_frame(wasm_bindgen::JsCast::unchecked_ref(&cb));
            }
        });
    }
    let title = if p.level.is_empty() { "Disassembly".to_string() } else { format!("Disassembly ({} runs)", p.level) };
    html! {
        <section class="panel disassembly" aria-label="Disassembly" ref={panel}>
            <h2>{title}</h2>
            <table class="mono">
                { for (0..p.lines.len()).map(|i| {
                    let a = p.lines[i].addr;
                    html! { <Row key={i} lines={p.lines.clone()} {i} cur={a == p.rip} bp={p.breakpoints.contains(&a)}
                        on_toggle={p.on_toggle.clone()} /> }
                }) }
            </table>
        </section>
    }
}

#[derive(Properties)]
struct RowProps {
    lines: Rc<Vec<Line>>,
    i: usize,
    cur: bool,
    bp: bool,
    on_toggle: Callback<u64>,
}

/// Rows compare by their line and marks only: the toggle callback is a new value at every render
/// of the app but always does the same (toggle the breakpoint at the row's address), so a Step
/// re-renders just the two rows whose marker moved, not the whole listing.
impl PartialEq for RowProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.lines, &o.lines) && self.i == o.i && self.cur == o.cur && self.bp == o.bp
    }
}

#[function_component(Row)]
fn row(p: &RowProps) -> Html {
    let Some(l) = p.lines.get(p.i) else { return Html::default() };
    let (cur, bp) = (p.cur, p.bp);
    let toggle = { let (cb, a) = (p.on_toggle.clone(), l.addr); Callback::from(move |_: MouseEvent| cb.emit(a)) };
    html! {
        <>
        if !l.labels.is_empty() {
            <tr class="label-row"><td></td><td colspan="4" class="label">{format!("{}:", l.labels.join(":, "))}</td></tr>
        }
        <tr class={classes!(cur.then_some("current"), bp.then_some("bp"), l.data.then_some("data"))}
            aria-current={cur.then_some("step")} data-addr={format!("{:#x}", l.addr)}>
            <td class="gutter">
                if !l.data {
                    <button class="bp-toggle" onclick={toggle} aria-pressed={bp.to_string()}
                        aria-label={format!("Breakpoint at {:#x}", l.addr)}>{ if bp { "●" } else { "" } }</button>
                }
            </td>
            <td class="marker">{ if cur { "▶" } else { "" } }</td>
            <td class="addr">{format!("{:#x}", l.addr)}</td>
            <td class="bytes">{l.bytes.clone()}</td>
            <td class="text">{l.text.clone()}</td>
        </tr>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_lines_are_listed_as_data_and_labels_head_their_rows() {
        let sc = nestscope_core::scenario::catalog::get("hello-vmrun").unwrap().unwrap();
        let a = nestscope_core::asm::assemble(&sc.source).unwrap();
        let lines = listing_of(&a, &sc.source);
        // Every byte is listed exactly once, in address order.
        let mut next = a.origin;
        for l in &lines {
            assert_eq!(l.addr, next, "{l:?}");
            next += l.bytes.split(' ').count() as u64;
        }
        assert_eq!(next, a.origin + a.bytes.len() as u64);
        // The message after the code: data, from its label on, with its text.
        let msg = a.symbols["msg"];
        let first = lines.iter().find(|l| l.addr == msg).expect("a line at msg");
        assert!(first.data && first.labels == ["msg"], "{first:?}");
        assert_eq!(first.text, "db 'L1: L2 e'");
        assert!(lines.iter().filter(|l| l.addr >= msg).all(|l| l.data));
        // L2's entry: an instruction line with its label.
        let guest = lines.iter().find(|l| l.addr == a.symbols["guest"]).expect("a line at guest");
        assert!(!guest.data && guest.labels == ["guest"], "{guest:?}");
    }

    #[test]
    fn data_directives_are_recognised_after_a_label_and_in_times() {
        assert!(is_data_line("msg: db \"hi\", 0"));
        assert!(is_data_line("  dq 0x1234 ; a pointer"));
        assert!(is_data_line("times 16 db 0"));
        assert!(!is_data_line("  mov al, 'd' ; db in a comment"));
        assert!(!is_data_line("times 4 nop"));
        assert!(!is_data_line("done:"));
    }
}
