//! Component tests (headless Chromium) of Compare in time slices, the guided problems, the
//! save/restore control, the memory-type grid and the in-app help, fed with real core results.
//! Expected values: the programs' constants (seed problem 2: G = 0x0606060606060606 in vmcb12's
//! G_PAT, L1's PAT H = 0x0007040600070404; RDMSR's EAX is the low half), the memtype-matrix
//! teaching table (APM Tables 15-19/15-20, reference §6.4/§9.8), reference §9.7.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![cfg(target_arch = "wasm32")]
use nestscope_core::compare::{Lockstep, compare};
use nestscope_core::hv::L0Config;
use nestscope_core::scenario::catalog;
use nestscope_core::Model;
use nestscope_web::compare_run::{self, Phase, RunnerRef};
use nestscope_web::components::compare_view::{CompareResult, CompareResultProps};
use nestscope_web::components::guide_view::{GuideProps, GuideView};
use nestscope_web::components::memtype_grid::{MemtypeGridProps, MemtypeGridView, compute};
use nestscope_web::components::migrate_bar::{MigrateBar, MigrateBarProps};
use nestscope_web::components::reference_view::{ReferenceProps, ReferenceView};
use nestscope_web::components::tabs::{Tabs, TabsProps};
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
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

async fn sleep(ms: u64) {
    yew::platform::time::sleep(Duration::from_millis(ms)).await;
}

fn text(root: &web_sys::Element, sel: &str) -> String {
    root.query_selector(sel).unwrap().map(|e| e.text_content().unwrap_or_default()).unwrap_or_default()
}

fn m(n: &str) -> Model {
    n.parse().unwrap()
}

/// Waits (up to `secs`) until the runner's comparison is over.
async fn until_done(r: &RunnerRef, secs: u64) {
    for _ in 0..secs * 50 {
        if matches!(r.borrow().phase, Phase::Done(_)) {
            return;
        }
        sleep(20).await;
    }
    panic!("the comparison did not end in {secs} s");
}

#[wasm_bindgen_test]
async fn compare_in_slices_ends_where_a_one_shot_compare_does() {
    let models = [m("bare"), m("kvm-legacy")];
    let whole = compare(PROGRAM, models, 64, 100_000, &L0Config::default()).unwrap();
    let r = RunnerRef::default();
    compare_run::start(&r, Lockstep::new(PROGRAM, models, 64, 100_000, &L0Config::default()).unwrap());
    until_done(&r, 60).await;
    let g = r.borrow();
    assert_eq!(g.phase, Phase::Done(Ok(whole)));
    // (Slice durations of this unoptimised test build say nothing; the e2e test measures them.)
    assert!(g.progress.slices > 1, "{} slices", g.progress.slices);
}

#[wasm_bindgen_test]
async fn a_long_compare_takes_many_slices_and_pauses() {
    // mov ecx, 1000000 / dec / jnz: longer than a 200 000-instruction limit.
    let p = nestscope_core::scenario::run::assemble("bits 64\norg 0x100000\nmov ecx, 1000000\n.l: dec ecx\njnz .l\nhlt\n").unwrap();
    let r = RunnerRef::default();
    compare_run::start(&r, Lockstep::new(&p, [m("bare"), m("kvm-merged")], 16, 200_000, &L0Config::default()).unwrap());
    sleep(100).await;
    compare_run::pause(&r);
    let at = r.borrow().progress.steps;
    assert!(at > 0 && at < 200_000, "{at}");
    sleep(100).await;
    assert_eq!((r.borrow().phase.clone(), r.borrow().progress.steps), (Phase::Paused, at), "paused: nothing moves");
    compare_run::resume(&r);
    until_done(&r, 120).await;
    let g = r.borrow();
    let Phase::Done(Ok(c)) = &g.phase else { panic!("{:?}", g.phase) };
    assert_eq!((c.steps, c.agree, c.limit_reached), (200_000, true, true));
    assert!(g.progress.slices > 2, "{} slices", g.progress.slices);
}

#[wasm_bindgen_test]
async fn the_step_limit_is_said_in_the_result() {
    let p = nestscope_core::scenario::run::assemble("bits 64\norg 0x100000\nmov ecx, 1000000\n.l: dec ecx\njnz .l\nhlt\n").unwrap();
    let c = compare(&p, [m("bare"), m("bare-swap")], 16, 1000, &L0Config::default()).unwrap();
    let root = mount();
    yew::Renderer::<CompareResult>::with_root_and_props(root.clone(), CompareResultProps { result: Ok(c) }).render();
    sleep(20).await;
    let t = text(&root, "[data-testid=compare-result]");
    assert!(t.starts_with("Step limit reached: bare and bare-swap agree on the first 1000 instructions"), "{t}");
}

#[wasm_bindgen_test]
async fn guide_of_problem2_points_at_rax_of_l2s_rdmsr() {
    let sc = Rc::new(catalog::get("problem2-l2-pat-msr").unwrap().unwrap());
    let r = RunnerRef::default();
    let root = mount();
    let props = GuideProps { scenario: sc, runner: r.clone(), on_show: Callback::noop() };
    yew::Renderer::<GuideView>::with_root_and_props(root.clone(), props).render();
    sleep(20).await;
    root.query_selector("[data-testid=guide-start]").unwrap().unwrap().dyn_into::<web_sys::HtmlElement>().unwrap().click();
    until_done(&r, 60).await;
    sleep(30).await;
    let point = text(&root, "[data-testid=guide-point]");
    assert!(point.contains("rax") && point.contains("0x6060606") && point.contains("0x70404"), "{point}");
    assert!(text(&root, "[data-testid=guide-where]").contains("L2"), "the RDMSR is L2's");
    assert!(text(&root, ".guide-explain").contains("APM 15.25.2"));
}

#[wasm_bindgen_test]
async fn migrate_bar_shows_the_plan_and_what_was_lost() {
    let plan = nestscope_core::compare::MigratePlan {
        at: 20_000,
        to: nestscope_core::hv::gpat::Design::KvmLegacy,
        order: nestscope_core::hv::nested_state::SaveOrder::MsrsFirst,
    };
    let root = mount();
    let props = MigrateBarProps { model: m("kvm-merged"), plan: Some(plan), migration: None, on_change: Callback::noop() };
    yew::Renderer::<MigrateBar>::with_root_and_props(root.clone(), props).render();
    sleep(20).await;
    assert_eq!(text(&root, "[data-testid=migrate-status]"), "pending: save/restore at step 20000 into kvm-legacy (msrs-first)");
    let root = mount();
    let props = MigrateBarProps { model: m("bare"), plan: None, migration: None, on_change: Callback::noop() };
    yew::Renderer::<MigrateBar>::with_root_and_props(root.clone(), props).render();
    sleep(20).await;
    assert!(text(&root, "[data-testid=migrate-bar]").contains("only a kvm-* model"));
}

#[wasm_bindgen_test]
async fn memtype_grid_matches_the_teaching_table() {
    let sc = Rc::new(catalog::get("memtype-matrix").unwrap().unwrap());
    // (page, bare metal, kvm-merged, kvm-legacy) from the teaching table.
    let want = [
        (0x600000, "WB", "WB", "WB"),
        (0x601000, "WC+", "WC+", "WT"),
        (0x602000, "CD", "WB", "WB"),
        (0x603000, "CD", "WT", "WC+"),
        (0x604000, "WC", "CD", "CD"),
        (0x605000, "WP", "WP", "WP"),
        (0x606000, "WT", "WB", "WB"),
        (0x607000, "CD", "CD", "CD"),
    ];
    let merged = compute(&sc, m("kvm-merged")).unwrap();
    let legacy = compute(&sc, m("kvm-legacy")).unwrap();
    let bare = compute(&sc, m("bare")).unwrap();
    for (i, (page, b, mg, lg)) in want.iter().enumerate() {
        assert_eq!((merged[i].page, merged[i].bare.as_str(), merged[i].model.as_str()), (*page, *b, *mg));
        assert_eq!(legacy[i].model, *lg, "{page:#x}");
        assert_eq!(bare[i].model, *b, "{page:#x}");
    }
    let root = mount();
    let props = MemtypeGridProps { scenario: sc, model: m("kvm-merged") };
    yew::Renderer::<MemtypeGridView>::with_root_and_props(root.clone(), props).render();
    sleep(20).await;
    let cell = root.query_selector("[data-page='0x604000']").unwrap().unwrap();
    assert!(cell.class_name().contains("memtype-cd") && cell.class_name().contains("differs"), "{}", cell.class_name());
    assert!(cell.text_content().unwrap().contains("bare WC ≠ kvm-merged CD"));
}

#[wasm_bindgen_test]
async fn every_panel_has_how_to_read_this() {
    let root = mount();
    let props = TabsProps {
        label: "t".into(),
        names: vec!["Registers", "Compare"],
        active: 1,
        on_select: Callback::noop(),
        children: html! { <p>{"x"}</p> },
    };
    yew::Renderer::<Tabs>::with_root_and_props(root.clone(), props).render();
    sleep(20).await;
    assert!(text(&root, "[data-testid=how-to-read]").starts_with("How to read this"));
    for n in nestscope_web::app::UPPER_TABS.iter().chain(nestscope_web::app::LOWER_TABS.iter()) {
        assert!(nestscope_web::help::how_to_read(n).is_some(), "{n}");
    }
}

#[wasm_bindgen_test]
async fn the_reference_opens_at_a_cited_section() {
    let root = mount();
    let props = ReferenceProps { section: Some("9.7".into()), nonce: 1 };
    yew::Renderer::<ReferenceView>::with_root_and_props(root.clone(), props).render();
    sleep(50).await;
    let h = root.query_selector("[id='ref-9.7']").unwrap().expect("the §9.7 heading");
    assert!(h.text_content().unwrap().starts_with("9.7 Nested-state ABI"));
    assert_eq!(h.get_attribute("data-cited").as_deref(), Some("true"));
}
