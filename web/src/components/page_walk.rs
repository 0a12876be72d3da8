//! Page walk panel: `Machine::memtype_of` for an address of the level that runs now — each guest
//! level with its nested sub-walk, the final nested walk, GPA/SPA and the memory-type provenance
//! (PAT lookups, Table 15-19/15-20 cells, MTRR, CD) — or the fault the access would take.
#![allow(clippy::cast_possible_truncation, reason = "pixel coordinates, DOM indices and text positions are far below the integer widths they are stored in (float casts saturate)")]
use crate::walk_format::{decode_entry, fault_text, level_name, provenance};
use nestscope_core::mem::paging::Access;
use nestscope_core::svm::nested_walk::{MemTypeError, MemTypeReport, NestedSubWalk};
use nestscope_core::svm::npt::NptStage;
use nestscope_core::trace::Level;
use yew::prelude::*;

/// The kind of access to resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    Read,
    Write,
    Fetch,
}

impl AccessKind {
    pub const ALL: [AccessKind; 3] = [AccessKind::Read, AccessKind::Write, AccessKind::Fetch];
    pub fn name(self) -> &'static str {
        match self {
            AccessKind::Read => "read",
            AccessKind::Write => "write",
            AccessKind::Fetch => "fetch",
        }
    }
    /// The access at privilege `user` (CPL 3).
    pub fn access(self, user: bool) -> Access {
        Access { write: self == AccessKind::Write, user, fetch: self == AccessKind::Fetch }
    }
}

#[derive(Properties, PartialEq)]
pub struct PageWalkProps {
    /// The address walked and whether it follows RIP.
    pub addr: u64,
    pub follows_rip: bool,
    pub access: AccessKind,
    /// The level that runs now (whose address space `addr` is in).
    pub level: Level,
    /// Under a kvm-* model the hardware walk's nested tables are L0's.
    pub kvm: bool,
    pub report: Result<MemTypeReport, MemTypeError>,
    /// A new address (None: follow RIP again).
    pub on_addr: Callback<Option<u64>>,
    pub on_access: Callback<AccessKind>,
}

/// The nested entries of a sub-walk, one row each.
fn nested_rows(n: &NestedSubWalk, indent: bool) -> Html {
    let stage = match n.stage {
        NptStage::Final => "final GPA",
        NptStage::GuestPageTable => "guest table",
    };
    html! {
        <>
            { for n.entries.iter().enumerate().map(|(i, (a, v))| {
                // Entries are top level first: nPML4E, nPDPTE, …
                let lvl = 4u8.saturating_sub(i as u8).max(1);
                html! {
                    <tr class={classes!("nested", indent.then_some("sub"))}>
                        <td>{format!("  n{}", level_name(lvl))}</td>
                        <td class="addr">{format!("{:#x}", a.0)}</td>
                        <td class="mono">{format!("{v:#018x}")}</td>
                        <td class="mono bits">{decode_entry(*v, lvl)}</td>
                    </tr>
                }
            }) }
            <tr class={classes!("nested", "result", indent.then_some("sub"))}>
                <td></td>
                <td colspan="3">{match n.spa {
                    Some(s) => format!("nested ({stage}): GPA {:#x} → SPA {:#x} ({} KiB page)", n.gpa.0, s.0, n.page_size >> 10),
                    None => format!("nested ({stage}): GPA {:#x} faults", n.gpa.0),
                }}</td>
            </tr>
        </>
    }
}

fn report_view(r: &MemTypeReport) -> Html {
    html! {
        <>
            <p class="dim">{
                match (r.nested, r.paging) {
                    (true, true) => "2-D walk: guest page tables, every guest table address and the final GPA through the nested table",
                    (true, false) => "guest paging off: the linear address is the GPA, translated by the nested table",
                    (false, true) => "1-D walk: the page tables map linear → physical",
                    (false, false) => "paging off: the linear address is the physical address",
                }
            }</p>
            <table class="walk" data-testid="walk-levels">
                <tr><th>{"level"}</th><th>{"entry at"}</th><th>{"value"}</th><th>{"bits"}</th></tr>
                { for r.guest_walk.iter().map(|g| html! {
                    <>
                        <tr class="guest" data-level={g.level.to_string()}>
                            <td>{level_name(g.level)}</td>
                            <td class="addr">{ if r.nested { format!("GPA {:#x} / SPA {:#x}", g.entry_gpa.0, g.entry_spa.0) } else { format!("{:#x}", g.entry_spa.0) } }</td>
                            <td class="mono">{format!("{:#018x}", g.entry)}</td>
                            <td class="mono bits">{decode_entry(g.entry, g.level)}</td>
                        </tr>
                        if let Some(n) = &g.nested { { nested_rows(n, true) } }
                    </>
                }) }
                if let Some(n) = &r.final_nested {
                    <tr class="nested-head"><td colspan="4">{format!("final nested walk of GPA {:#x}", n.gpa.0)}</td></tr>
                    { nested_rows(n, false) }
                }
            </table>
            <p class="mono translation" data-testid="walk-translation">{
                if r.nested { format!("GVA {:#x} → GPA {:#x} → SPA {:#x}", r.gva.0, r.gpa.0, r.spa.0) }
                else { format!("{:#x} → physical {:#x}", r.gva.0, r.spa.0) }
            }</p>
            <table class="provenance" data-testid="provenance">
                { for provenance(&r.resolution).into_iter().map(|(k, v)| html! {
                    <tr class={classes!((k == "result").then_some("result"))} data-step={k}><th>{k}</th><td class="mono">{v}</td></tr>
                }) }
            </table>
        </>
    }
}

#[function_component(PageWalk)]
pub fn page_walk(p: &PageWalkProps) -> Html {
    let error = use_state(|| None::<String>);
    let onchange = {
        let (cb, error) = (p.on_addr.clone(), error.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let v = input.value();
            let t = v.trim().trim_start_matches("0x").replace('_', "");
            if t.is_empty() || t.eq_ignore_ascii_case("rip") {
                error.set(None);
                return cb.emit(None);
            }
            match u64::from_str_radix(&t, 16) {
                Ok(a) => {
                    error.set(None);
                    cb.emit(Some(a))
                }
                Err(_) => error.set(Some(format!("`{v}` is not a hex address"))),
            }
        })
    };
    let on_access = {
        let cb = p.on_access.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(k) = AccessKind::ALL.iter().find(|k| k.name() == sel.value()) {
                cb.emit(*k);
            }
        })
    };
    let follow = {
        let cb = p.on_addr.clone();
        Callback::from(move |_: MouseEvent| cb.emit(None))
    };
    let level = p.level.name();
    html! {
        <section class="panel page-walk" aria-label="Page walk">
            <h2>{format!("Page walk and memory type ({level})")}</h2>
            <div class="memory-controls">
                <label>{"address "}<input class="mono" value={format!("{:#x}", p.addr)} {onchange} data-testid="walk-addr" size="18" aria-label="Walk address" /></label>
                <label>{"access "}<select onchange={on_access} data-testid="walk-access" aria-label="Access kind">
                    { for AccessKind::ALL.iter().map(|k| html! { <option value={k.name()} selected={*k == p.access}>{k.name()}</option> }) }
                </select></label>
                if p.follows_rip { <span class="dim">{"= RIP"}</span> } else { <button onclick={follow}>{"Follow RIP"}</button> }
                if let Some(e) = &*error { <span class="error">{e.clone()}</span> }
            </div>
            if p.kvm {
                <p class="dim">{
                    if p.level == Level::L2 { "Hardware walk under L0: L2's tables, then L0's shadow NPT (vmcb02); gPAT = vmcb02's G_PAT, hPAT = L0's PAT." }
                    else { "Hardware walk under L0: L1's tables, then L0's NPT (vmcb01); gPAT = vmcb01's G_PAT, hPAT = L0's PAT." }
                }</p>
            }
            { match &p.report {
                Ok(r) => report_view(r),
                Err(e) => html! { <p class="fault" data-testid="walk-fault">{format!("the access would fault: {}", fault_text(e))}</p> },
            } }
        </section>
    }
}
