//! Robustness: how a trained model does on test images under Gaussian noise and under the
//! fast gradient sign method (FGSM), and the attacked images adversarial training mixes into
//! its batches.
//!
//! Both perturbations are in pixel units (0 black, 1 white, as [`Robustness`] says) and keep
//! every pixel inside 0..1, although the model sees normalised pixels: a per-channel
//! [`PixelScale`] converts.

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::config::{LossKind, Robustness};
use crate::data::{ImageSet, Normalisation, per_channel};
use crate::i18n::Message;
use crate::model::Classifier;
use crate::objective::Objective;
use crate::rng::Rng;

/// Test images per attacked batch (a backward pass each, so smaller than plain evaluation's).
const ATTACK_BATCH: usize = 128;
/// Mixed into the run's seed for the test noise, so it differs from the training draws.
const NOISE_SEED: u64 = 0x006e_6f69_7365;

/// Per-channel conversion between pixel units and the normalised values a model sees.
#[derive(Clone, Debug, PartialEq)]
pub struct PixelScale {
    /// 1/σ of each channel: a pixel-unit step in normalised units.
    per_pixel: Vec<f32>,
    /// Black (pixel 0) in normalised units, per channel.
    low: Vec<f32>,
    /// White (pixel 1) in normalised units, per channel.
    high: Vec<f32>,
}

impl PixelScale {
    /// The scale of images normalised with `norm`.
    pub fn new(norm: &Normalisation) -> Self {
        let per_pixel: Vec<f32> = norm.std.iter().map(|s| 1.0 / s).collect();
        let low = norm
            .mean
            .iter()
            .zip(&per_pixel)
            .map(|(m, k)| -m * k)
            .collect();
        let high = norm
            .mean
            .iter()
            .zip(&per_pixel)
            .map(|(m, k)| (1.0 - m) * k)
            .collect();
        Self {
            per_pixel,
            low,
            high,
        }
    }

    /// `values` (N×C×H×W, normalised, `plane` = H×W) with Gaussian noise of σ pixels added,
    /// kept in 0..1.
    pub fn add_noise(&self, values: &mut [f32], plane: usize, sigma: f64, rng: &mut Rng) {
        let channels = self.per_pixel.len();
        for (i, v) in values.iter_mut().enumerate() {
            let c = (i / plane.max(1)) % channels;
            let noisy = *v + (sigma * rng.gaussian()) as f32 * self.per_pixel[c];
            *v = noisy.clamp(self.low[c], self.high[c]);
        }
    }
}

/// `images` (normalised, N×C×H×W, on a device without autodiff) moved by ε pixels in the
/// direction that raises `model`'s loss on `labels` most, kept in 0..1 pixels.
///
/// `model` must be on the autodiff device and in evaluation mode ([`Module::freeze`] of a
/// training model: batch norm uses its running statistics, dropout is off, and no parameter
/// takes a gradient). The result has no autodiff.
pub fn fgsm(
    model: &Classifier,
    objective: &Objective,
    images: Tensor<4>,
    labels: Tensor<1, Int>,
    epsilon: f64,
    scale: &PixelScale,
) -> Tensor<4> {
    let dims = images.dims(); // [n, c, s, s]
    let device = images.device();
    let tracked = images.clone().autodiff().require_grad();
    let loss = objective.loss(model.forward(tracked.clone()), labels.autodiff()); // [1]
    let grads = loss.backward();
    let gradient = tracked
        .grad(&grads)
        .expect("the attacked images take a gradient"); // [n, c, s, s]
    let step = per_channel(&scale.per_pixel, dims, &device).mul_scalar(epsilon);
    let low = per_channel(&scale.low, dims, &device);
    let high = per_channel(&scale.high, dims, &device);
    (images + gradient.sign() * step)
        .max_pair(low)
        .min_pair(high)
}

/// Test accuracy under noise and under FGSM, as [`Robustness`] asks (`None` where its σ or ε
/// is 0).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RobustAccuracy {
    /// Accuracy with Gaussian noise of σ added to every test image.
    pub noise: Option<f64>,
    /// Accuracy on FGSM-attacked test images.
    pub fgsm: Option<f64>,
}

/// Measures `model` (evaluation mode, on `device` without autodiff) on `indices` of `set`.
///
/// The attack takes its gradients from `attacker` (the model itself, or the float model a
/// quantized one was made from, whose weights cannot take gradients); noise is drawn from
/// `seed`, so the figure repeats.
#[allow(clippy::too_many_arguments)]
pub async fn measure(
    model: &Classifier,
    attacker: &Classifier,
    loss: LossKind,
    set: &ImageSet,
    norm: &Normalisation,
    indices: &[usize],
    robustness: &Robustness,
    seed: u64,
    device: &Device,
) -> Result<RobustAccuracy, Message> {
    let scale = PixelScale::new(norm);
    let objective = Objective::new(loss, set.classes.len(), 0.0, device);
    let (c, s) = (set.channels, set.size);
    let mut result = RobustAccuracy::default();
    if robustness.noise > 0.0 {
        let mut rng = Rng::new(seed ^ NOISE_SEED);
        let mut predictions = Vec::new();
        for chunk in indices.chunks(ATTACK_BATCH * 2) {
            let (mut xs, _) = set.batch(chunk, norm, None);
            scale.add_noise(&mut xs, s * s, robustness.noise, &mut rng);
            let images =
                Tensor::<4>::from_data(TensorData::new(xs, [chunk.len(), c, s, s]), device);
            predictions.push(objective.predict(model.forward(images)));
        }
        result.noise = Some(accuracy(set, indices, predictions).await?);
    }
    if robustness.epsilon > 0.0 {
        // Evaluation mode on the autodiff device: gradients reach the images only.
        let attacker = Module::freeze(attacker.clone().train());
        let attack_objective =
            Objective::new(loss, set.classes.len(), 0.0, &device.clone().autodiff());
        let mut predictions = Vec::new();
        for chunk in indices.chunks(ATTACK_BATCH) {
            let (xs, ys) = set.batch(chunk, norm, None);
            let n = chunk.len();
            let images = Tensor::<4>::from_data(TensorData::new(xs, [n, c, s, s]), device);
            let labels = Tensor::<1, Int>::from_data(TensorData::new(ys, [n]), device);
            let attacked = fgsm(
                &attacker,
                &attack_objective,
                images,
                labels,
                robustness.epsilon,
                &scale,
            );
            predictions.push(objective.predict(model.forward(attacked)));
        }
        result.fgsm = Some(accuracy(set, indices, predictions).await?);
    }
    Ok(result)
}

/// The share of `indices` of `set` whose label `predictions` (in order) name.
pub(crate) async fn accuracy(
    set: &ImageSet,
    indices: &[usize],
    predictions: Vec<Tensor<1, Int>>,
) -> Result<f64, Message> {
    if predictions.is_empty() {
        return Ok(0.0);
    }
    let data = crate::train::read(Tensor::cat(predictions, 0)).await?;
    let right = indices
        .iter()
        .zip(data.iter::<i64>())
        .filter(|&(&i, p)| set.labels[i] as i64 == p)
        .count();
    Ok(right as f64 / indices.len().max(1) as f64)
}
