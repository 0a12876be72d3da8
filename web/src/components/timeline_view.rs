//! Timeline strip: swimlanes L0/L1/L2 over the run's steps on a canvas, a tick per world switch
//! coloured by exit code (legend and hover text name them), hover for the exit's code, name and
//! EXITINFO1/2, click to go there (replay), wheel or +/− to zoom, drag or arrow keys to pan.
#![allow(clippy::cast_possible_truncation, reason = "pixel coordinates, DOM indices and text positions are far below the integer widths they are stored in (float casts saturate)")]
use crate::timeline::{CATEGORIES, Category, Mark, columns, lane, nearest};
use nestscope_core::trace::Level;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The run's marks; equal while neither the list nor the step counter moved.
#[derive(Clone)]
pub struct TimelineData {
    pub marks: Rc<RefCell<Vec<Mark>>>,
    pub len: usize,
    pub steps: u64,
}

impl PartialEq for TimelineData {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.marks, &o.marks) && self.len == o.len && self.steps == o.steps
    }
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub data: TimelineData,
    /// Go to a step (the step counter after a world switch).
    pub on_jump: Callback<u64>,
}

const LANE_H: f64 = 14.0;
const HEIGHT: f64 = LANE_H * 3.0 + 4.0;

/// The shown step range: the whole run, or a zoomed window.
fn range(view: Option<(f64, f64)>, steps: u64) -> (f64, f64) {
    view.unwrap_or((0.0, (steps.max(1)) as f64 * 1.02))
}

fn draw(canvas: &web_sys::HtmlCanvasElement, marks: &[Mark], t0: f64, t1: f64) {
    let w = canvas.client_width().max(1) as u32;
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (pw, ph) = ((w as f64 * dpr) as u32, (HEIGHT * dpr) as u32);
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
    }
    let Ok(Some(ctx)) = canvas.get_context("2d") else { return };
    let Ok(ctx) = ctx.dyn_into::<web_sys::CanvasRenderingContext2d>() else { return };
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, w as f64, HEIGHT);
    // Lane separators.
    ctx.set_fill_style_str("rgba(128,128,128,0.18)");
    for l in 0..3 {
        ctx.fill_rect(0.0, l as f64 * LANE_H + LANE_H / 2.0, w as f64, 1.0);
    }
    let cols = columns(marks, Level::L1, t0, t1, w as usize);
    ctx.set_fill_style_str("#6f7f8f");
    for (x, c) in cols.iter().enumerate() {
        for l in 0..3 {
            if c.levels & (1 << l) != 0 {
                ctx.fill_rect(x as f64, l as f64 * LANE_H + 4.0, 1.0, LANE_H - 8.0);
            }
        }
    }
    for (x, c) in cols.iter().enumerate() {
        let Some(i) = c.mark else { continue };
        let m = &marks[i];
        let (a, b) = (lane(m.from).min(lane(m.to)), lane(m.from).max(lane(m.to)));
        ctx.set_fill_style_str(Category::of(m).colour());
        ctx.fill_rect(x as f64 - 0.5, a as f64 * LANE_H + 1.0, 2.0, (b - a + 1) as f64 * LANE_H - 2.0);
    }
}

#[function_component(TimelineView)]
pub fn timeline_view(p: &TimelineProps) -> Html {
    let canvas = use_node_ref();
    let view = use_state(|| None::<(f64, f64)>);
    let hover = use_state(|| None::<(usize, f64)>);
    // (x where the drag started, range then, moved) while the mouse button is down.
    let drag = use_mut_ref(|| None::<(f64, (f64, f64), bool)>);
    let (t0, t1) = range(*view, p.data.steps);
    // Drawn in the next animation frame, not in the render: reading the canvas width right after
    // the DOM changed forces a layout of the whole page inside the click (a Step's latency), while
    // in the frame it is the layout the browser does anyway. Renders before that frame only
    // replace what it draws.
    let frame = use_mut_ref(|| (false, None::<(Rc<RefCell<Vec<Mark>>>, f64, f64)>));
    {
        let canvas = canvas.clone();
        let marks = p.data.marks.clone();
        let frame = frame.clone();
        use_effect(move || {
            let pending = {
                let mut f = frame.borrow_mut();
                f.1 = Some((marks, t0, t1));
                std::mem::replace(&mut f.0, true)
            };
            if !pending {
                let run = {
                    let frame = frame.clone();
                    move || {
                        let job = {
                            let mut f = frame.borrow_mut();
                            f.0 = false;
                            f.1.take()
                        };
                        if let (Some(c), Some((marks, t0, t1))) = (canvas.cast::<web_sys::HtmlCanvasElement>(), job) {
                            draw(&c, &marks.borrow(), t0, t1);
                        }
                    }
                };
                let cb = wasm_bindgen::closure::Closure::once_into_js(run.clone());
                let asked = web_sys::window().map(|w| w.request_animation_frame(cb.unchecked_ref()));
                if !matches!(asked, Some(Ok(_))) {
                    run();
                }
            }
        });
    }
    let width = {
        let c = canvas.clone();
        move || c.cast::<web_sys::Element>().map_or(1.0, |c| c.client_width().max(1) as f64)
    };
    let at_x = move |x: f64, w: f64| t0 + x / w * (t1 - t0);
    let zoom = {
        let view = view.clone();
        let steps = p.data.steps;
        move |factor: f64, centre: Option<f64>| {
            let (a, b) = range(*view, steps);
            let c = centre.unwrap_or((a + b) / 2.0);
            let span = ((b - a) * factor).clamp(8.0, steps.max(1) as f64 * 1.02);
            let a = (c - (c - a) * span / (b - a)).max(0.0);
            view.set(Some((a, a + span)));
        }
    };
    let onmousemove = {
        let (hover, drag, view, marks) = (hover.clone(), drag.clone(), view.clone(), p.data.marks.clone());
        let width = width.clone();
        Callback::from(move |e: MouseEvent| {
            let (x, w) = (e.offset_x() as f64, width());
            if let Some((x0, (a, b), moved)) = drag.borrow_mut().as_mut() {
                let dx = x - *x0;
                if dx.abs() > 3.0 || *moved {
                    *moved = true;
                    let d = dx / w * (*b - *a);
                    let a2 = (*a - d).max(0.0);
                    view.set(Some((a2, a2 + (*b - *a))));
                    return;
                }
            }
            let tol = 4.0 / w * (t1 - t0);
            hover.set(nearest(&marks.borrow(), at_x(x, w), tol).map(|i| (i, x)));
        })
    };
    let onmousedown = {
        let drag = drag.clone();
        Callback::from(move |e: MouseEvent| *drag.borrow_mut() = Some((e.offset_x() as f64, (t0, t1), false)))
    };
    let onmouseup = {
        let (drag, hover, marks, jump) = (drag.clone(), hover.clone(), p.data.marks.clone(), p.on_jump.clone());
        let width = width.clone();
        Callback::from(move |e: MouseEvent| {
            let moved = drag.borrow_mut().take().is_some_and(|d| d.2);
            if moved {
                return;
            }
            // A click: the hovered mark, else the step under the pointer.
            let target = match *hover {
                Some((i, _)) => marks.borrow().get(i).map(|m| m.at),
                None => Some(at_x(e.offset_x() as f64, width()).round().max(0.0) as u64),
            };
            if let Some(t) = target {
                jump.emit(t);
            }
        })
    };
    let onmouseleave = {
        let (hover, drag) = (hover.clone(), drag.clone());
        Callback::from(move |_: MouseEvent| {
            hover.set(None);
            *drag.borrow_mut() = None;
        })
    };
    let onwheel = {
        let zoom = zoom.clone();
        let width = width.clone();
        Callback::from(move |e: WheelEvent| {
            let c = at_x(e.offset_x() as f64, width());
            zoom(if e.delta_y() < 0.0 { 0.8 } else { 1.25 }, Some(c));
        })
    };
    let onkeydown = {
        let (zoom, view) = (zoom.clone(), view.clone());
        Callback::from(move |e: KeyboardEvent| {
            let pan = |f: f64| {
                let d = (t1 - t0) * f;
                let a = (t0 + d).max(0.0);
                view.set(Some((a, a + (t1 - t0))));
            };
            match e.key().as_str() {
                "+" | "=" => zoom(0.5, None),
                "-" => zoom(2.0, None),
                "ArrowLeft" => pan(-0.25),
                "ArrowRight" => pan(0.25),
                "0" => view.set(None),
                _ => return,
            }
            e.prevent_default();
        })
    };
    let button = |label: &'static str, name: &'static str, f: Callback<MouseEvent>| {
        html! { <button class="small" aria-label={name} title={name} onclick={f}>{label}</button> }
    };
    let zoom_in = {
        let zoom = zoom.clone();
        Callback::from(move |_| zoom(0.5, None))
    };
    let zoom_out = Callback::from(move |_| zoom(2.0, None));
    let fit = {
        let view = view.clone();
        Callback::from(move |_| view.set(None))
    };
    let marks = p.data.marks.borrow();
    let hovered = hover.and_then(|(i, x)| marks.get(i).map(|m| (m.describe(), x)));
    let summary = format!(
        "Timeline of {} world switches over {} steps, showing steps {:.0} to {:.0}",
        p.data.len,
        p.data.steps,
        t0,
        t1.min(p.data.steps as f64)
    );
    html! {
        <section class="timeline" aria-label="Timeline">
            <div class="lanes" aria-hidden="true"><span>{"L0"}</span><span>{"L1"}</span><span>{"L2"}</span></div>
            <div class="canvas-box">
                <canvas ref={canvas} tabindex="0" role="img" aria-label={summary.clone()} title={summary}
                    data-testid="timeline" data-t0={t0.to_string()} data-t1={t1.to_string()}
                    {onmousemove} {onmousedown} {onmouseup} {onmouseleave} {onwheel} {onkeydown} />
                if let Some((text, x)) = hovered {
                    <div class="timeline-hover" role="tooltip" data-testid="timeline-hover"
                        style={format!("left: {:.0}px", (x - 80.0).max(0.0))}>{text}</div>
                }
            </div>
            <div class="timeline-tools">
                { button("+", "Zoom in", zoom_in) }
                { button("−", "Zoom out", zoom_out) }
                { button("Fit", "Show the whole run", fit) }
            </div>
            <ul class="legend" aria-label="Timeline colours">
                { for CATEGORIES.iter().map(|c| html! {
                    <li><span class="swatch" style={format!("background: {}", c.colour())}></span>{c.name()}</li>
                }) }
            </ul>
        </section>
    }
}
