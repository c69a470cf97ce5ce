//! Compressing a trained run's model, and what a compressed run gained and lost.

use leptos::prelude::*;
use tradeoff_core::compress::{self, KEPT_MODELS};
use tradeoff_core::metrics::Summary;
use tradeoff_core::record::{Compression, CompressionInfo};
use tradeoff_core::setting::Setting;

use crate::components::fields::TextField;
use crate::format;
use crate::i18n::{lang, localise, t};
use crate::store::Store;
use tradeoff_core::tr;

/// Buttons that compress run `run_id`'s model into a run of its own.
#[component]
pub fn CompressControls(run_id: u32) -> impl IntoView {
    let store = expect_context::<Store>();
    let sparsity = RwSignal::new("50".to_string());
    let method = move || -> Result<Compression, String> {
        let percent: f64 = sparsity
            .get()
            .trim()
            .trim_end_matches('%')
            .trim()
            .parse()
            .map_err(|_| {
                tr!(
                    lang(),
                    "“{text}” is not a percentage",
                    text = sparsity.get()
                )
            })?;
        let method = Compression::Prune {
            sparsity: percent / 100.0,
        };
        compress::check(&method).map_err(|why| localise(&why))?;
        Ok(method)
    };
    let in_memory = move || store.has_model(run_id);
    let (_, locked) = store.hidden_locked(Setting::Compress);
    let busy = move || store.busy() || !store.restored.get() || !in_memory() || locked.get();
    let status = move || {
        store.activity.with(|a| {
            a.compressing().map(|c| {
                tr!(
                    lang(),
                    "Compressing run {run} ({how})…",
                    run = c.parent_id,
                    how = localise(&c.label)
                )
            })
        })
    };
    view! {
        <div class="compress" role="group" aria-label=t("Compress this model")>
            <h3>{t("Compress this model")}</h3>
            <p class="hint">
                {t("Make a smaller copy and measure what it keeps: it appears as a run of its own, linked to this one on the trade-off chart.")}
            </p>
            <div class="buttons">
                <button
                    disabled=busy
                    on:click=move |_| store.compress(run_id, Compression::Int8)
                >
                    {t("Quantize to int8")}
                </button>
                <TextField
                    label=t("Pruning sparsity (%)")
                    value=sparsity
                    inputmode="decimal"
                    inline=true
                    invalid=Signal::derive(move || method().is_err())
                />
                <button
                    disabled=move || busy() || method().is_err()
                    on:click=move |_| {
                        if let Ok(m) = method() {
                            store.compress(run_id, m);
                        }
                    }
                >
                    {t("Prune")}
                </button>
            </div>
            <Show when=move || !in_memory()>
                <p class="hint blocked">
                    {tr!(
                        lang(),
                        "Only the latest {kept} runs trained since this page opened keep their weights in memory; train this run again to compress it.",
                        kept = KEPT_MODELS
                    )}
                </p>
            </Show>
            <Show when=move || method().is_err()>
                <p class="field-error" role="alert">{move || method().err()}</p>
            </Show>
            <p role="status" class="hint">{status}</p>
        </div>
    }
}

/// What a compressed run kept and saved against its parent, as sentences.
pub fn compression_facts(info: &CompressionInfo, s: &Summary, parent: Option<u32>) -> Vec<String> {
    let lang = lang();
    let parent = parent.map_or(t("a deleted run").to_string(), |id| {
        tr!(lang, "run {id}", id = id)
    });
    let change = (s.test_accuracy - info.parent_test_accuracy) * 100.0;
    let mut facts = vec![
        tr!(
            lang,
            "{method} copy of {parent}: test accuracy {now} against {before} before ({change} points)",
            method = localise(&info.method.label()),
            parent = parent,
            now = format::percent(lang, s.test_accuracy),
            before = format::percent(lang, info.parent_test_accuracy),
            change = format!("{change:+.1}")
        ),
        tr!(
            lang,
            "Size {size}: {share} % of the float model's {float}",
            size = format::bytes(s.model_bytes),
            share = format!(
                "{:.0}",
                100.0 * s.model_bytes as f64 / info.parent_model_bytes.max(1) as f64
            ),
            float = format::bytes(info.parent_model_bytes)
        ),
        tr!(
            lang,
            "Latency {now} per image against {float} for the float model, both measured on the CPU just now",
            now = format::millis(lang, s.latency_ms_batch1),
            float = format::millis(lang, info.float_latency_ms_batch1)
        ),
    ];
    if let Compression::Prune { .. } = info.method {
        facts.push(tr!(
            lang,
            "{share} % of the conv and dense weights are zero; a dense file stays the same size unless stored sparse",
            share = format!("{:.1}", info.weight_sparsity * 100.0)
        ));
    }
    facts
}
