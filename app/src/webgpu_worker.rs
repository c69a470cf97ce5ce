//! The WebGPU training worker (Burn's WebGPU and CPU backends), fetched by the page for the
//! first run that asks for WebGPU: see `training_worker`.

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
