//! The URL form of a run config: short, human-readable, editable in the address bar.
//!
//! `v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=adam&lr=1e-3&bs=64&ep=2&seed=7`
//!
//! Layer tokens, joined by `-`:
//! - `c8k3` conv, 8 filters, 3×3; then optionally `s2` (stride), `p1` (padding), and
//!   suffixes `.bn` (batch norm) and `.gelu` / `.tanh` / `.sigmoid` (ReLU when absent);
//! - `p2` max pool 2×2, `a2` average pool 2×2;
//! - `d64` dense, 64 units, with the same suffixes as conv;
//! - `drop0.25` dropout with p = 0.25.
//!
//! Keys at their default value are left out (except the core ones shown above); a missing
//! key means its default. Unknown keys are ignored and reported.

use crate::i18n;
use crate::msg;
use serde::{Deserialize, Serialize};

use crate::classroom::{Classroom, LESSONS, lesson, parse_controls};
use crate::config::{
    Activation, Augmentation, BackendPreference, ConfigError, InputShape, Layer, OptimizerKind,
    PoolKind, RunConfig, Schedule, limits,
};
use crate::data::builtin_dataset;
use crate::local::LOCAL_DATASET;
use crate::share::SharedResult;

/// Format version written as `v=`.
pub const VERSION: u32 = 1;
/// Longest hash accepted; longer ones are refused before any parsing.
pub const MAX_HASH_LEN: usize = 4096;

/// Classes of dataset `id` as far as a config can know them: a built-in dataset's, or 2 for
/// the user's own images (only known once they are loaded; the stack is checked again then).
/// `None` for an unknown id.
pub fn dataset_classes(id: &str) -> Option<usize> {
    if id == LOCAL_DATASET {
        Some(2)
    } else {
        builtin_dataset(id).map(|d| d.classes)
    }
}

/// A problem with one key of a link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlError {
    /// The key as written in the link (`bs`, `layers`, …), or `link` for the whole.
    pub key: String,
    /// What is wrong and what is accepted.
    pub message: String,
}

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&msg!("{}: {}", self.key, self.message))
    }
}

fn err(key: &str, message: impl Into<String>) -> UrlError {
    UrlError {
        key: key.into(),
        message: message.into(),
    }
}

/// A link read successfully.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedLink {
    /// The config it describes, already validated.
    pub config: RunConfig,
    /// Keys that were not understood and were ignored.
    pub ignored_keys: Vec<String>,
    /// Hidden and locked controls, and the lesson.
    pub classroom: Classroom,
    /// The result the link carries (`r=`), if any.
    pub result: Option<SharedResult>,
    /// Why the link's result could not be read (the settings still load).
    pub result_error: Option<String>,
}

/// Writes a float so it reads back bit-identically, in exponent form for small values (`1e-3`).
fn float(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.01 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn layer_token(layer: &Layer) -> String {
    let suffix = |activation: Activation, batch_norm: bool| {
        let mut s = String::new();
        if batch_norm {
            s += ".bn";
        }
        if activation != Activation::Relu {
            s += ".";
            s += activation.name();
        }
        s
    };
    match *layer {
        Layer::Conv {
            filters,
            kernel,
            stride,
            padding,
            activation,
            batch_norm,
        } => {
            let mut s = format!("c{filters}k{kernel}");
            if stride != 1 {
                s += &format!("s{stride}");
            }
            if padding != 0 {
                s += &format!("p{padding}");
            }
            s + &suffix(activation, batch_norm)
        }
        Layer::Pool {
            pool: PoolKind::Max,
            size,
        } => format!("p{size}"),
        Layer::Pool {
            pool: PoolKind::Avg,
            size,
        } => format!("a{size}"),
        Layer::Dense {
            units,
            activation,
            batch_norm,
        } => format!("d{units}{}", suffix(activation, batch_norm)),
        // Plain decimal: an exponent's '-' would split the token.
        Layer::Dropout { p } => format!("drop{p}"),
    }
}

/// The layer stack's URL form, e.g. `c8k3-p2-c16k3-p2-d64`.
pub fn layers_to_string(layers: &[Layer]) -> String {
    layers.iter().map(layer_token).collect::<Vec<_>>().join("-")
}

/// The config's URL hash (without the leading `#`).
pub fn to_hash(config: &RunConfig) -> String {
    let defaults = RunConfig::default();
    let o = &config.optimizer;
    let mut parts = vec![
        format!("v={VERSION}"),
        format!("ds={}", config.dataset),
        format!("in={}x{}", config.input.size, config.input.channels),
        format!("layers={}", layers_to_string(&config.layers)),
        format!("opt={}", o.kind.name()),
        format!("lr={}", float(o.learning_rate)),
    ];
    if o.schedule != defaults.optimizer.schedule {
        parts.push(format!(
            "sched={}",
            match o.schedule {
                Schedule::Constant => "const".to_string(),
                Schedule::Cosine => "cos".to_string(),
                Schedule::Step {
                    every_epochs,
                    factor,
                } => format!("step:{every_epochs}:{}", float(factor)),
            }
        ));
    }
    if o.warmup_steps != 0 {
        parts.push(format!("warm={}", o.warmup_steps));
    }
    if o.weight_decay != 0.0 {
        parts.push(format!("wd={}", float(o.weight_decay)));
    }
    parts.push(format!("bs={}", config.batch_size));
    parts.push(format!("ep={}", config.epochs));
    if config.validation_fraction != defaults.validation_fraction {
        parts.push(format!("val={}", float(config.validation_fraction)));
    }
    let a = config.augmentation;
    if a != Augmentation::default() {
        let mut items = Vec::new();
        if a.flip {
            items.push("flip".to_string());
        }
        if a.shift != 0 {
            items.push(format!("shift{}", a.shift));
        }
        if a.noise != 0.0 {
            items.push(format!("noise{}", float(a.noise)));
        }
        parts.push(format!("aug={}", items.join(",")));
    }
    if config.patience != 0 {
        parts.push(format!("pat={}", config.patience));
    }
    parts.push(format!("seed={}", config.seed));
    if config.backend != defaults.backend {
        parts.push(format!("be={}", config.backend.name()));
    }
    parts.join("&")
}

/// A whole link's hash: the config, then the classroom keys, then the result if given.
pub fn to_link(config: &RunConfig, classroom: &Classroom, result: Option<&SharedResult>) -> String {
    let mut hash = to_hash(config);
    let extra = classroom.to_hash();
    if !extra.is_empty() {
        hash = hash + "&" + &extra;
    }
    if let Some(r) = result {
        hash = hash + "&r=" + &r.encode();
    }
    hash
}

/// A link that names a lesson but no settings (`lesson=batch-size`, perhaps with other keys)
/// opens the lesson's settings, the link's own keys taking precedence.
fn expand_lesson(hash: &str) -> Result<Option<String>, UrlError> {
    let pairs: Vec<(&str, &str)> = hash
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    let Some((_, id)) = pairs.iter().find(|(k, _)| *k == "lesson") else {
        return Ok(None);
    };
    let Some(found) = lesson(id) else {
        return Err(err(
            "lesson",
            msg!(
                "'{}' is not a lesson (one of {})",
                clip(id),
                LESSONS.iter().map(|l| l.id).collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    if pairs.iter().any(|(k, _)| *k == "v") {
        return Ok(None);
    }
    let mut merged: Vec<String> = found
        .link
        .split('&')
        .filter(|p| {
            let key = p.split_once('=').map_or(*p, |(k, _)| k);
            !pairs.iter().any(|(k, _)| *k == key)
        })
        .map(str::to_string)
        .collect();
    merged.extend(pairs.iter().map(|(k, v)| format!("{k}={v}")));
    Ok(Some(merged.join("&")))
}

fn parse_uint(key: &str, value: &str, max: u64) -> Result<u64, UrlError> {
    match value.parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(err(
            key,
            msg!("'{}' is not a whole number from 0 to {max}", clip(value)),
        )),
    }
}

fn parse_float(key: &str, value: &str) -> Result<f64, UrlError> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(err(key, msg!("'{}' is not a number", clip(value)))),
    }
}

/// Shortens a user-supplied value for an error message.
fn clip(value: &str) -> String {
    const MAX: usize = 24;
    if value.chars().count() <= MAX {
        value.to_string()
    } else {
        value.chars().take(MAX).collect::<String>() + "…"
    }
}

/// Splits `name<number>` off the front of a token, e.g. `("c", "8k3")` → `8`, rest `k3`.
fn take_number<'a>(s: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = s.strip_prefix(prefix)?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    (end > 0).then(|| rest.split_at(end))
}

fn parse_suffixes(token: &str, suffixes: &str) -> Result<(Activation, bool), String> {
    let mut activation = Activation::Relu;
    let mut batch_norm = false;
    if suffixes.is_empty() {
        return Ok((activation, batch_norm));
    }
    let Some(list) = suffixes.strip_prefix('.') else {
        return Err(msg!(
            "'{}' has unexpected text '{}'",
            clip(token),
            clip(suffixes)
        ));
    };
    for part in list.split('.').take(4) {
        if part == "bn" {
            batch_norm = true;
        } else if let Some(a) = Activation::from_name(part) {
            activation = a;
        } else {
            return Err(msg!(
                "'{}': unknown suffix '.{}' (use .bn, .relu, .gelu, .tanh or .sigmoid)",
                clip(token),
                clip(part)
            ));
        }
    }
    Ok((activation, batch_norm))
}

fn parse_layer(token: &str) -> Result<Layer, String> {
    let small = |n: &str| n.parse::<usize>().ok().filter(|&n| n <= 1_000_000);
    let bad_number = || msg!("'{}' has a number that is too large", clip(token));
    if let Some(p) = token.strip_prefix("drop") {
        return match p.parse::<f64>() {
            Ok(p) if p.is_finite() => Ok(Layer::Dropout { p }),
            _ => Err(msg!("'{}': dropout is written drop0.25", clip(token))),
        };
    }
    if let Some((filters, rest)) = take_number(token, "c") {
        let (kernel, mut rest) = take_number(rest, "k")
            .ok_or_else(|| msg!("'{}': a conv is written c8k3", clip(token)))?;
        let mut stride = 1;
        let mut padding = 0;
        if let Some((s, r)) = take_number(rest, "s") {
            stride = small(s).ok_or_else(bad_number)?;
            rest = r;
        }
        if let Some((p, r)) = take_number(rest, "p") {
            padding = small(p).ok_or_else(bad_number)?;
            rest = r;
        }
        let (activation, batch_norm) = parse_suffixes(token, rest)?;
        return Ok(Layer::Conv {
            filters: small(filters).ok_or_else(bad_number)?,
            kernel: small(kernel).ok_or_else(bad_number)?,
            stride,
            padding,
            activation,
            batch_norm,
        });
    }
    if let Some((units, rest)) = take_number(token, "d") {
        let (activation, batch_norm) = parse_suffixes(token, rest)?;
        return Ok(Layer::Dense {
            units: small(units).ok_or_else(bad_number)?,
            activation,
            batch_norm,
        });
    }
    for (prefix, pool) in [("p", PoolKind::Max), ("a", PoolKind::Avg)] {
        if let Some((size, rest)) = take_number(token, prefix) {
            if !rest.is_empty() {
                break;
            }
            return Ok(Layer::Pool {
                pool,
                size: small(size).ok_or_else(bad_number)?,
            });
        }
    }
    Err(msg!(
        "'{}' is not a layer (c8k3 conv, p2 max pool, a2 average pool, d64 dense, drop0.25 dropout)",
        clip(token)
    ))
}

/// Reads the layer stack's URL form.
pub fn parse_layers(value: &str) -> Result<Vec<Layer>, UrlError> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    let mut layers = Vec::new();
    for (i, token) in value.split('-').enumerate() {
        if i >= limits::MAX_LAYERS {
            return Err(err(
                "layers",
                msg!("more than {} layers", limits::MAX_LAYERS),
            ));
        }
        layers.push(parse_layer(token).map_err(|m| err("layers", msg!("layer {}: {m}", i + 1)))?);
    }
    Ok(layers)
}

fn parse_schedule(value: &str) -> Result<Schedule, UrlError> {
    match value {
        "const" => Ok(Schedule::Constant),
        "cos" => Ok(Schedule::Cosine),
        _ => {
            let mut parts = value.split(':');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("step"), Some(every), Some(factor), None) => Ok(Schedule::Step {
                    every_epochs: parse_uint("sched", every, limits::MAX_EPOCHS as u64)? as usize,
                    factor: parse_float("sched", factor)?,
                }),
                _ => Err(err(
                    "sched",
                    msg!(
                        "'{}' is not a schedule (const, cos, or step:EPOCHS:FACTOR like step:2:0.5)",
                        clip(value)
                    ),
                )),
            }
        }
    }
}

fn parse_augmentation(value: &str) -> Result<Augmentation, UrlError> {
    let mut a = Augmentation::default();
    if value == "none" || value.is_empty() {
        return Ok(a);
    }
    for item in value.split(',').take(8) {
        if item == "flip" {
            a.flip = true;
        } else if let Some(n) = item.strip_prefix("shift") {
            a.shift = parse_uint("aug", n, limits::MAX_SHIFT as u64)? as usize;
        } else if let Some(x) = item.strip_prefix("noise") {
            a.noise = parse_float("aug", x)?;
        } else {
            return Err(err(
                "aug",
                msg!(
                    "'{}' is not an augmentation (flip, shift2, noise0.1)",
                    clip(item)
                ),
            ));
        }
    }
    Ok(a)
}

/// The URL key that holds the field a [`ConfigError`] names.
fn key_of_field(field: &str) -> &'static str {
    match field {
        "dataset" => "ds",
        "input size" | "input channels" => "in",
        "batch size" => "bs",
        "epochs" => "ep",
        "validation fraction" => "val",
        "learning rate" => "lr",
        "warm-up" => "warm",
        "weight decay" => "wd",
        "schedule" => "sched",
        "shift" | "noise" => "aug",
        "early stopping" => "pat",
        _ => "layers",
    }
}

/// Keys WeChat appends to the links it passes on: dropped without a notice, since neither the
/// author nor the person who opens the link wrote them.
const FORWARDING_KEYS: [&str; 2] = ["from", "isappinstalled"];

/// Most rounds of percent-decoding: a link re-wrapped by two programs arrives encoded twice.
const MAX_DECODE_ROUNDS: usize = 3;

/// A hash as its author wrote it, from one a mail or chat program passed on: percent-encoded
/// once or more (`v%3D1%26ds%3Dmnist`, `hide=opt%2Clr`), or HTML-escaped (`&amp;`). Tradeoff
/// writes no `%` of its own, so any `%XX` was added on the way.
fn as_written(hash: &str) -> String {
    let mut text = hash.to_string();
    for _ in 0..MAX_DECODE_ROUNDS {
        let decoded = percent_encoding::percent_decode_str(&text)
            .decode_utf8_lossy()
            .into_owned();
        if decoded == text {
            break;
        }
        text = decoded;
    }
    let text = text.replace("&amp;", "&");
    text.strip_prefix('#').unwrap_or(&text).to_string()
}

/// Reads a link's hash (with or without the leading `#`) into a validated config. A hash that a
/// mail or chat program percent-encoded or HTML-escaped is read as its author wrote it.
///
/// Never panics and allocates nothing sized by the link before its length is checked.
pub fn from_hash(hash: &str) -> Result<ParsedLink, Vec<UrlError>> {
    let hash = hash.strip_prefix('#').unwrap_or(hash);
    if hash.len() > MAX_HASH_LEN * 3 {
        return Err(vec![err(
            "link",
            msg!(
                "the link is {} characters long, over the limit of {MAX_HASH_LEN}",
                hash.len()
            ),
        )]);
    }
    let written = as_written(hash);
    let hash = written.as_str();
    if hash.len() > MAX_HASH_LEN {
        return Err(vec![err(
            "link",
            msg!(
                "the link is {} characters long, over the limit of {MAX_HASH_LEN}",
                hash.len()
            ),
        )]);
    }
    let expanded = match expand_lesson(hash) {
        Ok(e) => e,
        Err(e) => return Err(vec![e]),
    };
    let hash = expanded.as_deref().unwrap_or(hash);
    let mut config = RunConfig::default();
    let mut classroom = Classroom::default();
    let mut result_text = None;
    let mut errors = Vec::new();
    let mut ignored_keys = Vec::new();
    let mut version_seen = false;
    let mut seen: Vec<&str> = Vec::new();
    for pair in hash.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        // A key given twice (an edited or glued-together link) is ambiguous: say so rather
        // than silently keep one of them.
        if seen.contains(&key) {
            errors.push(err(
                &clip(key),
                i18n::key("given twice (a link sets each setting once)"),
            ));
            continue;
        }
        seen.push(key);
        let result: Result<(), UrlError> = (|| {
            match key {
                "v" => {
                    version_seen = true;
                    if value != VERSION.to_string() {
                        return Err(err(
                            "v",
                            msg!(
                                "this link is format version '{}'; this page reads version {VERSION}",
                                clip(value)
                            ),
                        ));
                    }
                }
                "ds" => config.dataset = clip(value),
                "in" => {
                    let (size, channels) = value.split_once('x').ok_or_else(|| {
                        err(
                            "in",
                            i18n::key("the input is written SIZExCHANNELS, e.g. 28x1 or 32x3"),
                        )
                    })?;
                    config.input = InputShape {
                        size: parse_uint("in", size, limits::MAX_INPUT_SIZE as u64)? as usize,
                        channels: parse_uint("in", channels, 3)? as usize,
                    };
                }
                "layers" => config.layers = parse_layers(value)?,
                "opt" => {
                    config.optimizer.kind = OptimizerKind::from_name(value).ok_or_else(|| {
                        err(
                            "opt",
                            msg!(
                                "'{}' is not an optimizer (sgd, momentum, adam, adamw)",
                                clip(value)
                            ),
                        )
                    })?
                }
                "lr" => config.optimizer.learning_rate = parse_float("lr", value)?,
                "sched" => config.optimizer.schedule = parse_schedule(value)?,
                "warm" => {
                    config.optimizer.warmup_steps =
                        parse_uint("warm", value, limits::MAX_WARMUP_STEPS as u64)? as usize
                }
                "wd" => config.optimizer.weight_decay = parse_float("wd", value)?,
                "bs" => {
                    config.batch_size =
                        parse_uint("bs", value, limits::MAX_BATCH_SIZE as u64)? as usize
                }
                "ep" => {
                    config.epochs = parse_uint("ep", value, limits::MAX_EPOCHS as u64)? as usize
                }
                "val" => config.validation_fraction = parse_float("val", value)?,
                "aug" => config.augmentation = parse_augmentation(value)?,
                "pat" => {
                    config.patience =
                        parse_uint("pat", value, limits::MAX_PATIENCE as u64)? as usize
                }
                "seed" => config.seed = parse_uint("seed", value, u64::MAX)?,
                "be" => {
                    config.backend = BackendPreference::from_name(value).ok_or_else(|| {
                        err(
                            "be",
                            msg!("'{}' is not a backend (auto, webgpu, cpu)", clip(value)),
                        )
                    })?
                }
                "hide" => classroom.hidden = parse_controls(value).map_err(|m| err("hide", m))?,
                "lock" => classroom.locked = parse_controls(value).map_err(|m| err("lock", m))?,
                // Known: checked by expand_lesson.
                "lesson" => classroom.lesson = Some(value.to_string()),
                "r" => result_text = Some(value),
                _ if FORWARDING_KEYS.contains(&key) => {}
                _ => {
                    if ignored_keys.len() < 16 {
                        ignored_keys.push(clip(key));
                    }
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            errors.push(e);
        }
    }
    if !version_seen {
        errors.push(err(
            "v",
            msg!("the link has no format version (v={VERSION})"),
        ));
    }
    match dataset_classes(&config.dataset) {
        None => errors.push(err(
            "ds",
            msg!(
                "'{}' is not a dataset here (built-in: {}; or {LOCAL_DATASET})",
                config.dataset,
                crate::data::BUILTIN_DATASETS
                    .iter()
                    .map(|d| d.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        Some(classes) if errors.is_empty() => {
            if let Err(problems) = config.validate(classes) {
                errors.extend(problems.into_iter().map(|ConfigError { field, message }| {
                    let key = key_of_field(&field);
                    let message = msg!("{field}: {message}");
                    err(key, message)
                }));
            }
        }
        Some(_) => {}
    }
    if errors.is_empty() {
        let (result, result_error) = match result_text.map(|r| SharedResult::decode(r, &config)) {
            None => (None, None),
            Some(Ok(r)) => (Some(r), None),
            Some(Err(why)) => (None, Some(why)),
        };
        Ok(ParsedLink {
            config,
            ignored_keys,
            classroom,
            result,
            result_error,
        })
    } else {
        Err(errors)
    }
}
