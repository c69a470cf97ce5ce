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
    Activation, Augmentation, ConfigError, Layer, PoolKind, RunConfig, Schedule, limits,
};
use crate::data::builtin_dataset;
use crate::local::LOCAL_DATASET;
use crate::setting::{Kind, SETTINGS, Setting, clip};
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

/// The config's URL hash (without the leading `#`): the format version, then each setting of
/// [`SETTINGS`] that a link writes ([`crate::setting::InLink`]).
pub fn to_hash(config: &RunConfig) -> String {
    let mut parts = vec![format!("v={VERSION}")];
    for spec in &SETTINGS {
        if spec.in_link_of(config)
            && let Some(value) = spec.print(config)
        {
            parts.push(format!("{}={value}", spec.key));
        }
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

/// Reads a schedule's link form: `const`, `cos` or `step:EPOCHS:FACTOR`.
pub(crate) fn parse_schedule(value: &str) -> Result<Schedule, String> {
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
                                clip(every)
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

/// Reads an augmentation's link form: `flip,shift2,noise0.1`, or `none`.
pub(crate) fn parse_augmentation(value: &str) -> Result<Augmentation, String> {
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
                    return Err(msg!("'{}' is not a whole number from 0 to {max}", clip(n)));
                }
            };
        } else if let Some(x) = item.strip_prefix("noise") {
            a.noise = x
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| msg!("'{}' is not a number", clip(x)))?;
        } else {
            return Err(msg!(
                "'{}' is not an augmentation (flip, shift2, noise0.1)",
                clip(item)
            ));
        }
    }
    Ok(a)
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
                "hide" => classroom.hidden = parse_controls(value).map_err(|m| err("hide", m))?,
                "lock" => classroom.locked = parse_controls(value).map_err(|m| err("lock", m))?,
                // Known: checked by expand_lesson.
                "lesson" => classroom.lesson = Some(value.to_string()),
                "r" => result_text = Some(value),
                _ if let Some(setting) = Setting::from_key(key)
                    && !matches!(setting.spec().kind, Kind::Panel) =>
                {
                    setting
                        .spec()
                        .parse(&mut config, value)
                        .map_err(|m| err(key, m))?
                }
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
                errors.extend(
                    problems
                        .into_iter()
                        .map(|e: ConfigError| err(e.setting.key(), e.to_string())),
                );
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
