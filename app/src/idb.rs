//! IndexedDB as futures, for the page (runs) and the worker (the user's images) alike.

use js_sys::Promise;
use tradeoff_core::i18n::Message;
use tradeoff_core::msg;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbObjectStore, IdbRequest, IdbTransactionMode};

/// Waits for an IndexedDB request and returns its result.
pub async fn settle(request: &IdbRequest) -> Result<JsValue, Message> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(promise)
        .await
        .map_err(|_| msg!("the browser's storage refused the request (is the disk full?)"))?;
    request
        .result()
        .map_err(|_| msg!("the browser's storage gave no result"))
}

/// Opens database `name`, making `stores` (with out-of-line keys) the first time. Works on
/// the page and in a worker: both have a global `indexedDB`.
pub async fn open(name: &str, stores: &'static [&'static str]) -> Result<IdbDatabase, Message> {
    let factory: IdbFactory = js_sys::Reflect::get(&js_sys::global(), &"indexedDB".into())
        .ok()
        .filter(|f| !f.is_undefined() && !f.is_null())
        .ok_or_else(|| msg!("this browser keeps no local database (private mode?)"))?
        .unchecked_into();
    let request = factory
        .open_with_u32(name, 1)
        .map_err(|_| msg!("the local database could not be opened"))?;
    let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let db: IdbDatabase = event
            .target()
            .and_then(|t| t.dyn_into::<IdbRequest>().ok())
            .and_then(|r| r.result().ok())
            .map(|r| r.unchecked_into())
            .expect("an upgrade event has its database");
        for name in stores {
            if !db.object_store_names().contains(name) {
                let _ = db.create_object_store(name);
            }
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db = settle(&request).await?;
    drop(upgrade);
    Ok(db.unchecked_into())
}

/// Object store `name` of `db` in a new transaction.
pub fn store(
    db: &IdbDatabase,
    name: &str,
    mode: IdbTransactionMode,
) -> Result<IdbObjectStore, Message> {
    db.transaction_with_str_and_mode(name, mode)
        .and_then(|t| t.object_store(name))
        .map_err(|_| msg!("the local database is not usable"))
}
