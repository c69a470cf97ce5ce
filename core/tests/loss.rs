//! Loss and output: cross-entropy, binary cross-entropy with one sigmoid output (the essay's
//! head), mean squared error, and what a config that cannot use them is told.
// Tests tweak one field of the default config at a time; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

mod common;

use tradeoff_core::classroom::{ESSAY_MODEL_LINK, lesson};
use tradeoff_core::compress::compress;
use tradeoff_core::config::{LossKind, OptimizerKind, RunConfig};
use tradeoff_core::cost::two_class_heads;
use tradeoff_core::record::{Compression, RunRecord, RunStatus};
use tradeoff_core::setting::Setting;
use tradeoff_core::url::{from_hash, to_hash};

/// MNIST's 4s against its 9s: the pair most alike in shape, so accuracy is not a given.
fn fours_and_nines() -> tradeoff_core::data::Dataset {
    common::two_classes(common::mnist(), 4, 9)
}

fn run_with(loss: LossKind, edit: impl FnOnce(&mut RunConfig)) -> RunRecord {
    let mut config = RunConfig::default();
    config.loss = loss;
    config.epochs = 1;
    edit(&mut config);
    common::train(config, &fours_and_nines())
}

#[test]
fn binary_cross_entropy_trains_one_sigmoid_output_with_half_the_last_layer() {
    let bce = run_with(LossKind::BinaryCrossEntropy, |_| {});
    let ce = run_with(LossKind::CrossEntropy, |_| {});
    assert_eq!(bce.status, RunStatus::Finished);
    let (b, c) = (bce.summary.unwrap(), ce.summary.unwrap());
    // The reference CNN ends in dense 64: one sigmoid output has 64 + 1 weights, two have 130.
    assert_eq!(c.params - b.params, 65);
    assert_eq!(bce.cost.layers.last().unwrap().params, 65);
    // Both tell 4 from 9 after one epoch, and the sigmoid names both classes.
    eprintln!(
        "4 vs 9, 1 epoch: BCE {:.3}, CE {:.3}",
        b.test_accuracy, c.test_accuracy
    );
    for (name, s) in [("bce", &b), ("ce", &c)] {
        assert!(s.test_accuracy > 0.9, "{name}: {}", s.test_accuracy);
    }
    assert!(b.test_predictions.contains(&0) && b.test_predictions.contains(&1));
    assert!(b.test_predictions.iter().all(|&p| p < 2));
    assert_eq!(b.class_names, vec!["4".to_string(), "9".to_string()]);
    // The test loss is binary cross-entropy: near 0 for a good model, ln 2 at a coin toss.
    assert!(b.test_loss < 2f64.ln() / 2.0, "{}", b.test_loss);
}

#[test]
fn mean_squared_error_learns_slower_than_cross_entropy_from_the_same_start() {
    // Plain SGD shows the gradients as they are: MSE's fade as the softmax saturates.
    let sgd = |c: &mut RunConfig| {
        c.optimizer.kind = OptimizerKind::Sgd;
        c.optimizer.learning_rate = 0.2;
    };
    let data = common::mnist_slice(3000, 200);
    let run = |loss: LossKind| {
        let mut config = RunConfig::default();
        config.loss = loss;
        config.epochs = 1;
        sgd(&mut config);
        common::train(config, &data)
    };
    let (ce, mse) = (run(LossKind::CrossEntropy), run(LossKind::MeanSquaredError));
    let accuracy = |r: &RunRecord| r.final_validation_accuracy().unwrap();
    eprintln!(
        "SGD 0.2, 1 epoch of 2,700: CE {:.3}, MSE {:.3}",
        accuracy(&ce),
        accuracy(&mse)
    );
    assert!(
        accuracy(&ce) > accuracy(&mse) + 0.1,
        "CE {} vs MSE {}",
        accuracy(&ce),
        accuracy(&mse)
    );
    // Another loss, another path from the same start; both are one output per class.
    assert_ne!(ce.steps[1].loss, mse.steps[1].loss);
    assert_eq!(ce.cost.params, mse.cost.params);
}

#[test]
fn binary_cross_entropy_needs_two_classes_and_says_so() {
    let mut config = RunConfig::default();
    config.loss = LossKind::BinaryCrossEntropy;
    assert!(config.validate(2).is_ok());
    let errors = config.validate(10).unwrap_err();
    let error = errors
        .iter()
        .find(|e| e.setting == Setting::Loss)
        .expect("the loss is named");
    assert!(
        error.to_string().contains("exactly two classes") && error.to_string().contains("10"),
        "{error}"
    );
    // A link carries it (for own images, two classes until they are known); a loss it does not
    // know is refused with the ones it does, and so is BCE on a ten-class set.
    assert!(from_hash(&to_hash(&config)).is_err());
    config.dataset = "local".into();
    let hash = to_hash(&config);
    assert!(hash.contains("loss=bce"), "{hash}");
    assert_eq!(
        from_hash(&hash).unwrap().config.loss,
        LossKind::BinaryCrossEntropy
    );
    assert!(!to_hash(&RunConfig::default()).contains("loss="));
    let refused = from_hash(&hash.replace("loss=bce", "loss=hinge")).unwrap_err();
    let words = format!("{refused:?}");
    assert!(words.contains("hinge") && words.contains("mse"), "{words}");
}

#[test]
fn the_essays_model_is_one_link_with_a_lesson() {
    let parsed = from_hash(ESSAY_MODEL_LINK).expect("the essay's link reads");
    let config = &parsed.config;
    assert_eq!(config.loss, LossKind::BinaryCrossEntropy);
    assert_eq!((config.input.size, config.input.channels), (32, 3));
    assert_eq!(config.optimizer.kind, OptimizerKind::Adam);
    assert_eq!(config.optimizer.learning_rate, 0.01);
    // conv 32@3×3 (896) → pool → dense 64 (15×15×32×64 + 64) → one sigmoid output (65).
    let cost = config.validate(2).expect("a two-class set runs it");
    let params: Vec<u64> = cost.layers.iter().map(|l| l.params).collect();
    assert_eq!(params, vec![896, 0, 460_864, 65]);
    assert_eq!(two_class_heads(config), Some((65, 130)));
    assert_eq!(lesson("cat-detector").unwrap().link, ESSAY_MODEL_LINK);
}

#[test]
fn a_sigmoid_model_compresses_and_keeps_its_answers() {
    let mut config = RunConfig::default();
    config.loss = LossKind::BinaryCrossEntropy;
    config.epochs = 1;
    let trained = common::train_model(config, &fours_and_nines());
    let float = trained.record.summary.clone().unwrap();
    let int8 = pollster::block_on(compress(&trained, Compression::Int8)).expect("int8");
    let q = int8.summary.unwrap();
    assert!(
        (float.test_accuracy - q.test_accuracy).abs() <= 0.02,
        "int8 {} vs float {}",
        q.test_accuracy,
        float.test_accuracy
    );
    assert!(q.test_accuracy > 0.9);
}

#[test]
fn label_smoothing_softens_the_binary_target_too() {
    let plain = run_with(LossKind::BinaryCrossEntropy, |_| {});
    let smoothed = run_with(LossKind::BinaryCrossEntropy, |c| c.label_smoothing = 0.2);
    assert_ne!(plain.steps[1].loss, smoothed.steps[1].loss);
    assert!(smoothed.summary.unwrap().test_accuracy > 0.9);
}
