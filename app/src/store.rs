//! The page's state: the config being edited, the runs, the run in progress, and the workers.

use leptos::prelude::*;
use tradeoff_core::classroom::Classroom;
use tradeoff_core::compare::{Change, CostAxis, config_changes};
use tradeoff_core::compress::KEPT_MODELS;
use tradeoff_core::config::{BackendPreference, RunConfig};
use tradeoff_core::cost::ModelCost;
use tradeoff_core::data::{Preview, builtin_dataset};
use tradeoff_core::i18n::key;
use tradeoff_core::local::{Fit, ImportReport, LOCAL_DATASET, LocalSummary};
use tradeoff_core::metrics::{EpochMetrics, StepMetrics};
use tradeoff_core::msg;
use tradeoff_core::protocol::{FromWorker, ToWorker};
use tradeoff_core::record::{Compression, RunRecord, RunStatus};
use tradeoff_core::setting::Setting;
use tradeoff_core::share::SharedResult;
use tradeoff_core::sweep::{PlannedRun, SweepConfig};
use tradeoff_core::url;
use wasm_bindgen::prelude::*;

use crate::persist;
use crate::worker_client::{Handle, WorkerKind};

/// A finished (or stopped, diverged, failed) run in the runs table.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Page-local id.
    pub id: u32,
    /// Where it is kept in the browser's database: its creation time in ms (unique across tabs).
    pub key: f64,
    /// Everything about it.
    pub record: RunRecord,
    /// What changed from the run before it.
    pub changes: Changed,
}

/// What a run changed from the one before it, as the runs table's "changed" column says it.
#[derive(Clone, Debug, PartialEq)]
pub enum Changed {
    /// The settings that differ from the previous trained run (none for the first).
    Settings(Vec<Change>),
    /// A compressed copy of another run (a message in English, translated where shown).
    CopyOf(String),
}

/// The run in progress.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LiveRun {
    /// Page-local id.
    pub id: u32,
    /// Storage key it will be kept under (see [`Run::key`]).
    pub key: f64,
    /// The config it trains.
    pub config: RunConfig,
    /// Backend, once the worker has started it.
    pub backend: Option<String>,
    /// Steps in the whole run (0 until started).
    pub total_steps: usize,
    /// Figures read back so far.
    pub steps: Vec<StepMetrics>,
    /// Finished epochs.
    pub epochs: Vec<EpochMetrics>,
    /// Seconds since the worker started it.
    pub elapsed_seconds: f64,
    /// Held by the user.
    pub paused: bool,
    /// What the worker is doing, when not stepping.
    pub message: String,
}

/// A built-in dataset on its way from the server.
#[derive(Clone, Debug, PartialEq)]
pub struct Download {
    /// Built-in dataset id.
    pub dataset: String,
    /// Bytes so far.
    pub received: u64,
    /// Bytes in all, when known.
    pub total: Option<u64>,
}

/// A dataset's preview as the worker sent it: classes, counts and samples, or why not.
pub type PreviewResult = Result<Box<Preview>, String>;

/// A sweep in progress: its planned runs and how far it has got.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepProgress {
    /// The runs, in order.
    pub runs: Vec<PlannedRun>,
    /// Combinations left out, with reasons.
    pub skipped: Vec<String>,
    /// Index of the run training now (or next).
    pub current: usize,
    /// Page ids of the sweep's runs so far.
    pub ids: Vec<u32>,
    /// Seconds each finished sweep run took, wall clock.
    pub seconds: Vec<f64>,
    /// When the current run was started (ms since the epoch).
    pub current_started: f64,
}

impl SweepProgress {
    /// Seconds left, estimated from the runs done so far (`None` before the first ends).
    pub fn seconds_left(&self, now_ms: f64) -> Option<f64> {
        if self.seconds.is_empty() {
            return None;
        }
        let mean = self.seconds.iter().sum::<f64>() / self.seconds.len() as f64;
        let current = ((now_ms - self.current_started) / 1000.0).min(mean);
        Some(mean * (self.runs.len() - self.current) as f64 - current)
    }
}

/// A compression the worker is doing.
#[derive(Clone, Debug, PartialEq)]
pub struct Compressing {
    /// Id the compressed run will have.
    pub id: u32,
    /// The run compressed.
    pub parent_id: u32,
    /// How, in words.
    pub label: String,
}

/// A notice at the top of the page.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// `info`, `warning` or `error` (CSS class).
    pub level: &'static str,
    /// The text.
    pub text: String,
}

/// A training worker's crash, for the error panel.
#[derive(Clone, Debug)]
pub struct Crash {
    /// Which worker: the CPU one starts again at once, the WebGPU one with the next WebGPU run.
    pub worker: WorkerKind,
    /// What it said, to copy into a report.
    pub details: String,
}

/// Signals shared by every component (provided as context).
#[derive(Clone, Copy)]
pub struct Store {
    /// The config the controls edit; mirrored in the address bar.
    pub config: RwSignal<RunConfig>,
    /// Finished runs, oldest first.
    pub runs: RwSignal<Vec<Run>>,
    /// The run in progress.
    pub live: RwSignal<Option<LiveRun>>,
    /// The run whose details are shown.
    pub selected: RwSignal<Option<u32>>,
    /// Runs whose curves are overlaid on the live charts.
    pub overlay: RwSignal<Vec<u32>>,
    /// X axis of the trade-off chart.
    pub axis: RwSignal<CostAxis>,
    /// Messages for the user.
    pub notices: RwSignal<Vec<Notice>>,
    /// The last worker crash, for the error panel.
    pub crash: RwSignal<Option<Crash>>,
    /// The backend the last run used.
    pub backend_in_use: RwSignal<Option<String>>,
    /// Previews of built-in datasets by id, as they arrive.
    pub previews: RwSignal<Vec<(String, PreviewResult)>>,
    /// The dataset download in progress.
    pub download: RwSignal<Option<Download>>,
    /// The training worker's memory after its last run, in bytes.
    pub worker_memory: RwSignal<Option<u64>>,
    /// The language the page is shown in (see `crate::i18n`).
    pub lang: RwSignal<tradeoff_core::i18n::Lang>,
    /// Whether the runs kept from earlier visits have been read (Train waits for it).
    pub restored: RwSignal<bool>,
    /// The sweep in progress.
    pub sweep: RwSignal<Option<SweepProgress>>,
    /// The compression in progress.
    pub compressing: RwSignal<Option<Compressing>>,
    /// The user's own images as the worker last described them (`None` until it has).
    pub local: RwSignal<Option<LocalSummary>>,
    /// Files of the import in progress: done and in all.
    pub importing: RwSignal<Option<(usize, usize)>>,
    /// What the last import did.
    pub import_report: RwSignal<Option<ImportReport>>,
    /// How imported photos that are not square are made square.
    pub fit: RwSignal<Fit>,
    /// Runs whose trained model a worker still holds, and which worker (trained since the page
    /// opened, the latest [`KEPT_MODELS`]): only these can be compressed or downloaded.
    models_in_memory: RwSignal<Vec<(u32, WorkerKind)>>,
    /// Controls the link hides or locks, and its lesson.
    pub classroom: RwSignal<Classroom>,
    /// How many class changes the worker has refused: a name box shows its class's real name
    /// again after each (the refused text would otherwise stay, looking accepted).
    pub local_refusals: RwSignal<u32>,
    /// The run whose model file the worker is writing.
    pub saving_model: RwSignal<Option<u32>>,
    /// A result a link carried, added once the kept runs are read (so it is not doubled).
    shared_waiting: StoredValue<Option<RunRecord>>,
    /// When the run in progress was last noted in localStorage.
    live_saved_at: StoredValue<f64>,
    /// The CPU worker, started with the page (afresh after a crash), or why there is none.
    cpu_worker: StoredValue<Result<Handle, String>, LocalStorage>,
    /// The WebGPU worker, fetched for the first run that asks for WebGPU.
    gpu_worker: StoredValue<GpuWorker, LocalStorage>,
    /// Where messages about the run or compression in progress go.
    run_route: StoredValue<RunRoute>,
    next_id: StoredValue<u32>,
}

/// The WebGPU worker's state.
enum GpuWorker {
    /// Not fetched: no run has asked for WebGPU yet (or it crashed).
    NotLoaded,
    /// Fetched or being fetched; runs that ask for WebGPU go to it.
    Started(Handle),
    /// The browser offers no WebGPU adapter, or the worker would not load: runs that ask for
    /// WebGPU go to the CPU worker, which says why on each.
    Unavailable,
}

/// Where messages about the run or compression in progress go.
enum RunRoute {
    /// To this worker.
    On(WorkerKind),
    /// Nowhere yet: the page is asking the browser for a WebGPU adapter. Pause or Stop
    /// pressed meanwhile wait here.
    Deciding(Vec<ToWorker>),
}

impl Store {
    /// Number of classes of the config's dataset: the user's own classes once described (at
    /// least 2, so a stack can be checked before they are made).
    pub fn classes_of(&self, config: &RunConfig) -> usize {
        if config.dataset == LOCAL_DATASET {
            self.local
                .with(|l| l.as_ref().map_or(2, |l| l.classes.len().max(2)))
        } else {
            url::dataset_classes(&config.dataset).unwrap_or(2)
        }
    }

    /// Why the user's own images cannot be trained on now, when they are the dataset.
    pub fn local_blocker(&self) -> Option<String> {
        if self.config.with(|c| c.dataset != LOCAL_DATASET) {
            return None;
        }
        if self.importing.with(Option::is_some) {
            return Some(msg!("Images are being added…"));
        }
        self.local.with(|l| match l {
            None => Some(msg!("Reading your images…")),
            Some(l) => l.problems.first().map(|p| msg!("Add images first: {p}.")),
        })
    }

    /// Creates the store and starts the worker; reads a config from the address bar if any.
    pub fn new() -> Self {
        let store = Store {
            config: RwSignal::new(RunConfig::default()),
            runs: RwSignal::new(Vec::new()),
            live: RwSignal::new(None),
            selected: RwSignal::new(None),
            overlay: RwSignal::new(Vec::new()),
            axis: RwSignal::new(CostAxis::TrainingTime),
            notices: RwSignal::new(Vec::new()),
            crash: RwSignal::new(None),
            backend_in_use: RwSignal::new(None),
            previews: RwSignal::new(Vec::new()),
            download: RwSignal::new(None),
            worker_memory: RwSignal::new(None),
            restored: RwSignal::new(false),
            lang: RwSignal::new(crate::i18n::initial_lang()),
            sweep: RwSignal::new(None),
            compressing: RwSignal::new(None),
            models_in_memory: RwSignal::new(Vec::new()),
            local: RwSignal::new(None),
            importing: RwSignal::new(None),
            import_report: RwSignal::new(None),
            fit: RwSignal::new(Fit::Crop),
            classroom: RwSignal::new(Classroom::default()),
            saving_model: RwSignal::new(None),
            local_refusals: RwSignal::new(0),
            shared_waiting: StoredValue::new(None),
            live_saved_at: StoredValue::new(0.0),
            cpu_worker: StoredValue::new_local(Err(String::new())),
            gpu_worker: StoredValue::new_local(GpuWorker::NotLoaded),
            run_route: StoredValue::new(RunRoute::On(WorkerKind::Cpu)),
            next_id: StoredValue::new(1),
        };
        store.read_link();
        // A link pasted into this tab's address bar changes only the hash: read it too.
        let on_hash = Closure::<dyn Fn()>::new(move || {
            let hash = window().location().hash().unwrap_or_default();
            if hash != format!("#{}", store.hash_untracked()) {
                store.read_link();
            }
        });
        window().set_onhashchange(Some(on_hash.as_ref().unchecked_ref()));
        on_hash.forget();
        store.start_worker();
        leptos::task::spawn_local(store.restore());
        // Each chosen built-in dataset is described once (the worker keeps it for training).
        let dataset = Memo::new(move |_| store.config.with(|c| c.dataset.clone()));
        Effect::new(move |_| {
            let id = dataset.get();
            let known = store
                .previews
                .with_untracked(|p| p.iter().any(|(d, _)| *d == id));
            if !known && builtin_dataset(&id).is_some() {
                store.send(ToWorker::Preview { dataset: id });
            }
        });
        // The user's images are described once they are the dataset (again after a crash).
        Effect::new(move |_| {
            if dataset.get() == LOCAL_DATASET && store.local.with(Option::is_none) {
                store.send(ToWorker::Local);
            }
        });
        store
    }

    /// Whether the link hides `control`, and whether it locks it.
    pub fn hidden_locked(&self, control: Setting) -> (Memo<bool>, Memo<bool>) {
        let room = self.classroom;
        (
            Memo::new(move |_| room.with(|r| r.is_hidden(control))),
            Memo::new(move |_| room.with(|r| r.is_locked(control))),
        )
    }

    /// The preview of built-in dataset `id`, once it has arrived.
    pub fn preview(&self, id: &str) -> Option<PreviewResult> {
        self.previews
            .with(|p| p.iter().find(|(d, _)| d == id).map(|(_, r)| r.clone()))
    }

    /// Adds a notice.
    pub fn notify(&self, level: &'static str, text: impl Into<String>) {
        let text = text.into();
        self.notices.update(|n| {
            n.retain(|x| x.text != text);
            n.push(Notice { level, text });
        });
    }

    fn read_link(&self) {
        let hash = window().location().hash().unwrap_or_default();
        if hash.len() > 1 {
            self.open_link(&hash);
        }
    }

    /// Opens a link's hash: its settings, hidden and locked controls, lesson and result.
    pub fn open_link(&self, hash: &str) {
        match url::from_hash(hash) {
            Ok(parsed) => {
                let local = parsed.config.dataset == LOCAL_DATASET;
                self.classroom.set(parsed.classroom.clone());
                let shared = parsed.result.is_some();
                if let Some(result) = parsed.result {
                    let record = parsed
                        .config
                        .validate(self.classes_of(&parsed.config))
                        .ok()
                        .map(|cost| result.into_record(parsed.config.clone(), cost));
                    self.shared_waiting.set_value(record);
                    if self.restored.get_untracked() {
                        self.add_shared();
                    }
                }
                self.config.set(parsed.config);
                // A lesson explains itself in its card, and a result in a notice of its own.
                if parsed.classroom.lesson.is_none() && !shared {
                    self.notify(
                        "info",
                        if local {
                            key("Settings loaded from the link. It was trained on its author's own images, which never left their browser: add your own under Data → Your own images (any classes you like), then press Train.")
                        } else {
                            key("Settings loaded from the link. Press Train to run them.")
                        },
                    );
                }
                if let Some(why) = parsed.result_error {
                    self.notify(
                        "warning",
                        msg!("The link's result could not be read, so only its settings are shown: {why}."),
                    );
                }
                if !parsed.ignored_keys.is_empty() {
                    self.notify(
                        "warning",
                        msg!(
                            "The link had settings this page does not know, ignored: {}",
                            parsed.ignored_keys.join(", ")
                        ),
                    );
                }
            }
            Err(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                self.notify(
                    "error",
                    msg!(
                        "The link could not be read, so the defaults are shown. {}",
                        list.join("; ")
                    ),
                );
            }
        }
    }

    /// Adds the result a link carried as a run marked shared (once: opening the same link
    /// again selects the run it made).
    fn add_shared(&self) {
        let Some(record) = self.shared_waiting.try_update_value(Option::take).flatten() else {
            return;
        };
        let known = self.runs.with_untracked(|runs| {
            runs.iter()
                .find(|r| r.record.shared && r.record == record)
                .map(|r| r.id)
        });
        let id = match known {
            Some(id) => id,
            None => {
                let key = js_sys::Date::now();
                self.save(key, &record);
                self.push_run(key, record)
            }
        };
        self.selected.set(Some(id));
        self.notify(
            "info",
            msg!("This link carries a result measured on the sender's device: it is run {id}, marked \"shared result\". Press Train to re-run it and verify."),
        );
    }

    /// Keeps `record` in the browser's database, saying so if it cannot.
    fn save(&self, key: f64, record: &RunRecord) {
        let store = *self;
        let saved = record.clone();
        leptos::task::spawn_local(async move {
            if let Err(reason) = persist::save_run(key, &saved).await {
                store.notify(
                    "warning",
                    msg!("This run will not be kept after the page closes: {reason}."),
                );
            }
        });
    }

    /// Adds runs read from an exported file, leaving out those already in the table; returns
    /// how many were added.
    pub fn import_runs(&self, records: Vec<RunRecord>) -> usize {
        let mut added = 0;
        for (i, record) in records.into_iter().enumerate() {
            if self
                .runs
                .with_untracked(|runs| runs.iter().any(|r| r.record == record))
            {
                continue;
            }
            // Distinct keys even within one millisecond.
            let key = js_sys::Date::now() + i as f64 * 1e-3;
            self.save(key, &record);
            self.push_run(key, record);
            added += 1;
        }
        added
    }

    /// The hash the address bar holds: the config, hidden and locked controls, lesson.
    fn hash_untracked(&self) -> String {
        self.config.with_untracked(|c| {
            self.classroom
                .with_untracked(|room| url::to_link(c, room, None))
        })
    }

    /// A link to run `id` with its result, for whoever should see it without training.
    pub fn result_link(&self, id: u32) -> Option<String> {
        let hash = self.runs.with_untracked(|runs| {
            let run = runs.iter().find(|r| r.id == id)?;
            let room = self.classroom.get_untracked();
            Some(url::to_link(
                &run.record.config,
                &room,
                Some(&SharedResult::of(&run.record)),
            ))
        })?;
        Some(format!("{}#{hash}", self.base_url()))
    }

    fn base_url(&self) -> String {
        let location = window().location();
        format!(
            "{}{}",
            location.origin().unwrap_or_default(),
            location.pathname().unwrap_or_default()
        )
    }

    /// Writes the config, hidden and locked controls and lesson into the address bar (without
    /// adding history entries).
    pub fn write_link(&self, config: &RunConfig, classroom: &Classroom) {
        let hash = format!("#{}", url::to_link(config, classroom, None));
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&hash));
        }
    }

    /// The full link of the current config.
    pub fn link(&self) -> String {
        format!("{}#{}", self.base_url(), self.hash_untracked())
    }

    /// Starts the worker of `kind`, its messages and errors routed back here.
    fn spawn_worker(&self, kind: WorkerKind) -> Result<Handle, String> {
        let store = *self;
        Handle::spawn(
            kind,
            move |message| store.on_message(kind, message),
            move |reason| store.on_worker_error(kind, reason),
        )
    }

    fn start_worker(&self) {
        let handle = self.spawn_worker(WorkerKind::Cpu);
        if let Err(message) = &handle {
            self.notify("error", message.clone());
        }
        self.cpu_worker.set_value(handle);
    }

    /// Asks the worker to change the user's classes or images (see [`ToWorker`]).
    pub fn change_local(&self, message: ToWorker) {
        self.send(message);
    }

    /// Adds `files` (path, file) to class `class` — or to the classes their folders name.
    pub fn import(&self, class: Option<u32>, files: Vec<(String, web_sys::Blob)>) {
        if files.is_empty() {
            return;
        }
        let ready = self
            .cpu_worker
            .with_value(|w| w.as_ref().is_ok_and(Handle::is_ready));
        if !ready {
            self.notify(
                "warning",
                key("The page is still starting: add the images again in a moment."),
            );
            return;
        }
        let total = files.len();
        let (paths, blobs): (Vec<String>, Vec<web_sys::Blob>) = files.into_iter().unzip();
        let message = ToWorker::Import {
            class,
            paths,
            fit: self.fit.get_untracked(),
        };
        self.cpu_worker.with_value(|w| {
            if let Ok(w) = w {
                w.send_with_files(&message, &blobs);
            }
        });
        self.import_report.set(None);
        self.importing.set(Some((0, total)));
    }

    /// Sends a message about datasets or the user's images: the CPU worker keeps those.
    fn send(&self, message: ToWorker) {
        self.send_to(WorkerKind::Cpu, message);
    }

    /// Sends `message` to the worker of `kind` (to the CPU worker if the WebGPU one is gone).
    fn send_to(&self, kind: WorkerKind, message: ToWorker) {
        let unsent = match kind {
            WorkerKind::Cpu => {
                let refused = self
                    .cpu_worker
                    .try_update_value(|w| match w {
                        Ok(w) => {
                            w.send(message);
                            None
                        }
                        Err(why) => Some((message, why.clone())),
                    })
                    .flatten();
                if let Some((message, why)) = refused {
                    self.refuse(message, why);
                }
                None
            }
            WorkerKind::Gpu => self
                .gpu_worker
                .try_update_value(|gpu| match gpu {
                    GpuWorker::Started(handle) => {
                        handle.send(message);
                        None
                    }
                    _ => Some(message),
                })
                .flatten(),
        };
        if let Some(message) = unsent {
            self.send_to(WorkerKind::Cpu, message);
        }
    }

    /// Answers `message` for a worker that is not there: a run, compression or dataset
    /// preview waiting for it ends with `why`.
    fn refuse(&self, message: ToWorker, why: String) {
        let answer = match message {
            ToWorker::Train { run_id, .. } | ToWorker::Compress { run_id, .. } => {
                FromWorker::Error {
                    run_id,
                    message: why,
                }
            }
            ToWorker::Preview { dataset } => FromWorker::Preview {
                dataset,
                result: Err(why),
            },
            _ => return,
        };
        self.on_message(WorkerKind::Cpu, answer);
    }

    /// Sends Pause, Resume or Stop to the worker of the run in progress (they wait while the
    /// page decides which worker that is).
    fn send_to_run(&self, message: ToWorker) {
        let to = self
            .run_route
            .try_update_value(|route| match route {
                RunRoute::On(kind) => Some((*kind, message)),
                RunRoute::Deciding(waiting) => {
                    waiting.push(message);
                    None
                }
            })
            .flatten();
        if let Some((kind, message)) = to {
            self.send_to(kind, message);
        }
    }

    /// Makes `kind` the worker of the run or compression in progress and sends it
    /// `message`, then whatever waited for the choice.
    fn dispatch(&self, kind: WorkerKind, message: ToWorker) {
        let waiting = match self
            .run_route
            .try_update_value(|route| std::mem::replace(route, RunRoute::On(kind)))
        {
            Some(RunRoute::Deciding(waiting)) => waiting,
            _ => Vec::new(),
        };
        self.send_to(kind, message);
        for message in waiting {
            self.send_to(kind, message);
        }
    }

    /// Sends run `id` to the worker for its backend: CPU runs, and every run where WebGPU
    /// cannot be used, to the CPU worker; others to the WebGPU worker, fetched the first time
    /// one asks for it — once the browser has said it has an adapter, so a machine without
    /// WebGPU never downloads it.
    fn train_on_worker(&self, id: u32, config: RunConfig) {
        let kind = if config.backend == BackendPreference::Cpu {
            Some(WorkerKind::Cpu)
        } else {
            self.gpu_worker.with_value(|gpu| match gpu {
                GpuWorker::NotLoaded => None,
                GpuWorker::Started(_) => Some(WorkerKind::Gpu),
                GpuWorker::Unavailable => Some(WorkerKind::Cpu),
            })
        };
        let train = ToWorker::Train { run_id: id, config };
        if let Some(kind) = kind {
            return self.dispatch(kind, train);
        }
        self.run_route.set_value(RunRoute::Deciding(Vec::new()));
        let store = *self;
        leptos::task::spawn_local(async move {
            let kind = match crate::webgpu::adapter().await {
                Ok(adapter) => store.start_gpu_worker(id, &adapter.name),
                // The CPU worker asks again and says why WebGPU is not used.
                Err(_) => {
                    store.gpu_worker.set_value(GpuWorker::Unavailable);
                    WorkerKind::Cpu
                }
            };
            store.dispatch(kind, train);
        });
    }

    /// Fetches the WebGPU worker for run `id` on `adapter`; says where the run goes.
    fn start_gpu_worker(&self, id: u32, adapter: &str) -> WorkerKind {
        match self.spawn_worker(WorkerKind::Gpu) {
            Ok(handle) => {
                self.gpu_worker.set_value(GpuWorker::Started(handle));
                self.update_live(id, |l| {
                    l.message = msg!("loading the trainer for {adapter}")
                });
                WorkerKind::Gpu
            }
            Err(_) => {
                self.gpu_worker.set_value(GpuWorker::Unavailable);
                WorkerKind::Cpu
            }
        }
    }

    /// The worker that holds run `id`'s trained model, if one does.
    fn model_home(&self, id: u32) -> Option<WorkerKind> {
        self.models_in_memory
            .with_untracked(|m| m.iter().find(|(run, _)| *run == id).map(|(_, t)| *t))
    }

    /// Whether a worker still holds run `id`'s trained model (it can be compressed or saved).
    pub fn has_model(&self, id: u32) -> bool {
        self.models_in_memory
            .with(|m| m.iter().any(|(run, _)| *run == id))
    }

    /// Why the current config cannot be trained, or its cost.
    pub fn check(&self) -> Result<ModelCost, Vec<tradeoff_core::setting::ConfigError>> {
        self.config.with(|c| c.validate(self.classes_of(c)))
    }

    /// Reads the runs kept from earlier visits; a run that was training when the page closed
    /// is kept as interrupted.
    async fn restore(self) {
        let mut kept = match persist::load_runs().await {
            Ok(kept) => kept,
            Err(reason) => {
                self.notify(
                    "warning",
                    msg!("Runs will not be kept after this page closes: {reason}."),
                );
                Vec::new()
            }
        };
        if let Some((key, record)) = persist::last_live() {
            if !kept.iter().any(|(k, _)| *k == key) {
                if persist::save_run(key, &record).await.is_ok() {
                    persist::clear_live();
                }
                kept.push((key, record));
            } else {
                persist::clear_live();
            }
        }
        for (key, record) in kept {
            self.push_run(key, record);
        }
        self.selected.set(None);
        self.restored.set(true);
        self.add_shared();
    }

    /// Adds a kept run to the table under the next id, which it returns.
    fn push_run(&self, key: f64, record: RunRecord) -> u32 {
        let id = self.take_id();
        self.add_run(id, key, record);
        id
    }

    /// Adds run `id` to the table, saying what changed from the run before it.
    fn add_run(&self, id: u32, key: f64, record: RunRecord) {
        let changes = self.runs.with_untracked(|runs| match &record.compression {
            Some(info) => {
                let parent = runs
                    .iter()
                    .find(|r| Some(r.key) == info.parent_key)
                    .map_or(msg!("a deleted run"), |r| msg!("run {}", r.id));
                Changed::CopyOf(msg!("{} copy of {parent}", info.method.label()))
            }
            None => Changed::Settings(
                runs.iter()
                    .rev()
                    .find(|r| r.record.compression.is_none())
                    .map(|prev| config_changes(&prev.record.config, &record.config))
                    .unwrap_or_default(),
            ),
        });
        self.runs.update(|runs| {
            runs.push(Run {
                id,
                key,
                record,
                changes,
            })
        });
    }

    /// The run in progress as a record, as it would be kept if the page closed now.
    fn live_record(&self, live: &LiveRun, status: RunStatus) -> Option<RunRecord> {
        let cost = live.config.validate(self.classes_of(&live.config)).ok()?;
        Some(RunRecord {
            config: live.config.clone(),
            cost,
            backend: live.backend.clone().unwrap_or_else(|| msg!("unknown")),
            status,
            steps: live.steps.clone(),
            epochs: live.epochs.clone(),
            summary: None,
            compression: None,
            shared: false,
        })
    }

    /// Notes the run in progress in localStorage, at most every two seconds (and at once when
    /// `now` is set), so a closed tab leaves it behind as interrupted.
    fn note_live(&self, now: bool) {
        let time = js_sys::Date::now();
        if !now && time - self.live_saved_at.get_value() < 2000.0 {
            return;
        }
        self.live_saved_at.set_value(time);
        self.live.with_untracked(|l| {
            if let Some(l) = l {
                let step = l.steps.last().map(|s| s.step).unwrap_or(0);
                if let Some(record) = self.live_record(l, RunStatus::Interrupted { step }) {
                    persist::save_live(l.key, &record);
                }
            }
        });
    }

    /// Whether a run, sweep or compression is under way (Train waits for it to end).
    pub fn busy(&self) -> bool {
        self.live.with(Option::is_some)
            || self.sweep.with(Option::is_some)
            || self.compressing.with(Option::is_some)
    }

    /// Starts training the current config.
    pub fn train(&self) {
        if self.busy_untracked() || !self.restored.get_untracked() || self.check().is_err() {
            return;
        }
        self.launch(self.config.get_untracked());
    }

    fn busy_untracked(&self) -> bool {
        untrack(|| self.busy())
    }

    fn take_id(&self) -> u32 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        id
    }

    /// Plans `sweep` around the current config and starts its first run; says why not in a
    /// notice if it cannot.
    pub fn start_sweep(&self, sweep: &SweepConfig) {
        if self.busy_untracked() || !self.restored.get_untracked() {
            return;
        }
        if let Some(why) = untrack(|| self.local_blocker()) {
            return self.notify("error", msg!("The sweep cannot start. {why}"));
        }
        let base = self.config.get_untracked();
        match sweep.plan(&base, self.classes_of(&base)) {
            Ok(plan) => {
                let first = plan.runs[0].config.clone();
                self.sweep.set(Some(SweepProgress {
                    runs: plan.runs,
                    skipped: plan.skipped,
                    current: 0,
                    ids: Vec::new(),
                    seconds: Vec::new(),
                    current_started: js_sys::Date::now(),
                }));
                let id = self.launch(first);
                self.sweep
                    .update(|s| s.iter_mut().for_each(|s| s.ids.push(id)));
            }
            Err(reason) => self.notify("error", msg!("The sweep cannot start: {reason}.")),
        }
    }

    /// Ends the sweep: the run in progress stops (and is kept); no further runs start.
    pub fn cancel_sweep(&self) {
        if self.sweep.with_untracked(Option::is_some) {
            self.sweep.set(None);
            self.stop();
        }
    }

    /// After run `id` of a sweep ended: starts the next, or ends the sweep.
    fn continue_sweep(&self, id: u32) {
        let Some(mut sweep) = self.sweep.get_untracked() else {
            return;
        };
        if sweep.ids.last() != Some(&id) {
            return;
        }
        sweep
            .seconds
            .push((js_sys::Date::now() - sweep.current_started) / 1000.0);
        sweep.current += 1;
        if sweep.current >= sweep.runs.len() {
            self.sweep.set(None);
            self.notify(
                "info",
                msg!(
                    "The sweep finished: {} runs. The trade-off chart marks the best ones.",
                    sweep.runs.len()
                ),
            );
            return;
        }
        sweep.current_started = js_sys::Date::now();
        let config = sweep.runs[sweep.current].config.clone();
        self.sweep.set(Some(sweep));
        let id = self.launch(config);
        self.sweep
            .update(|s| s.iter_mut().for_each(|s| s.ids.push(id)));
    }

    /// Asks the worker to compress run `parent_id`'s model.
    pub fn compress(&self, parent_id: u32, method: Compression) {
        if self.busy_untracked() {
            return;
        }
        let id = self.take_id();
        self.compressing.set(Some(Compressing {
            id,
            parent_id,
            label: method.label(),
        }));
        let home = self.model_home(parent_id).unwrap_or(WorkerKind::Cpu);
        self.dispatch(
            home,
            ToWorker::Compress {
                parent_id,
                run_id: id,
                method,
            },
        );
    }

    /// Starts training `config` as a new run; returns its id.
    fn launch(&self, config: RunConfig) -> u32 {
        let id = self.take_id();
        self.live.set(Some(LiveRun {
            id,
            key: js_sys::Date::now(),
            config: config.clone(),
            message: msg!("starting"),
            ..LiveRun::default()
        }));
        self.train_on_worker(id, config);
        id
    }

    /// Ends the run in progress; its partial record is kept.
    pub fn stop(&self) {
        self.send_to_run(ToWorker::Stop);
    }

    /// Holds or continues the run in progress.
    pub fn set_paused(&self, paused: bool) {
        self.send_to_run(if paused {
            ToWorker::Pause
        } else {
            ToWorker::Resume
        });
        self.live.update(|l| {
            if let Some(l) = l {
                l.paused = paused;
            }
        });
    }

    /// Asks the worker for run `id`'s trained model as a file (downloaded when it comes).
    pub fn save_model(&self, id: u32) {
        self.saving_model.set(Some(id));
        let home = self.model_home(id).unwrap_or(WorkerKind::Cpu);
        self.send_to(home, ToWorker::SaveModel { run_id: id });
    }

    /// Removes a run from the table.
    pub fn delete(&self, id: u32) {
        let key = self
            .runs
            .with_untracked(|runs| runs.iter().find(|r| r.id == id).map(|r| r.key));
        if let Some(key) = key {
            let store = *self;
            leptos::task::spawn_local(async move {
                if let Err(reason) = persist::forget_run(key).await {
                    store.notify(
                        "warning",
                        msg!("The run may come back after a reload: {reason}."),
                    );
                }
            });
        }
        self.runs.update(|runs| runs.retain(|r| r.id != id));
        self.overlay.update(|o| o.retain(|&x| x != id));
        if self.selected.get_untracked() == Some(id) {
            self.selected.set(None);
        }
    }

    fn compressing_id(&self) -> Option<u32> {
        self.compressing
            .with_untracked(|c| c.as_ref().map(|c| c.id))
    }

    fn live_id(&self) -> Option<u32> {
        self.live.with_untracked(|l| l.as_ref().map(|l| l.id))
    }

    fn update_live(&self, run_id: u32, f: impl FnOnce(&mut LiveRun)) {
        self.live.update(|l| {
            if let Some(l) = l.as_mut().filter(|l| l.id == run_id) {
                f(l);
            }
        });
    }

    fn on_message(&self, from: WorkerKind, message: FromWorker) {
        match message {
            FromWorker::Ready => match from {
                WorkerKind::Cpu => self.cpu_worker.update_value(|w| {
                    if let Ok(w) = w {
                        w.ready();
                    }
                }),
                WorkerKind::Gpu => self.gpu_worker.update_value(|gpu| {
                    if let GpuWorker::Started(handle) = gpu {
                        handle.ready();
                    }
                }),
            },
            FromWorker::Loading { run_id, message } => {
                self.update_live(run_id, |l| l.message = message)
            }
            FromWorker::Started {
                run_id,
                backend,
                total_steps,
                fallback_reason,
            } => {
                self.download.set(None);
                if let Some(reason) = fallback_reason {
                    self.notify("warning", reason);
                }
                self.backend_in_use.set(Some(backend.clone()));
                self.update_live(run_id, |l| {
                    l.backend = Some(backend);
                    l.total_steps = total_steps;
                    l.message = String::new();
                });
                self.note_live(true);
            }
            FromWorker::Steps {
                run_id,
                steps,
                elapsed_seconds,
            } => {
                self.update_live(run_id, |l| {
                    l.steps.extend(steps);
                    l.elapsed_seconds = elapsed_seconds;
                });
                self.note_live(false);
            }
            FromWorker::Epoch { run_id, metrics } => {
                self.update_live(run_id, |l| l.epochs.push(metrics));
                self.note_live(true);
            }
            FromWorker::Finished { run_id, record } => self.finish(run_id, *record),
            FromWorker::Error { run_id, message } => {
                self.download.set(None);
                if self.compressing_id() == Some(run_id) {
                    self.compressing.set(None);
                    self.notify(
                        "error",
                        msg!("The model could not be compressed: {message}."),
                    );
                    return;
                }
                if self.live_id() == Some(run_id) {
                    self.live.set(None);
                }
                if self.sweep.with_untracked(Option::is_some) {
                    self.sweep.set(None);
                    self.notify(
                        "error",
                        msg!("The sweep stopped: a run could not start: {message}"),
                    );
                } else {
                    self.notify("error", msg!("The run could not start: {message}"));
                }
            }
            FromWorker::Crashed { message } => self.on_crash(from, message),
            FromWorker::Memory { wasm_bytes } => self.worker_memory.set(Some(wasm_bytes)),
            FromWorker::Download {
                dataset,
                received,
                total,
            } => self.download.set(Some(Download {
                dataset,
                received,
                total,
            })),
            FromWorker::Local { summary } => {
                self.local.set(Some(*summary));
                // The WebGPU worker reads them again before it next trains on them.
                self.gpu_worker.update_value(|gpu| {
                    if let GpuWorker::Started(handle) = gpu {
                        handle.send(ToWorker::ImagesChanged);
                    }
                });
            }
            FromWorker::LocalRefused { message } => {
                self.local_refusals.update(|n| *n += 1);
                self.notify("error", msg!("Your images: {message}."))
            }
            FromWorker::ImportProgress { done, total } => self.importing.set(Some((done, total))),
            FromWorker::Imported { report } => {
                self.importing.set(None);
                self.import_report.set(Some(report));
            }
            FromWorker::ModelFile {
                run_id,
                error,
                bytes,
            } => {
                self.saving_model.set(None);
                let saved = match error {
                    Some(why) => Err(why),
                    None => crate::download::save_bytes(
                        &crate::download::stamped(&format!("run-{run_id}"), "safetensors"),
                        "application/octet-stream",
                        &bytes,
                    ),
                };
                if let Err(why) = saved {
                    self.notify(
                        "error",
                        msg!("Run {run_id}'s model could not be saved: {why}."),
                    );
                }
            }
            FromWorker::Preview { dataset, result } => {
                self.download.set(None);
                if let Err(reason) = &result {
                    self.notify("error", msg!("The dataset could not be loaded: {reason}"));
                }
                self.previews.update(|p| p.push((dataset, result)));
            }
        }
    }

    fn finish(&self, run_id: u32, mut record: RunRecord) {
        // Marks the end of training on the page's timeline (tests and profiles read it).
        if let Some(p) = window().performance() {
            let _ = p.mark("tradeoff:run-finished");
        }
        let key = self
            .live
            .with_untracked(|l| l.as_ref().filter(|l| l.id == run_id).map(|l| l.key))
            .unwrap_or_else(js_sys::Date::now);
        if self.live_id() == Some(run_id) {
            self.live.set(None);
            persist::clear_live();
            // The worker keeps the model of a run that reached its results.
            let home = self.run_route.with_value(|route| match route {
                RunRoute::On(kind) => *kind,
                RunRoute::Deciding(_) => WorkerKind::Cpu,
            });
            if record.summary.is_some() {
                self.models_in_memory.update(|m| {
                    m.push((run_id, home));
                    let extra = m.len().saturating_sub(KEPT_MODELS);
                    m.drain(..extra);
                });
            }
        }
        if let Some(c) = self.compressing.get_untracked().filter(|c| c.id == run_id) {
            self.compressing.set(None);
            if let Some(info) = record.compression.as_mut() {
                info.parent_key = self.run_key(c.parent_id);
            }
        }
        if let RunStatus::Failed { reason } = &record.status {
            self.notify(
                "error",
                msg!("The run failed: {reason}. The next run will use the CPU."),
            );
        }
        self.save(key, &record);
        self.add_run(run_id, key, record);
        self.selected.set(Some(run_id));
        self.continue_sweep(run_id);
    }

    /// Storage key of run `id`.
    pub fn run_key(&self, id: u32) -> Option<f64> {
        self.runs
            .with_untracked(|runs| runs.iter().find(|r| r.id == id).map(|r| r.key))
    }

    /// A worker's error event: the WebGPU worker failing to load sends what waited for it to
    /// the CPU worker (which trains there and says why); anything else is a crash.
    fn on_worker_error(&self, kind: WorkerKind, reason: String) {
        let loaded = match kind {
            WorkerKind::Cpu => self
                .cpu_worker
                .with_value(|w| w.as_ref().ok().map(Handle::is_ready)),
            WorkerKind::Gpu => self.gpu_worker.with_value(|gpu| match gpu {
                GpuWorker::Started(handle) => Some(handle.is_ready()),
                GpuWorker::NotLoaded | GpuWorker::Unavailable => None,
            }),
        };
        match (kind, loaded) {
            // A late event from a worker already ended.
            (_, None) => {}
            (_, Some(true)) => self.on_crash(kind, msg!("the training worker stopped: {reason}")),
            (WorkerKind::Gpu, Some(false)) => self.gpu_worker_failed_to_load(&reason),
            (WorkerKind::Cpu, Some(false)) => self.cpu_worker_failed_to_load(&reason),
        }
    }

    /// The CPU worker did not load: starting it again would fail the same way (the page's own
    /// files are missing or refused), so the page says so, keeps everything else, and answers
    /// what waited for the worker (a run pressed early ends with the reason).
    fn cpu_worker_failed_to_load(&self, reason: &str) {
        let why = msg!(
            "the training worker could not be loaded ({reason}); reload the page to try again"
        );
        let old = self
            .cpu_worker
            .try_update_value(|w| std::mem::replace(w, Err(why.clone())));
        let waiting = match old {
            Some(Ok(mut handle)) => {
                let waiting = handle.take_waiting();
                handle.terminate();
                waiting
            }
            _ => Vec::new(),
        };
        // What waited (the dataset preview, always sent at start) says why in its own notice.
        let answered = waiting
            .iter()
            .any(|m| matches!(m, ToWorker::Train { .. } | ToWorker::Preview { .. }));
        for message in waiting {
            self.refuse(message, why.clone());
        }
        if !answered {
            self.notify("error", msg!("Training is not possible: {why}."));
        }
    }

    /// The WebGPU worker did not load (offline before it was ever kept, or its wasm refused):
    /// what waited for it goes to the CPU worker, and so do later WebGPU runs.
    fn gpu_worker_failed_to_load(&self, reason: &str) {
        web_sys::console::warn_1(&format!("the WebGPU worker did not load: {reason}").into());
        let old = self
            .gpu_worker
            .try_update_value(|gpu| std::mem::replace(gpu, GpuWorker::Unavailable));
        let waiting = match old {
            Some(GpuWorker::Started(mut handle)) => {
                let waiting = handle.take_waiting();
                handle.terminate();
                waiting
            }
            _ => Vec::new(),
        };
        self.run_route.update_value(|route| {
            if matches!(route, RunRoute::On(WorkerKind::Gpu)) {
                *route = RunRoute::On(WorkerKind::Cpu);
            }
        });
        for message in waiting {
            self.send_to(WorkerKind::Cpu, message);
        }
    }

    /// Worker `kind` died: keep what it was doing as a failed run, and start a fresh one
    /// (the WebGPU worker when a run next asks for it). The other worker carries on.
    fn on_crash(&self, kind: WorkerKind, message: String) {
        self.crash.set(Some(Crash {
            worker: kind,
            details: message.clone(),
        }));
        // Its trained models are gone; a fresh CPU worker reads the user's images afresh.
        self.models_in_memory
            .update(|m| m.retain(|(_, home)| *home != kind));
        if self
            .saving_model
            .get_untracked()
            .is_some_and(|id| self.model_home(id).is_none())
        {
            self.saving_model.set(None);
        }
        if kind == WorkerKind::Cpu {
            self.importing.set(None);
            self.local.set(None);
        }
        let was_busy_here = self
            .run_route
            .with_value(|route| matches!(route, RunRoute::On(t) if *t == kind));
        if was_busy_here {
            if self.compressing.get_untracked().is_some() {
                self.compressing.set(None);
                self.notify(
                    "error",
                    msg!("The model could not be compressed: {message}."),
                );
            }
            if let Some(live) = self.live.get_untracked() {
                if let Some(record) = self.live_record(&live, RunStatus::Failed { reason: message })
                {
                    self.finish(live.id, record);
                }
                self.live.set(None);
            }
        }
        match kind {
            WorkerKind::Cpu => {
                if let Some(Ok(handle)) = self
                    .cpu_worker
                    .try_update_value(|w| std::mem::replace(w, Err(String::new())))
                {
                    handle.terminate();
                }
                self.start_worker();
            }
            WorkerKind::Gpu => {
                let old = self
                    .gpu_worker
                    .try_update_value(|gpu| std::mem::replace(gpu, GpuWorker::NotLoaded));
                if let Some(GpuWorker::Started(handle)) = old {
                    handle.terminate();
                }
            }
        }
    }
}

/// Shows an error panel on a panic in the page itself (the page's wasm cannot continue after
/// one), with the details to copy and a reload button; the address bar keeps the config.
pub fn install_panic_panel() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let details = info.to_string();
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Ok(panel) = document.create_element("div") else {
            return;
        };
        panel.set_class_name("crash-panel page-crash");
        panel.set_attribute("role", "alert").ok();
        let heading = document.create_element("h2").unwrap();
        heading.set_text_content(Some(crate::i18n::t("Something went wrong in the page")));
        let text = document.create_element("p").unwrap();
        text.set_text_content(Some(crate::i18n::t(
            "Your settings are kept in the address bar and your runs in this browser. Reload to continue. To report it, click the details below (one click selects them all) and copy them.",
        )));
        let pre = document.create_element("pre").unwrap();
        pre.set_text_content(Some(&details));
        // A plain link: after a panic no wasm callback can run.
        let reload = document.create_element("a").unwrap();
        reload.set_text_content(Some(crate::i18n::t("Reload")));
        let here = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        reload.set_attribute("href", &here).ok();
        reload.set_class_name("button");
        for child in [&heading, &text, &pre, &reload] {
            panel.append_child(child).ok();
        }
        if let Some(body) = document.body() {
            body.append_child(&panel).ok();
        }
    }));
}
