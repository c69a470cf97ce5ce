//! The user's own images, worker side: kept in IndexedDB so a reload loses nothing, imported
//! from files, folders and `.zip` archives with every file checked before the browser decodes
//! it, and decoded here — off the page's main thread — into the stored 64×64 squares.

use std::cell::RefCell;
use tradeoff_core::i18n::Message;
use tradeoff_core::msg;

use js_sys::{Array, Object, Reflect, Uint8Array};
use tradeoff_core::own_images::{
    Fit, ImportReport, OwnClass, OwnImage, OwnImages, STORE_SIZE, classes_from_paths, fit_rect,
    rgba_to_planes,
};
use tradeoff_core::sniff::{MAX_ARCHIVE_BYTES, MAX_FILE_BYTES, Sniffed, is_zip, sniff};
use tradeoff_core::zip::{ZipArchive, path_parts};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, IdbDatabase, IdbTransactionMode, ImageBitmap, OffscreenCanvas,
    OffscreenCanvasRenderingContext2d, WorkerGlobalScope,
};

use crate::idb::{self, settle};

const DATABASE: &str = "tradeoff-images";
const CLASSES: &str = "classes";
const IMAGES: &str = "images";
/// Images written to the database in one transaction.
const WRITE_BATCH: usize = 200;

async fn open() -> Result<IdbDatabase, Message> {
    idb::open(DATABASE, &[CLASSES, IMAGES]).await
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

/// Everything kept from earlier visits.
pub async fn load() -> Result<OwnImages, Message> {
    let db = open().await?;
    let db = &db;
    let all = |name| async move {
        let store = idb::store(db, name, IdbTransactionMode::Readonly)?;
        let values: Array = settle(&store.get_all().map_err(|_| "unreadable")?)
            .await?
            .unchecked_into();
        Ok::<_, Message>(values)
    };
    let classes = all(CLASSES)
        .await?
        .iter()
        .filter_map(|v| {
            Some(OwnClass {
                id: get(&v, "id").as_f64()? as u32,
                name: get(&v, "name").as_string()?,
            })
        })
        .collect();
    let images = all(IMAGES)
        .await?
        .iter()
        .filter_map(|v| {
            Some(OwnImage {
                id: get(&v, "id").as_f64()? as u32,
                class: get(&v, "class").as_f64()? as u32,
                name: get(&v, "name").as_string()?,
                pixels: get(&v, "pixels").dyn_into::<Uint8Array>().ok()?.to_vec(),
                // Images kept before bursts were recorded have none (0: a burst of their own).
                burst: get(&v, "burst").as_f64().unwrap_or(0.0) as u32,
            })
        })
        .collect();
    Ok(OwnImages::from_parts(classes, images))
}

/// Keeps (or updates) a class.
pub async fn put_class(class: &OwnClass) -> Result<(), Message> {
    let db = open().await?;
    let store = idb::store(&db, CLASSES, IdbTransactionMode::Readwrite)?;
    let value = object(&[
        ("id", class.id.into()),
        ("name", class.name.as_str().into()),
    ]);
    settle(
        &store
            .put_with_key(&value, &class.id.into())
            .map_err(|_| "refused")?,
    )
    .await
    .map(|_| ())
}

/// Keeps images, in one transaction.
async fn put_images(images: &[OwnImage]) -> Result<(), Message> {
    let db = open().await?;
    let store = idb::store(&db, IMAGES, IdbTransactionMode::Readwrite)?;
    let mut last = None;
    for image in images {
        let value = object(&[
            ("id", image.id.into()),
            ("class", image.class.into()),
            ("name", image.name.as_str().into()),
            ("pixels", Uint8Array::from(&image.pixels[..]).into()),
            ("burst", image.burst.into()),
        ]);
        last = Some(
            store
                .put_with_key(&value, &image.id.into())
                .map_err(|_| msg!("the images could not be kept (is the disk full?)"))?,
        );
    }
    // Requests of a transaction finish in order: the last one done means all are.
    match last {
        Some(request) => settle(&request).await.map(|_| ()),
        None => Ok(()),
    }
}

/// Forgets a class and its images (`images`: their ids).
pub async fn delete(class: Option<u32>, images: &[u32]) -> Result<(), Message> {
    let db = open().await?;
    if let Some(class) = class {
        let store = idb::store(&db, CLASSES, IdbTransactionMode::Readwrite)?;
        settle(&store.delete(&class.into()).map_err(|_| "refused")?).await?;
    }
    let store = idb::store(&db, IMAGES, IdbTransactionMode::Readwrite)?;
    let mut last = None;
    for &id in images {
        last = Some(store.delete(&id.into()).map_err(|_| "refused")?);
    }
    if let Some(request) = last {
        settle(&request).await?;
    }
    Ok(())
}

/// Forgets every class and image.
pub async fn clear() -> Result<(), Message> {
    let db = open().await?;
    for name in [CLASSES, IMAGES] {
        let store = idb::store(&db, name, IdbTransactionMode::Readwrite)?;
        settle(&store.clear().map_err(|_| "refused")?).await?;
    }
    Ok(())
}

fn scope() -> WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

async fn bytes_of(blob: &Blob) -> Result<Vec<u8>, Message> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|_| msg!("the file could not be read (was it moved or deleted?)"))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// The browser decodes and scales into the 64×64 square.
struct Decoder {
    context: OffscreenCanvasRenderingContext2d,
}

impl Decoder {
    fn new() -> Result<Self, Message> {
        let canvas = OffscreenCanvas::new(STORE_SIZE as u32, STORE_SIZE as u32)
            .map_err(|_| msg!("this browser cannot decode images in a worker"))?;
        let context = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .ok_or_else(|| msg!("this browser cannot decode images in a worker"))?
            .unchecked_into::<OffscreenCanvasRenderingContext2d>();
        // Downscaling a photo to 64 px with the default (low) quality aliases badly.
        let _ = Reflect::set(&context, &"imageSmoothingQuality".into(), &"high".into());
        Ok(Decoder { context })
    }

    /// Stored RGB planes of an image file already checked by [`sniff`].
    async fn decode(&self, bytes: &[u8], fit: Fit) -> Result<Vec<u8>, Message> {
        let undecodable =
            || msg!("the browser could not decode it (the file is damaged or truncated)");
        let parts = Array::of1(&Uint8Array::from(bytes));
        let blob = Blob::new_with_u8_array_sequence(&parts).map_err(|_| undecodable())?;
        let promise = scope()
            .create_image_bitmap_with_blob(&blob)
            .map_err(|_| undecodable())?;
        let bitmap: ImageBitmap = JsFuture::from(promise)
            .await
            .map_err(|_| undecodable())?
            .unchecked_into();
        let (s, d) = fit_rect(bitmap.width() as f64, bitmap.height() as f64, fit);
        let side = STORE_SIZE as f64;
        self.context.set_fill_style_str("#000");
        self.context.fill_rect(0.0, 0.0, side, side);
        let drawn = self
            .context
            .draw_image_with_image_bitmap_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
                &bitmap, s[0], s[1], s[2], s[3], d[0], d[1], d[2], d[3],
            );
        bitmap.close();
        drawn.map_err(|_| undecodable())?;
        let data = self
            .context
            .get_image_data(0.0, 0.0, side, side)
            .map_err(|_| undecodable())?
            .data();
        Ok(rgba_to_planes(&data))
    }
}

/// Where a file of an import comes from.
enum Source {
    File(Blob),
    /// Archive index, entry index.
    Entry(usize, usize),
}

struct Item {
    /// Path for messages.
    label: String,
    parts: Vec<String>,
    source: Source,
}

/// Adds `files` (with their `paths`) to `local`: folders name classes, loose files go to
/// `class`. Every file is checked before decoding; what is refused is named in the report
/// with the reason, and everything else is kept. `progress(done, total)` is called as it goes.
pub async fn import(
    local: &RefCell<OwnImages>,
    files: Vec<Blob>,
    paths: Vec<String>,
    class: Option<u32>,
    fit: Fit,
    progress: impl Fn(usize, usize),
) -> ImportReport {
    let mut report = ImportReport::default();
    let decoder = match Decoder::new() {
        Ok(d) => d,
        Err(why) => {
            report.skip("all files", &why);
            return report;
        }
    };
    // Archives are read whole first: their entries' paths name classes as folders do.
    let mut items = Vec::new();
    let mut archives_bytes = Vec::new();
    let mut archive_files = Vec::new();
    for (i, blob) in files.into_iter().enumerate() {
        let label = paths
            .get(i)
            .cloned()
            .unwrap_or_else(|| msg!("file {}", i + 1).to_string());
        let parts = match path_parts(&label) {
            Ok(Some(parts)) => parts,
            Ok(None) => continue,
            Err(why) => {
                report.skip(&label, &why);
                continue;
            }
        };
        let head = bytes_of(&blob.slice_with_i32_and_i32(0, 4).unwrap_or(blob.clone()))
            .await
            .unwrap_or_default();
        if is_zip(&head) {
            if blob.size() > MAX_ARCHIVE_BYTES as f64 {
                let why = msg!(
                    "the .zip file is larger than {} MB",
                    MAX_ARCHIVE_BYTES >> 20
                );
                report.skip(&label, &why);
                continue;
            }
            match bytes_of(&blob).await {
                Ok(bytes) => {
                    archives_bytes.push(bytes);
                    archive_files.push(label);
                }
                Err(why) => report.skip(&label, &why),
            }
            continue;
        }
        items.push(Item {
            label,
            parts,
            source: Source::File(blob),
        });
    }
    let mut archives = Vec::new();
    for (bytes, label) in archives_bytes.iter().zip(&archive_files) {
        match ZipArchive::new(bytes) {
            Ok(archive) => {
                for (e, entry) in archive.entries.iter().enumerate() {
                    let entry_label = format!("{label}/{}", entry.name);
                    match path_parts(&entry.name) {
                        Ok(Some(parts)) => items.push(Item {
                            label: entry_label,
                            parts,
                            source: Source::Entry(archives.len(), e),
                        }),
                        Ok(None) => {}
                        Err(why) => report.skip(&entry_label, &why),
                    }
                }
                archives.push(archive);
            }
            Err(why) => report.skip(label, &why),
        }
    }
    // Browsers list a folder's files in no set order: sort, so classes are made in name order.
    items.sort_by(|a, b| a.parts.cmp(&b.parts));
    let parts: Vec<Vec<String>> = items.iter().map(|i| i.parts.clone()).collect();
    let folders = classes_from_paths(&parts);
    let total = items.len();
    // One import (a drop, a pick, a webcam recording) is one burst: the split keeps it together.
    let burst = local.borrow_mut().new_burst();
    let mut pending = Vec::new();
    for (k, (item, folder)) in items.into_iter().zip(folders).enumerate() {
        if k % 16 == 0 {
            progress(k, total);
        }
        if local.borrow().room() == 0 {
            report.over(local.borrow().limit());
            continue;
        }
        let bytes = match &item.source {
            Source::File(blob) if blob.size() > MAX_FILE_BYTES as f64 => {
                Err(msg!("the file is larger than {} MB", MAX_FILE_BYTES >> 20))
            }
            Source::File(blob) => bytes_of(blob).await,
            Source::Entry(a, e) => archives[*a].read(*e),
        };
        let checked = bytes.and_then(|b| match sniff(&b)? {
            Sniffed::Image(_) => Ok(b),
            Sniffed::Zip => Err(msg!("a .zip inside a .zip is not opened")),
        });
        let pixels = match checked {
            Ok(bytes) => decoder.decode(&bytes, fit).await,
            Err(why) => Err(why),
        };
        let pixels = match pixels {
            Ok(p) => p,
            Err(why) => {
                report.skip(&item.label, &why);
                continue;
            }
        };
        let target = local.borrow_mut().class_for(folder.as_deref(), class);
        let target = match target {
            Ok((id, Some(made))) => {
                let _ = put_class(&made).await;
                report.new_classes.push(made.name);
                Ok(id)
            }
            Ok((id, None)) => Ok(id),
            Err(why) => Err(why),
        };
        let name = item.parts.last().cloned().unwrap_or_default();
        let added = target.and_then(|id| {
            local
                .borrow_mut()
                .add_image(id, &name, pixels, burst)
                .cloned()
        });
        match added {
            Ok(image) => {
                report.added += 1;
                pending.push(image);
                if pending.len() >= WRITE_BATCH {
                    if let Err(why) = put_images(&pending).await {
                        report.skip("saving", &why);
                    }
                    pending.clear();
                }
            }
            Err(why) => report.skip(&item.label, &why),
        }
    }
    if let Err(why) = put_images(&pending).await {
        report.skip("saving", &why);
    }
    progress(total, total);
    report
}
