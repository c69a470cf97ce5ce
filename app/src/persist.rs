//! Keeping runs across reloads: finished runs in IndexedDB, the run in progress in
//! localStorage (written as it goes, so a closed tab leaves a record to show as interrupted).

use js_sys::Array;
use tradeoff_core::i18n::Message;
use tradeoff_core::msg;
use tradeoff_core::record::RunRecord;
use wasm_bindgen::prelude::*;
use web_sys::{IdbDatabase, IdbObjectStore, IdbTransactionMode};

use crate::idb::{self, settle};

const DATABASE: &str = "tradeoff";
const RUNS: &str = "runs";
/// localStorage key of the run in progress.
const LIVE_KEY: &str = "tradeoff:live";
/// localStorage key of the runs deleted whose removal from IndexedDB may not have finished:
/// localStorage is written at once, so a reload right after Delete cannot bring a run back.
const DELETED_KEY: &str = "tradeoff:deleted";

async fn open() -> Result<IdbDatabase, Message> {
    idb::open(DATABASE, &[RUNS]).await
}

fn store(db: &IdbDatabase, mode: IdbTransactionMode) -> Result<IdbObjectStore, Message> {
    idb::store(db, RUNS, mode)
}

/// Every kept run with its storage key (its creation time), oldest first; records that no longer
/// parse are skipped, and deletions a reload cut short are finished.
pub async fn load_runs() -> Result<Vec<(f64, RunRecord)>, Message> {
    let db = open().await?;
    let runs = store(&db, IdbTransactionMode::Readonly)?;
    let keys: Array = settle(&runs.get_all_keys().map_err(|_| "unreadable")?)
        .await?
        .unchecked_into();
    let values: Array = settle(&runs.get_all().map_err(|_| "unreadable")?)
        .await?
        .unchecked_into();
    let deleted = pending_deletes();
    for &key in &deleted {
        let _ = delete_run(key).await;
    }
    let mut out: Vec<(f64, RunRecord)> = keys
        .iter()
        .zip(values.iter())
        .filter_map(|(k, v)| {
            let key = k.as_f64()?;
            let record = serde_json::from_str(&v.as_string()?).ok()?;
            Some((key, record))
        })
        .filter(|(key, _)| !deleted.contains(key))
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(out)
}

/// Keeps the run stored under `key`.
pub async fn save_run(key: f64, record: &RunRecord) -> Result<(), Message> {
    let json = serde_json::to_string(record).map_err(|e| e.to_string())?;
    let db = open().await?;
    let runs = store(&db, IdbTransactionMode::Readwrite)?;
    let request = runs
        .put_with_key(&JsValue::from_str(&json), &JsValue::from(key))
        .map_err(|_| msg!("the run could not be saved (is the disk full?)"))?;
    settle(&request).await.map(|_| ())
}

/// Forgets the run stored under `key`, for good even if the page closes before the database
/// has done it.
pub async fn forget_run(key: f64) -> Result<(), Message> {
    let mut deleted = pending_deletes();
    deleted.push(key);
    set_pending_deletes(&deleted);
    delete_run(key).await
}

async fn delete_run(key: f64) -> Result<(), Message> {
    let db = open().await?;
    let runs = store(&db, IdbTransactionMode::Readwrite)?;
    let request = runs
        .delete(&JsValue::from(key))
        .map_err(|_| msg!("the run could not be deleted"))?;
    settle(&request).await?;
    let mut deleted = pending_deletes();
    deleted.retain(|&k| k != key);
    set_pending_deletes(&deleted);
    Ok(())
}

/// Keys of runs deleted whose removal from the database is not known to be done.
fn pending_deletes() -> Vec<f64> {
    local_storage()
        .and_then(|s| s.get_item(DELETED_KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

fn set_pending_deletes(keys: &[f64]) {
    if let Some(storage) = local_storage() {
        let _ = if keys.is_empty() {
            storage.remove_item(DELETED_KEY)
        } else {
            storage.set_item(
                DELETED_KEY,
                &serde_json::to_string(keys).unwrap_or_default(),
            )
        };
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Notes the run in progress (its partial record); cleared when it ends.
pub fn save_live(key: f64, record: &RunRecord) {
    if let (Some(storage), Ok(json)) = (local_storage(), serde_json::to_string(&(key, record))) {
        let _ = storage.set_item(LIVE_KEY, &json);
    }
}

/// Forgets the run in progress.
pub fn clear_live() {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(LIVE_KEY);
    }
}

/// The run that was in progress when the page was last closed, if any; it stays noted until
/// [`clear_live`], so a reload during the restore cannot lose it.
pub fn last_live() -> Option<(f64, RunRecord)> {
    let json = local_storage()?.get_item(LIVE_KEY).ok().flatten()?;
    serde_json::from_str(&json).ok()
}
