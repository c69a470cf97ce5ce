//! Labelled form fields bound to the run config.

use leptos::prelude::*;
use tradeoff_core::config::RunConfig;
use tradeoff_core::setting::{Kind, Setting, Spec};

use crate::i18n::{lang, t};
use crate::store::Store;
use tradeoff_core::tr;

/// A number the user types; `set` receives it once it parses, and a parse problem is shown
/// next to the field without touching the config.
#[component]
pub fn NumberField(
    /// Visible label, also the accessible name.
    label: &'static str,
    /// The current value as text.
    get: impl Fn(&RunConfig) -> String + Copy + Send + Sync + 'static,
    /// Stores a parsed value.
    set: impl Fn(&mut RunConfig, f64) + Copy + Send + Sync + 'static,
    /// Whether only whole numbers are accepted.
    #[prop(optional)]
    integer: bool,
    /// The input's `step` attribute.
    #[prop(default = "any")]
    step: &'static str,
    /// Short help shown under the field.
    #[prop(optional)]
    hint: &'static str,
    /// The setting a link can hide or lock.
    control: Setting,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let (hidden, locked) = store.hidden_locked(control);
    let problem = RwSignal::new(None::<String>);
    let on_change = move |ev| {
        let text = event_target_value(&ev);
        match text.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && (!integer || (x >= 0.0 && x.fract() == 0.0)) => {
                problem.set(None);
                store.config.update(|c| set(c, x));
            }
            _ => problem.set(Some(if integer {
                tr!(lang(), "'{text}' is not a whole number", text = text)
            } else {
                tr!(lang(), "'{text}' is not a number", text = text)
            })),
        }
    };
    view! {
        <Show when=move || !hidden.get()>
        <label class="field">
            <span class="label">{label}</span>
            <input
                type="text"
                aria-label=label
                disabled=move || locked.get()
                inputmode=if integer { "numeric" } else { "decimal" }
                data-step=step
                prop:value=move || store.config.with(|c| get(c))
                on:change=on_change
                aria-invalid=move || problem.with(Option::is_some).to_string()
            />
            <Show when=move || problem.with(Option::is_some)>
                <span class="field-error" role="alert">{move || problem.get()}</span>
            </Show>
            <Show when=move || !hint.is_empty()>
                <span class="hint">{hint}</span>
            </Show>
        </label>
        </Show>
    }
}

/// The control of a number or choice setting, made from its entry in the settings table:
/// its label, range, choices and hint.
#[component]
pub fn SettingField(
    setting: Setting,
    /// Words under a choice that depend on the config, in place of the table's hint.
    #[prop(optional)]
    note: Option<Signal<String>>,
) -> impl IntoView {
    let spec: &'static Spec = setting.spec();
    let label = t(spec.label);
    let hint = spec.hint.map_or("", t);
    match &spec.kind {
        Kind::Whole { get, set, .. } => {
            let (get, set) = (*get, *set);
            view! {
                <NumberField
                    label=label control=setting integer=true hint=hint
                    get=move |c| get(c).to_string()
                    set=move |c, x| set(c, x as u64)
                />
            }
            .into_any()
        }
        Kind::Number { get, set, .. } => {
            let (get, set) = (*get, *set);
            view! {
                <NumberField label=label control=setting hint=hint get=move |c| get(c).to_string() set=set />
            }
            .into_any()
        }
        Kind::Choice {
            choices, get, set, ..
        } => {
            let (get, set) = (*get, *set);
            let options = choices
                .iter()
                .map(|&(name, text)| (name, t(text).to_string()))
                .collect();
            let note = note.unwrap_or_else(|| Signal::stored(hint.to_string()));
            view! {
                <SelectField
                    label=label control=setting options=options get=get hint=note
                    set=move |c, v| {
                        set(c, v);
                    }
                />
            }
            .into_any()
        }
        Kind::Codec { .. } | Kind::Panel => ().into_any(),
    }
}

/// A choice among named options.
#[component]
pub fn SelectField(
    /// Visible label, also the accessible name.
    label: &'static str,
    /// `(value, text)` pairs.
    options: Vec<(&'static str, String)>,
    /// The selected value.
    get: impl Fn(&RunConfig) -> &'static str + Copy + Send + Sync + 'static,
    /// Stores the chosen value.
    set: impl Fn(&mut RunConfig, &str) + Copy + Send + Sync + 'static,
    /// The control a link can hide or lock.
    control: Setting,
    /// Short help shown under the field.
    #[prop(into, default = Signal::stored(String::new()))]
    hint: Signal<String>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let (hidden, locked) = store.hidden_locked(control);
    view! {
        <Show when=move || !hidden.get()>
        <label class="field">
            <span class="label">{label}</span>
            <select
                aria-label=label
                disabled=move || locked.get()
                prop:value=move || store.config.with(|c| get(c))
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    store.config.update(|c| set(c, &v))
                }
            >
                {options
                    .clone()
                    .into_iter()
                    .map(|(value, text)| {
                        view! {
                            <option value=value selected=move || store.config.with(|c| get(c)) == value>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <Show when=move || hint.with(|h| !h.is_empty())>
                <span class="hint">{move || hint.get()}</span>
            </Show>
        </label>
        </Show>
    }
}

/// An on/off setting.
#[component]
pub fn CheckField(
    /// Visible label, also the accessible name.
    label: &'static str,
    /// Whether it is on.
    get: fn(&RunConfig) -> bool,
    /// Stores the new state.
    set: fn(&mut RunConfig, bool),
    /// The control a link can hide or lock.
    control: Setting,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let (hidden, locked) = store.hidden_locked(control);
    view! {
        <Show when=move || !hidden.get()>
        <label class="field check">
            <input
                type="checkbox"
                aria-label=label
                disabled=move || locked.get()
                prop:checked=move || store.config.with(get)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    store.config.update(|c| set(c, on))
                }
            />
            <span class="label">{label}</span>
        </label>
        </Show>
    }
}

/// Text typed into a page-local value (a sweep's values, a sparsity), not the run config;
/// committed on change, parsed by whoever reads `value`.
#[component]
pub fn TextField(
    /// Visible label, also the accessible name.
    #[prop(into)]
    label: String,
    /// The text.
    value: RwSignal<String>,
    /// The input's `inputmode` (`text`, `decimal`, `numeric`).
    #[prop(default = "text")]
    inputmode: &'static str,
    /// Label and input on one line.
    #[prop(optional)]
    inline: bool,
    /// Whether the text is marked invalid.
    #[prop(into, default = Signal::stored(false))]
    invalid: Signal<bool>,
    /// Whether the input is disabled.
    #[prop(into, default = Signal::stored(false))]
    disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <label class=if inline { "field inline" } else { "field" }>
            <span class="label">{label.clone()}</span>
            <input
                type="text"
                inputmode=inputmode
                aria-label=label
                prop:value=move || value.get()
                disabled=move || disabled.get()
                aria-invalid=move || invalid.get().to_string()
                on:change=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}
