//! Every run in a table: what changed, what it scored, what it cost.

use leptos::prelude::*;
use tradeoff_core::export;
use tradeoff_core::i18n::Message;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;

use crate::i18n::{lang, localise, t};
use crate::store::{Changed, Store};
use crate::{download, format};
use tradeoff_core::{msg, tr};

/// Export and import of every run, and the table as CSV.
#[component]
fn RunsFiles() -> impl IntoView {
    let store = expect_context::<Store>();
    let message = RwSignal::new(None::<(bool, Message)>);
    let none = move || store.runs.with(|runs| runs.is_empty());
    let save = move |name: String, mime: &str, text: String| {
        if let Err(why) = download::save_bytes(&name, mime, text.as_bytes()) {
            message.set(Some((
                false,
                msg!("The file could not be made: {why}.", why = why),
            )));
        }
    };
    let export_json = move |_| {
        let records: Vec<_> = store
            .runs
            .with_untracked(|runs| runs.iter().map(|r| r.record.clone()).collect());
        save(
            download::stamped("runs", "json"),
            "application/json",
            export::runs_to_json(&records),
        );
    };
    let export_csv = move |_| {
        let csv = store.runs.with_untracked(|runs| {
            let rows: Vec<_> = runs.iter().map(|r| (r.id, &r.record)).collect();
            export::runs_to_csv(&rows)
        });
        save(download::stamped("runs", "csv"), "text/csv", csv);
    };
    let import = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        let name = file.name();
        if file.size() > export::MAX_FILE_BYTES as f64 {
            message.set(Some((
                false,
                msg!(
                    "{name}: the file is over {} MB, too large for a runs file.",
                    export::MAX_FILE_BYTES >> 20,
                    name = name
                ),
            )));
            return;
        }
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string());
            let result = match text {
                None => Err(msg!("the browser could not read it")),
                Some(text) => export::runs_from_json(&text),
            };
            message.set(Some(match result {
                Ok(records) => {
                    let total = records.len();
                    let added = store.import_runs(records);
                    (
                        true,
                        msg!(
                            "{name}: {added} of {total} runs added ({} were already here).",
                            total - added,
                            name = name,
                            added = added,
                            total = total
                        ),
                    )
                }
                Err(why) => (
                    false,
                    msg!(
                        "{name} was not imported: {why}. Your runs are unchanged.",
                        name = name,
                        why = why
                    ),
                ),
            }));
        });
    };
    let picker = NodeRef::<leptos::html::Input>::new();
    view! {
        <div class="buttons runs-files">
            <button disabled=none on:click=export_json>{t("Export runs (JSON)")}</button>
            <button on:click=move |_| {
                if let Some(input) = picker.get() {
                    input.unchecked_ref::<HtmlInputElement>().click();
                }
            }>{t("Import runs…")}</button>
            <input
                node_ref=picker
                type="file"
                accept=".json,application/json"
                class="sr-only"
                tabindex="-1"
                aria-label=t("Runs file to import")
                on:change=import
            />
            <button disabled=none on:click=export_csv>{t("Download table (CSV)")}</button>
        </div>
        {move || message.get().map(|(ok, text)| view! {
            <p class=if ok { "hint" } else { "field-error" } role="status">{localise(&text)}</p>
        })}
    }
}

/// "Average the ticked runs": an ensemble of the runs ticked under Overlay, or why not.
#[component]
fn EnsembleButton() -> impl IntoView {
    let store = expect_context::<Store>();
    let ticked = move || store.overlay.get();
    let blocked = move || -> Option<String> {
        let ids = ticked();
        let why = store.runs.with(|runs| {
            let records: Vec<_> = ids
                .iter()
                .filter_map(|id| runs.iter().find(|r| r.id == *id).map(|r| &r.record))
                .collect();
            tradeoff_core::ensemble::check(&records).err()
        });
        if let Some(why) = why {
            return Some(localise(&why));
        }
        if let Some(id) = ids.iter().find(|&&id| !store.has_model(id)) {
            return Some(tr!(
                lang(),
                "run {id}'s model is not in memory (only runs trained since the page opened are); train it again",
                id = id
            ));
        }
        store
            .busy()
            .then(|| t("Wait for the run in progress to end.").to_string())
    };
    view! {
        <div class="buttons ensemble">
            <button
                disabled=move || blocked().is_some()
                on:click=move |_| store.average(ticked())
            >
                {move || match ticked().len() {
                    // Before two are ticked a count reads as a broken promise ("the 0 ticked runs").
                    n @ 2.. => tr!(lang(), "Average the {n} ticked runs (ensemble)", n = n),
                    _ => t("Average the ticked runs (ensemble)").to_string(),
                }}
            </button>
            <span class="hint">
                {move || blocked().unwrap_or_else(|| t("Their probabilities are averaged on the test images: one more point on the chart, joined to its members.").to_string())}
            </span>
        </div>
    }
}

/// The runs table.
#[component]
pub fn RunsTable() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <section class="panel" aria-label=t("Runs")>
            <h2>{t("Runs")}</h2>
            <RunsFiles />
            <EnsembleButton />
            <Show
                when=move || store.runs.with(|r| !r.is_empty())
                fallback=|| view! { <p class="hint">{t("Your runs will be listed here.")}</p> }
            >
                <div class="table-wrap">
                    <table class="runs">
                        <thead>
                            <tr>
                                <th scope="col">{t("Run")}</th>
                                <th scope="col">{t("Changed")}</th>
                                <th scope="col">{t("Status")}</th>
                                <th scope="col">{t("Validation accuracy")}</th>
                                <th scope="col">{t("Test accuracy")}<br /><span class="sub">{t("under noise, under attack")}</span></th>
                                <th scope="col">{t("Training time, speed")}</th>
                                <th scope="col">{t("Latency")}</th>
                                <th scope="col">{t("Parameters, FLOPs, size")}</th>
                                <th scope="col">{t("Backend")}</th>
                                <th scope="col">{t("Overlay")}</th>
                                <th scope="col"><span class="sr-only">{t("Actions")}</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || store.runs.with(|runs| runs.to_vec())
                                key=|r| r.id
                                children=move |run| {
                                    let id = run.id;
                                    let r = &run.record;
                                    let s = r.summary.clone();
                                    let changed = match &run.changes {
                                        Changed::Settings(changes) if changes.is_empty() => "—".to_string(),
                                        Changed::Settings(changes) => changes.iter().map(|c| c.text(lang())).collect::<Vec<_>>().join(", "),
                                        Changed::CopyOf(what) => localise(what),
                                    };
                                    let val = r.final_validation_accuracy().map(|v| format::percent(lang(), v)).unwrap_or("—".into());
                                    // A shared result from an older link has no epoch timings: its total is still known.
                                    // An ensemble has no epochs of its own: its members' total is its time.
                                    let time: f64 = Some(r.epochs.iter().map(|e| e.seconds).sum::<f64>()).filter(|t| t.is_finite() && !r.epochs.is_empty()).or(s.as_ref().map(|s| s.train_seconds)).unwrap_or(f64::NAN);
                                    let speed = r.epochs.last().filter(|e| e.images_per_second.is_finite()).map(|e| tr!(lang(), "{n} img/s", n = format::count(e.images_per_second.round() as u64))).unwrap_or_default();
                                    view! {
                                        <tr class:selected=move || store.selected.get() == Some(id)>
                                            <th scope="row">{id}</th>
                                            <td class="changed">{changed}</td>
                                            <td>
                                                {localise(&r.status.describe())}
                                                {r.shared.then(|| view! { " " <span class="badge shared" title=t("Measured on the sender's device: re-run to verify")>{t("shared result")}</span> })}
                                            </td>
                                            <td>{val}</td>
                                            <td class="accuracy">
                                                {s.as_ref().map(|s| format::percent(lang(), s.test_accuracy)).unwrap_or("—".into())}
                                                {s.as_ref().and_then(|s| s.noise_accuracy).map(|a| view! {
                                                    <br /><span class="sub noise" title=tr!(lang(), "Under Gaussian noise of σ {sigma}", sigma = r.config.robustness.noise)>{tr!(lang(), "noise {accuracy}", accuracy = format::percent(lang(), a))}</span>
                                                })}
                                                {s.as_ref().and_then(|s| s.fgsm_accuracy).map(|a| view! {
                                                    <br /><span class="sub attack" title=tr!(lang(), "Under the FGSM attack of ε {epsilon}", epsilon = r.config.robustness.epsilon)>{tr!(lang(), "attack {accuracy}", accuracy = format::percent(lang(), a))}</span>
                                                })}
                                            </td>
                                            // Related figures share a cell, one per line: the table fits a 1366-px projector.
                                            <td>{format::seconds(lang(), time)}<br /><span class="sub">{speed}</span></td>
                                            <td>{s.as_ref().map(|s| format::millis(lang(), s.latency_ms_batch1)).unwrap_or("—".into())}</td>
                                            // A compressed run counts its non-zero weights and stored bytes.
                                            <td>
                                                {format::count(s.as_ref().map_or(r.cost.params, |s| s.params))}
                                                <br />
                                                <span class="sub">{tr!(lang(), "{n} FLOPs", n = format::compact(lang(), r.cost.flops as f64))}</span>
                                                <br />
                                                <span class="sub">{format::bytes(s.as_ref().map_or(r.cost.model_bytes(), |s| s.model_bytes))}</span>
                                            </td>
                                            <td class="run-backend">{localise(&r.backend)}</td>
                                            <td>
                                                <input
                                                    type="checkbox"
                                                    aria-label=tr!(lang(), "Overlay run {id}", id = id)
                                                    prop:checked=move || store.overlay.with(|o| o.contains(&id))
                                                    on:change=move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        store.overlay.update(|o| {
                                                            o.retain(|&x| x != id);
                                                            if on {
                                                                o.push(id);
                                                            }
                                                        });
                                                    }
                                                />
                                            </td>
                                            <td class="actions">
                                                <button on:click=move |_| store.selected.set(Some(id)) aria-label=tr!(lang(), "Details of run {id}", id = id)>
                                                    {t("Details")}
                                                </button>
                                                <button on:click=move |_| store.delete(id) aria-label=tr!(lang(), "Delete run {id}", id = id)>
                                                    {t("Delete")}
                                                </button>
                                            </td>
                                        </tr>
                                    }
                                }
                            />
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}
