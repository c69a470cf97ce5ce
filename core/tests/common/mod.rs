//! Helpers shared by the native tests.
#![allow(dead_code)]
// The config strategy tweaks one field of the default at a time; that reads clearer.
#![allow(clippy::field_reassign_with_default)]

use proptest::prelude::*;
use tradeoff_core::backend::{CPU_BACKEND_NAME, cpu_device};
use tradeoff_core::config::{
    Activation, Augmentation, BackendPreference, Layer, OptimizerKind, PoolKind, RunConfig,
    Schedule, StartFrom, Transfer,
};
use tradeoff_core::data::Dataset;
use tradeoff_core::record::RunRecord;
use tradeoff_core::train::{TrainedModel, Trainer};

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
    pollster::block_on(trainer.run_to_end())
}

/// Trains `config` on `data` with the CPU backend and keeps the trained model.
pub fn train_model(config: RunConfig, data: &Dataset) -> TrainedModel {
    let _one = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut trainer =
        Trainer::new(config, data, cpu_device(), CPU_BACKEND_NAME).expect("run starts");
    pollster::block_on(trainer.run_to_end());
    trainer
        .into_trained()
        .expect("the run finished with results")
}

/// Any layer, within the ranges the editor offers.
pub fn layer() -> impl Strategy<Value = Layer> {
    let activation = prop::sample::select(Activation::ALL.to_vec());
    prop_oneof![
        (
            1usize..=32,
            1usize..=5,
            1usize..=2,
            0usize..=2,
            activation.clone(),
            any::<bool>()
        )
            .prop_map(
                |(filters, kernel, stride, padding, activation, batch_norm)| Layer::Conv {
                    filters,
                    kernel,
                    stride,
                    padding: padding.min(kernel - 1),
                    activation,
                    batch_norm,
                }
            ),
        (
            prop::sample::select(vec![PoolKind::Max, PoolKind::Avg]),
            2usize..=3
        )
            .prop_map(|(pool, size)| Layer::Pool { pool, size }),
        (1usize..=128, activation, any::<bool>()).prop_map(|(units, activation, batch_norm)| {
            Layer::Dense {
                units,
                activation,
                batch_norm,
            }
        }),
        (0.0f64..0.9).prop_map(|p| Layer::Dropout { p }),
    ]
}

/// Any config that validates for 10 classes.
pub fn config() -> impl Strategy<Value = RunConfig> {
    (
        prop::collection::vec(layer(), 0..6),
        prop::sample::select(OptimizerKind::ALL.to_vec()),
        1e-6f64..10.0,
        prop_oneof![
            Just(Schedule::Constant),
            Just(Schedule::Cosine),
            (1usize..=10, 0.01f64..=1.0).prop_map(|(every_epochs, factor)| Schedule::Step {
                every_epochs,
                factor
            }),
        ],
        (
            0usize..500,
            0.0f64..0.1,
            1usize..=512,
            1usize..=20,
            0.05f64..=0.5,
        ),
        (
            any::<bool>(),
            0usize..=4,
            0.0f64..=1.0,
            0usize..=5,
            any::<u64>(),
        ),
        prop::sample::select(BackendPreference::ALL.to_vec()),
        (
            prop::sample::select(vec![(28usize, 1usize), (32, 3), (16, 1)]),
            0.0f64..=0.999,
            0.0f64..=180.0,
            prop::sample::select(tradeoff_core::config::InitScheme::ALL.to_vec()),
            1e-4f64..=10.0,
        ),
        (
            prop_oneof![
                Just(StartFrom::Scratch),
                "[a-z0-9-]{1,12}".prop_map(StartFrom::Pretrained),
                any::<u32>().prop_map(StartFrom::Run),
                "[a-zA-Z0-9._-]{1,20}".prop_map(StartFrom::File),
            ],
            0usize..=2,
            0.001f64..=1.0,
        ),
    )
        .prop_map(
            |(
                layers,
                kind,
                lr,
                schedule,
                (warm, wd, bs, ep, val),
                (flip, shift, noise, pat, seed),
                backend,
                ((size, channels), momentum, rotate, scheme, std),
                (from, freeze, rate),
            )| {
                let mut c = RunConfig::default();
                c.layers = layers;
                c.optimizer.kind = kind;
                c.optimizer.learning_rate = lr;
                c.optimizer.schedule = schedule;
                c.optimizer.warmup_steps = warm;
                c.optimizer.weight_decay = wd;
                c.optimizer.momentum = momentum;
                c.batch_size = bs;
                c.epochs = ep;
                c.validation_fraction = val;
                c.augmentation = Augmentation {
                    flip,
                    shift,
                    rotate,
                    noise,
                };
                c.init.scheme = scheme;
                c.init.std = std;
                c.patience = pat;
                c.seed = seed;
                c.backend = backend;
                c.input.size = size;
                c.input.channels = channels;
                c.transfer = Transfer { from, freeze, rate };
                c
            },
        )
        .prop_filter("the stack must be valid for 10 classes", |c| {
            c.validate(10).is_ok()
        })
}

/// Two classes of `data`, relabelled 0 and 1 in that order: `a` becomes class 0, `b` class 1.
pub fn two_classes(mut data: Dataset, a: u16, b: u16) -> Dataset {
    for set in [&mut data.train, &mut data.test] {
        let len = set.image_len();
        let keep: Vec<usize> = (0..set.len())
            .filter(|&i| set.labels[i] == a || set.labels[i] == b)
            .collect();
        set.pixels = keep
            .iter()
            .flat_map(|&i| set.pixels[i * len..(i + 1) * len].to_vec())
            .collect();
        set.labels = keep
            .iter()
            .map(|&i| u16::from(set.labels[i] == b))
            .collect();
        set.classes = vec![
            set.classes[a as usize].clone(),
            set.classes[b as usize].clone(),
        ];
    }
    data
}

/// `n` deterministic values from `levels` evenly spaced steps in `[low, low + (levels − 1)·step]`
/// — few levels give many ties, which kernels that pick a maximum must handle.
pub fn spread(n: usize, seed: u64, levels: u64, low: f32, step: f32) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            low + ((state >> 33) % levels) as f32 * step
        })
        .collect()
}
