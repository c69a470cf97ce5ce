//! One description per setting: its link key, its names, whether a teacher can hide or lock it,
//! its type and range, and how it reads, writes, parses and prints a [`RunConfig`].
//!
//! The link codec (`url`), the classroom's hide/lock lists, typed config errors, the compare
//! rows, the sweep axes, the CSV columns and the training form all read [`SETTINGS`], so a new
//! option is one entry here (TensorFlow Playground's `State.PROPS` list, with Rust types).
//! Layers, input, schedule and augmentation have codecs of their own ([`Kind::Codec`]) but are
//! entries all the same; the sweep and compression panels are entries without a value
//! ([`Kind::Panel`]) so that a link can hide or lock them.

use serde::{Deserialize, Serialize};

use crate::config::{
    Augmentation, BackendPreference, InitScheme, LossKind, OptimizerKind, RunConfig, Schedule,
    StartFrom, limits,
};
use crate::i18n::{Lang, Message, ToMessage, key};
use crate::msg;
use crate::notation::{clip, float_text, layers_to_string, parse_layers};
use crate::tr;

/// A setting of a run, or a panel of the page a link can hide or lock. Named by its link key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Setting {
    /// The dataset choice and the user's own images (`ds`).
    Dataset,
    /// Input size and colour (`in`).
    Input,
    /// The layer stack (`layers`).
    Layers,
    /// Optimizer (`opt`).
    Optimizer,
    /// Peak learning rate (`lr`).
    LearningRate,
    /// Learning-rate schedule (`sched`).
    Schedule,
    /// Warm-up steps (`warm`).
    Warmup,
    /// Weight decay (`wd`).
    WeightDecay,
    /// SGD's momentum (`mom`).
    Momentum,
    /// Batch size (`bs`).
    BatchSize,
    /// Epochs (`ep`).
    Epochs,
    /// Validation share (`val`).
    Validation,
    /// Flip, shift and noise (`aug`).
    Augmentation,
    /// Early-stopping patience (`pat`).
    Patience,
    /// The loss and the output layer it needs (`loss`).
    Loss,
    /// Label smoothing of the training loss (`ls`).
    LabelSmoothing,
    /// Seed (`seed`).
    Seed,
    /// Weight-initialisation scheme (`init`).
    Init,
    /// σ of the normal initialisation (`isd`).
    InitStd,
    /// The trained model a run starts from (`start`).
    Start,
    /// Layers kept fixed from the start (`freeze`).
    Freeze,
    /// Learning-rate fraction of the transferred layers (`tlr`).
    TransferRate,
    /// The teacher a run is distilled from (`teacher`).
    Teacher,
    /// Distillation temperature (`temp`).
    Temperature,
    /// Weight of the teacher's soft targets (`alpha`).
    DistillWeight,
    /// σ of the noise robustness is measured under (`noise`).
    TestNoise,
    /// ε of the FGSM attack (`eps`).
    Epsilon,
    /// Share of each batch trained on attacked images (`adv`).
    Adversarial,
    /// Backend choice (`be`).
    Backend,
    /// CPU workers a run is split over (`workers`).
    Workers,
    /// The sweep panel (`sweep`).
    Sweep,
    /// Compressing a trained model (`compress`).
    Compress,
}

/// Where the page shows a setting's control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The data panel (dataset, own images' size and colour).
    Data,
    /// The model editor.
    Model,
    /// The training form, in the settings table's order.
    Training,
    /// The robustness panel (test noise, attack, adversarial training).
    Robustness,
    /// A panel of its own (sweep, compression).
    Panel,
}

/// Whether a link always writes a setting, or only when it differs from the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InLink {
    /// Always: the keys that make a link readable on its own (`ds`, `layers`, `lr`, …).
    Always,
    /// Only when it is not the default value.
    WhenChanged,
}

/// A setting's type, range, and how it reads and writes a config.
pub enum Kind {
    /// A whole number in `min..=max`.
    Whole {
        /// Smallest accepted.
        min: u64,
        /// Largest accepted.
        max: u64,
        /// The unit a range message names (a translation key), if any.
        unit: Option<&'static str>,
        /// Reads it.
        get: fn(&RunConfig) -> u64,
        /// Writes it.
        set: fn(&mut RunConfig, u64),
    },
    /// A number in `min..=max`; with `above_min`, `min` itself is refused.
    Number {
        /// Lower bound.
        min: f64,
        /// Largest accepted.
        max: f64,
        /// Whether `min` is excluded (a learning rate must be above 0).
        above_min: bool,
        /// Reads it.
        get: fn(&RunConfig) -> f64,
        /// Writes it.
        set: fn(&mut RunConfig, f64),
    },
    /// One of named choices: `(name in links, label in the form)` pairs.
    Choice {
        /// What one of them is, for the message about a name that is none of them (a
        /// translation key): `an optimizer`.
        what: &'static str,
        /// The choices, in the order the form lists them.
        choices: &'static [(&'static str, &'static str)],
        /// The current choice's name.
        get: fn(&RunConfig) -> &'static str,
        /// Sets the choice named so; false for an unknown name.
        set: fn(&mut RunConfig, &str) -> bool,
    },
    /// A value with a notation of its own.
    Codec {
        /// Its link form.
        print: fn(&RunConfig) -> String,
        /// Reads its link form into the config; the message says what is accepted.
        parse: fn(&mut RunConfig, &str) -> Result<(), Message>,
        /// Its value in words, for the runs table's "changed" column.
        describe: fn(&RunConfig, Lang) -> String,
    },
    /// A panel of the page: no value in the config.
    Panel,
}

/// The description of one [`Setting`].
pub struct Spec {
    /// Which setting.
    pub setting: Setting,
    /// Its key in links and in `hide=` / `lock=` lists.
    pub key: &'static str,
    /// Its name inside sentences (a translation key): `batch size`.
    pub name: &'static str,
    /// Its label on a control (a translation key): `Batch size`.
    pub label: &'static str,
    /// When a link writes it.
    pub in_link: InLink,
    /// Its column in the runs table's CSV, if it has one.
    pub csv: Option<&'static str>,
    /// The values the sweep form suggests for it, when a sweep can vary it.
    pub sweep: Option<&'static str>,
    /// Where the page shows its control.
    pub place: Place,
    /// A short help under its field (a translation key), if any.
    pub hint: Option<&'static str>,
    /// Its type and codec.
    pub kind: Kind,
}

/// Every setting, in the order links write them and the teacher panel lists them.
pub static SETTINGS: [Spec; 32] = [
    Spec {
        setting: Setting::Dataset,
        key: "ds",
        name: key("dataset"),
        label: key("Dataset"),
        in_link: InLink::Always,
        csv: Some("dataset"),
        sweep: None,
        place: Place::Data,
        hint: None,
        kind: Kind::Codec {
            print: |c| c.dataset.clone(),
            parse: |c, v| {
                c.dataset = clip(v);
                Ok(())
            },
            describe: |c, _| c.dataset.clone(),
        },
    },
    Spec {
        setting: Setting::Input,
        key: "in",
        name: key("input"),
        label: key("Image size and colour"),
        in_link: InLink::Always,
        csv: None,
        sweep: None,
        place: Place::Data,
        hint: None,
        kind: Kind::Codec {
            print: |c| format!("{}x{}", c.input.size, c.input.channels),
            parse: |c, v| {
                let (size, channels) = v.split_once('x').ok_or_else(|| {
                    key("the input is written SIZExCHANNELS, e.g. 28x1 or 32x3").to_string()
                })?;
                c.input.size = whole(size, limits::MAX_INPUT_SIZE as u64)? as usize;
                c.input.channels = whole(channels, 3)? as usize;
                Ok(())
            },
            describe: |c, lang| {
                let colour = if c.input.channels == 3 {
                    lang.text("colour")
                } else {
                    lang.text("grey")
                };
                tr!(
                    lang,
                    "{size}×{size} {colour}",
                    size = c.input.size,
                    colour = colour
                )
            },
        },
    },
    Spec {
        setting: Setting::Layers,
        key: "layers",
        name: key("layers"),
        label: key("Model (layers)"),
        in_link: InLink::Always,
        csv: Some("layers"),
        sweep: None,
        place: Place::Model,
        hint: None,
        kind: Kind::Codec {
            print: |c| layers_to_string(&c.layers),
            parse: |c, v| {
                c.layers = parse_layers(v)?;
                Ok(())
            },
            describe: |c, _| layers_to_string(&c.layers),
        },
    },
    Spec {
        setting: Setting::Optimizer,
        key: "opt",
        name: key("optimizer"),
        label: key("Optimizer"),
        in_link: InLink::Always,
        csv: Some("optimizer"),
        sweep: Some("sgd, adam"),
        place: Place::Training,
        hint: None,
        kind: Kind::Choice {
            what: key("an optimizer"),
            choices: &[
                ("sgd", "SGD"),
                ("momentum", key("SGD + momentum")),
                ("nesterov", key("SGD + Nesterov momentum")),
                ("rmsprop", "RMSprop"),
                ("adam", "Adam"),
                ("adamw", "AdamW"),
            ],
            get: |c| c.optimizer.kind.name(),
            set: |c, v| {
                OptimizerKind::from_name(v)
                    .map(|k| c.optimizer.kind = k)
                    .is_some()
            },
        },
    },
    Spec {
        setting: Setting::LearningRate,
        key: "lr",
        name: key("learning rate"),
        label: key("Learning rate"),
        in_link: InLink::Always,
        csv: Some("learning_rate"),
        sweep: Some("0.0003, 0.001, 0.003"),
        place: Place::Training,
        hint: None,
        kind: Kind::Number {
            min: 0.0,
            max: limits::MAX_LEARNING_RATE,
            above_min: true,
            get: |c| c.optimizer.learning_rate,
            set: |c, x| c.optimizer.learning_rate = x,
        },
    },
    Spec {
        setting: Setting::Schedule,
        key: "sched",
        name: key("schedule"),
        label: key("Schedule"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: None,
        place: Place::Training,
        hint: None,
        kind: Kind::Codec {
            print: |c| match c.optimizer.schedule {
                Schedule::Constant => "const".to_string(),
                Schedule::Cosine => "cos".to_string(),
                Schedule::Step {
                    every_epochs,
                    factor,
                } => format!("step:{every_epochs}:{}", float_text(factor)),
            },
            parse: |c, v| {
                c.optimizer.schedule = parse_schedule(v)?;
                Ok(())
            },
            describe: |c, lang| schedule_words(c.optimizer.schedule, lang),
        },
    },
    Spec {
        setting: Setting::Warmup,
        key: "warm",
        name: key("warm-up"),
        label: key("Warm-up steps"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: None,
        place: Place::Training,
        hint: None,
        kind: Kind::Whole {
            min: 0,
            max: limits::MAX_WARMUP_STEPS as u64,
            unit: Some(key("steps")),
            get: |c| c.optimizer.warmup_steps as u64,
            set: |c, n| c.optimizer.warmup_steps = n as usize,
        },
    },
    Spec {
        setting: Setting::WeightDecay,
        key: "wd",
        name: key("weight decay"),
        label: key("Weight decay (L2)"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: Some("0, 0.0001, 0.001"),
        place: Place::Training,
        hint: None,
        kind: Kind::Number {
            min: 0.0,
            max: 1.0,
            above_min: false,
            get: |c| c.optimizer.weight_decay,
            set: |c, x| c.optimizer.weight_decay = x,
        },
    },
    Spec {
        setting: Setting::Momentum,
        key: "mom",
        name: key("momentum"),
        label: key("Momentum"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: Some("0.5, 0.9, 0.99"),
        place: Place::Training,
        hint: Some(key("SGD + momentum and Nesterov only")),
        kind: Kind::Number {
            min: 0.0,
            max: 0.999,
            above_min: false,
            get: |c| c.optimizer.momentum,
            set: |c, x| c.optimizer.momentum = x,
        },
    },
    Spec {
        setting: Setting::BatchSize,
        key: "bs",
        name: key("batch size"),
        label: key("Batch size"),
        in_link: InLink::Always,
        csv: Some("batch_size"),
        sweep: Some("32, 64, 128"),
        place: Place::Training,
        hint: None,
        kind: Kind::Whole {
            min: 1,
            max: limits::MAX_BATCH_SIZE as u64,
            unit: None,
            get: |c| c.batch_size as u64,
            set: |c, n| c.batch_size = n as usize,
        },
    },
    Spec {
        setting: Setting::Epochs,
        key: "ep",
        name: key("epochs"),
        label: key("Epochs"),
        in_link: InLink::Always,
        csv: Some("epochs"),
        sweep: None,
        place: Place::Training,
        hint: None,
        kind: Kind::Whole {
            min: 1,
            max: limits::MAX_EPOCHS as u64,
            unit: None,
            get: |c| c.epochs as u64,
            set: |c, n| c.epochs = n as usize,
        },
    },
    Spec {
        setting: Setting::Validation,
        key: "val",
        name: key("validation fraction"),
        label: key("Validation share"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: None,
        place: Place::Training,
        hint: Some(key("0.05 to 0.5 of the training images")),
        kind: Kind::Number {
            min: 0.05,
            max: 0.5,
            above_min: false,
            get: |c| c.validation_fraction,
            set: |c, x| c.validation_fraction = x,
        },
    },
    Spec {
        setting: Setting::Augmentation,
        key: "aug",
        name: key("augmentation"),
        label: key("Flip, shift and noise"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: None,
        place: Place::Training,
        hint: None,
        kind: Kind::Codec {
            print: |c| augmentation_text(&c.augmentation),
            parse: |c, v| {
                c.augmentation = parse_augmentation(v)?;
                Ok(())
            },
            describe: |c, lang| augmentation_words(&c.augmentation, lang),
        },
    },
    Spec {
        setting: Setting::Patience,
        key: "pat",
        name: key("early stopping patience"),
        label: key("Early stopping patience"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: None,
        place: Place::Training,
        hint: Some(key("epochs; 0 is off")),
        kind: Kind::Whole {
            min: 0,
            max: limits::MAX_PATIENCE as u64,
            unit: Some(key("epochs")),
            get: |c| c.patience as u64,
            set: |c, n| c.patience = n as usize,
        },
    },
    Spec {
        setting: Setting::Loss,
        key: "loss",
        name: key("loss"),
        label: key("Loss and output"),
        in_link: InLink::WhenChanged,
        csv: Some("loss"),
        sweep: Some("ce, mse"),
        place: Place::Training,
        hint: Some(key(
            "Binary cross-entropy: one sigmoid output, two classes only",
        )),
        kind: Kind::Choice {
            what: key("a loss"),
            choices: &[
                ("ce", key("Cross-entropy (softmax)")),
                ("bce", key("Binary cross-entropy (one sigmoid output)")),
                ("mse", key("Mean squared error (softmax)")),
            ],
            get: |c| c.loss.name(),
            set: |c, v| LossKind::from_name(v).map(|l| c.loss = l).is_some(),
        },
    },
    Spec {
        setting: Setting::LabelSmoothing,
        key: "ls",
        name: key("label smoothing"),
        label: key("Label smoothing"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: Some("0, 0.1, 0.2"),
        place: Place::Training,
        hint: Some(key("Aims at 1 − α on the true class; 0 is off")),
        kind: Kind::Number {
            min: 0.0,
            max: limits::MAX_LABEL_SMOOTHING,
            above_min: false,
            get: |c| c.label_smoothing,
            set: |c, x| c.label_smoothing = x,
        },
    },
    Spec {
        setting: Setting::Seed,
        key: "seed",
        name: key("seed"),
        label: key("Seed"),
        in_link: InLink::Always,
        csv: None,
        sweep: None,
        place: Place::Training,
        hint: None,
        kind: Kind::Whole {
            min: 0,
            max: u64::MAX,
            unit: None,
            get: |c| c.seed,
            set: |c, n| c.seed = n,
        },
    },
    Spec {
        setting: Setting::Init,
        key: "init",
        name: key("initialisation"),
        label: key("Initialisation"),
        in_link: InLink::WhenChanged,
        csv: Some("init"),
        sweep: Some("default, he, zeros"),
        place: Place::Training,
        hint: Some(key("How the weights start; zeros never break the symmetry")),
        kind: Kind::Choice {
            what: key("an initialisation"),
            choices: &[
                ("default", key("Burn's default (Kaiming-uniform)")),
                ("xavier", key("Glorot / Xavier")),
                ("he", key("He / Kaiming")),
                ("normal", key("Normal, σ below")),
                ("zeros", key("Zeros")),
            ],
            get: |c| c.init.scheme.name(),
            set: |c, v| {
                InitScheme::from_name(v)
                    .map(|s| c.init.scheme = s)
                    .is_some()
            },
        },
    },
    Spec {
        setting: Setting::InitStd,
        key: "isd",
        name: key("initial σ"),
        label: key("Initial σ"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: Some("0.01, 0.1, 1"),
        place: Place::Training,
        hint: Some(key("Normal initialisation only")),
        kind: Kind::Number {
            min: 0.0,
            max: limits::MAX_INIT_STD,
            above_min: true,
            get: |c| c.init.std,
            set: |c, x| c.init.std = x,
        },
    },
    Spec {
        setting: Setting::Start,
        // Not `from`: WeChat appends `&from=singlemessage` to every link it passes on.
        key: "start",
        name: key("starting weights"),
        label: key("Start from"),
        in_link: InLink::WhenChanged,
        csv: Some("start"),
        sweep: None,
        place: Place::Model,
        hint: None,
        kind: Kind::Codec {
            print: |c| c.transfer.from.link_form(),
            parse: |c, v| {
                c.transfer.from = StartFrom::parse(v)?;
                Ok(())
            },
            describe: |c, lang| start_words(&c.transfer.from, lang),
        },
    },
    Spec {
        setting: Setting::Freeze,
        key: "freeze",
        name: key("frozen layers"),
        label: key("Freeze the first layers"),
        in_link: InLink::WhenChanged,
        csv: Some("freeze"),
        sweep: Some("0, 1, 3"),
        place: Place::Model,
        hint: Some(key(
            "They keep the starting weights; 0 fine-tunes every layer",
        )),
        kind: Kind::Whole {
            min: 0,
            max: limits::MAX_LAYERS as u64,
            unit: Some(key("layers")),
            get: |c| c.transfer.freeze as u64,
            set: |c, n| c.transfer.freeze = n as usize,
        },
    },
    Spec {
        setting: Setting::TransferRate,
        key: "tlr",
        name: key("transferred layers' rate"),
        label: key("Rate of transferred layers (× lr)"),
        in_link: InLink::WhenChanged,
        csv: Some("transfer_lr"),
        sweep: Some("1, 0.1"),
        place: Place::Model,
        hint: Some(key(
            "1 trains them like the new layers; 0.1 moves them ten times slower",
        )),
        kind: Kind::Number {
            min: limits::MIN_TRANSFER_RATE,
            max: 1.0,
            above_min: false,
            get: |c| c.transfer.rate,
            set: |c, x| c.transfer.rate = x,
        },
    },
    Spec {
        setting: Setting::Teacher,
        key: "teacher",
        name: key("teacher"),
        label: key("Teacher"),
        in_link: InLink::WhenChanged,
        csv: Some("teacher"),
        sweep: None,
        place: Place::Model,
        hint: None,
        kind: Kind::Codec {
            print: |c| match &c.distill.teacher {
                StartFrom::Scratch => "none".into(),
                teacher => teacher.link_form(),
            },
            parse: |c, v| {
                c.distill.teacher = match v {
                    "none" => StartFrom::Scratch,
                    _ => StartFrom::parse(v)?,
                };
                Ok(())
            },
            describe: |c, lang| match &c.distill.teacher {
                StartFrom::Scratch => lang.text("none").to_string(),
                teacher => start_words(teacher, lang),
            },
        },
    },
    Spec {
        setting: Setting::Temperature,
        key: "temp",
        name: key("temperature"),
        label: key("Temperature T"),
        in_link: InLink::WhenChanged,
        csv: Some("temperature"),
        sweep: Some("1, 4, 10"),
        place: Place::Model,
        hint: Some(key("Softens both models' outputs; 1 is the plain softmax")),
        kind: Kind::Number {
            min: 1.0,
            max: limits::MAX_TEMPERATURE,
            above_min: false,
            get: |c| c.distill.temperature,
            set: |c, x| c.distill.temperature = x,
        },
    },
    Spec {
        setting: Setting::DistillWeight,
        key: "alpha",
        name: key("weight of the teacher"),
        label: key("Weight of the teacher α"),
        in_link: InLink::WhenChanged,
        csv: Some("distill_alpha"),
        sweep: Some("0.3, 0.7, 1"),
        place: Place::Model,
        hint: Some(key(
            "1 learns from the teacher only, 0 from the labels only",
        )),
        kind: Kind::Number {
            min: 0.0,
            max: 1.0,
            above_min: false,
            get: |c| c.distill.alpha,
            set: |c, x| c.distill.alpha = x,
        },
    },
    Spec {
        setting: Setting::TestNoise,
        key: "noise",
        name: key("test noise"),
        label: key("Test noise σ"),
        in_link: InLink::WhenChanged,
        csv: Some("test_noise"),
        sweep: None,
        place: Place::Robustness,
        hint: Some(key(
            "Pixels 0 to 1; the test images are measured again with this noise",
        )),
        kind: Kind::Number {
            min: 0.0,
            max: limits::MAX_TEST_NOISE,
            above_min: false,
            get: |c| c.robustness.noise,
            set: |c, x| c.robustness.noise = x,
        },
    },
    Spec {
        setting: Setting::Epsilon,
        key: "eps",
        name: key("attack strength"),
        label: key("Attack ε (FGSM)"),
        in_link: InLink::WhenChanged,
        csv: Some("fgsm_epsilon"),
        sweep: None,
        place: Place::Robustness,
        hint: Some(key(
            "How far each pixel may move to fool the model (0 to 1)",
        )),
        kind: Kind::Number {
            min: 0.0,
            max: limits::MAX_EPSILON,
            above_min: false,
            get: |c| c.robustness.epsilon,
            set: |c, x| c.robustness.epsilon = x,
        },
    },
    Spec {
        setting: Setting::Adversarial,
        key: "adv",
        name: key("adversarial training"),
        label: key("Adversarial training"),
        in_link: InLink::WhenChanged,
        csv: Some("adversarial"),
        sweep: Some("0, 0.5"),
        place: Place::Robustness,
        hint: Some(key(
            "Share of each batch replaced by its attacked images; 0 is off",
        )),
        kind: Kind::Number {
            min: 0.0,
            max: 1.0,
            above_min: false,
            get: |c| c.robustness.adversarial,
            set: |c, x| c.robustness.adversarial = x,
        },
    },
    Spec {
        setting: Setting::Backend,
        key: "be",
        name: key("backend"),
        label: key("Backend"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: None,
        place: Place::Training,
        hint: None,
        kind: Kind::Choice {
            what: key("a backend"),
            choices: &[("auto", key("Auto")), ("webgpu", "WebGPU"), ("cpu", "CPU")],
            get: |c| c.backend.name(),
            set: |c, v| {
                BackendPreference::from_name(v)
                    .map(|b| c.backend = b)
                    .is_some()
            },
        },
    },
    Spec {
        setting: Setting::Workers,
        key: "workers",
        name: key("CPU workers"),
        label: key("CPU workers"),
        in_link: InLink::WhenChanged,
        // The CSV has the workers a run actually used (a result column), not this setting's 0.
        csv: None,
        sweep: Some("1, 2"),
        place: Place::Training,
        hint: Some(key(
            "Cores that train one run together on the CPU, each on its share of every batch; 0 picks your cores minus one",
        )),
        kind: Kind::Whole {
            min: 0,
            max: crate::parallel::MAX_WORKERS as u64,
            unit: None,
            get: |c| c.workers as u64,
            set: |c, x| c.workers = x as usize,
        },
    },
    Spec {
        setting: Setting::Sweep,
        key: "sweep",
        name: key("sweep"),
        label: key("Sweep"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: None,
        place: Place::Panel,
        hint: None,
        kind: Kind::Panel,
    },
    Spec {
        setting: Setting::Compress,
        key: "compress",
        name: key("compression"),
        label: key("Compression"),
        in_link: InLink::WhenChanged,
        csv: None,
        sweep: None,
        place: Place::Panel,
        hint: None,
        kind: Kind::Panel,
    },
];

impl Setting {
    /// Every setting, in [`SETTINGS`] order.
    pub fn all() -> impl Iterator<Item = Setting> {
        SETTINGS.iter().map(|s| s.setting)
    }

    /// Its description.
    pub fn spec(self) -> &'static Spec {
        SETTINGS
            .iter()
            .find(|s| s.setting == self)
            .expect("every setting has an entry in SETTINGS")
    }

    /// Its key in links.
    pub fn key(self) -> &'static str {
        self.spec().key
    }

    /// The setting whose link key is `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        SETTINGS.iter().find(|s| s.key == key).map(|s| s.setting)
    }
}

impl Spec {
    /// Its value in the link form; `None` for a panel.
    pub fn print(&self, config: &RunConfig) -> Option<String> {
        Some(match &self.kind {
            Kind::Whole { get, .. } => get(config).to_string(),
            Kind::Number { get, .. } => float_text(get(config)),
            Kind::Choice { get, .. } => get(config).to_string(),
            Kind::Codec { print, .. } => print(config),
            Kind::Panel => return None,
        })
    }

    /// Whether a link of `config` writes it.
    pub fn in_link_of(&self, config: &RunConfig) -> bool {
        match (self.in_link, self.print(config)) {
            (_, None) => false,
            (InLink::Always, Some(_)) => true,
            (InLink::WhenChanged, Some(value)) => Some(value) != self.print(&RunConfig::default()),
        }
    }

    /// Reads its link form into `config`. Numbers are only checked for being numbers here
    /// (the range is the validator's); the message says what is accepted.
    pub fn parse(&self, config: &mut RunConfig, value: &str) -> Result<(), Message> {
        match &self.kind {
            Kind::Whole { max, set, .. } => set(config, whole(value, *max)?),
            Kind::Number { set, .. } => set(config, number(value)?),
            Kind::Choice {
                what, choices, set, ..
            } => {
                if !set(config, value) {
                    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                    return Err(msg!(
                        "'{}' is not {what} ({})",
                        clip(value),
                        names.join(", "),
                        what = what
                    ));
                }
            }
            Kind::Codec { parse, .. } => parse(config, value)?,
            Kind::Panel => return Err(msg!("'{}' is not a setting", self.key)),
        }
        Ok(())
    }

    /// Why its value in `config` is out of range, if it is (for numbers; the codecs' values
    /// are checked by the validator's own rules).
    pub fn range_problem(&self, config: &RunConfig) -> Option<Message> {
        match self.kind {
            Kind::Whole {
                min,
                max,
                unit,
                get,
                ..
            } => {
                let n = get(config);
                (n < min || n > max).then(|| match unit {
                    Some(unit) => msg!(
                        "must be {min} to {max} {unit}",
                        min = min,
                        max = max,
                        unit = unit
                    ),
                    None => msg!("must be {min} to {max}", min = min, max = max),
                })
            }
            Kind::Number {
                min,
                max,
                above_min,
                get,
                ..
            } => {
                let x = get(config);
                let low_ok = if above_min { x > min } else { x >= min };
                (!(x.is_finite() && low_ok && x <= max)).then(|| {
                    if above_min {
                        msg!(
                            "must be above {min} and at most {max}",
                            min = min,
                            max = max
                        )
                    } else {
                        msg!("must be {min} to {max}", min = min, max = max)
                    }
                })
            }
            _ => None,
        }
    }

    /// Its value in plain units, for a spreadsheet: numbers as numbers (`0.001`, not `1e-3`),
    /// choices by their name; `None` for a panel.
    pub fn plain(&self, config: &RunConfig) -> Option<String> {
        match &self.kind {
            Kind::Number { get, .. } => Some(get(config).to_string()),
            _ => self.print(config),
        }
    }

    /// What it accepts, in words: `a whole number from 1 to 1024`, `one of sgd, adam`.
    pub fn accepts(&self) -> Message {
        match &self.kind {
            Kind::Whole { min, max, .. } => {
                msg!("a whole number from {min} to {max}", min = min, max = max)
            }
            Kind::Number {
                min,
                max,
                above_min: true,
                ..
            } => msg!(
                "a number above {min} and at most {max}",
                min = min,
                max = max
            ),
            Kind::Number { min, max, .. } => {
                msg!("a number from {min} to {max}", min = min, max = max)
            }
            Kind::Choice { choices, .. } => {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                msg!("one of {}", names.join(", "))
            }
            Kind::Codec { .. } | Kind::Panel => Message::default(),
        }
    }

    /// Its value in `config` in words, as the runs table's "changed" column shows it; `None`
    /// for a panel.
    pub fn describe(&self, config: &RunConfig, lang: Lang) -> Option<String> {
        Some(match &self.kind {
            Kind::Whole { get, .. } => get(config).to_string(),
            Kind::Number { get, .. } => get(config).to_string(),
            Kind::Choice { choices, get, .. } => {
                let name = get(config);
                choices
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(name.to_string(), |(_, label)| lang.text(label).to_string())
            }
            Kind::Codec { describe, .. } => describe(config, lang),
            Kind::Panel => return None,
        })
    }
}

/// A whole number from 0 to `max` as a link writes it.
fn whole(value: &str, max: u64) -> Result<u64, Message> {
    match value.parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(msg!(
            "'{}' is not a whole number from 0 to {max}",
            clip(value),
            max = max
        )),
    }
}

/// A finite number as a link writes it.
fn number(value: &str) -> Result<f64, Message> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(msg!("'{}' is not a number", clip(value))),
    }
}

/// The augmentation's link form: `flip,shift2,rot15,noise0.1` (`none` when off).
/// A start in words, for the "changed" column and the runs table.
pub fn start_words(from: &StartFrom, lang: Lang) -> String {
    match from {
        StartFrom::Scratch => tr!(lang, "scratch"),
        StartFrom::Pretrained(id) => tr!(lang, "pretrained {id}", id = id),
        StartFrom::Run(n) => tr!(lang, "run {n}", n = n),
        StartFrom::File(name) => tr!(lang, "file {name}", name = name),
    }
}

fn augmentation_text(a: &Augmentation) -> String {
    let mut items = Vec::new();
    if a.flip {
        items.push("flip".to_string());
    }
    if a.shift != 0 {
        items.push(format!("shift{}", a.shift));
    }
    if a.rotate != 0.0 {
        items.push(format!("rot{}", float_text(a.rotate)));
    }
    if a.noise != 0.0 {
        items.push(format!("noise{}", float_text(a.noise)));
    }
    if items.is_empty() {
        "none".into()
    } else {
        items.join(",")
    }
}

/// The augmentation in words: `flip, shift 2 px, rotate ±15°, noise 0.1`, or `none`.
fn augmentation_words(a: &Augmentation, lang: Lang) -> String {
    let mut items = Vec::new();
    if a.flip {
        items.push(lang.text("flip").to_string());
    }
    if a.shift != 0 {
        items.push(tr!(lang, "shift {n} px", n = a.shift));
    }
    if a.rotate != 0.0 {
        items.push(tr!(lang, "rotate ±{x}°", x = a.rotate));
    }
    if a.noise != 0.0 {
        items.push(tr!(lang, "noise {x}", x = a.noise));
    }
    if items.is_empty() {
        lang.text("none").to_string()
    } else {
        items.join(", ")
    }
}

/// A schedule in words: `constant`, `cosine decay`, `×0.5 every epoch`, `×0.1 every 2 epochs`.
pub fn schedule_words(schedule: Schedule, lang: Lang) -> String {
    match schedule {
        Schedule::Constant => lang.text("constant").to_string(),
        Schedule::Cosine => lang.text("cosine decay").to_string(),
        Schedule::Step {
            every_epochs: 1,
            factor,
        } => tr!(lang, "×{factor} every epoch", factor = factor),
        Schedule::Step {
            every_epochs,
            factor,
        } => tr!(
            lang,
            "×{factor} every {n} epochs",
            factor = factor,
            n = every_epochs
        ),
    }
}

/// Reads a schedule's link form: `const`, `cos` or `step:EPOCHS:FACTOR`.
fn parse_schedule(value: &str) -> Result<Schedule, Message> {
    match value {
        "const" => Ok(Schedule::Constant),
        "cos" => Ok(Schedule::Cosine),
        _ => {
            let mut parts = value.split(':');
            let number = |v: &str| v.parse::<f64>().ok().filter(|x| x.is_finite());
            let whole = |v: &str| {
                v.parse::<u64>()
                    .ok()
                    .filter(|&n| n <= limits::MAX_EPOCHS as u64)
            };
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("step"), Some(every), Some(factor), None) => {
                    match (whole(every), number(factor)) {
                        (Some(every), Some(factor)) => Ok(Schedule::Step {
                            every_epochs: every as usize,
                            factor,
                        }),
                        (None, _) => {
                            let max = limits::MAX_EPOCHS;
                            Err(msg!(
                                "'{}' is not a whole number from 0 to {max}",
                                clip(every),
                                max = max
                            ))
                        }
                        (_, None) => Err(msg!("'{}' is not a number", clip(factor))),
                    }
                }
                _ => Err(msg!(
                    "'{}' is not a schedule (const, cos, or step:EPOCHS:FACTOR like step:2:0.5)",
                    clip(value)
                )),
            }
        }
    }
}

/// Reads an augmentation's link form: `flip,shift2,rot15,noise0.1`, or `none`.
fn parse_augmentation(value: &str) -> Result<Augmentation, Message> {
    let mut a = Augmentation::default();
    if value == "none" || value.is_empty() {
        return Ok(a);
    }
    for item in value.split(',').take(8) {
        if item == "flip" {
            a.flip = true;
        } else if let Some(n) = item.strip_prefix("shift") {
            a.shift = match n.parse::<usize>() {
                Ok(n) if n <= limits::MAX_SHIFT => n,
                _ => {
                    let max = limits::MAX_SHIFT;
                    return Err(msg!(
                        "'{}' is not a whole number from 0 to {max}",
                        clip(n),
                        max = max
                    ));
                }
            };
        } else if let Some(x) = item.strip_prefix("rot") {
            a.rotate = number(x)?;
        } else if let Some(x) = item.strip_prefix("noise") {
            a.noise = number(x)?;
        } else {
            return Err(msg!(
                "'{}' is not an augmentation (flip, shift2, rot15, noise0.1)",
                clip(item)
            ));
        }
    }
    Ok(a)
}

/// One problem with a config, tied to the setting it concerns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigError {
    /// The setting to change.
    pub setting: Setting,
    /// The whole sentence, starting with what it is about: `batch size: must be 1 to 1024`,
    /// `layer 3: the image is 1×1 here, …`.
    pub message: Message,
}

impl ConfigError {
    /// A problem with `setting` as a whole, named by its name ("batch size: …").
    pub fn new(setting: Setting, message: impl Into<Message>) -> Self {
        Self::about(setting, setting.spec().name, message)
    }

    /// A problem with one part of `setting`, named by `part` ("layer 3: …", "shift: …").
    pub fn about(setting: Setting, part: impl ToMessage, message: impl Into<Message>) -> Self {
        let message = message.into();
        Self {
            setting,
            message: msg!("{}: {}", part, message),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message.fmt(f)
    }
}

impl ToMessage for ConfigError {
    fn to_message(&self) -> Message {
        self.message.clone()
    }
}
