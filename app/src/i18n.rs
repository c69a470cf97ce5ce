//! The page's language: which one is shown, where the choice is kept, and `t`, the one call
//! every piece of text goes through (see `tradeoff_core::i18n`).

use std::cell::Cell;

use leptos::prelude::*;
use tradeoff_core::i18n::{Lang, Message};

/// Where the reader's choice of language is remembered between visits.
const STORAGE_KEY: &str = "tradeoff-lang";

thread_local! {
    // Mirrors `Store::lang`. Text is also made in event handlers and async tasks, which run
    // outside the component tree where context cannot be read; the language is set here
    // before the page is drawn in it, so everything drawn agrees.
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::En) };
}

/// The language the page is being drawn in.
pub fn lang() -> Lang {
    CURRENT.with(Cell::get)
}

/// Makes `lang` the page's language for everything drawn from now on, and tells the browser
/// (`<html lang>`, which screen readers and fonts follow).
pub fn set_lang(lang: Lang) {
    CURRENT.with(|c| c.set(lang));
    let document = document();
    if let Some(html) = document.document_element() {
        let _ = html.set_attribute("lang", lang.code());
    }
    document.set_title(t("Tradeoff — train an image classifier in your browser"));
}

/// A fixed piece of text in the page's language.
pub fn t(en: &'static str) -> &'static str {
    lang().text(en)
}

/// A message made in core or the worker (with `msg!`), in the page's language.
pub fn localise(message: &Message) -> String {
    message.text(lang())
}

/// Text that may be a catalogue word (a built-in class's name) or not (a user's class name).
pub fn word(text: &str) -> String {
    lang().word(text)
}

/// The language to start in: the reader's earlier choice, else the browser's preference.
pub fn initial_lang() -> Lang {
    let saved = window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|tag| Lang::parse(&tag));
    saved.unwrap_or_else(|| {
        let languages: Vec<String> = window()
            .navigator()
            .languages()
            .iter()
            .filter_map(|v| v.as_string())
            .collect();
        Lang::preferred(languages.iter().map(String::as_str))
    })
}

/// Remembers the reader's choice for the next visit (quietly: a browser that refuses
/// storage still switches, for this visit).
pub fn remember(lang: Lang) {
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(STORAGE_KEY, lang.code());
    }
}
