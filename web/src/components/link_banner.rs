//! The banner after the page opened a share link: what it opened (size, model, step, program),
//! or why the link could not be opened (the default session is open instead). Dismissable.
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LinkBannerProps {
    /// `Ok(what was opened)` or `Err(what is wrong with the link)`.
    pub message: Result<AttrValue, AttrValue>,
    pub on_close: Callback<()>,
}

#[function_component(LinkBanner)]
pub fn link_banner(p: &LinkBannerProps) -> Html {
    let close = {
        let cb = p.on_close.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let (class, text) = match &p.message {
        Ok(m) => ("link-banner", m.to_string()),
        Err(e) => ("link-banner error", format!("this shared link cannot be opened — {e}; the default session is open instead")),
    };
    html! {
        <div class={class} role={if p.message.is_ok() { "status" } else { "alert" }} data-testid="link-banner">
            <span>{text}</span>
            <button class="small" onclick={close} aria-label="Dismiss">{"×"}</button>
        </div>
    }
}
