//! Validation explains impossible stacks and names the limit that protects the browser.
// Tests tweak one field of the default config at a time; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

use tradeoff_core::config::{InputShape, Layer, RunConfig, limits};
use tradeoff_core::notation::parse_layers;
use tradeoff_core::setting::{ConfigError, Setting};

fn errors(config: &RunConfig) -> Vec<ConfigError> {
    config.validate(10).expect_err("config should be refused")
}

fn with_layers(layers: &str) -> RunConfig {
    RunConfig {
        layers: parse_layers(layers).unwrap(),
        ..RunConfig::default()
    }
}

#[test]
fn a_conv_on_a_too_small_image_is_explained() {
    // 28 → pool 7 → 4 → pool 4 → 1: a 3×3 conv cannot follow.
    let e = errors(&with_layers("p7-p4-c8k3"));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].setting, Setting::Layers);
    assert_eq!(
        e[0].to_string(),
        "layer 3: the image is 1×1 here, a 3×3 conv cannot follow"
    );
}

#[test]
fn conv_after_dense_is_explained() {
    let e = errors(&with_layers("d32-p2"));
    assert_eq!(e[0].setting, Setting::Layers);
    assert!(e[0].to_string().starts_with("layer 2: "), "{e:?}");
    assert!(
        e[0].to_string()
            .contains("conv and pool layers must come before dense layers")
    );
}

#[test]
fn padding_must_be_smaller_than_the_kernel() {
    let e = errors(&with_layers("c8k3p3"));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].setting, Setting::Layers);
    assert_eq!(
        e[0].to_string(),
        "layer 1: padding 3 must be smaller than the 3×3 kernel"
    );
}

#[test]
fn too_many_parameters_names_the_limit() {
    let mut config = with_layers("d1024-d1024-d1024-d1024-d1024-d1024");
    config.input = InputShape {
        size: 28,
        channels: 1,
    };
    let e = errors(&config);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].setting, Setting::Layers);
    assert!(e[0].to_string().starts_with("model: "), "{e:?}");
    assert!(
        e[0].to_string()
            .contains(&format!("over the limit of {}", limits::MAX_PARAMS)),
        "{e:?}"
    );
}

#[test]
fn too_much_training_memory_names_the_limit() {
    let mut config = with_layers("c512k3p1-c512k3p1-p8");
    config.input = InputShape {
        size: 128,
        channels: 3,
    };
    config.batch_size = 1024;
    let e = errors(&config);
    assert!(
        e.iter()
            .any(|e| e.to_string().contains("over the limit of 1024 MB")),
        "{e:?}"
    );
    // A small batch of the same model fits.
    config.batch_size = 1;
    assert!(config.validate(10).is_ok());
}

#[test]
fn every_bad_field_is_reported_together() {
    let mut config = RunConfig::default();
    config.batch_size = 0;
    config.epochs = limits::MAX_EPOCHS + 1;
    config.optimizer.learning_rate = f64::NAN;
    config.validation_fraction = 0.0;
    config.layers.push(Layer::Dropout { p: 0.95 });
    let found = errors(&config);
    let settings: Vec<Setting> = found.iter().map(|e| e.setting).collect();
    assert_eq!(
        settings,
        [
            Setting::LearningRate,
            Setting::BatchSize,
            Setting::Epochs,
            Setting::Validation,
            Setting::Layers
        ]
    );
    let subjects: Vec<String> = found
        .iter()
        .map(|e| e.to_string().split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(
        subjects,
        [
            "learning rate",
            "batch size",
            "epochs",
            "validation fraction",
            "layer 6"
        ]
    );
}

#[test]
fn too_many_layers_names_the_limit() {
    let config = with_layers(&vec!["d8"; limits::MAX_LAYERS].join("-"));
    assert!(config.validate(10).is_ok());
    let mut config = config;
    config.layers.push(Layer::dense(8));
    assert_eq!(
        errors(&config)[0].to_string(),
        format!(
            "layers: {} layers is over the limit of {}",
            limits::MAX_LAYERS + 1,
            limits::MAX_LAYERS
        )
    );
}

#[test]
fn a_dataset_needs_two_classes() {
    let e = RunConfig::default().validate(1).unwrap_err();
    assert!(
        e.iter()
            .any(|e| e.setting == Setting::Dataset && e.to_string().contains("needs 2 to"))
    );
}
