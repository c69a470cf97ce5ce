//! Training throughput of Burn's CPU backends on the reference CNN (batch 64, Adam 1e-3, MNIST).
//!
//! `cargo run -p tradeoff-core --example cpu_backends --features ndarray --profile bench`
//! (`-- flex` for Flex alone, e.g. under `perf record`; `-- levers` for the effect of metric
//! read-backs and of assembling each batch on the host)
//!
//! For each backend: 3 warm-up steps, then the median of 3 runs of 20 steps. Figures go in
//! docs/BENCHMARKS.md.
// Tests tweak one field of the default config at a time; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

use std::time::Instant;

use tradeoff_core::backend::Device;
use tradeoff_core::config::RunConfig;
use tradeoff_core::data::Dataset;
use tradeoff_core::train::Trainer;

fn ms_per_step(device: Device, data: &Dataset, readback_every: usize) -> f64 {
    let mut config = RunConfig::default();
    config.epochs = 10;
    let mut trainer = Trainer::new(config, data, device, "bench")
        .expect("reference config is valid")
        .with_readback_every(readback_every);
    pollster::block_on(async {
        for _ in 0..3 {
            trainer.advance().await;
        }
        let mut runs = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            for _ in 0..20 {
                trainer.advance().await;
            }
            runs.push(started.elapsed().as_secs_f64() * 1000.0 / 20.0);
        }
        runs.sort_by(f64::total_cmp);
        runs[1]
    })
}

/// Host time to assemble one batch of 64 (pixels normalised, labels), median of 200: the part
/// of a step that keeping the dataset on the device would save.
fn ms_per_batch(data: &Dataset) -> f64 {
    let images = &data.train;
    let all: Vec<usize> = (0..images.len()).collect();
    let norm = images.normalisation(&all);
    let mut times: Vec<f64> = (0..200)
        .map(|round| {
            let start = (round * 64) % (images.len() - 64);
            let started = Instant::now();
            let batch = images.batch(&all[start..start + 64], &norm, None);
            std::hint::black_box(batch);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../static/datasets/mnist.tds");
    let data = Dataset::from_tds(&std::fs::read(path).expect("mnist.tds")).expect("parses");
    let only = std::env::args().nth(1);
    if only.as_deref() == Some("levers") {
        for every in [1, 10, 50] {
            let ms = ms_per_step(Device::flex(), &data, every);
            println!("flex, metrics read back every {every:2} steps: {ms:6.2} ms/step");
        }
        let ms = ms_per_batch(&data);
        println!("assembling a batch of 64 on the host: {ms:.3} ms");
        return;
    }
    #[allow(deprecated)]
    let backends = [("flex", Device::flex()), ("ndarray", Device::ndarray())];
    for (name, device) in backends {
        if only.as_deref().is_some_and(|only| only != name) {
            continue;
        }
        let ms = ms_per_step(device, &data, 10);
        println!(
            "{name:8} {ms:7.2} ms/step  {:7.0} images/s",
            64.0 * 1000.0 / ms
        );
    }
}
