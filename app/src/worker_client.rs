//! The page's end of the training worker.

use tradeoff_core::msg;
use tradeoff_core::protocol::{FromWorker, ToWorker};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

/// Starts the training worker; `on_message` receives every message it sends.
pub fn spawn(on_message: impl Fn(FromWorker) + 'static) -> Result<Worker, String> {
    let worker = Worker::new("./worker_loader.js")
        .map_err(|e| msg!("the training worker could not start: {e:?}"))?;
    let handler = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        // A message is JSON, or `[JSON, Uint8Array]` when it carries a file.
        let data = event.data();
        let (text, bytes) = match data.as_string() {
            Some(text) => (text, None),
            None if js_sys::Array::is_array(&data) => {
                let parts = js_sys::Array::from(&data);
                let Some(text) = parts.get(0).as_string() else {
                    return;
                };
                (text, Some(js_sys::Uint8Array::new(&parts.get(1)).to_vec()))
            }
            None => return,
        };
        match serde_json::from_str::<FromWorker>(&text) {
            Ok(FromWorker::ModelFile { run_id, error, .. }) => on_message(FromWorker::ModelFile {
                run_id,
                error,
                bytes: bytes.unwrap_or_default(),
            }),
            Ok(message) => on_message(message),
            Err(e) => web_sys::console::error_1(&format!("unreadable worker message: {e}").into()),
        }
    });
    worker.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    Ok(worker)
}

/// Sends `message` to `worker`.
pub fn send(worker: &Worker, message: &ToWorker) {
    let _ = worker.post_message(&JsValue::from_str(&message.to_json()));
}

/// Sends `message` with `files`, as `[JSON, [File, …]]`: files are cloned by the browser
/// without copying their bytes, and cannot travel as JSON.
pub fn send_with_files(worker: &Worker, message: &ToWorker, files: &[web_sys::Blob]) {
    let list = js_sys::Array::new();
    for f in files {
        list.push(f);
    }
    let parts = js_sys::Array::of2(&JsValue::from_str(&message.to_json()), &list);
    let _ = worker.post_message(&parts);
}
