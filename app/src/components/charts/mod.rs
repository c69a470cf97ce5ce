//! Charts on canvases, and what every chart shares: the painter that limits redraws, ticks,
//! colours and labels. The live curves are drawn in [`curves`]; the trade-off chart and the
//! parallel coordinates use the same kit.
//!
//! plotters draws the geometry (grid, axes, series, points). Text is not left to plotters: on
//! wasm it measures every label by inserting an element into the page and forcing a layout,
//! which made each redraw a 50–100 ms main-thread task. Tick labels are written straight onto
//! the canvas at plotters' own coordinates, and titles and legends are HTML.
//!
//! Every chart draws through a plotters backend and a [`Labels`] writer, so the same code
//! draws it on its canvas and into an SVG file for download.

mod curves;

pub use curves::LiveCharts;

use std::error::Error;
use std::rc::Rc;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use tradeoff_core::metrics::{EpochMetrics, StepMetrics};
use tradeoff_core::record::{CurveMark, RunStatus, curve_marks};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::format;
use crate::i18n::{lang, localise, t};
use crate::store::Store;
use tradeoff_core::i18n::{Message, key};
use tradeoff_core::{msg, tr};

/// Shortest gap between two redraws of one chart while data streams in.
const MIN_REDRAW_MS: f64 = 300.0;

/// Colours for runs: the live (or first) run first, then overlays.
pub(crate) const PALETTE: [RGBColor; 6] = [
    RGBColor(37, 99, 235),
    RGBColor(234, 88, 12),
    RGBColor(22, 163, 74),
    RGBColor(147, 51, 234),
    RGBColor(219, 39, 119),
    RGBColor(13, 148, 136),
];

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
pub(crate) type DrawResult<T = ()> = Result<T, Box<dyn Error>>;

fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

pub(crate) fn css(c: RGBColor) -> String {
    format!("rgb({},{},{})", c.0, c.1, c.2)
}

/// Draws a chart on a task of its own, at most every `MIN_REDRAW_MS`, always with the latest
/// data: streaming training figures must never add up to one long main-thread task.
#[derive(Clone, Copy)]
pub(crate) struct Painter {
    pending: StoredValue<Option<Box<dyn FnOnce()>>, LocalStorage>,
    scheduled: StoredValue<bool>,
    last: StoredValue<f64>,
}

impl Painter {
    pub(crate) fn new() -> Self {
        Painter {
            pending: StoredValue::new_local(None),
            scheduled: StoredValue::new(false),
            last: StoredValue::new(f64::NEG_INFINITY),
        }
    }

    pub(crate) fn request(self, draw: impl FnOnce() + 'static) {
        self.pending.set_value(Some(Box::new(draw)));
        if self.scheduled.get_value() {
            return;
        }
        self.scheduled.set_value(true);
        let wait = (self.last.get_value() + MIN_REDRAW_MS - now_ms()).max(0.0);
        set_timeout(
            move || {
                self.scheduled.set_value(false);
                self.last.set_value(now_ms());
                if let Some(draw) = self.pending.try_update_value(Option::take).flatten() {
                    draw();
                }
            },
            std::time::Duration::from_millis(wait as u64),
        );
    }
}

/// Axis numbers: compact for large values, two decimals for small ones.
pub(crate) fn axis_number(x: f64) -> String {
    match x.abs() {
        v if v >= 1000.0 => format::compact(lang(), x),
        v if v >= 10.0 => format!("{x:.0}"),
        v if v >= 1.0 => format!("{x:.1}"),
        _ => format!("{x:.2}"),
    }
}

/// A tick's label with enough decimals to tell it from its neighbours.
fn tick_label(t: f64, ticks: &[f64]) -> String {
    let step = ticks
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    if t.abs() >= 1000.0 || !step.is_finite() || step >= 1.0 {
        return axis_number(t);
    }
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    format!("{t:.decimals$}")
}

/// Round tick values covering `lo..=hi`, about `count` of them.
fn ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    let span = (hi - lo).max(1e-12);
    let magnitude = 10f64.powf((span / count as f64).log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| span / s <= count as f64)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() * step;
    (0..=count * 2)
        .map(|i| first + i as f64 * step)
        .take_while(|v| *v <= hi + step * 1e-9)
        .collect()
}

fn dark_mode() -> bool {
    window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

/// Relative luminance of an sRGB colour (WCAG 2).
fn luminance(c: [f64; 3]) -> f64 {
    let lin = |v: f64| {
        let v = v / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// A table cell tinted `colour` at `alpha` over the theme's background, with black or white
/// text, whichever reads better on the blend (so the tint never costs contrast).
pub(crate) fn tinted_cell(colour: RGBColor, alpha: f64) -> String {
    let (background, _) = ink();
    let blend = |c: u8, b: u8| alpha * c as f64 + (1.0 - alpha) * b as f64;
    let mixed = [
        blend(colour.0, background.0),
        blend(colour.1, background.1),
        blend(colour.2, background.2),
    ];
    let l = luminance(mixed);
    let text = if (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) {
        "#000"
    } else {
        "#fff"
    };
    format!(
        "background: rgb({:.0}, {:.0}, {:.0}); color: {text}",
        mixed[0], mixed[1], mixed[2]
    )
}

/// Background and ink colours for the current theme.
pub(crate) fn ink() -> (RGBColor, RGBColor) {
    if dark_mode() {
        (RGBColor(30, 41, 59), RGBColor(226, 232, 240))
    } else {
        (RGBColor(255, 255, 255), RGBColor(30, 41, 59))
    }
}

/// Axes of one chart.
/// How a chart's text is set.
#[derive(Clone, Copy)]
pub(crate) struct Label {
    /// `left`, `center` or `right` of the anchor point.
    pub align: &'static str,
    /// `top`, `middle` or `bottom` at the anchor point.
    pub baseline: &'static str,
    /// Font size in pixels.
    pub size: u32,
    /// Bold (axis titles).
    pub bold: bool,
    /// Turned a quarter turn anticlockwise about the anchor (the y-axis title).
    pub vertical: bool,
}

impl Label {
    /// The CSS font-weight prefix for a canvas font (`"bold "` or nothing).
    fn weight(&self) -> &'static str {
        if self.bold { "bold " } else { "" }
    }

    /// Tick numbers under the x axis.
    const X_TICK: Label = Label {
        align: "center",
        baseline: "top",
        size: 12,
        bold: false,
        vertical: false,
    };
    /// Tick numbers left of the y axis.
    const Y_TICK: Label = Label {
        align: "right",
        baseline: "middle",
        size: 12,
        bold: false,
        vertical: false,
    };
    /// The x axis's title.
    const X_TITLE: Label = Label {
        align: "center",
        baseline: "bottom",
        size: 12,
        bold: true,
        vertical: false,
    };
    /// The y axis's title.
    const Y_TITLE: Label = Label {
        align: "center",
        baseline: "top",
        size: 12,
        bold: true,
        vertical: true,
    };
    /// A point's name, above and right of it.
    pub(crate) const POINT: Label = Label {
        align: "left",
        baseline: "bottom",
        size: 11,
        bold: false,
        vertical: false,
    };
}

/// Where a chart's text goes: written on the canvas, or as SVG `<text>` elements.
pub(crate) trait Labels {
    /// Writes `text` at `(x, y)`, set as `label` says.
    fn text(&mut self, text: &str, x: f64, y: f64, label: &Label);
}

/// Text on a canvas's 2D context.
struct CanvasLabels {
    ctx: CanvasRenderingContext2d,
    ink: String,
}

impl Labels for CanvasLabels {
    fn text(&mut self, text: &str, x: f64, y: f64, label: &Label) {
        let ctx = &self.ctx;
        ctx.set_fill_style_str(&self.ink);
        ctx.set_font(&format!("{}{}px sans-serif", label.weight(), label.size));
        ctx.set_text_align(label.align);
        ctx.set_text_baseline(label.baseline);
        if label.vertical {
            ctx.save();
            let _ = ctx.translate(x, y);
            let _ = ctx.rotate(-std::f64::consts::FRAC_PI_2);
            let _ = ctx.fill_text(text, 0.0, 0.0);
            ctx.restore();
        } else {
            let _ = ctx.fill_text(text, x, y);
        }
    }
}

/// Text as SVG elements, collected to go into the document plotters writes.
#[derive(Default)]
struct SvgLabels {
    out: String,
    ink: String,
}

impl Labels for SvgLabels {
    fn text(&mut self, text: &str, x: f64, y: f64, label: &Label) {
        let anchor = match label.align {
            "left" => "start",
            "right" => "end",
            _ => "middle",
        };
        let baseline = match label.baseline {
            "top" => "hanging",
            "bottom" => "text-after-edge",
            _ => "middle",
        };
        let escaped = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        self.out += &format!(
            "<text x=\"{x:.1}\" y=\"{y:.1}\" font-family=\"sans-serif\" font-size=\"{}\"{} text-anchor=\"{anchor}\" dominant-baseline=\"{baseline}\" fill=\"{}\"{}>{escaped}</text>\n",
            label.size,
            if label.bold {
                " font-weight=\"bold\""
            } else {
                ""
            },
            self.ink,
            if label.vertical {
                format!(" transform=\"rotate(-90 {x:.1} {y:.1})\"")
            } else {
                String::new()
            }
        );
    }
}

/// Draws with `draw` on `canvas`.
pub(crate) fn on_canvas<T>(
    canvas: &HtmlCanvasElement,
    draw: impl FnOnce(&DrawingArea<CanvasBackend, Shift>, &mut dyn Labels) -> DrawResult<T>,
) -> DrawResult<T> {
    let root = CanvasBackend::with_canvas_object(canvas.clone())
        .ok_or("no canvas")?
        .into_drawing_area();
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .ok_or("no 2d context")?
        .dyn_into()
        .map_err(|_| "not a 2d context")?;
    let mut labels = CanvasLabels {
        ctx,
        ink: css(ink().1),
    };
    draw(&root, &mut labels)
}

/// Draws with `draw` into an SVG document `width` × `height` pixels, which it returns.
pub(crate) fn to_svg(
    width: u32,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>, &mut dyn Labels) -> DrawResult,
) -> DrawResult<String> {
    let mut svg = String::new();
    let mut labels = SvgLabels {
        ink: css(ink().1),
        ..SvgLabels::default()
    };
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        draw(&root, &mut labels)?;
        root.present()?;
    }
    let end = svg.rfind("</svg>").ok_or("plotters wrote no SVG")?;
    svg.insert_str(end, &labels.out);
    Ok(svg)
}

pub(crate) struct Axes {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub x_label: &'static str,
    pub y_label: &'static str,
    pub y_format: fn(f64) -> String,
}

/// Draws grid, axes and labels around what `draw` puts in the plot area; returns what it returns.
pub(crate) fn frame<DB: DrawingBackend, T>(
    root: &DrawingArea<DB, Shift>,
    labels: &mut dyn Labels,
    axes: &Axes,
    draw: impl FnOnce(&mut Chart<DB>) -> DrawResult<T>,
) -> DrawResult<T>
where
    DB::ErrorType: 'static,
{
    let (background, ink) = ink();
    root.fill(&background)?;
    let (w, h) = root.dim_in_pixel();
    let (w, h) = (w as f64, h as f64);
    let area = root.margin(10, 38, 58, 14);
    let (x, y) = (axes.x, axes.y);
    let mut chart = ChartBuilder::on(&area).build_cartesian_2d(x.0..x.1, y.0..y.1)?;
    let (x_ticks, y_ticks) = (ticks(x.0, x.1, 6), ticks(y.0, y.1, 5));
    for &t in &x_ticks {
        chart.draw_series(LineSeries::new([(t, y.0), (t, y.1)], ink.mix(0.1)))?;
    }
    for &t in &y_ticks {
        chart.draw_series(LineSeries::new([(x.0, t), (x.1, t)], ink.mix(0.1)))?;
    }
    chart.draw_series(LineSeries::new(
        [(x.0, y.1), (x.0, y.0), (x.1, y.0)],
        ink.mix(0.7),
    ))?;
    let result = draw(&mut chart)?;
    let x_marks: Vec<(String, (i32, i32))> = x_ticks
        .iter()
        .map(|&t| (tick_label(t, &x_ticks), chart.backend_coord(&(t, y.0))))
        .collect();
    let y_marks: Vec<(String, (i32, i32))> = y_ticks
        .iter()
        .map(|&t| ((axes.y_format)(t), chart.backend_coord(&(x.0, t))))
        .collect();
    root.present()?;
    for (text, (px, py)) in x_marks {
        labels.text(&text, px as f64, py as f64 + 4.0, &Label::X_TICK);
    }
    for (text, (px, py)) in y_marks {
        labels.text(&text, px as f64 - 5.0, py as f64, &Label::Y_TICK);
    }
    labels.text(
        t(axes.x_label),
        58.0 + (w - 72.0) / 2.0,
        h - 2.0,
        &Label::X_TITLE,
    );
    labels.text(
        t(axes.y_label),
        4.0,
        10.0 + (h - 48.0) / 2.0,
        &Label::Y_TITLE,
    );
    Ok(result)
}

/// Draws a chart into an SVG document of the given size, from the data shown now.
pub(crate) type SvgDrawing = Rc<dyn Fn(u32, u32) -> DrawResult<String>>;

/// Buttons that save a chart as a PNG picture or an SVG drawing.
#[component]
pub(crate) fn SaveChart(
    /// The chart.
    canvas: NodeRef<Canvas>,
    /// Its name in the file name and the buttons' accessible names.
    name: &'static str,
    /// The same chart as SVG.
    svg: SvgDrawing,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let file = move |extension: &str| {
        crate::download::stamped(&name.to_lowercase().replace(' ', "-"), extension)
    };
    let failed = move |why: Message| {
        store.notify(
            "error",
            msg!("The chart could not be saved: {why}.", why = why),
        )
    };
    let save_png = move |_| {
        if let Some(c) = canvas.get()
            && let Err(why) = crate::download::save_canvas_png(&file("png"), &c)
        {
            failed(why);
        }
    };
    let save_svg = move |_| {
        let Some(c) = canvas.get() else { return };
        let saved = svg(c.width(), c.height())
            .map_err(|e| Message::Plain(e.to_string()))
            .and_then(|text| {
                crate::download::save_bytes(&file("svg"), "image/svg+xml", text.as_bytes())
            });
        if let Err(why) = saved {
            failed(why);
        }
    };
    view! {
        <div class="chart-files">
            <button on:click=save_png aria-label=tr!(lang(), "Save the {chart} chart as PNG", chart = t(name))>"PNG"</button>
            <button on:click=save_svg aria-label=tr!(lang(), "Save the {chart} chart as SVG", chart = t(name))>"SVG"</button>
        </div>
    }
}
