//! The page layout.

use leptos::prelude::*;

use crate::components::{
    action_bar::ActionBar,
    charts::LiveCharts,
    classroom::{LessonCard, LessonPicker, TeacherPanel},
    data_panel::DataPanel,
    model_editor::ModelEditor,
    notices::{CrashPanel, Notices},
    parallel_coords::ParallelCoordinates,
    run_details::RunDetails,
    runs_table::RunsTable,
    sweep_panel::SweepPanel,
    tradeoff_chart::TradeoffChart,
    training_form::TrainingForm,
};
use crate::i18n::{self, t};
use crate::store::Store;
use tradeoff_core::i18n::Lang;
use tradeoff_core::tr;

/// The whole page, drawn again in the new language when the reader switches (the store,
/// with the runs, the run in progress and the settings, stays as it is).
#[component]
pub fn App() -> impl IntoView {
    let store = Store::new();
    provide_context(store);
    // The address bar always holds the config being edited.
    Effect::new(move |_| {
        store
            .config
            .with(|c| store.classroom.with(|room| store.write_link(c, room)))
    });
    move || {
        i18n::set_lang(store.lang.get());
        view! { <Page /> }
    }
}

/// English | 中文, each named in its own language.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <div class="language" role="group" aria-label=t("Language")>
            {Lang::ALL
                .into_iter()
                .map(|lang| {
                    view! {
                        <button
                            lang=lang.code()
                            aria-pressed=move || (store.lang.get() == lang).to_string()
                            on:click=move |_| {
                                i18n::remember(lang);
                                store.lang.set(lang);
                            }
                        >
                            {lang.name()}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// Everything on the page, in the current language.
#[component]
fn Page() -> impl IntoView {
    let store = expect_context::<Store>();
    let backend = move || {
        store
            .backend_in_use
            .get()
            .map(|b| tr!(i18n::lang(), "Backend: {b}", b = b))
            .unwrap_or_else(|| t("Backend: chosen when you train").into())
    };
    view! {
        <header class="top">
            <div>
                <h1>"Tradeoff"</h1>
                <p class="tagline">
                    {t("Design an image classifier, train it in your browser, and see what each bit of accuracy costs.")}
                </p>
            </div>
            <div class="status-line">
                <LanguageSwitch />
                <LessonPicker />
                <p class="backend" aria-live="polite">{backend}</p>
                <Show when=move || store.worker_memory.get().is_some()>
                    <p
                        class="worker-memory hint"
                        data-bytes=move || store.worker_memory.get().unwrap_or(0).to_string()
                    >
                        {move || tr!(i18n::lang(), "Training worker's memory: {size}", size = crate::format::bytes(store.worker_memory.get().unwrap_or(0)))}
                    </p>
                </Show>
            </div>
        </header>
        <Notices />
        <CrashPanel />
        // First in the page's order, so a keyboard reaches Train right after the header; the
        // stylesheet shows it below the results, pinned to the bottom of the window.
        <ActionBar />
        <main class="layout">
            <section class="controls" aria-label=t("Experiment")>
                <LessonCard />
                <DataPanel />
                <ModelEditor />
                <TrainingForm />
                <SweepPanel />
                <TeacherPanel />
            </section>
            <section class="results" aria-label=t("Results")>
                <LiveCharts />
                <TradeoffChart />
                <ParallelCoordinates />
                <RunsTable />
                <RunDetails />
            </section>
        </main>
        <footer>
            {t("Everything runs in this tab: no data or model leaves your computer.")}
        </footer>
    }
}
