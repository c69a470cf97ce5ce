//! Sweeps: the runs of a grid or random search over up to three hyperparameter axes, and the
//! answer to "the most accurate run within a budget".

use crate::i18n::Message;
use crate::i18n::key;
use crate::msg;
use serde::{Deserialize, Serialize};

use crate::compare::{AccuracyAxis, CostAxis};
use crate::config::{Layer, RunConfig};
use crate::i18n::Lang;
use crate::notation::parse_layers;
use crate::record::RunRecord;
use crate::rng::Rng;
use crate::setting::{Kind, SETTINGS, Setting};

/// The most axes a sweep varies at once.
pub const MAX_AXES: usize = 3;
/// The most runs one sweep may queue.
pub const MAX_SWEEP_RUNS: usize = 48;

/// A named layer stack offered as a sweep value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// One small dense layer.
    Tiny,
    /// One conv block and a dense layer.
    Small,
    /// Two conv blocks and a dense layer (the default).
    Medium,
    /// Four conv layers, two pools and a wider dense layer.
    Deep,
}

impl Preset {
    /// Every preset, smallest first.
    pub const ALL: [Preset; 4] = [Self::Tiny, Self::Small, Self::Medium, Self::Deep];

    /// Its name in the UI.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tiny => "tiny",
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Deep => "deep",
        }
    }

    /// Its layer stack, in the link form.
    pub fn spec(self) -> &'static str {
        match self {
            Self::Tiny => "d32",
            Self::Small => "c8k3-p2-d64",
            Self::Medium => "c8k3-p2-c16k3-p2-d64",
            Self::Deep => "c16k3-c16k3-p2-c32k3-c32k3-p2-d128",
        }
    }

    /// Its layer stack.
    pub fn layers(self) -> Vec<Layer> {
        parse_layers(self.spec()).expect("presets are valid link forms")
    }
}

/// One hyperparameter a sweep varies, with the values it tries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "axis", content = "values", rename_all = "snake_case")]
pub enum Axis {
    /// Layer-stack presets.
    Preset(Vec<Preset>),
    /// Multiplier of every conv's filters and every dense layer's units.
    Width(Vec<f64>),
    /// Dropout probability (a dropout layer is added before the output if there is none).
    Dropout(Vec<f64>),
    /// A setting of the settings table that a sweep can vary ([`Spec::sweep`](crate::setting::Spec::sweep)), with the
    /// values it tries as a link writes them.
    Setting(Setting, Vec<String>),
}

impl Axis {
    /// An axis over a number setting (learning rate, weight decay, batch size) or a choice
    /// (optimizer), from its values.
    pub fn of<T: ToString>(setting: Setting, values: &[T]) -> Axis {
        Axis::Setting(setting, values.iter().map(ToString::to_string).collect())
    }

    /// Its name in the UI.
    pub fn name(&self) -> &'static str {
        match self {
            Axis::Preset(_) => key("layers"),
            Axis::Width(_) => key("width ×"),
            Axis::Dropout(_) => key("dropout"),
            Axis::Setting(setting, _) => setting.spec().name,
        }
    }

    fn len(&self) -> usize {
        match self {
            Axis::Preset(v) => v.len(),
            Axis::Width(v) | Axis::Dropout(v) => v.len(),
            Axis::Setting(_, v) => v.len(),
        }
    }

    /// Whether random search samples this axis from its range (numbers) rather than its list:
    /// `(lowest, highest, on a log scale)`.
    fn continuous(&self) -> Option<(f64, f64, bool)> {
        let range = |v: &[f64], log: bool| {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Some((lo, hi, log && lo > 0.0))
        };
        match self {
            Axis::Dropout(v) | Axis::Width(v) => range(v, false),
            // Rates and decays span decades: sampled on a log scale.
            Axis::Setting(setting, values)
                if matches!(setting.spec().kind, Kind::Number { .. }) =>
            {
                let numbers: Vec<f64> = values.iter().filter_map(|v| v.parse().ok()).collect();
                range(&numbers, true)
            }
            _ => None,
        }
    }

    /// Applies value number `i` (or the sampled number `x` on a continuous axis) to `config`,
    /// and says what it set.
    fn apply(&self, i: usize, x: Option<f64>, config: &mut RunConfig) -> String {
        let num = |v: &[f64]| x.unwrap_or(v[i]);
        match self {
            Axis::Preset(v) => {
                config.layers = v[i].layers();
                v[i].name().into()
            }
            Axis::Width(v) => {
                let factor = num(v);
                scale_width(&mut config.layers, factor);
                format!("{factor:.2}")
            }
            Axis::Dropout(v) => {
                let p = (num(v) * 100.0).round() / 100.0;
                set_dropout(&mut config.layers, p);
                format!("{p}")
            }
            Axis::Setting(setting, values) => {
                let spec = setting.spec();
                match (x, &spec.kind) {
                    (Some(x), Kind::Number { set, .. }) => set(config, round_sig(x)),
                    _ => {
                        // The values were read when the axis was made (Axis::parse).
                        let _ = spec.parse(config, &values[i]);
                    }
                }
                spec.describe(config, Lang::En).unwrap_or_default()
            }
        }
    }
}

/// Rounds to three significant digits, so sampled values read well in tables and links.
fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(2 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// Multiplies every conv's filters and dense layer's units by `factor` (at least 1 each).
pub fn scale_width(layers: &mut [Layer], factor: f64) {
    let scale = |n: usize| ((n as f64 * factor).round() as usize).max(1);
    for layer in layers {
        match layer {
            Layer::Conv { filters, .. } => *filters = scale(*filters),
            Layer::Dense { units, .. } => *units = scale(*units),
            _ => {}
        }
    }
}

/// Sets every dropout layer to `p`; with none, adds one at the end (before the output layer).
/// `p = 0` removes dropout.
pub fn set_dropout(layers: &mut Vec<Layer>, p: f64) {
    if p <= 0.0 {
        layers.retain(|l| !matches!(l, Layer::Dropout { .. }));
        return;
    }
    let mut found = false;
    for layer in layers.iter_mut() {
        if let Layer::Dropout { p: old } = layer {
            *old = p;
            found = true;
        }
    }
    if !found {
        layers.push(Layer::Dropout { p });
    }
}

/// The axes the sweep form offers: id, label and the values it suggests. The layer-stack
/// axes (presets, width, dropout) come with the sweep; every other is a setting whose entry in
/// the settings table suggests sweep values, named by its link key.
pub fn axis_choices() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut choices = vec![
        ("layers", key("Layer stack"), "tiny, small, medium"),
        ("width", key("Width multiplier"), "0.5, 1, 2"),
    ];
    choices.extend(
        SETTINGS
            .iter()
            .filter_map(|spec| Some((spec.key, spec.label, spec.sweep?))),
    );
    choices.push(("dropout", key("Dropout"), "0, 0.25, 0.5"));
    choices
}

impl Axis {
    /// Reads the axis `kind` (an id of [`axis_choices`]) with its values typed as a list
    /// separated by commas or spaces, e.g. `0.001, 0.01`.
    pub fn parse(kind: &str, values: &str) -> Result<Axis, Message> {
        let items: Vec<&str> = values
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|v| !v.is_empty())
            .collect();
        if items.is_empty() {
            return Err(msg!("give at least one value"));
        }
        fn numbers(
            items: &[&str],
            what: Message,
            ok: impl Fn(&f64) -> bool,
        ) -> Result<Vec<f64>, Message> {
            items
                .iter()
                .map(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(&ok)
                        .ok_or_else(|| msg!("“{v}” is not {what}", v = v, what = what))
                })
                .collect()
        }
        use crate::config::limits::MAX_DROPOUT;
        Ok(match kind {
            "layers" => Axis::Preset(
                items
                    .iter()
                    .map(|v| {
                        Preset::ALL
                            .into_iter()
                            .find(|p| p.name().eq_ignore_ascii_case(v))
                            .ok_or_else(|| {
                                msg!("“{v}” is not a preset (tiny, small, medium or deep)", v = v)
                            })
                    })
                    .collect::<Result<_, _>>()?,
            ),
            "width" => Axis::Width(numbers(
                items.as_slice(),
                msg!("a multiplier between 0.1 and 8"),
                |x| (0.1..=8.0).contains(x),
            )?),
            "dropout" => Axis::Dropout(numbers(
                items.as_slice(),
                msg!(
                    "a dropout probability from 0 to {MAX_DROPOUT}",
                    MAX_DROPOUT = MAX_DROPOUT
                ),
                |x| (0.0..=MAX_DROPOUT).contains(x),
            )?),
            _ => {
                let Some(setting) = Setting::from_key(kind).filter(|s| s.spec().sweep.is_some())
                else {
                    return Err(msg!(
                        "“{kind}” is not a setting a sweep can vary",
                        kind = kind
                    ));
                };
                let spec = setting.spec();
                let values = items
                    .iter()
                    .map(|v| {
                        // Choices read in any case ("Adam"); each value must be one the
                        // setting accepts, range included.
                        let v = v.to_ascii_lowercase();
                        let mut config = RunConfig::default();
                        match spec.parse(&mut config, &v) {
                            Ok(()) if spec.range_problem(&config).is_none() => Ok(v),
                            _ => Err(msg!("“{}”: the {} is {}", v, spec.name, spec.accepts())),
                        }
                    })
                    .collect::<Result<_, _>>()?;
                Axis::Setting(setting, values)
            }
        })
    }
}

/// How the sweep picks its runs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Search {
    /// Every combination of the axes' values.
    Grid,
    /// `runs` random draws: numeric axes sampled between their smallest and largest value
    /// (learning rate and L2 on a log scale), the others from their lists.
    Random {
        /// How many runs.
        runs: usize,
        /// Seed of the draws.
        seed: u64,
    },
}

/// A sweep: the axes to vary around a base config, and how to search them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepConfig {
    /// One to [`MAX_AXES`] axes, each with at least one value.
    pub axes: Vec<Axis>,
    /// Grid or random.
    pub search: Search,
}

/// One run a sweep will train.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRun {
    /// Its config: the base with the sweep's values applied.
    pub config: RunConfig,
    /// What the sweep set, e.g. `layers small · learning rate 0.003`.
    pub label: Message,
}

/// The runs of a sweep, and the combinations left out because their config is not valid.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPlan {
    /// The runs, in the order they will train.
    pub runs: Vec<PlannedRun>,
    /// Combinations skipped, each with the reason.
    pub skipped: Vec<Message>,
}

impl SweepConfig {
    /// The runs of this sweep around `base` for a dataset with `classes` classes, or why there
    /// can be none.
    pub fn plan(&self, base: &RunConfig, classes: usize) -> Result<SweepPlan, Message> {
        if self.axes.is_empty() {
            return Err(msg!("choose at least one setting to sweep"));
        }
        if self.axes.len() > MAX_AXES {
            return Err(msg!(
                "a sweep varies at most {MAX_AXES} settings at once",
                MAX_AXES = MAX_AXES
            ));
        }
        for (k, axis) in self.axes.iter().enumerate() {
            if axis.len() == 0 {
                return Err(msg!("give {} at least one value", axis.name()));
            }
            if self.axes[..k].iter().any(|a| a.name() == axis.name()) {
                return Err(msg!("{} is chosen twice", axis.name()));
            }
        }
        let combos: Vec<Vec<(usize, Option<f64>)>> = match self.search {
            Search::Grid => {
                let total: usize = self.axes.iter().map(Axis::len).product();
                if total > MAX_SWEEP_RUNS {
                    return Err(msg!(
                        "the grid has {total} runs, over the limit of {MAX_SWEEP_RUNS}: use fewer values or a random search",
                        total = total,
                        MAX_SWEEP_RUNS = MAX_SWEEP_RUNS
                    ));
                }
                (0..total)
                    .map(|mut n| {
                        let mut combo = vec![(0, None); self.axes.len()];
                        for (k, axis) in self.axes.iter().enumerate().rev() {
                            combo[k] = (n % axis.len(), None);
                            n /= axis.len();
                        }
                        combo
                    })
                    .collect()
            }
            Search::Random { runs, seed } => {
                if runs == 0 || runs > MAX_SWEEP_RUNS {
                    return Err(msg!(
                        "a random search runs between 1 and {MAX_SWEEP_RUNS} runs",
                        MAX_SWEEP_RUNS = MAX_SWEEP_RUNS
                    ));
                }
                let mut rng = Rng::new(seed);
                (0..runs)
                    .map(|_| {
                        self.axes
                            .iter()
                            .map(|axis| match axis.continuous() {
                                Some((lo, hi, log)) => {
                                    let u = rng.next_f64();
                                    let x = if log {
                                        (lo.ln() + u * (hi.ln() - lo.ln())).exp()
                                    } else {
                                        lo + u * (hi - lo)
                                    };
                                    (0, Some(x))
                                }
                                None => (rng.below(axis.len() as u64) as usize, None),
                            })
                            .collect()
                    })
                    .collect()
            }
        };
        let mut plan = SweepPlan {
            runs: Vec::new(),
            skipped: Vec::new(),
        };
        for combo in combos {
            let mut config = base.clone();
            // Presets replace the layer stack, so they go before width and dropout.
            let mut order: Vec<usize> = (0..self.axes.len()).collect();
            order.sort_by_key(|&k| !matches!(self.axes[k], Axis::Preset(_)));
            let mut parts = vec![Message::default(); self.axes.len()];
            for k in order {
                let (i, x) = combo[k];
                let value = self.axes[k].apply(i, x, &mut config);
                parts[k] = Message::join([self.axes[k].name().into(), value.into()], " ");
            }
            let label = Message::join(parts, " · ");
            match config.validate(classes) {
                Ok(_) => plan.runs.push(PlannedRun { config, label }),
                Err(errors) => plan
                    .skipped
                    .push(msg!("{label}: {}", errors[0], label = label)),
            }
        }
        if plan.runs.is_empty() {
            let skipped = Message::list(plan.skipped);
            return Err(msg!("none of the sweep's runs is valid ({})", skipped));
        }
        Ok(plan)
    }
}

/// The answer to "the most accurate run whose cost is within a budget" (accurate by one of
/// the [`AccuracyAxis`] measures).
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetAnswer {
    /// Index of the winning run, if any run is within the budget.
    pub winner: Option<usize>,
    /// Index of the most accurate run overall when it is over the budget: what the budget
    /// costs in accuracy.
    pub better_over_budget: Option<usize>,
    /// How many runs with results are within the budget.
    pub within: usize,
}

/// Among `records`, the most accurate run by `accuracy` (on clean, noisy or attacked test
/// images) whose `axis` value is within `limit` (at most, or at least for throughput); ties
/// go to the cheaper run. Runs without that accuracy are left out.
pub fn best_under_budget(
    records: &[&RunRecord],
    axis: CostAxis,
    limit: f64,
    accuracy: AccuracyAxis,
) -> BudgetAnswer {
    // `a` costs less than `b` (for throughput: is faster).
    let cheaper = |a: f64, b: f64| {
        if axis.higher_is_better() {
            a > b
        } else {
            a < b
        }
    };
    let within_budget = |cost: f64| !cheaper(limit, cost);
    let scored: Vec<(usize, f64, f64)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let score = accuracy.value(r)?;
            let cost = axis.value(r)?;
            (score.is_finite() && cost.is_finite()).then_some((i, cost, score))
        })
        .collect();
    let best = |candidates: &mut dyn Iterator<Item = &(usize, f64, f64)>| {
        candidates
            .fold(None::<(usize, f64, f64)>, |best, &(i, c, a)| match best {
                Some((_, bc, ba)) if ba > a || (ba == a && !cheaper(c, bc)) => best,
                _ => Some((i, c, a)),
            })
            .map(|(i, _, _)| i)
    };
    let winner = best(&mut scored.iter().filter(|(_, c, _)| within_budget(*c)));
    let overall = best(&mut scored.iter());
    let better_over_budget = match (winner, overall) {
        (Some(w), Some(o)) if o != w => {
            let score = |i: usize| accuracy.value(records[i]);
            (score(o) > score(w)).then_some(o)
        }
        (None, Some(o)) => Some(o),
        _ => None,
    };
    BudgetAnswer {
        winner,
        better_over_budget,
        within: scored.iter().filter(|(_, c, _)| within_budget(*c)).count(),
    }
}
