//! Disassembly panel: Intel-syntax listing (iced-x86 formatter) with the instruction at RIP highlighted.
use yew::prelude::*;

/// One listed instruction.
#[derive(Clone, PartialEq, Debug)]
pub struct Line {
    pub addr: u64,
    pub bytes: String,
    pub text: String,
}

/// Linear-sweep listing of `code` loaded at `base` (the core's NASM-style disassembler).
pub fn listing(code: &[u8], base: u64) -> Vec<Line> {
    nestscope_core::asm::disassemble(code, base)
        .into_iter()
        .map(|(addr, bytes, text)| Line {
            addr,
            bytes: bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" "),
            text,
        })
        .collect()
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
