//! Keyboard shortcuts: the one table the key handler and the "?" overlay both read.
use yew::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    Step,
    StepBack,
    Run,
    Pause,
    NextSwitch,
    Share,
    Help,
    Close,
}

/// (shortcut, key as `KeyboardEvent.key`, with Shift, what the overlay shows, what it does).
pub const SHORTCUTS: [(Shortcut, &str, bool, &str, &str); 8] = [
    (Shortcut::Step, "F10", false, "F10", "Step one instruction"),
    (Shortcut::StepBack, "F10", true, "Shift+F10", "Step back (time travel: the nearest snapshot, replayed to the step before)"),
    (Shortcut::Run, "F5", false, "F5", "Run / continue (stops at breakpoints and Break on #VMEXIT)"),
    (Shortcut::Pause, "F5", true, "Shift+F5", "Pause the run"),
    (Shortcut::NextSwitch, "F11", false, "F11", "Run to the next world switch (level filter applies)"),
    (Shortcut::Share, "l", false, "L", "Share link: copy a link to this program, model and step"),
    (Shortcut::Help, "?", true, "?", "Show or hide this list"),
    (Shortcut::Close, "Escape", false, "Esc", "Close this list"),
];

/// The shortcut of a key press; `in_text`: focus is in a text field (only F-keys count there).
pub fn shortcut_of(key: &str, shift: bool, in_text: bool) -> Option<Shortcut> {
    if in_text && !key.starts_with('F') {
        return None;
    }
    // "?" is Shift+/ on most layouts, but not all: match it whatever the Shift state.
    SHORTCUTS.iter().find(|s| s.1 == key && (s.2 == shift || key == "?")).map(|s| s.0)
}

#[derive(Properties, PartialEq)]
pub struct ShortcutsProps {
    pub on_close: Callback<()>,
}

#[function_component(ShortcutsOverlay)]
pub fn shortcuts_overlay(p: &ShortcutsProps) -> Html {
    let close = {
        let cb = p.on_close.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let button = use_node_ref();
    {
        let button = button.clone();
        use_effect_with((), move |_| {
            if let Some(b) = button.cast::<web_sys::HtmlElement>() {
                let _ = b.focus();
            }
        });
    }
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" data-testid="shortcuts">
            <div class="overlay-box">
                <h2>{"Keyboard shortcuts"}</h2>
                <table>
                    { for SHORTCUTS.iter().map(|s| html! { <tr><th><kbd>{s.3}</kbd></th><td>{s.4}</td></tr> }) }
                    <tr><th>{"click"}</th><td>{"the gutter of a Disassembly line: set or clear a breakpoint"}</td></tr>
                    <tr><th>{"click"}</th><td>{"a mark on the timeline: go to that world switch"}</td></tr>
                </table>
                <button ref={button} onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_their_shortcuts() {
        assert_eq!(shortcut_of("F10", false, false), Some(Shortcut::Step));
        assert_eq!(shortcut_of("F10", true, false), Some(Shortcut::StepBack));
        assert_eq!(shortcut_of("F5", false, true), Some(Shortcut::Run), "F-keys work in the editor");
        assert_eq!(shortcut_of("F5", true, false), Some(Shortcut::Pause));
        assert_eq!(shortcut_of("?", true, false), Some(Shortcut::Help));
        assert_eq!(shortcut_of("?", true, true), None, "typing ? in the editor");
        assert_eq!(shortcut_of("a", false, false), None);
        assert_eq!(shortcut_of("l", false, false), Some(Shortcut::Share));
        assert_eq!(shortcut_of("l", false, true), None, "typing l in the editor");
    }
}
