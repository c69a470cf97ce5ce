//! Files the page hands to the user: exported runs, the runs table, charts, models.

use tradeoff_core::i18n::Message;
use tradeoff_core::msg;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Offers `bytes` as a download named `name` of type `mime`.
pub fn save_bytes(name: &str, mime: &str, bytes: &[u8]) -> Result<(), Message> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(|e| describe(&e))?;
    save_blob(name, &blob)
}

/// Offers `blob` as a download named `name`.
pub fn save_blob(name: &str, blob: &Blob) -> Result<(), Message> {
    let url = Url::create_object_url_with_blob(blob).map_err(|e| describe(&e))?;
    save_url(name, &url)?;
    // The browser has read the URL once the click is handled; free it on a later task.
    leptos::prelude::set_timeout(
        move || {
            let _ = Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(10),
    );
    Ok(())
}

/// Offers what `url` (an object or data URL) holds as a download named `name`.
pub fn save_url(name: &str, url: &str) -> Result<(), Message> {
    let anchor: HtmlAnchorElement = leptos::prelude::document()
        .create_element("a")
        .map_err(|e| describe(&e))?
        .unchecked_into();
    anchor.set_href(url);
    anchor.set_download(name);
    anchor.click();
    Ok(())
}

/// Offers a canvas's picture as a PNG download named `name`.
pub fn save_canvas_png(name: &str, canvas: &web_sys::HtmlCanvasElement) -> Result<(), Message> {
    let url = canvas.to_data_url().map_err(|e| describe(&e))?;
    save_url(name, &url)
}

/// A browser's error in its own words (or that it refused, when it gives none).
fn describe(e: &JsValue) -> Message {
    e.as_string()
        .or_else(|| js_sys::Reflect::get(e, &"message".into()).ok()?.as_string())
        .map_or_else(|| msg!("the browser refused"), Message::Plain)
}

/// A file name for something made now, e.g. `tradeoff-runs-2026-11-28-1305.json`.
pub fn stamped(stem: &str, extension: &str) -> String {
    let now = js_sys::Date::new_0();
    format!(
        "tradeoff-{stem}-{:04}-{:02}-{:02}-{:02}{:02}.{extension}",
        now.get_full_year(),
        now.get_month() + 1,
        now.get_date(),
        now.get_hours(),
        now.get_minutes()
    )
}
