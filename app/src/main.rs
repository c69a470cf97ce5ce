//! Tradeoff's page: design a classifier, train it in a worker, compare what each run cost.

mod app;
mod components;
mod files;
mod format;
mod idb;
mod persist;
mod store;
mod timer;
mod worker_client;

fn main() {
    #[cfg(target_family = "wasm")]
    tradeoff_core::backend::run_static_constructors_once();
    console_error_panic_hook::set_once();
    store::install_panic_panel();
    leptos::mount::mount_to_body(app::App);
}
