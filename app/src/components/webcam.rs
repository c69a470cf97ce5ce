//! Adding webcam frames to a class: press and hold to record, release to add them.

use leptos::html::Video;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{
    Blob, CanvasRenderingContext2d, HtmlCanvasElement, MediaStream, MediaStreamConstraints,
};

use crate::i18n::{lang, t};
use crate::store::Store;
use tradeoff_core::i18n::Message;
use tradeoff_core::{msg, tr};

/// Time between two recorded frames.
const FRAME_EVERY_MS: i32 = 150;
/// Side of the square frames sent to the worker (it scales them to 64 px).
const FRAME_SIDE: u32 = 128;

/// The "Hold to record" button of one class, and the camera's live picture while it is on.
#[component]
pub fn Recorder(class: u32, name: Signal<String>) -> impl IntoView {
    let store = expect_context::<Store>();
    let video = NodeRef::<Video>::new();
    let stream = StoredValue::new_local(None::<MediaStream>);
    let frames = StoredValue::new_local(Vec::<Blob>::new());
    let pending = StoredValue::new(0usize);
    let timer = StoredValue::new(None::<i32>);
    let camera_on = RwSignal::new(false);
    let recording = RwSignal::new(false);
    let recorded = RwSignal::new(0usize);
    let canvas = StoredValue::new_local(None::<(HtmlCanvasElement, CanvasRenderingContext2d)>);

    let stop_camera = move || {
        stream.update_value(|s| {
            if let Some(s) = s.take() {
                for track in s.get_tracks().iter() {
                    track.unchecked_into::<web_sys::MediaStreamTrack>().stop();
                }
            }
        });
        camera_on.set(false);
    };
    on_cleanup(move || {
        if let Some(id) = timer.get_value() {
            window().clear_interval_with_handle(id);
        }
        stop_camera();
    });

    // One frame: the centre square of the picture, as a JPEG made off the main thread.
    let capture = move || {
        let Some(video) = video.get_untracked() else {
            return;
        };
        let (w, h) = (video.video_width() as f64, video.video_height() as f64);
        if w == 0.0 || h == 0.0 {
            return;
        }
        // One canvas for every frame: toBlob copies its pixels when called.
        if canvas.with_value(Option::is_none) {
            canvas.set_value(new_canvas());
        }
        let Some((canvas, context)) = canvas.get_value() else {
            return;
        };
        let side = w.min(h);
        let target = FRAME_SIDE as f64;
        let _ = context
            .draw_image_with_html_video_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
                &video,
                (w - side) / 2.0,
                (h - side) / 2.0,
                side,
                side,
                0.0,
                0.0,
                target,
                target,
            );
        pending.update_value(|p| *p += 1);
        let done = Closure::once_into_js(move |blob: JsValue| {
            pending.update_value(|p| *p -= 1);
            if let Ok(blob) = blob.dyn_into::<Blob>() {
                frames.update_value(|f| f.push(blob));
                recorded.update(|n| *n += 1);
            }
        });
        let _ = canvas.to_blob_with_type_and_encoder_options(
            done.unchecked_ref(),
            "image/jpeg",
            &JsValue::from_f64(0.92),
        );
    };

    let start_recording = move || {
        if recording.get_untracked() {
            return;
        }
        recording.set(true);
        recorded.set(0);
        frames.set_value(Vec::new());
        let tick = Closure::<dyn Fn()>::new(capture);
        let id = window()
            .set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                FRAME_EVERY_MS,
            )
            .ok();
        tick.forget();
        timer.set_value(id);
    };

    let press = move || {
        if camera_on.get_untracked() {
            return start_recording();
        }
        leptos::task::spawn_local(async move {
            match open_camera().await {
                Ok(s) => {
                    if let Some(v) = video.get_untracked() {
                        v.set_src_object(Some(&s));
                        let _ = v.play();
                    }
                    stream.set_value(Some(s));
                    camera_on.set(true);
                    start_recording();
                }
                Err(why) => store.notify("error", why),
            }
        });
    };

    let release = move || {
        if let Some(id) = timer.get_value() {
            window().clear_interval_with_handle(id);
        }
        timer.set_value(None);
        if !recording.get_untracked() {
            return;
        }
        recording.set(false);
        leptos::task::spawn_local(async move {
            // Frames still being encoded are waited for, so none is lost.
            while pending.get_value() > 0 {
                crate::timer::sleep(20).await;
            }
            let taken = frames.try_update_value(std::mem::take).unwrap_or_default();
            let stamp = js_sys::Date::now() as u64;
            let files = taken
                .into_iter()
                .enumerate()
                .map(|(i, b)| (format!("webcam-{stamp}-{i}.jpg"), b))
                .collect();
            store.import(Some(class), files);
        });
    };

    let label = move || {
        tr!(
            lang(),
            "Hold to record webcam frames for {class}",
            class = name.get()
        )
    };
    view! {
        <span class="recorder">
            <button
                type="button"
                aria-label=label
                class:recording=move || recording.get()
                on:pointerdown=move |e| {
                    // Captured, the release is seen even when the camera's picture appearing
                    // moves the button from under the pointer.
                    let button: web_sys::Element = event_target(&e);
                    let _ = button.set_pointer_capture(e.pointer_id());
                    press();
                }
                on:pointerup=move |_| release()
                on:pointercancel=move |_| release()
                on:lostpointercapture=move |_| release()
                on:keydown=move |e| {
                    if (e.key() == " " || e.key() == "Enter") && !e.repeat() {
                        e.prevent_default();
                        press();
                    }
                }
                on:keyup=move |e| {
                    if e.key() == " " || e.key() == "Enter" {
                        release();
                    }
                }
            >
                {move || if recording.get() {
                    tr!(lang(), "Recording… {frames}", frames = recorded.get())
                } else {
                    t("Hold to record").to_string()
                }}
            </button>
            <video
                node_ref=video
                class="camera"
                class:hidden=move || !camera_on.get()
                muted=true
                playsinline=true
                aria-label=t("Webcam picture")
            ></video>
            <Show when=move || camera_on.get()>
                <button type="button" on:click=move |_| stop_camera()>{t("Camera off")}</button>
            </Show>
        </span>
    }
}

async fn open_camera() -> Result<MediaStream, Message> {
    let refused = |_| {
        msg!(
            "The webcam could not be opened: allow this page to use the camera, or add image files instead."
        )
    };
    let devices = window().navigator().media_devices().map_err(refused)?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_video(&JsValue::TRUE);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(refused)?;
    let stream = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(refused)?;
    Ok(stream.unchecked_into())
}

/// The square canvas frames are drawn on, and its context.
fn new_canvas() -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let canvas: HtmlCanvasElement = document().create_element("canvas").ok()?.unchecked_into();
    canvas.set_width(FRAME_SIDE);
    canvas.set_height(FRAME_SIDE);
    let context = canvas.get_context("2d").ok()??.unchecked_into();
    Some((canvas, context))
}
