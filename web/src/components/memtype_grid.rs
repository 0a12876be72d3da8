//! The memory-type grid of a scenario's `memtype_grid` pages (memtype-matrix): one row per
//! PAT entry L2's PTE selects (its type in L2's gPAT), one column per PAT entry L1's nested PTE
//! selects (its type in L1's PAT), and in each cell the page, L0's PAT entry for it (kvm-*: the
//! shadow NPT's) and the type bare metal gives against the type the model gives. Colours are by
//! type and every cell says its types in text too. Computed from the core's `pat_layers` at the
//! first L2 instruction of a fresh run under the model (reference §6.4, §8.4, §9.8).
use nestscope_core::mem::paging::Access;
use nestscope_core::pat_layers::pat_layers;
use nestscope_core::scenario::Scenario;
use nestscope_core::scenario::run::{assemble, l0_config};
use nestscope_core::sim::Sim;
use nestscope_core::trace::Level;
use nestscope_core::Model;
use std::collections::BTreeSet;
use std::rc::Rc;
use yew::prelude::*;

/// One page of the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct GridCell {
    pub page: u64,
    /// (PAT index, type) of L2's PTE in L2's gPAT.
    pub l2: (u8, String),
    /// (PAT index, type) of L1's nested PTE in L1's PAT (absent: the model ignores it).
    pub l1: Option<(u8, String)>,
    /// (PAT index, type) of L0's (shadow) NPT entry in L0's PAT (kvm-* only).
    pub l0: Option<(u8, String)>,
    pub bare: String,
    pub model: String,
}

/// The grid under `model`: a fresh run to L2's first instruction, then each page's layers.
pub fn compute(sc: &Scenario, model: Model) -> Result<Vec<GridCell>, String> {
    let g = sc.memtype_grid.ok_or("the scenario has no memory-type grid")?;
    let program = assemble(&sc.source).map_err(|e| e.to_string())?;
    let l0 = l0_config(&sc.machine).map_err(|e| e.to_string())?;
    let mut sim = Sim::new(&program, sc.machine.mem_mib, model, &l0).map_err(|e| e.to_string())?;
    while sim.level() != Level::L2 {
        if sim.machine().stopped.is_some() || sim.machine().steps >= sc.machine.max_steps {
            return Err("L2 never ran".into());
        }
        sim.step().map_err(|e| e.to_string())?;
    }
    let mut cells = Vec::new();
    for i in 0..g.pages {
        let page = g.base + i * 0x1000;
        let l = pat_layers(&sim, page, Access::READ)?;
        let look = |p: &nestscope_core::mem::memtype::combine::PatLookup| (p.index, p.mem_type.name().to_string());
        cells.push(GridCell {
            page,
            l2: look(&l.l2_gpat),
            l1: l.l1_pat.as_ref().map(look),
            l0: l.l0_pat.as_ref().map(look),
            bare: l.bare_metal.as_ref().unwrap_or(&l.model).result.name().to_string(),
            model: l.model.result.name().to_string(),
        });
    }
    Ok(cells)
}

/// "WC+" → "memtype-wcplus" (the colour class).
fn type_class(t: &str) -> String {
    format!("memtype-{}", t.to_lowercase().replace('+', "plus").replace('-', "minus"))
}

#[derive(Properties, PartialEq)]
pub struct MemtypeGridProps {
    pub scenario: Rc<Scenario>,
    pub model: Model,
}

#[function_component(MemtypeGridView)]
pub fn memtype_grid_view(p: &MemtypeGridProps) -> Html {
    let cells = use_memo((p.scenario.name.clone(), p.model), {
        let sc = p.scenario.clone();
        move |(_, m)| compute(&sc, *m)
    });
    let cells = match &*cells {
        Err(e) => return html! { <p class="note" data-testid="memtype-grid">{format!("memory-type grid: {e}")}</p> },
        Ok(c) => c,
    };
    let rows: BTreeSet<(u8, String)> = cells.iter().map(|c| c.l2.clone()).collect();
    // Columns by L1's nested PTE index; a model that ignores L1's NPT PAT bits has one column.
    let cols: BTreeSet<Option<(u8, String)>> = cells.iter().map(|c| c.l1.clone()).collect();
    let col_head = |c: &Option<(u8, String)>| match c {
        Some((i, t)) => format!("L1 NPT PA{i} ({t})"),
        None => "L1 NPT PAT bits not used".to_string(),
    };
    html! {
        <div class="memtype-grid" data-testid="memtype-grid">
            <h3>{format!("Memory types of L2's pages under {}: L2 PAT × L1 NPT × L0 PAT", p.model)}</h3>
            <table class="grid">
                <caption>{"Each cell: the page, L0's PAT entry for it, then bare metal's type vs this model's (cells whose types differ are marked ≠)."}</caption>
                <tr><th scope="col">{"L2 PTE → gPAT"}</th>{ for cols.iter().map(|c| html! { <th scope="col">{col_head(c)}</th> }) }</tr>
                { for rows.iter().map(|r| html! {
                    <tr>
                        <th scope="row">{format!("L2 PA{} ({})", r.0, r.1)}</th>
                        { for cols.iter().map(|c| {
                            let here: Vec<&GridCell> = cells.iter().filter(|x| x.l2 == *r && x.l1 == *c).collect();
                            if here.is_empty() {
                                return html! { <td class="empty">{"—"}</td> };
                            }
                            html! { <td>{ for here.iter().map(|x| {
                                let differs = x.bare != x.model;
                                let l0 = x.l0.as_ref().map_or("L0 PAT: none (bare)".to_string(), |(i, t)| format!("L0 PA{i} ({t})"));
                                html! {
                                    <div class={classes!("cell", type_class(&x.model), differs.then_some("differs"))}
                                        data-page={format!("{:#x}", x.page)} data-bare={x.bare.clone()} data-model={x.model.clone()}
                                        title={format!("page {:#x}: bare metal {}, {} {}", x.page, x.bare, p.model, x.model)}>
                                        <span class="page mono">{format!("{:#x}", x.page)}</span>
                                        <span class="l0">{l0}</span>
                                        <span class="types">
                                            <span class={classes!("bare", type_class(&x.bare))}>{format!("bare {}", x.bare)}</span>
                                            {if differs { " ≠ " } else { " = " }}
                                            <span class="model">{format!("{} {}", p.model, x.model)}</span>
                                        </span>
                                    </div>
                                }
                            }) }</td> }
                        }) }
                    </tr>
                }) }
            </table>
        </div>
    }
}
