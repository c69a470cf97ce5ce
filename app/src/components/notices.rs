//! Messages for the user, and the panel shown when the training worker crashes.

use leptos::prelude::*;

use crate::i18n::{localise, t};
use crate::store::Store;
use crate::worker_client::WorkerKind;

/// Info, warnings and errors, each dismissable.
#[component]
pub fn Notices() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <div class="notices" aria-live="polite">
            <For
                each=move || store.notices.get()
                key=|n| n.text.clone()
                children=move |n| {
                    let text = n.text.clone();
                    let role = if n.level == "error" { "alert" } else { "status" };
                    view! {
                        <div class=format!("notice {}", n.level) role=role>
                            <span>{localise(&n.text)}</span>
                            <button
                                class="dismiss"
                                aria-label=t("Dismiss message")
                                on:click=move |_| store.notices.update(|v| v.retain(|x| x.text != text))
                            >
                                "×"
                            </button>
                        </div>
                    }
                }
            />
        </div>
    }
}

/// The worker crashed: what happened, details to copy; the page and its runs stay usable.
#[component]
pub fn CrashPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let copy = move |_| {
        if let Some(crash) = store.crash.get_untracked() {
            let _ = window()
                .navigator()
                .clipboard()
                .write_text(&crash.details.to_string());
        }
    };
    // Heading and what happens next: a CPU worker is replaced at once, a WebGPU one on demand.
    let words = move || match store.crash.with(|c| c.as_ref().map(|c| c.worker)) {
        Some(WorkerKind::Gpu) => (
            t("The WebGPU training worker crashed"),
            t(
                "The run in progress was kept as failed; your other runs are safe. The next WebGPU run loads the WebGPU trainer again.",
            ),
        ),
        _ => (
            t("The training worker crashed"),
            t(
                "The run in progress was kept as failed; your other runs are safe and a new worker has started.",
            ),
        ),
    };
    view! {
        <Show when=move || store.crash.with(Option::is_some)>
            <div class="crash-panel" role="alert">
                <h2>{move || words().0}</h2>
                <p>{move || words().1}</p>
                <pre>{move || store.crash.with(|c| c.as_ref().map(|c| localise(&c.details)))}</pre>
                <button on:click=copy>{t("Copy details")}</button>
                <button on:click=move |_| store.crash.set(None)>{t("Close")}</button>
            </div>
        </Show>
    }
}
