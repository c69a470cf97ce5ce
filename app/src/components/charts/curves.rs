//! The live training curves: loss and accuracy of the run in progress and of the runs laid
//! over it, with the schedule's rate drops and early stops marked.

use super::*;
use tradeoff_core::config::LossKind;

/// One run's curves.
struct Curves {
    steps: Vec<StepMetrics>,
    epochs: Vec<EpochMetrics>,
    /// Schedule changes and early stop, drawn as labelled vertical lines.
    marks: Vec<CurveMark>,
    /// What its loss curve measures.
    loss: LossKind,
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
fn smooth(values: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut avg = None;
    values
        .iter()
        .map(|&(x, y)| {
            let a = avg.map_or(y, |a: f64| 0.9 * a + 0.1 * y);
            avg = Some(a);
            (x, a)
        })
        .collect()
}

/// Training figure per step (faint raw, bold smoothed) and validation per epoch (dots).
struct Metric {
    train: fn(&StepMetrics) -> f64,
    validation: fn(&EpochMetrics) -> f64,
    /// Fixed y range, or `None` to fit the data.
    range: Option<(f64, f64)>,
    /// The y axis' name (a translation key) for the runs drawn.
    y_label: fn(&[Curves]) -> &'static str,
    y_format: fn(f64) -> String,
}

fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &mut dyn Labels,
    runs: &[Curves],
    metric: &Metric,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let max_x = runs
        .iter()
        .filter_map(|r| r.steps.last().map(|s| s.step))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let y = metric.range.unwrap_or_else(|| {
        let top = runs
            .iter()
            .flat_map(|r| {
                r.steps
                    .iter()
                    .map(metric.train)
                    .chain(r.epochs.iter().map(metric.validation))
            })
            .filter(|v| v.is_finite())
            .fold(0.1f64, f64::max);
        (0.0, (top * 1.05).min(10.0))
    });
    let axes = Axes {
        x: (0.0, max_x),
        y,
        x_label: key("Step"),
        y_label: (metric.y_label)(runs),
        y_format: metric.y_format,
    };
    frame(root, labels, &axes, |chart| {
        for (i, run) in runs.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let raw: Vec<(f64, f64)> = run
                .steps
                .iter()
                .map(|s| (s.step as f64, (metric.train)(s)))
                .filter(|(_, v)| v.is_finite())
                .map(|(x, v)| (x, v.clamp(y.0, y.1)))
                .collect();
            chart.draw_series(LineSeries::new(raw.iter().copied(), color.mix(0.25)))?;
            chart.draw_series(LineSeries::new(smooth(&raw), color.stroke_width(2)))?;
            let validation: Vec<(f64, f64)> = run
                .epochs
                .iter()
                .map(|e| (epoch_end_step(&run.steps, e.epoch), (metric.validation)(e)))
                .filter(|(_, v)| v.is_finite())
                .collect();
            chart.draw_series(LineSeries::new(
                validation.iter().copied(),
                color.stroke_width(1),
            ))?;
            chart.draw_series(
                validation
                    .iter()
                    .map(|&p| Circle::new(p, 5, color.filled())),
            )?;
            for mark in &run.marks {
                let x = mark.step() as f64;
                chart.draw_series(DashedLineSeries::new(
                    [(x, y.0), (x, y.1)],
                    5,
                    4,
                    color.mix(0.7).stroke_width(1),
                ))?;
                chart.draw_series(std::iter::once(Text::new(
                    localise(&mark.label()),
                    (x, y.1),
                    ("sans-serif", 11).into_font().color(&color),
                )))?;
            }
        }
        Ok(())
    })
}

/// The loss chart's figures.
const LOSS: Metric = Metric {
    train: |s| s.loss,
    validation: |e| e.validation_loss,
    range: None,
    // Each loss has its own scale: the axis names the one drawn, or says the curves differ.
    y_label: |runs| match runs.first().map(|r| r.loss) {
        Some(first) if runs.iter().any(|r| r.loss != first) => {
            key("Loss (each run's own: not comparable)")
        }
        Some(kind) => kind.axis_label(),
        None => LossKind::default().axis_label(),
    },
    y_format: axis_number,
};

/// The accuracy chart's figures.
const ACCURACY: Metric = Metric {
    train: |s| s.accuracy,
    validation: |e| e.validation_accuracy,
    range: Some((0.0, 1.0)),
    y_label: |_| key("Accuracy"),
    y_format: |y| format!("{:.0}%", y * 100.0),
};

/// Loss and accuracy of the run in progress (or the selected run), with overlaid runs.
#[component]
pub fn LiveCharts() -> impl IntoView {
    let store = expect_context::<Store>();
    let loss_canvas = NodeRef::<Canvas>::new();
    let accuracy_canvas = NodeRef::<Canvas>::new();
    let curves = Memo::new(move |_| {
        // (id, steps, epochs, still training): a run that ends keeps its id and figures but
        // gains the marks of how it ended (an early stop, the epoch it kept).
        let mut runs: Vec<(u32, usize, usize, bool)> = Vec::new();
        store.activity.with(|a| {
            if let Some(l) = a.live() {
                runs.push((l.id, l.steps.len(), l.epochs.len(), true));
            }
        });
        let overlay = store.overlay.get();
        let selected = store.selected.get();
        store.runs.with(|all| {
            for r in all.iter() {
                let shown = overlay.contains(&r.id) || (runs.is_empty() && selected == Some(r.id));
                if shown && !runs.iter().any(|c| c.0 == r.id) {
                    runs.push((r.id, r.record.steps.len(), r.record.epochs.len(), false));
                }
            }
        });
        runs
    });
    let collect = move || -> Vec<(u32, Curves)> {
        curves
            .get_untracked()
            .into_iter()
            .filter_map(|(id, ..)| {
                store
                    .activity
                    .with_untracked(|a| {
                        a.live().filter(|l| l.id == id).map(|l| Curves {
                            steps: l.steps.clone(),
                            epochs: l.epochs.clone(),
                            marks: curve_marks(&l.config, &l.steps, &RunStatus::Running),
                            loss: l.config.loss,
                        })
                    })
                    .or_else(|| {
                        store.runs.with_untracked(|runs| {
                            runs.iter().find(|r| r.id == id).map(|r| Curves {
                                steps: r.record.steps.clone(),
                                epochs: r.record.epochs.clone(),
                                marks: curve_marks(
                                    &r.record.config,
                                    &r.record.steps,
                                    &r.record.status,
                                ),
                                loss: r.record.config.loss,
                            })
                        })
                    })
                    .map(|c| (id, c))
            })
            .collect()
    };
    let curves_svg = move |metric: &'static Metric| -> SvgDrawing {
        Rc::new(move |w, h| {
            let runs: Vec<Curves> = collect().into_iter().map(|(_, c)| c).collect();
            to_svg(w, h, |root, labels| {
                draw_curves(root, labels, &runs, metric)
            })
        })
    };
    let (loss_painter, accuracy_painter) = (Painter::new(), Painter::new());
    let marks_text = RwSignal::new(String::new());
    Effect::new(move |_| {
        curves.track();
        let collected = collect();
        // The marks in words, for screen readers and anyone who prefers text; from the same
        // copy the charts draw, so a streaming run's steps are cloned once per update.
        let described: Vec<String> = collected
            .iter()
            .filter(|(_, c)| !c.marks.is_empty())
            .map(|(id, c)| {
                let marks: Vec<String> = c
                    .marks
                    .iter()
                    .map(|m| {
                        tr!(
                            lang(),
                            "{mark} at step {step}",
                            mark = localise(&m.label()),
                            step = m.step()
                        )
                    })
                    .collect();
                tr!(
                    lang(),
                    "Run {id}: {marks}",
                    id = id,
                    marks = marks.join(", ")
                )
            })
            .collect();
        marks_text.set(described.join(". "));
        let runs: Rc<Vec<Curves>> = Rc::new(collected.into_iter().map(|(_, c)| c).collect());
        if let Some(canvas) = loss_canvas.get() {
            let runs = runs.clone();
            loss_painter.request(move || {
                let _ = on_canvas(&canvas, |root, labels| {
                    draw_curves(root, labels, &runs, &LOSS)
                });
            });
        }
        if let Some(canvas) = accuracy_canvas.get() {
            accuracy_painter.request(move || {
                let _ = on_canvas(&canvas, |root, labels| {
                    draw_curves(root, labels, &runs, &ACCURACY)
                });
            });
        }
    });
    let legend = move || {
        curves
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, (id, ..))| {
                let style = format!("color: {}", css(PALETTE[i % PALETTE.len()]));
                view! { <li><span class="swatch" style=style>"■"</span>{tr!(lang(), " run {id}", id = id)}</li> }
            })
            .collect_view()
    };
    let summary = move || {
        store.activity.with(|a| match a.live() {
            Some(l) => match l.epochs.last() {
                Some(e) => tr!(
                    lang(),
                    "Run {id} — epoch {epoch}: validation accuracy {accuracy}, validation loss {loss}, {speed} images/s",
                    id = l.id,
                    epoch = e.epoch,
                    accuracy = format::percent(lang(), e.validation_accuracy),
                    loss = format!("{:.3}", e.validation_loss),
                    speed = format!("{:.0}", e.images_per_second)
                ),
                None => match l.steps.last() {
                    Some(s) => tr!(
                        lang(),
                        "Run {id} — step {step}: training loss {loss}",
                        id = l.id,
                        step = s.step,
                        loss = format!("{:.3}", s.loss)
                    ),
                    None => tr!(lang(), "Run {id} — starting", id = l.id),
                },
            },
            None if store.overlay.with(Vec::is_empty) && store.selected.with(Option::is_none) => {
                t("Press Train to see the curves here.").into()
            }
            None => t("Curves of the runs chosen in the table; tick more runs there to compare them.")
                .into(),
        })
    };
    view! {
        <section class="panel charts" aria-label=t("Training curves")>
            <h2>{t("Training curves")}</h2>
            <div class="chart-pair">
                <figure>
                    <figcaption>{t("Loss")}</figcaption>
                    <canvas node_ref=loss_canvas width="560" height="260" role="img" aria-label=t("Loss against step")></canvas>
                    <SaveChart canvas=loss_canvas name=key("loss") svg=curves_svg(&LOSS) />
                </figure>
                <figure>
                    <figcaption>{t("Accuracy")}</figcaption>
                    <canvas node_ref=accuracy_canvas width="560" height="260" role="img" aria-label=t("Accuracy against step")></canvas>
                    <SaveChart canvas=accuracy_canvas name=key("accuracy") svg=curves_svg(&ACCURACY) />
                </figure>
            </div>
            <ul class="legend" aria-label=t("Legend")>
                {legend}
                <li class="hint">{t("faint line: each step · bold line: smoothed · dots: validation after each epoch · dashed: learning-rate changes and early stop")}</li>
            </ul>
            <p class="chart-text" aria-live="polite">{summary}</p>
            <p class="hint curve-marks">{marks_text}</p>
        </section>
    }
}
