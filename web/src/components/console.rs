//! Console panel: the text the program wrote to port 0xE9 (and a kernel to the COM1 UART).
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    pub text: AttrValue,
}

#[function_component(Console)]
pub fn console(p: &ConsoleProps) -> Html {
    html! {
        <section class="panel console" aria-label="Console">
            <h2>{"Console (port 0xE9 and COM1)"}</h2>
            <pre class="mono" data-testid="console">{p.text.clone()}</pre>
        </section>
    }
}
