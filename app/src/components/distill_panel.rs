//! Knowledge distillation: the teacher a run learns from besides the labels, and how.

use leptos::prelude::*;
use tradeoff_core::i18n::key;
use tradeoff_core::setting::Setting;
use tradeoff_core::tr;

use crate::components::fields::SettingField;
use crate::components::model_picker::ModelPicker;
use crate::format;
use crate::i18n::{lang, localise, t};
use crate::store::{Role, Store};

/// The teacher of a run, its temperature and its weight.
#[component]
pub fn DistillPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let (hidden, locked) = store.hidden_locked(Setting::Teacher);
    let on = move || store.config.with(|c| c.distill.is_on());
    let status = move || {
        if !on() {
            return t("The run learns from the labels only.").to_string();
        }
        if let Some(why) = store.model_blocker(Role::Teacher) {
            return localise(&why);
        }
        let Some(teacher) = store.model_for(Role::Teacher) else {
            return String::new();
        };
        let student = store.check().map(|cost| cost.params).unwrap_or(0);
        let theirs = tradeoff_core::notation::layers_to_string(&teacher.config.layers);
        tr!(
            lang(),
            "The student ({student} parameters) learns from the teacher {layers}'s softened outputs as well as from the labels.",
            student = format::count(student),
            layers = theirs
        )
    };
    view! {
        <Show when=move || !hidden.get()>
        <fieldset class="panel distill-panel">
            <legend>{t("Distillation")}</legend>
            <ModelPicker
                role=Role::Teacher
                label=key("Teacher")
                none_label=key("None (learn from the labels only)")
                file_label=key("Model file of the teacher")
                locked=locked
                status=Signal::derive(status)
            />
            <Show when=on>
                <div class="grid">
                    <SettingField setting=Setting::Temperature />
                    <SettingField setting=Setting::DistillWeight />
                </div>
            </Show>
        </fieldset>
        </Show>
    }
}
