//! The training loop on the CPU backend with real MNIST data.
// Tests tweak one field of the default config at a time; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

mod common;

use tradeoff_core::backend::{CPU_BACKEND_NAME, cpu_device};
use tradeoff_core::config::{OptimizerKind, RunConfig};
use tradeoff_core::metrics::MAX_MISCLASSIFIED;
use tradeoff_core::record::RunStatus;
use tradeoff_core::train::{DIVERGENCE_RATIO, Event, Trainer};

#[test]
fn reference_cnn_reaches_95_percent_in_3_epochs() {
    let data = common::mnist();
    let mut config = RunConfig::default();
    config.epochs = 3;
    config.optimizer.learning_rate = 3e-3;
    let started = std::time::Instant::now();
    let record = common::train(config, &data);
    eprintln!(
        "reference CNN, 3 epochs: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(record.status, RunStatus::Finished);
    assert_eq!(record.epochs.len(), 3);
    let accuracy = record.final_validation_accuracy().unwrap();
    eprintln!("validation accuracy {accuracy:.4}");
    assert!(accuracy >= 0.95, "validation accuracy {accuracy}");
    let summary = record.summary.expect("a finished run has a summary");
    assert!(
        summary.test_accuracy >= 0.93,
        "test accuracy {}",
        summary.test_accuracy
    );
    assert_eq!(summary.params, 27_562);
    assert_eq!(summary.model_bytes, 27_562 * 4);
    assert_eq!(summary.confusion.total(), data.test.len() as u32);
    assert_eq!(summary.test_predictions.len(), data.test.len());
    // The misclassified grid: really wrong, really those images, as many as there are (capped).
    let wrong = (0..data.test.len())
        .filter(|&i| summary.test_predictions[i] != data.test.labels[i])
        .count();
    assert_eq!(summary.misclassified.len(), wrong.min(MAX_MISCLASSIFIED));
    for m in &summary.misclassified {
        assert_ne!(m.predicted, m.example.label);
        assert_eq!(m.example.label, data.test.labels[m.example.index]);
        assert_eq!(m.example.pixels, data.test.image(m.example.index));
    }
    // Latency is measured, not asserted against a figure: timings belong in BENCHMARKS.md.
    assert!(summary.latency_ms_batch1 > 0.0 && summary.latency_ms_batch64 > 0.0);
    // Every step was recorded, with 1-based numbering and the right epoch.
    let steps_per_epoch = 9000usize.div_ceil(64);
    assert_eq!(record.steps.len(), 3 * steps_per_epoch);
    assert_eq!(record.steps.last().unwrap().step, 3 * steps_per_epoch);
    assert_eq!(record.steps.last().unwrap().epoch, 3);
    // Loss falls: the last epoch's mean training loss is well under the first step's.
    assert!(record.epochs[2].train_loss < record.steps[0].loss / 4.0);
    for epoch in &record.epochs {
        assert!(epoch.images_per_second > 0.0);
    }
}

/// Runs SGD at learning rate 10 and checks it ends as diverged at the first bad step.
fn assert_diverges(data: &tradeoff_core::data::Dataset) {
    let mut config = RunConfig::default();
    config.optimizer.kind = OptimizerKind::Sgd;
    config.optimizer.learning_rate = 10.0;
    config.epochs = 2;
    let record = common::train(config, data);
    let RunStatus::Diverged { step, loss } = record.status else {
        panic!("expected divergence, got {:?}", record.status);
    };
    assert!(step >= 2 && step <= record.steps.len());
    let first = record.steps[0].loss;
    let limit = DIVERGENCE_RATIO * first.max(10f64.ln());
    let bad = |l: f64| !l.is_finite() || l > limit;
    // The step named is the first bad one; its loss is the one recorded.
    assert!(bad(record.steps[step - 1].loss));
    assert!(record.steps[..step - 1].iter().all(|s| !bad(s.loss)));
    assert!(
        loss.is_nan() && record.steps[step - 1].loss.is_nan()
            || loss == record.steps[step - 1].loss
    );
    assert!(
        record.summary.is_none(),
        "a diverged run has no test summary"
    );
    assert!(
        record
            .status
            .describe()
            .to_string()
            .contains("the learning rate is probably too high")
    );
    // The record survives the trip to the page (NaN travels as null).
    let json = serde_json::to_string(&record).unwrap();
    let back: tradeoff_core::record::RunRecord = serde_json::from_str(&json).unwrap();
    assert!(matches!(back.status, RunStatus::Diverged { step: s, .. } if s == step));
}

#[test]
fn too_high_learning_rate_diverges_instead_of_panicking() {
    // On a small slice the loss becomes NaN; on the full set it explodes (to ~78) and the
    // ReLUs die with a finite loss. Both are divergence.
    assert_diverges(&common::mnist_slice(2000, 200));
    assert_diverges(&common::mnist());
}

#[test]
fn a_good_run_never_trips_the_divergence_check() {
    let mut config = RunConfig::default();
    config.optimizer.learning_rate = 3e-2; // high for Adam, yet it trains
    config.epochs = 1;
    let record = common::train(config, &common::mnist_slice(3000, 200));
    assert_eq!(record.status, RunStatus::Finished);
}

#[test]
fn same_seed_gives_the_same_loss_curve() {
    let data = common::mnist_slice(1500, 200);
    let mut config = RunConfig::default();
    config.epochs = 1;
    config
        .layers
        .push(tradeoff_core::config::Layer::Dropout { p: 0.25 });
    config.augmentation.shift = 2;
    let a = common::train(config.clone(), &data);
    let b = common::train(config.clone(), &data);
    let losses =
        |r: &tradeoff_core::record::RunRecord| r.steps.iter().map(|s| s.loss).collect::<Vec<_>>();
    assert!(!a.steps.is_empty());
    assert_eq!(losses(&a), losses(&b));
    config.seed += 1;
    let c = common::train(config, &data);
    assert_ne!(losses(&a), losses(&c), "a different seed changes the curve");
}

#[test]
fn stopping_mid_epoch_returns_a_partial_record() {
    let data = common::mnist_slice(3000, 200);
    let config = RunConfig::default();
    let _one = common::ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let mut trainer = Trainer::new(config, &data, cpu_device(), CPU_BACKEND_NAME).unwrap();
    let record = pollster::block_on(async {
        for _ in 0..25 {
            for event in trainer.advance().await {
                assert!(!matches!(event, Event::Finished(_)), "run ended too soon");
            }
        }
        trainer.stop().await
    });
    assert_eq!(record.status, RunStatus::Stopped { step: 25 });
    // Steps not yet read back are flushed into the partial record.
    assert_eq!(record.steps.len(), 25);
    assert!(record.epochs.is_empty());
    assert!(record.summary.is_none());
}

#[test]
fn curve_marks_show_the_warm_up_each_rate_drop_and_an_early_stop() {
    use tradeoff_core::config::Schedule;
    use tradeoff_core::record::{CurveMark, curve_marks};
    let data = common::mnist_slice(300, 100);
    let mut config = RunConfig::default();
    config.layers = vec![tradeoff_core::config::Layer::dense(16)];
    config.batch_size = 30;
    config.epochs = 3;
    config.optimizer.warmup_steps = 5;
    config.optimizer.schedule = Schedule::Step {
        every_epochs: 1,
        factor: 0.5,
    };
    let record = common::train(config, &data);
    // 270 training images in batches of 30: 9 steps per epoch; drops at steps 10 and 19.
    let marks = curve_marks(&record.config, &record.steps, &record.status);
    assert_eq!(
        marks,
        vec![
            CurveMark::WarmupEnd { step: 5 },
            CurveMark::RateDrop {
                step: 10,
                rate: 5e-4
            },
            CurveMark::RateDrop {
                step: 19,
                rate: 2.5e-4
            },
        ]
    );

    // A tiny set over many epochs stops improving: the stop is marked at the last step, and
    // the end of the epoch whose weights were kept before it.
    let mut config = RunConfig::default();
    config.layers = vec![tradeoff_core::config::Layer::dense(64)];
    config.optimizer.learning_rate = 0.01;
    config.epochs = 40;
    config.patience = 1;
    let data = common::mnist_slice(100, 50);
    let record = common::train(config.clone(), &data);
    let RunStatus::EarlyStopped { epoch, restored } = record.status else {
        panic!("expected an early stop, got {:?}", record.status)
    };
    let last = record.steps.last().unwrap().step;
    assert!(epoch < 40);
    // The kept epoch is the one with the lowest validation loss, before the stop.
    let best = record
        .epochs
        .iter()
        .min_by(|a, b| a.validation_loss.total_cmp(&b.validation_loss))
        .unwrap();
    assert_eq!(restored, best.epoch);
    assert!(restored < epoch);
    let restored_end = record
        .steps
        .iter()
        .rev()
        .find(|s| s.epoch == restored)
        .unwrap()
        .step;
    assert_eq!(
        curve_marks(&record.config, &record.steps, &record.status),
        vec![
            CurveMark::Restored {
                step: restored_end,
                epoch: restored
            },
            CurveMark::EarlyStop { step: last }
        ]
    );
    // The test figures are those of the kept weights: the same run trained for exactly
    // `restored` epochs (the same seed takes the same path on the CPU) tests the same.
    config.epochs = restored;
    config.patience = 0;
    let shorter = common::train(config, &data);
    let (kept, short) = (record.summary.unwrap(), shorter.summary.unwrap());
    assert_eq!(kept.test_loss, short.test_loss);
    assert_eq!(kept.test_predictions, short.test_predictions);
}

/// The colour set tests on emoji never seen in training, so it measures whether the groups were
/// learned: a few epochs of the reference CNN get well above chance (1 in 9).
#[test]
fn emoji_groups_are_learned_beyond_chance() {
    let data = common::builtin("emoji.tds");
    let mut config = RunConfig::default();
    config.dataset = "emoji".into();
    config.input = tradeoff_core::config::InputShape {
        size: 32,
        channels: 3,
    };
    config.epochs = 4;
    config.optimizer.learning_rate = 3e-3;
    let record = common::train(config, &data);
    let summary = record.summary.expect("a finished run has a summary");
    eprintln!("emoji test accuracy {:.3}", summary.test_accuracy);
    assert!(summary.test_accuracy > 0.25, "{}", summary.test_accuracy);
}

#[test]
fn a_lost_gpu_device_is_named_in_words() {
    use tradeoff_core::train::explain_backend_error;
    // What Burn's WebGPU backend reported when the browser's GPU process crashed mid-run.
    let raw = "The device is poisoned Caused by: The device is poisoned Caused by: Unknown: A valid external Instance reference no longer exists. Backtrace: No backtrace available";
    assert_eq!(
        explain_backend_error(raw),
        "the GPU stopped working during the run: the browser lost its WebGPU device (A valid external Instance reference no longer exists.)"
    );
    assert_eq!(
        explain_backend_error("Out of bounds read"),
        "the compute backend reported an error: Out of bounds read"
    );
}

/// A dense-16 model trained 2 epochs at learning rate 0.01 on `data`, changed by `edit`: small
/// enough for a test to train several and compare them.
fn small_run(
    data: &tradeoff_core::data::Dataset,
    edit: impl FnOnce(&mut RunConfig),
) -> tradeoff_core::record::RunRecord {
    let mut config = RunConfig::default();
    config.layers = vec![tradeoff_core::config::Layer::dense(16)];
    config.epochs = 2;
    config.optimizer.learning_rate = 0.01;
    edit(&mut config);
    common::train(config, data)
}

/// Every step's training loss, in order.
fn losses(record: &tradeoff_core::record::RunRecord) -> Vec<f64> {
    record.steps.iter().map(|s| s.loss).collect()
}

#[test]
fn the_momentum_setting_reaches_the_optimizer() {
    let data = common::mnist_slice(400, 50);
    let path = |kind: OptimizerKind, momentum: f64| {
        losses(&small_run(&data, |c| {
            c.epochs = 1;
            c.optimizer.kind = kind;
            c.optimizer.learning_rate = 0.05;
            c.optimizer.momentum = momentum;
        }))
    };
    // Momentum 0 is plain SGD, step for step; 0.9 takes another path.
    let plain = path(OptimizerKind::Sgd, 0.9);
    assert_eq!(path(OptimizerKind::Momentum, 0.0), plain);
    assert_ne!(path(OptimizerKind::Momentum, 0.9), plain);
}

#[test]
fn nesterov_and_rmsprop_are_optimizers_of_their_own_and_both_learn() {
    let data = common::mnist_slice(400, 50);
    let run = |kind: OptimizerKind, learning_rate: f64| {
        small_run(&data, |c| {
            c.optimizer.kind = kind;
            c.optimizer.learning_rate = learning_rate;
        })
    };
    let momentum = run(OptimizerKind::Momentum, 0.05);
    let nesterov = run(OptimizerKind::Nesterov, 0.05);
    let rmsprop = run(OptimizerKind::RmsProp, 0.003);
    // Each takes its own path from the same start…
    assert_ne!(losses(&nesterov), losses(&momentum));
    assert_ne!(losses(&rmsprop), losses(&momentum));
    // …and learns: three times the 10 % of guessing on held-out digits, in 2 epochs of 400.
    for (name, record) in [("nesterov", &nesterov), ("rmsprop", &rmsprop)] {
        let accuracy = record.final_validation_accuracy().expect("validated");
        assert!(accuracy > 0.3, "{name}: {accuracy}");
    }
    // The link carries the choice.
    let mut config = RunConfig::default();
    config.optimizer.kind = OptimizerKind::RmsProp;
    let hash = tradeoff_core::url::to_hash(&config);
    assert!(hash.contains("opt=rmsprop"), "{hash}");
    assert_eq!(
        tradeoff_core::url::from_hash(&hash)
            .expect("reads")
            .config
            .optimizer
            .kind,
        OptimizerKind::RmsProp
    );
}

#[test]
fn each_initialisation_starts_its_own_way_repeatably_and_zeros_never_learn() {
    use tradeoff_core::config::InitScheme;
    let data = common::mnist_slice(400, 50);
    let run = |scheme: InitScheme, std: f64| {
        small_run(&data, |c| {
            c.init.scheme = scheme;
            c.init.std = std;
        })
    };
    let default = run(InitScheme::Default, 0.05);
    let mut seen = vec![losses(&default)];
    for scheme in [InitScheme::Xavier, InitScheme::He, InitScheme::Normal] {
        let record = run(scheme, 0.05);
        let accuracy = record.final_validation_accuracy().expect("validated");
        assert!(accuracy > 0.3, "{scheme:?} learns: {accuracy}");
        let path = losses(&record);
        assert!(
            !seen.contains(&path),
            "{scheme:?} starts like another scheme"
        );
        // The same seed draws the same start.
        assert_eq!(losses(&run(scheme, 0.05)), path, "{scheme:?} repeats");
        seen.push(path);
    }
    // σ is the normal scheme's own: another σ, another start.
    assert_ne!(
        losses(&run(InitScheme::Normal, 0.5)),
        losses(&run(InitScheme::Normal, 0.05))
    );
    // All-zero weights give every hidden unit the same (zero) gradient: only the output
    // biases learn, so the model can do no better than the commonest class.
    let zeros = run(InitScheme::Zeros, 0.05);
    let accuracy = zeros.final_validation_accuracy().expect("validated");
    assert!(accuracy < 0.2, "zeros stay near guessing: {accuracy}");
}

#[test]
fn label_smoothing_reaches_the_training_loss_and_the_model_still_learns() {
    let data = common::mnist_slice(400, 50);
    let run = |alpha: f64| small_run(&data, |c| c.label_smoothing = alpha);
    let (plain, smoothed) = (run(0.0), run(0.1));
    // The same start and batches, another target: the training loss takes another path.
    assert_eq!(losses(&plain).len(), losses(&smoothed).len());
    assert_ne!(losses(&plain), losses(&smoothed));
    // Softer targets still teach: three times the 10 % of guessing in 2 epochs of 400.
    let accuracy = smoothed.final_validation_accuracy().unwrap();
    assert!(accuracy > 0.3, "{accuracy}");
}
