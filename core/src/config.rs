//! The run config: the one description of an experiment, shared by the UI, the URL, the
//! worker and the run records.

use serde::{Deserialize, Serialize};

use crate::i18n::key;

/// The short names a choice is written with in links and records, in the order the UI lists
/// them: `ALL`, `name()` and its inverse `from_name()`, from one list.
macro_rules! link_names {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            #[doc = concat!("Every ", $what, ", in the order the UI lists them.")]
            pub const ALL: [$ty; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// Short name used in the URL.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }

            #[doc = concat!("Inverse of [`", stringify!($ty), "::name`].")]
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|x| x.name() == name)
            }
        }
    };
}

/// Everything needed to reproduce one training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Dataset id: a built-in one (`mnist`) or `local` for the user's own images.
    pub dataset: String,
    /// Shape of one input image.
    pub input: InputShape,
    /// Hidden layers, first to last. The output layer is implied by the loss ([`LossKind::outputs`]).
    pub layers: Vec<Layer>,
    /// How the weights start (records kept before it was a setting started from Burn's
    /// default).
    #[serde(default)]
    pub init: Initialisation,
    /// Optimizer and its learning-rate policy.
    pub optimizer: OptimizerConfig,
    /// Images per training step.
    pub batch_size: usize,
    /// Passes over the training split.
    pub epochs: usize,
    /// Share of the training images held out for validation, in `[0.05, 0.5]`.
    pub validation_fraction: f64,
    /// Random changes applied to training images.
    pub augmentation: Augmentation,
    /// Stop after this many epochs without a better validation loss; 0 turns it off.
    pub patience: usize,
    /// Label smoothing α of the training loss: the target is 1 − α on the true class and α
    /// spread over all classes (validation and test losses stay plain cross-entropy, so runs
    /// compare). Records kept before it existed read 0.
    #[serde(default)]
    pub label_smoothing: f64,
    /// What training minimises, and the output layer that goes with it (records kept before
    /// it was a setting read cross-entropy).
    #[serde(default)]
    pub loss: LossKind,
    /// Whether the weights start from a trained model's, and how they are then trained
    /// (records kept before it was a setting started from scratch).
    #[serde(default)]
    pub transfer: Transfer,
    /// Knowledge distillation: a trained teacher whose softened outputs the run also learns
    /// from (records kept before it was a setting had none).
    #[serde(default)]
    pub distill: Distillation,
    /// How the run's robustness is measured, and whether it trains on attacked images
    /// (records kept before it was a setting measured none and did not).
    #[serde(default)]
    pub robustness: Robustness,
    /// CPU workers the run is split over, data-parallel (0: the machine's cores minus one, at
    /// most 8; see [`crate::parallel`]). Only the page's CPU backend splits; elsewhere a run
    /// trains on one. Records kept before it was a setting read 0.
    #[serde(default)]
    pub workers: usize,
    /// Seed for initialisation, splitting, shuffling, dropout and augmentation.
    pub seed: u64,
    /// Where to train.
    pub backend: BackendPreference,
}

/// Transfer learning: which trained model's weights a run starts from, how many of its first
/// layers stay fixed, and how fast the transferred ones move.
///
/// The weights themselves travel beside the config (a link names where they come from; a
/// pretrained start is a file the page ships, a run's or a file's must be at hand).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// Where the weights come from.
    pub from: StartFrom,
    /// The first this many layers of the stack are frozen: they keep the weights they start
    /// with (0 fine-tunes everything).
    pub freeze: usize,
    /// The learning rate of the transferred layers, as a fraction of the run's (1 = the same).
    pub rate: f64,
}

impl Default for Transfer {
    fn default() -> Self {
        Self {
            from: StartFrom::Scratch,
            freeze: 0,
            rate: 1.0,
        }
    }
}

impl StartFrom {
    /// Its link form: `scratch`, `pre:<id>`, `run:<n>`, `file:<name>`.
    pub fn link_form(&self) -> String {
        match self {
            StartFrom::Scratch => "scratch".into(),
            StartFrom::Pretrained(id) => format!("pre:{id}"),
            StartFrom::Run(n) => format!("run:{n}"),
            StartFrom::File(name) => format!("file:{name}"),
        }
    }

    /// Reads its link form; the message says what is accepted.
    pub fn parse(value: &str) -> Result<Self, crate::i18n::Message> {
        use crate::notation::clip;
        let bad = || {
            crate::msg!(
                "'{}' is not a start (scratch, pre:<name>, run:<number>, file:<name>)",
                clip(value)
            )
        };
        Ok(match value.split_once(':') {
            None if value == "scratch" => StartFrom::Scratch,
            Some(("pre", id)) if !id.is_empty() => StartFrom::Pretrained(clip(id)),
            Some(("run", n)) => StartFrom::Run(n.parse().map_err(|_| bad())?),
            Some(("file", name)) if !name.is_empty() => StartFrom::File(clip(name)),
            _ => return Err(bad()),
        })
    }

    /// A start from the file named `name`, its name made safe for a link (letters, digits,
    /// `.`, `_` and `-`; anything else becomes `-`).
    pub fn file(name: &str) -> Self {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .take(24)
            .collect();
        StartFrom::File(safe)
    }
}

impl Transfer {
    /// Whether the run starts from trained weights.
    pub fn is_on(&self) -> bool {
        self.from != StartFrom::Scratch
    }
}

/// Knowledge distillation (Hinton et al., 2015): the run learns from a trained teacher's
/// outputs softened by a temperature as well as from the true labels.
///
/// The teacher's weights travel beside the config as a start's do; its classes and input must
/// be the run's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Distillation {
    /// The teacher; [`StartFrom::Scratch`] means none (the run learns from labels only).
    pub teacher: StartFrom,
    /// Temperature T dividing both models' logits before the softmax: above 1 it shows how the
    /// teacher ranks the wrong classes, which is what the student learns from.
    pub temperature: f64,
    /// Weight α of the teacher's soft targets in the loss; 1 − α goes to the true labels.
    pub alpha: f64,
}

impl Default for Distillation {
    fn default() -> Self {
        Self {
            teacher: StartFrom::Scratch,
            temperature: 4.0,
            alpha: 0.7,
        }
    }
}

impl Distillation {
    /// Whether the run learns from a teacher.
    pub fn is_on(&self) -> bool {
        self.teacher != StartFrom::Scratch
    }
}

/// How robust a run is measured to be, and adversarial training.
///
/// Both perturbations are in pixel units (0 black, 1 white) and keep pixels in that range:
/// Gaussian noise of σ, and the fast gradient sign method (FGSM, Goodfellow et al., 2015),
/// which moves every pixel by ε in the direction that raises the model's loss most.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Robustness {
    /// σ of the Gaussian noise the test images are measured under (0: not measured).
    pub noise: f64,
    /// ε of the FGSM attack the test images are measured under (0: not measured); adversarial
    /// training attacks with the same ε.
    pub epsilon: f64,
    /// Share of each training batch replaced by its FGSM-attacked images (0: none).
    pub adversarial: f64,
}

impl Default for Robustness {
    fn default() -> Self {
        Self {
            noise: 0.3,
            epsilon: 0.1,
            adversarial: 0.0,
        }
    }
}

/// Where a run's weights start.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum StartFrom {
    /// Fresh weights, as the initialisation setting says.
    #[default]
    Scratch,
    /// One of the pretrained starts the page ships ([`crate::transfer::PRETRAINED`]), by id.
    Pretrained(String),
    /// A finished run of the page the link was made in, by its number there.
    Run(u32),
    /// A model file Tradeoff exported, by its file name.
    File(String),
}

/// How a run's weights and biases start: the scheme, and σ for [`InitScheme::Normal`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Initialisation {
    /// The scheme.
    pub scheme: InitScheme,
    /// Standard deviation of [`InitScheme::Normal`] (kept, unused, by the others).
    pub std: f64,
}

impl Default for Initialisation {
    fn default() -> Self {
        Self {
            scheme: InitScheme::Default,
            std: 0.05,
        }
    }
}

/// A weight-initialisation scheme. All draw from the run's seed, so a run repeats exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitScheme {
    /// Burn's default, as PyTorch's: Kaiming-uniform with gain 1/√3 on each layer's fan-in.
    #[default]
    Default,
    /// Glorot/Xavier (uniform): keeps the variance through a layer in both directions.
    Xavier,
    /// He/Kaiming (normal, gain √2): made for ReLU, which zeroes half its inputs.
    He,
    /// Normal with a chosen σ, the same for every layer.
    Normal,
    /// Every weight 0: units stay identical, so no amount of training breaks the symmetry.
    Zeros,
}

link_names!(InitScheme, "scheme", {
    Default => "default",
    Xavier => "xavier",
    He => "he",
    Normal => "normal",
    Zeros => "zeros",
});

/// The loss a run minimises, which also decides the output layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// Softmax over one output per class, cross-entropy against the true class.
    #[default]
    CrossEntropy,
    /// Two classes only: one output whose sigmoid is the probability of the second class
    /// (the essay's `Dense(1, activation="sigmoid")` with `binary_crossentropy`).
    BinaryCrossEntropy,
    /// Softmax over one output per class, mean squared error against the one-hot target: its
    /// gradient fades as the softmax saturates, which is why cross-entropy learns faster.
    MeanSquaredError,
}

link_names!(LossKind, "loss", {
    CrossEntropy => "ce",
    BinaryCrossEntropy => "bce",
    MeanSquaredError => "mse",
});

impl LossKind {
    /// What its curve measures, for a chart's axis (a translation key).
    pub fn axis_label(self) -> &'static str {
        match self {
            LossKind::CrossEntropy => key("Cross-entropy loss"),
            LossKind::BinaryCrossEntropy => key("Binary cross-entropy loss"),
            LossKind::MeanSquaredError => key("Mean squared error"),
        }
    }

    /// Units of the output layer for `classes` classes.
    pub fn outputs(self, classes: usize) -> usize {
        match self {
            LossKind::BinaryCrossEntropy => 1,
            LossKind::CrossEntropy | LossKind::MeanSquaredError => classes,
        }
    }
}

/// Side length and channel count of the (square) input images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputShape {
    /// Width and height in pixels.
    pub size: usize,
    /// 1 for grey, 3 for RGB.
    pub channels: usize,
}

/// One hidden layer of the stack.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layer {
    /// 2-D convolution followed by an optional batch norm and an activation.
    Conv {
        /// Output channels.
        filters: usize,
        /// Kernel side length.
        kernel: usize,
        /// Step between kernel positions.
        stride: usize,
        /// Zero pixels added on each side (0 is "valid" padding).
        padding: usize,
        /// Non-linearity after the convolution.
        activation: Activation,
        /// Batch normalisation before the activation.
        batch_norm: bool,
    },
    /// Max or average pooling over `size`×`size` windows with stride `size`.
    Pool {
        /// Which reduction.
        pool: PoolKind,
        /// Window side length.
        size: usize,
    },
    /// Fully connected layer; flattens an image first.
    Dense {
        /// Output units.
        units: usize,
        /// Non-linearity after the layer.
        activation: Activation,
        /// Batch normalisation before the activation.
        batch_norm: bool,
    },
    /// Zeroes each value with probability `p` while training.
    Dropout {
        /// Drop probability in `[0, 0.9]`.
        p: f64,
    },
}

impl Layer {
    /// A conv layer with the usual defaults: stride 1, valid padding, ReLU, no batch norm.
    pub fn conv(filters: usize, kernel: usize) -> Self {
        Layer::Conv {
            filters,
            kernel,
            stride: 1,
            padding: 0,
            activation: Activation::Relu,
            batch_norm: false,
        }
    }

    /// A max-pool layer.
    pub fn max_pool(size: usize) -> Self {
        Layer::Pool {
            pool: PoolKind::Max,
            size,
        }
    }

    /// A dense layer with ReLU and no batch norm.
    pub fn dense(units: usize) -> Self {
        Layer::Dense {
            units,
            activation: Activation::Relu,
            batch_norm: false,
        }
    }
}

/// Non-linearities offered after conv and dense layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// max(0, x)
    Relu,
    /// Gaussian error linear unit.
    Gelu,
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
}

link_names!(Activation, "activation", {
    Relu => "relu",
    Gelu => "gelu",
    Tanh => "tanh",
    Sigmoid => "sigmoid",
});

/// Pooling reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolKind {
    /// Largest value in the window.
    Max,
    /// Mean of the window.
    Avg,
}

/// Optimizer, learning rate, schedule and weight decay.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    /// The update rule.
    pub kind: OptimizerKind,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// How the learning rate changes over the run.
    pub schedule: Schedule,
    /// Steps of linear warm-up from 0 to the peak rate; 0 for none.
    pub warmup_steps: usize,
    /// L2 penalty (decoupled for AdamW).
    pub weight_decay: f64,
    /// Momentum of SGD + momentum (records kept before it was a setting read 0.9).
    #[serde(default = "default_momentum")]
    pub momentum: f64,
}

fn default_momentum() -> f64 {
    0.9
}

/// The update rules on offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// Plain stochastic gradient descent.
    Sgd,
    /// SGD with momentum ([`OptimizerConfig::momentum`]).
    Momentum,
    /// SGD with Nesterov momentum: the gradient is taken where the momentum is carrying the
    /// weights, which damps overshooting.
    Nesterov,
    /// RMSprop: each weight's step is scaled by a running average of its squared gradients
    /// (smoothing 0.99, no momentum — PyTorch's defaults).
    RmsProp,
    /// Adam.
    Adam,
    /// Adam with decoupled weight decay.
    AdamW,
}

link_names!(OptimizerKind, "optimizer", {
    Sgd => "sgd",
    Momentum => "momentum",
    Nesterov => "nesterov",
    RmsProp => "rmsprop",
    Adam => "adam",
    AdamW => "adamw",
});

/// Learning-rate schedule after warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// The peak rate throughout.
    Constant,
    /// Multiply by `factor` every `every_epochs` epochs.
    Step {
        /// Epochs between drops.
        every_epochs: usize,
        /// Multiplier at each drop, in (0, 1].
        factor: f64,
    },
    /// Cosine decay from the peak rate to 0 over the run.
    Cosine,
}

impl OptimizerConfig {
    /// Learning rate at `step` (0-based) of a run of `total_steps` with `steps_per_epoch`.
    pub fn learning_rate_at(&self, step: usize, steps_per_epoch: usize, total_steps: usize) -> f64 {
        let peak = self.learning_rate;
        if step < self.warmup_steps {
            return peak * (step + 1) as f64 / self.warmup_steps as f64;
        }
        match self.schedule {
            Schedule::Constant => peak,
            Schedule::Step {
                every_epochs,
                factor,
            } => {
                let epoch = step / steps_per_epoch.max(1);
                peak * factor.powi((epoch / every_epochs.max(1)) as i32)
            }
            Schedule::Cosine => {
                let span = total_steps.saturating_sub(self.warmup_steps).max(1) as f64;
                let t = (step - self.warmup_steps) as f64 / span;
                peak * 0.5 * (1.0 + (std::f64::consts::PI * t.min(1.0)).cos())
            }
        }
    }
}

/// Random changes applied to each training image (never to validation or test images).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Augmentation {
    /// Mirror left-right with probability ½.
    pub flip: bool,
    /// Translate by up to this many pixels in x and y, filling with zeros: a random crop of
    /// the image padded by this many pixels.
    pub shift: usize,
    /// Rotate by a random angle of up to this many degrees either way, about the centre
    /// (bilinear, filling with zeros). Records kept before it existed read 0.
    #[serde(default)]
    pub rotate: f64,
    /// Standard deviation of Gaussian noise added to normalised pixels.
    pub noise: f64,
}

impl Augmentation {
    /// Whether any change is applied.
    pub fn is_on(&self) -> bool {
        self.flip || self.shift > 0 || self.rotate > 0.0 || self.noise > 0.0
    }
}

/// Which compute backend a run asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendPreference {
    /// WebGPU when the browser offers an adapter, otherwise the CPU.
    Auto,
    /// WebGPU only.
    Webgpu,
    /// Burn's CPU backend.
    Cpu,
}

link_names!(BackendPreference, "preference", {
    Auto => "auto",
    Webgpu => "webgpu",
    Cpu => "cpu",
});

/// Hard limits that keep a browser tab alive; every one is named in its error message.
pub mod limits {
    /// Largest σ of a normal initialisation (beyond it every activation saturates or explodes).
    pub const MAX_INIT_STD: f64 = 10.0;
    /// Most hidden layers in a stack.
    pub const MAX_LAYERS: usize = 24;
    /// Largest input side length in pixels.
    pub const MAX_INPUT_SIZE: usize = 128;
    /// Most conv filters or dense units in one layer.
    pub const MAX_WIDTH: usize = 1024;
    /// Largest conv kernel or pool window.
    pub const MAX_KERNEL: usize = 11;
    /// Largest conv stride.
    pub const MAX_STRIDE: usize = 4;
    /// Most trainable parameters.
    pub const MAX_PARAMS: u64 = 5_000_000;
    /// Most memory a training step may need (activations, gradients, optimizer state).
    pub const MAX_TRAINING_BYTES: u64 = 1 << 30;
    /// Largest batch.
    pub const MAX_BATCH_SIZE: usize = 1024;
    /// Most epochs.
    pub const MAX_EPOCHS: usize = 100;
    /// Largest learning rate accepted (large values are allowed on purpose: divergence is a lesson).
    pub const MAX_LEARNING_RATE: f64 = 100.0;
    /// Most warm-up steps.
    pub const MAX_WARMUP_STEPS: usize = 100_000;
    /// Largest shift augmentation in pixels.
    pub const MAX_SHIFT: usize = 8;
    /// Largest label smoothing α (at 1 every target is uniform and nothing is learned).
    pub const MAX_LABEL_SMOOTHING: f64 = 0.5;
    /// Largest rotation augmentation, degrees either way.
    pub const MAX_ROTATE: f64 = 180.0;
    /// Largest noise augmentation (standard deviations of a normalised pixel).
    pub const MAX_NOISE: f64 = 1.0;
    /// Largest dropout probability.
    pub const MAX_DROPOUT: f64 = 0.9;
    /// Most early-stopping patience in epochs.
    pub const MAX_PATIENCE: usize = 100;
    /// Smallest learning-rate fraction of transferred layers (below it they are as good as
    /// frozen, which `freeze` says more plainly).
    pub const MIN_TRANSFER_RATE: f64 = 0.001;
    /// Largest σ of the test noise, in pixel units.
    pub const MAX_TEST_NOISE: f64 = 1.0;
    /// Largest FGSM ε, in pixel units (at 0.5 every pixel can be turned to grey).
    pub const MAX_EPSILON: f64 = 0.5;
    /// Highest distillation temperature.
    pub const MAX_TEMPERATURE: f64 = 20.0;
    /// Longest dataset id.
    pub const MAX_DATASET_ID: usize = 32;
}

impl Default for RunConfig {
    /// The reference CNN on MNIST: conv 8@3×3, pool 2, conv 16@3×3, pool 2, dense 64, Adam 1e-3.
    fn default() -> Self {
        Self {
            dataset: "mnist".into(),
            input: InputShape {
                size: 28,
                channels: 1,
            },
            layers: vec![
                Layer::conv(8, 3),
                Layer::max_pool(2),
                Layer::conv(16, 3),
                Layer::max_pool(2),
                Layer::dense(64),
            ],
            init: Initialisation::default(),
            optimizer: OptimizerConfig {
                kind: OptimizerKind::Adam,
                learning_rate: 1e-3,
                schedule: Schedule::Constant,
                warmup_steps: 0,
                weight_decay: 0.0,
                momentum: default_momentum(),
            },
            batch_size: 64,
            epochs: 2,
            validation_fraction: 0.1,
            augmentation: Augmentation::default(),
            patience: 0,
            label_smoothing: 0.0,
            loss: LossKind::CrossEntropy,
            transfer: Transfer::default(),
            distill: Distillation::default(),
            robustness: Robustness::default(),
            workers: 0,
            seed: 7,
            backend: BackendPreference::Auto,
        }
    }
}
