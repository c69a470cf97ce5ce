//! The page's end of the training workers.

use tradeoff_core::i18n::Message;
use tradeoff_core::msg;
use tradeoff_core::protocol::{FromWorker, ToWorker};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

/// Which training worker (see `training_worker`): the CPU one, started with the page, or the
/// WebGPU one, fetched for the first run that asks for WebGPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerKind {
    /// Burn's CPU backend only (`worker`).
    Cpu,
    /// Burn's WebGPU and CPU backends (`webgpu_worker`).
    Gpu,
}

impl WorkerKind {
    /// The script that starts it (`static/start-worker.js`, told which build to load).
    fn script(self) -> &'static str {
        match self {
            Self::Cpu => "./start-worker.js?worker",
            Self::Gpu => "./start-worker.js?webgpu_worker",
        }
    }
}

/// A started worker, and the messages waiting for it to say Ready: a message posted while its
/// wasm is still loading would find no handler and be lost (a Train pressed early would hang).
pub struct Handle {
    worker: Worker,
    waiting: Option<Vec<ToWorker>>,
}

impl Handle {
    /// Starts a worker of `kind`: `on_message` receives every message it sends, `on_error`
    /// the reason when it fails to load or dies.
    pub fn spawn(
        kind: WorkerKind,
        on_message: impl Fn(FromWorker) + 'static,
        on_error: impl Fn(String) + 'static,
    ) -> Result<Handle, Message> {
        let worker = Worker::new(kind.script()).map_err(|e| {
            msg!(
                "the training worker could not start: {e}",
                e = format!("{e:?}")
            )
        })?;
        let handler = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(message) = read(event.data()) {
                on_message(message);
            }
        });
        worker.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        handler.forget();
        let on_error =
            Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                e.prevent_default();
                on_error(e.message());
            });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        Ok(Handle {
            worker,
            waiting: Some(Vec::new()),
        })
    }

    /// Whether the worker has said Ready.
    pub fn is_ready(&self) -> bool {
        self.waiting.is_none()
    }

    /// The worker said Ready: sends what was waiting.
    pub fn ready(&mut self) {
        for message in self.waiting.take().unwrap_or_default() {
            self.post(&message);
        }
    }

    /// Sends `message` now, or once the worker is ready.
    pub fn send(&mut self, message: ToWorker) {
        match &mut self.waiting {
            Some(queue) => queue.push(message),
            None => self.post(&message),
        }
    }

    /// The messages still waiting for the worker (it will not take them: it failed to load).
    pub fn take_waiting(&mut self) -> Vec<ToWorker> {
        self.waiting.take().unwrap_or_default()
    }

    fn post(&self, message: &ToWorker) {
        let _ = self
            .worker
            .post_message(&JsValue::from_str(&message.to_json()));
    }

    /// Sends `message` with `files`, as `[JSON, [File, …]]`: files are cloned by the browser
    /// without copying their bytes, and cannot travel as JSON. Only once the worker is ready.
    pub fn send_with_files(&self, message: &ToWorker, files: &[web_sys::Blob]) {
        let list = js_sys::Array::new();
        for f in files {
            list.push(f);
        }
        let parts = js_sys::Array::of2(&JsValue::from_str(&message.to_json()), &list);
        let _ = self.worker.post_message(&parts);
    }

    /// Ends the worker at once (a crashed one, before a fresh one starts).
    pub fn terminate(self) {
        self.worker.terminate();
    }
}

/// A worker's message: JSON, or `[JSON, Uint8Array]` when it carries a file.
fn read(data: JsValue) -> Option<FromWorker> {
    let (text, bytes) = match data.as_string() {
        Some(text) => (text, None),
        None if js_sys::Array::is_array(&data) => {
            let parts = js_sys::Array::from(&data);
            let text = parts.get(0).as_string()?;
            (text, Some(js_sys::Uint8Array::new(&parts.get(1)).to_vec()))
        }
        None => return None,
    };
    match serde_json::from_str::<FromWorker>(&text) {
        Ok(FromWorker::ModelFile { run_id, error, .. }) => Some(FromWorker::ModelFile {
            run_id,
            error,
            bytes: bytes.unwrap_or_default(),
        }),
        Ok(message) => Some(message),
        Err(e) => {
            web_sys::console::error_1(&format!("unreadable worker message: {e}").into());
            None
        }
    }
}
