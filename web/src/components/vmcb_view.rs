//! VMCB panel: pick a VMCB (the one L1 passed to VMRUN; under kvm-* also L0's vmcb01/vmcb02), see
//! its fields by name with offset, hex value and decoded meaning, or the raw 4 KiB page; fields
//! the last world switch changed are highlighted.
use crate::switches::{PageChange, VmcbRole};
use nestscope_core::inspect::vmcb::{PAGE, fields_of_page};
use nestscope_core::mem::Hpa;
use nestscope_core::svm::vmcb::fields::{FieldValue, VmcbField, decode_value};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct VmcbViewProps {
    /// The VMCBs that can be shown: (role, physical address).
    pub choices: Vec<(VmcbRole, Hpa)>,
    /// The one shown (see [`effective`]).
    pub selected: Option<VmcbRole>,
    /// True under a kvm-* model (names the roles vmcb12/vmcb01/vmcb02).
    pub kvm: bool,
    /// The shown VMCB's page as it is now.
    pub page: Rc<Vec<u8>>,
    /// How the last world switch changed the shown page (None: it did not change it).
    #[prop_or_default]
    pub change: Option<PageChange>,
    /// Which switch that was (e.g. "#VMEXIT L2→L1 VMEXIT_VMMCALL at step 57").
    #[prop_or_default]
    pub change_label: AttrValue,
    pub on_select: Callback<VmcbRole>,
}

/// The VMCB to show: the selected role if it is available, else the first choice.
pub fn effective(choices: &[(VmcbRole, Hpa)], selected: Option<VmcbRole>) -> Option<(VmcbRole, Hpa)> {
    choices.iter().copied().find(|c| Some(c.0) == selected).or_else(|| choices.first().copied())
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
    match (<&[u8; PAGE]>::try_from(&c.before[..]), <&[u8; PAGE]>::try_from(&c.after[..])) {
        (Ok(b), Ok(a)) => nestscope_core::inspect::vmcb::field_changed(f, b, a),
        _ => c.before != c.after,
    }
}

fn is_zero(v: &FieldValue) -> bool {
    match v {
        FieldValue::Int(x) => *x == 0,
        FieldValue::Seg(s) => s.selector == 0 && s.attrib == 0 && s.limit == 0 && s.base == 0,
        FieldValue::Bytes(b) => b.iter().all(|x| *x == 0),
    }
}

fn raw_dump(page: &[u8], change: Option<&PageChange>) -> Html {
    let differs = |i: usize| change.is_some_and(|c| c.before[i] != c.after[i]);
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

#[function_component(VmcbView)]
pub fn vmcb_view(p: &VmcbViewProps) -> Html {
    let raw = use_state(|| false);
    let all = use_state(|| false);
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
    let change = p.change.as_ref();
    let rows: Vec<_> = fields_of(&p.page)
        .into_iter()
        .map(|(f, v)| (f, change.is_some_and(|c| field_changed(f, c)), v))
        .filter(|(_, ch, v)| *all || *ch || !is_zero(v))
        .collect();
    html! {
        <section class="panel vmcb" aria-label="VMCB">
            <h2>{"VMCB"}</h2>
            <div class="vmcb-controls">
                <select {onchange} aria-label="Which VMCB" data-testid="vmcb-select">
                    { for p.choices.iter().enumerate().map(|(i, (r, a))| html! {
                        <option value={i.to_string()} selected={*r == role}>{format!("{} at {a:#x}", r.name(p.kvm))}</option>
                    }) }
                </select>
                <label><input type="checkbox" checked={*raw} onchange={toggle(&raw)} data-testid="vmcb-raw-toggle" />{" raw hex"}</label>
                if !*raw {
                    <label><input type="checkbox" checked={*all} onchange={toggle(&all)} />{" zero fields too"}</label>
                }
            </div>
            <p class="vmcb-change dim" data-testid="vmcb-change">{
                match change {
                    Some(_) => format!("highlighted: changed by {}", p.change_label),
                    None if p.change_label.is_empty() => format!("{} at {addr:#x}: no world switch yet", role.name(p.kvm)),
                    None => format!("{} did not change {}", p.change_label, role.name(p.kvm)),
                }
            }</p>
            if *raw {
                { raw_dump(&p.page, change) }
            } else {
                <table class="vmcb-fields" data-testid="vmcb-fields">
                    <tr><th>{"offset"}</th><th>{"field"}</th><th>{"value"}</th><th>{"meaning"}</th></tr>
                    { for rows.iter().map(|(f, ch, v)| html! {
                        <tr class={classes!(ch.then_some("changed"))} data-field={f.name} title={format!("{} — {} (APM {})", f.apm_name, f.meaning, f.apm_section)}>
                            <td class="addr">{format!("{:#05x}", f.offset)}</td>
                            <td>{f.name}</td>
                            <td class="mono">{hex_value(f, v)}</td>
                            <td class="decoded">{decode_value(f, v)}</td>
                        </tr>
                    }) }
                </table>
            }
        </section>
    }
}
