//! The theme toggle in the toolbar: system (prefers-color-scheme) → light → dark.
use crate::prefs::{apply_theme, load_theme};
use yew::prelude::*;

#[function_component(ThemeToggle)]
pub fn theme_toggle() -> Html {
    let theme = use_state(load_theme);
    use_effect_with(*theme, |t| apply_theme(*t));
    let onclick = {
        let theme = theme.clone();
        Callback::from(move |_: MouseEvent| theme.set(theme.next()))
    };
    html! {
        <button class="theme-toggle" {onclick} data-testid="theme-toggle"
            aria-label={format!("Colour theme: {} (click for {})", theme.name(), theme.next().name())}
            title="Colour theme: the system's, light or dark">
            {format!("Theme: {}", theme.name())}
        </button>
    }
}
