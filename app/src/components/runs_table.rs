//! Every run in a table: what changed, what it scored, what it cost.

use leptos::prelude::*;

use crate::format;
use crate::store::Store;

/// The runs table.
#[component]
pub fn RunsTable() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <section class="panel" aria-label="Runs">
            <h2>"Runs"</h2>
            <Show
                when=move || store.runs.with(|r| !r.is_empty())
                fallback=|| view! { <p class="hint">"Your runs will be listed here."</p> }
            >
                <div class="table-wrap">
                    <table class="runs">
                        <thead>
                            <tr>
                                <th scope="col">"Run"</th>
                                <th scope="col">"Changed"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Validation accuracy"</th>
                                <th scope="col">"Test accuracy"</th>
                                <th scope="col">"Training time"</th>
                                <th scope="col">"Images/s"</th>
                                <th scope="col">"Latency"</th>
                                <th scope="col">"Parameters"</th>
                                <th scope="col">"FLOPs"</th>
                                <th scope="col">"Size"</th>
                                <th scope="col">"Backend"</th>
                                <th scope="col">"Overlay"</th>
                                <th scope="col"><span class="sr-only">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || store.runs.get()
                                key=|r| r.id
                                children=move |run| {
                                    let id = run.id;
                                    let r = &run.record;
                                    let s = r.summary.clone();
                                    let changed = if run.changes.is_empty() {
                                        "—".to_string()
                                    } else {
                                        run.changes.join(", ")
                                    };
                                    let val = r.final_validation_accuracy().map(format::percent).unwrap_or("—".into());
                                    let time: f64 = r.epochs.iter().map(|e| e.seconds).sum();
                                    let speed = r.epochs.last().map(|e| format!("{:.0}", e.images_per_second)).unwrap_or("—".into());
                                    view! {
                                        <tr class:selected=move || store.selected.get() == Some(id)>
                                            <th scope="row">{id}</th>
                                            <td class="changed">{changed}</td>
                                            <td>{r.status.describe()}</td>
                                            <td>{val}</td>
                                            <td>{s.as_ref().map(|s| format::percent(s.test_accuracy)).unwrap_or("—".into())}</td>
                                            <td>{format::seconds(time)}</td>
                                            <td>{speed}</td>
                                            <td>{s.as_ref().map(|s| format::millis(s.latency_ms_batch1)).unwrap_or("—".into())}</td>
                                            // A compressed run counts its non-zero weights and stored bytes.
                                            <td>{format::count(s.as_ref().map_or(r.cost.params, |s| s.params))}</td>
                                            <td>{format::compact(r.cost.flops as f64)}</td>
                                            <td>{format::bytes(s.as_ref().map_or(r.cost.model_bytes(), |s| s.model_bytes))}</td>
                                            <td>{r.backend.clone()}</td>
                                            <td>
                                                <input
                                                    type="checkbox"
                                                    aria-label=format!("Overlay run {id}")
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
                                                <button on:click=move |_| store.selected.set(Some(id))>
                                                    {format!("Details of run {id}")}
                                                </button>
                                                <button on:click=move |_| store.delete(id) aria-label=format!("Delete run {id}")>
                                                    "Delete"
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
