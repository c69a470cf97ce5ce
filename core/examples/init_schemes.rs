//! The loss after the first epoch for each weight initialisation, on the reference CNN.
//!
//! `cargo run -p tradeoff-core --example init_schemes` (losses, not speed: any profile)
//!
//! Built-in MNIST, the reference CNN (Adam 1e-3, batch 64, seed 7), one epoch on Burn's CPU
//! backend per scheme: its validation loss and accuracy after that epoch, and the mean
//! training loss of its last 50 steps. Figures go in docs/BENCHMARKS.md.
// One field of the default config changes per run; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

use tradeoff_core::backend::{CPU_BACKEND_NAME, cpu_device};
use tradeoff_core::config::{InitScheme, RunConfig};
use tradeoff_core::data::Dataset;
use tradeoff_core::train::Trainer;

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../static/datasets/mnist.tds");
    let data = Dataset::from_tds(&std::fs::read(path).expect("mnist.tds")).expect("parses");
    println!(
        "| scheme | validation loss after epoch 1 | validation accuracy | training loss, last 50 steps |"
    );
    println!("|---|---|---|---|");
    for scheme in InitScheme::ALL {
        let mut config = RunConfig::default();
        config.epochs = 1;
        config.init.scheme = scheme;
        let mut trainer =
            Trainer::new(config, &data, cpu_device(), CPU_BACKEND_NAME).expect("valid config");
        let record = pollster::block_on(trainer.run_to_end());
        let epoch = record.epochs.first().expect("one epoch");
        let tail: Vec<f64> = record.steps.iter().rev().take(50).map(|s| s.loss).collect();
        let tail_loss = tail.iter().sum::<f64>() / tail.len() as f64;
        println!(
            "| {} | {:.3} | {:.1} % | {:.3} |",
            scheme.name(),
            epoch.validation_loss,
            epoch.validation_accuracy * 100.0,
            tail_loss
        );
    }
}
