//! Gathering the files a person gives the page — picked, dropped (folders walked), or chosen as
//! a folder — each with its path relative to what was given, so folders can name classes.

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DragEvent, File, FileList, FileSystemEntry, HtmlInputElement};

/// Most files gathered from one drop: folders are walked only this far, so a drop of a whole
/// disk cannot hang the page (the worker says how many it took).
const MAX_GATHERED: usize = 20_000;

/// A file and its path (`cats/1.jpg`, or just its name).
pub type Given = (String, Blob);

fn path_of(file: &File) -> String {
    let relative = Reflect::get(file, &"webkitRelativePath".into())
        .ok()
        .and_then(|p| p.as_string())
        .unwrap_or_default();
    if relative.is_empty() {
        file.name()
    } else {
        relative
    }
}

fn list(files: Option<FileList>) -> Vec<Given> {
    let Some(files) = files else {
        return Vec::new();
    };
    (0..files.length())
        .filter_map(|i| files.get(i))
        .map(|f| (path_of(&f), f.into()))
        .collect()
}

/// The files chosen in a file input (with their folder paths for a folder input), which is
/// then cleared so choosing the same files again works.
pub fn from_input(input: &HtmlInputElement) -> Vec<Given> {
    let files = list(input.files());
    input.set_value("");
    files
}

/// Calls `object.method(success, failure)` and waits for either.
async fn callback(object: &JsValue, method: &str) -> Result<JsValue, JsValue> {
    let function: Function = Reflect::get(object, &method.into())?.dyn_into()?;
    let promise = Promise::new(&mut |resolve, reject| {
        let _ = function.call2(object, &resolve, &reject);
    });
    JsFuture::from(promise).await
}

/// Walks a dropped entry: a file, or a folder and everything under it.
async fn walk(root: FileSystemEntry, out: &mut Vec<Given>) {
    let mut stack = vec![root];
    while let Some(entry) = stack.pop() {
        if out.len() >= MAX_GATHERED {
            return;
        }
        let path = entry.full_path().trim_start_matches('/').to_string();
        if entry.is_file() {
            if let Ok(file) = callback(&entry, "file").await {
                out.push((path, file.unchecked_into()));
            }
            continue;
        }
        let Ok(reader) = Reflect::get(&entry, &"createReader".into())
            .and_then(|f| f.dyn_into::<Function>())
            .and_then(|f| f.call0(&entry))
        else {
            continue;
        };
        // A reader hands out a folder's entries in batches until it returns none.
        loop {
            let Ok(batch) = callback(&reader, "readEntries").await else {
                break;
            };
            let batch = Array::from(&batch);
            if batch.length() == 0 {
                break;
            }
            stack.extend(batch.iter().map(|e| e.unchecked_into::<FileSystemEntry>()));
        }
    }
}

/// The files of a drop, folders walked. Entries are taken from the event at once (the browser
/// empties the drop after the handler returns) and then read.
pub fn from_drop(event: &DragEvent) -> impl Future<Output = Vec<Given>> + use<> {
    let transfer = event.data_transfer();
    let mut entries = Vec::new();
    let mut loose = Vec::new();
    if let Some(transfer) = &transfer {
        let items = transfer.items();
        for i in 0..items.length() {
            let Some(item) = items.get(i) else { continue };
            if item.kind() != "file" {
                continue;
            }
            match item.webkit_get_as_entry() {
                Ok(Some(entry)) => entries.push(entry),
                _ => {
                    if let Ok(Some(file)) = item.get_as_file() {
                        loose.push((file.name(), file.into()));
                    }
                }
            }
        }
        if entries.is_empty() && loose.is_empty() {
            loose = list(transfer.files());
        }
    }
    async move {
        let mut out = loose;
        for entry in entries {
            walk(entry, &mut out).await;
        }
        out
    }
}
