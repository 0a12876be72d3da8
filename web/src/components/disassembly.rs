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
    // Keep the current instruction visible: scroll the panel (not the page) when it is outside.
    let panel = use_node_ref();
    {
        let panel = panel.clone();
        use_effect_with(p.rip, move |_| {
            let Some(el) = panel.cast::<web_sys::HtmlElement>() else { return };
            let Ok(Some(row)) = el.query_selector("tr.current") else { return };
            let (r, p) = (row.get_bounding_client_rect(), el.get_bounding_client_rect());
            if r.top() < p.top() || r.bottom() > p.bottom() {
                let top = r.top() - p.top() + el.scroll_top() as f64;
                el.set_scroll_top((top - p.height() / 3.0).max(0.0) as i32);
            }
        });
    }
    html! {
        <section class="panel disassembly" aria-label="Disassembly" ref={panel}>
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
