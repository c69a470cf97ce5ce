//! Compressing a trained MNIST model: what int8 quantization and pruning keep and save.

mod common;

use tradeoff_core::compress::compress;
use tradeoff_core::config::RunConfig;
use tradeoff_core::record::Compression;

#[test]
fn int8_keeps_accuracy_within_2_points_at_under_30_percent_of_the_size_and_pruning_reports_sparsity()
 {
    let config = RunConfig {
        epochs: 2,
        ..RunConfig::default()
    };
    let trained = common::train_model(config, &common::mnist());
    let float = trained.record.summary.clone().unwrap();
    assert!(
        float.test_accuracy > 0.9,
        "the float model learned: {}",
        float.test_accuracy
    );

    let int8 = pollster::block_on(compress(&trained, Compression::Int8)).expect("int8");
    let q = int8.summary.as_ref().unwrap();
    let info = int8.compression.as_ref().unwrap();
    eprintln!(
        "float {:.1} % {} B {:.3} ms · int8 {:.1} % {} B {:.3} ms (float on the same backend {:.3} ms)",
        float.test_accuracy * 100.0,
        float.model_bytes,
        float.latency_ms_batch1,
        q.test_accuracy * 100.0,
        q.model_bytes,
        q.latency_ms_batch1,
        info.float_latency_ms_batch1
    );
    assert!(
        (float.test_accuracy - q.test_accuracy).abs() <= 0.02,
        "int8 {:.3} vs float {:.3}",
        q.test_accuracy,
        float.test_accuracy
    );
    assert!(
        q.model_bytes as f64 <= 0.30 * float.model_bytes as f64,
        "int8 {} bytes vs float {} bytes",
        q.model_bytes,
        float.model_bytes
    );
    assert_eq!(info.method, Compression::Int8);
    assert_eq!(info.parent_test_accuracy, float.test_accuracy);
    // The int8 model really computes with rounded weights: its test loss moves.
    assert_ne!(q.test_loss, float.test_loss);
    eprintln!("test loss float {} int8 {}", float.test_loss, q.test_loss);

    let pruned = pollster::block_on(compress(&trained, Compression::Prune { sparsity: 0.5 }))
        .expect("pruned");
    let p = pruned.summary.as_ref().unwrap();
    let info = pruned.compression.as_ref().unwrap();
    eprintln!(
        "pruned 50 %: sparsity {:.3}, {:.1} %, {} non-zero of {} params",
        info.weight_sparsity,
        p.test_accuracy * 100.0,
        p.params,
        float.params
    );
    assert!(
        (info.weight_sparsity - 0.5).abs() < 0.01,
        "{}",
        info.weight_sparsity
    );
    assert!(
        p.params < float.params * 6 / 10,
        "pruning removed weights: {}",
        p.params
    );
    assert!(
        p.test_accuracy > 0.5,
        "50 % pruning leaves a working model: {}",
        p.test_accuracy
    );
    // The parent is untouched: compressing again gives the same int8 result.
    let again = pollster::block_on(compress(&trained, Compression::Int8)).expect("int8 again");
    assert_eq!(again.summary.unwrap().test_predictions, q.test_predictions);
}

#[test]
fn a_sparsity_out_of_range_is_refused_with_a_reason() {
    let message =
        tradeoff_core::compress::check(&Compression::Prune { sparsity: 1.5 }).unwrap_err();
    assert!(
        message.to_string().contains("between 0 and 99 %"),
        "{message}"
    );
}
