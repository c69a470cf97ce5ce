//! Transfer learning: which trained weights a run starts from (a pretrained start, a finished
//! run, a model file), what of the stack they cover, and how they are trained.

use leptos::prelude::*;
use tradeoff_core::i18n::key;
use tradeoff_core::setting::Setting;

use crate::components::fields::SettingField;
use crate::components::model_picker::ModelPicker;
use crate::i18n::{localise, t};
use crate::store::{Role, Store};

/// The start of a run and its two training settings.
#[component]
pub fn StartPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let (hidden, locked) = store.hidden_locked(Setting::Start);
    let status = move || {
        if store.config.with(|c| !c.transfer.is_on()) {
            return t("Every weight starts as the initialisation setting says.").to_string();
        }
        if let Some(why) = store.model_blocker(Role::Start) {
            return localise(&why);
        }
        store
            .start_plan()
            .map(|plan| localise(&plan.describe()))
            .unwrap_or_default()
    };
    // A start whose first layers differ from the stack: one click takes its stack and input.
    let adopt = move || {
        let model = store.model_for(Role::Start)?;
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
            <ModelPicker
                role=Role::Start
                label=key("Starting weights")
                none_label=key("Scratch (fresh weights)")
                file_label=key("Model file to start from")
                locked=locked
                status=Signal::derive(status)
            />
            <div class="buttons">
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
