//! "PAT layers" region: for an L2 memory access, L2's gPAT entry, L1's PAT entry for its NPT
//! entry and L0's PAT entry for the L0/shadow NPT entry, with the type bare metal would give and
//! the type the model gives (reference §8.4, §9.8).
use nestscope_core::pat_layers::PatLayers;
use nestscope_core::mem::memtype::combine::PatLookup;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PatLayersProps {
    /// The address looked at (an L2 linear address).
    pub gva: u64,
    /// The layers, or why there are none (L2 not running, the walk would fault, …).
    pub layers: Result<PatLayers, String>,
    pub on_gva: Callback<u64>,
}

fn row(name: &str, who: &str, p: Option<&PatLookup>) -> Html {
    match p {
        Some(p) => html! {
            <tr data-layer={name.to_string()}>
                <th>{name}</th>
                <td>{who}</td>
                <td class="mono">{format!("{:#018x}", p.pat_msr)}</td>
                <td class="mono">{format!("PAT={} PCD={} PWT={} → PA{}", p.bits.pat as u8, p.bits.pcd as u8, p.bits.pwt as u8, p.index)}</td>
                <td class="mono">{format!("{:#04x}", p.pat_entry)}</td>
                <td class="memtype">{p.mem_type.name()}</td>
            </tr>
        },
        None => html! {
            <tr data-layer={name.to_string()} class="absent"><th>{name}</th><td>{who}</td><td colspan="4">{"— not in this model —"}</td></tr>
        },
    }
}

#[function_component(PatLayersView)]
pub fn pat_layers_view(p: &PatLayersProps) -> Html {
    let onchange = {
        let cb = p.on_gva.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = u64::from_str_radix(input.value().trim().trim_start_matches("0x"), 16) {
                cb.emit(v);
            }
        })
    };
    html! {
        <section class="panel pat-layers" aria-label="PAT layers">
            <h2>{"PAT layers"}</h2>
            <label>{"L2 address "}<input class="mono" value={format!("{:#x}", p.gva)} {onchange} data-testid="pat-gva" size="18" /></label>
            { match &p.layers {
                Err(why) => html! { <p class="note" data-testid="pat-layers-none">{why.clone()}</p> },
                Ok(l) => html! {
                    <>
                    <table class="layers">
                        <tr><th>{"layer"}</th><th>{"selected by"}</th><th>{"PAT value"}</th><th>{"index"}</th><th>{"entry"}</th><th>{"type"}</th></tr>
                        { row("L2 gPAT", "L2's page-table entry", Some(&l.l2_gpat)) }
                        { row("L1 PAT", "L1's NPT entry", l.l1_pat.as_ref()) }
                        { row("L0 PAT", "L0's / shadow NPT entry", l.l0_pat.as_ref()) }
                    </table>
                    <p class="mono">{format!("GVA {:#x} → GPA {:#x} → SPA {:#x}", l.gva, l.gpa, l.spa)}</p>
                    <div class="verdict" data-testid="pat-verdict">
                        if let Some(b) = &l.bare_metal {
                            <span class={classes!("bare", (b.result != l.model.result).then_some("differs"))}>
                                {format!("bare metal: {}", b.result.name())}
                            </span>
                        }
                        <span class="model">{format!("this model: {}", l.model.result.name())}</span>
                    </div>
                    <p class="note">{l.summary()}</p>
                    </>
                },
            } }
        </section>
    }
}
