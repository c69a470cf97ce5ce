//! Parameters, FLOPs and memory computed from the spec, against hand-computed values and
//! against the parameters of the Burn model actually built.
// Tests tweak one field of the default config at a time; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

use burn::module::Module;
use tradeoff_core::backend::cpu_device;
use tradeoff_core::config::{InputShape, RunConfig};
use tradeoff_core::model::Classifier;
use tradeoff_core::notation::parse_layers;

fn cost_of(
    layers: &str,
    size: usize,
    channels: usize,
) -> (RunConfig, tradeoff_core::cost::ModelCost) {
    let mut config = RunConfig::default();
    config.layers = parse_layers(layers).unwrap();
    config.input = InputShape { size, channels };
    let cost = config.validate(10).expect("valid stack");
    (config, cost)
}

/// Everything Burn stores for the model: trainable parameters plus batch-norm running stats.
fn burn_params(config: &RunConfig) -> u64 {
    Classifier::init(&config.layers, config.input, 10, config.init, &cpu_device()).num_params()
        as u64
}

#[test]
fn reference_cnn() {
    let (config, cost) = cost_of("c8k3-p2-c16k3-p2-d64", 28, 1);
    // conv 8@3×3: 8·9+8 = 80; conv 16@3×3: 16·8·9+16 = 1,168; dense 400→64: 25,664; 64→10: 650
    assert_eq!(cost.params, 27_562);
    // MACs: 26·26·8·9 = 48,672; 11·11·16·72 = 139,392; 400·64 = 25,600; 64·10 = 640
    assert_eq!(cost.flops, 2 * (48_672 + 139_392 + 25_600 + 640));
    // Outputs per image: 784 + 5,408 + 1,352 + 1,936 + 400 + 64 + 10 floats.
    assert_eq!(
        cost.activation_bytes,
        4 * (784 + 5_408 + 1_352 + 1_936 + 400 + 64 + 10)
    );
    assert_eq!(cost.model_bytes(), 27_562 * 4);
    let shapes: Vec<&str> = cost.layers.iter().map(|l| l.output.as_str()).collect();
    assert_eq!(
        shapes,
        ["26×26×8", "13×13×8", "11×11×16", "5×5×16", "64", "10"]
    );
    assert_eq!(burn_params(&config), cost.params);
}

#[test]
fn multilayer_perceptron() {
    let (config, cost) = cost_of("d128-drop0.5-d64", 28, 1);
    // 784·128+128 = 100,480; 128·64+64 = 8,256; 64·10+10 = 650
    assert_eq!(cost.params, 109_386);
    assert_eq!(cost.flops, 2 * (100_352 + 8_192 + 640));
    assert_eq!(burn_params(&config), cost.params);
}

#[test]
fn rgb_stack_with_padding_stride_and_batch_norm() {
    let (config, cost) = cost_of("c16k3p1.bn-a2-c32k5s2", 32, 3);
    // conv 16@3×3 pad 1 on 32×32×3 → 32×32×16: 16·3·9+16 = 448, + batch norm γ,β 32 = 480
    // avg pool 2 → 16×16×16; conv 32@5×5 stride 2 → 6×6×32: 32·16·25+32 = 12,832
    // output 1,152→10: 11,530
    assert_eq!(cost.params, 480 + 12_832 + 11_530);
    assert_eq!(
        cost.flops,
        2 * (32 * 32 * 16 * 27 + 6 * 6 * 32 * 400 + 1_152 * 10)
    );
    assert_eq!(cost.layers[2].output, "6×6×32");
    // Batch norm also stores a running mean and variance per channel (not trained).
    assert_eq!(cost.buffers, 32);
    assert_eq!(burn_params(&config), cost.params + cost.buffers);
    assert_eq!(cost.model_bytes(), 4 * (cost.params + cost.buffers));
}

#[test]
fn training_memory_grows_with_the_batch() {
    let (_, cost) = cost_of("c8k3-p2-c16k3-p2-d64", 28, 1);
    assert!(cost.training_bytes(256) > cost.training_bytes(64));
    assert_eq!(
        cost.training_bytes(64) - cost.training_bytes(32),
        32 * cost.activation_bytes * 3
    );
}

#[test]
fn a_step_too_big_for_one_gpu_buffer_is_refused_with_the_estimate_and_a_batch_that_fits() {
    let (_, cost) = cost_of("c16k3p1", 64, 1);
    // 64×64×16 outputs per image.
    assert_eq!(cost.layers[0].largest_tensor, 64 * 64 * 16);
    assert_eq!(cost.largest_buffer(1024), (0, 1024 * 64 * 64 * 16 * 4));
    let mib = 1 << 20;
    let refused = cost.check_gpu_buffers(1024, 128 * mib).unwrap_err();
    assert_eq!(
        refused,
        "it does not fit this GPU: layer 1 (conv 16@3×3 pad 1 relu) needs one buffer of 256 MB at batch size 1024, and this GPU allows 128 MB in one buffer; batch size 512 or less fits, or train on the CPU"
    );
    assert!(cost.check_gpu_buffers(512, 128 * mib).is_ok());
    assert!(cost.check_gpu_buffers(1024, 2048 * mib).is_ok());
    // A layer whose one image is already too big: no batch size fits.
    let refused = cost.check_gpu_buffers(1, 64 * 1024).unwrap_err();
    assert!(
        refused.to_string().contains("no batch size fits"),
        "{refused}"
    );
}
