//! One run in detail: how it ended, its figures, the confusion matrix, per-class accuracy and
//! the test images it got wrong.

use leptos::prelude::*;
use tradeoff_core::config::InputShape;
use tradeoff_core::metrics;
use tradeoff_core::setting::Setting;

use crate::components::charts::{PALETTE, tinted_cell};
use crate::components::compress_panel::{CompressControls, compression_facts};
use crate::components::thumbnail::Thumbnail;
use crate::format;
use crate::i18n::{lang, localise, t, word};
use crate::store::Store;
use tradeoff_core::tr;

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
                        let names: Vec<String> = r.summary.as_ref().map(|s| s.class_names.iter().map(|n| word(n)).collect()).unwrap_or_default();
                        let names_for_grid = names.clone();
                        let facts = r.summary.is_some().then(|| r.facts(lang()));
                        let compressed = r.compression.clone().zip(r.summary.clone()).map(|(info, s)| {
                            let parent = store.runs.with_untracked(|runs| {
                                runs.iter().find(|p| Some(p.key) == info.parent_key).map(|p| p.id)
                            });
                            compression_facts(&info, &s, parent)
                        });
                        let compress_hidden = store.classroom.with_untracked(|room| room.is_hidden(Setting::Compress));
                        // An ensemble is several models: none to compress, download or share as one link.
                        let ensemble = r.ensemble.is_some();
                        let can_compress = r.summary.is_some() && r.compression.is_none() && !r.shared && !ensemble && !compress_hidden;
                        let shared = r.shared;
                        let config = r.config.clone();
                        let rerun = move |_| {
                            store.config.set(config.clone());
                            store.train();
                        };
                        let copied = RwSignal::new(false);
                        let id = run.id;
                        // Trained here and kept by the worker (not a shared or compressed copy).
                        let has_model = r.summary.is_some() && !r.shared && r.compression.is_none() && !ensemble;
                        let copy_result = move |_| {
                            if let Some(link) = store.result_link(id) {
                                let _ = window().navigator().clipboard().write_text(&link);
                                copied.set(true);
                            }
                        };
                        view! {
                            <section class="panel details" aria-label=t("Run details")>
                                <h2>{tr!(lang(), "Run {id} in detail", id = run.id)}</h2>
                                <p class=format!("status {}", if r.summary.is_some() { "ok" } else { "ended" })>
                                    {tr!(lang(), "This run {how}.", how = localise(&r.status.describe()))}
                                </p>
                                {shared.then(|| view! {
                                    <div class="shared-banner" role="note">
                                        <strong>{t("Shared result — re-run to verify.")}</strong>
                                        {t(" These figures came with a link and were measured on the sender's device; the test images and confusion matrix are not in links.")}
                                        <button class="primary" disabled=move || store.busy() on:click=rerun.clone()>{t("Re-run it here")}</button>
                                        <span class="hint">{t("Same settings and seed: on the CPU the curve repeats exactly; on WebGPU it can differ a little, since graphics cards and their drivers round differently.")}</span>
                                    </div>
                                })}
                                <p class="hint">{tr!(lang(), "Backend: {backend} · link: #{link}", backend = localise(&r.backend), link = tradeoff_core::url::to_hash(&r.config))}</p>
                                <div class="buttons">
                                    <Show when=move || !ensemble>
                                        <button on:click=copy_result>{t("Copy link with result")}</button>
                                    </Show>
                                    <Show when=move || has_model && store.has_model(id)>
                                        <button
                                            disabled=move || store.saving_model.get().is_some()
                                            title=t("The weights as a .safetensors file (Burn's burn-store, Python's safetensors with NumPy or PyTorch), with this run's settings and link inside")
                                            on:click=move |_| store.save_model(id)
                                        >
                                            {t("Download model")}
                                        </button>
                                    </Show>
                                    <Show when=move || copied.get()>
                                        <span class="hint" role="status">
                                            {t("Link copied: it opens with these charts and figures, marked as a shared result.")}
                                        </span>
                                    </Show>
                                </div>
                                {facts.map(|facts| view! { <ul class="facts">{facts.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul> })}
                                {compressed.map(|facts| view! {
                                    <h3>{t("Compression")}</h3>
                                    <ul class="facts compression">{facts.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul>
                                })}
                                {can_compress.then(|| view! { <CompressControls run_id=run.id /> })}
                                {r.summary.filter(|s| s.confusion.classes > 0).map(|s| {
                                    let classes = s.confusion.classes;
                                    let per_class = s.confusion.per_class_accuracy();
                                    let max = s.confusion.counts.iter().copied().max().unwrap_or(1).max(1) as f64;
                                    let name = move |c: usize| names.get(c).cloned().unwrap_or_else(|| c.to_string());
                                    let name2 = name.clone();
                                    view! {
                                        <h3>{t("Confusion matrix (test images)")}</h3>
                                        <div class="table-wrap">
                                            <table class="confusion" aria-label=t("Confusion matrix: rows are true classes, columns predicted classes")>
                                                <thead>
                                                    <tr>
                                                        <th scope="col">{t("true ↓ / predicted →")}</th>
                                                        {(0..classes).map(|c| view! { <th scope="col">{name(c)}</th> }).collect_view()}
                                                        <th scope="col">{t("Class accuracy")}</th>
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
                                                                            let hue = if t == p { PALETTE[0] } else { PALETTE[1] };
                                                                            let style = (n > 0).then(|| tinted_cell(hue, 0.08 + 0.8 * strength));
                                                                            view! { <td style=style>{n}</td> }
                                                                        })
                                                                        .collect_view()}
                                                                    <td>{per_class[t].map(|p| format::percent(lang(), p)).unwrap_or("—".into())}</td>
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
        tr!(
            lang(),
            "Misclassified test images (the first {shown} of {wrong})",
            shown = examples.len(),
            wrong = wrong
        )
    } else {
        tr!(lang(), "Misclassified test images ({wrong})", wrong = wrong)
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
                        label=tr!(lang(), "test image {n}: {truth}, taken for {said}", n = m.example.index + 1, truth = truth.clone(), said = said.clone())
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
        <p class="hint">{t("Each image: true class → what the model said.")}</p>
        <div class="misclassified" aria-label=t("Misclassified test images")>{cells}</div>
    }
}
