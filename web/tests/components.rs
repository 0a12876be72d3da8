//! Component tests in headless Chromium (wasm-bindgen-test): render components into a detached
//! element and check the DOM they produce.
#![cfg(target_arch = "wasm32")]
use nestscope_web::components::disassembly::{listing, Disassembly, DisassemblyProps};
use nestscope_web::components::registers::{decode_rflags, Registers, RegistersProps};
use nestscope_web::components::toolbar::{Toolbar, ToolbarProps};
use nestscope_core::cpu::Regs;
use nestscope_core::trace::Level;
use nestscope_web::state::Status;
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
    assert_eq!(texts(&root, "[data-testid=level]"), vec!["L1"]);
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
        level: Level::L2,
        l1: regs(l1, 0x1000aa, 0x2),
        prev_l1: regs(l1, 0x1000aa, 0x2),
        l2: Some(regs(l2, 0x100105, 0x2)),
        prev_l2: Some(regs({ let mut p = l2; p[0] = 0x4b; p }, 0x100103, 0x2)),
    };
    yew::Renderer::<Registers>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert_eq!(texts(&root, "[data-testid=level]"), vec!["L2"]);
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
    yew::Renderer::<Disassembly>::with_root_and_props(root.clone(), DisassemblyProps { lines, rip: 0x100004 }).render();
    settle().await;
    let cur = root.query_selector_all("tr.current").unwrap();
    assert_eq!(cur.length(), 1);
    let text = cur.item(0).unwrap().text_content().unwrap();
    assert!(text.contains("0x100004") && text.contains("out dx"), "{text}");
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
