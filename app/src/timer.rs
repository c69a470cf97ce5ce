//! Waiting without blocking, on the page and in the worker alike (both have `setTimeout`).

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Resolves after `ms` milliseconds (0: on the next turn of the event loop).
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
