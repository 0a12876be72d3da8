//! Component tests in headless Chromium (wasm-bindgen-test): render components into a detached
//! element and check the DOM they produce.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![cfg(target_arch = "wasm32")]
use nestscope_core::cpu::Regs;
use nestscope_core::trace::{Event, EventKind, Level};
use nestscope_web::components::disassembly::{Disassembly, DisassemblyProps, listing};
use nestscope_web::components::registers::{Registers, RegistersProps, decode_rflags};
use nestscope_web::components::toolbar::{Toolbar, ToolbarProps};
use nestscope_web::state::{RunRate, Status};
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> web_sys::Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(20)).await;
}

/// After the next animation frame's callbacks (the timeline draws in one).
async fn next_frame() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().request_animation_frame(&resolve).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
    settle().await;
}

fn attrs(root: &web_sys::Element, sel: &str, attr: &str) -> Vec<String> {
    let list = root.query_selector_all(sel).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().dyn_into::<web_sys::Element>().unwrap().get_attribute(attr).unwrap_or_default())
        .collect()
}

fn regs(gpr: [u64; 16], rip: u64, rflags: u64) -> Regs {
    Regs { gpr, rip, rflags }
}

fn texts(root: &web_sys::Element, sel: &str) -> Vec<String> {
    let list = root.query_selector_all(sel).unwrap();
    (0..list.length()).map(|i| list.item(i).unwrap().text_content().unwrap_or_default()).collect()
}

#[wasm_bindgen_test]
async fn registers_highlight_exactly_the_changed_ones() {
    let root = mount();
    let mut prev = [0u64; 16];
    prev[1] = 5;
    let mut gpr = prev;
    gpr[0] = 0x1234; // rax changed, rcx unchanged at 5
    let props = RegistersProps {
        interrupts: None,
        level: Level::L1,
        l1: regs(gpr, 0x100004, 0x46),
        prev_l1: regs(prev, 0x100000, 0x2),
        l2: None,
        prev_l2: None,
    };
    yew::Renderer::<Registers>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert_eq!(attrs(&root, "tr.changed", "data-reg"), vec!["rax", "rflags"]);
    let rax = root.query_selector("tr[data-reg=rax] td").unwrap().unwrap();
    assert_eq!(rax.text_content().unwrap(), "0x0000000000001234");
    assert_eq!(root.query_selector_all("tr[data-reg=rax] td").unwrap().length(), 1, "one column while L1 runs");
    assert_eq!(texts(&root, ".registers h2 .badge"), vec!["L1"]);
}

#[wasm_bindgen_test]
async fn registers_show_what_can_interrupt_the_code() {
    // A self-IPI (ICR: fixed, shorthand self, vector 0x41) with IF = 0 stays requested in the
    // IRR (APM 16.6); the panel shows the core's interrupt view of that run.
    use nestscope_core::hv::L0Config;
    use nestscope_core::sim::Sim;
    let bin = nestscope_core::asm::assemble("bits 64\nmov rbx, 0xFEE00000\nmov dword [rbx + 0x300], 0x40041\nnop\n").unwrap().bytes;
    let mut sim = Sim::new(&bin, 64, "bare".parse().unwrap(), &L0Config::default()).unwrap();
    sim.step().unwrap();
    sim.step().unwrap();
    let root = mount();
    let r = sim.l1_regs();
    let props = RegistersProps {
        level: Level::L1,
        l1: r.clone(),
        prev_l1: r,
        l2: None,
        prev_l2: None,
        interrupts: Some(nestscope_core::inspect::interrupts::interrupt_view(&sim).to_string()),
    };
    yew::Renderer::<Registers>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert_eq!(texts(&root, "[data-testid=interrupts]"), vec!["Interrupts: GIF 1 IF 0 · APIC IRR 0x41 ISR - TPR 0x00"]);
}

#[wasm_bindgen_test]
async fn registers_show_l1_and_l2_side_by_side_while_l2_runs() {
    let root = mount();
    let mut l1 = [0u64; 16];
    l1[0] = 0x200000; // L1's RAX (the VMCB address) is kept in the host save area
    l1[3] = 0x81;
    let mut l2 = l1;
    l2[0] = 0x4c; // the guest's RAX
    l2[4] = 0x380000; // and its RSP
    let props = RegistersProps {
        interrupts: None,
        level: Level::L2,
        l1: regs(l1, 0x1000aa, 0x2),
        prev_l1: regs(l1, 0x1000aa, 0x2),
        l2: Some(regs(l2, 0x100105, 0x2)),
        prev_l2: Some(regs(
            {
                let mut p = l2;
                p[0] = 0x4b;
                p
            },
            0x100103,
            0x2,
        )),
    };
    yew::Renderer::<Registers>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert_eq!(texts(&root, ".registers h2 .badge"), vec!["L2"]);
    assert_eq!(texts(&root, "tr[data-reg=rax] td.l1"), vec!["0x0000000000200000"]);
    assert_eq!(texts(&root, "tr[data-reg=rax] td.l2"), vec!["0x000000000000004c"]);
    assert_eq!(texts(&root, "tr[data-reg=rsp] td.l2"), vec!["0x0000000000380000"]);
    assert_eq!(texts(&root, "tr[data-reg=rip] td.l2"), vec!["0x0000000000100105"]);
    assert_eq!(attrs(&root, "td.l2.changed", "class").len(), 1, "only L2's RAX changed");
    assert_eq!(attrs(&root, "tr.changed", "data-reg"), vec!["rax"]);
    assert!(texts(&root, "tr.levels th").contains(&"L2 (CPU)".to_string()));
}

#[wasm_bindgen_test]
fn rflags_decoding_follows_the_bit_positions() {
    // 0x46 = ZF (bit 6) | PF (bit 2) | the always-one bit 1.
    assert_eq!(decode_rflags(0x46), "of df if tf sf ZF af PF cf");
    assert_eq!(decode_rflags((1 << 11) | (1 << 10) | (1 << 9) | (1 << 8) | 1), "OF DF IF TF sf zf af pf CF");
    assert_eq!(decode_rflags((1 << 7) | (1 << 4)), "of df if tf SF zf AF pf cf");
}

#[wasm_bindgen_test]
async fn toolbar_disables_step_and_run_when_the_program_stopped() {
    let root = mount();
    let props = ToolbarProps {
        status: Status::Stopped("debug-exit, code 0".into()),
        steps: 19,
        on_step: Callback::noop(),
        on_run: Callback::noop(),
        on_run_to_switch: Callback::noop(),
        on_pause: Callback::noop(),
        on_reset: Callback::noop(),
        on_step_back: Callback::noop(),
        paused: None,
        rate: None,
    };
    yew::Renderer::<Toolbar>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let buttons = root.query_selector_all("button").unwrap();
    let mut seen = Vec::new();
    for i in 0..buttons.length() {
        let b: web_sys::HtmlElement = buttons.item(i).unwrap().dyn_into().unwrap();
        seen.push((b.text_content().unwrap(), b.has_attribute("disabled")));
    }
    let expect: Vec<(String, bool)> = vec![
        ("Step".into(), true),
        // A finished run can still go back (by replay).
        ("Step back".into(), false),
        ("Run".into(), true),
        ("Run to next VMRUN/#VMEXIT".into(), true),
        ("Reset".into(), false),
    ];
    assert_eq!(seen, expect);
    assert!(root.text_content().unwrap().contains("debug-exit, code 0"));
}

#[wasm_bindgen_test]
async fn disassembly_marks_the_instruction_at_rip() {
    let root = mount();
    // nasm -f bin: mov dx, 0xe9 / out dx, al / hlt
    let code = [0x66, 0xba, 0xe9, 0x00, 0xee, 0xf4];
    let lines = std::rc::Rc::new(listing(&code, 0x100000));
    assert_eq!(lines.iter().map(|l| l.addr).collect::<Vec<_>>(), vec![0x100000, 0x100004, 0x100005]);
    yew::Renderer::<Disassembly>::with_root_and_props(root.clone(), DisassemblyProps {
        lines,
        rip: 0x100004,
        breakpoints: [0x100005].into(),
        on_toggle: Callback::noop(),
        level: "L1".into(),
    }).render();
    settle().await;
    let cur = root.query_selector_all("tr.current").unwrap();
    assert_eq!(cur.length(), 1);
    let text = cur.item(0).unwrap().text_content().unwrap();
    assert!(text.contains("0x100004") && text.contains("out dx"), "{text}");
    // The breakpoint at the hlt is marked in the gutter; the other lines have an empty toggle.
    let bps = root.query_selector_all("tr.bp").unwrap();
    assert_eq!(bps.length(), 1);
    assert!(bps.item(0).unwrap().text_content().unwrap().contains("0x100005"));
    assert_eq!(root.query_selector_all("button.bp-toggle[aria-pressed=true]").unwrap().length(), 1);
    assert_eq!(root.query_selector_all("button.bp-toggle").unwrap().length(), 3);
}

#[wasm_bindgen_test]
fn line_span_finds_character_offsets_of_a_line() {
    use nestscope_web::components::editor::line_span;
    let t = "ab\ncdé\n\nx";
    assert_eq!(line_span(t, 1), (0, 2));
    assert_eq!(line_span(t, 2), (3, 6), "é is one character");
    assert_eq!(line_span(t, 3), (7, 7));
    assert_eq!(line_span(t, 4), (8, 9));
    assert_eq!(line_span(t, 9), (9, 9), "past the end: the end");
}

#[wasm_bindgen_test]
async fn editor_marks_every_line_with_an_error() {
    use nestscope_core::asm::AsmError;
    use nestscope_web::components::editor::{Editor, EditorProps};
    let root = mount();
    let errs = vec![
        AsmError { line: 2, column: 3, message: "unknown mnemonic `frob`".into() },
        AsmError { line: 4, column: 1, message: "undefined label `x`".into() },
    ];
    let props = EditorProps {
        scenario: "t".into(),
        source: "bits 64\n  frob\nnop\njmp x\n".into(),
        edited: true,
        errors: errs,
        on_edit: Callback::noop(),
        on_assemble: Callback::noop(),
        on_revert: Callback::noop(),
    };
    yew::Renderer::<Editor>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let bad = root.query_selector_all(".gutter .bad").unwrap();
    let lines: Vec<String> = (0..bad.length()).map(|i| bad.item(i).unwrap().text_content().unwrap()).collect();
    assert_eq!(lines, vec!["2", "4"]);
    let items = root.query_selector_all(".asm-errors li").unwrap();
    assert_eq!(items.length(), 2);
    assert_eq!(items.item(0).unwrap().text_content().unwrap(), "line 2, column 3: unknown mnemonic `frob`");
    let area = root.query_selector("textarea").unwrap().unwrap();
    assert_eq!(area.get_attribute("aria-invalid").as_deref(), Some("true"));
    let revert = root.query_selector_all("button").unwrap().item(1).unwrap();
    assert!(!revert.dyn_into::<web_sys::Element>().unwrap().has_attribute("disabled"), "edited: revert enabled");
}

// ---- nested-virtualization panels ----------------------------------------------------------

use nestscope_core::mem::Hpa;
use nestscope_core::trace::{Detail, FailedCheck};
use nestscope_web::switches::{PageChange, SwitchRecord, VmcbRole};
use std::cell::RefCell;
use std::rc::Rc;

fn put(page: &mut [u8], off: usize, v: u64, size: usize) {
    page[off..off + size].copy_from_slice(&v.to_le_bytes()[..size]);
}

/// A VMCB after a #VMEXIT(VMMCALL): intercepts VMRUN+VMMCALL, ASID 1, EXITCODE 0x81, G_PAT, CR0.
fn vmcb_pages() -> (Vec<u8>, Vec<u8>) {
    let mut before = vec![0u8; 0x1000];
    put(&mut before, 0x010, 3, 4);
    put(&mut before, 0x058, 1, 4);
    put(&mut before, 0x558, 0x8001_0033, 8);
    put(&mut before, 0x668, 0x0007_0406_0007_0406, 8);
    let mut after = before.clone();
    put(&mut after, 0x070, 0x81, 8);
    (before, after)
}

fn row_cells(root: &web_sys::Element, sel: &str) -> Vec<String> {
    texts(root, &format!("{sel} td"))
}

#[wasm_bindgen_test]
async fn vmcb_view_shows_fields_decoded_and_highlights_what_the_switch_changed() {
    use nestscope_web::components::vmcb_view::{VmcbView, VmcbViewProps};
    let root = mount();
    let (before, after) = vmcb_pages();
    let props = VmcbViewProps {
        choices: vec![(VmcbRole::Vmcb12, Hpa(0x200000))],
        selected: None,
        kvm: false,
        page: Rc::new(after.clone()),
        change: Some(PageChange { addr: Hpa(0x200000), before: Rc::new(before), after: Rc::new(after) }),
        change_label: "#VMEXIT L2→L1 0x81 VMEXIT_VMMCALL at step 51".into(),
        on_select: Callback::noop(),
    };
    yew::Renderer::<VmcbView>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert_eq!(
        attrs(&root, "tr[data-field]", "data-field"),
        vec!["intercept_word4", "asid", "exit_code", "cr0", "g_pat"]
    );
    assert_eq!(attrs(&root, "tr.changed", "data-field"), vec!["exit_code"]);
    assert_eq!(
        row_cells(&root, "tr[data-field=exit_code]"),
        vec!["0x070", "exit_code", "0x0000000000000081", "VMEXIT_VMMCALL"]
    );
    assert_eq!(
        row_cells(&root, "tr[data-field=intercept_word4]")[2..],
        ["0x00000003".to_string(), "VMRUN VMMCALL".to_string()]
    );
    assert_eq!(row_cells(&root, "tr[data-field=asid]")[2], "0x00000001");
    assert_eq!(row_cells(&root, "tr[data-field=cr0]")[3], "PE MP ET NE WP PG");
    assert!(row_cells(&root, "tr[data-field=g_pat]")[3].contains("WB"), "G_PAT decoded as memory types");
    assert_eq!(texts(&root, "option"), vec!["VMCB at 0x200000"]);
    assert_eq!(
        texts(&root, "[data-testid=vmcb-change]"),
        vec!["highlighted: changed by #VMEXIT L2→L1 0x81 VMEXIT_VMMCALL at step 51"]
    );
    // Raw hex: the whole page, with exactly the changed byte marked.
    let toggle: web_sys::HtmlElement =
        root.query_selector("[data-testid=vmcb-raw-toggle]").unwrap().unwrap().dyn_into().unwrap();
    toggle.click();
    settle().await;
    assert_eq!(root.query_selector_all("[data-testid=vmcb-raw] tr").unwrap().length(), 256);
    assert_eq!(texts(&root, "[data-testid=vmcb-raw] mark"), vec!["81 "]);
    assert_eq!(texts(&root, "[data-testid=vmcb-raw] tr:nth-child(8) td.addr"), vec!["070"]);
}

#[wasm_bindgen_test]
async fn vmcb_view_without_a_vmcb_says_so_and_names_kvm_roles() {
    use nestscope_web::components::vmcb_view::{VmcbView, VmcbViewProps, effective};
    let root = mount();
    let props = VmcbViewProps {
        choices: vec![],
        selected: None,
        kvm: false,
        page: Rc::new(vec![0; 0x1000]),
        change: None,
        change_label: "".into(),
        on_select: Callback::noop(),
    };
    yew::Renderer::<VmcbView>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert_eq!(texts(&root, "[data-testid=vmcb-none]"), vec!["No VMCB yet: L1 has not executed VMRUN."]);
    let choices = [(VmcbRole::Vmcb12, Hpa(0x200000)), (VmcbRole::Vmcb01, Hpa(0x4000000)), (VmcbRole::Vmcb02, Hpa(0x4001000))];
    assert_eq!(effective(&choices, Some(VmcbRole::Vmcb02)), Some((VmcbRole::Vmcb02, Hpa(0x4001000))));
    assert_eq!(
        effective(&choices[1..], Some(VmcbRole::Vmcb12)),
        Some((VmcbRole::Vmcb01, Hpa(0x4000000))),
        "falls back to the first"
    );
    assert_eq!(VmcbRole::Vmcb12.name(true), "vmcb12");
    assert_eq!(VmcbRole::Vmcb12.name(false), "VMCB");
}

fn event(kind: EventKind, from: Level, to: Level, code: u64, step: u64, detail: Detail) -> Event {
    Event { kind, from, to, exit_code: code, step, rip: 0x100000 + step, detail: Some(detail) }
}

#[wasm_bindgen_test]
async fn switch_trace_lists_events_and_explains_a_failed_check() {
    use nestscope_web::components::switch_trace::{SwitchTrace, SwitchTraceProps};
    let root = mount();
    let evs = vec![
        (497, event(EventKind::Vmrun, Level::L1, Level::L2, 0, 43, Detail::Vmrun { vmcb: Hpa(0x200000), emulated_by: None })),
        (498, event(EventKind::Vmexit, Level::L2, Level::L1, 0x81, 51, Detail::Name("VMEXIT_VMMCALL"))),
        (499, event(
            EventKind::Vmexit,
            Level::L2,
            Level::L1,
            u64::MAX,
            60,
            Detail::VmrunFailed(FailedCheck { name: "asid_zero", apm_section: "15.5.1", detail: "ASID = 0".into() }),
        )),
    ];
    let (before, after) = vmcb_pages();
    let rec = SwitchRecord {
        first_event: 498,
        events: 1,
        step: 51,
        pages: vec![PageChange { addr: Hpa(0x200000), before: Rc::new(before), after: Rc::new(after) }],
    };
    let props = SwitchTraceProps {
        events: Rc::new(evs),
        total: 500,
        records: Rc::new(vec![rec]),
        vmcb_names: vec![(Hpa(0x200000), "vmcb12".into())],
    };
    yew::Renderer::<SwitchTrace>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert!(texts(&root, "h2")[0].ends_with("(the last 3 of 500)"));
    assert_eq!(attrs(&root, "tr[data-event]", "data-event"), vec!["497", "498", "499"]);
    assert_eq!(
        row_cells(&root, "tr[data-event='498']"),
        vec!["498", "#VMEXIT", "L2→L1", "0x81 VMEXIT_VMMCALL", "51", "0x100033", "VMEXIT_VMMCALL"]
    );
    assert_eq!(
        row_cells(&root, "tr[data-event='497']")[1..4],
        ["VMRUN".to_string(), "L1→L2".to_string(), String::new()]
    );
    assert_eq!(attrs(&root, "tr.invalid", "data-event"), vec!["499"]);
    assert!(root.query_selector("[data-testid=switch-detail]").unwrap().is_none());
    let click = |sel: &str| {
        let r: web_sys::HtmlElement = root.query_selector(sel).unwrap().unwrap().dyn_into().unwrap();
        r.click();
    };
    click("tr[data-event='499']");
    settle().await;
    assert_eq!(
        texts(&root, "[data-testid=failed-check]"),
        vec!["VMRUN failed the consistency check asid_zero (APM 15.5.1): ASID = 0"]
    );
    assert_eq!(
        texts(&root, "[data-testid=check-rule]"),
        vec!["VMEXIT_INVALID when ASID is zero (newer APM revisions)."]
    );
    assert_eq!(attrs(&root, "tr.selected", "data-event"), vec!["499"]);
    click("tr[data-event='498']");
    settle().await;
    assert_eq!(texts(&root, "[data-testid=switch-detail] h3"), vec!["event #498: #VMEXIT L2→L1 0x81 VMEXIT_VMMCALL"]);
    // the exit table's explanation of the code (APM section 15.9 for the instruction intercepts)
    assert_eq!(
        texts(&root, "[data-testid=exit-meaning]"),
        vec!["VMEXIT_VMMCALL = SVM_EXIT_VMMCALL, intercept VMMCALL (APM 15.9): VMMCALL, the call to the hypervisor"]
    );
    assert_eq!(texts(&root, ".changed-fields li"), vec!["vmcb12 exit_code: 0x0000000000000000 → 0x0000000000000081"]);
}

fn hello_sim(model: &str) -> nestscope_core::sim::Sim {
    let sc = nestscope_core::scenario::catalog::get("hello").unwrap().unwrap();
    let code = nestscope_core::asm::assemble(&sc.source).unwrap().bytes;
    nestscope_core::sim::Sim::new(&code, 64, model.parse().unwrap(), &Default::default()).unwrap()
}

fn walk_props(
    model: &str,
    addr: u64,
    kind: nestscope_web::components::page_walk::AccessKind,
) -> nestscope_web::components::page_walk::PageWalkProps {
    use nestscope_core::mem::Gva;
    let sim = hello_sim(model);
    nestscope_web::components::page_walk::PageWalkProps {
        addr,
        follows_rip: addr == 0x100000,
        access: kind,
        level: sim.level(),
        kvm: model.starts_with("kvm"),
        report: sim.machine().memtype_of(Gva(addr), kind.access(false)),
        on_addr: Callback::noop(),
        on_access: Callback::noop(),
    }
}

#[wasm_bindgen_test]
async fn page_walk_shows_a_native_walk_and_its_memory_type() {
    use nestscope_web::components::page_walk::{AccessKind, PageWalk};
    let root = mount();
    yew::Renderer::<PageWalk>::with_root_and_props(root.clone(), walk_props("bare", 0x100000, AccessKind::Fetch))
        .render();
    settle().await;
    assert_eq!(texts(&root, "tr.guest td:first-child"), vec!["PML4E", "PDPTE"]);
    assert_eq!(
        row_cells(&root, "tr.guest[data-level='4']"),
        vec!["PML4E", "0x2000", "0x0000000000003003", "P RW us pwt pcd a nx → 0x3000"]
    );
    assert_eq!(root.query_selector_all("tr.nested").unwrap().length(), 0, "no nested paging on bare L1");
    assert_eq!(texts(&root, "[data-testid=walk-translation]"), vec!["0x100000 → physical 0x100000"]);
    assert_eq!(attrs(&root, "tr[data-step]", "data-step"), vec!["PAT", "MTRR", "effective", "CD", "result"]);
    assert_eq!(texts(&root, "tr[data-step=result] td"), vec!["WB"]);
    assert!(texts(&root, "tr[data-step=MTRR] td")[0].starts_with("WB for SPA 0x100000"));
    assert_eq!(texts(&root, "h2"), vec!["Page walk and memory type (L1)"]);
}

#[wasm_bindgen_test]
async fn page_walk_under_kvm_is_two_dimensional_and_a_fault_is_shown_as_such() {
    use nestscope_web::components::page_walk::{AccessKind, PageWalk};
    let root = mount();
    yew::Renderer::<PageWalk>::with_root_and_props(root.clone(), walk_props("kvm-legacy", 0x100000, AccessKind::Read))
        .render();
    settle().await;
    assert_eq!(texts(&root, "tr.guest td:first-child"), vec!["PML4E", "PDPTE"]);
    assert!(root.query_selector_all("tr.nested").unwrap().length() >= 4, "nested sub-walks through L0's NPT");
    assert_eq!(
        attrs(&root, "tr[data-step]", "data-step"),
        vec!["guest PAT", "host PAT", "combined", "MTRR", "effective", "CD", "result"]
    );
    assert!(texts(&root, "tr[data-step=combined] td")[0].starts_with("Table 15-19: guest WB × host WB = WB"));
    assert!(texts(&root, "[data-testid=walk-translation]")[0].starts_with("GVA 0x100000 → GPA 0x100000 → SPA "));
    let root2 = mount();
    yew::Renderer::<PageWalk>::with_root_and_props(
        root2.clone(),
        walk_props("bare", 0x1234_5678_9000, AccessKind::Write),
    )
    .render();
    settle().await;
    assert_eq!(texts(&root2, "[data-testid=walk-fault]"), vec!["the access would fault: #PF, error code 0x2 (W)"]);
    // Under L0, an L1 address the guest tables map but beyond L1's 64 MiB: L0's NPT faults.
    let root3 = mount();
    yew::Renderer::<PageWalk>::with_root_and_props(
        root3.clone(),
        walk_props("kvm-merged", 0x8000_0000, AccessKind::Read),
    )
    .render();
    settle().await;
    let npf = texts(&root3, "[data-testid=walk-fault]");
    assert_eq!(npf.len(), 1);
    assert!(
        npf[0].starts_with("the access would fault: #NPF: #VMEXIT 0x400 (VMEXIT_NPF), EXITINFO1 0x1000000"),
        "{npf:?}"
    );
    assert!(npf[0].ends_with("EXITINFO2 (GPA) 0x80000000"), "{npf:?}");
}

#[wasm_bindgen_test]
async fn expectation_lists_what_the_scenario_expects_and_the_verdict() {
    use nestscope_web::components::expectation::{ExpectationView, ExpectationViewProps};
    use nestscope_web::state::Outcome;
    let sc = nestscope_core::scenario::catalog::get("hello-vmrun").unwrap().unwrap();
    let exp = sc.expect.get(&"bare".parse().unwrap()).cloned();
    let root = mount();
    let props = ExpectationViewProps { model: "bare".parse().unwrap(), expectation: exp.clone(), outcome: None };
    yew::Renderer::<ExpectationView>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert_eq!(attrs(&root, "tr[data-exp]", "data-exp"), vec!["exit", "code", "console", "regs", "events"]);
    assert_eq!(texts(&root, "tr[data-exp=console] td"), vec![r#""L2\nL1: L2 exited with VMMCALL\n""#]);
    assert_eq!(texts(&root, "tr[data-exp=events] td"), vec!["vmrun L1->L2 · vmexit L2->L1 0x81"]);
    assert_eq!(texts(&root, "[data-testid=verdict]"), vec!["Run the program to the end to check it."]);
    let bad = Outcome {
        model: "bare".parse().unwrap(),
        mismatches: vec!["code: expected 0, got 1".into()],
        caveat: Some("the program differs from the scenario's source".into()),
    };
    let root2 = mount();
    yew::Renderer::<ExpectationView>::with_root_and_props(
        root2.clone(),
        ExpectationViewProps { model: "bare".parse().unwrap(), expectation: exp.clone(), outcome: Some(bad) },
    )
    .render();
    settle().await;
    assert_eq!(texts(&root2, "[data-testid=verdict] li"), vec!["code: expected 0, got 1"]);
    assert_eq!(texts(&root2, "[data-testid=caveat]"), vec!["Note: the program differs from the scenario's source."]);
    let good = Outcome { model: "bare".parse().unwrap(), mismatches: vec![], caveat: None };
    let root3 = mount();
    yew::Renderer::<ExpectationView>::with_root_and_props(
        root3.clone(),
        ExpectationViewProps { model: "bare".parse().unwrap(), expectation: exp, outcome: Some(good) },
    )
    .render();
    settle().await;
    assert_eq!(texts(&root3, "[data-testid=verdict]"), vec!["✓ the run matched the expectation"]);
    let root4 = mount();
    yew::Renderer::<ExpectationView>::with_root_and_props(
        root4.clone(),
        ExpectationViewProps { model: "kvm-rfc".parse().unwrap(), expectation: None, outcome: None },
    )
    .render();
    settle().await;
    assert_eq!(texts(&root4, "p"), vec!["The scenario states no expectation for kvm-rfc."]);
}

#[wasm_bindgen_test]
async fn model_picker_lists_the_seven_models_and_reports_a_pick() {
    use nestscope_web::components::model_picker::{ModelPicker, ModelPickerProps};
    let root = mount();
    let picked = Rc::new(RefCell::new(None::<String>));
    let on_select = {
        let p = picked.clone();
        Callback::from(move |m: nestscope_core::Model| *p.borrow_mut() = Some(m.to_string()))
    };
    let props = ModelPickerProps {
        current: "kvm-rfc".parse().unwrap(),
        scenario_models: vec!["bare".parse().unwrap(), "kvm-rfc".parse().unwrap()],
        on_select,
    };
    yew::Renderer::<ModelPicker>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert_eq!(
        attrs(&root, "option", "value"),
        vec!["bare", "bare-swap", "bare-qemu", "kvm-legacy", "kvm-rfc", "kvm-swap", "kvm-merged"]
    );
    assert_eq!(texts(&root, "option")[..2], ["bare ✓".to_string(), "bare-swap".to_string()]);
    let sel: web_sys::HtmlSelectElement = root.query_selector("select").unwrap().unwrap().dyn_into().unwrap();
    assert_eq!(sel.value(), "kvm-rfc");
    assert!(texts(&root, ".model-summary")[0].contains("RFC"));
    sel.set_value("kvm-swap");
    sel.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    settle().await;
    assert_eq!(picked.borrow().as_deref(), Some("kvm-swap"));
}

#[wasm_bindgen_test]
fn memory_dump_translates_linear_addresses_of_the_running_level() {
    use nestscope_web::components::memory_view::dump;
    for model in ["bare", "kvm-legacy"] {
        let sim = hello_sim(model);
        let m = sim.machine();
        let lin = dump(m, 0x100000, true);
        assert_eq!(lin, dump(m, 0x100000, false), "{model}: identity-mapped");
        assert_eq!(lin[0].1[..4], [Some(0x66), Some(0xba), Some(0xe9), Some(0x00)], "{model}: mov dx, 0xe9");
        // Beyond the 4 GiB the entry tables map: no translation, no bytes.
        assert!(dump(m, 0x1_2345_0000, true).iter().all(|(_, b)| b.iter().all(Option::is_none)), "{model}");
    }
}

#[wasm_bindgen_test]
async fn toolbar_shows_the_speed_of_the_run() {
    // (steps, world switches, milliseconds) → the text shown; no text before any time was measured.
    let cases = [
        (RunRate { steps: 4_690_000, switches: 1_340_000, ms: 2000.0 }, Some("2.35 M steps/s · 670.0 k world switches/s")),
        (RunRate { steps: 812, switches: 0, ms: 1000.0 }, Some("812 steps/s · 0 world switches/s")),
        (RunRate { steps: 19, switches: 2, ms: 0.1 }, Some("19 steps · 2 world switches in 0.1 ms")),
        (RunRate { steps: 57, switches: 4, ms: 0.0 }, Some("57 steps · 4 world switches in under 0.1 ms")),
        (RunRate { steps: 0, switches: 0, ms: 0.0 }, None),
    ];
    for (rate, want) in cases {
        let root = mount();
        let props = ToolbarProps {
            status: Status::Running,
            steps: rate.steps,
            on_step: Callback::noop(),
            on_run: Callback::noop(),
            on_run_to_switch: Callback::noop(),
            on_pause: Callback::noop(),
            on_reset: Callback::noop(),
            on_step_back: Callback::noop(),
            paused: None,
            rate: Some(rate),
        };
        yew::Renderer::<Toolbar>::with_root_and_props(root.clone(), props).render();
        settle().await;
        let shown = root.query_selector("[data-testid=rate]").unwrap().map(|e| e.text_content().unwrap());
        // The rate's place is kept (empty) before a run did anything, so the toolbar does not shift.
        assert_eq!(shown.as_deref(), Some(want.unwrap_or("")), "{rate:?}");
    }
}

#[wasm_bindgen_test]
async fn timeline_draws_a_tick_in_the_exit_colour_and_names_it_in_text() {
    use nestscope_web::components::timeline_view::{TimelineData, TimelineProps, TimelineView};
    use nestscope_web::run_until::{Goal, Stops, run};
    use nestscope_web::switches::Tracker;
    use nestscope_web::timeline::{CATEGORIES, Category};
    let sc = nestscope_core::scenario::catalog::get("hello-vmrun").unwrap().unwrap();
    let code = nestscope_core::asm::assemble(&sc.source).unwrap().bytes;
    let sim = nestscope_core::sim::Sim::new(&code, 64, "bare".parse().unwrap(), &nestscope_core::hv::L0Config::default()).unwrap();
    let mut t = Tracker::new(&sim);
    let mut tt = nestscope_core::timetravel::TimeTravel::new(sim);
    let mut marks = Vec::new();
    run(&mut t, &mut tt, 1_000_000, Goal::End, &Stops::default(), &mut marks).unwrap();
    assert_eq!(marks.len(), 2, "VMRUN and the VMMCALL #VMEXIT");
    let exit = marks[1];
    let steps = tt.steps();
    let root = mount();
    root.set_attribute("style", "width: 600px").unwrap();
    let data = TimelineData { marks: std::rc::Rc::new(std::cell::RefCell::new(marks)), len: 2, steps };
    yew::Renderer::<TimelineView>::with_root_and_props(root.clone(), TimelineProps { data, on_jump: Callback::noop() })
        .render();
    settle().await;
    next_frame().await;
    let canvas: web_sys::HtmlCanvasElement = root.query_selector("canvas").unwrap().unwrap().dyn_into().unwrap();
    let label = canvas.get_attribute("aria-label").unwrap();
    assert!(label.starts_with(&format!("Timeline of 2 world switches over {steps} steps")), "{label}");
    assert_eq!(texts(&root, ".legend li"), CATEGORIES.iter().map(|c| c.name().to_string()).collect::<Vec<_>>());
    // The exit's column, in the L1 lane (row 1 of 3): the VMMCALL colour.
    let t1: f64 = canvas.get_attribute("data-t1").unwrap().parse().unwrap();
    let w = canvas.client_width() as f64;
    let dpr = web_sys::window().unwrap().device_pixel_ratio();
    let x = ((exit.at as f64) * w / t1).floor();
    let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    let px = ctx.get_image_data((x + 0.5) * dpr, 21.0 * dpr, 1.0, 1.0).unwrap().data().0;
    let want = Category::Vmmcall.colour();
    let rgb = |i: usize| u8::from_str_radix(&want[1 + 2 * i..3 + 2 * i], 16).unwrap();
    assert_eq!(&px[..3], &[rgb(0), rgb(1), rgb(2)], "pixel at x={x}");
}
