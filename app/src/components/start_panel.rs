//! Transfer learning: which trained weights a run starts from (a pretrained start, a finished
//! run, a model file), what of the stack they cover, and how they are trained.

use leptos::prelude::*;
use tradeoff_core::config::StartFrom;
use tradeoff_core::setting::Setting;
use tradeoff_core::transfer::PRETRAINED;

use crate::components::fields::SettingField;
use crate::format;
use crate::i18n::{lang, localise, t};
use crate::store::Store;

/// The start of a run and its two training settings.
#[component]
pub fn StartPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let (hidden, locked) = store.hidden_locked(Setting::Start);
    let current = move || store.config.with(|c| c.transfer.from.link_form());
    // The runs whose models a worker holds, newest first: each can be a start.
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
                            "{} · {} · {}",
                            t("Run").to_owned() + " " + &r.id.to_string(),
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
            store.choose_start(from);
        }
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            store.start_from_file(file);
        }
        input.set_value("");
    };
    let status = move || {
        if store.config.with(|c| !c.transfer.is_on()) {
            return t("Every weight starts as the initialisation setting says.").to_string();
        }
        if let Some(why) = store.start_blocker() {
            return localise(&why);
        }
        store
            .start_plan()
            .map(|plan| localise(&plan.describe()))
            .unwrap_or_default()
    };
    // A start whose first layers differ from the stack: one click takes its stack and input.
    let adopt = move || {
        let model = store.start_model()?;
        let plan = store.start_plan()?;
        let same = store
            .config
            .with(|c| c.layers == model.config.layers && c.input == model.config.input);
        (!same && plan.layers < model.config.layers.len()).then_some(model)
    };
    view! {
        <Show when=move || !hidden.get()>
        <fieldset class="panel start-panel">
            <legend>{t("Start from")}</legend>
            <label class="field">
                <span class="label">{t("Starting weights")}</span>
                <select
                    aria-label=t("Starting weights")
                    disabled=move || locked.get()
                    prop:value=current
                    on:change=on_change
                >
                    <option value="scratch">{t("Scratch (fresh weights)")}</option>
                    <optgroup label=t("Pretrained starts (fetched when chosen)")>
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
                        {move || store.config.with(|c| match &c.transfer.from {
                            StartFrom::Run(id) if !store.has_model(*id) => Some(view! {
                                <option value=format!("run:{id}")>{format!("{} {id}", t("Run"))}</option>
                            }),
                            _ => None,
                        })}
                    </optgroup>
                    {move || store.config.with(|c| match &c.transfer.from {
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
                        aria-label=t("Model file to start from")
                        disabled=move || locked.get()
                        on:change=on_file
                    />
                </label>
            {move || adopt().map(|model| {
                let layers = tradeoff_core::notation::layers_to_string(&model.config.layers);
                view! {
                    <button
                        disabled=move || locked.get()
                        on:click=move |_| store.config.update(|c| {
                            c.layers = model.config.layers.clone();
                            c.input = model.config.input;
                        })
                    >
                        {format!("{} {layers}", t("Use its layers:"))}
                    </button>
                }
            })}
            </div>
            <Show when=move || store.config.with(|c| c.transfer.is_on())>
                <div class="grid">
                    <SettingField setting=Setting::Freeze />
                    <SettingField setting=Setting::TransferRate />
                </div>
            </Show>
        </fieldset>
        </Show>
    }
}
