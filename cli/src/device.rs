//! `--backend`: which of Burn's backends trains the run, and the words that say so.

use tradeoff_core::backend::{CPU_BACKEND_NAME, Device, cpu_device};

use crate::args::BackendChoice;

/// A device to train on and how the record names it.
pub struct Chosen {
    /// The device.
    pub device: Device,
    /// "cpu (flex), native · AMD EPYC 7B13", "wgpu (Vulkan) · llvmpipe", …
    pub name: String,
}

/// The processor's model name where the system tells it, else the architecture.
fn processor() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn cpu() -> Chosen {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    Chosen {
        device: cpu_device(),
        name: format!(
            "{CPU_BACKEND_NAME}, native (command line) · {} · {threads} threads",
            processor()
        ),
    }
}

/// The device `choice` asks for; `Auto` takes CUDA, then wgpu, then the CPU, as built in and
/// present. An explicit choice that cannot start is an error that says why.
pub fn choose(choice: BackendChoice) -> Result<Chosen, String> {
    match choice {
        BackendChoice::Cpu => Ok(cpu()),
        BackendChoice::Cuda => cuda(),
        BackendChoice::Wgpu => wgpu(),
        BackendChoice::Auto => Ok(cuda().or_else(|_| wgpu()).unwrap_or_else(|_| cpu())),
    }
}

#[cfg(feature = "cuda")]
fn cuda() -> Result<Chosen, String> {
    tradeoff_core::backend::cuda_device(0)
        .map(|(device, name)| Chosen { device, name })
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "cuda"))]
fn cuda() -> Result<Chosen, String> {
    Err("this build has no CUDA backend: build the runner with `cargo build --release -p tradeoff-cli --features cuda` (needs the CUDA toolkit)".into())
}

#[cfg(feature = "wgpu")]
fn wgpu() -> Result<Chosen, String> {
    tradeoff_core::backend::native_wgpu_device()
        .map(|(device, name)| Chosen { device, name })
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "wgpu"))]
fn wgpu() -> Result<Chosen, String> {
    Err("this build has no wgpu backend: build the runner with `cargo build --release -p tradeoff-cli --features wgpu`".into())
}
