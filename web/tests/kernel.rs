//! The whole app in headless Chromium with a kernel: core/tests/data/multiboot/probe.elf picked
//! in "Open kernel" boots and prints what the loader left; a malformed file is refused with the
//! loader's error while the current session stays.
#![cfg(target_arch = "wasm32")]
use nestscope_web::app::App;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const PROBE: &[u8] = include_bytes!("../../core/tests/data/multiboot/probe.elf");

#[wasm_bindgen(inline_js = "
export function pick(input, bytes, name) {
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name));
  input.files = dt.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}
export function type_into(input, text) {
  input.value = text;
  input.dispatchEvent(new InputEvent('input', { bubbles: true }));
}")]
extern "C" {
    fn pick(input: &web_sys::Element, bytes: &[u8], name: &str);
    fn type_into(input: &web_sys::Element, text: &str);
}

fn mount() -> web_sys::Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    yew::Renderer::<App>::with_root(div.clone()).render();
    div
}

fn find(root: &web_sys::Element, sel: &str) -> web_sys::Element {
    root.query_selector(sel).unwrap().unwrap_or_else(|| panic!("no {sel}"))
}

fn text(root: &web_sys::Element, sel: &str) -> String {
    root.query_selector(sel).unwrap().map(|e| e.text_content().unwrap_or_default()).unwrap_or_default()
}

/// Waits (in 20 ms sleeps, at most `tries` of them) until `cond` holds; says whether it did.
async fn until(tries: u32, cond: impl Fn() -> bool) -> bool {
    for _ in 0..tries {
        if cond() {
            return true;
        }
        yew::platform::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}

fn click_button(root: &web_sys::Element, label: &str) {
    let list = root.query_selector_all(".toolbar button").unwrap();
    let b = (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
        .find(|b| b.text_content().as_deref() == Some(label))
        .unwrap_or_else(|| panic!("no {label} button"));
    b.click();
}

#[wasm_bindgen_test]
async fn the_probe_kernel_boots_and_its_output_reaches_the_console() {
    let root = mount();
    assert!(until(100, || root.query_selector("[data-testid=open-kernel]").unwrap().is_some()).await);
    type_into(&find(&root, "[data-testid=kernel-append]"), "vmrun ioio");
    pick(&find(&root, "[data-testid=open-kernel]"), PROBE, "probe.elf");
    assert!(until(200, || text(&root, "[data-testid=kernel-panel]").contains("kernel: probe.elf")).await, "the kernel panel appears");
    click_button(&root, "Run");
    let console = || text(&root, "[data-testid=console]");
    assert!(until(500, || console().contains("mmap:")).await, "console: {}", console());
    // Multiboot v1 §3.2: EAX = 0x2BADB002 at entry; §3.3: the command line is the kernel's
    // name and the appended text (what QEMU's -kernel passes too: probe-qemu-7.2.txt).
    assert!(console().contains("eax=2BADB002"), "{}", console());
    assert!(console().contains("cmdline: probe.elf vmrun ioio"), "{}", console());
    // The probe ends through isa-debug-exit; the panel reads the code.
    assert!(until(200, || text(&root, "[data-testid=kernel-verdict]").contains("exit code")).await, "{}", text(&root, "[data-testid=kernel-verdict]"));
    assert!(text(&root, ".program").starts_with("kernel: probe.elf"));
}

#[wasm_bindgen_test]
async fn a_malformed_kernel_is_refused_and_the_session_stays() {
    let root = mount();
    assert!(until(100, || root.query_selector("[data-testid=open-kernel]").unwrap().is_some()).await);
    let before = text(&root, ".program");
    assert!(before.starts_with("scenario: "), "{before}");
    // The ELF magic alone: the loader names the truncated header.
    pick(&find(&root, "[data-testid=open-kernel]"), b"\x7fELF", "broken.elf");
    let msg = || text(&root, "[data-testid=checkpoint-message]");
    assert!(until(200, || msg().contains("kernel refused")).await, "{}", msg());
    let want = nestscope_web::kernel::Kernel::open("broken.elf", b"\x7fELF", "").unwrap_err();
    assert_eq!(msg(), format!("kernel refused: {want}"));
    assert_eq!(text(&root, ".program"), before);
    assert!(root.query_selector("[data-testid=kernel-panel]").unwrap().is_none());
}
