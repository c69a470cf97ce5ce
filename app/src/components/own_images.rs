//! The user's own images: make and name classes, add pictures by picker, drag and drop
//! (folders too), `.zip` or webcam, see thumbnails and counts, remove, or clear everything.

use leptos::prelude::*;
use tradeoff_core::own_images::{Fit, OwnImagesSummary, THUMB_SIZE};
use tradeoff_core::protocol::ToWorker;
use tradeoff_core::setting::Setting;
use web_sys::{DragEvent, HtmlInputElement};

use crate::components::thumbnail::Thumbnail;
use crate::components::webcam::Recorder;
use crate::files;
use crate::format;
use crate::i18n::{lang, localise, t};
use crate::store::Store;
use tradeoff_core::i18n::Message;
use tradeoff_core::tr;

/// `1 image`, `1,200 images`.
fn images(n: usize) -> String {
    if n == 1 {
        t("1 image").to_string()
    } else {
        tr!(lang(), "{n} images", n = format::count(n as u64))
    }
}

/// Image sizes offered for training on the user's images.
const SIZES: [usize; 4] = [28, 32, 48, 64];

/// Takes a drop's files (folders walked) to `class`, or to the classes their folders name.
fn drop_into(store: Store, class: Option<u32>, event: DragEvent) {
    event.prevent_default();
    event.stop_propagation();
    let gathering = files::from_drop(&event);
    leptos::task::spawn_local(async move {
        store.import(class, gathering.await);
    });
}

/// Lets files be dropped here (the browser would otherwise open them).
fn allow_drop(event: DragEvent) {
    event.prevent_default();
}

/// Files chosen in a file input, to `class` (or their folders' classes).
fn picked(store: Store, class: Option<u32>, event: web_sys::Event) {
    let input: HtmlInputElement = event_target(&event);
    store.import(class, files::from_input(&input));
}

/// Everything about the user's own images.
#[component]
pub fn OwnImages() -> impl IntoView {
    let store = expect_context::<Store>();
    let (input_hidden, input_locked) = store.hidden_locked(Setting::Input);
    let new_name = RwSignal::new(String::new());
    let add_class = move || {
        let name = new_name.get_untracked();
        store.change_own_images(ToWorker::AddClass { name });
        new_name.set(String::new());
    };
    let set_size = move |ev| {
        if let Ok(size) = event_target_value(&ev).parse::<usize>() {
            store.config.update(|c| c.input.size = size);
        }
    };
    let set_colour = move |ev| {
        let channels = if event_target_value(&ev) == "grey" {
            1
        } else {
            3
        };
        store.config.update(|c| c.input.channels = channels);
    };
    let set_fit = move |ev| {
        store.fit.set(if event_target_value(&ev) == "pad" {
            Fit::Pad
        } else {
            Fit::Crop
        })
    };
    let input = move || store.config.with(|c| c.input);
    let progress = move || {
        store.importing.get().map(|(done, total)| {
            view! {
                <div class="progress">
                    <progress
                        aria-label=t("Adding images")
                        max=total.max(1)
                        value=done
                    ></progress>
                    <p role="status">{tr!(lang(), "Adding images: {done} of {total} files read", done = done, total = total)}</p>
                </div>
            }
        })
    };
    let report = move || {
        store.import_report.get().map(|r| {
            let lines = r
                .sentences()
                .into_iter()
                .map(|s| view! { <li>{localise(&s)}</li> })
                .collect_view();
            view! {
                <div role="status">
                    <ul class="import-report" aria-label=t("What was added")>{lines}</ul>
                </div>
            }
        })
    };
    let confirm_clear = RwSignal::new(false);
    // `webkitdirectory` (choose a folder) is not among the attributes the view macro knows.
    let folder_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = folder_input.get() {
            let _ = input.set_attribute("webkitdirectory", "");
        }
    });
    // Rendered once the worker has described the images; the cards then update in place, so
    // a class's camera stays on while images come and go.
    let loaded = move || store.own_images.with(Option::is_some);
    view! {
        <section
            class="own-images"
            aria-label=t("Your images")
            on:dragover=allow_drop
            on:drop=move |e| drop_into(store, None, e)
        >
            <p class="hint">
                {t("Your images stay in this browser: nothing is uploaded. They are kept for your next visit until you clear them.")}
            </p>
            <fieldset class="grid bare" disabled=move || input_locked.get() hidden=move || input_hidden.get()>
                <legend class="sr-only">{t("Image size and colour")}</legend>
                <label>
                    {t("Image size")}
                    <select aria-label=t("Image size") on:change=set_size prop:value=move || input().size.to_string()>
                        {SIZES.iter().map(|s| view! { <option value=s.to_string()>{format!("{s}×{s}")}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    {t("Colour")}
                    <select
                        aria-label=t("Colour")
                        on:change=set_colour
                        prop:value=move || if input().channels == 1 { "grey" } else { "colour" }
                    >
                        <option value="colour">{t("Colour (RGB)")}</option>
                        <option value="grey">{t("Grey")}</option>
                    </select>
                </label>
                <label class="wide">
                    {t("Fit")}
                    <select aria-label=t("Fit") on:change=set_fit>
                        <option value="crop">{t("Centre-crop to square")}</option>
                        <option value="pad">{t("Pad to square")}</option>
                    </select>
                </label>
            </fieldset>
            <form
                class="add-class"
                on:submit=move |e| {
                    e.prevent_default();
                    add_class();
                }
            >
                <input
                    type="text"
                    aria-label=t("New class name")
                    placeholder=t("Class name, e.g. cats")
                    maxlength="40"
                    prop:value=move || new_name.get()
                    on:input=move |e| new_name.set(event_target_value(&e))
                />
                <button type="submit">{t("Add class")}</button>
            </form>
            <div class="drop-zone">
                <p>
                    {t("Drop images on a class, or drop a folder with one sub-folder per class (or a .zip of them) anywhere here.")}
                </p>
                <label class="file-button">
                    {t("Add a folder of classes")}
                    <input
                        type="file"
                        node_ref=folder_input
                        aria-label=t("Add a folder of classes")
                        on:change=move |e| picked(store, None, e)
                    />
                </label>
                <label class="file-button">
                    {t("Add a .zip of class folders")}
                    <input
                        type="file"
                        accept=".zip,application/zip"
                        aria-label=t("Add a .zip of class folders")
                        on:change=move |e| picked(store, None, e)
                    />
                </label>
            </div>
            {progress}
            {report}
            <Show
                when=loaded
                fallback=|| view! { <p class="hint">{t("Reading your images…")}</p> }
            >
                <Classes confirm_clear=confirm_clear />
            </Show>
        </section>
    }
}

/// The classes, what stops training, and "Clear my data".
#[component]
fn Classes(confirm_clear: RwSignal<bool>) -> impl IntoView {
    let store = expect_context::<Store>();
    let with_local = move |f: &dyn Fn(&OwnImagesSummary) -> String| {
        store
            .own_images
            .with(|l| l.as_ref().map(f).unwrap_or_default())
    };
    let total = move || with_local(&|l| images(l.total));
    let nothing = move || {
        store
            .own_images
            .with(|l| l.as_ref().is_none_or(|l| l.classes.is_empty()))
    };
    // Lines of the summary (what stops training, what weakens the test), each in a list item.
    let items = move |lines: fn(&OwnImagesSummary) -> &Vec<Message>| {
        store.own_images.with(|l| {
            l.iter()
                .flat_map(|l| lines(l).clone())
                .map(|line| view! { <li>{localise(&line)}</li> })
                .collect_view()
        })
    };
    let problems = move || items(|l| &l.problems);
    let warnings = move || items(|l| &l.warnings);
    let ids = move || {
        store.own_images.with(|l| {
            l.iter()
                .flat_map(|l| l.classes.iter().map(|c| c.id))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <ul class="own-classes" aria-label=t("Your classes")>
            <For each=ids key=|id| *id let:id>
                <ClassCard id=id />
            </For>
        </ul>
        <p class="hint">{move || tr!(lang(), "{images} in all; about one in five of each class is kept for the final test, picked at random but the same every time. Images recorded or dropped together stay on the same side, so the test never sees near copies of training images.", images = total())}</p>
        <ul class="hint blocked" aria-label=t("Before training")>{problems}</ul>
        <ul class="hint" aria-label=t("About the test")>{warnings}</ul>
        <div class="buttons">
            <Show
                when=move || confirm_clear.get()
                fallback=move || view! {
                    <button
                        type="button"
                        disabled=nothing
                        on:click=move |_| confirm_clear.set(true)
                    >{t("Clear my data")}</button>
                }
            >
                <span role="alert">{t("Remove all your classes and images from this browser?")}</span>
                <button
                    type="button"
                    class="danger"
                    on:click=move |_| {
                        confirm_clear.set(false);
                        store.change_own_images(ToWorker::ClearOwnImages);
                    }
                >{t("Remove them")}</button>
                <button type="button" on:click=move |_| confirm_clear.set(false)>{t("Keep them")}</button>
            </Show>
        </div>
    }
}

/// One class: its name (editable), count, thumbnails, and ways to add or remove images. It
/// follows the class's summary as it changes.
#[component]
fn ClassCard(id: u32) -> impl IntoView {
    let store = expect_context::<Store>();
    let class = Memo::new(move |_| {
        store.own_images.with(|l| {
            l.as_ref()
                .and_then(|l| l.classes.iter().find(|c| c.id == id).cloned())
        })
    });
    let current = move || {
        store.own_image_refusals.track();
        class.with(|c| c.as_ref().map(|c| c.name.clone()).unwrap_or_default())
    };
    let count = move || class.with(|c| c.as_ref().map_or(0, |c| c.count));
    let rename = move |ev| {
        store.change_own_images(ToWorker::RenameClass {
            class: id,
            name: event_target_value(&ev),
        })
    };
    let thumbs = move || {
        class.with(|c| {
            let Some(c) = c else { return ().into_any() };
            let first = c.count - c.samples.len();
            let more = first;
            let cards = c
                .samples
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let image = s.index as u32;
                    let label = tr!(lang(), "image {n} of {class}", n = first + i + 1, class = c.name.clone());
                    view! {
                        <span class="own-thumb">
                            <Thumbnail example=s.clone() channels=3 size=THUMB_SIZE label=label.clone() />
                            <button
                                type="button"
                                class="remove-image"
                                aria-label=tr!(lang(), "Remove {image}", image = label.clone())
                                title=tr!(lang(), "Remove {image}", image = label.clone())
                                on:click=move |_| store.change_own_images(ToWorker::RemoveImage { image })
                            >"×"</button>
                        </span>
                    }
                })
                .collect_view();
            view! {
                {cards}
                {(more > 0).then(|| view! { <span class="more">{tr!(lang(), "+{n} more", n = format::count(more as u64))}</span> })}
            }
            .into_any()
        })
    };
    let described = move || {
        tr!(
            lang(),
            "Class {class}: {images}",
            class = current(),
            images = images(count())
        )
    };
    view! {
        <li
            class="own-class"
            aria-label=described
            on:dragover=allow_drop
            on:drop=move |e| drop_into(store, Some(id), e)
        >
            <div class="own-class-head">
                <input
                    type="text"
                    class="class-name-input"
                    aria-label=t("Class name")
                    maxlength="40"
                    prop:value=current
                    on:change=rename
                />
                <span class="class-count">{move || images(count())}</span>
            </div>
            <div class="thumbs">{thumbs}</div>
            <div class="buttons">
                <label class="file-button">
                    {t("Add images")}
                    <input
                        type="file"
                        multiple=true
                        accept="image/*,.zip"
                        aria-label=move || tr!(lang(), "Add images to {class}", class = current())
                        on:change=move |e| picked(store, Some(id), e)
                    />
                </label>
                <Recorder class=id name=Signal::derive(current) />
                <button
                    type="button"
                    aria-label=move || tr!(lang(), "Remove class {class}", class = current())
                    on:click=move |_| store.change_own_images(ToWorker::RemoveClass { class: id })
                >{t("Remove class")}</button>
            </div>
        </li>
    }
}
