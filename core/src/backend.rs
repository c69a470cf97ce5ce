//! Compute backends: Burn's CPU backend everywhere, WebGPU in the browser.

/// The compute device type, re-exported so the app needs no direct Burn dependency.
#[cfg(feature = "engine")]
pub use burn::tensor::Device;

/// Burn's CPU backend. Flex is Burn 0.22's pure-Rust CPU backend (SIMD128 on wasm32); it
/// replaces the deprecated ndarray backend and measured faster on the reference CNN
/// (see docs/BENCHMARKS.md).
#[cfg(feature = "engine")]
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

/// Burn's wgpu backend (Vulkan, Metal or DirectX 12, as the system offers), for the
/// command-line runner: on this machine's best adapter, or with `gpu` its discrete GPU of that
/// number (counted from 0, as wgpu lists them); with the words that name it in the record.
#[cfg(all(feature = "native-wgpu", not(target_family = "wasm")))]
pub fn native_wgpu_device(gpu: Option<usize>) -> Result<(Device, String), crate::i18n::Message> {
    let options = match gpu {
        None => Device::wgpu_options(),
        Some(index) => {
            Device::wgpu_options().device_kind(burn::tensor::DeviceKind::DiscreteGpu(index))
        }
    };
    let (device, setup) = options.init_with_setup().map_err(|e| match gpu {
        None => crate::msg!("wgpu could not start: {e}", e = e.to_string()),
        Some(index) => crate::msg!(
            "wgpu could not start on discrete GPU {index}: {e}",
            index = index.to_string(),
            e = e.to_string()
        ),
    })?;
    let info = setup.adapter.get_info();
    let kind = match info.device_type {
        burn::tensor::wgpu::wgpu::DeviceType::DiscreteGpu => "discrete GPU",
        burn::tensor::wgpu::wgpu::DeviceType::IntegratedGpu => "integrated GPU",
        burn::tensor::wgpu::wgpu::DeviceType::VirtualGpu => "virtual GPU",
        burn::tensor::wgpu::wgpu::DeviceType::Cpu => "software, on the CPU",
        burn::tensor::wgpu::wgpu::DeviceType::Other => "other",
    };
    let name = format!("wgpu ({:?}) · {} ({kind})", info.backend, info.name);
    Ok((device, name))
}

/// Burn's CUDA backend on GPU `index`, for the command-line runner, checked by a first small
/// computation (CUDA starts lazily); with the words that name it in the record.
#[cfg(feature = "cuda")]
pub fn cuda_device(index: usize) -> Result<(Device, String), crate::i18n::Message> {
    use burn::tensor::Tensor;
    let device = Device::cuda(index);
    let probe = device.clone();
    // CUDA reports a missing driver by panicking on first use; the runner's profile unwinds, so
    // this turns it into a message (a build with panic = "abort", such as the release profile,
    // stops there instead, with CUDA's own).
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        Tensor::<1>::ones([1], &probe)
            .sum()
            .try_into_scalar::<f32>()
            .is_ok()
    }))
    .ok()
    .filter(|&ran| ran)
    .ok_or_else(|| {
        crate::msg!(
            "CUDA could not start on GPU {index} (no CUDA driver or GPU here)",
            index = index
        )
    })?;
    Ok((device, format!("cuda · GPU {index}")))
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
