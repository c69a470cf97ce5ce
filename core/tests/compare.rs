//! Comparing runs: the Pareto front and what changed between configs.
// Tests tweak one field of the default config at a time; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

mod common;

use tradeoff_core::compare::{config_changes, pareto_front};
use tradeoff_core::config::{Augmentation, BackendPreference, OptimizerKind, RunConfig, Schedule};
use tradeoff_core::i18n::Lang;

#[test]
fn pareto_front_keeps_the_runs_nothing_beats() {
    // (seconds, accuracy): 0 is fast but weak, 1 dominates 2, 3 is slow and best, 4 is NaN.
    let points = [
        (1.0, 0.90),
        (2.0, 0.95),
        (3.0, 0.94),
        (5.0, 0.97),
        (f64::NAN, 0.99),
    ];
    assert_eq!(pareto_front(&points, false), vec![0, 1, 3]);
    // For throughput higher is better: 3 is fastest and most accurate, so it alone is optimal.
    assert_eq!(pareto_front(&points, true), vec![3]);
    // Ties: identical points are both kept.
    assert_eq!(pareto_front(&[(1.0, 0.9), (1.0, 0.9)], false), vec![0, 1]);
    assert!(pareto_front(&[], false).is_empty());
}

#[test]
fn changes_between_runs_read_as_a_sentence() {
    let a = RunConfig::default();
    let mut b = a.clone();
    b.batch_size = 128;
    b.optimizer.learning_rate = 3e-3;
    let text = |a: &RunConfig, b: &RunConfig, lang: Lang| -> Vec<String> {
        config_changes(a, b).iter().map(|c| c.text(lang)).collect()
    };
    assert_eq!(
        text(&a, &b, Lang::En),
        vec!["learning rate 0.001 → 0.003", "batch size 64 → 128"]
    );
    assert_eq!(
        text(&a, &b, Lang::Zh),
        vec!["学习率 0.001 → 0.003", "批大小 64 → 128"]
    );
    assert!(config_changes(&a, &a).is_empty());
    // Every value reads as words, never as program text.
    let mut c = a.clone();
    c.optimizer.schedule = Schedule::Step {
        every_epochs: 2,
        factor: 0.1,
    };
    c.augmentation = Augmentation {
        flip: true,
        shift: 2,
        rotate: 15.0,
        noise: 0.0,
    };
    c.optimizer.kind = OptimizerKind::Momentum;
    c.backend = BackendPreference::Cpu;
    assert_eq!(
        text(&a, &c, Lang::En),
        vec![
            "optimizer Adam → SGD + momentum",
            "schedule constant → ×0.1 every 2 epochs",
            "augmentation none → flip, shift 2 px, rotate ±15°",
            "backend Auto → CPU"
        ]
    );
    assert_eq!(text(&a, &c, Lang::Zh)[1], "学习率计划 恒定 → 每 2 轮 ×0.1");
}

#[test]
fn parallel_coordinates_show_only_what_varies_and_place_values_on_log_axes() {
    use tradeoff_core::compare::{Dimension, axis_position, varying_dimensions};
    let a = common::train(
        {
            let mut c = RunConfig::default();
            c.layers = vec![tradeoff_core::config::Layer::dense(16)];
            c.epochs = 1;
            c
        },
        &common::mnist_slice(200, 50),
    );
    let mut b = a.clone();
    b.config.optimizer.learning_rate = 0.1;
    b.config.batch_size = 16;
    let dims = varying_dimensions(&[&a, &b]);
    assert_eq!(
        dims,
        vec![
            Dimension::BatchSize,
            Dimension::LearningRate,
            Dimension::TestAccuracy
        ]
    );
    assert_eq!(Dimension::LearningRate.value(&b), Some(0.1));
    assert_eq!(
        Dimension::Optimizer.format(Dimension::Optimizer.value(&a).unwrap()),
        "adam"
    );
    // 0.01 sits halfway between 0.001 and 0.1 on a log axis, a tenth of the way on a linear one.
    assert!((axis_position(Dimension::LearningRate, 0.01, 0.001, 0.1) - 0.5).abs() < 1e-9);
    assert!((axis_position(Dimension::TrainingTime, 10.0, 0.0, 100.0) - 0.1).abs() < 1e-9);
    assert_eq!(axis_position(Dimension::Epochs, 3.0, 3.0, 3.0), 0.5);
}
