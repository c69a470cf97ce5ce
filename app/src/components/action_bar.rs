//! The action bar: Train, Pause / Resume, Stop and the run's progress, pinned to the bottom of
//! the window so the first thing a student presses, and what it is doing, are always in view
//! (at 1366×768 on a projector and on a 390-px phone alike), wherever the page is scrolled.

use leptos::prelude::*;

use crate::format;
use crate::i18n::{lang, localise, t};
use crate::store::Store;
use tradeoff_core::tr;

/// The primary actions and the progress of the run in progress.
#[component]
pub fn ActionBar() -> impl IntoView {
    let store = expect_context::<Store>();
    let training = move || store.activity.with(|a| a.live().is_some());
    let blocked = move || match store.check() {
        Err(errors) => Some(tr!(
            lang(),
            "Fix the settings first: {problem}",
            problem = localise(&errors[0].message)
        )),
        Ok(_) if store.activity.with(|a| a.sweep().is_some()) => {
            Some(t("A sweep is in progress.").to_string())
        }
        Ok(_) if training() => Some(t("A run is in progress.").to_string()),
        Ok(_) if store.activity.with(|a| a.compressing().is_some()) => {
            Some(t("A model is being compressed.").to_string())
        }
        Ok(_) if store.activity.with(|a| a.averaging().is_some()) => {
            Some(t("Runs are being averaged.").to_string())
        }
        Ok(_) if !store.restored.get() => Some(t("Reading your earlier runs…").to_string()),
        Ok(_) if let Some(why) = store.run_blocker() => Some(localise(&why)),
        Ok(_) => None,
    };
    view! {
        <div class="action-bar" role="region" aria-label=t("Run")>
            <div class="buttons">
                <button
                    class="primary"
                    disabled=move || blocked().is_some()
                    title=move || blocked().unwrap_or_default()
                    on:click=move |_| store.train()
                >
                    {t("Train")}
                </button>
                <Show
                    when=move || store.activity.with(|a| a.live().is_some_and(|l| l.paused))
                    fallback=move || {
                        view! {
                            <button disabled=move || !training() on:click=move |_| store.set_paused(true)>
                                {t("Pause")}
                            </button>
                        }
                    }
                >
                    <button on:click=move |_| store.set_paused(false)>{t("Resume")}</button>
                </Show>
                <button disabled=move || !training() on:click=move |_| store.stop()>{t("Stop")}</button>
            </div>
            <Show when=move || blocked().is_some() && !training()>
                <p class="hint blocked">{move || blocked().unwrap_or_default()}</p>
            </Show>
            <Progress />
        </div>
    }
}

/// Progress of the run in progress: a bar, epoch, step and time left.
#[component]
fn Progress() -> impl IntoView {
    let store = expect_context::<Store>();
    let text = move || {
        store.activity.with(|a| {
            let l = a.live()?;
            if l.total_steps == 0 {
                return Some(tr!(
                    lang(),
                    "Preparing: {what}",
                    what = localise(&l.message)
                ));
            }
            let step = l.steps.last().map(|s| s.step).unwrap_or(0);
            let epoch = l.steps.last().map(|s| s.epoch).unwrap_or(1);
            let left = if step > 0 {
                l.elapsed_seconds / step as f64 * (l.total_steps - step) as f64
            } else {
                f64::NAN
            };
            let progress = tr!(
                lang(),
                "Epoch {epoch} of {epochs}, step {step} of {steps} — about {left} left",
                epoch = epoch,
                epochs = l.config.epochs,
                step = step,
                steps = l.total_steps,
                left = format::seconds(lang(), left)
            );
            Some(if l.paused {
                tr!(lang(), "{progress} — paused", progress = progress)
            } else {
                progress
            })
        })
    };
    let fraction = move || {
        store.activity.with(|a| {
            a.live()
                .filter(|l| l.total_steps > 0)
                .map(|l| l.steps.last().map(|s| s.step).unwrap_or(0) as f64 / l.total_steps as f64)
                .unwrap_or(0.0)
        })
    };
    view! {
        <Show when=move || store.activity.with(|a| a.live().is_some())>
            <div class="progress">
                <progress aria-label=t("Training progress") max="1" value=fraction></progress>
                <p role="status">{text}</p>
            </div>
        </Show>
    }
}
