//! Charts drawn with plotters on canvases: live training curves and the trade-off chart.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use tradeoff_core::compare::{CostAxis, pareto_front};
use tradeoff_core::metrics::{EpochMetrics, StepMetrics};
use web_sys::HtmlCanvasElement;

use crate::format;
use crate::store::Store;

/// Shortest gap between two redraws of one chart while data streams in.
const MIN_REDRAW_MS: f64 = 300.0;

fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

/// Draws a chart on a task of its own, at most every `MIN_REDRAW_MS`, always with the latest
/// data: streaming training figures must never add up to one long main-thread task.
#[derive(Clone, Copy)]
struct Painter {
    pending: StoredValue<Option<Box<dyn FnOnce()>>, LocalStorage>,
    scheduled: StoredValue<bool>,
    last: StoredValue<f64>,
}

impl Painter {
    fn new() -> Self {
        Painter {
            pending: StoredValue::new_local(None),
            scheduled: StoredValue::new(false),
            last: StoredValue::new(f64::NEG_INFINITY),
        }
    }

    fn request(self, draw: impl FnOnce() + 'static) {
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
fn axis_number(x: f64) -> String {
    match x.abs() {
        v if v >= 1000.0 => format::compact(x),
        v if v >= 10.0 => format!("{x:.0}"),
        v if v >= 1.0 => format!("{x:.1}"),
        _ => format!("{x:.2}"),
    }
}

/// Colours for runs: the live run first, then overlays.
const PALETTE: [RGBColor; 6] = [
    RGBColor(37, 99, 235),
    RGBColor(234, 88, 12),
    RGBColor(22, 163, 74),
    RGBColor(147, 51, 234),
    RGBColor(219, 39, 119),
    RGBColor(13, 148, 136),
];

fn dark_mode() -> bool {
    window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

fn ink() -> (RGBColor, RGBColor) {
    if dark_mode() {
        (RGBColor(30, 41, 59), RGBColor(226, 232, 240))
    } else {
        (RGBColor(255, 255, 255), RGBColor(30, 41, 59))
    }
}

/// One run's curves.
struct Curves {
    label: String,
    steps: Vec<StepMetrics>,
    epochs: Vec<EpochMetrics>,
}

/// The step at which each epoch ended.
fn epoch_end_step(steps: &[StepMetrics], epoch: usize) -> f64 {
    steps
        .iter()
        .filter(|s| s.epoch == epoch)
        .map(|s| s.step)
        .max()
        .unwrap_or(0) as f64
}

/// Exponential moving average, so a noisy per-step curve shows its trend.
fn smooth(values: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut avg = None;
    values
        .filter(|(_, y)| y.is_finite())
        .map(|(x, y)| {
            let a = avg.map_or(y, |a: f64| 0.9 * a + 0.1 * y);
            avg = Some(a);
            (x, a)
        })
        .collect()
}

fn draw_curves(
    canvas: HtmlCanvasElement,
    title: &str,
    y_label: &str,
    runs: &[Curves],
    train: fn(&StepMetrics) -> f64,
    validation: fn(&EpochMetrics) -> f64,
    fixed_range: Option<(f64, f64)>,
) -> Result<(), Box<dyn std::error::Error>> {
    let (background, text) = ink();
    let root = CanvasBackend::with_canvas_object(canvas)
        .ok_or("no canvas")?
        .into_drawing_area();
    root.fill(&background)?;
    let max_x = runs
        .iter()
        .flat_map(|r| r.steps.last().map(|s| s.step))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (lo, hi) = fixed_range.unwrap_or_else(|| {
        let top = runs
            .iter()
            .flat_map(|r| {
                r.steps
                    .iter()
                    .map(train)
                    .chain(r.epochs.iter().map(validation))
            })
            .filter(|v| v.is_finite())
            .fold(0.1f64, f64::max);
        (0.0, (top * 1.05).min(10.0))
    });
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 16).into_font().color(&text))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(44)
        .build_cartesian_2d(0.0..max_x, lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("Step")
        .y_desc(y_label)
        .label_style(("sans-serif", 12).into_font().color(&text))
        .axis_style(text)
        .max_light_lines(0)
        .bold_line_style(text.mix(0.15))
        .draw()?;
    for (i, run) in runs.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let raw: Vec<(f64, f64)> = run
            .steps
            .iter()
            .map(|s| (s.step as f64, train(s).clamp(lo, hi)))
            .filter(|(_, y)| y.is_finite())
            .collect();
        chart.draw_series(LineSeries::new(raw.iter().copied(), color.mix(0.25)))?;
        chart
            .draw_series(LineSeries::new(
                smooth(raw.into_iter()),
                color.stroke_width(2),
            ))?
            .label(format!("{} (train)", run.label))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        let validation_points: Vec<(f64, f64)> = run
            .epochs
            .iter()
            .map(|e| (epoch_end_step(&run.steps, e.epoch), validation(e)))
            .filter(|(_, y)| y.is_finite())
            .collect();
        chart.draw_series(LineSeries::new(
            validation_points.iter().copied(),
            color.stroke_width(1),
        ))?;
        chart
            .draw_series(
                validation_points
                    .iter()
                    .map(|&p| Circle::new(p, 5, color.filled())),
            )?
            .label(format!("{} (validation)", run.label))
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
    }
    if !runs.is_empty() {
        chart
            .configure_series_labels()
            .background_style(background.mix(0.85))
            .border_style(text.mix(0.3))
            .label_font(("sans-serif", 12).into_font().color(&text))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// Loss and accuracy of the run in progress (or the selected run), with overlaid runs.
#[component]
pub fn LiveCharts() -> impl IntoView {
    let store = expect_context::<Store>();
    let loss_canvas = NodeRef::<Canvas>::new();
    let accuracy_canvas = NodeRef::<Canvas>::new();
    let curves = move || {
        let mut runs = Vec::new();
        store.live.with(|l| {
            if let Some(l) = l {
                runs.push(Curves {
                    label: format!("run {}", l.id),
                    steps: l.steps.clone(),
                    epochs: l.epochs.clone(),
                });
            }
        });
        let overlay = store.overlay.get();
        let selected = store.selected.get();
        store.runs.with(|all| {
            for r in all {
                let shown = overlay.contains(&r.id) || (runs.is_empty() && selected == Some(r.id));
                if shown
                    && !runs
                        .iter()
                        .any(|c: &Curves| c.label == format!("run {}", r.id))
                {
                    runs.push(Curves {
                        label: format!("run {}", r.id),
                        steps: r.record.steps.clone(),
                        epochs: r.record.epochs.clone(),
                    });
                }
            }
        });
        runs
    };
    let (loss_painter, accuracy_painter) = (Painter::new(), Painter::new());
    Effect::new(move |_| {
        let runs = std::rc::Rc::new(curves());
        if let Some(canvas) = loss_canvas.get() {
            let runs = runs.clone();
            loss_painter.request(move || {
                let loss = |s: &StepMetrics| s.loss;
                let _ = draw_curves(canvas, "Loss", "Cross-entropy", &runs, loss, |e| e.validation_loss, None);
            });
        }
        if let Some(canvas) = accuracy_canvas.get() {
            accuracy_painter.request(move || {
                let accuracy = |s: &StepMetrics| s.accuracy;
                let range = Some((0.0, 1.0));
                let _ = draw_curves(canvas, "Accuracy", "Accuracy", &runs, accuracy, |e| e.validation_accuracy, range);
            });
        }
    });
    let summary = move || {
        store.live.with(|l| match l {
            Some(l) => match l.epochs.last() {
                Some(e) => format!(
                    "Run {} — epoch {}: validation accuracy {}, validation loss {:.3}, {:.0} images/s",
                    l.id,
                    e.epoch,
                    format::percent(e.validation_accuracy),
                    e.validation_loss,
                    e.images_per_second
                ),
                None => match l.steps.last() {
                    Some(s) => format!("Run {} — step {}: training loss {:.3}", l.id, s.step, s.loss),
                    None => format!("Run {} — starting", l.id),
                },
            },
            None => "Press Train to see the curves here.".into(),
        })
    };
    view! {
        <section class="panel charts" aria-label="Training curves">
            <h2>"Training curves"</h2>
            <div class="chart-pair">
                <canvas node_ref=loss_canvas width="560" height="260" role="img" aria-label="Loss against step"></canvas>
                <canvas node_ref=accuracy_canvas width="560" height="260" role="img" aria-label="Accuracy against step"></canvas>
            </div>
            <p class="chart-text" aria-live="polite">{summary}</p>
        </section>
    }
}

/// Draws the trade-off scatter and remembers where each run's point landed.
fn draw_tradeoff(
    canvas: HtmlCanvasElement,
    pts: Vec<(u32, f64, f64)>,
    on_front: Vec<u32>,
    axis: CostAxis,
    selected: Option<u32>,
    positions: StoredValue<Vec<(u32, (i32, i32))>>,
) {
    let drawn = (|| -> Result<Vec<(u32, (i32, i32))>, Box<dyn std::error::Error>> {
        let (background, text) = ink();
        let root = CanvasBackend::with_canvas_object(canvas)
            .ok_or("no canvas")?
            .into_drawing_area();
        root.fill(&background)?;
        let xs = pts.iter().map(|p| p.1);
        let (min_x, max_x) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        let (min_x, max_x) = if pts.is_empty() {
            (0.0, 1.0)
        } else {
            let pad = ((max_x - min_x) * 0.1).max(max_x.abs() * 0.05).max(1e-6);
            ((min_x - pad).max(0.0), max_x + pad)
        };
        let min_y = pts.iter().map(|p| p.2).fold(1.0f64, f64::min);
        let min_y = ((min_y * 100.0 - 5.0).floor() / 100.0).clamp(0.0, 0.9);
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Accuracy vs. cost",
                ("sans-serif", 16).into_font().color(&text),
            )
            .margin(10)
            .x_label_area_size(34)
            .y_label_area_size(48)
            .build_cartesian_2d(min_x..max_x, min_y..1.0)?;
        chart
            .configure_mesh()
            .x_desc(axis.label())
            .y_desc("Test accuracy")
            .x_label_formatter(&|x| axis_number(*x))
            .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
            .label_style(("sans-serif", 12).into_font().color(&text))
            .axis_style(text)
            .max_light_lines(0)
            .bold_line_style(text.mix(0.15))
            .draw()?;
        let front_points: Vec<(f64, f64)> = on_front
            .iter()
            .filter_map(|id| pts.iter().find(|p| p.0 == *id).map(|p| (p.1, p.2)))
            .collect();
        chart.draw_series(LineSeries::new(front_points, PALETTE[1].stroke_width(2)))?;
        let mut positions = Vec::new();
        for &(id, x, y) in &pts {
            let best = on_front.contains(&id);
            let color = if best { PALETTE[1] } else { PALETTE[0] };
            let size = if selected == Some(id) { 9 } else { 6 };
            chart.draw_series(std::iter::once(Circle::new((x, y), size, color.filled())))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("{id}"),
                (x, y),
                ("sans-serif", 11).into_font().color(&text).pos(
                    plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Left,
                        plotters::style::text_anchor::VPos::Bottom,
                    ),
                ),
            )))?;
            positions.push((id, chart.backend_coord(&(x, y))));
        }
        root.present()?;
        Ok(positions)
    })();
    if let Ok(p) = drawn {
        positions.set_value(p);
    }
}

/// Accuracy against a chosen cost, one point per run, with the Pareto front.
#[component]
pub fn TradeoffChart() -> impl IntoView {
    let store = expect_context::<Store>();
    let canvas_ref = NodeRef::<Canvas>::new();
    // Pixel position of each drawn point, for hover and click.
    let positions = StoredValue::new(Vec::<(u32, (i32, i32))>::new());
    let hovered = RwSignal::new(None::<u32>);
    let points = move || {
        let axis = store.axis.get();
        store.runs.with(|runs| {
            runs.iter()
                .filter_map(|r| {
                    let x = axis.value(&r.record)?;
                    let y = r.record.summary.as_ref()?.test_accuracy;
                    Some((r.id, x, y))
                })
                .collect::<Vec<_>>()
        })
    };
    let front = move || {
        let pts = points();
        let pairs: Vec<(f64, f64)> = pts.iter().map(|&(_, x, y)| (x, y)).collect();
        pareto_front(&pairs, store.axis.get().higher_is_better())
            .into_iter()
            .map(|i| pts[i].0)
            .collect::<Vec<u32>>()
    };
    let painter = Painter::new();
    Effect::new(move |_| {
        let pts = points();
        let on_front = front();
        let axis = store.axis.get();
        let selected = store.selected.get();
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        painter.request(move || draw_tradeoff(canvas, pts, on_front, axis, selected, positions));
    });
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
            Some(format!(
                "Run {id}: {} · test accuracy {} · {} · {}",
                tradeoff_core::url::layers_to_string(&r.record.config.layers),
                format::percent(s.test_accuracy),
                format!(
                    "batch {}, {} lr {}",
                    r.record.config.batch_size,
                    r.record.config.optimizer.kind.name(),
                    r.record.config.optimizer.learning_rate
                ),
                format::seconds(s.train_seconds)
            ))
        })
    };
    let front_text = move || {
        let ids = front();
        if ids.is_empty() {
            "Finish a run to place it on the chart.".to_string()
        } else {
            let axis = store.axis.get();
            let list: Vec<String> = store.runs.with(|runs| {
                ids.iter()
                    .filter_map(|id| runs.iter().find(|r| r.id == *id))
                    .map(|r| {
                        format!(
                            "run {} ({}, {})",
                            r.id,
                            format::percent(
                                r.record
                                    .summary
                                    .as_ref()
                                    .map_or(f64::NAN, |s| s.test_accuracy)
                            ),
                            format::compact(axis.value(&r.record).unwrap_or(f64::NAN))
                        )
                    })
                    .collect()
            });
            format!("Best trade-offs (Pareto front): {}", list.join(", "))
        }
    };
    view! {
        <section class="panel tradeoff" aria-label="Trade-off">
            <div class="panel-head">
                <h2>"The trade-off"</h2>
                <label class="field small">
                    <span class="label">"Cost axis"</span>
                    <select on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(a) = CostAxis::ALL.iter().find(|a| a.label() == v) {
                            store.axis.set(*a);
                        }
                    }>
                        {CostAxis::ALL
                            .iter()
                            .map(|a| view! { <option value=a.label() selected=move || store.axis.get() == *a>{a.label()}</option> })
                            .collect_view()}
                    </select>
                </label>
            </div>
            <canvas
                node_ref=canvas_ref
                width="720"
                height="320"
                role="img"
                aria-label="Test accuracy against the chosen cost, one point per run"
                data-points=move || points().len().to_string()
                on:mousemove=move |ev| hovered.set(nearest(&ev))
                on:mouseleave=move |_| hovered.set(None)
                on:click=move |ev| {
                    if let Some(id) = nearest(&ev) {
                        store.selected.set(Some(id));
                    }
                }
            ></canvas>
            <p class="tooltip" aria-live="polite">{move || tooltip().unwrap_or_default()}</p>
            <p class="chart-text" data-testid="pareto">{front_text}</p>
        </section>
    }
}
