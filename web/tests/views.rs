//! Component tests (headless Chromium) of the PAT layers and compare views, fed with real core
//! results: the data/l0/gpat program, whose expected values come from reference §10.3 and
//! Table 15-19 (see core/tests/l0.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![cfg(target_arch = "wasm32")]
use nestscope_core::compare::compare;
use nestscope_core::pat_layers::pat_layers;
use nestscope_core::hv::L0Config;
use nestscope_core::mem::paging::Access;
use nestscope_core::sim::Sim;
use nestscope_core::trace::Level;
use nestscope_web::components::compare_view::{CompareResult, CompareResultProps};
use nestscope_web::components::pat_layers_view::{PatLayersProps, PatLayersView};
use std::time::Duration;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

const PROGRAM: &[u8] = include_bytes!("../../core/tests/data/l0/gpat.bin");

fn mount() -> web_sys::Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(20)).await;
}

fn text(root: &web_sys::Element, sel: &str) -> String {
    root.query_selector(sel).unwrap().map(|e| e.text_content().unwrap_or_default()).unwrap_or_default()
}

#[wasm_bindgen_test]
async fn pat_layers_show_three_layers_and_the_two_types() {
    let mut s = Sim::new(PROGRAM, 64, "kvm-merged".parse().unwrap(), &L0Config::default()).unwrap();
    while s.level() != Level::L2 {
        s.step().unwrap();
    }
    let rip = s.machine().cpu.regs.rip;
    let root = mount();
    let props = PatLayersProps { gva: rip, layers: pat_layers(&s, rip, Access::FETCH), on_gva: Callback::noop() };
    yew::Renderer::<PatLayersView>::with_root_and_props(root.clone(), props).render();
    settle().await;
    // L2's gPAT PA0 = WB (G_PAT), L1's PAT PA0 = WT, L0's PAT PA0 = WB; bare metal WB×WT = WT,
    // KVM's shadow entries ignore L1's layer: WB×WB = WB.
    assert_eq!(text(&root, "tr[data-layer='L2 gPAT'] .memtype"), "WB");
    assert_eq!(text(&root, "tr[data-layer='L1 PAT'] .memtype"), "WT");
    assert_eq!(text(&root, "tr[data-layer='L0 PAT'] .memtype"), "WB");
    let verdict = text(&root, "[data-testid=pat-verdict]");
    assert!(verdict.contains("bare metal: WT") && verdict.contains("this model: WB"), "{verdict}");
    assert!(root.query_selector(".verdict .differs").unwrap().is_some());
}

#[wasm_bindgen_test]
async fn pat_layers_explain_why_there_are_none() {
    let root = mount();
    let props = PatLayersProps { gva: 0x1000, layers: Err("L2 is not running".into()), on_gva: Callback::noop() };
    yew::Renderer::<PatLayersView>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert_eq!(text(&root, "[data-testid=pat-layers-none]"), "L2 is not running");
}

#[wasm_bindgen_test]
async fn compare_view_highlights_the_first_divergence() {
    let c = compare(PROGRAM, ["bare".parse().unwrap(), "kvm-legacy".parse().unwrap()], 64, 100_000, &L0Config::default()).unwrap();
    let root = mount();
    let props = CompareResultProps { result: Ok(c) };
    yew::Renderer::<CompareResult>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let r = text(&root, "[data-testid=compare-result]");
    assert!(r.contains("First divergence at step 67") && r.contains("L2") && r.contains("rdmsr"), "{r}");
    let rows = root.query_selector_all("tr.differs").unwrap();
    assert_eq!(rows.length(), 2, "rax and rdx");
    assert_eq!(rows.item(0).unwrap().text_content().unwrap(), "rax0x60606060x70404");
}

#[wasm_bindgen_test]
async fn compare_view_says_when_models_agree() {
    let c = compare(PROGRAM, ["bare".parse().unwrap(), "kvm-merged".parse().unwrap()], 64, 100_000, &L0Config::default()).unwrap();
    let root = mount();
    let props = CompareResultProps { result: Ok(c) };
    yew::Renderer::<CompareResult>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let r = text(&root, "[data-testid=compare-result]");
    assert!(r.starts_with("bare and kvm-merged agree on all"), "{r}");
}
