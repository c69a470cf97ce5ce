//! The training worker: receives [`ToWorker`] messages, trains with `tradeoff-core`, and posts
//! [`FromWorker`] messages back. Running here keeps the page's main thread free to render.
//!
//! Built twice from this code: `worker` (Burn's CPU backend only), which the page starts when
//! it opens, and `webgpu_worker` (the `gpu` feature: Burn's WebGPU backend as well), which it
//! fetches only for the first run that asks for WebGPU — most of the download is Burn's GPU
//! stack, which a Chromebook without WebGPU never needs.
//!
//! [`ToWorker`]: tradeoff_core::protocol::ToWorker
//! [`FromWorker`]: tradeoff_core::protocol::FromWorker

/// Runs the worker (in a browser; natively it only says so).
pub fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        tradeoff_core::backend::run_static_constructors_once();
        wasm::start();
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("the training worker runs in a browser; build it with trunk");
}

#[cfg(target_arch = "wasm32")]
mod split;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use std::cell::{Cell, RefCell};
    use std::collections::{HashMap, HashSet, VecDeque};
    use std::rc::Rc;

    use js_sys::{Array, Uint8Array};
    use tradeoff_core::backend::{CPU_BACKEND_NAME, Device, cpu_device};
    use tradeoff_core::compress::{KEPT_MODELS, compress};
    use tradeoff_core::config::{BackendPreference, RunConfig};
    use tradeoff_core::data::{Dataset, builtin_dataset};
    use tradeoff_core::ensemble;
    use tradeoff_core::i18n::Message;
    use tradeoff_core::metrics::StepMetrics;
    use tradeoff_core::msg;
    use tradeoff_core::own_images::{OWN_IMAGES_DATASET, OwnImages};
    use tradeoff_core::parallel::{GradientExchange, Shard, workers_for};
    use tradeoff_core::protocol::{FromWorker, ModelBytes, ToWorker};
    use tradeoff_core::record::Compression;
    use tradeoff_core::record::RunStatus;
    use tradeoff_core::train::{Event, TrainedModel, Trainer};
    use tradeoff_core::transfer::StartModel;
    use tradeoff_core::weights;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};

    use super::split::{Helpers, Inbox, PortExchange};
    use crate::own_images;
    use crate::timer::sleep;
    use crate::webgpu::{self, Adapter};

    /// Longest stretch of training between two yields to the worker's event loop, so Pause and
    /// Stop are seen promptly.
    const YIELD_EVERY_MS: f64 = 40.0;

    /// Shortest time between two messages of step figures to the page (a live chart redraws
    /// at most every 300 ms anyway).
    const POST_STEPS_EVERY_MS: f64 = 250.0;

    /// Sample images of each class in a dataset preview.
    const PREVIEW_PER_CLASS: usize = 4;

    /// Thumbnails of each of the user's classes sent to the page.
    const THUMBS_PER_CLASS: usize = 8;

    /// Whether the user's images have been read from the database.
    #[derive(Clone, Copy, Default, PartialEq, Eq)]
    enum OwnImagesState {
        #[default]
        NotLoaded,
        Loading,
        Loaded,
    }

    /// What the page asked for, read by the run loop between steps.
    #[derive(Default)]
    struct WorkerState {
        /// The run that should be going; a newer Train or a Stop changes it.
        current: Cell<Option<u32>>,
        paused: Cell<bool>,
        /// Loaded datasets by id, so a second run does not fetch again.
        datasets: RefCell<HashMap<String, Rc<Dataset>>>,
        /// Datasets being downloaded now.
        downloading: RefCell<HashSet<String>>,
        /// The WebGPU device, its adapter's name and largest buffer once brought up, or why it
        /// could not be.
        webgpu: RefCell<Option<Result<(Device, Adapter), Message>>>,
        /// Models of the latest finished runs, oldest first, by run id.
        trained: RefCell<VecDeque<(u32, Rc<TrainedModel>)>>,
        /// The user's own images (see [`OwnImagesState`]).
        own_images: RefCell<OwnImages>,
        own_images_state: Cell<OwnImagesState>,
        /// The database has changed since the images were read (by the other worker).
        own_images_stale: Cell<bool>,
        /// As rank 0 of runs split over CPU workers: the helper workers this one started.
        helpers: RefCell<Helpers>,
        /// As a helper: the exchange of the copy it trains, which Stop ends.
        helping: RefCell<Option<Rc<RefCell<Inbox>>>>,
    }

    fn scope() -> DedicatedWorkerGlobalScope {
        js_sys::global().unchecked_into()
    }

    fn post(message: &FromWorker) {
        let _ = scope().post_message(&JsValue::from_str(&message.to_json()));
    }

    fn now_ms() -> f64 {
        js_sys::Reflect::get(&js_sys::global(), &"performance".into())
            .ok()
            .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
            .map(|p| p.now())
            .unwrap_or(0.0)
    }

    /// Size of this worker's WebAssembly memory.
    fn wasm_memory_bytes() -> u64 {
        wasm_bindgen::memory()
            .unchecked_into::<js_sys::WebAssembly::Memory>()
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length() as u64
    }

    pub fn start() {
        std::panic::set_hook(Box::new(|info| {
            // The panic aborts this worker; tell the page first so it can restart us and say why.
            let message = msg!(
                "the training worker crashed: {info}",
                info = info.to_string()
            );
            web_sys::console::error_1(&message.to_string().into());
            let _ = scope().post_message(&JsValue::from_str(
                &FromWorker::Crashed { message }.to_json(),
            ));
        }));
        let state = Rc::new(WorkerState::default());
        let on_message = {
            let state = state.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                // An import comes as [message, files]: files do not travel as JSON.
                let data = event.data();
                let (text, files) = if Array::is_array(&data) {
                    let parts: Array = data.unchecked_into();
                    let files: Vec<Blob> = Array::from(&parts.get(1))
                        .iter()
                        .filter_map(|f| f.dyn_into::<Blob>().ok())
                        .collect();
                    (parts.get(0).as_string(), files)
                } else {
                    (data.as_string(), Vec::new())
                };
                let Some(text) = text else {
                    return;
                };
                match serde_json::from_str::<ToWorker>(&text) {
                    Ok(ToWorker::Shard {
                        run_id,
                        config,
                        start,
                        teacher,
                        rank,
                        count,
                        peers,
                    }) => {
                        state.current.set(Some(run_id));
                        let ports: Vec<web_sys::MessagePort> =
                            event.ports().iter().map(JsCast::unchecked_into).collect();
                        let exchange = PortExchange::new(rank, count, ports, &peers);
                        // A copy of an earlier run still waiting here stops.
                        if let Some(old) = state.helping.borrow_mut().replace(exchange.inbox()) {
                            old.borrow_mut().end(msg!("the run was stopped"));
                        }
                        let models = Models {
                            start: start.map(|b| b.0),
                            teacher: teacher.map(|b| b.0),
                        };
                        let state = state.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            let shard = Shard { rank, count };
                            help(state, run_id, *config, models, shard, exchange).await;
                        });
                    }
                    Ok(ToWorker::Train {
                        run_id,
                        config,
                        start,
                        teacher,
                    }) => {
                        state.current.set(Some(run_id));
                        state.paused.set(false);
                        let state = state.clone();
                        let models = Models {
                            start: start.map(|b| b.0),
                            teacher: teacher.map(|b| b.0),
                        };
                        wasm_bindgen_futures::spawn_local(async move {
                            run(state, run_id, *config, models).await;
                            post(&FromWorker::Memory {
                                wasm_bytes: wasm_memory_bytes(),
                            });
                        });
                    }
                    Ok(ToWorker::Compress {
                        parent_id,
                        run_id,
                        method,
                    }) => {
                        let state = state.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            compress_run(&state, parent_id, run_id, method).await;
                        });
                    }
                    Ok(ToWorker::Ensemble { members, run_id }) => {
                        let state = state.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            ensemble_runs(&state, &members, run_id).await;
                        });
                    }
                    Ok(ToWorker::SaveModel { run_id }) => {
                        let state = state.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            save_model(&state, run_id).await;
                        });
                    }
                    Ok(ToWorker::Pause) => state.paused.set(true),
                    Ok(ToWorker::Resume) => state.paused.set(false),
                    Ok(ToWorker::Preview { dataset }) => {
                        wasm_bindgen_futures::spawn_local(preview(state.clone(), dataset));
                    }
                    Ok(ToWorker::ImagesChanged) => state.own_images_stale.set(true),
                    Ok(ToWorker::Stop) => {
                        state.current.set(None);
                        state.paused.set(false);
                        // A helper waiting for the other copies' gradients stops waiting.
                        if let Some(inbox) = state.helping.borrow_mut().take() {
                            inbox.borrow_mut().end(msg!("the run was stopped"));
                        }
                    }
                    Ok(ToWorker::Import { class, paths, fit }) => {
                        let state = state.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            ensure_own_images(&state).await;
                            let report = own_images::import(
                                &state.own_images,
                                files,
                                paths,
                                class,
                                fit,
                                |done, total| post(&FromWorker::ImportProgress { done, total }),
                            )
                            .await;
                            post(&FromWorker::Imported { report });
                            post_own_images(&state);
                        });
                    }
                    Ok(message) => {
                        wasm_bindgen_futures::spawn_local(change_own_images(
                            state.clone(),
                            message,
                        ));
                    }
                    Err(e) => web_sys::console::error_1(&format!("bad message: {e}").into()),
                }
            })
        };
        scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        post(&FromWorker::Ready);
    }

    /// The Cache Storage cache that keeps downloaded datasets for offline use (the service
    /// worker keeps it when it clears old caches).
    const OFFLINE_DATASETS: &str = "tradeoff-datasets";

    /// Downloads `url`, posting [`FromWorker::Download`] as chunks arrive.
    async fn fetch_bytes(url: &str, dataset: &str) -> Result<Vec<u8>, Message> {
        let response = JsFuture::from(scope().fetch_with_str(url))
            .await
            .map_err(|_| msg!("could not download {url}", url = url))?;
        let response: web_sys::Response = response.unchecked_into();
        if !response.ok() {
            return Err(msg!(
                "could not download {url} (HTTP {})",
                response.status(),
                url = url
            ));
        }
        let total = response
            .headers()
            .get("content-length")
            .ok()
            .flatten()
            .and_then(|n| n.parse::<u64>().ok());
        let broke_off = || msg!("the download of {url} broke off", url = url);
        let body = response.body().ok_or_else(broke_off)?;
        let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        let mut bytes = Vec::with_capacity(total.unwrap_or(0) as usize);
        loop {
            let chunk = JsFuture::from(reader.read())
                .await
                .map_err(|_| broke_off())?;
            let done = js_sys::Reflect::get(&chunk, &"done".into()).map_err(|_| broke_off())?;
            if done.is_truthy() {
                break;
            }
            let value = js_sys::Reflect::get(&chunk, &"value".into()).map_err(|_| broke_off())?;
            bytes.extend(Uint8Array::new(&value).to_vec());
            post(&FromWorker::Download {
                dataset: dataset.to_string(),
                received: bytes.len() as u64,
                total,
            });
        }
        keep_offline(url, &bytes).await;
        Ok(bytes)
    }

    /// Keeps a downloaded dataset in the page's Cache Storage, where the service worker
    /// (`static/sw.js`) finds it when the network is gone: the first visit's download is the
    /// only one. Without Cache Storage (an insecure origin) the page just needs the network.
    async fn keep_offline(url: &str, bytes: &[u8]) {
        let Ok(caches) = scope().caches() else { return };
        let Ok(cache) = JsFuture::from(caches.open(OFFLINE_DATASETS)).await else {
            return;
        };
        let cache: web_sys::Cache = cache.unchecked_into();
        let body = Uint8Array::from(bytes);
        if let Ok(response) =
            web_sys::Response::new_with_opt_buffer_source(Some(&body.unchecked_into()))
        {
            let _ = JsFuture::from(cache.put_with_str(url, &response)).await;
        }
    }

    /// The built-in dataset `id`, downloaded once per worker; a second caller waits for the
    /// first download instead of starting another.
    async fn dataset(state: &WorkerState, id: &str) -> Result<Rc<Dataset>, Message> {
        if id == OWN_IMAGES_DATASET {
            ensure_own_images(state).await;
            return state.own_images.borrow().to_dataset().map(Rc::new);
        }
        let info = builtin_dataset(id)
            .ok_or_else(|| msg!("there is no built-in dataset '{id}'", id = id))?;
        while state.downloading.borrow().contains(id) {
            sleep(50).await;
        }
        if let Some(d) = state.datasets.borrow().get(id) {
            return Ok(d.clone());
        }
        state.downloading.borrow_mut().insert(id.to_string());
        let result = fetch_bytes(&format!("datasets/{}", info.file), id)
            .await
            .and_then(|bytes| Dataset::from_tds(&bytes).map_err(|e| e.0));
        state.downloading.borrow_mut().remove(id);
        let data = Rc::new(result?);
        state
            .datasets
            .borrow_mut()
            .insert(id.to_string(), data.clone());
        Ok(data)
    }

    /// Reads the user's images from the database, once (again when they are stale); later
    /// callers wait for the first.
    async fn ensure_own_images(state: &WorkerState) {
        loop {
            match state.own_images_state.get() {
                OwnImagesState::Loaded if !state.own_images_stale.get() => return,
                OwnImagesState::Loading => sleep(20).await,
                OwnImagesState::Loaded | OwnImagesState::NotLoaded => break,
            }
        }
        state.own_images_state.set(OwnImagesState::Loading);
        state.own_images_stale.set(false);
        match own_images::load().await {
            Ok(images) => *state.own_images.borrow_mut() = images,
            Err(why) => post(&FromWorker::OwnImagesRefused {
                message: msg!(
                    "your images could not be read from this browser's storage: {why}",
                    why = why
                ),
            }),
        }
        state.own_images_state.set(OwnImagesState::Loaded);
    }

    /// Sends the page what the user's images now are.
    fn post_own_images(state: &WorkerState) {
        let summary = state.own_images.borrow().summary(THUMBS_PER_CLASS);
        post(&FromWorker::OwnImages {
            summary: Box::new(summary),
        });
    }

    /// Answers the messages that change (or ask about) the user's classes and images.
    async fn change_own_images(state: Rc<WorkerState>, message: ToWorker) {
        ensure_own_images(&state).await;
        let kept = match message {
            ToWorker::AddClass { name } => {
                let made = state.own_images.borrow_mut().add_class(&name);
                match made {
                    Ok(class) => own_images::put_class(&class).await,
                    Err(why) => Err(why),
                }
            }
            ToWorker::RenameClass { class, name } => {
                let renamed = state.own_images.borrow_mut().rename_class(class, &name);
                match renamed {
                    Ok(class) => own_images::put_class(&class).await,
                    Err(why) => Err(why),
                }
            }
            ToWorker::RemoveClass { class } => {
                let removed = state.own_images.borrow_mut().remove_class(class);
                own_images::delete(Some(class), &removed).await
            }
            ToWorker::RemoveImage { image } => {
                let removed = state.own_images.borrow_mut().remove_image(image);
                if removed {
                    own_images::delete(None, &[image]).await
                } else {
                    Ok(())
                }
            }
            ToWorker::ClearOwnImages => {
                *state.own_images.borrow_mut() = OwnImages::default();
                own_images::clear().await
            }
            _ => Ok(()),
        };
        if let Err(message) = kept {
            post(&FromWorker::OwnImagesRefused { message });
        }
        post_own_images(&state);
    }

    /// Answers a [`ToWorker::Preview`].
    async fn preview(state: Rc<WorkerState>, id: String) {
        let result = dataset(&state, &id)
            .await
            .map(|d| Box::new(d.preview(PREVIEW_PER_CLASS)));
        post(&FromWorker::Preview {
            dataset: id,
            result,
        });
    }

    /// Burn's WebGPU device. The CPU worker is built without Burn's GPU stack: the page sends
    /// it a WebGPU run only when it found no adapter, or when the WebGPU worker would not load.
    async fn gpu_device() -> Result<Device, Message> {
        #[cfg(feature = "gpu")]
        return tradeoff_core::backend::webgpu_device().await;
        #[cfg(not(feature = "gpu"))]
        return Err(msg!("the WebGPU trainer could not be loaded"));
    }

    /// The device for a run, its name, why it is not the one asked for (if it is not), and the
    /// largest buffer it takes (for a GPU).
    async fn device(
        state: &WorkerState,
        preference: BackendPreference,
    ) -> (Device, Message, Option<Message>, Option<u64>) {
        if preference == BackendPreference::Cpu {
            return (cpu_device(), CPU_BACKEND_NAME.into(), None, None);
        }
        if state.webgpu.borrow().is_none() {
            let result = match webgpu::adapter().await {
                Ok(adapter) => gpu_device().await.map(|device| (device, adapter)),
                Err(reason) => Err(reason),
            };
            *state.webgpu.borrow_mut() = Some(result);
        }
        match state.webgpu.borrow().as_ref().expect("set above") {
            Ok((device, adapter)) => (
                device.clone(),
                Message::Plain(adapter.name.clone()),
                None,
                Some(adapter.max_buffer),
            ),
            Err(reason) => (
                cpu_device(),
                CPU_BACKEND_NAME.into(),
                Some(msg!(
                    "{reason}; training on the CPU instead",
                    reason = reason
                )),
                None,
            ),
        }
    }

    /// The model files a run uses beside its config.
    struct Models {
        /// The one it starts from.
        start: Option<Vec<u8>>,
        /// The teacher it is distilled from.
        teacher: Option<Vec<u8>>,
    }

    impl Models {
        /// Both files read; the message says which cannot be used, and why.
        fn read(&self) -> Result<(Option<StartModel>, Option<StartModel>), Message> {
            let start = self
                .start
                .clone()
                .map(StartModel::read)
                .transpose()
                .map_err(|why| msg!("The starting weights cannot be used: {why}", why = why))?;
            let teacher = self
                .teacher
                .clone()
                .map(StartModel::read)
                .transpose()
                .map_err(|why| msg!("The teacher cannot be used: {why}", why = why))?;
            Ok((start, teacher))
        }
    }

    /// Trains `config` as run `run_id`, from the model file it starts from and with the
    /// teacher it is distilled from, when it names them.
    async fn run(state: Rc<WorkerState>, run_id: u32, config: RunConfig, models: Models) {
        let (start, teacher) = match models.read() {
            Ok(read) => read,
            Err(message) => return post(&FromWorker::Error { run_id, message }),
        };
        post(&FromWorker::Loading {
            run_id,
            message: msg!("loading the {} dataset", config.dataset),
        });
        let data = match dataset(&state, &config.dataset).await {
            Ok(d) => d,
            Err(message) => return post(&FromWorker::Error { run_id, message }),
        };
        let (device, backend, mut fallback_reason, max_buffer) =
            device(&state, config.backend).await;
        // A GPU refuses a buffer over its limit only once the step runs, often by losing the
        // device: check the estimate first and say what fits.
        if let Some(max_buffer) = max_buffer
            && let Ok(cost) = config.validate(data.train.classes.len())
            && let Err(message) = cost.check_gpu_buffers(config.batch_size, max_buffer)
        {
            return post(&FromWorker::Error { run_id, message });
        }
        // Only the CPU backend splits a run: a GPU already trains on all its cores.
        let workers = if backend == CPU_BACKEND_NAME {
            workers_for(config.workers, cores())
        } else {
            1
        };
        let shard_config = (workers > 1).then(|| config.clone());
        let mut trainer = match Trainer::new(config, &data, device, backend.clone())
            .and_then(|t| t.with_models(start.as_ref(), teacher.as_ref()))
        {
            Ok(t) => t,
            Err(e) => {
                return post(&FromWorker::Error {
                    run_id,
                    message: e.describe(),
                });
            }
        };
        if let Some(config) = shard_config {
            let shard_message = |rank, peers| ToWorker::Shard {
                run_id,
                config: Box::new(config.clone()),
                start: models.start.clone().map(ModelBytes),
                teacher: models.teacher.clone().map(ModelBytes),
                rank,
                count: workers,
                peers,
            };
            match Helpers::split(&state.helpers, run_id, workers, shard_message).await {
                Ok(mut exchange) => {
                    // Every helper reaches this once it has its data and model: its start-up
                    // stays out of the first step's time (and so out of the run's images/s).
                    if let Err(why) = exchange.sum(Vec::new()).await {
                        Helpers::end_run(&state.helpers, run_id);
                        return post(&FromWorker::Error {
                            run_id,
                            message: why,
                        });
                    }
                    let shard = Shard {
                        rank: 0,
                        count: workers,
                    };
                    trainer = trainer.with_shard(shard, Box::new(exchange));
                }
                Err(why) => {
                    fallback_reason = Some(msg!("{why}; training on one CPU worker", why = why))
                }
            }
        }
        post(&FromWorker::Started {
            run_id,
            backend,
            total_steps: trainer.progress().total_steps,
            fallback_reason,
        });
        drive(&state, run_id, trainer).await;
        Helpers::end_run(&state.helpers, run_id);
    }

    /// The machine's logical cores, as the browser tells them (at least 1).
    fn cores() -> usize {
        scope().navigator().hardware_concurrency().max(1.0) as usize
    }

    /// Trains copy `shard` of run `run_id`, split over CPU workers by the worker that got the
    /// run (see `split`): only trains, and tells that worker if it cannot.
    async fn help(
        state: Rc<WorkerState>,
        run_id: u32,
        config: RunConfig,
        models: Models,
        shard: Shard,
        exchange: PortExchange,
    ) {
        let fail = |message| post(&FromWorker::Error { run_id, message });
        let (start, teacher) = match models.read() {
            Ok(read) => read,
            Err(why) => return fail(why),
        };
        let data = match dataset(&state, &config.dataset).await {
            Ok(d) => d,
            Err(why) => return fail(why),
        };
        let trainer = Trainer::new(config, &data, cpu_device(), CPU_BACKEND_NAME)
            .and_then(|t| t.with_models(start.as_ref(), teacher.as_ref()));
        let mut exchange = exchange;
        let trainer = match trainer {
            Ok(t) => t,
            Err(e) => return fail(e.describe()),
        };
        // Ready: rank 0 starts the first step once every copy is here (see `run`).
        if exchange.sum(Vec::new()).await.is_err() {
            return;
        }
        let mut trainer = trainer.with_shard(shard, Box::new(exchange));
        while state.current.get() == Some(run_id) {
            for event in trainer.advance().await {
                if let Event::Finished(record) = event {
                    if let RunStatus::Failed { reason } = record.status
                        && state.current.get() == Some(run_id)
                    {
                        fail(reason);
                    }
                    return;
                }
            }
        }
    }

    /// Lets the worker's event loop run what is waiting (a Stop or Pause from the page) and
    /// resumes right after: a message to itself, which no browser delays — a zero `setTimeout`
    /// from a timer's callback is stretched to 4 ms, a tenth of each 40 ms stretch of training.
    async fn yield_now() {
        let Ok(channel) = web_sys::MessageChannel::new() else {
            return sleep(0).await;
        };
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            channel.port1().set_onmessage(Some(&resolve));
            let _ = channel.port2().post_message(&JsValue::UNDEFINED);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        channel.port1().close();
    }

    /// Steps `trainer` until it finishes or the page stops it, posting what happens. Step
    /// figures go out at most every [`POST_STEPS_EVERY_MS`], gathered: each message costs the
    /// page's thread a render, and on a two-core machine that thread shares a core with the
    /// training.
    async fn drive(state: &WorkerState, run_id: u32, mut trainer: Trainer) {
        let mut last_yield = now_ms();
        let mut unsent: Vec<StepMetrics> = Vec::new();
        let mut last_post = f64::NEG_INFINITY;
        let post_steps = |unsent: &mut Vec<StepMetrics>, elapsed_seconds: f64| {
            if !unsent.is_empty() {
                post(&FromWorker::Steps {
                    run_id,
                    steps: std::mem::take(unsent),
                    elapsed_seconds,
                });
            }
        };
        loop {
            if state.current.get() != Some(run_id) {
                post_steps(&mut unsent, trainer.progress().elapsed_seconds);
                let record = trainer.stop().await;
                return post(&FromWorker::Finished {
                    run_id,
                    record: Box::new(record),
                });
            }
            if state.paused.get() {
                sleep(50).await;
                continue;
            }
            for event in trainer.advance().await {
                let elapsed_seconds = trainer.progress().elapsed_seconds;
                match event {
                    Event::Steps(steps) => {
                        unsent.extend(steps);
                        if now_ms() - last_post >= POST_STEPS_EVERY_MS {
                            post_steps(&mut unsent, elapsed_seconds);
                            last_post = now_ms();
                        }
                    }
                    Event::Epoch(metrics) => {
                        post_steps(&mut unsent, elapsed_seconds);
                        post(&FromWorker::Epoch { run_id, metrics });
                    }
                    Event::Finished(record) => {
                        post_steps(&mut unsent, elapsed_seconds);
                        if let RunStatus::Failed { .. } = record.status {
                            // A failed GPU run: later runs go to the CPU.
                            if record.backend != CPU_BACKEND_NAME {
                                *state.webgpu.borrow_mut() =
                                    Some(Err(msg!("WebGPU failed during an earlier run")));
                            }
                        }
                        if state.current.get() == Some(run_id) {
                            state.current.set(None);
                        }
                        post(&FromWorker::Finished { run_id, record });
                        if let Some(trained) = trainer.into_trained() {
                            let mut kept = state.trained.borrow_mut();
                            kept.push_back((run_id, Rc::new(trained)));
                            while kept.len() > KEPT_MODELS {
                                kept.pop_front();
                            }
                            let run_ids = kept.iter().map(|(id, _)| *id).collect();
                            post(&FromWorker::Models { run_ids });
                        }
                        return;
                    }
                }
            }
            if now_ms() - last_yield > YIELD_EVERY_MS {
                yield_now().await;
                last_yield = now_ms();
            }
        }
    }

    /// Answers a [`ToWorker::SaveModel`]: the file's bytes go beside the message, so they
    /// are neither copied into JSON nor copied again (the buffer is transferred).
    async fn save_model(state: &WorkerState, run_id: u32) {
        let result = match trained_model(state, run_id, "save") {
            Ok(trained) => weights::safetensors(&trained).await,
            Err(why) => Err(why),
        };
        let (error, bytes) = match result {
            Ok(bytes) => (None, bytes),
            Err(e) => (Some(e), Vec::new()),
        };
        let message = FromWorker::ModelFile {
            run_id,
            error,
            bytes: Vec::new(),
        };
        let array = Uint8Array::from(bytes.as_slice());
        let parts = js_sys::Array::of2(&JsValue::from_str(&message.to_json()), &array);
        let transfer = js_sys::Array::of1(&array.buffer());
        let _ = scope().post_message_with_transfer(&parts, &transfer);
    }

    /// The model run `run_id` trained, if this worker still holds it; otherwise why not, for
    /// a user who wanted to `verb` it.
    fn trained_model(
        state: &WorkerState,
        run_id: u32,
        verb: &str,
    ) -> Result<Rc<TrainedModel>, Message> {
        state
            .trained
            .borrow()
            .iter()
            .find(|(id, _)| *id == run_id)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| msg!(
                "the trained model of run {run_id} is no longer in memory (only the latest {KEPT_MODELS} runs trained since the page opened are kept); train it again to {verb} it", run_id = run_id, KEPT_MODELS = KEPT_MODELS, verb = verb
            ))
    }

    /// Answers a [`ToWorker::Ensemble`].
    async fn ensemble_runs(state: &WorkerState, members: &[u32], run_id: u32) {
        let trained: Result<Vec<Rc<TrainedModel>>, Message> = members
            .iter()
            .map(|&id| trained_model(state, id, "average it with others"))
            .collect();
        let trained = match trained {
            Ok(trained) if !trained.is_empty() => trained,
            Ok(_) => return,
            Err(message) => return post(&FromWorker::Error { run_id, message }),
        };
        let parts: Vec<ensemble::Member> = trained.iter().map(|t| ensemble::member_of(t)).collect();
        let first = &trained[0];
        match ensemble::evaluate(
            &parts,
            &first.test,
            first.record.backend.clone(),
            &first.device,
        )
        .await
        {
            Ok(record) => post(&FromWorker::Finished {
                run_id,
                record: Box::new(record),
            }),
            Err(message) => post(&FromWorker::Error { run_id, message }),
        }
    }

    /// Answers a [`ToWorker::Compress`].
    async fn compress_run(state: &WorkerState, parent_id: u32, run_id: u32, method: Compression) {
        let trained = match trained_model(state, parent_id, "compress") {
            Ok(trained) => trained,
            Err(message) => return post(&FromWorker::Error { run_id, message }),
        };
        match compress(&trained, method).await {
            Ok(record) => post(&FromWorker::Finished {
                run_id,
                record: Box::new(record),
            }),
            Err(message) => post(&FromWorker::Error { run_id, message }),
        }
    }
}
