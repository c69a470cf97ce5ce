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
pub async fn webgpu_device() -> Result<Device, String> {
    use burn::tensor::wgpu::WgpuBackend;
    Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_async()
        .await
        .map_err(|e| format!("WebGPU could not start: {e}"))
}
