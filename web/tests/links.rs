//! Share links and time travel in the app's session (headless Chromium): a link made by the
//! Share button opens into a session that, taken to the link's step, is in the state a plain
//! core run of the same program and model reaches at that step (the reference is `Sim::run`, as
//! `nestscope exec --link` does it, not the app's stepping); damaged links are refused with what is
//! wrong; step back through time travel lands where a fresh run does.
#![cfg(target_arch = "wasm32")]
use nestscope_core::checkpoint;
use nestscope_core::scenario::run::{assemble, l0_config};
use nestscope_core::share::ShareLink;
use nestscope_core::sim::Sim;
use nestscope_web::link::{self, Shared};
use nestscope_web::state::{Action, Session, Status, load_catalog};
use std::rc::Rc;
use wasm_bindgen_test::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

/// Applies `a`, then runs the time slices a run needs until it pauses or stops.
fn act(s: Rc<Session>, a: Action) -> Rc<Session> {
    let mut s = s.reduce(a);
    while s.status == Status::Running {
        s = s.reduce(Action::RunSlice);
    }
    s
}

fn open_scenario(name: &str, model: &str) -> Rc<Session> {
    let scenarios = load_catalog();
    let i = scenarios.iter().position(|s| s.name == name).expect("in the catalog");
    let s = Rc::new(Session::open(scenarios, i, None));
    act(s, Action::SelectModel(model.parse().unwrap()))
}

/// A plain core run of the scenario's program (with `source` in place of its own) to `step`.
fn core_run(name: &str, source: Option<&str>, model: &str, step: u64) -> Sim {
    let sc = nestscope_core::scenario::catalog::get(name).unwrap().unwrap();
    let prog = assemble(source.unwrap_or(&sc.source)).unwrap();
    let mut sim = Sim::new(&prog, sc.machine.mem_mib, model.parse().unwrap(), &l0_config(&sc.machine).unwrap()).unwrap();
    sim.run(step).unwrap();
    sim
}

/// Registers (the running level's and L1's), level, step count, console and the whole
/// checkpoint (CPU, SVM, L0, devices, events, memory).
fn state(sim: &Sim) -> (String, u64, Vec<u8>, Vec<u8>) {
    let m = sim.machine();
    (format!("{:?} {:?} {:?}", m.cpu.regs, sim.l1_regs(), sim.level()), m.steps, m.console.clone(), checkpoint::save(sim, None))
}

fn url_of(shared: Shared) -> String {
    match shared {
        Shared::Link { url, caveat: None, .. } => url,
        other => panic!("expected a plain link, got {other:?}"),
    }
}

#[wasm_bindgen_test]
fn a_catalog_link_opens_at_the_state_a_core_run_reaches() {
    for (name, model, step) in [("hello-vmrun", "kvm-merged", 60), ("problem2-l2-pat-msr", "kvm-legacy", 150), ("hello-vmrun", "bare", 25)] {
        let s = act(open_scenario(name, model), Action::JumpTo(step));
        assert_eq!(s.sim().machine().steps, step, "{name} {model}");
        let url = url_of(link::share(&s, Some("vmcb"), None, "http://127.0.0.1:8080/"));
        assert!(url.starts_with("http://127.0.0.1:8080/#ns1."), "{url}");
        let (opened, o) = link::open(load_catalog(), &url).expect("the link opens");
        assert_eq!((o.model.to_string(), o.step, o.view.as_deref(), o.bytes), (model.to_string(), step, Some("vmcb"), url.len()));
        assert_eq!(o.program, format!("scenario {name}"));
        assert_eq!(opened.scenario().name, name);
        assert!(!opened.edited && opened.catalog_program, "the scenario's own program");
        assert_eq!(opened.sim().machine().steps, 0, "opened at the start; the app then goes to the step");
        let at = act(Rc::new(opened), Action::JumpTo(o.step));
        assert_eq!(state(&at.sim()), state(&core_run(name, None, model, step)), "{name} {model} at {step}");
    }
}

#[wasm_bindgen_test]
fn an_edited_program_travels_as_source_and_opens_as_an_edit_of_its_scenario() {
    let s = open_scenario("hello-vmrun", "bare");
    let edited = s.scenario().source.replacen("exited with VMMCALL", "EXITED with VMMCALL", 1);
    assert_ne!(edited, s.scenario().source, "the edit changes the program");
    let s = act(act(s, Action::Edit(edited.clone())), Action::Assemble);
    assert!(s.asm_errors.is_empty(), "{:?}", s.asm_errors);
    let s = act(s, Action::StartRun);
    let end = s.sim().machine().steps;
    assert!(matches!(s.status, Status::Stopped(_)), "{:?}", s.status);
    let url = url_of(link::share(&s, None, None, "http://h/"));
    let (opened, o) = link::open(load_catalog(), &url).expect("opens");
    assert_eq!(o.program, "an edit of scenario hello-vmrun");
    assert_eq!((opened.scenario().name.as_str(), opened.source.as_str(), opened.edited), ("hello-vmrun", edited.as_str(), true));
    assert!(opened.linked, "the page keeps a fragment for it");
    let at = act(Rc::new(opened), Action::JumpTo(o.step));
    let reference = core_run("hello-vmrun", Some(&edited), "bare", end);
    assert_eq!(state(&at.sim()), state(&reference));
    assert!(String::from_utf8_lossy(&reference.machine().console).contains("EXITED"), "the edit ran");
}

#[wasm_bindgen_test]
fn a_damaged_link_is_refused_naming_what_is_wrong() {
    let s = act(open_scenario("hello-vmrun", "bare"), Action::JumpTo(10));
    let url = url_of(link::share(&s, None, None, "http://h/"));
    let frag = &url[url.find('#').unwrap()..];
    let body = &frag["#ns1.".len()..];
    // One character changed inside the compressed data (still base64url): its checksum fails.
    let mid = body.len() / 2;
    let flipped: String = body.char_indices().map(|(i, c)| if i == mid { if c == 'A' { 'B' } else { 'A' } } else { c }).collect();
    let cases = [
        (format!("#ns1.{}!", &body[..body.len() - 1]), "base64url"),
        (format!("#ns1.{flipped}"), "checksum"),
        (format!("#ns1.{}", &body[..body.len() / 2]), "truncated"),
        (format!("#ns1.{}", &body[..(body.len() / 2) & !3]), "truncated"),
        (format!("#ns9.{body}"), "version `9`"),
        ("#top".to_string(), "not a nestscope share link"),
    ];
    for (bad, what) in cases {
        let e = link::open(load_catalog(), &format!("http://h/{bad}")).err().unwrap_or_else(|| panic!("{bad} opened"));
        assert!(e.contains(what), "{bad}: {e}");
    }
    // A well-formed link whose program does not assemble is refused too.
    let broken = ShareLink::for_source("mov rax, \n", "bare", 1).encode();
    let e = link::open(load_catalog(), &broken).err().expect("refused");
    assert!(e.contains("program"), "{e}");
}

#[wasm_bindgen_test]
fn step_back_uses_time_travel_and_lands_where_a_fresh_run_does() {
    // A run long enough for periodic snapshots (the app takes one per SNAPSHOT_EVERY ticks).
    let loop_src = "bits 64\norg 0x100000\n  mov ecx, 150000\n.l:\n  dec ecx\n  jnz .l\n  mov al, 0\n  out 0xf4, al\n";
    let s = act(act(open_scenario("hello", "bare"), Action::Edit(loop_src.into())), Action::Assemble);
    let s = act(s, Action::StartRun);
    let end = s.sim().machine().steps;
    assert!(end > 3 * nestscope_web::travel::SNAPSHOT_EVERY, "{end} steps");
    assert!(s.travel_info().snapshots > 2, "{:?}", s.travel_info());
    let mut s = s;
    for k in 1..=3 {
        s = act(s, Action::StepBack);
        assert_eq!(s.sim().machine().steps, end - k);
        assert_eq!(state(&s.sim()), state(&core_run("hello", Some(loop_src), "bare", end - k)), "back {k}");
        let note = s.paused.clone().unwrap_or_default();
        assert!(note.contains("time travel: replayed from the snapshot at step"), "{note}");
    }
    assert_eq!(s.status, Status::Ready, "a stopped run is running again after going back");
    // A timeline jump back to the middle, then Run: the same end as the uninterrupted run.
    let s = act(s, Action::JumpTo(end / 2));
    assert_eq!(state(&s.sim()), state(&core_run("hello", Some(loop_src), "bare", end / 2)));
    let s = act(s, Action::StartRun);
    assert_eq!(state(&s.sim()), state(&core_run("hello", Some(loop_src), "bare", end)));
    // Off: no snapshots, going back replays from the start — to the same state.
    let s = act(s, Action::SetTimeTravel(false));
    assert_eq!(s.travel_info().snapshots, 1);
    assert!(s.travel_info().text().contains("off"));
    let s = act(s, Action::StepBack);
    assert_eq!(s.paused.as_deref(), Some(format!("at step {} (replayed from the start)", end - 1).as_str()));
    assert_eq!(state(&s.sim()), state(&core_run("hello", Some(loop_src), "bare", end - 1)));
}

#[wasm_bindgen_test]
fn step_back_under_l0_lands_where_a_fresh_run_does() {
    let s = act(open_scenario("hello-vmrun", "kvm-merged"), Action::StartRun);
    let end = s.sim().machine().steps;
    let mut s = s;
    for k in [1, 1, 5, 20] {
        let at = s.sim().machine().steps - k;
        s = act(s, Action::JumpTo(at));
        assert_eq!(state(&s.sim()), state(&core_run("hello-vmrun", None, "kvm-merged", at)), "at {at} of {end}");
    }
    // The world-switch marks are those of a run to here (cut back, then replayed with their exit info).
    assert!(s.marks.borrow().iter().all(|m| m.event < s.sim().machine().events.len()));
    assert_eq!(s.marks.borrow().len(), s.sim().machine().events.len());
}

#[wasm_bindgen_test]
fn a_state_too_big_for_a_link_says_so_and_an_imported_run_gets_a_caveat() {
    // A loaded binary of 64 KiB of incompressible bytes: its base64 alone is over the limit.
    let mut s = (*open_scenario("hello", "bare")).clone();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let bytes: Vec<u8> = (0..64 * 1024).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    }).collect();
    s.program = Rc::new(bytes);
    s.assembled = None;
    s.catalog_program = false;
    s.reload();
    match link::share(&s, None, None, "http://h/") {
        Shared::TooBig { chars } => assert!(chars > nestscope_core::share::MAX_LINK_CHARS, "{chars}"),
        other => panic!("{other:?}"),
    }
    // An imported checkpoint: time travel starts there, and the link says what it replays.
    let s = act(open_scenario("hello-vmrun", "kvm-merged"), Action::JumpTo(30));
    let file = s.export();
    let s = act(act(s, Action::Reset), Action::Import(file));
    assert_eq!((s.sim().machine().steps, s.travel_info().first), (30, 30));
    assert!(s.travel_info().text().contains("step 30 (the imported checkpoint)"), "{}", s.travel_info().text());
    match link::share(&s, None, None, "http://h/") {
        Shared::Link { caveat: Some(c), .. } => assert!(c.contains("imported checkpoint"), "{c}"),
        other => panic!("{other:?}"),
    }
    let s = act(s, Action::JumpTo(10));
    assert_eq!(s.sim().machine().steps, 30, "nothing before the checkpoint");
    assert!(s.paused.as_deref().unwrap_or_default().contains("step 10 is before it"), "{:?}", s.paused);
}

#[wasm_bindgen_test]
async fn the_share_box_shows_the_link_with_its_size_or_offers_the_file() {
    use nestscope_web::components::share_button::{ShareButton, ShareButtonProps};
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    let url = "http://h/#ns1.eJyrVkrOT0lVslIqSk3OL0pRqgUAJ9oE9g".to_string();
    let props = |shared| ShareButtonProps { shared, on_share: yew::Callback::noop(), on_close: yew::Callback::noop(), on_download: yew::Callback::noop() };
    let mut app = yew::Renderer::<ShareButton>::with_root_and_props(root.clone(), props(Some(Shared::Link { url: url.clone(), bytes: url.len(), caveat: None }))).render();
    yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;
    let field: web_sys::HtmlInputElement = wasm_bindgen::JsCast::dyn_into(root.query_selector("[data-testid=share-url]").unwrap().unwrap()).unwrap();
    assert_eq!(field.value(), url);
    assert!(field.read_only());
    let size = root.query_selector("[data-testid=share-size]").unwrap().unwrap().text_content().unwrap();
    assert!(size.starts_with(&format!("{} bytes · ", url.len())), "{size}");
    app.update(props(Some(Shared::TooBig { chars: 70_000 })));
    yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;
    let text = root.query_selector("[data-testid=share-too-big]").unwrap().unwrap().text_content().unwrap();
    assert!(text.contains("70000 characters") && text.contains("checkpoint file"), "{text}");
    assert!(root.query_selector("[data-testid=share-url]").unwrap().is_none());
    let buttons: Vec<String> = (0..root.query_selector_all("button").unwrap().length())
        .map(|i| root.query_selector_all("button").unwrap().item(i).unwrap().text_content().unwrap())
        .collect();
    assert_eq!(buttons, ["Share link", "Download .nsc", "Close"]);
}
