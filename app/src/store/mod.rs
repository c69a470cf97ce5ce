//! The page's state, each part with an owner: the config being edited and its link
//! ([`links`]), the runs ([`Runs`]), what the page is busy with ([`Activity`]), the workers
//! ([`Workers`]), and the one place where what they say changes the page ([`events`]).

mod actions;
mod activity;
mod events;
mod links;
mod runs;
mod start;
mod workers;

pub use activity::{Activity, Averaging, Compressing, LiveRun, SweepProgress};
pub use runs::{Changed, Runs};
pub use start::{Role, StartState};
pub use workers::Workers;

use leptos::prelude::*;
use tradeoff_core::classroom::Classroom;
use tradeoff_core::compare::{AccuracyAxis, CostAxis};
use tradeoff_core::config::RunConfig;
use tradeoff_core::cost::ModelCost;
use tradeoff_core::data::{Preview, builtin_dataset};
use tradeoff_core::i18n::Message;
use tradeoff_core::msg;
use tradeoff_core::own_images::{Fit, ImportReport, OWN_IMAGES_DATASET, OwnImagesSummary};
use tradeoff_core::protocol::{FromWorker, ModelBytes, ToWorker};
use tradeoff_core::record::{RunRecord, RunStatus};
use tradeoff_core::setting::{ConfigError, Setting};
use tradeoff_core::url;

use crate::persist;
use crate::worker_client::{Handle, WorkerKind};

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
pub type PreviewResult = Result<Box<Preview>, Message>;

/// A notice at the top of the page.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// `info`, `warning` or `error` (CSS class).
    pub level: &'static str,
    /// The text, written out in the page's language where it is shown.
    pub text: Message,
}

/// A training worker's crash, for the error panel.
#[derive(Clone, Debug)]
pub struct Crash {
    /// Which worker: the CPU one starts again at once, the WebGPU one with the next WebGPU run.
    pub worker: WorkerKind,
    /// What it said, to copy into a report.
    pub details: Message,
}

/// The page's state, handed to every component by context (cheap to copy: signals).
#[derive(Clone, Copy)]
pub struct Store {
    /// The config the controls edit; mirrored in the address bar.
    pub config: RwSignal<RunConfig>,
    /// The runs table.
    pub runs: RwSignal<Runs>,
    /// What the page is busy with: the run, sweep or compression in progress.
    pub activity: RwSignal<Activity>,
    /// The run whose details are shown.
    pub selected: RwSignal<Option<u32>>,
    /// Runs whose curves are overlaid on the live charts.
    pub overlay: RwSignal<Vec<u32>>,
    /// X axis of the trade-off chart.
    pub axis: RwSignal<CostAxis>,
    /// Y axis of the trade-off chart: which accuracy (also the budget answer's).
    pub accuracy: RwSignal<AccuracyAxis>,
    /// Messages for the user.
    pub notices: RwSignal<Vec<Notice>>,
    /// The last worker crash, for the error panel.
    pub crash: RwSignal<Option<Crash>>,
    /// The backend the last run used.
    pub backend_in_use: RwSignal<Option<Message>>,
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
    /// The user's own images as the worker last described them (`None` until it has).
    pub own_images: RwSignal<Option<OwnImagesSummary>>,
    /// Files of the import in progress: done and in all.
    pub importing: RwSignal<Option<(usize, usize)>>,
    /// What the last import did.
    pub import_report: RwSignal<Option<ImportReport>>,
    /// How imported photos that are not square are made square.
    pub fit: RwSignal<Fit>,
    /// Controls the link hides or locks, and its lesson.
    pub classroom: RwSignal<Classroom>,
    /// How many class changes the worker has refused: a name box shows its class's real name
    /// again after each (the refused text would otherwise stay, looking accepted).
    pub own_image_refusals: RwSignal<u32>,
    /// The run whose model file the worker is writing.
    pub saving_model: RwSignal<Option<u32>>,
    /// The trained model the config's runs start from.
    pub start: RwSignal<StartState>,
    /// The teacher the config's runs are distilled from.
    pub teacher: RwSignal<StartState>,
    /// The runs whose model files are awaited for a role (not as downloads).
    model_requests: RwSignal<Vec<(Role, u32)>>,
    /// The training workers and the models they hold.
    workers: Workers,
    /// A result a link carried, added once the kept runs are read (so it is not doubled).
    shared_waiting: StoredValue<Option<RunRecord>>,
    /// When the run in progress was last noted in localStorage.
    live_saved_at: StoredValue<f64>,
    next_id: StoredValue<u32>,
}

impl Store {
    /// Creates the store and starts the CPU worker; reads a config from the address bar if any.
    pub fn new() -> Self {
        let store = Store {
            config: RwSignal::new(RunConfig::default()),
            runs: RwSignal::new(Runs::default()),
            activity: RwSignal::new(Activity::Idle),
            selected: RwSignal::new(None),
            overlay: RwSignal::new(Vec::new()),
            axis: RwSignal::new(CostAxis::TrainingTime),
            accuracy: RwSignal::new(AccuracyAxis::Clean),
            notices: RwSignal::new(Vec::new()),
            crash: RwSignal::new(None),
            backend_in_use: RwSignal::new(None),
            previews: RwSignal::new(Vec::new()),
            download: RwSignal::new(None),
            worker_memory: RwSignal::new(None),
            restored: RwSignal::new(false),
            lang: RwSignal::new(crate::i18n::initial_lang()),
            own_images: RwSignal::new(None),
            importing: RwSignal::new(None),
            import_report: RwSignal::new(None),
            fit: RwSignal::new(Fit::Crop),
            classroom: RwSignal::new(Classroom::default()),
            saving_model: RwSignal::new(None),
            start: RwSignal::new(StartState::None),
            teacher: RwSignal::new(StartState::None),
            model_requests: RwSignal::new(Vec::new()),
            own_image_refusals: RwSignal::new(0),
            workers: Workers::new(),
            shared_waiting: StoredValue::new(None),
            live_saved_at: StoredValue::new(0.0),
            next_id: StoredValue::new(1),
        };
        store.follow_address_bar();
        store.start_cpu_worker();
        leptos::task::spawn_local(store.restore());
        // Each chosen built-in dataset is described once (the worker keeps it for training).
        let dataset = Memo::new(move |_| store.config.with(|c| c.dataset.clone()));
        Effect::new(move |_| {
            let id = dataset.get();
            let known = store
                .previews
                .with_untracked(|p| p.iter().any(|(d, _)| *d == id));
            if !known && builtin_dataset(&id).is_some() {
                store.send_to(WorkerKind::Cpu, ToWorker::Preview { dataset: id });
            }
        });
        // The models a start or a teacher names are fetched when chosen, by a control or a
        // link (and a run's when a worker comes to hold it).
        for role in [Role::Start, Role::Teacher] {
            Effect::new(move |_| {
                let from = store.config.with(|c| role.of(c).clone());
                if let tradeoff_core::config::StartFrom::Run(id) = from {
                    store.workers.holds(id);
                }
                untrack(|| store.load_model(role));
            });
        }
        // The user's images are described once they are the dataset (again after a crash).
        Effect::new(move |_| {
            if dataset.get() == OWN_IMAGES_DATASET && store.own_images.with(Option::is_none) {
                store.send_to(WorkerKind::Cpu, ToWorker::DescribeOwnImages);
            }
        });
        store
    }

    /// Number of classes of the config's dataset: the user's own classes once described (at
    /// least 2, so a stack can be checked before they are made).
    pub fn classes_of(&self, config: &RunConfig) -> usize {
        if config.dataset == OWN_IMAGES_DATASET {
            self.own_images
                .with(|l| l.as_ref().map_or(2, |l| l.classes.len().max(2)))
        } else {
            url::dataset_classes(&config.dataset).unwrap_or(2)
        }
    }

    /// The class names of the config's dataset, once described.
    pub fn class_names(&self) -> Vec<String> {
        let dataset = self.config.with(|c| c.dataset.clone());
        if dataset == OWN_IMAGES_DATASET {
            return self.own_images.with(|l| {
                l.iter()
                    .flat_map(|l| l.classes.iter().map(|c| c.name.clone()))
                    .collect()
            });
        }
        self.previews.with(|p| {
            p.iter()
                .find_map(|(d, r)| (*d == dataset).then(|| r.as_ref().ok()).flatten())
                .map(|p| p.classes.clone())
                .unwrap_or_default()
        })
    }

    /// Why Train cannot start now although the settings are valid: the user's images are
    /// not ready, or the starting weights or the teacher are not in hand.
    pub fn run_blocker(&self) -> Option<Message> {
        self.own_images_blocker()
            .or_else(|| self.model_blocker(Role::Start))
            .or_else(|| self.model_blocker(Role::Teacher))
    }

    /// Why the user's own images cannot be trained on now, when they are the dataset.
    pub fn own_images_blocker(&self) -> Option<Message> {
        if self.config.with(|c| c.dataset != OWN_IMAGES_DATASET) {
            return None;
        }
        if self.importing.with(Option::is_some) {
            return Some(msg!("Images are being added…"));
        }
        self.own_images.with(|l| match l {
            None => Some(msg!("Reading your images…")),
            Some(l) => l
                .problems
                .first()
                .map(|p| msg!("Add images first: {p}.", p = p)),
        })
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

    /// Adds a notice (once: the same text again moves it to the end).
    pub fn notify(&self, level: &'static str, text: impl Into<Message>) {
        let text = text.into();
        self.notices.update(|n| {
            n.retain(|x| x.text != text);
            n.push(Notice { level, text });
        });
    }

    /// Why the current config cannot be trained, or its cost.
    pub fn check(&self) -> Result<ModelCost, Vec<ConfigError>> {
        self.config.with(|c| c.validate(self.classes_of(c)))
    }

    /// Whether a run, sweep or compression is under way (Train waits for it to end).
    pub fn busy(&self) -> bool {
        self.activity.with(Activity::is_busy)
    }

    fn busy_untracked(&self) -> bool {
        untrack(|| self.busy())
    }

    /// Whether a worker still holds run `id`'s trained model (it can be compressed or saved).
    pub fn has_model(&self, id: u32) -> bool {
        self.workers.holds(id)
    }

    /// Asks the worker to change the user's classes or images (see [`ToWorker`]).
    pub fn change_own_images(&self, message: ToWorker) {
        self.send_to(WorkerKind::Cpu, message);
    }

    /// Adds `files` (path, file) to class `class` — or to the classes their folders name.
    pub fn import(&self, class: Option<u32>, files: Vec<(String, web_sys::Blob)>) {
        if files.is_empty() {
            return;
        }
        let total = files.len();
        let (paths, blobs): (Vec<String>, Vec<web_sys::Blob>) = files.into_iter().unzip();
        let message = ToWorker::Import {
            class,
            paths,
            fit: self.fit.get_untracked(),
        };
        if !self.workers.send_files(&message, &blobs) {
            return self.notify(
                "warning",
                msg!("The page is still starting: add the images again in a moment."),
            );
        }
        self.import_report.set(None);
        self.importing.set(Some((0, total)));
    }

    /// Adds runs read from an exported file, leaving out those already in the table; returns
    /// how many were added.
    pub fn import_runs(&self, records: Vec<RunRecord>) -> usize {
        let mut added = 0;
        for (i, record) in records.into_iter().enumerate() {
            if self
                .runs
                .with_untracked(|runs| runs.find_record(&record).is_some())
            {
                continue;
            }
            // Distinct keys even within one millisecond.
            let key = js_sys::Date::now() + i as f64 * 1e-3;
            self.keep(key, &record);
            self.push_run(key, record);
            added += 1;
        }
        added
    }

    /// Keeps `record` in the browser's database, saying so if it cannot.
    fn keep(&self, key: f64, record: &RunRecord) {
        let store = *self;
        let saved = record.clone();
        leptos::task::spawn_local(async move {
            if let Err(reason) = persist::save_run(key, &saved).await {
                store.notify(
                    "warning",
                    msg!(
                        "This run will not be kept after the page closes: {reason}.",
                        reason = reason
                    ),
                );
            }
        });
    }

    /// Reads the runs kept from earlier visits; a run that was training when the page closed
    /// is kept as interrupted.
    async fn restore(self) {
        let mut kept = match persist::load_runs().await {
            Ok(kept) => kept,
            Err(reason) => {
                self.notify(
                    "warning",
                    msg!(
                        "Runs will not be kept after this page closes: {reason}.",
                        reason = reason
                    ),
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
        self.runs.update(|runs| runs.push(id, key, record));
        id
    }

    fn take_id(&self) -> u32 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        id
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
            transfer: None,
            distill: None,
            ensemble: None,
            workers: 1,
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
        self.activity.with_untracked(|a| {
            if let Some(l) = a.live() {
                let step = l.steps.last().map(|s| s.step).unwrap_or(0);
                if let Some(record) = self.live_record(l, RunStatus::Interrupted { step }) {
                    persist::save_live(l.key, &record);
                }
            }
        });
    }

    fn update_live(&self, run_id: u32, f: impl FnOnce(&mut LiveRun)) {
        self.activity.update(|a| {
            if let Some(l) = a.live_mut().filter(|l| l.id == run_id) {
                f(l);
            }
        });
    }

    /// Starts a CPU worker (afresh after a crash), its messages and errors routed back here.
    fn start_cpu_worker(&self) {
        let handle = self.spawn_worker(WorkerKind::Cpu);
        if let Err(message) = &handle {
            self.notify("error", message.clone());
        }
        self.workers.set_cpu(handle);
    }

    fn spawn_worker(&self, kind: WorkerKind) -> Result<Handle, Message> {
        let store = *self;
        Handle::spawn(
            kind,
            move |message| store.on_message(kind, message),
            move |reason| store.on_worker_error(kind, reason),
        )
    }

    /// Sends `message` to the worker of `kind`, or answers it with why there is none.
    fn send_to(&self, kind: WorkerKind, message: ToWorker) {
        if let Some((message, why)) = self.workers.send(kind, message) {
            self.refuse(message, why);
        }
    }

    /// Answers `message` for a worker that is not there: a run, compression or dataset
    /// preview waiting for it ends with `why`.
    fn refuse(&self, message: ToWorker, why: Message) {
        let answer = match message {
            ToWorker::Train { run_id, .. }
            | ToWorker::Compress { run_id, .. }
            | ToWorker::Ensemble { run_id, .. } => FromWorker::Error {
                run_id,
                message: why,
            },
            ToWorker::Preview { dataset } => FromWorker::Preview {
                dataset,
                result: Err(why),
            },
            _ => return,
        };
        self.on_message(WorkerKind::Cpu, answer);
    }

    /// Sends run `id` to the worker for its backend: CPU runs, and every run where WebGPU
    /// cannot be used, to the CPU worker; others to the WebGPU worker, fetched the first time
    /// one asks for it — once the browser has said it has an adapter, so a machine without
    /// WebGPU never downloads it.
    fn train_on_worker(&self, id: u32, config: RunConfig) {
        let kind = self.workers.for_backend(config.backend);
        let model = |role: Role| {
            (*role.of(&config) != tradeoff_core::config::StartFrom::Scratch)
                .then(|| untrack(|| self.model_for(role)))
                .flatten()
                .map(|model| ModelBytes(model.bytes().to_vec()))
        };
        let (start, teacher) = (model(Role::Start), model(Role::Teacher));
        let train = ToWorker::Train {
            run_id: id,
            config: Box::new(config),
            start,
            teacher,
        };
        if let Some(kind) = kind {
            return self.dispatch(kind, train);
        }
        self.workers.deciding();
        let store = *self;
        leptos::task::spawn_local(async move {
            let kind = match crate::webgpu::adapter().await {
                Ok(adapter) => match store.spawn_worker(WorkerKind::Gpu) {
                    Ok(handle) => {
                        store.workers.set_gpu(handle);
                        let adapter = adapter.name;
                        store.update_live(id, |l| {
                            l.message = msg!("loading the trainer for {adapter}", adapter = adapter)
                        });
                        WorkerKind::Gpu
                    }
                    Err(_) => {
                        store.workers.gpu_unavailable();
                        WorkerKind::Cpu
                    }
                },
                // The CPU worker asks again and says why WebGPU is not used.
                Err(_) => {
                    store.workers.gpu_unavailable();
                    WorkerKind::Cpu
                }
            };
            store.dispatch(kind, train);
        });
    }

    fn dispatch(&self, kind: WorkerKind, message: ToWorker) {
        for (message, why) in self.workers.dispatch(kind, message) {
            self.refuse(message, why);
        }
    }
}
