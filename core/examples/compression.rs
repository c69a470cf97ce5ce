//! What compression keeps and saves on the reference CNN trained 2 epochs on MNIST:
//! test accuracy, stored bytes and latency per image (batch 1) of int8 quantization and of
//! magnitude pruning at 25, 50 and 75 %, against the float model on the same backend.
//!
//! `cargo run -p tradeoff-core --example compression --profile bench`
//!
//! Latencies are the median of 5 compressions (each measures 20 passes after a warm-up).
//! Figures go in docs/BENCHMARKS.md.

use tradeoff_core::backend::{CPU_BACKEND_NAME, cpu_device};
use tradeoff_core::compress::compress;
use tradeoff_core::config::RunConfig;
use tradeoff_core::data::Dataset;
use tradeoff_core::record::Compression;
use tradeoff_core::train::Trainer;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../static/datasets/mnist.tds");
    let data = Dataset::from_tds(&std::fs::read(path).expect("mnist.tds")).expect("valid");
    let config = RunConfig {
        epochs: 2,
        ..RunConfig::default()
    };
    let mut trainer = Trainer::new(config, &data, cpu_device(), CPU_BACKEND_NAME).unwrap();
    pollster::block_on(trainer.run_to_end());
    let trained = trainer.into_trained().expect("finished");
    let float = trained.record.summary.clone().unwrap();
    println!(
        "| model | test accuracy | stored bytes | share of float | latency (ms/image, batch 1) | float latency, same backend | ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| float32 | {:.1} % | {} | 100 % | — | — | — |",
        float.test_accuracy * 100.0,
        float.model_bytes
    );
    for method in [
        Compression::Int8,
        Compression::Prune { sparsity: 0.25 },
        Compression::Prune { sparsity: 0.5 },
        Compression::Prune { sparsity: 0.75 },
    ] {
        let results: Vec<_> = (0..5)
            .map(|_| pollster::block_on(compress(&trained, method)).expect("compresses"))
            .collect();
        let latency = median(
            results
                .iter()
                .map(|r| r.summary.as_ref().unwrap().latency_ms_batch1)
                .collect(),
        );
        let float_latency = median(
            results
                .iter()
                .map(|r| r.compression.as_ref().unwrap().float_latency_ms_batch1)
                .collect(),
        );
        let s = results[0].summary.as_ref().unwrap();
        println!(
            "| {} | {:.1} % | {} | {:.0} % | {:.4} | {:.4} | {:.2}× |",
            method.label(),
            s.test_accuracy * 100.0,
            s.model_bytes,
            100.0 * s.model_bytes as f64 / float.model_bytes as f64,
            latency,
            float_latency,
            latency / float_latency
        );
    }
}
