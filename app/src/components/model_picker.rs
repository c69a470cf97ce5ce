//! Choosing a trained model for a role in the next runs (the weights they start from, the
//! teacher they are distilled from): a pretrained model, a finished run, or a model file.

use leptos::prelude::*;
use tradeoff_core::config::StartFrom;
use tradeoff_core::transfer::PRETRAINED;

use crate::format;
use crate::i18n::{lang, t};
use crate::store::{Role, Store};

/// A choice of trained model for `role`, and a button to pick a model file.
#[component]
pub fn ModelPicker(
    /// What the model is for.
    role: Role,
    /// The select's label, also its accessible name.
    label: &'static str,
    /// The choice that uses no model.
    none_label: &'static str,
    /// The file input's accessible name.
    file_label: &'static str,
    /// Whether a link locks the choice.
    locked: Memo<bool>,
    /// The line under the choice: what it does, or why it cannot yet.
    status: Signal<String>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let current = move || store.config.with(|c| role.of(c).link_form());
    // The runs whose models a worker holds, newest first: each can be chosen.
    let runs = move || {
        store.runs.with(|runs| {
            runs.iter()
                .rev()
                .filter(|r| r.record.summary.is_some() && store.has_model(r.id))
                .map(|r| {
                    let accuracy = r.record.summary.as_ref().map_or(0.0, |s| s.test_accuracy);
                    (
                        r.id,
                        format!(
                            "{} {} · {} · {}",
                            t("Run"),
                            r.id,
                            tradeoff_core::notation::layers_to_string(&r.record.config.layers),
                            format::percent(lang(), accuracy)
                        ),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let on_change = move |ev| {
        let value = event_target_value(&ev);
        if let Ok(from) = StartFrom::parse(&value) {
            store.choose_model(role, from);
        }
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            store.model_from_file(role, file);
        }
        input.set_value("");
    };
    view! {
        <label class="field">
            <span class="label">{t(label)}</span>
            <select
                aria-label=t(label)
                disabled=move || locked.get()
                prop:value=current
                on:change=on_change
            >
                <option value="scratch">{t(none_label)}</option>
                <optgroup label=t("Pretrained models (fetched when chosen)")>
                    {PRETRAINED
                        .iter()
                        .map(|p| view! { <option value=format!("pre:{}", p.id)>{t(p.title)}</option> })
                        .collect_view()}
                </optgroup>
                <optgroup label=t("Finished runs")>
                    {move || runs()
                        .into_iter()
                        .map(|(id, label)| view! { <option value=format!("run:{id}")>{label}</option> })
                        .collect_view()}
                    // A link's run that this page does not hold is still shown as chosen.
                    {move || store.config.with(|c| match role.of(c) {
                        StartFrom::Run(id) if !store.has_model(*id) => Some(view! {
                            <option value=format!("run:{id}")>{format!("{} {id}", t("Run"))}</option>
                        }),
                        _ => None,
                    })}
                </optgroup>
                {move || store.config.with(|c| match role.of(c) {
                    StartFrom::File(name) => Some(view! {
                        <option value=format!("file:{name}")>{format!("{} {name}", t("File"))}</option>
                    }),
                    _ => None,
                })}
            </select>
            <span class="hint" role="status">{status}</span>
        </label>
        <div class="buttons">
            <label class="file-button">
                {t("A model file (.safetensors)…")}
                <input
                    type="file"
                    accept=".safetensors"
                    aria-label=t(file_label)
                    disabled=move || locked.get()
                    on:change=on_file
                />
            </label>
        </div>
    }
}
