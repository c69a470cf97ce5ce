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

/// The devices `choice` asks for, one per index of `--devices` (`[0]`: one device); `Auto`
/// takes CUDA, then wgpu, then the CPU, as built in and present. An explicit choice that
/// cannot start is an error that says why. The CPU is one device: there each index is one more
/// copy of the run sharing its cores, as the page's CPU workers do.
pub fn choose(choice: BackendChoice, indexes: &[usize]) -> Result<Vec<Chosen>, String> {
    // Which device failed (its place in the list) and why.
    let each = |start: fn(usize, bool) -> Result<Chosen, String>| {
        let several = indexes.len() > 1;
        indexes
            .iter()
            .enumerate()
            .map(|(place, &i)| start(i, several).map_err(|why| (place, why)))
            .collect::<Result<Vec<_>, _>>()
    };
    let cpus = || indexes.iter().map(|_| cpu()).collect();
    match choice {
        BackendChoice::Cpu => Ok(cpus()),
        BackendChoice::Cuda => each(cuda).map_err(|(_, why)| why),
        BackendChoice::Wgpu => each(wgpu).map_err(|(_, why)| why),
        BackendChoice::Auto => {
            // The best backend whose first device starts; a later device it lacks is then an
            // error, not a quiet move of the whole run to the next backend.
            for start in [cuda, wgpu] {
                match each(start) {
                    Ok(chosen) => return Ok(chosen),
                    Err((place, why)) if place > 0 => return Err(why),
                    Err(_) => {}
                }
            }
            Ok(cpus())
        }
    }
}

#[cfg(feature = "cuda")]
fn cuda(index: usize, _several: bool) -> Result<Chosen, String> {
    tradeoff_core::backend::cuda_device(index)
        .map(|(device, name)| Chosen { device, name })
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "cuda"))]
fn cuda(_index: usize, _several: bool) -> Result<Chosen, String> {
    Err("this build has no CUDA backend: build the runner with `cargo build --profile runner -p tradeoff-cli --features cuda` (needs the CUDA toolkit)".into())
}

/// wgpu's best adapter for a run on one device (`--devices 0`, the default); its discrete GPUs
/// by number for a run split over several.
#[cfg(feature = "wgpu")]
fn wgpu(index: usize, several: bool) -> Result<Chosen, String> {
    let gpu = (several || index > 0).then_some(index);
    tradeoff_core::backend::native_wgpu_device(gpu)
        .map(|(device, name)| Chosen { device, name })
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "wgpu"))]
fn wgpu(_index: usize, _several: bool) -> Result<Chosen, String> {
    Err("this build has no wgpu backend: build the runner with `cargo build --profile runner -p tradeoff-cli --features wgpu`".into())
}
