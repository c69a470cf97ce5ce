//! Compressing a trained run's model, and what a compressed run gained and lost.

use leptos::prelude::*;
use tradeoff_core::classroom::Control;
use tradeoff_core::compress::{self, Compression, CompressionInfo, KEPT_MODELS};
use tradeoff_core::metrics::Summary;

use crate::components::fields::TextField;
use crate::format;
use crate::store::Store;

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
            .map_err(|_| format!("“{}” is not a percentage", sparsity.get()))?;
        let method = Compression::Prune {
            sparsity: percent / 100.0,
        };
        compress::check(&method)?;
        Ok(method)
    };
    let in_memory = move || store.models_in_memory.with(|m| m.contains(&run_id));
    let (_, locked) = store.hidden_locked(Control::Compress);
    let busy = move || store.busy() || !store.restored.get() || !in_memory() || locked.get();
    let status = move || {
        store.compressing.with(|c| {
            c.as_ref()
                .map(|c| format!("Compressing run {} ({})…", c.parent_id, c.label))
        })
    };
    view! {
        <div class="compress" role="group" aria-label="Compress this model">
            <h3>"Compress this model"</h3>
            <p class="hint">
                "Make a smaller copy and measure what it keeps: it appears as a run of its own, linked to this one on the trade-off chart."
            </p>
            <div class="buttons">
                <button
                    disabled=busy
                    on:click=move |_| store.compress(run_id, Compression::Int8)
                >
                    "Quantize to int8"
                </button>
                <TextField
                    label="Pruning sparsity (%)"
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
                    "Prune"
                </button>
            </div>
            <Show when=move || !in_memory()>
                <p class="hint blocked">
                    {format!(
                        "Only the latest {KEPT_MODELS} runs trained since this page opened keep their weights in memory; train this run again to compress it."
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
    let parent = parent.map_or("a deleted run".to_string(), |id| format!("run {id}"));
    let change = (s.test_accuracy - info.parent_test_accuracy) * 100.0;
    let mut facts = vec![
        format!(
            "{} copy of {parent}: test accuracy {} against {} before ({change:+.1} points)",
            info.method.label(),
            format::percent(s.test_accuracy),
            format::percent(info.parent_test_accuracy)
        ),
        format!(
            "Size {}: {:.0} % of the float model's {}",
            format::bytes(s.model_bytes),
            100.0 * s.model_bytes as f64 / info.parent_model_bytes.max(1) as f64,
            format::bytes(info.parent_model_bytes)
        ),
        format!(
            "Latency {} per image against {} for the float model, both measured on the CPU just now",
            format::millis(s.latency_ms_batch1),
            format::millis(info.float_latency_ms_batch1)
        ),
    ];
    if let Compression::Prune { .. } = info.method {
        facts.push(format!(
            "{:.1} % of the conv and dense weights are zero; a dense file stays the same size unless stored sparse",
            info.weight_sparsity * 100.0
        ));
    }
    facts
}
