//! Helpers shared by the native tests.
#![allow(dead_code)]

use tradeoff_core::backend::{CPU_BACKEND_NAME, cpu_device};
use tradeoff_core::config::RunConfig;
use tradeoff_core::data::Dataset;
use tradeoff_core::record::RunRecord;
use tradeoff_core::train::{Event, Trainer};

/// A built-in dataset file shipped in `static/datasets/`.
pub fn builtin(file: &str) -> Dataset {
    let path = format!("{}/../static/datasets/{file}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Dataset::from_tds(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The built-in MNIST subset.
pub fn mnist() -> Dataset {
    builtin("mnist.tds")
}

/// A smaller slice of MNIST for fast tests: the first `train` and `test` images.
pub fn mnist_slice(train: usize, test: usize) -> Dataset {
    let mut d = mnist();
    for (set, n) in [(&mut d.train, train), (&mut d.test, test)] {
        let len = set.image_len();
        set.pixels.truncate(n * len);
        set.labels.truncate(n);
    }
    d
}

/// Burn's random generator is process-wide, so runs interleaved on test threads would not
/// reproduce; tests that train take this lock (the page never runs two at once either).
pub static ONE_RUN_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Trains `config` on `data` with the CPU backend until the run ends.
pub fn train(config: RunConfig, data: &Dataset) -> RunRecord {
    let _one = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut trainer =
        Trainer::new(config, data, cpu_device(), CPU_BACKEND_NAME).expect("run starts");
    pollster::block_on(async {
        loop {
            for event in trainer.advance().await {
                if let Event::Finished(record) = event {
                    return *record;
                }
            }
        }
    })
}
