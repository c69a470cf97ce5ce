//! Compressing a trained model — int8 quantization (Burn's quantizer) or magnitude pruning —
//! and measuring what it costs and saves, as a run record of its own.
//!
//! Compression always runs on the CPU backend: the weights are read back from whatever device
//! trained them (asynchronously, as WebGPU requires), and the float model is re-measured there
//! too, so the compressed model's latency is compared on the same backend.

use crate::i18n::Message;
use crate::msg;
#[cfg(feature = "engine")]
use {
    crate::backend::{CPU_BACKEND_NAME, cpu_device},
    crate::metrics::{ConfusionMatrix, misclassified},
    crate::model::Classifier,
    crate::record::{CompressionInfo, RunRecord, RunStatus},
    crate::train::{TrainedModel, evaluate, latency_ms},
    burn::module::{Module, ModuleMapper, ModuleVisitor, Param, Quantizer},
    burn::tensor::quantization::ScaleDtype,
    burn::tensor::quantization::{Calibration, QuantScheme, QuantValue},
    burn::tensor::{DType, Device, Tensor, TensorData},
};

use crate::record::Compression;

/// Trained models the worker keeps for compression (the latest runs'); models are small, but
/// a tab should not hold every run's weights.
pub const KEPT_MODELS: usize = 12;

/// The highest pruning sparsity offered: beyond it every model collapses.
pub const MAX_SPARSITY: f64 = 0.99;

/// Why a model could not be compressed.
pub fn check(method: &Compression) -> Result<(), Message> {
    match *method {
        Compression::Int8 => Ok(()),
        Compression::Prune { sparsity } if (0.0..=MAX_SPARSITY).contains(&sparsity) => Ok(()),
        Compression::Prune { .. } => Err(msg!(
            "pruning sparsity must be between 0 and {} %",
            format!("{:.0}", MAX_SPARSITY * 100.0)
        )),
    }
}

/// Compresses `trained` with `method` and measures the result on the CPU backend: test
/// accuracy, confusion matrix, latency, size in bytes and sparsity. The returned record keeps
/// the parent's config and curves, with the new summary and [`CompressionInfo`].
#[cfg(feature = "engine")]
pub async fn compress(trained: &TrainedModel, method: Compression) -> Result<RunRecord, Message> {
    check(&method)?;
    let device = cpu_device();
    let float = copy_to(&trained.model, &device).await?;
    let compressed = match method {
        Compression::Int8 => float.clone().quantize_weights(&mut Quantizer::new(
            Calibration::MinMax,
            QuantScheme::default()
                .with_value(QuantValue::Q8S)
                .per_tensor(ScaleDtype::F32),
        )),
        Compression::Prune { sparsity } => float.clone().map(&mut Pruner { sparsity }),
    };
    let (test, norm) = (&trained.test, &trained.norm);
    let all: Vec<usize> = (0..test.len()).collect();
    let (test_loss, _, predicted) = evaluate(
        &compressed,
        trained.record.config.loss,
        test,
        norm,
        &all,
        &device,
    )
    .await?;
    // A quantized model's weights take no gradients: its attack is made on the float model it
    // came from (the images an attacker with the original weights would send).
    let attacker = match method {
        Compression::Int8 => &float,
        Compression::Prune { .. } => &compressed,
    };
    let config = &trained.record.config;
    let robust = crate::robust::measure(
        &compressed,
        attacker,
        config.loss,
        test,
        norm,
        &all,
        &config.robustness,
        config.seed,
        &device,
    )
    .await?;
    let float_latency_ms_batch1 = latency_ms(&float, test, norm, 1, 20, &device).await?;
    let latency_ms_batch1 = latency_ms(&compressed, test, norm, 1, 20, &device).await?;
    let latency_ms_batch64 = latency_ms(&compressed, test, norm, 64, 5, &device).await?;
    let stored = stored_bytes(&compressed);

    let parent = trained
        .record
        .summary
        .as_ref()
        .ok_or_else(|| msg!("the run has no results to compare with"))?;
    let confusion = ConfusionMatrix::new(test.classes.len(), &test.labels, &predicted);
    let mut record = trained.record.clone();
    record.backend = CPU_BACKEND_NAME.into();
    record.status = RunStatus::Finished;
    record.compression = Some(CompressionInfo {
        method,
        parent_key: None,
        parent_test_accuracy: parent.test_accuracy,
        parent_model_bytes: parent.model_bytes,
        float_latency_ms_batch1,
        weight_sparsity: stored.zero_weights as f64 / stored.weights.max(1) as f64,
    });
    let mut summary = parent.clone();
    summary.test_accuracy = confusion.accuracy();
    summary.test_loss = test_loss;
    summary.misclassified = misclassified(test, &predicted);
    summary.confusion = confusion;
    summary.test_predictions = predicted;
    summary.latency_ms_batch1 = latency_ms_batch1;
    summary.latency_ms_batch64 = latency_ms_batch64;
    summary.model_bytes = stored.bytes;
    summary.params = stored.params - stored.zero_weights;
    summary.noise_accuracy = robust.noise;
    summary.fgsm_accuracy = robust.fgsm;
    record.summary = Some(summary);
    Ok(record)
}

/// Copies `model`'s weights to `device`, reading them back asynchronously.
#[cfg(feature = "engine")]
pub(crate) async fn copy_to(model: &Classifier, device: &Device) -> Result<Classifier, Message> {
    let mut gather = Gather::default();
    model.visit(&mut gather);
    let mut data = Vec::with_capacity(gather.0.len());
    for tensor in gather.0 {
        data.push(tensor.into_data_async().await.map_err(|e| {
            msg!(
                "the trained weights could not be read: {e}",
                e = e.to_string()
            )
        })?);
    }
    data.reverse();
    Ok(model.clone().map(&mut Place {
        data,
        device: device.clone(),
    }))
}

/// Collects every float tensor of a module, flattened, in visiting order.
#[derive(Default)]
#[cfg(feature = "engine")]
struct Gather(Vec<Tensor<1>>);

#[cfg(feature = "engine")]
impl ModuleVisitor for Gather {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.val().flatten(0, D - 1));
    }
}

/// Replaces every float tensor, in visiting order, by the next of `data` on `device`.
#[cfg(feature = "engine")]
struct Place {
    /// Remaining tensors, last first.
    data: Vec<TensorData>,
    device: Device,
}

#[cfg(feature = "engine")]
impl ModuleMapper for Place {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let data = self.data.pop().expect("one tensor per parameter");
        let device = self.device.clone();
        param.map(|tensor| {
            let shape = tensor.shape();
            Tensor::<1>::from_data(data, &device).reshape(shape)
        })
    }
}

/// Zeroes the smallest-magnitude `sparsity` fraction of each conv and dense weight (the
/// tensors of rank 2 and more; biases and batch-norm parameters are kept).
#[cfg(feature = "engine")]
struct Pruner {
    sparsity: f64,
}

#[cfg(feature = "engine")]
impl ModuleMapper for Pruner {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if D < 2 {
            return param;
        }
        let sparsity = self.sparsity;
        param.map(|tensor| {
            let device = tensor.device();
            let shape = tensor.shape();
            let mut values: Vec<f32> = tensor.into_data().iter::<f32>().collect();
            let zeroed = ((values.len() as f64) * sparsity).round() as usize;
            if zeroed > 0 {
                let mut order: Vec<usize> = (0..values.len()).collect();
                order.select_nth_unstable_by(zeroed - 1, |&a, &b| {
                    values[a].abs().total_cmp(&values[b].abs())
                });
                for &i in &order[..zeroed] {
                    values[i] = 0.0;
                }
            }
            Tensor::<1>::from_data(TensorData::new(values, [shape.num_elements()]), &device)
                .reshape(shape)
        })
    }
}

/// What a model's stored weights take.
#[cfg(feature = "engine")]
struct Stored {
    /// Bytes of every parameter and buffer as stored (quantized tensors at their packed size).
    bytes: u64,
    /// Parameters and buffers.
    params: u64,
    /// Conv and dense weights.
    weights: u64,
    /// Conv and dense weights that are exactly zero.
    zero_weights: u64,
}

/// Measures a CPU-resident model's stored weights (reads are synchronous on the CPU backend).
#[cfg(feature = "engine")]
fn stored_bytes(model: &Classifier) -> Stored {
    let mut stored = Stored {
        bytes: 0,
        params: 0,
        weights: 0,
        zero_weights: 0,
    };
    model.visit(&mut stored);
    stored
}

#[cfg(feature = "engine")]
impl ModuleVisitor for Stored {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let data = param.val().into_data();
        let n = data.num_elements() as u64;
        self.bytes += data.bytes().len() as u64;
        self.params += n;
        if D >= 2 {
            self.weights += n;
            if !matches!(data.dtype(), DType::QFloat(_)) {
                self.zero_weights += data.iter::<f32>().filter(|v| *v == 0.0).count() as u64;
            }
        }
    }
}
