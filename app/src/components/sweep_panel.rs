//! The sweep form: up to three settings to vary around the current config, grid or random
//! search, and the sweep's progress.

use leptos::prelude::*;
use tradeoff_core::i18n::Message;
use tradeoff_core::setting::Setting;
use tradeoff_core::sweep::{Axis, MAX_AXES, MAX_SWEEP_RUNS, Search, SweepConfig, axis_choices};

use crate::components::fields::TextField;
use crate::format;
use crate::i18n::{lang, localise, t};
use crate::store::Store;
use tradeoff_core::{msg, tr};

/// One row of the form: which setting (empty: none) and its values as typed.
#[derive(Clone, Copy)]
struct AxisRow {
    kind: RwSignal<String>,
    values: RwSignal<String>,
}

/// Sweeps around the current config.
#[component]
pub fn SweepPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let choices = axis_choices();
    let suggested = move |kind: &str| {
        axis_choices()
            .into_iter()
            .find(|(id, _, _)| *id == kind)
            .map_or("", |c| c.2)
    };
    let rows: Vec<AxisRow> = (0..MAX_AXES)
        .map(|i| {
            // Two axes are filled in to start with, so the form shows how it works.
            let kind = match i {
                0 => "layers",
                1 => Setting::LearningRate.key(),
                _ => "",
            };
            let values = suggested(kind);
            AxisRow {
                kind: RwSignal::new(kind.to_string()),
                values: RwSignal::new(values.to_string()),
            }
        })
        .collect();
    let random = RwSignal::new(false);
    let random_runs = RwSignal::new("8".to_string());
    let rows_for_sweep = rows.clone();
    // The sweep as the form describes it, or what is wrong with the form.
    let sweep = Memo::new(move |_| -> Result<SweepConfig, Message> {
        let mut axes = Vec::new();
        for row in &rows_for_sweep {
            let kind = row.kind.get();
            if kind.is_empty() {
                continue;
            }
            let label = axis_choices()
                .into_iter()
                .find(|(id, _, _)| *id == kind)
                .map_or("", |c| c.1);
            axes.push(
                Axis::parse(&kind, &row.values.get())
                    .map_err(|e| msg!("{label}: {e}", label = label, e = e))?,
            );
        }
        let search = if random.get() {
            let runs = random_runs.get().trim().parse::<usize>().map_err(|_| {
                msg!(
                    "Runs: give a whole number from 1 to {MAX_SWEEP_RUNS}",
                    MAX_SWEEP_RUNS = MAX_SWEEP_RUNS
                )
            })?;
            Search::Random {
                runs,
                seed: store.config.with(|c| c.seed),
            }
        } else {
            Search::Grid
        };
        Ok(SweepConfig { axes, search })
    });
    // The runs it would queue around the current config, or why none.
    let plan = Memo::new(move |_| {
        let sweep = sweep.get()?;
        store.config.with(|c| sweep.plan(c, store.classes_of(c)))
    });
    let summary = move || match plan.get() {
        Ok(plan) => {
            let epochs = store.config.with(|c| c.epochs);
            let mut text = tr!(
                lang(),
                "{runs} {runs_word} of {epochs} {epochs_word} each, one after another.",
                runs = plan.runs.len(),
                runs_word = if plan.runs.len() == 1 {
                    t("run")
                } else {
                    t("runs")
                },
                epochs = epochs,
                epochs_word = if epochs == 1 { t("epoch") } else { t("epochs") },
            );
            if !plan.skipped.is_empty() {
                text += &tr!(
                    lang(),
                    " {n} left out: {which}.",
                    n = plan.skipped.len(),
                    which = localise(&Message::list(plan.skipped.iter().cloned()))
                );
            }
            text
        }
        Err(reason) => tr!(
            lang(),
            "Cannot sweep: {reason}.",
            reason = localise(&reason)
        ),
    };
    let blocked = move || plan.with(Result::is_err) || store.busy() || !store.restored.get();
    let running = move || store.activity.with(|a| a.sweep().is_some());
    let progress = move || {
        // Re-estimated as the run in progress reports.
        store.activity.with(|a| {
            let s = a.sweep()?;
            let left = s
                .seconds_left(js_sys::Date::now())
                .map(|left| {
                    tr!(
                        lang(),
                        " — about {left} left",
                        left = format::seconds(lang(), left)
                    )
                })
                .unwrap_or_default();
            let paused = if a.live().is_some_and(|l| l.paused) {
                t(" — paused: Resume continues it")
            } else {
                ""
            };
            Some(tr!(
                lang(),
                "Sweep: run {n} of {total} ({label}){left}{paused}",
                n = s.current + 1,
                total = s.runs.len(),
                label = localise(&s.runs[s.current].label),
                left = left,
                paused = paused
            ))
        })
    };
    let fraction = move || {
        store.activity.with(|a| {
            a.sweep()
                .map_or(0.0, |s| s.current as f64 / s.runs.len() as f64)
        })
    };
    let (hidden, locked) = store.hidden_locked(Setting::Sweep);
    view! {
        <fieldset class="panel sweep" disabled=move || locked.get() hidden=move || hidden.get()>
            <legend>{t("Sweep")}</legend>
            <p class="hint">
                {t("Train several variations of the settings above, one after another, and compare them on the trade-off chart.")}
            </p>
            {rows
                .into_iter()
                .enumerate()
                .map(|(i, row)| {
                    let n = i + 1;
                    view! {
                        <div class="sweep-axis">
                            <label class="field">
                                <span class="label">{tr!(lang(), "Vary {n}", n = n)}</span>
                                <select
                                    aria-label=tr!(lang(), "Vary {n}", n = n)
                                    prop:value=move || row.kind.get()
                                    on:change=move |ev| {
                                        let kind = event_target_value(&ev);
                                        row.values.set(suggested(&kind).to_string());
                                        row.kind.set(kind);
                                    }
                                >
                                    <option value="" selected=move || row.kind.get().is_empty()>
                                        "—"
                                    </option>
                                    {choices
                                        .iter()
                                        .map(|&(id, label, _)| {
                                            view! {
                                                <option value=id selected=move || row.kind.get() == id>
                                                    {t(label)}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                            </label>
                            <TextField
                                label=tr!(lang(), "Values {n}", n = n)
                                value=row.values
                                disabled=Signal::derive(move || row.kind.get().is_empty())
                            />
                        </div>
                    }
                })
                .collect_view()}
            <div class="sweep-search">
                <label class="field check">
                    <input
                        type="checkbox"
                        aria-label=t("Random search")
                        prop:checked=move || random.get()
                        on:change=move |ev| random.set(event_target_checked(&ev))
                    />
                    <span class="label">{t("Random search (numbers drawn between the values given)")}</span>
                </label>
                <Show when=move || random.get()>
                    <TextField label=t("Runs") value=random_runs inputmode="numeric" />
                </Show>
            </div>
            <p class="hint sweep-plan" aria-live="polite">{summary}</p>
            <div class="buttons">
                <button
                    class="primary"
                    disabled=blocked
                    on:click=move |_| {
                        if let Ok(sweep) = sweep.get_untracked() {
                            store.start_sweep(&sweep);
                        }
                    }
                >
                    {t("Run sweep")}
                </button>
                <button disabled=move || !running() on:click=move |_| store.cancel_sweep()>
                    {t("Cancel sweep")}
                </button>
            </div>
            <Show when=running>
                <div class="progress sweep-progress">
                    <progress aria-label=t("Sweep progress") max="1" value=fraction></progress>
                    <p role="status">{progress}</p>
                </div>
            </Show>
        </fieldset>
    }
}
