//! Hyperparameters and the share link (Train, Pause and Stop are in the action bar).

use leptos::prelude::*;
use tradeoff_core::config::{BackendPreference, OptimizerKind, Schedule};
use tradeoff_core::local::LOCAL_DATASET;
use tradeoff_core::setting::Setting;

use crate::components::fields::{CheckField, NumberField, SelectField};
use crate::i18n::t;
use crate::store::Store;

/// The training settings and controls.
#[component]
pub fn TrainingForm() -> impl IntoView {
    let store = expect_context::<Store>();
    let copied = RwSignal::new(false);
    let copy_link = move |_| {
        let link = store.link();
        let _ = window().navigator().clipboard().write_text(&link);
        copied.set(true);
    };
    view! {
        <fieldset class="panel">
            <legend>{t("Training")}</legend>
            <div class="grid">
                <NumberField
                    label=t("Batch size") control=Setting::BatchSize
                    integer=true
                    get=|c| c.batch_size.to_string()
                    set=|c, x| c.batch_size = x as usize
                />
                <NumberField
                    label=t("Learning rate") control=Setting::LearningRate
                    get=|c| c.optimizer.learning_rate.to_string()
                    set=|c, x| c.optimizer.learning_rate = x
                />
                <SelectField
                    label=t("Optimizer") control=Setting::Optimizer
                    options=vec![("sgd", "SGD"), ("momentum", t("SGD + momentum")), ("adam", "Adam"), ("adamw", "AdamW")]
                    get=|c| c.optimizer.kind.name()
                    set=|c, v| {
                        if let Some(k) = OptimizerKind::from_name(v) {
                            c.optimizer.kind = k;
                        }
                    }
                />
                <NumberField label=t("Epochs") control=Setting::Epochs integer=true get=|c| c.epochs.to_string() set=|c, x| c.epochs = x as usize />
                <SelectField
                    label=t("Schedule") control=Setting::Schedule
                    options=vec![("const", t("Constant")), ("step", t("Halve every epoch")), ("cos", t("Cosine decay"))]
                    get=|c| match c.optimizer.schedule {
                        Schedule::Constant => "const",
                        Schedule::Step { .. } => "step",
                        Schedule::Cosine => "cos",
                    }
                    set=|c, v| {
                        c.optimizer.schedule = match v {
                            "step" => Schedule::Step { every_epochs: 1, factor: 0.5 },
                            "cos" => Schedule::Cosine,
                            _ => Schedule::Constant,
                        }
                    }
                />
                <NumberField
                    label=t("Warm-up steps") control=Setting::Warmup
                    integer=true
                    get=|c| c.optimizer.warmup_steps.to_string()
                    set=|c, x| c.optimizer.warmup_steps = x as usize
                />
                <NumberField
                    label=t("Weight decay (L2)") control=Setting::WeightDecay
                    get=|c| c.optimizer.weight_decay.to_string()
                    set=|c, x| c.optimizer.weight_decay = x
                />
                <NumberField
                    label=t("Validation share") control=Setting::Validation
                    get=|c| c.validation_fraction.to_string()
                    set=|c, x| c.validation_fraction = x
                    hint=t("0.05 to 0.5 of the training images")
                />
                <CheckField label=t("Flip images") control=Setting::Augmentation get=|c| c.augmentation.flip set=|c, on| c.augmentation.flip = on />
                <NumberField
                    label=t("Shift (pixels)") control=Setting::Augmentation
                    integer=true
                    get=|c| c.augmentation.shift.to_string()
                    set=|c, x| c.augmentation.shift = x as usize
                />
                <NumberField label=t("Noise") control=Setting::Augmentation get=|c| c.augmentation.noise.to_string() set=|c, x| c.augmentation.noise = x />
                <NumberField
                    label=t("Early stopping patience") control=Setting::Patience
                    integer=true
                    get=|c| c.patience.to_string()
                    set=|c, x| c.patience = x as usize
                    hint=t("epochs; 0 is off")
                />
                <NumberField label=t("Seed") control=Setting::Seed integer=true get=|c| c.seed.to_string() set=|c, x| c.seed = x as u64 />
                <SelectField
                    label=t("Backend") control=Setting::Backend
                    options=vec![("auto", t("Auto")), ("webgpu", "WebGPU"), ("cpu", "CPU")]
                    get=|c| c.backend.name()
                    set=|c, v| {
                        if let Some(b) = BackendPreference::from_name(v) {
                            c.backend = b;
                        }
                    }
                />
            </div>
            <div class="buttons">
                <button on:click=copy_link>{t("Copy link")}</button>
                <Show when=move || copied.get()>
                    <span class="hint" role="status">
                        {move || if store.config.with(|c| c.dataset == LOCAL_DATASET) {
                            t("Link copied: it holds the settings, not your images, which stay in this browser.")
                        } else {
                            t("Link copied")
                        }}
                    </span>
                </Show>
            </div>
        </fieldset>
    }
}
