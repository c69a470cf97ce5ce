//! Choosing the dataset.

use leptos::prelude::*;
use tradeoff_core::data::{BUILTIN_DATASETS, builtin_dataset};

use crate::store::Store;

/// The dataset picker and what the chosen dataset holds.
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
        }
    };
    let about = move || {
        store.config.with(|c| match builtin_dataset(&c.dataset) {
            Some(d) => format!(
                "{}: {} classes, {}×{} {} images. 10,000 for training and validation, 2,000 for the final test.",
                d.name,
                d.classes,
                d.input.size,
                d.input.size,
                if d.input.channels == 1 { "grey" } else { "colour" }
            ),
            None => "Your own images".to_string(),
        })
    };
    view! {
        <fieldset class="panel">
            <legend>"Data"</legend>
            <label>
                "Dataset"
                <select
                    aria-label="Dataset"
                    on:change=on_change
                    prop:value=move || store.config.with(|c| c.dataset.clone())
                >
                    {BUILTIN_DATASETS
                        .iter()
                        .map(|d| view! { <option value=d.id>{d.name}</option> })
                        .collect_view()}
                </select>
            </label>
            <p class="hint">{about}</p>
        </fieldset>
    }
}
