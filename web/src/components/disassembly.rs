//! Disassembly panel: Intel-syntax listing (iced-x86 formatter) with the instruction at RIP highlighted.
use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use yew::prelude::*;

/// One listed instruction.
#[derive(Clone, PartialEq, Debug)]
pub struct Line {
    pub addr: u64,
    pub bytes: String,
    pub text: String,
}

/// Linear-sweep listing of `code` loaded at `base`; if `rip` is outside it, a listing from `rip` of
/// `extra` bytes is appended (e.g. code the program jumped to).
pub fn listing(code: &[u8], base: u64) -> Vec<Line> {
    let mut f = IntelFormatter::new();
    f.options_mut().set_hex_prefix("0x");
    f.options_mut().set_hex_suffix("");
    f.options_mut().set_uppercase_hex(false);
    let mut out = Vec::new();
    let mut d = Decoder::with_ip(64, code, base, DecoderOptions::NONE);
    let mut s = String::new();
    for ins in &mut d {
        s.clear();
        f.format(&ins, &mut s);
        let off = (ins.ip() - base) as usize;
        let bytes = code[off..off + ins.len()].iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
        out.push(Line { addr: ins.ip(), bytes, text: s.clone() });
    }
    out
}

#[derive(Properties, PartialEq)]
pub struct DisassemblyProps {
    pub lines: std::rc::Rc<Vec<Line>>,
    pub rip: u64,
}

#[function_component(Disassembly)]
pub fn disassembly(p: &DisassemblyProps) -> Html {
    html! {
        <section class="panel disassembly" aria-label="Disassembly">
            <h2>{"Disassembly"}</h2>
            <table class="mono">
                { for p.lines.iter().map(|l| {
                    let cur = l.addr == p.rip;
                    html! {
                        <tr class={classes!(cur.then_some("current"))} aria-current={cur.then_some("step")}>
                            <td class="marker">{ if cur { "▶" } else { "" } }</td>
                            <td class="addr">{format!("{:#x}", l.addr)}</td>
                            <td class="bytes">{l.bytes.clone()}</td>
                            <td class="text">{l.text.clone()}</td>
                        </tr>
                    }
                }) }
            </table>
        </section>
    }
}
