//! Hyperparameters and the share link (Train, Pause and Stop are in the action bar).

use crate::format;
use leptos::prelude::*;
use tradeoff_core::config::Schedule;
use tradeoff_core::cost::two_class_heads;
use tradeoff_core::own_images::OWN_IMAGES_DATASET;
use tradeoff_core::setting::{Place, SETTINGS, Setting, schedule_words};
use tradeoff_core::tr;

use crate::components::fields::{CheckField, NumberField, SelectField, SettingField};
use crate::i18n::{lang, t};
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
                // One control per setting the table places in this form, in the table's order.
                {SETTINGS
                    .iter()
                    .filter(|spec| spec.place == Place::Training)
                    .map(|spec| match spec.setting {
                        Setting::Schedule => view! { <ScheduleFields /> }.into_any(),
                        Setting::Augmentation => view! { <AugmentationFields /> }.into_any(),
                        Setting::Loss => view! { <SettingField setting=Setting::Loss note=loss_note(store) /> }.into_any(),
                        setting => view! { <SettingField setting=setting /> }.into_any(),
                    })
                    .collect_view()}
            </div>
            <div class="buttons">
                <button on:click=copy_link>{t("Copy link")}</button>
                <Show when=move || copied.get()>
                    <span class="hint" role="status">
                        {move || if store.config.with(|c| c.dataset == OWN_IMAGES_DATASET) {
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

/// Under the loss: on a two-class dataset, what one sigmoid output saves in the last layer
/// (the table's hint otherwise).
fn loss_note(store: Store) -> Signal<String> {
    Signal::derive(move || {
        store.config.with(|c| {
            match (store.classes_of(c), two_class_heads(c)) {
                (2, Some((one, two))) => tr!(
                    lang(),
                    "Last layer: {one} parameters with one sigmoid output (binary cross-entropy), {two} with two softmax outputs",
                    one = format::count(one),
                    two = format::count(two)
                ),
                _ => t("Binary cross-entropy: one sigmoid output, two classes only").to_string(),
            }
        })
    })
}

/// The schedule: constant, step or cosine; a step schedule's period and factor as fields, and
/// the choice named by what it does (`×0.1 every 2 epochs`), as a link may set it.
#[component]
fn ScheduleFields() -> impl IntoView {
    let store = expect_context::<Store>();
    let step_words = move || {
        let schedule = store.config.with(|c| match c.optimizer.schedule {
            step @ Schedule::Step { .. } => step,
            _ => DEFAULT_STEP,
        });
        schedule_words(schedule, lang())
    };
    let is_step = move || {
        store
            .config
            .with(|c| matches!(c.optimizer.schedule, Schedule::Step { .. }))
    };
    view! {
        // Drawn again when the step schedule changes, so its choice reads what it does.
        {move || view! {
            <SelectField
                label=t("Schedule") control=Setting::Schedule
                options=vec![("const", t("Constant").to_string()), ("step", step_words()), ("cos", t("Cosine decay").to_string())]
                get=|c| match c.optimizer.schedule {
                    Schedule::Constant => "const",
                    Schedule::Step { .. } => "step",
                    Schedule::Cosine => "cos",
                }
                set=|c, v| {
                    c.optimizer.schedule = match (v, c.optimizer.schedule) {
                        ("step", step @ Schedule::Step { .. }) => step,
                        ("step", _) => DEFAULT_STEP,
                        ("cos", _) => Schedule::Cosine,
                        _ => Schedule::Constant,
                    }
                }
            />
        }}
        <Show when=is_step>
            <NumberField
                label=t("Drop every (epochs)") control=Setting::Schedule integer=true
                get=|c| match c.optimizer.schedule {
                    Schedule::Step { every_epochs, .. } => every_epochs.to_string(),
                    _ => String::new(),
                }
                set=|c, x| {
                    if let Schedule::Step { every_epochs, .. } = &mut c.optimizer.schedule {
                        *every_epochs = x as usize;
                    }
                }
            />
            <NumberField
                label=t("Drop factor") control=Setting::Schedule
                get=|c| match c.optimizer.schedule {
                    Schedule::Step { factor, .. } => factor.to_string(),
                    _ => String::new(),
                }
                set=|c, x| {
                    if let Schedule::Step { factor, .. } = &mut c.optimizer.schedule {
                        *factor = x;
                    }
                }
            />
        </Show>
    }
}

/// The step schedule a form choice starts from: halve the rate every epoch.
const DEFAULT_STEP: Schedule = Schedule::Step {
    every_epochs: 1,
    factor: 0.5,
};

/// Flip, shift (a random crop), rotation and noise: the augmentation setting's parts.
#[component]
fn AugmentationFields() -> impl IntoView {
    view! {
        <CheckField label=t("Flip images") control=Setting::Augmentation get=|c| c.augmentation.flip set=|c, on| c.augmentation.flip = on />
        <NumberField
            label=t("Shift (pixels)") control=Setting::Augmentation
            integer=true
            get=|c| c.augmentation.shift.to_string()
            set=|c, x| c.augmentation.shift = x as usize
        />
        <NumberField
            label=t("Rotation (± degrees)") control=Setting::Augmentation
            get=|c| c.augmentation.rotate.to_string()
            set=|c, x| c.augmentation.rotate = x
        />
        <NumberField label=t("Noise") control=Setting::Augmentation get=|c| c.augmentation.noise.to_string() set=|c, x| c.augmentation.noise = x />
    }
}
