//! The trade-off chart: test accuracy against a chosen cost, one point per run, the Pareto
//! front, compressed runs linked to their parents, and the best run within a budget.

use std::rc::Rc;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use tradeoff_core::compare::{AccuracyAxis, CostAxis, pareto_front};
use tradeoff_core::record::RunRecord;
use tradeoff_core::sweep::best_under_budget;

use crate::components::charts::{
    Axes, DrawResult, Label, Labels, PALETTE, Painter, SaveChart, SvgDrawing, axis_number, css,
    frame, on_canvas, to_svg,
};
use crate::format;
use crate::i18n::{lang, localise, t};
use crate::store::Store;
use tradeoff_core::i18n::key;
use tradeoff_core::setting::start_words;
use tradeoff_core::tr;

/// What the chart shows besides the points.
struct Marks<'a> {
    /// Runs on the Pareto front.
    front: &'a [u32],
    /// `(run, run it came from)` pairs, drawn as thin lines: a compressed copy and its parent,
    /// a run and the run it started from or was distilled from, an ensemble and its members.
    links: &'a [(u32, u32)],
    /// The run picked by the budget.
    winner: Option<u32>,
    /// The budget line's position on the x axis.
    budget: Option<f64>,
    selected: Option<u32>,
}

/// Draws the trade-off scatter; returns where each run's point landed (for hover and click).
fn draw_tradeoff<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &mut dyn Labels,
    points: &[(u32, f64, f64)],
    axis: CostAxis,
    accuracy: AccuracyAxis,
    marks: &Marks,
) -> DrawResult<Vec<(u32, (i32, i32))>>
where
    DB::ErrorType: 'static,
{
    let front = marks.front;
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    let x = if points.is_empty() {
        (0.0, 1.0)
    } else {
        let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.05).max(1e-6);
        ((lo - pad).max(0.0), hi + pad)
    };
    let axes = Axes {
        x,
        y: (axes_y(points), 1.0),
        x_label: axis.label(),
        y_label: accuracy.label(),
        y_format: |y| format!("{:.0}%", y * 100.0),
    };
    let positions = frame(root, labels, &axes, |chart| {
        let line: Vec<(f64, f64)> = front
            .iter()
            .filter_map(|id| points.iter().find(|p| p.0 == *id).map(|p| (p.1, p.2)))
            .collect();
        chart.draw_series(LineSeries::new(line, PALETTE[1].stroke_width(2)))?;
        let at = |id: u32| points.iter().find(|p| p.0 == id).map(|p| (p.1, p.2));
        for &(child, parent) in marks.links {
            if let (Some(a), Some(b)) = (at(child), at(parent)) {
                chart.draw_series(DashedLineSeries::new(
                    [b, a],
                    4,
                    3,
                    PALETTE[2].stroke_width(1),
                ))?;
            }
        }
        if let Some(limit) = marks.budget.filter(|b| (x.0..=x.1).contains(b)) {
            let (y0, y1) = (axes_y(points), 1.0);
            chart.draw_series(DashedLineSeries::new(
                [(limit, y0), (limit, y1)],
                6,
                4,
                PALETTE[3].stroke_width(1),
            ))?;
        }
        if let Some((wx, wy)) = marks.winner.and_then(at) {
            chart.draw_series(std::iter::once(Circle::new(
                (wx, wy),
                12,
                PALETTE[3].stroke_width(2),
            )))?;
        }
        let mut positions = Vec::new();
        for &(id, x, y) in points {
            let color = if front.contains(&id) {
                PALETTE[1]
            } else {
                PALETTE[0]
            };
            let size = if marks.selected == Some(id) { 9 } else { 6 };
            chart.draw_series(std::iter::once(Circle::new((x, y), size, color.filled())))?;
            positions.push((id, chart.backend_coord(&(x, y))));
        }
        Ok(positions)
    })?;
    for &(id, (px, py)) in &positions {
        labels.text(
            &id.to_string(),
            px as f64 + 7.0,
            py as f64 - 4.0,
            &Label::POINT,
        );
    }
    Ok(positions)
}

/// Bottom of the accuracy axis: a little below the weakest run.
fn axes_y(points: &[(u32, f64, f64)]) -> f64 {
    let min_y = points.iter().map(|p| p.2).fold(1.0f64, f64::min);
    ((min_y * 100.0 - 5.0).floor() / 100.0).clamp(0.0, 0.9)
}

/// The budget's unit and direction for `axis`, e.g. `("at most", "ms")`.
fn budget_words(axis: CostAxis) -> (&'static str, &'static str) {
    let bound = if axis.higher_is_better() {
        key("at least")
    } else {
        key("at most")
    };
    let unit = match axis {
        CostAxis::TrainingTime => key("s"),
        CostAxis::ImagesPerSecond => key("images/s"),
        CostAxis::Latency => key("ms per image"),
        CostAxis::Parameters => key("parameters"),
        CostAxis::Flops => "FLOPs",
        CostAxis::ModelSize => key("bytes"),
    };
    (bound, unit)
}

/// Accuracy against a chosen cost, one point per run, with the Pareto front.
#[component]
pub fn TradeoffChart() -> impl IntoView {
    let store = expect_context::<Store>();
    let canvas_ref = NodeRef::<Canvas>::new();
    // Pixel position of each drawn point, for hover and click.
    let positions = StoredValue::new(Vec::<(u32, (i32, i32))>::new());
    let hovered = RwSignal::new(None::<u32>);
    let points = Memo::new(move |_| {
        let (axis, accuracy) = (store.axis.get(), store.accuracy.get());
        store.runs.with(|runs| {
            runs.iter()
                .filter_map(|r| {
                    let x = axis.value(&r.record)?;
                    let y = accuracy.value(&r.record)?;
                    Some((r.id, x, y))
                })
                .collect::<Vec<_>>()
        })
    });
    let front = Memo::new(move |_| {
        let pts = points.get();
        let pairs: Vec<(f64, f64)> = pts.iter().map(|&(_, x, y)| (x, y)).collect();
        pareto_front(&pairs, store.axis.get().higher_is_better())
            .into_iter()
            .map(|i| pts[i].0)
            .collect::<Vec<u32>>()
    });
    let links = Memo::new(move |_| {
        store.runs.with(|runs| {
            runs.iter()
                .flat_map(|r| {
                    let record = &r.record;
                    let mut keys: Vec<f64> = [
                        record.compression.as_ref().and_then(|c| c.parent_key),
                        record.transfer.as_ref().and_then(|t| t.parent_key),
                        record.distill.as_ref().and_then(|d| d.parent_key),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    if let Some(e) = &record.ensemble {
                        keys.extend(&e.member_keys);
                    }
                    keys.into_iter()
                        .filter_map(|key| runs.iter().find(|p| p.key == key))
                        .map(|parent| (r.id, parent.id))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
    });
    // The budget as typed; read against whichever cost axis is shown.
    let budget_text = RwSignal::new(String::new());
    let budget = Memo::new(move |_| {
        let text = budget_text.get();
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
            _ => Err(tr!(lang(), "“{text}” is not a number", text = text)),
        }
    });
    let answer = Memo::new(move |_| {
        let limit = budget.get().ok().flatten()?;
        let (axis, accuracy) = (store.axis.get(), store.accuracy.get());
        Some(store.runs.with(|runs| {
            let records: Vec<&RunRecord> = runs.iter().map(|r| &r.record).collect();
            let a = best_under_budget(&records, axis, limit, accuracy);
            (
                a.winner.map(|i| runs[i].id),
                a.better_over_budget.map(|i| runs[i].id),
                a.within,
            )
        }))
    });
    let svg: SvgDrawing = Rc::new(move |w, h| {
        let (pts, on_front, links) = (
            points.get_untracked(),
            front.get_untracked(),
            links.get_untracked(),
        );
        let marks = Marks {
            front: &on_front,
            links: &links,
            winner: answer.get_untracked().and_then(|a| a.0),
            budget: budget.get_untracked().ok().flatten(),
            selected: store.selected.get_untracked(),
        };
        let (axis, accuracy) = (store.axis.get_untracked(), store.accuracy.get_untracked());
        to_svg(w, h, |root, labels| {
            draw_tradeoff(root, labels, &pts, axis, accuracy, &marks).map(|_| ())
        })
    });
    let painter = Painter::new();
    Effect::new(move |_| {
        let (pts, on_front, links) = (points.get(), front.get(), links.get());
        let (axis, selected) = (store.axis.get(), store.selected.get());
        let accuracy = store.accuracy.get();
        let winner = answer.get().and_then(|a| a.0);
        let limit = budget.get().ok().flatten();
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        painter.request(move || {
            let marks = Marks {
                front: &on_front,
                links: &links,
                winner,
                budget: limit,
                selected,
            };
            if let Ok(p) = on_canvas(&canvas, |root, labels| {
                draw_tradeoff(root, labels, &pts, axis, accuracy, &marks)
            }) {
                positions.set_value(p);
            }
        });
    });
    let describe = move |id: u32| -> String {
        let (axis, kind) = (store.axis.get(), store.accuracy.get());
        store.runs.with(|runs| {
            runs.iter()
                .find(|r| r.id == id)
                .and_then(|r| {
                    let accuracy = kind.value(&r.record)?;
                    let cost = axis.value(&r.record)?;
                    Some(tr!(
                        lang(),
                        "run {id} ({accuracy} {kind}, {cost} {unit})",
                        id = id,
                        accuracy = format::percent(lang(), accuracy),
                        kind = lower_first(t(kind.label())),
                        cost = axis_number(cost),
                        unit = t(budget_words(axis).1)
                    ))
                })
                .unwrap_or_else(|| tr!(lang(), "run {id}", id = id))
        })
    };
    let answer_text = move || -> Option<String> {
        if let Err(problem) = budget.get() {
            return Some(tr!(lang(), "The budget {problem}.", problem = problem));
        }
        let (winner, better, within) = answer.get()?;
        let limit = budget.get().ok().flatten()?;
        let (bound, unit) = budget_words(store.axis.get());
        let limit = tr!(
            lang(),
            "{bound} {limit} {unit}",
            bound = t(bound),
            limit = axis_number(limit),
            unit = t(unit)
        );
        Some(match (winner, better) {
            (Some(w), None) => tr!(
                lang(),
                "Best within {limit}: {run} — the most accurate of all {within} runs that fit, and of every run.",
                limit = limit,
                run = describe(w),
                within = within
            ),
            (Some(w), Some(b)) => tr!(
                lang(),
                "Best within {limit}: {run}, the most accurate of the {within} runs that fit. {better} is more accurate but over the budget.",
                limit = limit,
                run = describe(w),
                within = within,
                better = capitalise(&describe(b))
            ),
            (None, Some(b)) => tr!(
                lang(),
                "No run fits {limit}. The most accurate run is {run}.",
                limit = limit,
                run = describe(b)
            ),
            (None, None) => t("Finish a run to compare it with the budget.").to_string(),
        })
    };
    let nearest = move |ev: &web_sys::MouseEvent| -> Option<u32> {
        let canvas = canvas_ref.get()?;
        let scale_x = canvas.width() as f64 / canvas.client_width().max(1) as f64;
        let scale_y = canvas.height() as f64 / canvas.client_height().max(1) as f64;
        let (mx, my) = (
            ev.offset_x() as f64 * scale_x,
            ev.offset_y() as f64 * scale_y,
        );
        positions.with_value(|p| {
            p.iter()
                .map(|&(id, (x, y))| (id, (x as f64 - mx).hypot(y as f64 - my)))
                .filter(|&(_, d)| d < 14.0)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(id, _)| id)
        })
    };
    let tooltip = move || {
        let id = hovered.get()?;
        store.runs.with(|runs| {
            let r = runs.iter().find(|r| r.id == id)?;
            let s = r.record.summary.as_ref()?;
            let c = &r.record.config;
            let compressed = r
                .record
                .compression
                .as_ref()
                .map(|i| format!(" · {}", localise(&i.method.label())))
                .or_else(|| {
                    let e = r.record.ensemble.as_ref()?;
                    Some(tr!(
                        lang(),
                        " · ensemble of {k} runs",
                        k = e.member_accuracies.len()
                    ))
                })
                .or_else(|| {
                    c.transfer.is_on().then(|| {
                        tr!(
                            lang(),
                            " · started from {start}",
                            start = start_words(&c.transfer.from, lang())
                        )
                    })
                })
                .or_else(|| {
                    r.record.distill.is_some().then(|| {
                        tr!(
                            lang(),
                            " · distilled from {teacher}",
                            teacher = start_words(&c.distill.teacher, lang())
                        )
                    })
                })
                .unwrap_or_default();
            Some(tr!(
                lang(),
                "Run {id}{compressed}: {layers} · batch {batch} · {optimizer} lr {lr} · test accuracy {accuracy} · {time} · {backend}",
                id = id,
                compressed = compressed,
                layers = tradeoff_core::notation::layers_to_string(&c.layers),
                batch = c.batch_size,
                optimizer = c.optimizer.kind.name(),
                lr = c.optimizer.learning_rate,
                accuracy = format::percent(lang(), s.test_accuracy),
                time = format::seconds(lang(), s.train_seconds),
                // Where it ran: this browser's CPU or GPU, or a machine's (the runner's export).
                backend = localise(&r.record.backend)
            ))
        })
    };
    let front_text = move || {
        let ids = front.get();
        if ids.is_empty() {
            return t("Finish a run to place it on the chart.").to_string();
        }
        let (axis, kind) = (store.axis.get(), store.accuracy.get());
        let list: Vec<String> = store.runs.with(|runs| {
            ids.iter()
                .filter_map(|id| runs.iter().find(|r| r.id == *id))
                .map(|r| {
                    let accuracy = kind.value(&r.record).unwrap_or(f64::NAN);
                    let cost = axis.value(&r.record).unwrap_or(f64::NAN);
                    tr!(
                        lang(),
                        "run {id} ({accuracy}, {cost})",
                        id = r.id,
                        accuracy = format::percent(lang(), accuracy),
                        cost = axis_number(cost)
                    )
                })
                .collect()
        });
        tr!(
            lang(),
            "Best trade-offs (Pareto front): {runs}",
            runs = list.join(", ")
        )
    };
    view! {
        <section class="panel tradeoff" aria-label=t("Trade-off")>
            <div class="panel-head">
                <h2>{move || tr!(lang(), "The trade-off: {accuracy} against cost", accuracy = lower_first(t(store.accuracy.get().label())))}</h2>
                <label class="field small">
                    <span class="label">{t("Accuracy axis")}</span>
                    <select
                        aria-label=t("Accuracy axis")
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some(a) = AccuracyAxis::ALL.iter().find(|a| a.label() == v) {
                                store.accuracy.set(*a);
                            }
                        }
                    >
                        {AccuracyAxis::ALL
                            .iter()
                            .map(|a| view! { <option value=a.label() selected=move || store.accuracy.get() == *a>{t(a.label())}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label class="field small">
                    <span class="label">{t("Cost axis")}</span>
                    <select
                        aria-label=t("Cost axis")
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some(a) = CostAxis::ALL.iter().find(|a| a.label() == v) {
                                store.axis.set(*a);
                            }
                        }
                    >
                        {CostAxis::ALL
                            .iter()
                            .map(|a| view! { <option value=a.label() selected=move || store.axis.get() == *a>{t(a.label())}</option> })
                            .collect_view()}
                    </select>
                </label>
            </div>
            <canvas
                node_ref=canvas_ref
                width="720"
                height="320"
                role="img"
                aria-label=t("Test accuracy against the chosen cost, one point per run")
                data-points=move || points.with(Vec::len).to_string()
                on:mousemove=move |ev| hovered.set(nearest(&ev))
                on:mouseleave=move |_| hovered.set(None)
                on:click=move |ev| {
                    if let Some(id) = nearest(&ev) {
                        store.selected.set(Some(id));
                    }
                }
            ></canvas>
            <SaveChart canvas=canvas_ref name=key("trade-off") svg=svg />
            <ul class="legend" aria-label=t("Legend")>
                <li><span class="swatch" style=format!("color: {}", css(PALETTE[1]))>"■"</span>{t(" on the Pareto front (no other run is both more accurate and cheaper)")}</li>
                <li><span class="swatch" style=format!("color: {}", css(PALETTE[0]))>"■"</span>{t(" other runs · hover a point for its settings, click it for details")}</li>
                <Show when=move || links.with(|l| !l.is_empty())>
                    <li><span class="swatch" style=format!("color: {}", css(PALETTE[2]))>"┅"</span>{t(" a compressed model, a run started from or distilled from another, or an ensemble, linked to the runs it came from")}</li>
                </Show>
                <Show when=move || answer.with(|a| a.is_some_and(|a| a.0.is_some()))>
                    <li><span class="swatch" style=format!("color: {}", css(PALETTE[3]))>"◯"</span>{t(" the best run within the budget (dashed line)")}</li>
                </Show>
            </ul>
            <p class="tooltip" aria-live="polite">{move || tooltip().unwrap_or_default()}</p>
            <p class="chart-text" data-testid="pareto">{front_text}</p>
            <div class="budget">
                <label class="field inline">
                    <span class="label">
                        {move || {
                            let (bound, unit) = budget_words(store.axis.get());
                            tr!(lang(), "Budget: {bound} ({unit})", bound = t(bound), unit = t(unit))
                        }}
                    </span>
                    <input
                        type="text"
                        inputmode="decimal"
                        aria-label=t("Budget")
                        placeholder=t("e.g. 0.5")
                        prop:value=move || budget_text.get()
                        on:change=move |ev| budget_text.set(event_target_value(&ev))
                        aria-invalid=move || budget.with(Result::is_err).to_string()
                    />
                </label>
                <p class="budget-answer" role="status" data-testid="budget">
                    {move || answer_text().unwrap_or_default()}
                </p>
            </div>
        </section>
    }
}

/// `text` with its first letter lower-case, to sit inside a sentence ("accuracy under attack
/// (FGSM)"; Chinese is unchanged).
fn lower_first(text: &str) -> String {
    first_letter(text, false)
}

fn capitalise(text: &str) -> String {
    first_letter(text, true)
}

fn first_letter(text: &str, upper: bool) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if upper => c.to_uppercase().chain(chars).collect(),
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
