//! The interface's two languages: English, which the source is written in, and Chinese.
//!
//! Text is looked up by its English form, gettext-style, so the source stays readable and a
//! missing translation falls back to English rather than to a blank. Three kinds of text:
//! - fixed words on the page: [`Lang::text`] (`t("Train")` in the app);
//! - sentences with values in them: [`tr!`], whose `{name}` slots are filled per language;
//! - messages made in core without knowing the reader's language (a bad link, a refused
//!   file): written with [`msg!`], which keeps the template and its values as a [`Message`]
//!   (through the worker's messages and the kept runs) and writes it out in a language only
//!   where it is shown, with [`Message::text`]. Nothing is read back out of English.
//!
//! `core/tests/i18n.rs` collects every such key from the sources and fails on any without a
//! Chinese entry, so an untranslated string cannot slip in unnoticed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

mod zh;

/// A language the interface can be shown in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    /// English (the source language).
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Every language, in the order the switch lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// BCP 47 tag, for `<html lang>` and for remembering the choice.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The language's own name for itself, as the switch shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }

    /// The language a BCP 47 tag asks for (`zh-TW`, `zh-Hans-CN` → Chinese), if one of ours.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The first of the browser's preferred languages that we have; English otherwise.
    pub fn preferred<'a>(tags: impl IntoIterator<Item = &'a str>) -> Lang {
        tags.into_iter().find_map(Lang::parse).unwrap_or_default()
    }

    /// A fixed piece of text in this language (English text is its own key).
    pub fn text(self, en: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Zh => catalogue().get(en).copied().unwrap_or(en),
        }
    }

    /// A template from [`tr!`] with its `{name}` slots filled; the values are already text.
    pub fn fill(self, en: &'static str, args: &[(&str, String)]) -> String {
        fill_slots(self.text(en), args)
    }

    /// Text that may be a catalogue entry (a setting's name, a class name) or may not (a
    /// number, a browser's own words): the entry in this language, or the text as it is.
    pub fn word(self, text: &str) -> String {
        match self {
            Lang::En => text.to_string(),
            Lang::Zh => catalogue().get(text).copied().unwrap_or(text).to_string(),
        }
    }
}

/// A sentence with values, in a language: `tr!(lang, "Epoch {n} of {total}", n = 3, total = 10)`.
///
/// The English template is checked by `format!` at compile time (every slot named, every
/// value used); other languages fill the same names at run time.
#[macro_export]
macro_rules! tr {
    ($lang:expr, $template:literal $(, $name:ident = $value:expr)* $(,)?) => {
        match $lang {
            $crate::i18n::Lang::En => format!($template $(, $name = $value)*),
            lang => lang.fill($template, &[$((stringify!($name), ($value).to_string())),*]),
        }
    };
}

/// A [`Message`] made where the reader's language is not known: `format!`'s syntax (positional
/// `{}` and named `{name}` slots; every named slot given as `name = value`), checked by
/// `format!` at compile time; the key-coverage test finds its template.
#[macro_export]
macro_rules! msg {
    (@args [$($out:tt)*]) => { ::std::vec![$($out)*] };
    (@args [$($out:tt)*] $name:ident = $value:expr $(, $($rest:tt)*)?) => {
        $crate::msg!(@args [$($out)* (::std::option::Option::Some(stringify!($name)),
            $crate::i18n::ToMessage::to_message(&$value)),] $($($rest)*)?)
    };
    (@args [$($out:tt)*] $value:expr $(, $($rest:tt)*)?) => {
        $crate::msg!(@args [$($out)* (::std::option::Option::None,
            $crate::i18n::ToMessage::to_message(&$value)),] $($($rest)*)?)
    };
    ($template:literal $(,)?) => {
        $crate::i18n::Message::new($template, ::std::vec::Vec::new())
    };
    ($template:literal, $($args:tt)+) => {{
        if false {
            // Checks every slot against the values, as `format!` would.
            let _ = format!($template, $($args)+);
        }
        $crate::i18n::Message::new($template, $crate::msg!(@args [] $($args)+))
    }};
}

/// A sentence for the user, made where the reader's language is not known (in core, in a
/// worker): its English template and the values of its slots, written out in a language only
/// where it is shown. It travels in the worker's messages and the kept runs as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Message {
    /// Text shown as it is — a number, a class's name, a browser's or Burn's own words — or,
    /// where the catalogue has it, a fixed word (a setting's name) in the reader's language.
    Plain(String),
    /// Messages one after another, each in the reader's language ("a; b").
    List(Vec<Message>),
    /// A catalogue template and its slots' values, by slot name (`{}` slots by position).
    Template {
        /// The English template, the catalogue's key.
        template: Cow<'static, str>,
        /// Slot name and value.
        args: Vec<(String, Message)>,
    },
}

impl Message {
    /// A template with its values, positional ones (`None`) in the order of the `{}` slots.
    pub fn new(template: &'static str, values: Vec<(Option<&'static str>, Message)>) -> Message {
        let (_, names) = template_parts(template);
        let mut positional = names.iter().filter(|n| n.parse::<usize>().is_ok());
        let args = values
            .into_iter()
            .filter_map(|(name, value)| {
                let name = match name {
                    Some(name) => name.to_string(),
                    None => positional.next()?.clone(),
                };
                Some((name, value))
            })
            .collect();
        Message::Template {
            template: Cow::Borrowed(template),
            args,
        }
    }

    /// Messages shown as one, separated by "; ".
    pub fn list(items: impl IntoIterator<Item = Message>) -> Message {
        Message::List(items.into_iter().collect())
    }

    /// Messages side by side with `separator` between them, which reads the same in every
    /// language (`batch size 32 · lr 0.01`).
    pub fn join(items: impl IntoIterator<Item = Message>, separator: &str) -> Message {
        let mut template = String::new();
        let mut args = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                template.push_str(&separator.replace('{', "{{").replace('}', "}}"));
            }
            template.push_str(&format!("{{{i}}}"));
            args.push((i.to_string(), item));
        }
        Message::Template {
            template: Cow::Owned(template),
            args,
        }
    }

    /// The message in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Message::Plain(text) => lang.word(text),
            Message::List(items) => {
                let parts: Vec<String> = items.iter().map(|m| m.text(lang)).collect();
                parts.join(match lang {
                    Lang::En => "; ",
                    Lang::Zh => "；",
                })
            }
            Message::Template { template, args } => {
                let args: Vec<(&str, String)> = args
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.text(lang)))
                    .collect();
                let template = match lang {
                    Lang::En => template.as_ref(),
                    Lang::Zh => catalogue()
                        .get(template.as_ref())
                        .copied()
                        .unwrap_or(template),
                };
                fill_slots(template, &args)
            }
        }
    }
}

impl Default for Message {
    fn default() -> Self {
        Message::Plain(String::new())
    }
}

/// English, for logs, the command line and tests.
impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

/// Compares the English text (for tests and the command line).
impl PartialEq<&str> for Message {
    fn eq(&self, english: &&str) -> bool {
        self.text(Lang::En) == *english
    }
}

impl PartialEq<str> for Message {
    fn eq(&self, english: &str) -> bool {
        self.text(Lang::En) == english
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::Plain(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::Plain(text.to_string())
    }
}

/// A value that can fill a [`msg!`] slot: a message stays one (and is translated), anything
/// else is its text.
pub trait ToMessage: std::fmt::Display {
    /// This value as a slot's value.
    fn to_message(&self) -> Message;
}

impl ToMessage for Message {
    fn to_message(&self) -> Message {
        self.clone()
    }
}

impl<T: ToMessage + ?Sized> ToMessage for &T {
    fn to_message(&self) -> Message {
        (**self).to_message()
    }
}

/// Values shown as they are written.
macro_rules! plain_values {
    ($($t:ty),*) => {$(
        impl ToMessage for $t {
            fn to_message(&self) -> Message {
                Message::Plain(self.to_string())
            }
        }
    )*};
}
plain_values!(
    str, String, char, u8, u16, u32, u64, usize, i32, i64, f32, f64
);

/// Marks English text kept as data (a field's name, a lesson's title) for translation where
/// it is shown; returns it unchanged, so it also works in constants.
pub const fn key(en: &'static str) -> &'static str {
    en
}

/// English → Chinese, built once from the catalogue.
fn catalogue() -> &'static HashMap<&'static str, &'static str> {
    static MAP: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| zh::ENTRIES.iter().copied().collect())
}

/// The pieces of English template: fixed text between slots, and the slots' names.
pub fn template_parts(template: &str) -> (Vec<String>, Vec<String>) {
    let mut fixed = vec![String::new()];
    let mut names = Vec::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                fixed.last_mut().expect("never empty").push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                fixed.last_mut().expect("never empty").push('}');
            }
            '{' => {
                let mut slot = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    slot.push(c);
                }
                // `{value:.1}` fills the slot `value`; `{}` is named by its position.
                let name = slot.split(':').next().unwrap_or_default();
                names.push(if name.is_empty() {
                    names.len().to_string()
                } else {
                    name.to_string()
                });
                fixed.push(String::new());
            }
            c => fixed.last_mut().expect("never empty").push(c),
        }
    }
    (fixed, names)
}

/// Puts values into a template's `{name}` slots (`{{` and `}}` are braces).
fn fill_slots(template: &str, args: &[(&str, String)]) -> String {
    let (fixed, names) = template_parts(template);
    let mut out = String::with_capacity(template.len() + 16);
    for (i, text) in fixed.iter().enumerate() {
        out.push_str(text);
        if let Some(name) = names.get(i) {
            match args.iter().find(|(n, _)| n == name) {
                Some((_, value)) => out.push_str(value),
                None => out.push_str(&format!("{{{name}}}")),
            }
        }
    }
    out
}

/// Every English key the catalogue translates (for the key-coverage test).
pub fn catalogue_keys() -> impl Iterator<Item = &'static str> {
    zh::ENTRIES.iter().map(|&(en, _)| en)
}

/// The Chinese entry for an English key, if there is one (for the key-coverage test).
pub fn chinese(en: &str) -> Option<&'static str> {
    catalogue().get(en).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_tags_pick_a_language() {
        assert_eq!(Lang::parse("zh-TW"), Some(Lang::Zh));
        assert_eq!(Lang::parse("zh_Hans_CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("en-GB"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::preferred(["fr-FR", "zh-CN", "en"]), Lang::Zh);
        assert_eq!(Lang::preferred(["de"]), Lang::En);
    }

    #[test]
    fn templates_fill_by_name_in_either_order() {
        let args = [("n", "3".to_string()), ("total", "10".to_string())];
        assert_eq!(fill_slots("{n} of {total}", &args), "3 of 10");
        assert_eq!(
            fill_slots("共 {total} 个，第 {n} 个", &args),
            "共 10 个，第 3 个"
        );
        assert_eq!(fill_slots("{{literal}} {n}", &args), "{literal} 3");
    }

    #[test]
    fn a_message_keeps_its_values_and_fills_them_per_language() {
        let inner = msg!("must be 1 to {most}", most = 1024);
        let outer = msg!("{what}: {}", inner, what = "batch size");
        assert_eq!(outer.to_string(), "batch size: must be 1 to 1024");
        let (_, names) = template_parts("{x:.1} of {}");
        assert_eq!(names, ["x", "1"]);
        let list = Message::list([msg!("finished"), Message::from("zz 1")]);
        assert_eq!(list.to_string(), "finished; zz 1");
    }

    #[test]
    fn english_is_its_own_translation_and_unknown_text_passes_through() {
        assert_eq!(Lang::En.text("Train"), "Train");
        assert_eq!(
            Message::from("a browser's own words").text(Lang::Zh),
            "a browser's own words"
        );
        assert_eq!(tr!(Lang::En, "{a} and {b}", a = 1, b = "two"), "1 and two");
    }
}
