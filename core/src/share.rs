//! A run's result in a link: final figures and down-sampled curves, so whoever opens the link
//! sees the charts at once ("shared result — re-run to verify").
//!
//! The `r=` value is fields joined by `~`, each an upper-case letter and its value:
//! `Bcpu~Zf~A9321~L0.212~T7.6~I2648~M134~N21~E912,931,0.31,0.25,3.81,3.42,2648;…~S1:1:2.3:110:1e-3;…`
//! — backend, status, test accuracy (per ten thousand), test loss, training seconds, images/s,
//! latency per image at batch 1 and at batch 64 (µs), epochs (train and validation accuracy
//! per mille, train and validation loss, seconds with and without validation, images/s) and the
//! loss curve (step:epoch:loss:accuracy per mille, then the learning rate where it differs from
//! the point before). Every figure is one the sender measured: links from before the timings
//! were carried read back with those figures missing ("—"), never made up. Only characters a
//! URL fragment allows unescaped are used, so a copied link stays short.

use crate::config::RunConfig;
use crate::cost::ModelCost;
use crate::i18n;
use crate::i18n::Message;
use crate::metrics::{ConfusionMatrix, EpochMetrics, StepMetrics, Summary};
use crate::msg;
use crate::record::{CurveMark, RunRecord, RunStatus, curve_marks};

/// Most points of the loss curve a link carries (each epoch's last step is always kept).
pub const MAX_CURVE_POINTS: usize = 40;

/// What a link says about a run's result.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedResult {
    /// The backend's kind: `cpu` or `webgpu`.
    pub backend: String,
    /// How the run ended.
    pub status: RunStatus,
    /// End-of-run figures, when it got there.
    pub test: Option<SharedTest>,
    /// Per-epoch figures as measured (timings NaN when an older link did not carry them).
    pub epochs: Vec<EpochMetrics>,
    /// The loss curve, down-sampled.
    pub steps: Vec<StepMetrics>,
}

/// The end-of-run figures a link carries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SharedTest {
    /// Accuracy on the test set, 0..1.
    pub accuracy: f64,
    /// Loss on the test set.
    pub loss: f64,
    /// Training time in seconds.
    pub train_seconds: f64,
    /// Training throughput.
    pub images_per_second: f64,
    /// Inference latency per image at batch 1, in ms.
    pub latency_ms: f64,
    /// Inference latency per image at batch 64, in ms (NaN when the link did not carry it).
    pub latency_ms_batch64: f64,
    /// Accuracy under the config's test noise (none when not measured or not carried).
    pub noise_accuracy: Option<f64>,
    /// Accuracy under the config's FGSM attack (as `noise_accuracy`).
    pub fgsm_accuracy: Option<f64>,
}

/// Steps of `steps` a link keeps: at most [`MAX_CURVE_POINTS`], evenly spread, always with
/// each epoch's last step (the charts put the validation points there), the last one, and the
/// steps in `marked` (where the schedule dropped the rate, so the receiver's marks are exact).
fn down_sample(steps: &[StepMetrics], marked: &[usize]) -> Vec<StepMetrics> {
    if steps.len() <= MAX_CURVE_POINTS {
        return steps.to_vec();
    }
    let epoch_ends: Vec<usize> = (0..steps.len())
        .filter(|&i| {
            i + 1 == steps.len()
                || steps[i + 1].epoch != steps[i].epoch
                || marked.contains(&steps[i].step)
        })
        .collect();
    let spare = MAX_CURVE_POINTS.saturating_sub(epoch_ends.len()).max(1);
    let stride = steps.len().div_ceil(spare);
    (0..steps.len())
        .filter(|i| epoch_ends.contains(i) || i % stride == 0)
        .take(MAX_CURVE_POINTS.max(epoch_ends.len()))
        .map(|i| steps[i])
        .collect()
}

/// A loss in a link: 4 significant digits, `n` for NaN, `i` for infinity.
fn loss_text(x: f64) -> String {
    if x.is_nan() {
        "n".into()
    } else if x.is_infinite() {
        "i".into()
    } else if x.abs() >= 1e4 {
        format!("{x:.3e}")
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A learning rate in a link: the shortest text that reads back as the same number (`7.5e-4`).
fn rate_text(x: f64) -> String {
    format!("{x:e}")
}

/// Seconds in a link, to the hundredth.
fn seconds_text(x: f64) -> String {
    let s = format!("{:.2}", x.max(0.0));
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn per_mille(x: f64) -> u32 {
    (x.clamp(0.0, 1.0) * 1000.0).round() as u32
}

impl SharedResult {
    /// What a link says about `record`.
    pub fn of(record: &RunRecord) -> Self {
        let backend = record
            .backend
            .to_string()
            .split_whitespace()
            .next()
            .filter(|b| *b == "webgpu")
            .unwrap_or("cpu")
            .to_string();
        let rate_drops: Vec<usize> = curve_marks(&record.config, &record.steps, &record.status)
            .iter()
            .filter(|m| matches!(m, CurveMark::RateDrop { .. }))
            .map(CurveMark::step)
            .collect();
        SharedResult {
            backend,
            status: match &record.status {
                // A failed run's reason is the sender's browser talking; the receiver gets
                // "failed" and can re-run to see their own.
                RunStatus::Failed { .. } => RunStatus::Failed {
                    reason: msg!("on the sender's device"),
                },
                other => other.clone(),
            },
            test: record.summary.as_ref().map(|s| SharedTest {
                accuracy: s.test_accuracy,
                loss: s.test_loss,
                train_seconds: s.train_seconds,
                images_per_second: s.images_per_second,
                latency_ms: s.latency_ms_batch1,
                latency_ms_batch64: s.latency_ms_batch64,
                noise_accuracy: s.noise_accuracy,
                fgsm_accuracy: s.fgsm_accuracy,
            }),
            epochs: record.epochs.clone(),
            steps: down_sample(&record.steps, &rate_drops),
        }
    }

    /// The `r=` value.
    pub fn encode(&self) -> String {
        let mut fields = vec![format!("B{}", self.backend)];
        fields.push(format!(
            "Z{}",
            match &self.status {
                RunStatus::Running | RunStatus::Finished => "f".to_string(),
                RunStatus::EarlyStopped { epoch, restored } => format!("e{epoch}r{restored}"),
                RunStatus::Stopped { step } => format!("s{step}"),
                RunStatus::Diverged { step, .. } => format!("d{step}"),
                RunStatus::Interrupted { step } => format!("i{step}"),
                RunStatus::Failed { .. } => "x".to_string(),
            }
        ));
        if let Some(t) = &self.test {
            fields.push(format!("A{}", (t.accuracy.clamp(0.0, 1.0) * 1e4).round()));
            fields.push(format!("L{}", loss_text(t.loss)));
            fields.push(format!("T{:.1}", t.train_seconds.max(0.0)));
            fields.push(format!("I{}", t.images_per_second.max(0.0).round()));
            fields.push(format!("M{}", (t.latency_ms.max(0.0) * 1000.0).round()));
            if t.latency_ms_batch64.is_finite() {
                fields.push(format!(
                    "N{}",
                    (t.latency_ms_batch64.max(0.0) * 1000.0).round()
                ));
            }
            // Accuracy under noise (G, Gaussian) and under attack (F, FGSM), as A is written.
            for (tag, accuracy) in [('G', t.noise_accuracy), ('F', t.fgsm_accuracy)] {
                if let Some(a) = accuracy {
                    fields.push(format!("{tag}{}", (a.clamp(0.0, 1.0) * 1e4).round()));
                }
            }
        }
        if !self.epochs.is_empty() {
            let epochs: Vec<String> = self
                .epochs
                .iter()
                .map(|e| {
                    let mut text = format!(
                        "{},{},{},{}",
                        per_mille(e.train_accuracy),
                        per_mille(e.validation_accuracy),
                        loss_text(e.train_loss),
                        loss_text(e.validation_loss)
                    );
                    if e.seconds.is_finite() && e.train_seconds.is_finite() {
                        text += &format!(
                            ",{},{},{}",
                            seconds_text(e.seconds),
                            seconds_text(e.train_seconds),
                            e.images_per_second.max(0.0).round()
                        );
                    }
                    text
                })
                .collect();
            fields.push(format!("E{}", epochs.join(";")));
        }
        if !self.steps.is_empty() {
            // Each point's rate is written only where it differs from the point before, so a
            // constant rate costs nothing and a schedule's drops still show on shared curves.
            let mut rate = f64::NAN;
            let steps: Vec<String> = self
                .steps
                .iter()
                .map(|s| {
                    let mut text = format!(
                        "{}:{}:{}:{}",
                        s.step,
                        s.epoch,
                        loss_text(s.loss),
                        per_mille(s.accuracy)
                    );
                    if s.learning_rate != rate {
                        rate = s.learning_rate;
                        text += &format!(":{}", rate_text(rate));
                    }
                    text
                })
                .collect();
            fields.push(format!("S{}", steps.join(";")));
        }
        fields.join("~")
    }

    /// Reads an `r=` value for a run of `config` (the epochs and steps are checked against
    /// it). The message says what is wrong.
    pub fn decode(value: &str, config: &RunConfig) -> Result<Self, Message> {
        let mut backend = None;
        let mut status = None;
        let (mut accuracy, mut loss, mut seconds, mut speed, mut latency) =
            (None, None, None, None, None);
        let mut latency_batch64 = f64::NAN;
        let (mut noise_accuracy, mut fgsm_accuracy) = (None, None);
        let mut epochs = Vec::new();
        let mut steps = Vec::new();
        for field in value.split('~') {
            let mut chars = field.chars();
            let Some(tag) = chars.next() else { continue };
            let v = chars.as_str();
            let number = |what: &str| -> Result<f64, Message> {
                match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
                    _ => Err(msg!("its {what} is not a number", what = what)),
                }
            };
            match tag {
                'B' => {
                    if v != "cpu" && v != "webgpu" {
                        return Err(msg!("its backend is neither cpu nor webgpu"));
                    }
                    backend = Some(v.to_string());
                }
                'Z' => status = Some(parse_status(v)?),
                'A' => accuracy = Some(number(i18n::key("test accuracy"))?.min(1e4) / 1e4),
                'L' => {
                    loss = Some(parse_loss(v).ok_or_else(|| msg!("its test loss is not a number"))?)
                }
                'T' => seconds = Some(number(i18n::key("training time"))?),
                'I' => speed = Some(number("speed")?),
                'M' => latency = Some(number("latency")? / 1000.0),
                'N' => latency_batch64 = number("latency")? / 1000.0,
                'G' => noise_accuracy = Some(number(i18n::key("test accuracy"))?.min(1e4) / 1e4),
                'F' => fgsm_accuracy = Some(number(i18n::key("test accuracy"))?.min(1e4) / 1e4),
                'E' => epochs = parse_epochs(v, config)?,
                'S' => steps = parse_steps(v, config)?,
                _ => return Err(msg!("it has an unknown part '{tag}'", tag = tag)),
            }
        }
        let test = match (accuracy, loss, seconds, speed, latency) {
            (
                Some(accuracy),
                Some(loss),
                Some(train_seconds),
                Some(images_per_second),
                Some(latency_ms),
            ) => Some(SharedTest {
                accuracy,
                loss,
                train_seconds,
                images_per_second,
                latency_ms,
                latency_ms_batch64: latency_batch64,
                noise_accuracy,
                fgsm_accuracy,
            }),
            (None, None, None, None, None) => None,
            _ => return Err(msg!("its test figures are incomplete")),
        };
        Ok(SharedResult {
            backend: backend.ok_or_else(|| msg!("it does not say which backend ran it"))?,
            status: status.ok_or_else(|| msg!("it does not say how the run ended"))?,
            test,
            epochs,
            steps,
        })
    }

    /// The run record the receiver sees: marked shared, with the curves and figures the link
    /// carried and no test images (they are not in the link).
    pub fn into_record(self, config: RunConfig, cost: ModelCost) -> RunRecord {
        let summary = self.test.map(|t| Summary {
            test_accuracy: t.accuracy,
            test_loss: t.loss,
            class_names: Vec::new(),
            confusion: ConfusionMatrix::new(0, &[], &[]),
            test_predictions: Vec::new(),
            misclassified: Vec::new(),
            latency_ms_batch1: t.latency_ms,
            latency_ms_batch64: t.latency_ms_batch64,
            model_bytes: cost.model_bytes(),
            params: cost.params,
            flops: cost.flops,
            train_seconds: t.train_seconds,
            images_per_second: t.images_per_second,
            noise_accuracy: t.noise_accuracy,
            fgsm_accuracy: t.fgsm_accuracy,
        });
        RunRecord {
            config,
            cost,
            backend: msg!("{} (on the sender's device)", self.backend),
            status: self.status,
            steps: self.steps,
            epochs: self.epochs,
            summary,
            compression: None,
            transfer: None,
            distill: None,
            ensemble: None,
            workers: 1,
            shared: true,
        }
    }
}

fn parse_status(v: &str) -> Result<RunStatus, Message> {
    let n = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| msg!("its status is not readable"))
    };
    Ok(match v.split_at(v.len().min(1)) {
        ("f", "") => RunStatus::Finished,
        // `e5r3`: stopped after epoch 5 keeping epoch 3 (`e5` from older links).
        ("e", e) => {
            let (epoch, restored) = e.split_once('r').unwrap_or((e, "0"));
            RunStatus::EarlyStopped {
                epoch: n(epoch)?,
                restored: n(restored)?,
            }
        }
        ("s", s) => RunStatus::Stopped { step: n(s)? },
        ("d", s) => RunStatus::Diverged {
            step: n(s)?,
            loss: f64::NAN,
        },
        ("i", s) => RunStatus::Interrupted { step: n(s)? },
        ("x", "") => RunStatus::Failed {
            reason: msg!("on the sender's device"),
        },
        _ => return Err(msg!("its status is not readable")),
    })
}

fn parse_loss(v: &str) -> Option<f64> {
    match v {
        "n" => Some(f64::NAN),
        "i" => Some(f64::INFINITY),
        _ => v.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0),
    }
}

fn parse_per_mille(v: &str) -> Option<f64> {
    v.parse::<u32>()
        .ok()
        .filter(|&x| x <= 1000)
        .map(|x| x as f64 / 1000.0)
}

fn parse_epochs(v: &str, config: &RunConfig) -> Result<Vec<EpochMetrics>, Message> {
    let bad = || msg!("its epoch figures are not readable");
    let mut epochs = Vec::new();
    for (i, e) in v.split(';').enumerate() {
        if i >= config.epochs {
            return Err(msg!(
                "it has more epochs than the {} its settings train",
                config.epochs
            ));
        }
        let mut parts = e.split(',');
        let mut next = || parts.next().ok_or_else(bad);
        let train_accuracy = parse_per_mille(next()?).ok_or_else(bad)?;
        let validation_accuracy = parse_per_mille(next()?).ok_or_else(bad)?;
        let train_loss = parse_loss(next()?).ok_or_else(bad)?;
        let validation_loss = parse_loss(next()?).ok_or_else(bad)?;
        // Timings, where the link carries them (links made before they were added do not).
        let timing: Vec<&str> = parts.collect();
        let (seconds, train_seconds, images_per_second) = match timing[..] {
            [] => (f64::NAN, f64::NAN, f64::NAN),
            [s, t, i] => {
                let read = |v: &str| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x >= 0.0)
                        .ok_or_else(bad)
                };
                (read(s)?, read(t)?, read(i)?)
            }
            _ => return Err(bad()),
        };
        epochs.push(EpochMetrics {
            epoch: i + 1,
            train_loss,
            train_accuracy,
            validation_loss,
            validation_accuracy,
            images_per_second,
            train_seconds,
            seconds,
        });
    }
    Ok(epochs)
}

fn parse_steps(v: &str, config: &RunConfig) -> Result<Vec<StepMetrics>, Message> {
    let bad = || msg!("its loss curve is not readable");
    let mut steps: Vec<StepMetrics> = Vec::new();
    let mut rate = config.optimizer.learning_rate;
    for (i, s) in v.split(';').enumerate() {
        if i >= MAX_CURVE_POINTS.max(config.epochs) {
            return Err(msg!("its loss curve has too many points"));
        }
        let mut parts = s.split(':');
        let mut next = || parts.next().ok_or_else(bad);
        let step = next()?.parse::<usize>().map_err(|_| bad())?;
        let epoch = next()?.parse::<usize>().map_err(|_| bad())?;
        let loss = parse_loss(next()?).ok_or_else(bad)?;
        let accuracy = parse_per_mille(next()?).ok_or_else(bad)?;
        if let Some(r) = parts.next() {
            rate = r
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(bad)?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        let ordered = steps
            .last()
            .is_none_or(|p| p.step < step && p.epoch <= epoch);
        if step == 0 || epoch == 0 || epoch > config.epochs || !ordered {
            return Err(bad());
        }
        steps.push(StepMetrics {
            step,
            epoch,
            loss,
            accuracy,
            learning_rate: rate,
        });
    }
    Ok(steps)
}
