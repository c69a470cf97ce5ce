//! Validation: whether a config can run for a dataset's class count, with every problem named
//! by its setting and the limit that protects the browser tab.

use crate::config::{LossKind, RunConfig, Schedule, limits};
use crate::cost::{ModelCost, analyze};
use crate::i18n::{Message, key};
use crate::msg;
use crate::setting::{ConfigError, SETTINGS, Setting};

impl RunConfig {
    /// Checks every field and the layer stack for a dataset of `classes` classes.
    ///
    /// Returns the model's cost when the config can run, or every problem found.
    pub fn validate(&self, classes: usize) -> Result<ModelCost, Vec<ConfigError>> {
        use limits::*;
        // The number settings' ranges come from their entries in the settings table.
        let mut errors: Vec<ConfigError> = SETTINGS
            .iter()
            .filter_map(|spec| {
                let problem = spec.range_problem(self)?;
                Some(ConfigError::new(spec.setting, problem))
            })
            .collect();
        let mut check = |ok: bool, setting: Setting, part: &str, message: Message| {
            if !ok {
                errors.push(ConfigError::about(setting, part, message));
            }
        };
        check(
            !self.dataset.is_empty()
                && self.dataset.len() <= MAX_DATASET_ID
                && self
                    .dataset
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            Setting::Dataset,
            key("dataset"),
            msg!(
                "a dataset id is 1 to {MAX_DATASET_ID} lower-case letters, digits or '-'",
                MAX_DATASET_ID = MAX_DATASET_ID
            ),
        );
        check(
            (4..=MAX_INPUT_SIZE).contains(&self.input.size),
            Setting::Input,
            key("input size"),
            msg!(
                "must be 4 to {MAX_INPUT_SIZE} pixels",
                MAX_INPUT_SIZE = MAX_INPUT_SIZE
            ),
        );
        check(
            matches!(self.input.channels, 1 | 3),
            Setting::Input,
            key("input channels"),
            msg!("must be 1 (grey) or 3 (RGB)"),
        );
        if let Schedule::Step {
            every_epochs,
            factor,
        } = self.optimizer.schedule
        {
            check(
                (1..=MAX_EPOCHS).contains(&every_epochs),
                Setting::Schedule,
                key("schedule"),
                msg!(
                    "a step schedule drops every 1 to {MAX_EPOCHS} epochs",
                    MAX_EPOCHS = MAX_EPOCHS
                ),
            );
            check(
                factor.is_finite() && factor > 0.0 && factor <= 1.0,
                Setting::Schedule,
                key("schedule"),
                msg!("a step schedule's factor must be above 0 and at most 1"),
            );
        }
        check(
            self.augmentation.shift <= MAX_SHIFT,
            Setting::Augmentation,
            key("shift"),
            msg!("must be 0 to {MAX_SHIFT} pixels", MAX_SHIFT = MAX_SHIFT),
        );
        let rotate = self.augmentation.rotate;
        check(
            rotate.is_finite() && (0.0..=MAX_ROTATE).contains(&rotate),
            Setting::Augmentation,
            key("rotation"),
            msg!("must be 0 to {MAX_ROTATE} degrees", MAX_ROTATE = MAX_ROTATE),
        );
        let noise = self.augmentation.noise;
        check(
            noise.is_finite() && (0.0..=MAX_NOISE).contains(&noise),
            Setting::Augmentation,
            key("noise"),
            msg!("must be 0 to {MAX_NOISE}", MAX_NOISE = MAX_NOISE),
        );
        check(
            (2..=MAX_WIDTH).contains(&classes),
            Setting::Dataset,
            key("dataset"),
            msg!(
                "needs 2 to {MAX_WIDTH} classes, has {classes}",
                MAX_WIDTH = MAX_WIDTH,
                classes = classes
            ),
        );
        check(
            self.loss != LossKind::BinaryCrossEntropy || classes == 2,
            Setting::Loss,
            key("loss"),
            msg!(
                "binary cross-entropy has one sigmoid output, so it needs exactly two classes; this dataset has {classes}",
                classes = classes
            ),
        );
        check(
            self.transfer.freeze <= self.layers.len(),
            Setting::Freeze,
            key("frozen layers"),
            msg!(
                "the stack has {layers} layers, so at most {layers} can be frozen",
                layers = self.layers.len()
            ),
        );
        check(
            !self.distill.is_on() || self.loss != LossKind::BinaryCrossEntropy,
            Setting::Teacher,
            key("teacher"),
            msg!(
                "a student learns from its teacher's softmax, so it needs one softmax output per class, not binary cross-entropy's single sigmoid"
            ),
        );
        check(
            self.robustness.adversarial == 0.0 || self.robustness.epsilon > 0.0,
            Setting::Adversarial,
            key("adversarial training"),
            msg!("attacks with the attack's ε, so ε must be above 0"),
        );
        if !errors.is_empty() {
            // Layer analysis needs a sane input shape and class count to say anything useful.
            let shape_ok = !errors
                .iter()
                .any(|e| matches!(e.setting, Setting::Input | Setting::Dataset));
            if shape_ok && let Err(more) = analyze(self, classes) {
                errors.extend(more);
            }
            return Err(errors);
        }
        let cost = analyze(self, classes)?;
        let mut errors = Vec::new();
        if cost.params > MAX_PARAMS {
            errors.push(ConfigError::about(
                Setting::Layers,
                key("model"),
                msg!(
                    "{} parameters is over the limit of {} — use fewer filters or units",
                    cost.params,
                    MAX_PARAMS
                ),
            ));
        }
        let training = cost.training_bytes(self.batch_size);
        if training > MAX_TRAINING_BYTES {
            errors.push(ConfigError::about(
                Setting::Layers,
                key("model"),
                msg!(
                    "a training step needs about {} MB, over the limit of {} MB — use a smaller batch or a smaller model",
                    training >> 20,
                    MAX_TRAINING_BYTES >> 20
                ),
            ));
        }
        if errors.is_empty() {
            Ok(cost)
        } else {
            Err(errors)
        }
    }
}
