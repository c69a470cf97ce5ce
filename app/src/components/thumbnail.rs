//! A small image drawn from raw dataset pixels.

use base64::Engine;
use leptos::prelude::*;
use tradeoff_core::data::Example;

/// `example` as an `<img>` (a BMP data URL, decoded by the browser off the main thread),
/// scaled by CSS with square pixels; `label` is its text alternative.
#[component]
pub fn Thumbnail(
    example: Example,
    channels: usize,
    size: usize,
    #[prop(into)] label: String,
) -> impl IntoView {
    let bmp = example.to_bmp(channels, size);
    let src = format!(
        "data:image/bmp;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bmp)
    );
    // Decoded off the main thread: forty of them landing at once must not stall a frame.
    view! { <img class="thumb" src=src alt=label.clone() title=label width=size height=size decoding="async" /> }
}
