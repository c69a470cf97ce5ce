//! Tradeoff's page: design a classifier, train it in a worker, compare what each run cost.

mod app;
mod components;
mod download;
mod files;
mod i18n;
mod idb;
mod panic_panel;
mod persist;
mod store;
mod timer;
mod webgpu;
mod worker_client;

use tradeoff_core::format;

fn main() {
    #[cfg(target_family = "wasm")]
    tradeoff_core::backend::run_static_constructors_once();
    console_error_panic_hook::set_once();
    panic_panel::install();
    leptos::mount::mount_to_body(app::App);
    register_service_worker();
}

/// After the first visit the page works offline: its service worker keeps the page's files
/// (`static/sw.js`). Where there is none (an insecure origin, a private window that refuses
/// it) the page simply needs the network, as before.
fn register_service_worker() {
    let navigator = leptos::prelude::window().navigator();
    if js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        let _ = navigator.service_worker().register("./sw.js");
    }
}
