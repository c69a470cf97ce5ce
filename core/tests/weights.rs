//! A trained model saved as a safetensors file: every weight, in order, with the run's
//! settings in its metadata.

mod common;

use burn_store::{ModuleSnapshot, SafetensorsStore};
use tradeoff_core::backend::cpu_device;
use tradeoff_core::config::RunConfig;
use tradeoff_core::model::Classifier;
use tradeoff_core::train::evaluate;
use tradeoff_core::url::from_hash;
use tradeoff_core::weights::{FORMAT, safetensors};

/// A tensor read back: its name, shape and values.
type Saved = (String, Vec<usize>, Vec<f32>);

/// Reads a safetensors file: the header and each tensor.
fn read(file: &[u8]) -> (serde_json::Value, Vec<Saved>) {
    let n = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&file[8..8 + n]).unwrap();
    let data = &file[8 + n..];
    let mut tensors = Vec::new();
    for (name, info) in header.as_object().unwrap() {
        if name == "__metadata__" {
            continue;
        }
        assert_eq!(info["dtype"], "F32");
        let shape: Vec<usize> = serde_json::from_value(info["shape"].clone()).unwrap();
        let [a, b]: [usize; 2] = serde_json::from_value(info["data_offsets"].clone()).unwrap();
        let values = data[a..b]
            .chunks(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect::<Vec<_>>();
        assert_eq!(values.len(), shape.iter().product::<usize>(), "{name}");
        tensors.push((name.clone(), shape, values));
    }
    (header, tensors)
}

#[test]
fn a_trained_model_saves_every_weight_with_its_settings() {
    let config = RunConfig {
        epochs: 1,
        layers: from_hash("v=1&ds=mnist&layers=c4k3.bn-p2-d16")
            .unwrap()
            .config
            .layers,
        ..Default::default()
    };
    let trained = common::train_model(config.clone(), &common::mnist_slice(600, 100));
    let file = pollster::block_on(safetensors(&trained)).unwrap();
    let (header, tensors) = read(&file);

    let meta = &header["__metadata__"];
    assert_eq!(meta["format"], FORMAT);
    let link = meta["link"].as_str().unwrap();
    assert_eq!(from_hash(link).unwrap().config, config);
    let saved: RunConfig = serde_json::from_str(meta["config"].as_str().unwrap()).unwrap();
    assert_eq!(saved, config);
    assert_eq!(
        meta["classes"],
        "[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]"
    );

    // Every trainable parameter is there (batch norm's running statistics come on top).
    let names: Vec<&str> = tensors.iter().map(|t| t.0.as_str()).collect();
    let trainable: usize = tensors
        .iter()
        .filter(|t| !t.0.contains("running"))
        .map(|t| t.2.len())
        .sum();
    assert_eq!(trainable as u64, trained.record.cost.params, "{names:?}");
    assert!(
        names.iter().any(|n| n.contains("running_mean")),
        "{names:?}"
    );
    // The values are the trained ones: not the initial zeros of a bias, and all finite.
    assert!(tensors.iter().all(|t| t.2.iter().all(|v| v.is_finite())));
    let output_bias = tensors
        .iter()
        .find(|t| t.0.starts_with("output") && t.0.ends_with("bias"))
        .unwrap_or_else(|| panic!("{names:?}"));
    assert_eq!(output_bias.1, vec![10]);
    assert!(output_bias.2.iter().any(|v| *v != 0.0));
}

/// Test images the Python check (`tests/python/read_model.py`) runs the saved model on.
const PYTHON_CHECK_IMAGES: usize = 200;

#[test]
fn burn_store_loads_the_file_into_the_same_model_with_the_same_predictions() {
    // Every kind of block with weights or statistics: conv with stride, padding and batch
    // norm, both pools, dense with batch norm and each activation.
    let config = from_hash(
        "v=1&ds=mnist&layers=c8k3p1.bn-p2-c8k3s2.gelu-a2-d32.bn.tanh-drop0.2-d16.sigmoid&lr=3e-3&ep=2",
    )
    .unwrap()
    .config;
    let trained = common::train_model(config.clone(), &common::mnist_slice(2000, 300));
    let file = pollster::block_on(safetensors(&trained)).unwrap();
    let (_, tensors) = read(&file);

    let device = cpu_device();
    let mut loaded = Classifier::init(&config.layers, config.input, 10, config.init, &device);
    let result = loaded
        .load_from(&mut SafetensorsStore::from_bytes(Some(file.clone())))
        .unwrap();
    assert!(result.missing.is_empty(), "missing: {:?}", result.missing);
    assert!(result.unused.is_empty(), "unused: {:?}", result.unused);
    assert!(result.errors.is_empty(), "errors: {:?}", result.errors);
    assert_eq!(result.applied.len(), tensors.len());

    let test = &trained.test;
    let all: Vec<usize> = (0..test.len()).collect();
    let run = |model: &Classifier| {
        pollster::block_on(evaluate(
            model,
            config.loss,
            test,
            &trained.norm,
            &all,
            &device,
        ))
        .unwrap()
    };
    let (_, accuracy, predictions) = run(&trained.model);
    // A model worth checking: it tells the digits apart (a constant answer would agree with
    // any reader).
    assert!(accuracy > 0.6, "test accuracy {accuracy}");
    let (_, loaded_accuracy, loaded_predictions) = run(&loaded);
    assert_eq!(loaded_predictions, predictions);
    assert_eq!(loaded_accuracy, accuracy);
    assert_eq!(
        Some(accuracy),
        trained.record.summary.as_ref().map(|s| s.test_accuracy)
    );

    // The file, some raw test images and these predictions, for the Python check that
    // scripts/test runs next (NumPy and the `safetensors` package, from the file alone).
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("model-check");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.safetensors"), &file).unwrap();
    let n = PYTHON_CHECK_IMAGES.min(test.len());
    let check = serde_json::json!({
        "shape": [n, test.channels, test.size, test.size],
        "pixels": (0..n).flat_map(|i| test.image(i).to_vec()).collect::<Vec<u8>>(),
        "predictions": &predictions[..n],
    });
    std::fs::write(dir.join("check.json"), check.to_string()).unwrap();
}
