//! Choosing the dataset, and what it holds: classes, counts and a few images of each.

use leptos::prelude::*;
use tradeoff_core::config::InputShape;
use tradeoff_core::data::{BUILTIN_DATASETS, Preview, builtin_dataset};
use tradeoff_core::own_images::OWN_IMAGES_DATASET;
use tradeoff_core::setting::Setting;

use crate::components::own_images::OwnImages;
use crate::components::thumbnail::Thumbnail;
use crate::format;
use crate::i18n::{lang, localise, t, word};
use crate::store::Store;
use tradeoff_core::tr;

/// The dataset picker, its download progress and its preview.
#[component]
pub fn DataPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let on_change = move |ev| {
        let id = event_target_value(&ev);
        if let Some(d) = builtin_dataset(&id) {
            store.config.update(|c| {
                c.dataset = d.id.to_string();
                c.input = d.input;
            });
        } else if id == OWN_IMAGES_DATASET {
            // Photos are colour; 32 px keeps the first runs quick.
            store.config.update(|c| {
                c.dataset = OWN_IMAGES_DATASET.to_string();
                c.input = InputShape {
                    size: 32,
                    channels: 3,
                };
            });
        }
    };
    // A memo, so editing any other setting does not rebuild the preview's 40 thumbnails.
    let current = Memo::new(move |_| store.config.with(|c| c.dataset.clone()));
    let download = move || {
        let id = current.get();
        store.download.get().filter(|d| d.dataset == id).map(|d| {
            let name = t(builtin_dataset(&id)
                .map(|b| b.name)
                .unwrap_or("the dataset"));
            let text = match d.total {
                Some(total) => tr!(
                    lang(),
                    "Downloading {name}: {received} of {total}",
                    name = name,
                    received = format::bytes(d.received),
                    total = format::bytes(total)
                ),
                None => tr!(
                    lang(),
                    "Downloading {name}: {received}",
                    name = name,
                    received = format::bytes(d.received)
                ),
            };
            let value = d
                .total
                .map(|t| (d.received as f64 / t.max(1) as f64).to_string());
            view! {
                <div class="download">
                    <progress aria-label=t("Dataset download") max="1" value=value></progress>
                    <p role="status">{text}</p>
                </div>
            }
        })
    };
    let preview = move || {
        // Own images first, without reading the built-in previews: one arriving late would
        // otherwise rebuild this panel and lose what is being typed (or the camera).
        if current.get() == OWN_IMAGES_DATASET {
            return view! { <OwnImages /> }.into_any();
        }
        match store.preview(&current.get()) {
            Some(Ok(p)) => view! { <DatasetPreview preview=*p /> }.into_any(),
            Some(Err(reason)) => {
                view! { <p class="hint blocked">{tr!(lang(), "Not loaded: {reason}", reason = localise(&reason))}</p> }.into_any()
            }
            None => view! { <p class="hint">{t("Loading the dataset…")}</p> }.into_any(),
        }
    };
    let (hidden, locked) = store.hidden_locked(Setting::Dataset);
    view! {
        <fieldset class="panel" disabled=move || locked.get()>
            <legend>{t("Data")}</legend>
            <label hidden=move || hidden.get()>
                {t("Dataset")}
                <select
                    aria-label=t("Dataset")
                    on:change=on_change
                    prop:value=move || current.get()
                >
                    {BUILTIN_DATASETS
                        .iter()
                        .map(|d| view! { <option value=d.id>{t(d.name)}</option> })
                        .collect_view()}
                    <option value=OWN_IMAGES_DATASET>{t("Your own images")}</option>
                </select>
            </label>
            {download}
            {preview}
        </fieldset>
    }
}

/// Class rows of a preview rendered per main-thread task.
const ROWS_PER_TASK: usize = 3;

/// Counts and sample images per class.
#[component]
fn DatasetPreview(preview: Preview) -> impl IntoView {
    let train: usize = preview.train_counts.iter().sum();
    let test: usize = preview.test_counts.iter().sum();
    let about = tr!(
        lang(),
        "{classes} classes of {size}×{size} {colour} images: {train} for training and validation, {test} for the final test.",
        classes = preview.classes.len(),
        size = preview.size,
        colour = if preview.channels == 1 {
            t("grey")
        } else {
            t("colour")
        },
        train = format::count(train as u64),
        test = format::count(test as u64),
    );
    let (channels, size) = (preview.channels, preview.size);
    let classes = preview.classes.len();
    // A few classes per task: forty thumbnails built in one go cost the main thread ~50 ms,
    // which a run starting at the same moment would feel.
    let shown = RwSignal::new(ROWS_PER_TASK.min(classes));
    fn reveal(shown: RwSignal<usize>, classes: usize) {
        // Stops by itself once every row is shown, or when another dataset replaced this one.
        if shown.try_get_untracked().is_some_and(|n| n < classes) {
            set_timeout(
                move || {
                    let more = shown.try_update(|n| *n = (*n + ROWS_PER_TASK).min(classes));
                    if more.is_some() {
                        reveal(shown, classes);
                    }
                },
                std::time::Duration::ZERO,
            );
        }
    }
    reveal(shown, classes);
    let preview = StoredValue::new(preview);
    let row = move |class: usize| {
        preview.with_value(|preview| {
            let name = &word(&preview.classes[class]);
            let counts = format!(
                "{} + {}",
                preview.train_counts[class], preview.test_counts[class]
            );
            let described = tr!(
                lang(),
                "{name}: {train} training and {test} test images",
                name = name,
                train = preview.train_counts[class],
                test = preview.test_counts[class]
            );
            let thumbs = preview
                .samples
                .iter()
                .filter(|s| s.label as usize == class)
                .map(|s| {
                    view! {
                        <Thumbnail
                            example=s.clone()
                            channels=channels
                            size=size
                            label=tr!(lang(), "a training image of {name}", name = name)
                        />
                    }
                })
                .collect_view();
            view! {
                <li aria-label=described>
                    <span class="class-name">{name.clone()}</span>
                    <span class="class-count">{counts}</span>
                    <span class="thumbs">{thumbs}</span>
                </li>
            }
        })
    };
    let rows = view! {
        <For each=move || 0..shown.get() key=|class| *class let:class>
            {row(class)}
        </For>
    };
    view! {
        <p class="hint">{about}</p>
        <ul class="classes" aria-label=t("Classes")>{rows}</ul>
        <p class="hint">{t("Per class: training + test images.")}</p>
    }
}
