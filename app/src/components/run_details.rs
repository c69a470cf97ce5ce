//! One run in detail: how it ended, its figures, the confusion matrix, per-class accuracy and
//! the test images it got wrong.

use leptos::prelude::*;
use tradeoff_core::config::InputShape;
use tradeoff_core::metrics;

use crate::components::compress_panel::{CompressControls, compression_facts};
use crate::components::thumbnail::Thumbnail;
use crate::format;
use crate::store::Store;

/// Details of the selected run.
#[component]
pub fn RunDetails() -> impl IntoView {
    let store = expect_context::<Store>();
    let run = move || {
        let id = store.selected.get()?;
        store
            .runs
            .with(|runs| runs.iter().find(|r| r.id == id).cloned())
    };
    view! {
        <Show when=move || run().is_some()>
            {move || {
                run()
                    .map(|run| {
                        let r = run.record;
                        let names: Vec<String> = r.summary.as_ref().map(|s| s.class_names.clone()).unwrap_or_default();
                        let names_for_grid = names.clone();
                        let facts = r.summary.as_ref().map(|s| {
                            vec![
                                format!("Test accuracy {}", format::percent(s.test_accuracy)),
                                format!("Validation accuracy {}", r.final_validation_accuracy().map(format::percent).unwrap_or("—".into())),
                                format!("Training time {}", format::seconds(s.train_seconds)),
                                format!("{:.0} images/s", s.images_per_second),
                                format!("Latency {} per image at batch 1, {} at batch 64", format::millis(s.latency_ms_batch1), format::millis(s.latency_ms_batch64)),
                                format!("{} parameters, {} FLOPs per image, {}", format::count(s.params), format::compact(s.flops as f64), format::bytes(s.model_bytes)),
                            ]
                        });
                        let compressed = r.compression.clone().zip(r.summary.clone()).map(|(info, s)| {
                            let parent = store.runs.with_untracked(|runs| {
                                runs.iter().find(|p| Some(p.key) == info.parent_key).map(|p| p.id)
                            });
                            compression_facts(&info, &s, parent)
                        });
                        let can_compress = r.summary.is_some() && r.compression.is_none();
                        view! {
                            <section class="panel details" aria-label="Run details">
                                <h2>{format!("Run {} in detail", run.id)}</h2>
                                <p class=format!("status {}", if r.summary.is_some() { "ok" } else { "ended" })>
                                    {format!("This run {}.", r.status.describe())}
                                </p>
                                <p class="hint">{format!("Backend: {} · link: #{}", r.backend, tradeoff_core::url::to_hash(&r.config))}</p>
                                {facts.map(|facts| view! { <ul class="facts">{facts.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul> })}
                                {compressed.map(|facts| view! {
                                    <h3>"Compression"</h3>
                                    <ul class="facts compression">{facts.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul>
                                })}
                                {can_compress.then(|| view! { <CompressControls run_id=run.id /> })}
                                {r.summary.map(|s| {
                                    let classes = s.confusion.classes;
                                    let per_class = s.confusion.per_class_accuracy();
                                    let max = s.confusion.counts.iter().copied().max().unwrap_or(1).max(1) as f64;
                                    let name = move |c: usize| names.get(c).cloned().unwrap_or_else(|| c.to_string());
                                    let name2 = name.clone();
                                    view! {
                                        <h3>"Confusion matrix (test images)"</h3>
                                        <div class="table-wrap">
                                            <table class="confusion" aria-label="Confusion matrix: rows are true classes, columns predicted classes">
                                                <thead>
                                                    <tr>
                                                        <th scope="col">"true ↓ / predicted →"</th>
                                                        {(0..classes).map(|c| view! { <th scope="col">{name(c)}</th> }).collect_view()}
                                                        <th scope="col">"Class accuracy"</th>
                                                    </tr>
                                                </thead>
                                                <tbody>
                                                    {(0..classes)
                                                        .map(|t| {
                                                            view! {
                                                                <tr>
                                                                    <th scope="row">{name2(t)}</th>
                                                                    {(0..classes)
                                                                        .map(|p| {
                                                                            let n = s.confusion.get(t, p);
                                                                            let strength = (n as f64 / max).sqrt();
                                                                            let hue = if t == p { "37, 99, 235" } else { "234, 88, 12" };
                                                                            let style = format!("background: rgba({hue}, {:.2})", if n == 0 { 0.0 } else { 0.08 + 0.8 * strength });
                                                                            view! { <td style=style>{n}</td> }
                                                                        })
                                                                        .collect_view()}
                                                                    <td>{per_class[t].map(format::percent).unwrap_or("—".into())}</td>
                                                                </tr>
                                                            }
                                                        })
                                                        .collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                        <Misclassified
                                            examples=s.misclassified
                                            names=names_for_grid
                                            input=r.config.input
                                            wrong=s.confusion.total() - s.confusion.correct()
                                        />
                                    }
                                })}
                            </section>
                        }
                    })
            }}
        </Show>
    }
}

/// Test images the model got wrong, each with its true and predicted class.
#[component]
fn Misclassified(
    examples: Vec<metrics::Misclassified>,
    names: Vec<String>,
    input: InputShape,
    wrong: u32,
) -> impl IntoView {
    let name = move |c: u16| {
        names
            .get(c as usize)
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    let heading = if wrong as usize > examples.len() {
        format!(
            "Misclassified test images (the first {} of {wrong})",
            examples.len()
        )
    } else {
        format!("Misclassified test images ({wrong})")
    };
    let cells = examples
        .into_iter()
        .map(|m| {
            let (truth, said) = (name(m.example.label), name(m.predicted));
            let caption = (truth.clone(), said.clone());
            view! {
                <figure>
                    <Thumbnail
                        example=m.example.clone()
                        channels=input.channels
                        size=input.size
                        label=format!("test image {}: {truth}, taken for {said}", m.example.index + 1)
                    />
                    <figcaption>
                        <span class="truth">{caption.0}</span>
                        " → "
                        <span class="said">{caption.1}</span>
                    </figcaption>
                </figure>
            }
        })
        .collect_view();
    view! {
        <h3>{heading}</h3>
        <p class="hint">"Each image: true class → what the model said."</p>
        <div class="misclassified" aria-label="Misclassified test images">{cells}</div>
    }
}
