//! What a run minimises: the loss on the model's outputs, and how the outputs name a class.
//!
//! The output layer's width depends on the loss ([`LossKind::outputs`]): one sigmoid unit for
//! binary cross-entropy, one unit per class otherwise.

use burn::nn::loss::{
    BinaryCrossEntropyLoss, BinaryCrossEntropyLossConfig, CrossEntropyLoss, CrossEntropyLossConfig,
    MseLoss, Reduction,
};
use burn::tensor::activation::{sigmoid, softmax};
use burn::tensor::{Device, Int, Tensor};

use crate::config::LossKind;

/// A loss with its label smoothing, ready to score batches on one device.
pub struct Objective {
    kind: LossKind,
    classes: usize,
    smoothing: f64,
    cross_entropy: CrossEntropyLoss,
    binary: BinaryCrossEntropyLoss,
}

impl Objective {
    /// `kind` for `classes` classes, aiming at 1 − `smoothing` on the true class (0: exact
    /// targets). Validation and test figures use `smoothing` 0, so runs compare.
    pub fn new(kind: LossKind, classes: usize, smoothing: f64, device: &Device) -> Self {
        let alpha = (smoothing > 0.0).then_some(smoothing as f32);
        Self {
            kind,
            classes,
            smoothing,
            cross_entropy: CrossEntropyLossConfig::new()
                .with_smoothing(alpha)
                .init(device),
            binary: BinaryCrossEntropyLossConfig::new()
                .with_logits(true)
                .with_smoothing(alpha)
                .init(device),
        }
    }

    /// Mean loss of a batch: `outputs` straight from the model, `labels` the true classes.
    pub fn loss(&self, outputs: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
        let [n, _] = outputs.dims(); // [n, outputs]
        match self.kind {
            LossKind::CrossEntropy => self.cross_entropy.forward(outputs, labels),
            LossKind::BinaryCrossEntropy => {
                // The single logit says "second class"; label 1 is exactly that target.
                self.binary.forward(outputs.squeeze_dim::<1>(1), labels) // [n]
            }
            LossKind::MeanSquaredError => {
                let k = self.classes;
                let device = outputs.device();
                // One-hot on the device (Burn's one_hot reads the labels back synchronously,
                // which WebGPU in a browser cannot do).
                let class_ids = Tensor::<1, Int>::arange(0..k as i64, &device)
                    .unsqueeze_dim::<2>(0)
                    .expand([n, k]); // [n, k]
                let one_hot = labels.unsqueeze_dim::<2>(1).expand([n, k]).equal(class_ids);
                let alpha = self.smoothing;
                let targets = one_hot
                    .float()
                    .mul_scalar(1.0 - alpha)
                    .add_scalar(alpha / k as f64); // [n, k]
                MseLoss::new().forward(softmax(outputs, 1), targets, Reduction::Mean)
            }
        }
    }

    /// Each class's probability for each row of `outputs`: the softmax, or for one sigmoid
    /// output the two classes' `1 − p` and `p`.
    pub fn probabilities(&self, outputs: Tensor<2>) -> Tensor<2> {
        match self.kind {
            LossKind::BinaryCrossEntropy => {
                let second = sigmoid(outputs); // [n, 1]
                Tensor::cat(vec![second.clone().neg().add_scalar(1.0), second], 1) // [n, 2]
            }
            LossKind::CrossEntropy | LossKind::MeanSquaredError => softmax(outputs, 1),
        }
    }

    /// The class each row of `outputs` names.
    pub fn predict(&self, outputs: Tensor<2>) -> Tensor<1, Int> {
        match self.kind {
            LossKind::BinaryCrossEntropy => outputs.squeeze_dim::<1>(1).greater_elem(0.0).int(),
            LossKind::CrossEntropy | LossKind::MeanSquaredError => {
                outputs.argmax(1).squeeze_dim::<1>(1)
            }
        }
    }
}
