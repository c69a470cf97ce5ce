//! Comparing runs: what changed between two configs, the cost axes of the trade-off chart, and
//! the Pareto front (the runs no other run beats on both accuracy and cost).

use crate::i18n::{Lang, key};
use crate::tr;
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::record::RunRecord;
use crate::setting::{SETTINGS, Setting};

/// One setting that differs between two runs: its link values before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The setting.
    pub setting: Setting,
    /// Its value in the earlier run, as a link writes it.
    pub before: String,
    /// Its value in the later run.
    pub after: String,
}

impl Change {
    /// The change in words, e.g. `batch size 64 → 128`, `schedule constant → cosine decay`.
    pub fn text(&self, lang: Lang) -> String {
        let spec = self.setting.spec();
        // Each value is read back into a config of its own to be put in words.
        let words = |value: &str| {
            let mut config = RunConfig::default();
            match spec.parse(&mut config, value) {
                Ok(()) => spec.describe(&config, lang).unwrap_or_default(),
                Err(_) => value.to_string(),
            }
        };
        tr!(
            lang,
            "{setting} {before} → {after}",
            setting = lang.text(spec.name),
            before = words(&self.before),
            after = words(&self.after)
        )
    }
}

/// The settings that differ from `before` to `after`, in the settings table's order.
pub fn config_changes(before: &RunConfig, after: &RunConfig) -> Vec<Change> {
    SETTINGS
        .iter()
        .filter_map(|spec| {
            let (a, b) = (spec.print(before)?, spec.print(after)?);
            (a != b).then_some(Change {
                setting: spec.setting,
                before: a,
                after: b,
            })
        })
        .collect()
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
            Self::TrainingTime => key("Training time (s)"),
            Self::ImagesPerSecond => key("Images per second"),
            Self::Latency => key("Inference latency (ms/image)"),
            Self::Parameters => key("Parameters"),
            Self::Flops => key("FLOPs per image"),
            Self::ModelSize => key("Model size (bytes)"),
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

/// Which accuracy the trade-off chart's y axis and the budget answer read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccuracyAxis {
    /// On the test images as they are.
    #[default]
    Clean,
    /// On the test images with Gaussian noise (the run's σ).
    Noise,
    /// On the test images attacked with FGSM (the run's ε).
    Attack,
}

impl AccuracyAxis {
    /// Every accuracy, in the order the UI lists them.
    pub const ALL: [AccuracyAxis; 3] = [Self::Clean, Self::Noise, Self::Attack];

    /// Its axis label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Clean => key("Test accuracy"),
            Self::Noise => key("Accuracy under noise"),
            Self::Attack => key("Accuracy under attack (FGSM)"),
        }
    }

    /// The run's accuracy of this kind; `None` if the run has no summary or it was not
    /// measured (σ or ε of 0, a record older than the measurement).
    pub fn value(self, record: &RunRecord) -> Option<f64> {
        let s = record.summary.as_ref()?;
        match self {
            Self::Clean => Some(s.test_accuracy),
            Self::Noise => s.noise_accuracy,
            Self::Attack => s.fgsm_accuracy,
        }
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

/// An axis of the parallel-coordinates view: a hyperparameter or a result of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// Trainable parameters (log scale).
    Parameters,
    /// Batch size (log scale).
    BatchSize,
    /// Peak learning rate (log scale).
    LearningRate,
    /// Optimizer, as its position in [`OptimizerKind::ALL`](crate::config::OptimizerKind::ALL).
    Optimizer,
    /// Largest dropout probability in the stack.
    Dropout,
    /// L2 weight decay.
    WeightDecay,
    /// Epochs configured.
    Epochs,
    /// Seconds of training.
    TrainingTime,
    /// Inference latency per image at batch 1, ms (log scale).
    Latency,
    /// Test accuracy.
    TestAccuracy,
}

impl Dimension {
    /// Every dimension, hyperparameters first, test accuracy last.
    pub const ALL: [Dimension; 10] = [
        Self::Parameters,
        Self::BatchSize,
        Self::LearningRate,
        Self::Optimizer,
        Self::Dropout,
        Self::WeightDecay,
        Self::Epochs,
        Self::TrainingTime,
        Self::Latency,
        Self::TestAccuracy,
    ];

    /// Its name on the chart.
    pub fn label(self) -> &'static str {
        match self {
            Self::Parameters => key("Parameters"),
            Self::BatchSize => key("Batch size"),
            Self::LearningRate => key("Learning rate"),
            Self::Optimizer => key("Optimizer"),
            Self::Dropout => key("Dropout"),
            Self::WeightDecay => key("L2"),
            Self::Epochs => key("Epochs"),
            Self::TrainingTime => key("Training time (s)"),
            Self::Latency => key("Latency (ms)"),
            Self::TestAccuracy => key("Test accuracy"),
        }
    }

    /// Whether the axis is drawn on a log scale.
    pub fn log_scale(self) -> bool {
        matches!(
            self,
            Self::Parameters | Self::BatchSize | Self::LearningRate | Self::Latency
        )
    }

    /// The run's value on this axis; `None` for results of a run without a summary.
    pub fn value(self, record: &RunRecord) -> Option<f64> {
        let c = &record.config;
        let s = record.summary.as_ref();
        Some(match self {
            Self::Parameters => s.map_or(record.cost.params, |s| s.params) as f64,
            Self::BatchSize => c.batch_size as f64,
            Self::LearningRate => c.optimizer.learning_rate,
            Self::Optimizer => crate::config::OptimizerKind::ALL
                .iter()
                .position(|k| *k == c.optimizer.kind)
                .unwrap_or(0) as f64,
            Self::Dropout => c
                .layers
                .iter()
                .filter_map(|l| match l {
                    crate::config::Layer::Dropout { p } => Some(*p),
                    _ => None,
                })
                .fold(0.0, f64::max),
            Self::WeightDecay => c.optimizer.weight_decay,
            Self::Epochs => c.epochs as f64,
            Self::TrainingTime => s?.train_seconds,
            Self::Latency => s?.latency_ms_batch1,
            Self::TestAccuracy => s?.test_accuracy,
        })
    }

    /// Text for a value on this axis.
    pub fn format(self, value: f64) -> String {
        match self {
            Self::Optimizer => crate::config::OptimizerKind::ALL
                .get(value.round() as usize)
                .map_or("?", |k| k.name())
                .to_string(),
            Self::TestAccuracy => format!("{:.1} %", value * 100.0),
            Self::LearningRate | Self::WeightDecay => format!("{value:.1e}"),
            Self::Parameters | Self::BatchSize | Self::Epochs => format!("{value:.0}"),
            _ => format!("{value:.2}"),
        }
    }
}

/// The dimensions that tell `records` apart (those whose value is not the same for all),
/// always ending with test accuracy.
pub fn varying_dimensions(records: &[&RunRecord]) -> Vec<Dimension> {
    Dimension::ALL
        .into_iter()
        .filter(|d| {
            *d == Dimension::TestAccuracy || {
                let mut values = records.iter().filter_map(|r| d.value(r));
                let first = values.next();
                values.any(|v| Some(v) != first)
            }
        })
        .collect()
}

/// Position of `value` on an axis from `lo` to `hi`, 0..=1 (log scale where the dimension
/// has one); 0.5 when the axis has a single value.
pub fn axis_position(dimension: Dimension, value: f64, lo: f64, hi: f64) -> f64 {
    let f = |x: f64| {
        if dimension.log_scale() && x > 0.0 {
            x.ln()
        } else {
            x
        }
    };
    let (a, b, v) = (f(lo), f(hi), f(value));
    if (b - a).abs() < 1e-12 {
        0.5
    } else {
        ((v - a) / (b - a)).clamp(0.0, 1.0)
    }
}
