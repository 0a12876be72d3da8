//! The kernel run's panel (above the console): which kernel under which model, the boot's
//! progress (steps, MIPS) with a Stop button, and kvm-unit-tests' verdict.
use crate::kernel::Verdict;
use crate::state::{RunRate, Status};
use crate::components::toolbar::si;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct KernelPanelProps {
    pub name: AttrValue,
    pub append: AttrValue,
    pub model: AttrValue,
    pub status: Status,
    pub steps: u64,
    pub rate: Option<RunRate>,
    pub verdict: Verdict,
    /// Where RIP is: "rip 0x400745 = test_run+0x14 · 64-bit code" (from the ELF's symbols).
    #[prop_or_default]
    pub place: AttrValue,
    /// "668 symbols", or why the symbol table was not read.
    #[prop_or_default]
    pub symbols: AttrValue,
    pub on_stop: Callback<()>,
}

/// "123.4 M steps · 41.20 MIPS" (the rate once the run lasted long enough to measure).
pub fn progress_text(steps: u64, rate: Option<RunRate>) -> String {
    let mips = rate.and_then(|r| r.per_second()).map(|(sps, _)| format!(" · {:.2} MIPS", sps / 1e6));
    format!("{} steps{}", si(steps as f64), mips.unwrap_or_default())
}

/// "rip 0x400745 = test_run+0x14 · 64-bit code": where the CPU is, by the kernel's symbols.
pub fn place_text(rip: u64, at: Option<&str>, bits: u32) -> String {
    match at {
        Some(name) => format!("rip {rip:#x} = {name} · {bits}-bit code"),
        None => format!("rip {rip:#x} (no symbol) · {bits}-bit code"),
    }
}

/// "2 PASS · 1 FAIL · 0 SKIP" and the exit code's meaning.
pub fn verdict_text(v: &Verdict) -> String {
    let mut t = format!("{} PASS · {} FAIL · {} SKIP", v.pass, v.fail, v.skip);
    if v.other > 0 {
        t += &format!(" · {} XPASS/XFAIL/KFAIL", v.other);
    }
    if let Some((code, meaning)) = v.exit {
        t += &format!(" — exit code {code}: {meaning}");
    }
    t
}

#[function_component(KernelPanel)]
pub fn kernel_panel(p: &KernelPanelProps) -> Html {
    let running = p.status == Status::Running;
    let stop = {
        let cb = p.on_stop.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let state = match &p.status {
        Status::Running => "running".to_string(),
        Status::Ready => "ready".to_string(),
        Status::Stopped(s) => s.clone(),
        Status::Error(e) => format!("emulator error: {e}"),
    };
    let class = match p.verdict.exit {
        Some((_, "PASS")) => "verdict pass",
        Some((_, "SKIP")) => "verdict skip",
        Some(_) => "verdict fail",
        None => "verdict",
    };
    html! {
        <section class="kernel-panel" aria-label="Kernel run" data-testid="kernel-panel">
            <div>
                <strong>{format!("kernel: {}", p.name)}</strong>
                {format!(" · append: {} · model: {}", if p.append.is_empty() { "(none)" } else { p.append.as_str() }, p.model)}
                if !p.symbols.is_empty() { {format!(" · {}", p.symbols)} }
            </div>
            if !p.place.is_empty() {
                <div class="kernel-place" data-testid="kernel-place">{p.place.clone()}</div>
            }
            <div class="kernel-progress">
                <span data-testid="kernel-progress">{format!("{state} · {}", progress_text(p.steps, p.rate))}</span>
                if running {
                    <button onclick={stop} title="Stop the run here (the state stays for the debugger views)">{"Stop"}</button>
                }
            </div>
            <div class={class} data-testid="kernel-verdict">{verdict_text(&p.verdict)}</div>
            if let Some(s) = &p.verdict.summary {
                <div class="summary" data-testid="kernel-summary">{s.clone()}</div>
            }
        </section>
    }
}
