//! The training loop on the CPU backend with real MNIST data.

mod common;

use tradeoff_core::backend::{CPU_BACKEND_NAME, cpu_device};
use tradeoff_core::config::{OptimizerKind, RunConfig};
use tradeoff_core::record::RunStatus;
use tradeoff_core::train::{Event, Trainer};

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
    assert!(summary.latency_ms_batch1 > 0.0 && summary.latency_ms_batch64 > 0.0);
    // Batching amortises per-call overhead: per-image latency at 64 is below batch 1.
    assert!(summary.latency_ms_batch64 < summary.latency_ms_batch1);
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

#[test]
fn too_high_learning_rate_diverges_instead_of_panicking() {
    let data = common::mnist_slice(2000, 200);
    let mut config = RunConfig::default();
    config.optimizer.kind = OptimizerKind::Sgd;
    config.optimizer.learning_rate = 10.0;
    config.epochs = 2;
    let record = common::train(config, &data);
    let RunStatus::Diverged { step } = record.status else {
        panic!("expected divergence, got {:?}", record.status);
    };
    assert!(step >= 1 && step <= record.steps.len());
    // The step named is the first whose loss is not finite, and every earlier one was.
    assert!(!record.steps[step - 1].loss.is_finite());
    assert!(record.steps[..step - 1].iter().all(|s| s.loss.is_finite()));
    assert!(record.summary.is_none());
    assert!(record.status.describe().contains("learning rate"));
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
