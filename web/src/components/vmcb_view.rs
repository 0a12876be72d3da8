//! VMCB panel: under `kvm-*` vmcb12, vmcb02 and vmcb01 side by side; on a hardware model the one
//! VMCB before and after the selected (else the last) world switch. Fields are grouped as in the
//! APM (intercepts, IOPM/MSRPM, ASID/TLB, interrupt control, exit info, nested paging, save area);
//! what that switch changed is highlighted; every field and intercept bit carries its APM name,
//! meaning and section on hover and in a side note — all from the core's tables
//! (`svm::vmcb::fields`, `svm::exit_table`). A raw 4 KiB dump of one VMCB is a toggle away.
use crate::switches::{PageChange, SwitchRecord, VmcbRole};
use nestscope_core::inspect::vmcb::{PAGE, fields_of_page};
use nestscope_core::mem::Hpa;
use nestscope_core::svm::exit_table::{Intercept, explain};
use nestscope_core::svm::vmcb::fields::{FieldValue, VmcbField, VmcbGroup, decode_value, set_intercepts};
use std::rc::Rc;
use yew::prelude::*;

/// One column of the side-by-side table: a VMCB page, and what it was before the switch shown.
#[derive(Clone, PartialEq, Debug)]
pub struct VmcbColumn {
    /// "vmcb12", "vmcb02", "vmcb01"; on a hardware model "VMCB before" / "VMCB after".
    pub label: AttrValue,
    /// The page shown.
    pub page: Rc<Vec<u8>>,
    /// The page before the switch, when the switch changed it (cells that differ are highlighted).
    pub before: Option<Rc<Vec<u8>>>,
}

#[derive(Properties, PartialEq)]
pub struct VmcbViewProps {
    /// The VMCBs of the run: (role, physical address) (the raw dump picks one of them).
    pub choices: Vec<(VmcbRole, Hpa)>,
    /// The one the raw dump shows (see [`effective`]).
    pub selected: Option<VmcbRole>,
    /// True under a kvm-* model (names the roles vmcb12/vmcb01/vmcb02).
    pub kvm: bool,
    /// The columns side by side (see [`columns`]).
    pub columns: Vec<VmcbColumn>,
    /// The raw dump's page as it is now.
    pub page: Rc<Vec<u8>>,
    /// How the switch shown changed the raw dump's page (None: it did not change it).
    #[prop_or_default]
    pub change: Option<PageChange>,
    /// Which switch is shown (e.g. "#VMEXIT L2→L1 0x81 VMEXIT_VMMCALL at step 57"); empty: none yet.
    #[prop_or_default]
    pub change_label: AttrValue,
    pub on_select: Callback<VmcbRole>,
}

/// The VMCB to show: the selected role if it is available, else the first choice.
pub fn effective(choices: &[(VmcbRole, Hpa)], selected: Option<VmcbRole>) -> Option<(VmcbRole, Hpa)> {
    choices.iter().copied().find(|c| Some(c.0) == selected).or_else(|| choices.first().copied())
}

/// The side-by-side columns: under `kvm-*` vmcb12, vmcb02, vmcb01 (each as it was after `rec`
/// when `at_record`, else as it is now, via `now`), with `rec`'s before-page where the switch
/// changed it; on a hardware model the one VMCB before and after `rec`.
pub fn columns(choices: &[(VmcbRole, Hpa)], kvm: bool, rec: Option<&SwitchRecord>, at_record: bool, now: impl Fn(Hpa) -> Rc<Vec<u8>>) -> Vec<VmcbColumn> {
    let page_of = |a: Hpa| Hpa(a.0 & !0xfff);
    let shown = |a: Hpa| match rec.filter(|_| at_record).and_then(|r| r.after_of(page_of(a))) {
        Some(p) => p.clone(),
        None => now(a),
    };
    let before = |a: Hpa| rec.and_then(|r| r.change_of(page_of(a))).map(|c| c.before.clone());
    if !kvm {
        return choices
            .iter()
            .take(1)
            .flat_map(|&(_, a)| {
                let after = shown(a);
                let b = before(a);
                [
                    VmcbColumn { label: "VMCB before".into(), page: b.clone().unwrap_or_else(|| after.clone()), before: None },
                    VmcbColumn { label: "VMCB after".into(), page: after, before: b },
                ]
            })
            .collect();
    }
    [VmcbRole::Vmcb12, VmcbRole::Vmcb02, VmcbRole::Vmcb01]
        .into_iter()
        .filter_map(|role| choices.iter().find(|c| c.0 == role))
        .map(|&(role, a)| VmcbColumn { label: role.name(true).into(), page: shown(a), before: before(a) })
        .collect()
}

/// Every VMCB field of `page` with its value (the core's field table, `inspect::vmcb`); a short
/// page reads as zero-padded.
pub fn fields_of(page: &[u8]) -> Vec<(&'static VmcbField, FieldValue)> {
    match <&[u8; PAGE]>::try_from(page) {
        Ok(p) => fields_of_page(p),
        Err(_) => {
            let mut p = [0u8; PAGE];
            let n = page.len().min(PAGE);
            p[..n].copy_from_slice(&page[..n]);
            fields_of_page(&p)
        }
    }
}

/// The value in hex (segments as selector/attrib/limit/base).
pub fn hex_value(f: &VmcbField, v: &FieldValue) -> String {
    match v {
        FieldValue::Int(x) => format!("{x:#0w$x}", w = 2 + 2 * f.size as usize),
        FieldValue::Seg(s) => format!("{:04x} {:04x} {:08x} {:016x}", s.selector, s.attrib, s.limit, s.base),
        FieldValue::Bytes(b) => b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(""),
    }
}

/// True if any byte of the field differs between the two pages.
pub fn field_changed(f: &VmcbField, c: &PageChange) -> bool {
    differs(f, &c.before, &c.after)
}

fn differs(f: &VmcbField, a: &[u8], b: &[u8]) -> bool {
    let r = f.offset as usize..f.offset as usize + f.size as usize;
    a.get(r.clone()) != b.get(r)
}

fn is_zero(v: &FieldValue) -> bool {
    match v {
        FieldValue::Int(x) => *x == 0,
        FieldValue::Seg(s) => s.selector == 0 && s.attrib == 0 && s.limit == 0 && s.base == 0,
        FieldValue::Bytes(b) => b.iter().all(|x| *x == 0),
    }
}

/// The hover text of a field: "G_PAT (g_pat, VMCB+0x668, 8 bytes): guest PAT … (APM 15.25.4, 15.25.8)".
pub fn field_title(f: &VmcbField) -> String {
    format!("{} ({}, VMCB+{:#05x}, {} bytes): {} (APM {})", f.apm_name, f.name, f.offset, f.size, f.meaning, f.apm_section)
}

/// The hover text of an intercept bit: "MSR_PROT: intercept bit 124 (VMCB+0x00c bit 28) → exit
/// 0x7c VMEXIT_MSR: … (APM 15.11)".
pub fn intercept_title(bit: u32, i: Option<Intercept>) -> String {
    let head = format!("intercept bit {bit} (VMCB+{:#05x} bit {})", 4 * (bit / 32), bit % 32);
    match i.and_then(|i| explain(i.exit_code()).map(|x| (i, x))) {
        Some((i, x)) => format!("{}: {head} → exit {:#x} {}: {} (APM {})", i.name(), x.code, x.apm_name, x.meaning, x.section),
        None => format!("RESERVED: {head}"),
    }
}

/// What the side note explains: a field or an intercept bit.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Note {
    Field(&'static VmcbField),
    Bit(u32),
}

fn raw_dump(page: &[u8], change: Option<&PageChange>) -> Html {
    let differs = |i: usize| change.is_some_and(|c| c.before.get(i) != c.after.get(i));
    html! {
        <table class="mono hexdump vmcb-raw" data-testid="vmcb-raw">
            { for page.chunks(16).enumerate().map(|(row, bytes)| html! {
                <tr>
                    <td class="addr">{format!("{:03x}", row * 16)}</td>
                    <td>{ for bytes.iter().enumerate().map(|(i, b)| {
                        let t = format!("{b:02x} ");
                        if differs(row * 16 + i) { html! { <mark>{t}</mark> } } else { html! { {t} } }
                    }) }</td>
                </tr>
            }) }
        </table>
    }
}

fn note_view(note: Option<Note>, cols: &[(AttrValue, Vec<(&'static VmcbField, FieldValue)>)]) -> Html {
    let body = match note {
        None => html! { <p class="dim">{"Hover or focus a field or an intercept bit for its APM name, meaning and section."}</p> },
        Some(Note::Field(f)) => {
            let g = VmcbGroup::of(f);
            let idx = nestscope_core::svm::vmcb::fields::FIELDS.iter().position(|x| std::ptr::eq(x, f));
            html! {
                <>
                    <p><strong>{f.apm_name}</strong>{format!(" — {}, VMCB+{:#05x}, {} bytes", f.name, f.offset, f.size)}</p>
                    <p>{f.meaning}</p>
                    <p class="apm">{format!("APM {} · group: {} (APM {})", f.apm_section, g.title(), g.section())}</p>
                    <ul class="mono">
                        { for cols.iter().filter_map(|(label, vals)| idx.and_then(|i| vals.get(i)).map(|(_, v)| html! {
                            <li>{format!("{label}: {} = {}", hex_value(f, v), decode_value(f, v))}</li>
                        })) }
                    </ul>
                </>
            }
        }
        Some(Note::Bit(bit)) => html! { <p>{intercept_title(bit, Intercept::from_bit(bit))}</p> },
    };
    html! { <aside class="vmcb-note" data-testid="vmcb-note" aria-live="polite">{body}</aside> }
}

#[function_component(VmcbView)]
pub fn vmcb_view(p: &VmcbViewProps) -> Html {
    let raw = use_state(|| false);
    let all = use_state(|| false);
    let note = use_state(|| None::<Note>);
    let shown = effective(&p.choices, p.selected);
    let onchange = {
        let (cb, choices) = (p.on_select.clone(), p.choices.clone());
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(c) = sel.value().parse::<usize>().ok().and_then(|i| choices.get(i)) {
                cb.emit(c.0);
            }
        })
    };
    let toggle = |s: &UseStateHandle<bool>| {
        let s = s.clone();
        Callback::from(move |_: Event| s.set(!*s))
    };
    let Some((role, addr)) = shown else {
        return html! {
            <section class="panel vmcb" aria-label="VMCB">
                <h2>{"VMCB"}</h2>
                <p class="dim" data-testid="vmcb-none">{"No VMCB yet: L1 has not executed VMRUN."}</p>
            </section>
        };
    };
    let set_note = |n: Note| {
        let s = note.clone();
        Callback::from(move |_: MouseEvent| s.set(Some(n)))
    };
    // Per column: its fields and values, and the before-page's.
    let cols: Vec<(AttrValue, Vec<(&'static VmcbField, FieldValue)>)> = p.columns.iter().map(|c| (c.label.clone(), fields_of(&c.page))).collect();
    let changed_in = |c: &VmcbColumn, f: &VmcbField| c.before.as_ref().is_some_and(|b| differs(f, b, &c.page));
    let table = {
        let mut rows = Vec::new();
        for g in VmcbGroup::ALL {
            let mut group_rows = Vec::new();
            for (i, f) in nestscope_core::svm::vmcb::fields::FIELDS.iter().enumerate() {
                if VmcbGroup::of(f) != g {
                    continue;
                }
                let vals: Vec<&FieldValue> = cols.iter().filter_map(|(_, v)| v.get(i).map(|x| &x.1)).collect();
                let any_changed = p.columns.iter().any(|c| changed_in(c, f));
                if !*all && !any_changed && vals.iter().all(|v| is_zero(v)) {
                    continue;
                }
                group_rows.push(html! {
                    <tr class={classes!(any_changed.then_some("changed"))} data-field={f.name} title={field_title(f)} tabindex="0"
                        onmouseenter={set_note(Note::Field(f))} onfocus={{ let s = note.clone(); let n = Note::Field(f); Callback::from(move |_: FocusEvent| s.set(Some(n))) }}>
                        <td class="addr">{format!("{:#05x}", f.offset)}</td>
                        <td class="fname">{f.apm_name}<span class="dim">{format!(" {}", f.name)}</span></td>
                        { for p.columns.iter().zip(vals.iter()).map(|(c, v)| {
                            let ch = changed_in(c, f);
                            let decoded = decode_value(f, v);
                            let hex = hex_value(f, v);
                            let before = c.before.as_ref().filter(|_| ch).map(|b| hex_value(f, &fields_of(b)[i].1));
                            html! {
                                <td class={classes!("mono", "val", ch.then_some("cell-changed"))} data-col={c.label.clone()}
                                    title={match &before { Some(b) => format!("{decoded} (was {b})"), None => decoded.clone() }}>
                                    {hex}
                                    if decoded != hex_value(f, v) && !decoded.starts_with("0x") {
                                        <div class="decoded">{decoded}</div>
                                    }
                                </td>
                            }
                        }) }
                    </tr>
                });
                // The intercept bits set in any column, one row each.
                let mut bits: Vec<(u32, Option<Intercept>)> = Vec::new();
                for v in &vals {
                    if let FieldValue::Int(x) = v {
                        for b in set_intercepts(f, *x).unwrap_or_default() {
                            if !bits.contains(&b) {
                                bits.push(b);
                            }
                        }
                    }
                }
                bits.sort_by_key(|b| b.0);
                for (bit, icpt) in bits {
                    let name = icpt.map_or("RESERVED", Intercept::name);
                    group_rows.push(html! {
                        <tr class="intercept-bit" data-bit={bit.to_string()} title={intercept_title(bit, icpt)} tabindex="0"
                            onmouseenter={set_note(Note::Bit(bit))} onfocus={{ let s = note.clone(); Callback::from(move |_: FocusEvent| s.set(Some(Note::Bit(bit)))) }}>
                            <td class="addr">{format!("bit {bit}")}</td>
                            <td class="fname">{format!("↳ {name}")}</td>
                            { for vals.iter().map(|v| {
                                let on = matches!(v, FieldValue::Int(x) if x >> (bit % 32) & 1 == 1);
                                html! { <td class="mono">{if on { "✓ set" } else { "—" }}</td> }
                            }) }
                        </tr>
                    });
                }
            }
            if !group_rows.is_empty() {
                rows.push(html! {
                    <tr class="group" data-group={g.title()}>
                        <th colspan={(2 + p.columns.len()).to_string()} title={format!("APM {}", g.section())}>
                            {g.title()}<span class="dim">{format!("  APM {}", g.section())}</span>
                        </th>
                    </tr>
                });
                rows.extend(group_rows);
            }
        }
        html! {
            <table class="vmcb-fields side-by-side" data-testid="vmcb-fields">
                <tr><th>{"offset"}</th><th>{"field"}</th>{ for p.columns.iter().map(|c| html! { <th data-col={c.label.clone()}>{c.label.clone()}</th> }) }</tr>
                { for rows }
            </table>
        }
    };
    let changed = p.columns.iter().any(|c| c.before.is_some());
    let change_text = match (changed, p.change_label.is_empty()) {
        (_, true) => format!("{} at {addr:#x}: no world switch yet", role.name(p.kvm)),
        (true, false) => format!("highlighted: changed by {}", p.change_label),
        (false, false) => format!("{} did not change {}", p.change_label, if p.kvm { "any VMCB" } else { "VMCB" }),
    };
    html! {
        <section class="panel vmcb" aria-label="VMCB">
            <h2>{"VMCB"}</h2>
            <div class="vmcb-controls">
                <label><input type="checkbox" checked={*raw} onchange={toggle(&raw)} data-testid="vmcb-raw-toggle" />{" raw hex"}</label>
                if *raw {
                    <select {onchange} aria-label="Which VMCB" data-testid="vmcb-select">
                        { for p.choices.iter().enumerate().map(|(i, (r, a))| html! {
                            <option value={i.to_string()} selected={*r == role}>{format!("{} at {a:#x}", r.name(p.kvm))}</option>
                        }) }
                    </select>
                } else {
                    <label><input type="checkbox" checked={*all} onchange={toggle(&all)} />{" zero fields too"}</label>
                }
            </div>
            <p class="vmcb-change dim" data-testid="vmcb-change">{change_text}</p>
            if *raw {
                { raw_dump(&p.page, p.change.as_ref()) }
            } else {
                <div class="vmcb-body">
                    { table }
                    { note_view(*note, &cols) }
                </div>
            }
        </section>
    }
}
