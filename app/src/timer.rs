//! Waiting without blocking, on the page and in the worker alike (both have `setTimeout`).

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Resolves after `ms` milliseconds. Not for "on the next turn of the event loop" in a loop:
/// browsers stretch a zero timeout set from a timer's own callback to 4 ms after five in a
/// row (the training worker yields by messaging itself instead).
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Ok(set_timeout) = Reflect::get(&js_sys::global(), &"setTimeout".into())
            .and_then(|f| f.dyn_into::<Function>())
        {
            let _ = set_timeout.call2(&JsValue::NULL, &resolve, &ms.into());
        }
    });
    let _ = JsFuture::from(promise).await;
}
