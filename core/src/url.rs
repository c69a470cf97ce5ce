//! The URL form of a run config: short, human-readable, editable in the address bar.
//!
//! `v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=adam&lr=1e-3&bs=64&ep=2&seed=7`
//!
//! Each key is a setting of the settings table ([`crate::setting`]); the layer stack is
//! written in its own notation ([`crate::notation`]).
//!
//! Keys at their default value are left out (except the core ones shown above); a missing
//! key means its default. Unknown keys are ignored and reported.

use crate::i18n::{self, Message};
use crate::msg;
use serde::{Deserialize, Serialize};

use crate::classroom::{Classroom, LESSONS, lesson, parse_controls};
use crate::config::RunConfig;
use crate::data::builtin_dataset;
use crate::notation::clip;
use crate::own_images::OWN_IMAGES_DATASET;
use crate::setting::{ConfigError, Kind, SETTINGS, Setting};
use crate::share::SharedResult;

/// Format version written as `v=`.
pub const VERSION: u32 = 1;
/// Longest hash accepted; longer ones are refused before any parsing.
pub const MAX_HASH_LEN: usize = 4096;

/// Classes of dataset `id` as far as a config can know them: a built-in dataset's, or 2 for
/// the user's own images (only known once they are loaded; the stack is checked again then).
/// `None` for an unknown id.
pub fn dataset_classes(id: &str) -> Option<usize> {
    if id == OWN_IMAGES_DATASET {
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
    pub message: Message,
}

impl UrlError {
    /// The problem as the page says it: the key, then what is wrong.
    pub fn describe(&self) -> Message {
        msg!("{}: {}", self.key, self.message)
    }
}

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.describe().fmt(f)
    }
}

fn err(key: &str, message: impl Into<Message>) -> UrlError {
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
    pub result_error: Option<Message>,
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
                hash.len(),
                MAX_HASH_LEN = MAX_HASH_LEN
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
                hash.len(),
                MAX_HASH_LEN = MAX_HASH_LEN
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
                                clip(value),
                                VERSION = VERSION
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
            msg!(
                "the link has no format version (v={VERSION})",
                VERSION = VERSION
            ),
        ));
    }
    match dataset_classes(&config.dataset) {
        None => errors.push(err(
            "ds",
            msg!(
                "'{}' is not a dataset here (built-in: {}; or {OWN_IMAGES_DATASET})",
                config.dataset,
                crate::data::BUILTIN_DATASETS
                    .iter()
                    .map(|d| d.id)
                    .collect::<Vec<_>>()
                    .join(", "),
                OWN_IMAGES_DATASET = OWN_IMAGES_DATASET
            ),
        )),
        Some(classes) if errors.is_empty() => {
            if let Err(problems) = config.validate(classes) {
                errors.extend(
                    problems
                        .into_iter()
                        .map(|e: ConfigError| err(e.setting.key(), e.message)),
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
