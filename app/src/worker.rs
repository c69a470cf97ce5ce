//! The CPU training worker (Burn's CPU backend), started with the page: see
//! `training_worker`.

#[cfg(target_arch = "wasm32")]
mod idb;
#[cfg(target_arch = "wasm32")]
mod own_images;
#[cfg(target_arch = "wasm32")]
mod timer;
mod training_worker;
#[cfg(target_arch = "wasm32")]
mod webgpu;

fn main() {
    training_worker::main();
}
