//! The run record: config, history and summary of one run — the unit of charts, storage and
//! sharing.

use crate::msg;
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::cost::ModelCost;
use crate::i18n::{Lang, Message};
use crate::metrics::{EpochMetrics, StepMetrics, Summary};
use crate::tr;

/// How a run ended (or that it has not yet).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunStatus {
    /// Still training.
    Running,
    /// All epochs done.
    Finished,
    /// Ended early: validation loss had not improved for `patience` epochs. The model keeps
    /// the weights of its best epoch (Keras' `restore_best_weights`).
    EarlyStopped {
        /// The epoch after which it stopped.
        epoch: usize,
        /// The epoch whose weights the model kept: the one with the lowest validation loss
        /// (0 in records kept before weights were restored).
        #[serde(default)]
        restored: usize,
    },
    /// The user stopped it.
    Stopped {
        /// Steps completed.
        step: usize,
    },
    /// The loss exploded (see [`DIVERGENCE_RATIO`](crate::train::DIVERGENCE_RATIO)) or became
    /// NaN or infinite.
    Diverged {
        /// The first step whose loss exploded.
        step: usize,
        /// That step's loss (NaN when it was not a number).
        #[serde(with = "crate::metrics::maybe_finite")]
        loss: f64,
    },
    /// The backend failed (device lost, out of memory, …).
    Failed {
        /// What went wrong, in words for the user.
        reason: Message,
    },
    /// The page was closed or reloaded while it trained.
    Interrupted {
        /// The last step the page had heard of.
        step: usize,
    },
}

impl RunStatus {
    /// One short sentence for the UI.
    pub fn describe(&self) -> Message {
        match self {
            RunStatus::Running => msg!("training"),
            RunStatus::Finished => msg!("finished"),
            RunStatus::EarlyStopped { epoch, restored: 0 } => {
                msg!(
                    "stopped early after epoch {epoch}: validation loss stopped improving",
                    epoch = epoch
                )
            }
            RunStatus::EarlyStopped { epoch, restored } => {
                msg!(
                    "stopped early after epoch {epoch}: validation loss stopped improving; the weights of epoch {restored}, its best, were kept",
                    epoch = epoch,
                    restored = restored
                )
            }
            RunStatus::Stopped { step } => msg!("stopped by you after step {step}", step = step),
            RunStatus::Diverged { step, loss } => {
                let what = if loss.is_finite() {
                    msg!("the loss exploded to {loss}", loss = format!("{loss:.1}"))
                } else {
                    msg!("the loss became infinite or NaN")
                };
                msg!(
                    "diverged at step {step}: {what} — the learning rate is probably too high",
                    step = step,
                    what = what
                )
            }
            RunStatus::Failed { reason } => msg!("failed: {reason}", reason = reason),
            RunStatus::Interrupted { step } => {
                msg!(
                    "interrupted after step {step}: the page was closed or reloaded",
                    step = step
                )
            }
        }
    }
}

/// Everything about one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// What was trained.
    pub config: RunConfig,
    /// Its cost, from the spec.
    pub cost: ModelCost,
    /// The backend that actually ran it, e.g. `cpu (flex)` or `webgpu (swiftshader)`.
    pub backend: Message,
    /// How it ended.
    pub status: RunStatus,
    /// Per-step training figures.
    pub steps: Vec<StepMetrics>,
    /// Per-epoch figures.
    pub epochs: Vec<EpochMetrics>,
    /// End-of-run results; absent when the run did not reach the end.
    pub summary: Option<Summary>,
    /// Set when this record is a compressed copy of another run's model.
    #[serde(default)]
    pub compression: Option<CompressionInfo>,
    /// Set when the run started from a trained model's weights: which layers did.
    #[serde(default)]
    pub transfer: Option<TransferInfo>,
    /// Set when the run was distilled from a teacher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distill: Option<DistillInfo>,
    /// Set when the record is an ensemble of other runs, evaluated together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensemble: Option<crate::ensemble::EnsembleInfo>,
    /// Copies the run was split over, data-parallel: the page's CPU workers, or the
    /// command-line runner's devices (1: not split; see [`crate::parallel`]). Records kept
    /// before runs could be split read 1.
    #[serde(default = "one_worker", skip_serializing_if = "is_one_worker")]
    pub workers: usize,
    /// Set when this record came from a link's result (`r=`): its figures were measured on the
    /// sender's device, and re-running it verifies them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
}

fn one_worker() -> usize {
    1
}

fn is_one_worker(workers: &usize) -> bool {
    *workers == 1
}

impl RunRecord {
    /// Whether Burn's CPU backend ran it (in the page or natively), by the backend's words.
    fn on_cpu(&self) -> bool {
        self.backend
            .text(Lang::En)
            .starts_with(crate::backend::CPU_BACKEND_NAME)
    }

    /// The run's figures in words, as the page's run details and the command-line runner
    /// print them; empty when the run did not reach its results.
    pub fn facts(&self, lang: Lang) -> Vec<String> {
        use crate::format;
        let Some(s) = &self.summary else {
            return Vec::new();
        };
        let validation = self
            .final_validation_accuracy()
            .map_or("—".into(), |v| format::percent(lang, v));
        let mut facts = vec![
            tr!(
                lang,
                "Test accuracy {accuracy}",
                accuracy = format::percent(lang, s.test_accuracy)
            ),
            tr!(
                lang,
                "Validation accuracy {accuracy}",
                accuracy = validation
            ),
            tr!(
                lang,
                "Training time {time}",
                time = format::seconds(lang, s.train_seconds)
            ),
            if self.workers > 1 && self.on_cpu() {
                tr!(
                    lang,
                    "{speed} images/s on {workers} CPU workers",
                    speed = format!("{:.0}", s.images_per_second),
                    workers = self.workers
                )
            } else if self.workers > 1 {
                tr!(
                    lang,
                    "{speed} images/s on {workers} devices",
                    speed = format!("{:.0}", s.images_per_second),
                    workers = self.workers
                )
            } else {
                tr!(
                    lang,
                    "{speed} images/s",
                    speed = format!("{:.0}", s.images_per_second)
                )
            },
            tr!(
                lang,
                "Latency {one} per image at batch 1, {many} at batch 64",
                one = format::millis(lang, s.latency_ms_batch1),
                many = format::millis(lang, s.latency_ms_batch64)
            ),
            tr!(
                lang,
                "{params} parameters, {flops} FLOPs per image, {size}",
                params = format::count(s.params),
                flops = format::compact(lang, s.flops as f64),
                size = format::bytes(s.model_bytes)
            ),
        ];
        if let Some(transfer) = &self.transfer {
            facts.push(tr!(
                lang,
                "Started from {start}: {plan}",
                start = crate::setting::start_words(&self.config.transfer.from, lang),
                plan = transfer.plan.describe().text(lang)
            ));
        }
        if let Some(ensemble) = &self.ensemble {
            facts.push(tr!(
                lang,
                "Ensemble of {k} runs, their probabilities averaged; the runs alone score {mean} on average",
                k = ensemble.member_accuracies.len(),
                mean = format::percent(lang, ensemble.mean_member_accuracy())
            ));
        }
        if let Some(distill) = &self.distill {
            facts.push(tr!(
                lang,
                "Distilled from {teacher} ({layers}, {params} parameters) at temperature {t}, teacher's weight {alpha}",
                teacher = crate::setting::start_words(&self.config.distill.teacher, lang),
                layers = distill.teacher_layers.as_str(),
                params = format::count(distill.teacher_params),
                t = self.config.distill.temperature,
                alpha = self.config.distill.alpha
            ));
        }
        if let Some(noise) = s.noise_accuracy {
            facts.push(tr!(
                lang,
                "Under noise σ {sigma}: {accuracy}",
                sigma = self.config.robustness.noise,
                accuracy = format::percent(lang, noise)
            ));
        }
        if let Some(fgsm) = s.fgsm_accuracy {
            facts.push(tr!(
                lang,
                "Under attack (FGSM, ε {epsilon}): {accuracy}",
                epsilon = self.config.robustness.epsilon,
                accuracy = format::percent(lang, fgsm)
            ));
        }
        facts
    }

    /// Validation accuracy of the last finished epoch.
    pub fn final_validation_accuracy(&self) -> Option<f64> {
        self.epochs.last().map(|e| e.validation_accuracy)
    }
}

/// Something worth marking on a run's training curves.
#[derive(Clone, Debug, PartialEq)]
pub enum CurveMark {
    /// The learning-rate warm-up ended at this step: the peak rate applies from here.
    WarmupEnd {
        /// Its last step.
        step: usize,
    },
    /// The step schedule changed the learning rate at this step.
    RateDrop {
        /// The first step at the new rate.
        step: usize,
        /// The new rate.
        rate: f64,
    },
    /// Early stopping ended the run after this step.
    EarlyStop {
        /// The run's last step.
        step: usize,
    },
    /// The end of the epoch whose weights an early-stopped run kept.
    Restored {
        /// The last step of that epoch.
        step: usize,
        /// The epoch.
        epoch: usize,
    },
}

impl CurveMark {
    /// The step it marks.
    pub fn step(&self) -> usize {
        match *self {
            CurveMark::WarmupEnd { step }
            | CurveMark::RateDrop { step, .. }
            | CurveMark::EarlyStop { step }
            | CurveMark::Restored { step, .. } => step,
        }
    }

    /// A short label for the chart.
    pub fn label(&self) -> Message {
        match self {
            CurveMark::WarmupEnd { .. } => msg!("warm-up ends"),
            CurveMark::RateDrop { rate, .. } => Message::Plain(format!("lr → {rate:.2e}")),
            CurveMark::EarlyStop { .. } => msg!("early stop"),
            CurveMark::Restored { epoch, .. } => {
                msg!("weights kept (epoch {epoch})", epoch = epoch)
            }
        }
    }
}

/// The schedule events and early stop of a run (or a run in progress, given its steps so far
/// and its status), from the figures it recorded.
pub fn curve_marks(
    config: &RunConfig,
    steps: &[StepMetrics],
    status: &RunStatus,
) -> Vec<CurveMark> {
    let mut marks = Vec::new();
    let warmup = config.optimizer.warmup_steps;
    if warmup > 0 && steps.iter().any(|s| s.step > warmup) {
        marks.push(CurveMark::WarmupEnd { step: warmup });
    }
    if let crate::config::Schedule::Step { .. } = config.optimizer.schedule {
        for pair in steps.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if b.step > warmup + 1 && b.learning_rate < a.learning_rate * (1.0 - 1e-9) {
                marks.push(CurveMark::RateDrop {
                    step: b.step,
                    rate: b.learning_rate,
                });
            }
        }
    }
    if let RunStatus::EarlyStopped { restored, .. } = *status
        && let Some(last) = steps.last()
    {
        if let Some(end) = steps.iter().rev().find(|s| s.epoch == restored)
            && end.step < last.step
        {
            marks.push(CurveMark::Restored {
                step: end.step,
                epoch: restored,
            });
        }
        marks.push(CurveMark::EarlyStop { step: last.step });
    }
    marks
}

/// What a run that started from trained weights took from them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferInfo {
    /// Which layers started from the trained weights.
    #[serde(flatten)]
    pub plan: crate::transfer::TransferPlan,
    /// Storage key of the run it started from, when that is a run of this page (set by the
    /// page, which owns the keys).
    pub parent_key: Option<f64>,
}

/// What a distilled run learned from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistillInfo {
    /// The teacher's layer stack, in the link notation.
    pub teacher_layers: String,
    /// The teacher's parameters.
    pub teacher_params: u64,
    /// Storage key of the teacher, when that is a run of this page (set by the page, which
    /// owns the keys).
    pub parent_key: Option<f64>,
}

/// How to compress a trained model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Compression {
    /// Post-training quantization of every weight to 8-bit integers with one float scale per
    /// tensor (symmetric, min–max calibration).
    Int8,
    /// Magnitude pruning: in every conv and dense weight, the `sparsity` fraction with the
    /// smallest magnitude is set to zero.
    Prune {
        /// Fraction of each weight tensor zeroed, 0..=[`MAX_SPARSITY`](crate::compress::MAX_SPARSITY).
        sparsity: f64,
    },
}

impl Compression {
    /// Short name for tables, e.g. `int8` or `pruned 50 %`.
    pub fn label(&self) -> Message {
        match self {
            Compression::Int8 => Message::from("int8"),
            Compression::Prune { sparsity } => {
                msg!("pruned {} %", format!("{:.0}", sparsity * 100.0))
            }
        }
    }
}

/// What a compressed run's record says about its compression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompressionInfo {
    /// How it was compressed.
    pub method: Compression,
    /// Storage key of the run it was made from (set by the page, which owns the keys).
    pub parent_key: Option<f64>,
    /// The parent's test accuracy, for the comparison.
    pub parent_test_accuracy: f64,
    /// The parent's float model size in bytes.
    pub parent_model_bytes: u64,
    /// The float model's latency per image at batch 1, measured on the same backend and in
    /// the same session as the compressed one.
    pub float_latency_ms_batch1: f64,
    /// Fraction of all conv and dense weights that are exactly zero after compression.
    pub weight_sparsity: f64,
}
