//! What a run measures: per-step and per-epoch figures, the confusion matrix, the summary.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Serde for figures that may be NaN or infinite (a diverged run): JSON has no such numbers,
/// so they travel as `null` and come back as NaN.
pub mod maybe_finite {
    use super::*;

    /// Writes a finite value as a number and anything else as `null`.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            s.serialize_f64(*x)
        } else {
            s.serialize_none()
        }
    }

    /// Reads a number, or `null` as NaN.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// Training figures of one step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// 1-based step number over the whole run.
    pub step: usize,
    /// 1-based epoch the step belongs to.
    pub epoch: usize,
    /// Mean cross-entropy of the batch.
    #[serde(with = "maybe_finite")]
    pub loss: f64,
    /// Share of the batch classified correctly, 0..1.
    pub accuracy: f64,
    /// Learning rate used for this step.
    pub learning_rate: f64,
}

/// Figures of one finished epoch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's steps.
    #[serde(with = "maybe_finite")]
    pub train_loss: f64,
    /// Training accuracy over the epoch, 0..1.
    pub train_accuracy: f64,
    /// Loss on the validation split.
    #[serde(with = "maybe_finite")]
    pub validation_loss: f64,
    /// Accuracy on the validation split, 0..1.
    pub validation_accuracy: f64,
    /// Training throughput (validation excluded); NaN where not measured (a shared result from
    /// an older link, which carried no timings).
    #[serde(with = "maybe_finite")]
    pub images_per_second: f64,
    /// Wall time of the epoch's training steps in seconds (NaN where not measured).
    #[serde(with = "maybe_finite")]
    pub train_seconds: f64,
    /// Wall time of the epoch including validation, in seconds (NaN where not measured).
    #[serde(with = "maybe_finite")]
    pub seconds: f64,
}

/// Counts of (true class, predicted class) pairs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Number of classes.
    pub classes: usize,
    /// Row-major `classes × classes`: `counts[true * classes + predicted]`.
    pub counts: Vec<u32>,
}

impl ConfusionMatrix {
    /// Tallies pairs of true and predicted labels.
    pub fn new(classes: usize, truth: &[u16], predicted: &[u16]) -> Self {
        let mut counts = vec![0u32; classes * classes];
        for (&t, &p) in truth.iter().zip(predicted) {
            if (t as usize) < classes && (p as usize) < classes {
                counts[t as usize * classes + p as usize] += 1;
            }
        }
        ConfusionMatrix { classes, counts }
    }

    /// How often class `truth` was predicted as `predicted`.
    pub fn get(&self, truth: usize, predicted: usize) -> u32 {
        self.counts[truth * self.classes + predicted]
    }

    /// Total number of examples.
    pub fn total(&self) -> u32 {
        self.counts.iter().sum()
    }

    /// Number classified correctly.
    pub fn correct(&self) -> u32 {
        (0..self.classes).map(|c| self.get(c, c)).sum()
    }

    /// Share classified correctly, 0..1.
    pub fn accuracy(&self) -> f64 {
        self.correct() as f64 / self.total().max(1) as f64
    }

    /// Recall of each class (correct ÷ examples of that class); `None` for absent classes.
    pub fn per_class_accuracy(&self) -> Vec<Option<f64>> {
        (0..self.classes)
            .map(|t| {
                let row: u32 = (0..self.classes).map(|p| self.get(t, p)).sum();
                (row > 0).then(|| self.get(t, t) as f64 / row as f64)
            })
            .collect()
    }
}

/// Most misclassified test images a [`Summary`] keeps (enough for a grid, small in a record).
pub const MAX_MISCLASSIFIED: usize = 36;

/// A test image the model got wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misclassified {
    /// The image and its true label.
    pub example: crate::data::Example,
    /// The class the model chose.
    pub predicted: u16,
}

/// The first wrongly classified images of `set` (at most [`MAX_MISCLASSIFIED`]), given the
/// class `predicted` for each, in order.
pub fn misclassified(set: &crate::data::ImageSet, predicted: &[u16]) -> Vec<Misclassified> {
    predicted
        .iter()
        .enumerate()
        .filter(|&(i, &p)| p != set.labels[i])
        .take(MAX_MISCLASSIFIED)
        .map(|(i, &predicted)| Misclassified {
            example: set.example(i),
            predicted,
        })
        .collect()
}

/// Results measured once at the end of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Accuracy on the test split, 0..1.
    pub test_accuracy: f64,
    /// Mean cross-entropy on the test split.
    pub test_loss: f64,
    /// Class names, indexed by label.
    pub class_names: Vec<String>,
    /// Test-split confusion matrix.
    pub confusion: ConfusionMatrix,
    /// Predicted class of every test image, in test-set order.
    pub test_predictions: Vec<u16>,
    /// The first wrongly classified test images (at most [`MAX_MISCLASSIFIED`]), with what the
    /// model said, at the run's input shape.
    #[serde(default)]
    pub misclassified: Vec<Misclassified>,
    /// Inference time per image at batch 1, in milliseconds.
    pub latency_ms_batch1: f64,
    /// Inference time per image at batch 64, in milliseconds (NaN where not measured).
    #[serde(with = "maybe_finite")]
    pub latency_ms_batch64: f64,
    /// Float32 weights in bytes.
    pub model_bytes: u64,
    /// Trainable parameters.
    pub params: u64,
    /// Forward FLOPs per image.
    pub flops: u64,
    /// Total training time (validation included), in seconds.
    pub train_seconds: f64,
    /// Mean training throughput over all epochs.
    pub images_per_second: f64,
    /// Test accuracy with Gaussian noise of the config's σ added (records kept before it was
    /// measured, and runs with σ 0, have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_accuracy: Option<f64>,
    /// Test accuracy under the FGSM attack of the config's ε (as `noise_accuracy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fgsm_accuracy: Option<f64>,
}
