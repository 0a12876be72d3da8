//! Memory view: a hex and ASCII dump of 256 bytes at a physical or linear address (linear
//! addresses of the level that runs now are translated like its accesses — through its page
//! tables and, with nested paging, the nested table — without touching A/D bits).
#![allow(clippy::cast_possible_truncation, reason = "pixel coordinates, DOM indices and text positions are far below the integer widths they are stored in (float casts saturate)")]
use nestscope_core::inspect::memory::{linear_read, phys_read};
use nestscope_core::machine::Machine;
use nestscope_core::mem::paging::Access;
use nestscope_core::mem::{Gva, Hpa};
use yew::prelude::*;

pub const ROWS: u64 = 16;

/// One dumped row: address, 16 bytes (None where unreadable), read by the core's side-effect-free
/// `inspect::memory`.
pub fn dump(m: &Machine, addr: u64, linear: bool) -> Vec<(u64, Vec<Option<u8>>)> {
    let start = addr & !0xf;
    let n = (ROWS * 16) as usize;
    let bytes = if linear { linear_read(m, Gva(start), n, Access::READ) } else { phys_read(m, Hpa(start), n) };
    bytes.chunks(16).zip(0u64..).map(|(row, r)| (start.wrapping_add(r * 16), row.iter().map(|b| b.ok()).collect())).collect()
}

#[derive(Properties, PartialEq)]
pub struct MemoryViewProps {
    /// The dump to show (computed by the parent from the machine).
    pub rows: Vec<(u64, Vec<Option<u8>>)>,
    pub addr: u64,
    pub linear: bool,
    pub on_addr: Callback<u64>,
    pub on_linear: Callback<bool>,
}

#[function_component(MemoryView)]
pub fn memory_view(p: &MemoryViewProps) -> Html {
    let error = use_state(|| None::<String>);
    let onchange = {
        let (cb, error) = (p.on_addr.clone(), error.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let v = input.value();
            let t = v.trim().trim_start_matches("0x").replace('_', "");
            match u64::from_str_radix(&t, 16) {
                Ok(a) => {
                    error.set(None);
                    cb.emit(a)
                }
                Err(_) => error.set(Some(format!("`{v}` is not a hex address"))),
            }
        })
    };
    let toggle = {
        let (cb, linear) = (p.on_linear.clone(), p.linear);
        Callback::from(move |_: Event| cb.emit(!linear))
    };
    html! {
        <section class="panel memory" aria-label="Memory">
            <h2>{"Memory"}</h2>
            <div class="memory-controls">
                <label>{"address "}<input class="mono" value={format!("{:#x}", p.addr)} {onchange} data-testid="mem-addr" size="18" /></label>
                <label><input type="checkbox" checked={p.linear} onchange={toggle} />{" linear (through the page tables of the level that runs)"}</label>
                if let Some(e) = &*error { <span class="error">{e.clone()}</span> }
            </div>
            <table class="mono hexdump" data-testid="hexdump">
                { for p.rows.iter().map(|(a, bytes)| html! {
                    <tr>
                        <td class="addr">{format!("{a:#010x}")}</td>
                        <td>{bytes.iter().map(|b| b.map_or("??".to_string(), |b| format!("{b:02x}"))).collect::<Vec<_>>().join(" ")}</td>
                        <td class="ascii">{bytes.iter().map(|b| match b { Some(c @ 0x20..=0x7e) => *c as char, Some(_) => '.', None => ' ' }).collect::<String>()}</td>
                    </tr>
                }) }
            </table>
        </section>
    }
}
