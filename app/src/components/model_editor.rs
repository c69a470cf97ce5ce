//! The layer-stack editor with live cost and inline problems.

use leptos::prelude::*;
use tradeoff_core::config::{Activation, Layer, LossKind, PoolKind, RunConfig};
use tradeoff_core::cost::describe_layer;
use tradeoff_core::setting::Setting;

use crate::format;
use crate::i18n::{lang, t};
use crate::store::Store;
use tradeoff_core::tr;

/// A numeric property of a layer.
#[derive(Clone, Copy, PartialEq)]
enum Prop {
    Filters,
    Kernel,
    Stride,
    Padding,
    Size,
    Units,
    DropP,
}

impl Prop {
    fn label(self) -> &'static str {
        match self {
            Prop::Filters => t("Filters"),
            Prop::Kernel => t("Kernel"),
            Prop::Stride => t("Stride"),
            Prop::Padding => t("Padding"),
            Prop::Size => t("Window"),
            Prop::Units => t("Units"),
            Prop::DropP => t("Drop probability"),
        }
    }

    fn get(self, layer: &Layer) -> String {
        match (self, *layer) {
            (Prop::Filters, Layer::Conv { filters, .. }) => filters.to_string(),
            (Prop::Kernel, Layer::Conv { kernel, .. }) => kernel.to_string(),
            (Prop::Stride, Layer::Conv { stride, .. }) => stride.to_string(),
            (Prop::Padding, Layer::Conv { padding, .. }) => padding.to_string(),
            (Prop::Size, Layer::Pool { size, .. }) => size.to_string(),
            (Prop::Units, Layer::Dense { units, .. }) => units.to_string(),
            (Prop::DropP, Layer::Dropout { p }) => p.to_string(),
            _ => String::new(),
        }
    }

    fn set(self, layer: &mut Layer, x: f64) {
        let n = x as usize;
        match (self, layer) {
            (Prop::Filters, Layer::Conv { filters, .. }) => *filters = n,
            (Prop::Kernel, Layer::Conv { kernel, .. }) => *kernel = n,
            (Prop::Stride, Layer::Conv { stride, .. }) => *stride = n,
            (Prop::Padding, Layer::Conv { padding, .. }) => *padding = n,
            (Prop::Size, Layer::Pool { size, .. }) => *size = n,
            (Prop::Units, Layer::Dense { units, .. }) => *units = n,
            (Prop::DropP, Layer::Dropout { p }) => *p = x,
            _ => {}
        }
    }

    fn props(layer: &Layer) -> &'static [Prop] {
        match layer {
            Layer::Conv { .. } => &[Prop::Filters, Prop::Kernel, Prop::Stride, Prop::Padding],
            Layer::Pool { .. } => &[Prop::Size],
            Layer::Dense { .. } => &[Prop::Units],
            Layer::Dropout { .. } => &[Prop::DropP],
        }
    }
}

fn with_layer(store: Store, index: usize, f: impl FnOnce(&mut Layer)) {
    store.config.update(|c| {
        if let Some(layer) = c.layers.get_mut(index) {
            f(layer);
        }
    });
}

/// One number of one layer.
#[component]
fn LayerNumber(index: usize, prop: Prop) -> impl IntoView {
    let store = expect_context::<Store>();
    let problem = RwSignal::new(None::<String>);
    let value = move || {
        store
            .config
            .with(|c| c.layers.get(index).map(|l| prop.get(l)).unwrap_or_default())
    };
    let on_change = move |ev| {
        let text = event_target_value(&ev);
        let ok = match text.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 && (prop == Prop::DropP || x.fract() == 0.0) => {
                with_layer(store, index, |l| prop.set(l, x));
                true
            }
            _ => false,
        };
        problem.set((!ok).then(|| {
            tr!(
                lang(),
                "'{text}' is not a valid {property}",
                text = text,
                property = prop.label().to_lowercase()
            )
        }));
    };
    view! {
        <label class="field small">
            <span class="label">{prop.label()}</span>
            <input
                type="text"
                inputmode="decimal"
                aria-label=move || tr!(lang(), "Layer {n} {property}", n = index + 1, property = prop.label().to_lowercase())
                prop:value=value
                on:change=on_change
            />
            <Show when=move || problem.with(Option::is_some)>
                <span class="field-error" role="alert">{move || problem.get()}</span>
            </Show>
        </label>
    }
}

fn activation_of(layer: &Layer) -> Option<(Activation, bool)> {
    match *layer {
        Layer::Conv {
            activation,
            batch_norm,
            ..
        }
        | Layer::Dense {
            activation,
            batch_norm,
            ..
        } => Some((activation, batch_norm)),
        _ => None,
    }
}

/// One row of the stack: kind, numbers, activation, batch norm, move and remove.
#[component]
fn LayerRow(index: usize) -> impl IntoView {
    let store = expect_context::<Store>();
    let layer = move || store.config.with(|c| c.layers.get(index).copied());
    let count = move || store.config.with(|c| c.layers.len());
    let kind = move || match layer() {
        Some(Layer::Conv { .. }) => t("Conv"),
        Some(Layer::Pool {
            pool: PoolKind::Max,
            ..
        }) => t("Max pool"),
        Some(Layer::Pool {
            pool: PoolKind::Avg,
            ..
        }) => t("Avg pool"),
        Some(Layer::Dense { .. }) => t("Dense"),
        Some(Layer::Dropout { .. }) => t("Dropout"),
        None => "",
    };
    let shape = move || {
        store.check().ok().and_then(|cost| {
            cost.layers.get(index).map(|l| {
                tr!(
                    lang(),
                    "→ {shape} · {params} params",
                    shape = l.output.clone(),
                    params = format::count(l.params)
                )
            })
        })
    };
    let swap = move |other: usize| store.config.update(|c| c.layers.swap(index, other));
    view! {
        <li class="layer">
            <div class="layer-head">
                <span class="layer-index">{index + 1}</span>
                <strong>{kind}</strong>
                <span class="layer-shape">{shape}</span>
                <span class="layer-buttons">
                    <button
                        aria-label=tr!(lang(), "Move layer {n} up", n = index + 1)
                        disabled=move || index == 0
                        on:click=move |_| swap(index - 1)
                    >
                        "↑"
                    </button>
                    <button
                        aria-label=tr!(lang(), "Move layer {n} down", n = index + 1)
                        disabled={move || index + 1 >= count()}
                        on:click=move |_| swap(index + 1)
                    >
                        "↓"
                    </button>
                    <button
                        aria-label=tr!(lang(), "Remove layer {n}", n = index + 1)
                        on:click=move |_| store.config.update(|c| {
                            if index < c.layers.len() {
                                c.layers.remove(index);
                            }
                        })
                    >
                        "✕"
                    </button>
                </span>
            </div>
            <div class="layer-fields">
                {move || {
                    layer()
                        .map(|l| {
                            Prop::props(&l)
                                .iter()
                                .map(|&prop| view! { <LayerNumber index prop /> })
                                .collect_view()
                        })
                }}
                {move || {
                    layer()
                        .and_then(|l| activation_of(&l))
                        .map(|(activation, batch_norm)| {
                            view! {
                                <label class="field small">
                                    <span class="label">{t("Activation")}</span>
                                    <select
                                        aria-label=tr!(lang(), "Layer {n} activation", n = index + 1)
                                        on:change=move |ev| {
                                            let name = event_target_value(&ev);
                                            if let Some(a) = Activation::from_name(&name) {
                                                with_layer(store, index, |l| match l {
                                                    Layer::Conv { activation, .. }
                                                    | Layer::Dense { activation, .. } => *activation = a,
                                                    _ => {}
                                                });
                                            }
                                        }
                                    >
                                        {Activation::ALL
                                            .iter()
                                            .map(|a| {
                                                view! {
                                                    <option value=a.name() selected=*a == activation>
                                                        {a.name()}
                                                    </option>
                                                }
                                            })
                                            .collect_view()}
                                    </select>
                                </label>
                                <label class="field small check">
                                    <input
                                        type="checkbox"
                                        aria-label=tr!(lang(), "Layer {n} batch norm", n = index + 1)
                                        prop:checked=batch_norm
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            with_layer(store, index, |l| match l {
                                                Layer::Conv { batch_norm, .. }
                                                | Layer::Dense { batch_norm, .. } => *batch_norm = on,
                                                _ => {}
                                            });
                                        }
                                    />
                                    <span class="label">{t("Batch norm")}</span>
                                </label>
                            }
                        })
                }}
                {move || {
                    matches!(layer(), Some(Layer::Pool { .. }))
                        .then(|| {
                            view! {
                                <label class="field small">
                                    <span class="label">{t("Pooling")}</span>
                                    <select
                                        aria-label=tr!(lang(), "Layer {n} pooling", n = index + 1)
                                        on:change=move |ev| {
                                            let avg = event_target_value(&ev) == "avg";
                                            with_layer(store, index, |l| {
                                                if let Layer::Pool { pool, .. } = l {
                                                    *pool = if avg { PoolKind::Avg } else { PoolKind::Max };
                                                }
                                            });
                                        }
                                    >
                                        <option value="max" selected=move || matches!(layer(), Some(Layer::Pool { pool: PoolKind::Max, .. }))>{t("max")}</option>
                                        <option value="avg" selected=move || matches!(layer(), Some(Layer::Pool { pool: PoolKind::Avg, .. }))>{t("average")}</option>
                                    </select>
                                </label>
                            }
                        })
                }}
            </div>
        </li>
    }
}

fn new_layer(kind: &str) -> Layer {
    match kind {
        "pool" => Layer::max_pool(2),
        "dense" => Layer::dense(64),
        "dropout" => Layer::Dropout { p: 0.25 },
        _ => Layer::conv(16, 3),
    }
}

/// The stack, its cost, and what is wrong with it.
#[component]
pub fn ModelEditor() -> impl IntoView {
    let store = expect_context::<Store>();
    let new_kind = RwSignal::new("conv".to_string());
    let add = move |_| {
        let layer = new_layer(&new_kind.get_untracked());
        store.config.update(|c: &mut RunConfig| {
            // Conv and pool go before the first dense layer, so the stack stays valid.
            let at = match layer {
                Layer::Conv { .. } | Layer::Pool { .. } => c
                    .layers
                    .iter()
                    .position(|l| matches!(l, Layer::Dense { .. } | Layer::Dropout { .. }))
                    .unwrap_or(c.layers.len()),
                _ => c.layers.len(),
            };
            c.layers.insert(at, layer);
        });
    };
    let cost = move || store.check();
    let (hidden, locked) = store.hidden_locked(Setting::Layers);
    view! {
        <Show when=move || !hidden.get()>
        <fieldset class="panel" disabled=move || locked.get()>
            <legend>{t("Model")}</legend>
            <p class="hint">
                {move || store.config.with(|c| tr!(lang(), "Input {size}×{size}×{channels}", size = c.input.size, channels = c.input.channels))}
            </p>
            <ol class="layers" aria-label=t("Layers")>
                {move || {
                    (0..store.config.with(|c| c.layers.len()))
                        .map(|index| view! { <LayerRow index /> })
                        .collect_view()
                }}
                <li class="layer output">
                    <div class="layer-head">
                        <span class="layer-index">{t("out")}</span>
                        <strong>{t("Output")}</strong>
                        <span class="layer-shape">
                            {move || cost().ok().and_then(|c| c.layers.last().map(|l| if store.config.with(|c| c.loss == LossKind::BinaryCrossEntropy) {
                                tr!(lang(), "dense 1 sigmoid · {params} params", params = format::count(l.params))
                            } else {
                                tr!(lang(), "dense {classes} · {params} params", classes = l.output.clone(), params = format::count(l.params))
                            }))}
                        </span>
                    </div>
                </li>
            </ol>
            <div class="add-layer">
                <label class="field small">
                    <span class="label">{t("New layer")}</span>
                    <select aria-label=t("New layer kind") on:change=move |ev| new_kind.set(event_target_value(&ev))>
                        <option value="conv">{t("Conv")}</option>
                        <option value="pool">{t("Pool")}</option>
                        <option value="dense">{t("Dense")}</option>
                        <option value="dropout">{t("Dropout")}</option>
                    </select>
                </label>
                <button on:click=add>{t("Add layer")}</button>
            </div>
            {move || match cost() {
                Ok(c) => {
                    view! {
                        <dl class="cost" aria-label=t("Model cost")>
                            <div><dt>{t("Parameters")}</dt><dd>{format::count(c.params)}</dd></div>
                            <div><dt>{t("FLOPs per image")}</dt><dd>{format::compact(lang(), c.flops as f64)}</dd></div>
                            <div><dt>{t("Model size")}</dt><dd>{format::bytes(c.model_bytes())}</dd></div>
                            <div>
                                <dt>{t("Training memory")}</dt>
                                <dd>{move || format::bytes(c.training_bytes(store.config.with(|c| c.batch_size)))}</dd>
                            </div>
                        </dl>
                    }
                        .into_any()
                }
                Err(errors) => {
                    view! {
                        <div role="alert">
                            <ul class="problems" aria-label=t("Problems")>
                                {errors.into_iter().map(|e| view! { <li>{e.to_string()}</li> }).collect_view()}
                            </ul>
                        </div>
                    }
                        .into_any()
                }
            }}
            <p class="hint">
                {move || store.config.with(|c| c.layers.iter().map(|l| describe_layer(l, lang())).collect::<Vec<_>>().join(" → "))}
            </p>
        </fieldset>
        </Show>
    }
}
