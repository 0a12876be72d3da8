//! Toolbar: Step, Step back, Run / Pause, "Run to next VMRUN/#VMEXIT" and Reset, plus the run
//! status (with why a run paused), the step count and the speed of the current or last run.
use crate::state::{RunRate, Status};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    pub status: Status,
    pub steps: u64,
    pub on_step: Callback<()>,
    pub on_run: Callback<()>,
    /// Run until the next world switch (the event list grows).
    #[prop_or_default]
    pub on_run_to_switch: Callback<()>,
    pub on_pause: Callback<()>,
    pub on_reset: Callback<()>,
    /// One step back (time travel: the nearest snapshot, replayed to the step before).
    #[prop_or_default]
    pub on_step_back: Callback<()>,
    /// Why the last run paused (a breakpoint, an exit, a reached step).
    #[prop_or_default]
    pub paused: Option<AttrValue>,
    /// Speed of the current or last "Run".
    #[prop_or_default]
    pub rate: Option<RunRate>,
}

/// What the toolbar says of a run's speed; nothing before the run did anything.
pub fn rate_text(r: RunRate) -> Option<String> {
    match r.per_second() {
        Some((sps, wps)) => Some(format!("{} steps/s · {} world switches/s", si(sps), si(wps))),
        // Too short for a rate: say how long it took.
        None if r.steps > 0 && r.ms > 0.0 => {
            Some(format!("{} steps · {} world switches in {:.1} ms", r.steps, r.switches, r.ms))
        }
        None if r.steps > 0 => Some(format!("{} steps · {} world switches in under 0.1 ms", r.steps, r.switches)),
        None => None,
    }
}

/// 2 345 678 → "2.35 M", 12 345 → "12.3 k", 812 → "812".
pub fn si(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

#[function_component(Toolbar)]
pub fn toolbar(p: &ToolbarProps) -> Html {
    let finished = matches!(p.status, Status::Stopped(_) | Status::Error(_));
    let running = p.status == Status::Running;
    let click = |cb: &Callback<()>| {
        let cb = cb.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let (class, text) = match &p.status {
        Status::Ready => match &p.paused {
            Some(why) => ("status ready", format!("ready — {why}")),
            None => ("status ready", "ready".to_string()),
        },
        Status::Running => ("status running", format!("running… {} steps", p.steps)),
        Status::Stopped(s) => ("status stopped", s.clone()),
        Status::Error(e) => ("status error", format!("emulator error: {e}")),
    };
    html! {
        <div class="toolbar" role="toolbar">
            <button onclick={click(&p.on_step)} disabled={finished || running} title="Execute one instruction (F10)"
                aria-keyshortcuts="F10">{"Step"}</button>
            <button onclick={click(&p.on_step_back)} disabled={running || p.steps == 0}
                title="Go back one step: restores the nearest time-travel snapshot and replays to the step before (Shift+F10)"
                aria-keyshortcuts="Shift+F10">{"Step back"}</button>
            if running {
                <button onclick={click(&p.on_pause)} title="Pause the run (Shift+F5)" aria-keyshortcuts="Shift+F5">{"Pause"}</button>
            } else {
                <button onclick={click(&p.on_run)} disabled={finished} title="Run until the program stops, a breakpoint or Break on #VMEXIT (F5)" aria-keyshortcuts="F5">{"Run"}</button>
            }
            <button onclick={click(&p.on_run_to_switch)} disabled={finished || running}
                title="Run until the next world switch between the levels chosen in 'levels' (F11)" aria-keyshortcuts="F11">{"Run to next VMRUN/#VMEXIT"}</button>
            <button onclick={click(&p.on_reset)} title="Reload the program in the entry state">{"Reset"}</button>
            <span class="steps" data-testid="steps">{format!("steps: {}", p.steps)}</span>
            <span class={class} data-testid="status" role="status" aria-live="polite" title={text.clone()}>{text}</span>
            // Always present (empty before the first run), so the toolbar does not shift when a run starts.
            <span class="rate" data-testid="rate" title="Speed of the run: steps and world switches (VMRUN/#VMEXIT at any level) per second of execution">
                {p.rate.and_then(rate_text).unwrap_or_default()}
            </span>
        </div>
    }
}
