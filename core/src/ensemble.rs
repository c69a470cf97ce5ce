//! Ensembles: k trained models that answer together, each class's probability the mean of
//! theirs. Usually more accurate than its members and less overconfident, for k times the
//! latency, size and training time — the essay's other way to fight overfitting.

use serde::{Deserialize, Serialize};
#[cfg(feature = "engine")]
use {
    crate::config::RunConfig,
    crate::data::{ImageSet, Normalisation, per_channel},
    crate::metrics::{ConfusionMatrix, Summary, misclassified},
    crate::model::Classifier,
    crate::objective::Objective,
    crate::record::RunStatus,
    crate::rng::Rng,
    crate::robust::{RobustAccuracy, accuracy},
    crate::train::{latency_of, read},
    burn::module::Module,
    burn::tensor::{Device, Int, Tensor, TensorData},
};

use crate::i18n::Message;
use crate::msg;
use crate::record::RunRecord;

/// Most members an ensemble may have (each adds its whole latency).
pub const MAX_MEMBERS: usize = 8;
/// Test images per batch while evaluating (an attacked batch takes a backward pass per member).
#[cfg(feature = "engine")]
const BATCH: usize = 128;
/// Mixed into the seed of the test noise, as a single run's measurement does.
#[cfg(feature = "engine")]
const NOISE_SEED: u64 = 0x656e_7365_6d62;

/// One trained member: its model and what it was trained with.
#[cfg(feature = "engine")]
pub struct Member {
    /// The model, in evaluation mode on the device the ensemble is evaluated on.
    pub model: Classifier,
    /// Its run's record (config and summary).
    pub record: RunRecord,
    /// The pixel statistics its inputs are normalised with.
    pub norm: Normalisation,
}

#[cfg(feature = "engine")]
impl Member {
    /// Its class probabilities for a batch of pixels in 0..1 (N×C×H×W).
    fn probabilities(&self, pixels: Tensor<4>) -> Tensor<2> {
        let (dims, device) = (pixels.dims(), pixels.device());
        let normalised = (pixels - per_channel(&self.norm.mean, dims, &device))
            / per_channel(&self.norm.std, dims, &device); // [n, c, s, s]
        let classes = self.classes();
        let objective = Objective::new(self.record.config.loss, classes, 0.0, &device);
        objective.probabilities(self.model.forward(normalised)) // [n, classes]
    }

    fn classes(&self) -> usize {
        self.record
            .summary
            .as_ref()
            .map_or(0, |s| s.class_names.len())
    }
}

/// What an ensemble record holds beside its summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleInfo {
    /// Each member's test accuracy, in member order.
    pub member_accuracies: Vec<f64>,
    /// Each member's storage key, when it is a run of this page (set by the page).
    #[serde(default)]
    pub member_keys: Vec<f64>,
}

impl EnsembleInfo {
    /// The members' mean test accuracy.
    pub fn mean_member_accuracy(&self) -> f64 {
        self.member_accuracies.iter().sum::<f64>() / self.member_accuracies.len().max(1) as f64
    }
}

/// Why `records` cannot form an ensemble, if they cannot: 2 to [`MAX_MEMBERS`] finished runs
/// on the same dataset, classes and input.
pub fn check(records: &[&RunRecord]) -> Result<(), Message> {
    if !(2..=MAX_MEMBERS).contains(&records.len()) {
        return Err(msg!(
            "an ensemble averages 2 to {max} finished runs (chosen: {n})",
            max = MAX_MEMBERS,
            n = records.len()
        ));
    }
    let first = records[0];
    for record in records {
        let Some(summary) = &record.summary else {
            return Err(msg!(
                "every member must be a finished run with test results"
            ));
        };
        if record.ensemble.is_some() {
            return Err(msg!("an ensemble cannot be a member of another ensemble"));
        }
        let same = record.config.dataset == first.config.dataset
            && record.config.input == first.config.input
            && first
                .summary
                .as_ref()
                .is_some_and(|f| f.class_names == summary.class_names);
        if !same {
            return Err(msg!(
                "the members must be trained on the same dataset, classes and image size and colour"
            ));
        }
    }
    Ok(())
}

/// Evaluates `members` together on `test` (at their input shape) on `device`: test accuracy
/// and loss of the mean probabilities, under noise and the FGSM attack on the whole ensemble
/// as the first member's config asks, the time all of them take per image, and their summed
/// size. The record keeps the first member's config and says what its members scored.
#[cfg(feature = "engine")]
pub async fn evaluate(
    members: &[Member],
    test: &ImageSet,
    backend: Message,
    device: &Device,
) -> Result<RunRecord, Message> {
    let records: Vec<&RunRecord> = members.iter().map(|m| &m.record).collect();
    check(&records)?;
    let first = &members[0].record;
    let config: &RunConfig = &first.config;
    let pixels = Normalisation::identity(test.channels);
    let all: Vec<usize> = (0..test.len()).collect();
    let (c, s) = (test.channels, test.size);
    let to_tensor =
        |xs: Vec<f32>, n: usize| Tensor::<4>::from_data(TensorData::new(xs, [n, c, s, s]), device);

    let mut probabilities = Vec::new();
    let mut noisy = Vec::new();
    let mut attacked = Vec::new();
    let robustness = config.robustness;
    let attackers: Vec<Member> = if robustness.epsilon > 0.0 {
        members
            .iter()
            .map(|m| Member {
                model: Module::freeze(m.model.clone().train()),
                record: m.record.clone(),
                norm: m.norm.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut rng = Rng::new(config.seed ^ NOISE_SEED);
    for chunk in all.chunks(BATCH) {
        let n = chunk.len();
        let (xs, ys) = test.batch(chunk, &pixels, None);
        let images = to_tensor(xs.clone(), n);
        probabilities.push(mean_probabilities(members, images.clone())); // [n, classes]
        if robustness.noise > 0.0 {
            let mut xs = xs;
            for x in xs.iter_mut() {
                *x = (*x + (robustness.noise * rng.gaussian()) as f32).clamp(0.0, 1.0);
            }
            noisy.push(
                mean_probabilities(members, to_tensor(xs, n))
                    .argmax(1)
                    .squeeze_dim::<1>(1),
            );
        }
        if !attackers.is_empty() {
            let labels = Tensor::<1, Int>::from_data(TensorData::new(ys, [n]), device);
            let moved = attack(&attackers, images, labels, robustness.epsilon);
            attacked.push(
                mean_probabilities(members, moved)
                    .argmax(1)
                    .squeeze_dim::<1>(1),
            );
        }
    }
    let probabilities = Tensor::cat(probabilities, 0); // [test, classes]
    let predicted: Vec<u16> = read(probabilities.clone().argmax(1).squeeze_dim::<1>(1))
        .await?
        .iter::<i64>()
        .map(|p| p as u16)
        .collect();
    // The ensemble's cross-entropy: −ln of the mean probability of each true class.
    let labels: Vec<i64> = test.labels.iter().map(|&l| l as i64).collect();
    let true_class = Tensor::<1, Int>::from_data(TensorData::new(labels, [test.len()]), device);
    let picked = probabilities.gather(1, true_class.unsqueeze_dim::<2>(1)); // [test, 1]
    let test_loss = read(picked.clamp_min(1e-7).log().neg().mean())
        .await?
        .iter::<f64>()
        .next()
        .unwrap_or(f64::NAN);
    let mut robust = RobustAccuracy::default();
    if !noisy.is_empty() {
        robust.noise = Some(accuracy(test, &all, noisy).await?);
    }
    if !attacked.is_empty() {
        robust.fgsm = Some(accuracy(test, &all, attacked).await?);
    }

    let forward = |images: Tensor<4>| mean_probabilities(members, images);
    let latency_ms_batch1 = latency_of(forward, test, &pixels, 1, 20, device).await?;
    let latency_ms_batch64 = latency_of(forward, test, &pixels, 64, 5, device).await?;
    let summaries: Vec<&Summary> = members
        .iter()
        .filter_map(|m| m.record.summary.as_ref())
        .collect();
    let sum = |f: fn(&Summary) -> u64| summaries.iter().map(|s| f(s)).sum::<u64>();
    let confusion = ConfusionMatrix::new(test.classes.len(), &test.labels, &predicted);
    let summary = Summary {
        test_accuracy: confusion.accuracy(),
        test_loss,
        class_names: test.classes.clone(),
        confusion,
        misclassified: misclassified(test, &predicted),
        test_predictions: predicted,
        latency_ms_batch1,
        latency_ms_batch64,
        model_bytes: sum(|s| s.model_bytes),
        params: sum(|s| s.params),
        flops: sum(|s| s.flops),
        train_seconds: summaries.iter().map(|s| s.train_seconds).sum(),
        // Every training image passes through all k members.
        images_per_second: 1.0
            / summaries
                .iter()
                .map(|s| 1.0 / s.images_per_second.max(1e-9))
                .sum::<f64>(),
        noise_accuracy: robust.noise,
        fgsm_accuracy: robust.fgsm,
    };
    let mut cost = first.cost.clone();
    cost.params = summary.params;
    cost.flops = summary.flops;
    cost.buffers = members.iter().map(|m| m.record.cost.buffers).sum();
    Ok(RunRecord {
        config: config.clone(),
        cost,
        backend,
        status: RunStatus::Finished,
        steps: Vec::new(),
        epochs: Vec::new(),
        summary: Some(summary),
        compression: None,
        transfer: None,
        distill: None,
        ensemble: Some(EnsembleInfo {
            member_accuracies: summaries.iter().map(|s| s.test_accuracy).collect(),
            member_keys: Vec::new(),
        }),
        workers: 1,
        shared: false,
    })
}

/// The members' mean class probabilities for pixels in 0..1.
#[cfg(feature = "engine")]
fn mean_probabilities(members: &[Member], images: Tensor<4>) -> Tensor<2> {
    let k = members.len() as f64;
    members
        .iter()
        .map(|m| m.probabilities(images.clone()))
        .reduce(|a, b| a + b)
        .expect("an ensemble has members")
        .div_scalar(k) // [n, classes]
}

/// FGSM on the whole ensemble: pixels moved by ε in the direction that raises the loss of the
/// mean probabilities most, kept in 0..1. `attackers` are the members in evaluation mode on
/// the autodiff device.
#[cfg(feature = "engine")]
fn attack(
    attackers: &[Member],
    images: Tensor<4>,
    labels: Tensor<1, Int>,
    epsilon: f64,
) -> Tensor<4> {
    let tracked = images.clone().autodiff().require_grad();
    let mean = mean_probabilities(attackers, tracked.clone()); // [n, classes]
    let picked = mean.gather(1, labels.autodiff().unsqueeze_dim::<2>(1)); // [n, 1]
    let loss = picked.clamp_min(1e-7).log().neg().mean(); // [1]
    let grads = loss.backward();
    let gradient = tracked.grad(&grads).expect("the images take a gradient");
    (images + gradient.sign().mul_scalar(epsilon)).clamp(0.0, 1.0)
}

/// The test figures a member's model, kept with its run, adds to an ensemble.
#[cfg(feature = "engine")]
pub fn member_of(trained: &crate::train::TrainedModel) -> Member {
    Member {
        model: trained.model.clone(),
        record: trained.record.clone(),
        norm: trained.norm.clone(),
    }
}

/// A member from a model file and its run's record, on `device`.
#[cfg(feature = "engine")]
pub fn member_from_file(
    file: &crate::transfer::StartModel,
    record: RunRecord,
    device: &Device,
) -> Result<Member, Message> {
    let norm = file
        .norm
        .clone()
        .ok_or_else(|| msg!("the model file does not say how its pixels were normalised"))?;
    if file.config.loss != record.config.loss || file.config.layers != record.config.layers {
        return Err(msg!("the model file is not this run's model"));
    }
    Ok(Member {
        model: file.model(device)?,
        record,
        norm,
    })
}
