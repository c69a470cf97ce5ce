//! The interface's two languages: English, which the source is written in, and Chinese.
//!
//! Text is looked up by its English form, gettext-style, so the source stays readable and a
//! missing translation falls back to English rather than to a blank. Three kinds of text:
//! - fixed words on the page: [`Lang::text`] (`t("Train")` in the app);
//! - sentences with values in them: [`tr!`], whose `{name}` slots are filled per language;
//! - messages made here in core without knowing the reader's language (a bad link, a refused
//!   file): written with [`msg!`], which is `format!` that marks its template, and translated
//!   where they are shown by [`Lang::localise`], which reads the values back out of the
//!   English sentence by its template.
//!
//! `core/tests/i18n.rs` collects every such key from the sources and fails on any without a
//! Chinese entry, so an untranslated string cannot slip in unnoticed.

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

    /// A message made in core (with [`msg!`]) read in this language: an exact entry, or the
    /// template it was made from with its values (themselves localised) put back in.
    /// Anything unknown, such as a browser's own error text, is shown as it came.
    pub fn localise(self, message: &str) -> String {
        if self == Lang::En {
            return message.to_string();
        }
        if let Some(zh) = catalogue().get(message) {
            return (*zh).to_string();
        }
        let mut specific = templates().iter().filter(|t| !t.is_joiner());
        if let Some(out) = specific.find_map(|t| self.fill_read(t, message, false)) {
            return out;
        }
        // Lists made by joining messages: each part in this language.
        for (separator, joined) in [("; ", "；"), (" · ", " · ")] {
            if message.contains(separator) {
                let parts: Vec<String> = message
                    .split(separator)
                    .map(|part| self.localise(part))
                    .collect();
                return parts.join(joined);
            }
        }
        // "{field}: {message}": only where the message part is one this catalogue knows.
        let mut joiners = templates().iter().filter(|t| t.is_joiner());
        if let Some(out) = joiners.find_map(|t| self.fill_read(t, message, true)) {
            return out;
        }
        // A setting's name and its value (`batch size 32`, `learning rate 0.01 → 0.1`).
        let named = catalogue()
            .iter()
            .filter(|(en, _)| {
                message.len() > en.len()
                    && message.starts_with(*en)
                    && message.as_bytes()[en.len()] == b' '
            })
            .max_by_key(|(en, _)| en.len());
        if let Some((en, zh)) = named {
            return format!("{zh}{}", &message[en.len()..]);
        }
        message.to_string()
    }
}

impl Lang {
    /// `message` read as made from `template`, in this language. Of several readings
    /// ("{key}: {message}" splits "lr: layer 2: bad" two ways) the one whose values the
    /// catalogue knows best wins; `last_known` asks that the last value be translated.
    fn fill_read(self, template: &Template, message: &str, last_known: bool) -> Option<String> {
        let (_, values) = template
            .reads(message)
            .into_iter()
            .filter_map(|values| {
                let localised: Vec<String> = values.iter().map(|v| self.localise(v)).collect();
                let changed = |i: usize| values[i] != localised[i].as_str();
                if last_known && !changed(values.len() - 1) {
                    return None;
                }
                let known = (0..values.len()).filter(|&i| changed(i)).count();
                Some((known, localised))
            })
            .rev()
            .max_by_key(|(known, _)| *known)?;
        let args: Vec<(&str, String)> = template
            .names
            .iter()
            .map(String::as_str)
            .zip(values)
            .collect();
        Some(fill_slots(template.zh, &args))
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

/// `format!` for a message made in core that the page will show: marks its template so the
/// key-coverage test finds it and [`Lang::localise`] can translate it where it is shown.
#[macro_export]
macro_rules! msg {
    ($($arg:tt)*) => {
        format!($($arg)*)
    };
}

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

/// Every catalogue entry with slots, most specific (longest fixed text) first.
fn templates() -> &'static [Template] {
    static LIST: OnceLock<Vec<Template>> = OnceLock::new();
    LIST.get_or_init(|| {
        let mut list: Vec<Template> = zh::ENTRIES
            .iter()
            .filter_map(|&(en, zh)| Template::new(en, zh))
            .collect();
        list.sort_by_key(|t| std::cmp::Reverse(t.fixed_len()));
        list
    })
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

/// An English message template and its Chinese form.
struct Template {
    /// Fixed text around the slots; one more than `names`.
    fixed: Vec<String>,
    /// The slots' names, in order.
    names: Vec<String>,
    /// The Chinese template.
    zh: &'static str,
}

impl Template {
    fn new(en: &'static str, zh: &'static str) -> Option<Template> {
        let (fixed, names) = template_parts(en);
        if names.is_empty() {
            return None;
        }
        // Slots right next to each other, or kept apart by spaces alone ("{a} {b}"), cannot
        // be told apart when reading a message back: such templates are only ever filled.
        let readable = fixed[1..fixed.len() - 1]
            .iter()
            .all(|f| !f.trim().is_empty());
        readable.then_some(Template { fixed, names, zh })
    }

    fn fixed_len(&self) -> usize {
        self.fixed.iter().map(String::len).sum()
    }

    /// A template of punctuation only, such as `{field}: {message}`, which joins messages.
    fn is_joiner(&self) -> bool {
        !self
            .fixed
            .iter()
            .any(|f| f.chars().any(char::is_alphabetic))
    }

    /// Every way a message could have filled this template's slots (none if it was not made
    /// from it), the shortest first value first.
    fn reads<'m>(&self, message: &'m str) -> Vec<Vec<&'m str>> {
        let last = self.fixed.last().expect("never empty");
        let Some(rest) = message
            .strip_prefix(self.fixed[0].as_str())
            .and_then(|rest| rest.strip_suffix(last.as_str()))
        else {
            return Vec::new();
        };
        let mut found = Vec::new();
        self.read_from(rest, 1, &mut Vec::new(), &mut found);
        found
    }

    fn read_from<'m>(
        &self,
        rest: &'m str,
        slot: usize,
        values: &mut Vec<&'m str>,
        found: &mut Vec<Vec<&'m str>>,
    ) {
        // Enough readings to choose from; a long message with many separators stops here.
        const MOST: usize = 16;
        if slot == self.fixed.len() - 1 {
            values.push(rest);
            found.push(values.clone());
            values.pop();
            return;
        }
        let fixed = self.fixed[slot].as_str();
        for (at, _) in rest.match_indices(fixed) {
            if found.len() >= MOST {
                return;
            }
            values.push(&rest[..at]);
            self.read_from(&rest[at + fixed.len()..], slot + 1, values, found);
            values.pop();
        }
    }
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
    fn a_message_is_read_back_by_its_template() {
        let t = Template::new(
            "{key}: '{value}' is not a number",
            "{key}：“{value}”不是数字",
        )
        .expect("has slots");
        assert_eq!(t.reads("lr: 'abc' is not a number"), [["lr", "abc"]]);
        assert!(t.reads("lr: 'abc' is a number").is_empty());
        let (fixed, names) = template_parts("{x:.1} of {}");
        assert_eq!(names, ["x", "1"]);
        assert_eq!(fixed, ["", " of ", ""]);
    }

    #[test]
    fn joined_lists_and_named_values_read_part_by_part() {
        let list = Lang::Zh.localise("batch size 32 · zz 1");
        assert!(list.starts_with(Lang::Zh.text("batch size")), "{list}");
        assert!(list.ends_with(" · zz 1"), "{list}");
    }

    #[test]
    fn english_is_its_own_translation_and_unknown_text_passes_through() {
        assert_eq!(Lang::En.text("Train"), "Train");
        assert_eq!(
            Lang::Zh.localise("a browser's own words"),
            "a browser's own words"
        );
        assert_eq!(tr!(Lang::En, "{a} and {b}", a = 1, b = "two"), "1 and two");
    }
}
