//! Robustness: the noise and the attack every finished run is measured under, and
//! adversarial training.

use leptos::prelude::*;
use tradeoff_core::setting::{Place, SETTINGS};

use crate::components::fields::SettingField;
use crate::i18n::t;
use crate::store::Store;

/// The settings the table places in the robustness panel, in its order (the panel is gone
/// when a link hides them all).
#[component]
pub fn RobustnessPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let shown = move || {
        store.classroom.with(|room| {
            SETTINGS
                .iter()
                .any(|spec| spec.place == Place::Robustness && !room.is_hidden(spec.setting))
        })
    };
    view! {
        <Show when=shown>
        <fieldset class="panel robustness-panel">
            <legend>{t("Robustness")}</legend>
            <p class="hint">
                {t("Every finished run is also tested on noisy images and on images attacked with the fast gradient sign method (FGSM), which nudges each pixel the way that fools the model most.")}
            </p>
            <div class="grid">
                {SETTINGS
                    .iter()
                    .filter(|spec| spec.place == Place::Robustness)
                    .map(|spec| view! { <SettingField setting=spec.setting /> })
                    .collect_view()}
            </div>
        </fieldset>
        </Show>
    }
}
