//! The page layout.

use leptos::prelude::*;

use crate::components::{
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
use crate::store::Store;

/// The whole page.
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
    let backend = move || {
        store
            .backend_in_use
            .get()
            .map(|b| format!("Backend: {b}"))
            .unwrap_or_else(|| "Backend: chosen when you train".into())
    };
    view! {
        <header class="top">
            <div>
                <h1>"Tradeoff"</h1>
                <p class="tagline">
                    "Design an image classifier, train it in your browser, and see what each bit of accuracy costs."
                </p>
            </div>
            <div class="status-line">
                <LessonPicker />
                <p class="backend" aria-live="polite">{backend}</p>
                <Show when=move || store.worker_memory.get().is_some()>
                    <p
                        class="worker-memory hint"
                        data-bytes=move || store.worker_memory.get().unwrap_or(0).to_string()
                    >
                        {move || format!("Training worker's memory: {}", crate::format::bytes(store.worker_memory.get().unwrap_or(0)))}
                    </p>
                </Show>
            </div>
        </header>
        <Notices />
        <CrashPanel />
        <main class="layout">
            <section class="controls" aria-label="Experiment">
                <LessonCard />
                <DataPanel />
                <ModelEditor />
                <TrainingForm />
                <SweepPanel />
                <TeacherPanel />
            </section>
            <section class="results" aria-label="Results">
                <LiveCharts />
                <TradeoffChart />
                <ParallelCoordinates />
                <RunsTable />
                <RunDetails />
            </section>
        </main>
        <footer>
            "Everything runs in this tab: no data or model leaves your computer."
        </footer>
    }
}
