//! Comparing runs: what changed between two configs, the cost axes of the trade-off chart, and
//! the Pareto front (the runs no other run beats on both accuracy and cost).

use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::record::RunRecord;
use crate::url::layers_to_string;

/// The short differences from `before` to `after`, e.g. `batch size 64 → 128`.
pub fn config_changes(before: &RunConfig, after: &RunConfig) -> Vec<String> {
    let mut changes = Vec::new();
    let mut diff = |name: &str, a: String, b: String| {
        if a != b {
            changes.push(format!("{name} {a} → {b}"));
        }
    };
    let (o, p) = (&before.optimizer, &after.optimizer);
    diff("dataset", before.dataset.clone(), after.dataset.clone());
    diff(
        "input",
        format!(
            "{}×{}×{}",
            before.input.size, before.input.size, before.input.channels
        ),
        format!(
            "{}×{}×{}",
            after.input.size, after.input.size, after.input.channels
        ),
    );
    diff(
        "layers",
        layers_to_string(&before.layers),
        layers_to_string(&after.layers),
    );
    diff("optimizer", o.kind.name().into(), p.kind.name().into());
    diff(
        "learning rate",
        o.learning_rate.to_string(),
        p.learning_rate.to_string(),
    );
    diff(
        "schedule",
        format!("{:?}", o.schedule),
        format!("{:?}", p.schedule),
    );
    diff(
        "warm-up",
        o.warmup_steps.to_string(),
        p.warmup_steps.to_string(),
    );
    diff(
        "weight decay",
        o.weight_decay.to_string(),
        p.weight_decay.to_string(),
    );
    diff(
        "batch size",
        before.batch_size.to_string(),
        after.batch_size.to_string(),
    );
    diff(
        "epochs",
        before.epochs.to_string(),
        after.epochs.to_string(),
    );
    diff(
        "validation",
        before.validation_fraction.to_string(),
        after.validation_fraction.to_string(),
    );
    diff(
        "augmentation",
        format!("{:?}", before.augmentation),
        format!("{:?}", after.augmentation),
    );
    diff(
        "patience",
        before.patience.to_string(),
        after.patience.to_string(),
    );
    diff("seed", before.seed.to_string(), after.seed.to_string());
    diff(
        "backend",
        before.backend.name().into(),
        after.backend.name().into(),
    );
    changes
}

/// A cost measure for the x axis of the trade-off chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostAxis {
    /// Seconds of training.
    TrainingTime,
    /// Training throughput (higher is better).
    ImagesPerSecond,
    /// Inference time per image at batch 1.
    Latency,
    /// Trainable parameters.
    Parameters,
    /// Forward FLOPs per image.
    Flops,
    /// Float32 weights in bytes.
    ModelSize,
}

impl CostAxis {
    /// Every axis, in the order the UI lists them.
    pub const ALL: [CostAxis; 6] = [
        Self::TrainingTime,
        Self::ImagesPerSecond,
        Self::Latency,
        Self::Parameters,
        Self::Flops,
        Self::ModelSize,
    ];

    /// Axis label with its unit.
    pub fn label(self) -> &'static str {
        match self {
            Self::TrainingTime => "Training time (s)",
            Self::ImagesPerSecond => "Images per second",
            Self::Latency => "Inference latency (ms/image)",
            Self::Parameters => "Parameters",
            Self::Flops => "FLOPs per image",
            Self::ModelSize => "Model size (bytes)",
        }
    }

    /// Whether a larger value is the better one (only throughput).
    pub fn higher_is_better(self) -> bool {
        self == Self::ImagesPerSecond
    }

    /// The run's value on this axis; `None` if the run has no summary.
    pub fn value(self, record: &RunRecord) -> Option<f64> {
        let s = record.summary.as_ref()?;
        Some(match self {
            Self::TrainingTime => s.train_seconds,
            Self::ImagesPerSecond => s.images_per_second,
            Self::Latency => s.latency_ms_batch1,
            Self::Parameters => s.params as f64,
            Self::Flops => s.flops as f64,
            Self::ModelSize => s.model_bytes as f64,
        })
    }
}

/// Indices of the Pareto-optimal points among `(cost, accuracy)` pairs, where lower cost
/// (or higher, with `higher_is_better`) and higher accuracy are better. Ordered by cost.
pub fn pareto_front(points: &[(f64, f64)], higher_is_better: bool) -> Vec<usize> {
    let better_cost = |a: f64, b: f64| if higher_is_better { a > b } else { a < b };
    let no_worse_cost = |a: f64, b: f64| if higher_is_better { a >= b } else { a <= b };
    let mut front: Vec<usize> = (0..points.len())
        .filter(|&i| {
            let (c, a) = points[i];
            c.is_finite()
                && a.is_finite()
                && !points.iter().enumerate().any(|(j, &(cj, aj))| {
                    j != i
                        && cj.is_finite()
                        && aj.is_finite()
                        && no_worse_cost(cj, c)
                        && aj >= a
                        && (better_cost(cj, c) || aj > a)
                })
        })
        .collect();
    front.sort_by(|&i, &j| points[i].0.total_cmp(&points[j].0));
    front
}
