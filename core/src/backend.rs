//! Compute backends: Burn's CPU backend everywhere, WebGPU in the browser.

/// The compute device type, re-exported so the app needs no direct Burn dependency.
pub use burn::tensor::Device;

/// Burn's CPU backend. Flex is Burn 0.22's pure-Rust CPU backend (SIMD128 on wasm32); it
/// replaces the deprecated ndarray backend and measured faster on the reference CNN
/// (see docs/BENCHMARKS.md).
pub fn cpu_device() -> Device {
    Device::flex()
}

/// Name of the CPU backend as run records show it.
pub const CPU_BACKEND_NAME: &str = "cpu (flex)";

/// Brings up Burn's wgpu runtime on the browser's WebGPU adapter.
#[cfg(feature = "webgpu")]
pub async fn webgpu_device() -> Result<Device, crate::i18n::Message> {
    use crate::msg;
    use burn::tensor::wgpu::WgpuBackend;
    Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_async()
        .await
        .map_err(|e| msg!("WebGPU could not start: {e}", e = e.to_string()))
}

/// Runs the WebAssembly module's static constructors (Burn's GPU compiler registers its
/// dialects through them), once. Call it first thing in `main` of every wasm binary.
///
/// Without an explicit call, `wasm-ld` treats the module as a command and re-runs every
/// constructor at the start of *each* call from JavaScript into wasm: measured at 100–200 ms
/// of the page's main thread per edit, and overhead on every step the worker is woken for.
/// Referencing `__wasm_call_ctors` here is what tells the linker not to do that.
#[cfg(target_family = "wasm")]
pub fn run_static_constructors_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    static DONE: AtomicBool = AtomicBool::new(false);
    if !DONE.swap(true, Ordering::SeqCst) {
        // SAFETY: the linker-made constructor runner, called once before anything else runs.
        unsafe { __wasm_call_ctors() };
    }
}
