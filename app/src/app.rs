//! The page layout.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::{
    action_bar::ActionBar,
    charts::LiveCharts,
    classroom::{LessonCard, LessonPicker, TeacherPanel},
    data_panel::DataPanel,
    distill_panel::DistillPanel,
    model_editor::ModelEditor,
    notices::{CrashPanel, Notices},
    parallel_coords::ParallelCoordinates,
    robustness_panel::RobustnessPanel,
    run_details::RunDetails,
    runs_table::RunsTable,
    start_panel::StartPanel,
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
                                if store.lang.get_untracked() == lang {
                                    return;
                                }
                                i18n::remember(lang);
                                let typed = Typed::read();
                                store.lang.set(lang);
                                // The page is drawn again once the reactive system runs.
                                request_animation_frame(move || typed.restore());
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

/// What the form's fields hold, in page order, so a language switch (which draws the page
/// again) keeps text typed but not yet taken — a half-typed number, a sweep's values.
struct Typed(Vec<String>);

impl Typed {
    /// Text fields, text areas, choices and check boxes: what the form is made of.
    const FIELDS: &'static str = "main input:not([type=file]), main textarea, main select";

    fn fields() -> Vec<web_sys::Element> {
        let list = document().query_selector_all(Self::FIELDS);
        list.map(|list| {
            (0..list.length())
                .filter_map(|i| list.item(i))
                .filter_map(|node| node.dyn_into::<web_sys::Element>().ok())
                .collect()
        })
        .unwrap_or_default()
    }

    fn value(field: &web_sys::Element) -> String {
        if let Some(input) = field.dyn_ref::<web_sys::HtmlInputElement>() {
            if matches!(input.type_().as_str(), "checkbox" | "radio") {
                return input.checked().to_string();
            }
            return input.value();
        }
        if let Some(area) = field.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            return area.value();
        }
        field
            .dyn_ref::<web_sys::HtmlSelectElement>()
            .map(|s| s.value())
            .unwrap_or_default()
    }

    /// Reads every field now.
    fn read() -> Self {
        Typed(Self::fields().iter().map(Self::value).collect())
    }

    /// Puts back what differs in the page drawn again, telling each field's owner as typing
    /// would (an input event, then a change event).
    fn restore(self) {
        let fields = Self::fields();
        if fields.len() != self.0.len() {
            return;
        }
        for (field, was) in fields.iter().zip(self.0) {
            if Self::value(field) == was {
                continue;
            }
            if let Some(input) = field.dyn_ref::<web_sys::HtmlInputElement>() {
                if matches!(input.type_().as_str(), "checkbox" | "radio") {
                    input.set_checked(was == "true");
                } else {
                    input.set_value(&was);
                }
            } else if let Some(area) = field.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                area.set_value(&was);
            } else if let Some(select) = field.dyn_ref::<web_sys::HtmlSelectElement>() {
                select.set_value(&was);
            }
            for kind in ["input", "change"] {
                if let Ok(event) = web_sys::Event::new_with_event_init_dict(kind, &{
                    let init = web_sys::EventInit::new();
                    init.set_bubbles(true);
                    init
                }) {
                    let _ = field.dispatch_event(&event);
                }
            }
        }
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
                <StartPanel />
                <DistillPanel />
                <TrainingForm />
                <RobustnessPanel />
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
