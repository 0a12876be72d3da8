//! Register panel: L1's registers (`Sim::l1_regs`) and, while L2 runs, also the CPU's (L2's), with
//! a badge naming the level that runs now; values that changed at the last step are highlighted;
//! below them what can interrupt the code that runs (GIF, IF, the local APIC, NMI, V_IRQ).
use nestscope_core::cpu::Regs;
use nestscope_core::cpu::regs::{GPR_NAMES, flags};
use nestscope_core::trace::Level;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RegistersProps {
    /// The level whose code runs now.
    pub level: Level,
    pub l1: Regs,
    pub prev_l1: Regs,
    /// The CPU's registers while L2 runs.
    #[prop_or_default]
    pub l2: Option<Regs>,
    /// The CPU's registers before the last step (L2's if L2 ran then).
    #[prop_or_default]
    pub prev_l2: Option<Regs>,
    /// What can interrupt the code that runs (core inspect/interrupts.rs), one line.
    #[prop_or_default]
    pub interrupts: Option<String>,
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

/// (name, value) of every register shown, in display order.
fn values(r: &Regs) -> Vec<(&'static str, u64)> {
    let mut v: Vec<(&'static str, u64)> = GPR_NAMES.iter().enumerate().map(|(i, n)| (*n, r.gpr[i])).collect();
    v.push(("rip", r.rip));
    v.push(("rflags", r.rflags));
    v
}

#[function_component(Registers)]
pub fn registers(p: &RegistersProps) -> Html {
    let l1 = values(&p.l1);
    let prev1 = values(&p.prev_l1);
    // The CPU's previous values: L2's if L2 ran before the step, else L1's (the world switch).
    let l2 = p.l2.as_ref().map(values);
    let prev2 = values(p.prev_l2.as_ref().unwrap_or(&p.prev_l1));
    let cell = |v: u64, changed: bool, class: &'static str| {
        html! { <td class={classes!("mono", class, changed.then_some("changed"))}>{format!("{v:#018x}")}</td> }
    };
    let level = p.level.name();
    html! {
        <section class="panel registers" aria-label="Registers">
            <h2>{"Registers "}
                <span class={classes!("badge", level.to_lowercase())}
                    title={format!("{level} runs now")}>{level}</span>
                <span class="badge-note">{ if p.level == Level::L2 { " runs (the guest)" } else { " runs" } }</span>
            </h2>
            <table>
                if l2.is_some() {
                    <tr class="levels"><th></th><th>{"L1"}</th><th>{"L2 (CPU)"}</th></tr>
                }
                { for l1.iter().enumerate().map(|(i, (name, v))| {
                    let c1 = *v != prev1[i].1 && *name != "rip";
                    let c2 = l2.as_ref().map(|r| (r[i].1, r[i].1 != prev2[i].1 && *name != "rip"));
                    let changed = c1 || c2.is_some_and(|c| c.1);
                    html! {
                        <tr class={classes!(changed.then_some("changed"))} data-reg={name.to_string()}>
                            <th>{*name}</th>
                            { cell(*v, c1, "l1") }
                            if let Some((v2, ch2)) = c2 { { cell(v2, ch2, "l2") } }
                        </tr>
                    }
                }) }
            </table>
            <div class="flags mono" title="upper case = set">
                { if l2.is_some() { "L1: " } else { "" } }{decode_rflags(p.l1.rflags)}
            </div>
            if let Some(r) = &p.l2 {
                <div class="flags mono" title="upper case = set">{"L2: "}{decode_rflags(r.rflags)}</div>
            }
            if let Some(i) = &p.interrupts {
                <div class="interrupts mono" data-testid="interrupts"
                    title="GIF, RFLAGS.IF and the interrupt shadow of the code that runs; the local APIC's requested (IRR) and in-service (ISR) vectors, TPR and timer; NMI and V_IRQ requests; HLT waiting">
                    {"Interrupts: "}{i.clone()}</div>
            }
        </section>
    }
}
