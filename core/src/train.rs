//! The training loop as an async, step-at-a-time API.
//!
//! A driver (the web worker, the native tests) calls [`Trainer::advance`] until it returns
//! [`Event::Finished`]; pausing is not calling it, stopping is [`Trainer::stop`]. Nothing here
//! blocks on a tensor read: every read is `into_data_async`, which WebGPU requires, and
//! per-step figures are read back in batches so the GPU is not stalled each step.

use crate::i18n::Message;
use crate::msg;
use burn::module::{Module, ParamId};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{
    AdamConfig, AdamWConfig, GradientsParams, ModuleOptimizer, RmsPropConfig, SgdConfig,
};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use web_time::Instant;

use crate::config::{LossKind, OptimizerKind, RunConfig};
use crate::cost::ModelCost;
use crate::data::{Dataset, ImageSet, Normalisation, Split, per_channel};
use crate::metrics::{ConfusionMatrix, EpochMetrics, StepMetrics, Summary, misclassified};
use crate::model::Classifier;
use crate::objective::Objective;
use crate::parallel::{
    GradientExchange, Shard, flatten_gradients, gradient_len, unflatten_gradients,
};
use crate::record::{DistillInfo, RunRecord, RunStatus, TransferInfo};
use crate::rng::Rng;
use crate::robust::{PixelScale, fgsm};
use crate::setting::ConfigError;
use crate::transfer::StartModel;

/// Steps between metric read-backs unless configured otherwise.
pub const DEFAULT_READBACK_EVERY: usize = 10;
/// A step whose loss exceeds this many times the run's starting level ends the run as
/// diverged: an exploding loss wrecks the weights (often killing every ReLU) even when it
/// stays finite.
pub const DIVERGENCE_RATIO: f64 = 10.0;
/// Batch used for validation and test passes (no gradients, so larger is cheaper).
const EVAL_BATCH: usize = 256;

/// Why a run could not start.
#[derive(Debug, Clone, PartialEq)]
pub enum StartError {
    /// The config has problems.
    Config(Vec<ConfigError>),
    /// The data cannot support a run.
    Data(Message),
}

impl StartError {
    /// What is wrong, in words the page shows.
    pub fn describe(&self) -> Message {
        match self {
            StartError::Config(errors) => Message::list(errors.iter().map(|e| e.message.clone())),
            StartError::Data(message) => message.clone(),
        }
    }
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.describe().fmt(f)
    }
}

/// What a call to [`Trainer::advance`] reports.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Figures of steps since the last read-back.
    Steps(Vec<StepMetrics>),
    /// An epoch ended (validation done).
    Epoch(EpochMetrics),
    /// The run ended; the record is final.
    Finished(Box<RunRecord>),
}

/// Where the run stands, for progress bars.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Steps done.
    pub step: usize,
    /// Steps in the whole run.
    pub total_steps: usize,
    /// Steps in one epoch.
    pub steps_per_epoch: usize,
    /// 1-based current epoch.
    pub epoch: usize,
    /// Seconds spent so far.
    pub elapsed_seconds: f64,
}

/// Per-step results not yet read back from the device.
#[derive(Default)]
struct Pending {
    losses: Vec<Tensor<1>>,
    correct: Vec<Tensor<1, Int>>,
    sizes: Vec<usize>,
    rates: Vec<f64>,
    first_step: usize,
}

/// One training run in progress.
///
/// The same config and seed give the same loss curve on the CPU backend, provided no other
/// run draws from Burn's random generator (which is process-wide) at the same time.
pub struct Trainer {
    config: RunConfig,
    objective: Objective,
    device: Device,
    model: Option<Classifier>,
    optimizer: ModuleOptimizer,
    /// Parameters that started from a trained model and learn at the transfer rate.
    transferred: Vec<ParamId>,
    /// The model distilled from.
    teacher: Option<Teacher>,
    /// The plain loss adversarial examples raise, and the pixel scale they are made in.
    attack: (Objective, PixelScale),
    train: ImageSet,
    test: ImageSet,
    split: Split,
    norm: Normalisation,
    rng: Rng,
    /// Which copy of a run split over CPU workers this is ([`Shard::WHOLE`] when unsplit).
    shard: Shard,
    /// How a split run's copies sum their gradients.
    exchange: Option<Box<dyn GradientExchange>>,
    /// Elements in a split run's flat gradient vector (before the loss and number right).
    gradient_len: usize,
    /// Augmentation's own generator in a split run, so every copy shuffles alike while
    /// augmenting its own images (an unsplit run draws both from `rng`, as it always has).
    augment_rng: Option<Rng>,
    order: Vec<usize>,
    cursor: usize,
    epoch: usize,
    step: usize,
    steps_per_epoch: usize,
    total_steps: usize,
    readback_every: usize,
    pending: Pending,
    epoch_loss_sum: f64,
    epoch_correct: f64,
    epoch_seen: usize,
    epoch_started: Instant,
    epoch_train_seconds: f64,
    run_started: Instant,
    best_validation_loss: f64,
    epochs_since_best: usize,
    /// With early stopping on: the weights at the end of the best epoch so far, and which.
    best: Option<(Classifier, usize)>,
    record: RunRecord,
}

/// A trained model a run is distilled from.
struct Teacher {
    /// In evaluation mode, without autodiff.
    model: Classifier,
    /// From the run's normalised pixels to the teacher's, when its file says what it saw.
    renormalise: Option<(Vec<f32>, Vec<f32>)>,
}

impl Teacher {
    /// The teacher's logits for a batch the run normalised.
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let images = match &self.renormalise {
            Some((scale, shift)) => {
                let (dims, device) = (images.dims(), images.device());
                images * per_channel(scale, dims, &device) + per_channel(shift, dims, &device)
            }
            None => images,
        }; // [n, c, s, s]
        self.model.forward(images) // [n, classes]
    }
}

/// Reads a tensor back from its device; a failure is put in words ([`explain_backend_error`]).
pub(crate) async fn read<const D: usize, K: burn::tensor::kind::Basic>(
    tensor: Tensor<D, K>,
) -> Result<TensorData, Message> {
    tensor
        .into_data_async()
        .await
        .map_err(|e| explain_backend_error(&e.to_string()))
}

fn read_floats(data: TensorData) -> Vec<f64> {
    data.iter::<f64>().collect()
}

fn read_ints(data: TensorData) -> Vec<i64> {
    data.iter::<i64>().collect()
}

fn failed(e: impl std::fmt::Display) -> RunStatus {
    RunStatus::Failed {
        reason: explain_backend_error(&e.to_string()),
    }
}

/// A compute backend's error in words for the page: a lost GPU device (the GPU process
/// crashed or was reset, the driver was updated, the tab was throttled) is named as such, and
/// of the chain of causes only the innermost is kept.
pub fn explain_backend_error(raw: &str) -> Message {
    let text = raw.replace("Backtrace: No backtrace available", "");
    let cause = text.rsplit("Caused by:").next().unwrap_or(&text).trim();
    let cause = cause.strip_prefix("Unknown:").unwrap_or(cause).trim();
    let lost = ["poisoned", "lost", "no longer exists", "destroyed"]
        .iter()
        .any(|w| text.contains(w));
    if lost {
        msg!(
            "the GPU stopped working during the run: the browser lost its WebGPU device ({cause})",
            cause = cause
        )
    } else {
        msg!(
            "the compute backend reported an error: {cause}",
            cause = cause
        )
    }
}

impl Trainer {
    /// Prepares a run of `config` on `dataset` with `device` (autodiff is enabled here).
    /// `backend` names the backend in the record.
    pub fn new(
        config: RunConfig,
        dataset: &Dataset,
        device: Device,
        backend: impl Into<Message>,
    ) -> Result<Self, StartError> {
        let classes = dataset.train.classes.len();
        let cost: ModelCost = config.validate(classes).map_err(StartError::Config)?;
        let train = dataset.train.to_shape(config.input);
        let test = dataset.test.to_shape(config.input);
        let split = Split::new(train.len(), config.validation_fraction, config.seed);
        if split.train.is_empty() || split.validation.is_empty() {
            return Err(StartError::Data(msg!(
                "the dataset has {} training images: at least 2 are needed (one to train, one to validate)",
                train.len()
            )));
        }
        if test.is_empty() {
            return Err(StartError::Data(msg!("the dataset has no test images")));
        }
        let norm = train.normalisation(&split.train);
        let device = device.autodiff();
        device.seed(config.seed);
        let model = Classifier::init(
            &config.layers,
            config.input,
            config.loss.outputs(classes),
            config.init,
            &device,
        )
        .freeze(config.transfer.freeze);
        let optimizer = build_optimizer(&config);
        let steps_per_epoch = split.train.len().div_ceil(config.batch_size);
        let now = Instant::now();
        let record = RunRecord {
            config: config.clone(),
            cost,
            backend: backend.into(),
            status: RunStatus::Running,
            steps: Vec::new(),
            epochs: Vec::new(),
            summary: None,
            compression: None,
            transfer: None,
            distill: None,
            ensemble: None,
            workers: 1,
            shared: false,
        };
        let mut trainer = Trainer {
            objective: Objective::new(config.loss, classes, config.label_smoothing, &device),
            attack: (
                Objective::new(config.loss, classes, 0.0, &device),
                PixelScale::new(&norm),
            ),
            teacher: None,
            rng: Rng::new(config.seed),
            shard: Shard::WHOLE,
            exchange: None,
            gradient_len: 0,
            augment_rng: None,
            total_steps: steps_per_epoch * config.epochs,
            config,
            device,
            model: Some(model),
            optimizer,
            transferred: Vec::new(),
            train,
            test,
            split,
            norm,
            order: Vec::new(),
            cursor: 0,
            epoch: 0,
            step: 0,
            steps_per_epoch,
            readback_every: DEFAULT_READBACK_EVERY,
            pending: Pending::default(),
            epoch_loss_sum: 0.0,
            epoch_correct: 0.0,
            epoch_seen: 0,
            epoch_started: now,
            epoch_train_seconds: 0.0,
            run_started: now,
            best_validation_loss: f64::INFINITY,
            epochs_since_best: 0,
            best: None,
            record,
        };
        trainer.start_epoch();
        Ok(trainer)
    }

    /// Starts the run from `start`'s weights wherever the leading layers match (see
    /// [`StartModel::plan`]); the record says which did.
    pub fn with_start(mut self, start: &StartModel) -> Result<Self, StartError> {
        let plan = start.plan(&self.config, &self.train.classes);
        let model = self
            .model
            .take()
            .expect("model present before the first step");
        // Loading keeps each parameter's id and whether it takes gradients (frozen in `new`).
        let model = start.load_into(model, &plan).map_err(StartError::Data)?;
        if self.config.transfer.rate != 1.0 {
            self.transferred = model.leading_param_ids(plan.layers, plan.head);
        }
        self.model = Some(model);
        self.record.transfer = Some(TransferInfo {
            plan,
            parent_key: None,
        });
        Ok(self)
    }

    /// Distils the run from `teacher`: its outputs at the config's temperature join the labels
    /// as targets. The teacher must have been trained on the same classes at the same input.
    pub fn with_teacher(mut self, teacher: &StartModel) -> Result<Self, StartError> {
        let theirs = &teacher.config;
        if teacher.classes != self.train.classes {
            return Err(StartError::Data(msg!(
                "the teacher was trained on other classes ({theirs}) than this dataset's ({ours})",
                theirs = teacher.classes.join(", "),
                ours = self.train.classes.join(", ")
            )));
        }
        if theirs.input != self.config.input {
            return Err(StartError::Data(msg!(
                "the teacher sees {theirs} images and this run {ours}: both must see the same",
                theirs = format!(
                    "{}×{}×{}",
                    theirs.input.size, theirs.input.size, theirs.input.channels
                ),
                ours = format!(
                    "{}×{}×{}",
                    self.config.input.size, self.config.input.size, self.config.input.channels
                )
            )));
        }
        if theirs.loss == LossKind::BinaryCrossEntropy {
            return Err(StartError::Data(msg!(
                "the teacher has one sigmoid output; distilling needs one softmax output per class"
            )));
        }
        let model = teacher
            .model(&self.inference_device())
            .map_err(StartError::Data)?;
        self.record.distill = Some(DistillInfo {
            teacher_layers: crate::notation::layers_to_string(&theirs.layers),
            teacher_params: model.num_params() as u64,
            parent_key: None,
        });
        self.teacher = Some(Teacher {
            model,
            renormalise: teacher.norm.as_ref().map(|theirs| self.norm.to(theirs)),
        });
        Ok(self)
    }

    /// Makes this trainer copy `shard.rank` of a run split over `shard.count` CPU workers
    /// (see [`crate::parallel`]): it trains on its part of each batch and sums gradients with
    /// the other copies through `exchange`. Only rank 0 validates, tests and keeps the record's
    /// figures; the others only train. Every copy must be made from the same config and data.
    pub fn with_shard(mut self, shard: Shard, exchange: Box<dyn GradientExchange>) -> Self {
        if shard.count <= 1 {
            return self;
        }
        let model = self
            .model
            .as_ref()
            .expect("model present before the first step");
        // Reading every parameter's shape initialises the lazy ones, with the run's seed, so
        // every copy starts from the same weights; only then does each copy's own stream (its
        // dropout masks and augmentations) begin.
        self.gradient_len = gradient_len(model);
        self.device.seed(shard.seed(self.config.seed));
        self.augment_rng = Some(Rng::new(shard.seed(self.config.seed)));
        self.shard = shard;
        self.exchange = Some(exchange);
        self.record.workers = shard.count;
        self
    }

    /// Starts the run from `start` and distils it from `teacher`, where given (see
    /// [`Trainer::with_start`] and [`Trainer::with_teacher`]).
    pub fn with_models(
        self,
        start: Option<&StartModel>,
        teacher: Option<&StartModel>,
    ) -> Result<Self, StartError> {
        let trainer = match start {
            Some(start) => self.with_start(start)?,
            None => self,
        };
        match teacher {
            Some(teacher) => trainer.with_teacher(teacher),
            None => Ok(trainer),
        }
    }

    /// Reads step figures back every `steps` steps (at least 1).
    pub fn with_readback_every(mut self, steps: usize) -> Self {
        self.readback_every = steps.max(1);
        self
    }

    /// Where the run stands.
    pub fn progress(&self) -> Progress {
        Progress {
            step: self.step,
            total_steps: self.total_steps,
            steps_per_epoch: self.steps_per_epoch,
            epoch: self.epoch,
            elapsed_seconds: self.run_started.elapsed().as_secs_f64(),
        }
    }

    fn start_epoch(&mut self) {
        self.epoch += 1;
        self.order = self.split.train.clone();
        self.rng.shuffle(&mut self.order);
        self.cursor = 0;
        self.epoch_loss_sum = 0.0;
        self.epoch_correct = 0.0;
        self.epoch_seen = 0;
        self.epoch_train_seconds = 0.0;
        self.epoch_started = Instant::now();
    }

    fn inference_device(&self) -> Device {
        self.device.clone().without_autodiff()
    }

    /// Runs one training step; at read-back points, epoch ends and the run's end, reports what
    /// happened. After [`Event::Finished`] further calls return nothing.
    pub async fn advance(&mut self) -> Vec<Event> {
        if self.record.status != RunStatus::Running {
            return Vec::new();
        }
        let step_started = Instant::now();
        let mut events = Vec::new();
        if self.exchange.is_some() {
            if let Err(status) = self.split_step().await {
                return self.finish(status, events);
            }
        } else {
            self.train_step();
        }
        let epoch_done = self.cursor >= self.order.len();
        if !self.shard.leads() {
            // A helper only trains: rank 0 validates, tests, and ends the run early.
            if epoch_done {
                if self.epoch >= self.config.epochs {
                    return self.finish(RunStatus::Finished, events);
                }
                self.start_epoch();
            }
            return events;
        }
        if self.pending.losses.len() >= self.readback_every || epoch_done {
            let steps = match self.flush().await {
                Ok(steps) => steps,
                Err(status) => return self.finish(status, events),
            };
            let diverged = self.divergence(&steps);
            events.push(Event::Steps(steps));
            if let Some((step, loss)) = diverged {
                return self.finish(RunStatus::Diverged { step, loss }, events);
            }
        }
        self.epoch_train_seconds += step_started.elapsed().as_secs_f64();
        if epoch_done {
            let metrics = match self.end_epoch().await {
                Ok(m) => m,
                Err(status) => return self.finish(status, events),
            };
            events.push(Event::Epoch(metrics));
            if !metrics.validation_loss.is_finite() {
                let loss = metrics.validation_loss;
                return self.finish(
                    RunStatus::Diverged {
                        step: self.step,
                        loss,
                    },
                    events,
                );
            }
            if metrics.validation_loss < self.best_validation_loss {
                self.best_validation_loss = metrics.validation_loss;
                self.epochs_since_best = 0;
                // Kept only for early stopping to go back to (a module clone shares its
                // tensors until the next step replaces them).
                if self.config.patience > 0 {
                    self.best = self.model.clone().map(|m| (m, self.epoch));
                }
            } else {
                self.epochs_since_best += 1;
            }
            let status = if self.epoch >= self.config.epochs {
                Some(RunStatus::Finished)
            } else if self.config.patience > 0 && self.epochs_since_best >= self.config.patience {
                // Back to the best epoch's weights: the test, the kept model and its file are
                // of those.
                let restored = match self.best.take() {
                    Some((model, epoch)) => {
                        self.model = Some(model);
                        epoch
                    }
                    None => self.epoch,
                };
                Some(RunStatus::EarlyStopped {
                    epoch: self.epoch,
                    restored,
                })
            } else {
                None
            };
            match status {
                Some(status) => {
                    if let Err(status) = self.summarise().await {
                        return self.finish(status, events);
                    }
                    return self.finish(status, events);
                }
                None => self.start_epoch(),
            }
        }
        events
    }

    /// Trains to the end without pausing and returns the final record (native drivers: tests,
    /// benchmarks; the worker steps with [`Trainer::advance`] to report as it goes).
    pub async fn run_to_end(&mut self) -> RunRecord {
        loop {
            for event in self.advance().await {
                if let Event::Finished(record) = event {
                    return *record;
                }
            }
        }
    }

    /// Ends the run now (the user pressed Stop) and returns the partial record.
    pub async fn stop(mut self) -> RunRecord {
        if self.record.status == RunStatus::Running {
            let status = match self.flush().await {
                Ok(_) => RunStatus::Stopped { step: self.step },
                Err(status) => status,
            };
            self.record.status = status;
        }
        self.record
    }

    /// The loss level a diverging step exceeds `DIVERGENCE_RATIO` times: the first step's
    /// loss, or chance level (ln of the class count) if that is higher.
    pub fn divergence_threshold(&self) -> Option<f64> {
        let first = self.record.steps.first()?.loss;
        let chance = (self.train.classes.len() as f64).ln();
        Some(DIVERGENCE_RATIO * first.max(chance))
    }

    /// The first of the just-read `steps` whose loss is not finite or exceeds the threshold
    /// (earlier steps were checked when they were read).
    fn divergence(&self, steps: &[StepMetrics]) -> Option<(usize, f64)> {
        let limit = self.divergence_threshold()?;
        steps
            .iter()
            .find(|s| !s.loss.is_finite() || s.loss > limit)
            .map(|s| (s.step, s.loss))
    }

    fn finish(&mut self, status: RunStatus, mut events: Vec<Event>) -> Vec<Event> {
        self.record.status = status;
        events.push(Event::Finished(Box::new(self.record.clone())));
        events
    }

    /// The next batch's image indices, in the epoch's shuffled order.
    fn next_batch(&mut self) -> Vec<usize> {
        let end = (self.cursor + self.config.batch_size).min(self.order.len());
        let indices = self.order[self.cursor..end].to_vec();
        self.cursor = end;
        indices
    }

    fn learning_rate(&self) -> f64 {
        self.config
            .optimizer
            .learning_rate_at(self.step, self.steps_per_epoch, self.total_steps)
    }

    /// The loss of `model` on the images `indices` (some attacked when training adversarially,
    /// mixed with the teacher's soft targets when distilling), backpropagated: the gradients,
    /// the loss `[1]` and the number right `[1]`, both without autodiff.
    fn forward_backward(
        &mut self,
        model: &Classifier,
        indices: &[usize],
    ) -> (burn::tensor::Gradients, Tensor<1>, Tensor<1, Int>) {
        let augment = self.config.augmentation;
        let rng = match &mut self.augment_rng {
            Some(own) => own,
            None => &mut self.rng,
        };
        let (xs, ys) = self.train.batch(
            indices,
            &self.norm,
            augment.is_on().then_some((&augment, rng)),
        );
        let n = ys.len();
        let (c, s) = (self.train.channels, self.train.size);
        let plain = self.inference_device();
        let mut images = Tensor::<4>::from_data(TensorData::new(xs, [n, c, s, s]), &plain);
        let labels = Tensor::<1, Int>::from_data(TensorData::new(ys, [n]), &self.device);

        let robustness = self.config.robustness;
        let attacked = (n as f64 * robustness.adversarial).round() as usize;
        if attacked > 0 {
            // The first images of the batch, attacked as the model now stands (evaluation
            // mode, so the attack does not move batch-norm statistics).
            let (objective, scale) = &self.attack;
            let head = fgsm(
                &Module::freeze(model.valid().train()),
                objective,
                images.clone().narrow(0, 0, attacked),
                labels.clone().without_autodiff().narrow(0, 0, attacked),
                robustness.epsilon,
                scale,
            );
            images = if attacked == n {
                head
            } else {
                Tensor::cat(vec![head, images.narrow(0, attacked, n - attacked)], 0)
            };
        }
        let teacher_outputs = self.teacher.as_ref().map(|t| t.forward(images.clone())); // [n, classes]
        let outputs = model.forward(images.autodiff()); // [n, outputs]
        let loss = self.objective.loss(outputs.clone(), labels.clone()); // [1]
        let loss = match teacher_outputs {
            Some(teacher) => distillation_loss(
                outputs.clone(),
                teacher.autodiff(),
                loss,
                self.config.distill.temperature,
                self.config.distill.alpha,
            ),
            None => loss,
        };
        let correct = self.objective.predict(outputs).equal(labels).int().sum(); // [1]
        let grads = loss.backward();
        (
            grads,
            loss.detach().without_autodiff(),
            correct.without_autodiff(),
        )
    }

    /// One optimizer step of `model`: the transferred layers' gradients (if they step at
    /// their own rate) first, then the rest.
    fn apply(
        &mut self,
        model: Classifier,
        rest: GradientsParams,
        transferred: Option<GradientsParams>,
        learning_rate: f64,
    ) -> Classifier {
        let model = match transferred {
            Some(grads) => {
                let rate = learning_rate * self.config.transfer.rate;
                self.optimizer.step(rate, model, grads)
            }
            None => model,
        };
        self.optimizer.step(learning_rate, model, rest)
    }

    /// Notes a step's loss and number right for the next read-back.
    fn note_step(&mut self, loss: Tensor<1>, correct: Tensor<1, Int>, n: usize, rate: f64) {
        if self.pending.losses.is_empty() {
            self.pending.first_step = self.step + 1;
        }
        self.pending.losses.push(loss);
        self.pending.correct.push(correct);
        self.pending.sizes.push(n);
        self.pending.rates.push(rate);
    }

    fn train_step(&mut self) {
        let indices = self.next_batch();
        let learning_rate = self.learning_rate();
        let model = self.model.take().expect("model present between steps");
        let (mut grads, loss, correct) = self.forward_backward(&model, &indices);
        let transferred = (!self.transferred.is_empty())
            .then(|| GradientsParams::from_params(&mut grads, &model, &self.transferred));
        let rest = GradientsParams::from_grads(grads, &model);
        self.model = Some(self.apply(model, rest, transferred, learning_rate));
        self.note_step(loss, correct, indices.len(), learning_rate);
        self.step += 1;
    }

    /// A step of a run split over CPU workers: this copy's part of the batch, its gradients
    /// (weighted by its share of the batch, with its loss and number right appended) summed
    /// with the other copies', and the same optimizer step on every copy.
    async fn split_step(&mut self) -> Result<(), RunStatus> {
        let batch = self.next_batch();
        let learning_rate = self.learning_rate();
        let mine = &batch[self.shard.part(batch.len())];
        let plain = self.inference_device();
        let local = if mine.is_empty() {
            // A batch smaller than the worker count leaves this copy nothing: it adds zeros
            // (gradients, loss and number right).
            vec![0.0; self.gradient_len + 2]
        } else {
            let model = self.model.take().expect("model present between steps");
            let (grads, loss, correct) = self.forward_backward(&model, mine);
            let mut grads = GradientsParams::from_grads(grads, &model);
            let share = mine.len() as f32 / batch.len() as f32;
            let flat = flatten_gradients(&model, &mut grads, share, &plain); // [gradient_len]
            self.model = Some(model);
            let tail = Tensor::cat(vec![loss.mul_scalar(mine.len() as f32), correct.float()], 0); // [2]
            let all = read(Tensor::cat(vec![flat, tail], 0))
                .await
                .map_err(failed)?;
            all.iter::<f32>().collect()
        };
        let exchange = self.exchange.as_mut().expect("a split run");
        let total = exchange
            .sum(local)
            .await
            .map_err(|reason| RunStatus::Failed { reason })?;
        let (grads, tail) = total.split_at(self.gradient_len);
        let model = self.model.take().expect("model present between steps");
        let (rest, transferred) = unflatten_gradients(&model, grads, &self.transferred, &plain);
        let transferred = (!self.transferred.is_empty()).then_some(transferred);
        self.model = Some(self.apply(model, rest, transferred, learning_rate));
        if self.shard.leads() {
            let n = batch.len();
            let loss =
                Tensor::<1>::from_data(TensorData::new(vec![tail[0] / n as f32], [1]), &plain);
            let correct = Tensor::<1, Int>::from_data(
                TensorData::new(vec![tail[1].round() as i64], [1]),
                &plain,
            );
            self.note_step(loss, correct, n, learning_rate);
        }
        self.step += 1;
        Ok(())
    }

    /// Reads the pending per-step figures back in one transfer.
    async fn flush(&mut self) -> Result<Vec<StepMetrics>, RunStatus> {
        let pending = std::mem::take(&mut self.pending);
        if pending.losses.is_empty() {
            return Ok(Vec::new());
        }
        let losses = Tensor::cat(pending.losses, 0)
            .into_data_async()
            .await
            .map_err(failed)?;
        let correct = Tensor::cat(pending.correct, 0)
            .into_data_async()
            .await
            .map_err(failed)?;
        let losses = read_floats(losses);
        let correct = read_ints(correct);
        let mut steps = Vec::with_capacity(losses.len());
        for (i, ((&loss, &right), (&n, &rate))) in losses
            .iter()
            .zip(&correct)
            .zip(pending.sizes.iter().zip(&pending.rates))
            .enumerate()
        {
            let step = pending.first_step + i;
            let epoch = (step - 1) / self.steps_per_epoch + 1;
            steps.push(StepMetrics {
                step,
                epoch,
                loss,
                accuracy: right as f64 / n as f64,
                learning_rate: rate,
            });
            self.epoch_loss_sum += loss * n as f64;
            self.epoch_correct += right as f64;
            self.epoch_seen += n;
        }
        self.record.steps.extend_from_slice(&steps);
        Ok(steps)
    }

    /// Mean loss and accuracy of the current model on `indices` of `set`, and its predictions.
    async fn evaluate(
        &self,
        set: &ImageSet,
        indices: &[usize],
    ) -> Result<(f64, f64, Vec<u16>), RunStatus> {
        let model = self.model.as_ref().expect("model present").valid();
        let loss = self.config.loss;
        evaluate(
            &model,
            loss,
            set,
            &self.norm,
            indices,
            &self.inference_device(),
        )
        .await
        .map_err(failed)
    }

    async fn end_epoch(&mut self) -> Result<EpochMetrics, RunStatus> {
        let (validation_loss, validation_accuracy, _) =
            self.evaluate(&self.train, &self.split.validation).await?;
        let seen = self.epoch_seen.max(1) as f64;
        let train_seconds = self.epoch_train_seconds.max(1e-9);
        let metrics = EpochMetrics {
            epoch: self.epoch,
            train_loss: self.epoch_loss_sum / seen,
            train_accuracy: self.epoch_correct / seen,
            validation_loss,
            validation_accuracy,
            images_per_second: self.epoch_seen as f64 / train_seconds,
            train_seconds,
            seconds: self.epoch_started.elapsed().as_secs_f64(),
        };
        self.record.epochs.push(metrics);
        Ok(metrics)
    }

    /// Test accuracy (plain, under noise, under attack), confusion matrix and inference latency
    /// at batch 1 and 64.
    async fn summarise(&mut self) -> Result<(), RunStatus> {
        let all: Vec<usize> = (0..self.test.len()).collect();
        let (test_loss, _, predicted) = self.evaluate(&self.test, &all).await?;
        let model = self.model.as_ref().expect("model present").valid();
        let robust = crate::robust::measure(
            &model,
            &model,
            self.config.loss,
            &self.test,
            &self.norm,
            &all,
            &self.config.robustness,
            self.config.seed,
            &self.inference_device(),
        )
        .await
        .map_err(|reason| RunStatus::Failed { reason })?;
        let confusion =
            ConfusionMatrix::new(self.test.classes.len(), &self.test.labels, &predicted);
        let latency_ms_batch1 = self.latency_ms(1, 20).await?;
        let latency_ms_batch64 = self.latency_ms(64, 5).await?;
        let train_seconds: f64 = self.record.epochs.iter().map(|e| e.seconds).sum();
        let images: usize = self.record.epochs.len() * self.split.train.len();
        let pure_train: f64 = self.record.epochs.iter().map(|e| e.train_seconds).sum();
        self.record.summary = Some(Summary {
            test_accuracy: confusion.accuracy(),
            test_loss,
            class_names: self.test.classes.clone(),
            confusion,
            misclassified: misclassified(&self.test, &predicted),
            test_predictions: predicted,
            latency_ms_batch1,
            latency_ms_batch64,
            model_bytes: self.record.cost.model_bytes(),
            params: self.record.cost.params,
            flops: self.record.cost.flops,
            train_seconds,
            images_per_second: images as f64 / pure_train.max(1e-9),
            noise_accuracy: robust.noise,
            fgsm_accuracy: robust.fgsm,
        });
        Ok(())
    }

    async fn latency_ms(&self, batch: usize, reps: usize) -> Result<f64, RunStatus> {
        let model = self.model.as_ref().expect("model present").valid();
        latency_ms(
            &model,
            &self.test,
            &self.norm,
            batch,
            reps,
            &self.inference_device(),
        )
        .await
        .map_err(failed)
    }

    /// The trained model with what it takes to evaluate it again, once the run has its
    /// summary (finished or stopped early); `None` otherwise.
    pub fn into_trained(self) -> Option<TrainedModel> {
        self.record.summary.as_ref()?;
        let device = self.inference_device();
        Some(TrainedModel {
            model: self.model?.valid(),
            device,
            test: self.test,
            norm: self.norm,
            record: self.record,
        })
    }
}

/// A trained model kept after its run, so that it can be compressed and measured again.
pub struct TrainedModel {
    /// The model, without autodiff.
    pub model: Classifier,
    /// The device it lives on.
    pub device: Device,
    /// The test split at the model's input shape.
    pub test: ImageSet,
    /// The training split's pixel statistics.
    pub norm: Normalisation,
    /// Its run's final record.
    pub record: RunRecord,
}

/// Mean loss (`loss`, unsmoothed) and accuracy of `model` on `indices` of `set`, and its
/// predictions.
pub async fn evaluate(
    model: &Classifier,
    loss: LossKind,
    set: &ImageSet,
    norm: &Normalisation,
    indices: &[usize],
    device: &Device,
) -> Result<(f64, f64, Vec<u16>), Message> {
    let objective = Objective::new(loss, set.classes.len(), 0.0, device);
    let (c, s) = (set.channels, set.size);
    let mut losses = Vec::new();
    let mut predictions = Vec::new();
    for chunk in indices.chunks(EVAL_BATCH) {
        let (xs, ys) = set.batch(chunk, norm, None);
        let n = ys.len();
        let images = Tensor::<4>::from_data(TensorData::new(xs, [n, c, s, s]), device);
        let labels = Tensor::<1, Int>::from_data(TensorData::new(ys, [n]), device);
        let outputs = model.forward(images); // [n, outputs]
        losses.push(objective.loss(outputs.clone(), labels).mul_scalar(n as f64));
        predictions.push(objective.predict(outputs));
    }
    let loss_sum: f64 = read_floats(read(Tensor::cat(losses, 0).sum()).await?)[0];
    let predicted: Vec<u16> = read_ints(read(Tensor::cat(predictions, 0)).await?)
        .into_iter()
        .map(|p| p as u16)
        .collect();
    let right = indices
        .iter()
        .zip(&predicted)
        .filter(|&(&i, &p)| set.labels[i] == p)
        .count();
    let n = indices.len().max(1) as f64;
    Ok((loss_sum / n, right as f64 / n, predicted))
}

/// Milliseconds per image of a forward pass of `model` at `batch` images of `set`, averaged
/// over `reps` passes after one warm-up pass, each read back so the time includes the device
/// finishing.
pub async fn latency_ms(
    model: &Classifier,
    set: &ImageSet,
    norm: &Normalisation,
    batch: usize,
    reps: usize,
    device: &Device,
) -> Result<f64, Message> {
    latency_of(
        |images| model.forward(images),
        set,
        norm,
        batch,
        reps,
        device,
    )
    .await
}

/// As [`latency_ms`], of any forward pass (an ensemble's).
pub async fn latency_of(
    forward: impl Fn(Tensor<4>) -> Tensor<2>,
    set: &ImageSet,
    norm: &Normalisation,
    batch: usize,
    reps: usize,
    device: &Device,
) -> Result<f64, Message> {
    let indices: Vec<usize> = (0..batch).map(|i| i % set.len()).collect();
    let (xs, _) = set.batch(&indices, norm, None);
    let (c, s) = (set.channels, set.size);
    let images = Tensor::<4>::from_data(TensorData::new(xs, [batch, c, s, s]), device);
    let mut started = Instant::now();
    for rep in 0..=reps {
        if rep == 1 {
            started = Instant::now();
        }
        read(forward(images.clone())).await?;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / (reps * batch) as f64)
}

/// Knowledge distillation's loss (Hinton et al., 2015): α·T²·KL(teacher ‖ student) on outputs
/// softened by the temperature T, plus (1 − α) times the plain `labels_loss`. T² keeps the
/// soft targets' gradients on the scale of the hard ones'.
fn distillation_loss(
    student: Tensor<2>,
    teacher: Tensor<2>,
    labels_loss: Tensor<1>,
    temperature: f64,
    alpha: f64,
) -> Tensor<1> {
    let [n, _] = student.dims(); // [n, classes]
    let teacher_log = log_softmax(teacher.div_scalar(temperature), 1); // [n, classes]
    let student_log = log_softmax(student.div_scalar(temperature), 1); // [n, classes]
    let kl = teacher_log
        .clone()
        .exp()
        .mul(teacher_log - student_log)
        .sum()
        .div_scalar(n as f64); // [1]
    kl.mul_scalar(alpha * temperature * temperature)
        .add(labels_loss.mul_scalar(1.0 - alpha))
}

fn build_optimizer(config: &RunConfig) -> ModuleOptimizer {
    let o = &config.optimizer;
    let decay = (o.weight_decay > 0.0).then(|| WeightDecayConfig::new(o.weight_decay as f32));
    match o.kind {
        OptimizerKind::Sgd => SgdConfig::new().with_weight_decay(decay).init(),
        OptimizerKind::Momentum | OptimizerKind::Nesterov => SgdConfig::new()
            .with_weight_decay(decay)
            .with_momentum(Some(
                MomentumConfig::new()
                    .with_momentum(o.momentum)
                    .with_dampening(0.0)
                    .with_nesterov(o.kind == OptimizerKind::Nesterov),
            ))
            .init(),
        OptimizerKind::RmsProp => RmsPropConfig::new()
            .with_alpha(0.99)
            .with_momentum(0.0)
            .with_epsilon(1e-8)
            .with_weight_decay(decay)
            .init(),
        OptimizerKind::Adam => AdamConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(decay)
            .init(),
        OptimizerKind::AdamW => AdamWConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(o.weight_decay as f32)
            .init(),
    }
}
