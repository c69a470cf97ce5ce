//! The training workers: the CPU one, started with the page, and the WebGPU one, fetched for
//! the first run that asks for WebGPU; where each message goes; and which trained models each
//! holds, as the workers report it.

use leptos::prelude::*;
use tradeoff_core::config::BackendPreference;
use tradeoff_core::i18n::Message;
use tradeoff_core::protocol::ToWorker;

use crate::worker_client::{Handle, WorkerKind};

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

/// The handles, which are not `Send` and never reactive.
struct Handles {
    /// The CPU worker, or why there is none.
    cpu: Result<Handle, Message>,
    gpu: GpuWorker,
    route: RunRoute,
}

/// A message a worker could not be given, and why: the caller answers it as the worker would
/// have (a run that waited for it ends with the reason).
pub type Refused = (ToWorker, Message);

/// The workers and what they hold (shared by context as part of the store; cheap to copy).
#[derive(Clone, Copy)]
pub struct Workers {
    handles: StoredValue<Handles, LocalStorage>,
    /// Runs whose trained model a worker still holds, and which worker, as last reported.
    models: RwSignal<Vec<(u32, WorkerKind)>>,
}

impl Workers {
    /// No worker yet (see [`Workers::set_cpu`]).
    pub fn new() -> Self {
        Workers {
            handles: StoredValue::new_local(Handles {
                cpu: Err(Message::default()),
                gpu: GpuWorker::NotLoaded,
                route: RunRoute::On(WorkerKind::Cpu),
            }),
            models: RwSignal::new(Vec::new()),
        }
    }

    /// Installs a freshly spawned CPU worker (or why it could not start); ends the old one.
    pub fn set_cpu(&self, handle: Result<Handle, Message>) {
        let old = self
            .handles
            .try_update_value(|h| std::mem::replace(&mut h.cpu, handle));
        if let Some(Ok(old)) = old {
            old.terminate();
        }
    }

    /// Installs the WebGPU worker fetched for a run.
    pub fn set_gpu(&self, handle: Handle) {
        self.handles
            .update_value(|h| h.gpu = GpuWorker::Started(handle));
    }

    /// WebGPU cannot be used here: runs that ask for it go to the CPU worker.
    pub fn gpu_unavailable(&self) {
        self.handles
            .update_value(|h| h.gpu = GpuWorker::Unavailable);
    }

    /// Which worker trains a run asking for `backend`; `None` until the page has asked the
    /// browser for a WebGPU adapter (the WebGPU worker is fetched only where there is one).
    pub fn for_backend(&self, backend: BackendPreference) -> Option<WorkerKind> {
        if backend == BackendPreference::Cpu {
            return Some(WorkerKind::Cpu);
        }
        self.handles.with_value(|h| match h.gpu {
            GpuWorker::NotLoaded => None,
            GpuWorker::Started(_) => Some(WorkerKind::Gpu),
            GpuWorker::Unavailable => Some(WorkerKind::Cpu),
        })
    }

    /// Whether the worker of `kind` has loaded (`None`: there is none to speak of).
    pub fn loaded(&self, kind: WorkerKind) -> Option<bool> {
        self.handles.with_value(|h| match kind {
            WorkerKind::Cpu => h.cpu.as_ref().ok().map(Handle::is_ready),
            WorkerKind::Gpu => match &h.gpu {
                GpuWorker::Started(handle) => Some(handle.is_ready()),
                GpuWorker::NotLoaded | GpuWorker::Unavailable => None,
            },
        })
    }

    /// The worker of `kind` said Ready: what waited for it goes now.
    pub fn ready(&self, kind: WorkerKind) {
        self.handles.update_value(|h| match kind {
            WorkerKind::Cpu => {
                if let Ok(w) = &mut h.cpu {
                    w.ready();
                }
            }
            WorkerKind::Gpu => {
                if let GpuWorker::Started(w) = &mut h.gpu {
                    w.ready();
                }
            }
        });
    }

    /// Sends `message` to the worker of `kind` (to the CPU worker if the WebGPU one is
    /// gone); gives it back with the reason if there is no worker to take it.
    pub fn send(&self, kind: WorkerKind, message: ToWorker) -> Option<Refused> {
        self.handles
            .try_update_value(|h| {
                if kind == WorkerKind::Gpu
                    && let GpuWorker::Started(w) = &mut h.gpu
                {
                    w.send(message);
                    return None;
                }
                match &mut h.cpu {
                    Ok(w) => {
                        w.send(message);
                        None
                    }
                    Err(why) => Some((message, why.clone())),
                }
            })
            .flatten()
    }

    /// Sends `message` with `files` to the CPU worker, which keeps the user's images; `false`
    /// if it is still starting (files cannot wait in a queue of JSON messages).
    pub fn send_files(&self, message: &ToWorker, files: &[web_sys::Blob]) -> bool {
        self.handles.with_value(|h| match &h.cpu {
            Ok(w) if w.is_ready() => {
                w.send_with_files(message, files);
                true
            }
            _ => false,
        })
    }

    /// The page is asking the browser for a WebGPU adapter: Pause or Stop wait meanwhile.
    pub fn deciding(&self) {
        self.handles
            .update_value(|h| h.route = RunRoute::Deciding(Vec::new()));
    }

    /// Makes `kind` the worker of the run or compression in progress and sends it `message`,
    /// then whatever waited for the choice.
    pub fn dispatch(&self, kind: WorkerKind, message: ToWorker) -> Vec<Refused> {
        let waiting = match self
            .handles
            .try_update_value(|h| std::mem::replace(&mut h.route, RunRoute::On(kind)))
        {
            Some(RunRoute::Deciding(waiting)) => waiting,
            _ => Vec::new(),
        };
        std::iter::once(message)
            .chain(waiting)
            .filter_map(|m| self.send(kind, m))
            .collect()
    }

    /// Sends Pause, Resume or Stop to the worker of the run in progress (they wait while the
    /// page decides which worker that is).
    pub fn send_to_run(&self, message: ToWorker) -> Option<Refused> {
        let to = self
            .handles
            .try_update_value(|h| match &mut h.route {
                RunRoute::On(kind) => Some((*kind, message)),
                RunRoute::Deciding(waiting) => {
                    waiting.push(message);
                    None
                }
            })
            .flatten()?;
        self.send(to.0, to.1)
    }

    /// Whether the run or compression in progress is on the worker of `kind`.
    pub fn runs_on(&self, kind: WorkerKind) -> bool {
        self.handles
            .with_value(|h| matches!(h.route, RunRoute::On(k) if k == kind))
    }

    /// The WebGPU worker did not load: later WebGPU runs go to the CPU worker; returns what
    /// waited for it, to go there too.
    pub fn gpu_failed_to_load(&self) -> Vec<ToWorker> {
        let old = self.handles.try_update_value(|h| {
            if matches!(h.route, RunRoute::On(WorkerKind::Gpu)) {
                h.route = RunRoute::On(WorkerKind::Cpu);
            }
            std::mem::replace(&mut h.gpu, GpuWorker::Unavailable)
        });
        Self::waiting_of(old.and_then(|gpu| match gpu {
            GpuWorker::Started(handle) => Some(handle),
            _ => None,
        }))
    }

    /// The CPU worker did not load (the page's own files are missing or refused): every later
    /// message is refused with `why`; returns what waited for it.
    pub fn cpu_failed_to_load(&self, why: Message) -> Vec<ToWorker> {
        let old = self
            .handles
            .try_update_value(|h| std::mem::replace(&mut h.cpu, Err(why)));
        Self::waiting_of(old.and_then(Result::ok))
    }

    fn waiting_of(handle: Option<Handle>) -> Vec<ToWorker> {
        match handle {
            Some(mut handle) => {
                let waiting = handle.take_waiting();
                handle.terminate();
                waiting
            }
            None => Vec::new(),
        }
    }

    /// The worker of `kind` died: its models are gone; the WebGPU one is fetched again by the
    /// next run that asks for it (the caller starts a fresh CPU one).
    pub fn crashed(&self, kind: WorkerKind) {
        self.models.update(|m| m.retain(|(_, home)| *home != kind));
        if kind == WorkerKind::Gpu {
            let old = self
                .handles
                .try_update_value(|h| std::mem::replace(&mut h.gpu, GpuWorker::NotLoaded));
            if let Some(GpuWorker::Started(handle)) = old {
                handle.terminate();
            }
        }
    }

    /// The user's images changed: the WebGPU worker reads them again before it next trains.
    pub fn images_changed(&self) {
        self.handles.update_value(|h| {
            if let GpuWorker::Started(w) = &mut h.gpu {
                w.send(ToWorker::ImagesChanged);
            }
        });
    }

    /// The worker of `kind` reported the runs whose models it holds.
    pub fn report_models(&self, kind: WorkerKind, run_ids: Vec<u32>) {
        self.models.update(|m| {
            m.retain(|(_, home)| *home != kind);
            m.extend(run_ids.into_iter().map(|id| (id, kind)));
        });
    }

    /// The worker holding run `id`'s trained model, if one does.
    pub fn home_of(&self, id: u32) -> Option<WorkerKind> {
        self.models
            .with_untracked(|m| m.iter().find(|(run, _)| *run == id).map(|(_, k)| *k))
    }

    /// Whether a worker holds run `id`'s trained model (it can be compressed or saved).
    pub fn holds(&self, id: u32) -> bool {
        self.models.with(|m| m.iter().any(|(run, _)| *run == id))
    }
}
