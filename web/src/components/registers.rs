//! Register panel: GPRs, RIP and RFLAGS (decoded), highlighting what changed at the last step.
use nestscope_core::cpu::regs::{flags, GPR_NAMES};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RegistersProps {
    pub gpr: [u64; 16],
    pub prev_gpr: [u64; 16],
    pub rip: u64,
    pub rflags: u64,
    pub prev_rflags: u64,
}

/// Decoded RFLAGS: set flags upper-case, clear flags lower-case.
pub fn decode_rflags(f: u64) -> String {
    const BITS: [(u64, &str); 9] = [
        (flags::OF, "OF"),
        (flags::DF, "DF"),
        (flags::IF, "IF"),
        (flags::TF, "TF"),
        (flags::SF, "SF"),
        (flags::ZF, "ZF"),
        (flags::AF, "AF"),
        (flags::PF, "PF"),
        (flags::CF, "CF"),
    ];
    BITS.iter().map(|(b, n)| if f & b != 0 { n.to_string() } else { n.to_lowercase() }).collect::<Vec<_>>().join(" ")
}

#[function_component(Registers)]
pub fn registers(p: &RegistersProps) -> Html {
    let row = |name: &str, v: u64, changed: bool| {
        html! {
            <tr class={classes!(changed.then_some("changed"))} data-reg={name.to_string()}>
                <th>{name}</th><td class="mono">{format!("{v:#018x}")}</td>
            </tr>
        }
    };
    html! {
        <section class="panel registers" aria-label="Registers">
            <h2>{"Registers"}</h2>
            <table>
                { for GPR_NAMES.iter().enumerate().map(|(i, n)| row(n, p.gpr[i], p.gpr[i] != p.prev_gpr[i])) }
                { row("rip", p.rip, false) }
                { row("rflags", p.rflags, p.rflags != p.prev_rflags) }
            </table>
            <div class="flags mono" title="upper case = set">{decode_rflags(p.rflags)}</div>
        </section>
    }
}
