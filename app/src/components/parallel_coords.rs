//! Parallel coordinates: one vertical axis per setting that differs between runs and per
//! result, one line per run; dragging along an axis keeps only the runs in that range.

use std::rc::Rc;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use tradeoff_core::compare::{Dimension, axis_position, varying_dimensions};
use tradeoff_core::record::RunRecord;

use crate::components::charts::{
    DrawResult, PALETTE, Painter, SaveChart, SvgDrawing, ink, on_canvas, to_svg,
};
use crate::i18n::{lang, t};
use crate::store::Store;
use tradeoff_core::i18n::key;
use tradeoff_core::tr;

const WIDTH: i32 = 720;
const HEIGHT: i32 = 300;
const LEFT: i32 = 60;
const RIGHT: i32 = 60;
const TOP: i32 = 46;
const BOTTOM: i32 = 30;

/// A kept range on one axis, as positions 0 (bottom) ..= 1 (top).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Brush {
    dimension: Dimension,
    low: f64,
    high: f64,
}

/// One run's line: its id and its position on each axis (`None`: no value).
type Line = (u32, Vec<Option<f64>>);

/// The axes and each run's positions on them, with each axis's range.
#[derive(Clone, Debug, PartialEq)]
struct Layout {
    dimensions: Vec<Dimension>,
    ranges: Vec<(f64, f64)>,
    lines: Vec<Line>,
}

fn layout(runs: &[(u32, &RunRecord)]) -> Layout {
    let records: Vec<&RunRecord> = runs.iter().map(|(_, r)| *r).collect();
    let dimensions = varying_dimensions(&records);
    let ranges: Vec<(f64, f64)> = dimensions
        .iter()
        .map(|d| {
            records
                .iter()
                .filter_map(|r| d.value(r))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                })
        })
        .collect();
    let lines = runs
        .iter()
        .map(|(id, r)| {
            let positions = dimensions
                .iter()
                .zip(&ranges)
                .map(|(d, &(lo, hi))| d.value(r).map(|v| axis_position(*d, v, lo, hi)))
                .collect();
            (*id, positions)
        })
        .collect();
    Layout {
        dimensions,
        ranges,
        lines,
    }
}

fn axis_x(i: usize, n: usize) -> i32 {
    if n <= 1 {
        return WIDTH / 2;
    }
    LEFT + (WIDTH - LEFT - RIGHT) * i as i32 / (n as i32 - 1)
}

fn y_of(position: f64) -> i32 {
    TOP + ((1.0 - position) * (HEIGHT - TOP - BOTTOM) as f64).round() as i32
}

fn position_of(y: f64) -> f64 {
    (1.0 - (y - TOP as f64) / (HEIGHT - TOP - BOTTOM) as f64).clamp(0.0, 1.0)
}

/// Whether a run's line passes through every brush.
fn kept(layout: &Layout, line: &[Option<f64>], brushes: &[Brush]) -> bool {
    brushes.iter().all(|b| {
        layout
            .dimensions
            .iter()
            .position(|d| *d == b.dimension)
            .is_none_or(|i| line[i].is_some_and(|p| p >= b.low - 1e-9 && p <= b.high + 1e-9))
    })
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &Layout,
    brushes: &[Brush],
    selected: Option<u32>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (background, ink) = ink();
    root.fill(&background)?;
    let n = layout.dimensions.len();
    let font = |size: i32| ("sans-serif", size).into_font().color(&ink);
    for (i, d) in layout.dimensions.iter().enumerate() {
        let x = axis_x(i, n);
        root.draw(&PathElement::new(
            [(x, y_of(1.0)), (x, y_of(0.0))],
            ink.mix(0.6),
        ))?;
        let centred = |text: &str, size: i32| {
            // Chinese characters are about twice as wide as Latin ones.
            let w: i32 = text
                .chars()
                .map(|c| if c.is_ascii() { size / 2 } else { size })
                .sum();
            (x - w / 2).clamp(0, WIDTH - w)
        };
        let (lo, hi) = layout.ranges[i];
        let label = t(d.label());
        root.draw(&Text::new(label, (centred(label, 12), 6), font(12)))?;
        let top = d.format(hi);
        root.draw(&Text::new(top.clone(), (centred(&top, 11), 24), font(11)))?;
        let bottom = d.format(lo);
        root.draw(&Text::new(
            bottom.clone(),
            (centred(&bottom, 11), HEIGHT - BOTTOM + 8),
            font(11),
        ))?;
        for b in brushes.iter().filter(|b| b.dimension == *d) {
            root.draw(&Rectangle::new(
                [(x - 7, y_of(b.high)), (x + 7, y_of(b.low))],
                PALETTE[1].mix(0.35).filled(),
            ))?;
        }
    }
    // Faint lines first, so the kept runs and the selected one are drawn on top.
    let mut order: Vec<&Line> = layout.lines.iter().collect();
    order.sort_by_key(|(id, line)| (kept(layout, line, brushes), selected == Some(*id)));
    for (id, line) in order {
        let points: Vec<(i32, i32)> = line
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| (axis_x(i, n), y_of(p))))
            .collect();
        let style = if selected == Some(*id) {
            PALETTE[1].stroke_width(3)
        } else if kept(layout, line, brushes) {
            PALETTE[0].mix(0.8).stroke_width(2)
        } else {
            ink.mix(0.15).stroke_width(1)
        };
        root.draw(&PathElement::new(points, style))?;
    }
    root.present()?;
    Ok(())
}

/// The parallel-coordinates view of the runs with results.
#[component]
pub fn ParallelCoordinates() -> impl IntoView {
    let store = expect_context::<Store>();
    let canvas_ref = NodeRef::<Canvas>::new();
    let brushes = RwSignal::new(Vec::<Brush>::new());
    // The axis being dragged on and where the drag began (canvas pixels).
    let dragging = StoredValue::new(None::<(usize, f64)>);
    let layout = Memo::new(move |_| {
        store.runs.with(|runs| {
            let with_results: Vec<(u32, &RunRecord)> = runs
                .iter()
                .filter(|r| r.record.summary.is_some())
                .map(|r| (r.id, &r.record))
                .collect();
            layout(&with_results)
        })
    });
    let painter = Painter::new();
    Effect::new(move |_| {
        let (l, b, selected) = (layout.get(), brushes.get(), store.selected.get());
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        painter.request(move || {
            let _ = on_canvas(&canvas, |root, _| draw(root, &l, &b, selected));
        });
    });
    // Kept aside: the view below is rebuilt whenever it shows again.
    let svg = StoredValue::new_local(Rc::new(move |w, h| {
        let (l, b) = (layout.get_untracked(), brushes.get_untracked());
        let selected = store.selected.get_untracked();
        to_svg(w, h, |root, _| draw(root, &l, &b, selected))
    }) as SvgDrawing);
    // Canvas pixel coordinates of a mouse event.
    let at = move |ev: &web_sys::MouseEvent| -> Option<(f64, f64)> {
        let canvas = canvas_ref.get()?;
        let sx = canvas.width() as f64 / canvas.client_width().max(1) as f64;
        let sy = canvas.height() as f64 / canvas.client_height().max(1) as f64;
        Some((ev.offset_x() as f64 * sx, ev.offset_y() as f64 * sy))
    };
    let brush_to = move |axis: usize, from: f64, to: f64| {
        let Some(dimension) = layout.with_untracked(|l| l.dimensions.get(axis).copied()) else {
            return;
        };
        brushes.update(|bs| {
            bs.retain(|b| b.dimension != dimension);
            if (to - from).abs() >= 4.0 {
                let (a, b) = (position_of(from), position_of(to));
                bs.push(Brush {
                    dimension,
                    low: a.min(b),
                    high: a.max(b),
                });
            }
        });
    };
    let on_down = move |ev: web_sys::MouseEvent| {
        let Some((x, y)) = at(&ev) else { return };
        let n = layout.with_untracked(|l| l.dimensions.len());
        let nearest = (0..n).min_by_key(|&i| (axis_x(i, n) as f64 - x).abs() as i64);
        if let Some(i) = nearest.filter(|&i| (axis_x(i, n) as f64 - x).abs() < 20.0) {
            ev.prevent_default();
            dragging.set_value(Some((i, y)));
        }
    };
    let on_move = move |ev: web_sys::MouseEvent| {
        if let (Some((axis, from)), Some((_, y))) = (dragging.get_value(), at(&ev))
            && (y - from).abs() >= 4.0
        {
            brush_to(axis, from, y);
        }
    };
    let on_up = move |ev: web_sys::MouseEvent| {
        if let (Some((axis, from)), Some((_, y))) = (dragging.get_value(), at(&ev)) {
            brush_to(axis, from, y);
        }
        dragging.set_value(None);
    };
    let kept_text = move || {
        let l = layout.get();
        let b = brushes.get();
        if b.is_empty() {
            return t("Drag along an axis to keep only the runs in that range; click an axis to clear it.")
                .to_string();
        }
        let ids: Vec<String> = l
            .lines
            .iter()
            .filter(|(_, line)| kept(&l, line, &b))
            .map(|(id, _)| id.to_string())
            .collect();
        let filters: Vec<String> = b
            .iter()
            .filter_map(|b| {
                let i = l.dimensions.iter().position(|d| *d == b.dimension)?;
                let (lo, hi) = l.ranges[i];
                let value = |p: f64| {
                    let v = if b.dimension.log_scale() && lo > 0.0 {
                        (lo.ln() + p * (hi.ln() - lo.ln())).exp()
                    } else {
                        lo + p * (hi - lo)
                    };
                    b.dimension.format(v)
                };
                Some(format!(
                    "{} {} – {}",
                    t(b.dimension.label()),
                    value(b.low),
                    value(b.high)
                ))
            })
            .collect();
        match ids.len() {
            0 => tr!(
                lang(),
                "No run is within {ranges}.",
                ranges = filters.join(t(" and "))
            ),
            _ => tr!(
                lang(),
                "Runs within {ranges}: {runs}.",
                ranges = filters.join(t(" and ")),
                runs = ids.join(", ")
            ),
        }
    };
    let axes_data = move || {
        layout.with(|l| {
            let n = l.dimensions.len();
            l.dimensions
                .iter()
                .enumerate()
                .map(|(i, d)| format!("{}:{}", d.label(), axis_x(i, n)))
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    view! {
        <Show when=move || layout.with(|l| l.lines.len() >= 2)>
            <section class="panel parallel" aria-label=t("Settings and results of every run")>
                <div class="panel-head">
                    <h2>{t("Settings and results, run by run")}</h2>
                    <button
                        disabled=move || brushes.with(Vec::is_empty)
                        on:click=move |_| brushes.set(Vec::new())
                    >
                        {t("Clear filters")}
                    </button>
                </div>
                <canvas
                    node_ref=canvas_ref
                    width=WIDTH.to_string()
                    height=HEIGHT.to_string()
                    role="img"
                    aria-label=t("Parallel coordinates: one axis per setting that differs between runs and per result, one line per run")
                    data-axes=axes_data
                    data-top=TOP.to_string()
                    data-bottom=(HEIGHT - BOTTOM).to_string()
                    on:mousedown=on_down
                    on:mousemove=on_move
                    on:mouseup=on_up
                    on:mouseleave=move |_| dragging.set_value(None)
                ></canvas>
                <SaveChart canvas=canvas_ref name=key("parallel coordinates") svg=svg.get_value() />
                <p class="chart-text" data-testid="parallel-kept" aria-live="polite">{kept_text}</p>
            </section>
        </Show>
    }
}
