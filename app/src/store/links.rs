//! The page's links: the address bar mirrors the config, a pasted link is read, and a run
//! can be shared with its result.

use leptos::prelude::*;
use tradeoff_core::classroom::Classroom;
use tradeoff_core::config::RunConfig;
use tradeoff_core::i18n::{Message, key};
use tradeoff_core::msg;
use tradeoff_core::own_images::OWN_IMAGES_DATASET;
use tradeoff_core::share::SharedResult;
use tradeoff_core::url;
use wasm_bindgen::prelude::*;

use super::Store;

impl Store {
    /// Reads the address bar's link, and again whenever only its hash changes (a link pasted
    /// into this tab).
    pub(super) fn follow_address_bar(&self) {
        self.read_link();
        let store = *self;
        let on_hash = Closure::<dyn Fn()>::new(move || {
            let hash = window().location().hash().unwrap_or_default();
            if hash != format!("#{}", store.hash_untracked()) {
                store.read_link();
            }
        });
        window().set_onhashchange(Some(on_hash.as_ref().unchecked_ref()));
        on_hash.forget();
    }

    fn read_link(&self) {
        let hash = window().location().hash().unwrap_or_default();
        if hash.len() > 1 {
            self.open_link(&hash);
        }
    }

    /// Opens a link's hash: its settings, hidden and locked controls, lesson and result.
    pub fn open_link(&self, hash: &str) {
        let parsed = match url::from_hash(hash) {
            Ok(parsed) => parsed,
            Err(errors) => {
                let list = Message::list(errors.iter().map(url::UrlError::describe));
                return self.notify(
                    "error",
                    msg!(
                        "The link could not be read, so the defaults are shown. {}",
                        list
                    ),
                );
            }
        };
        let local = parsed.config.dataset == OWN_IMAGES_DATASET;
        self.classroom.set(parsed.classroom.clone());
        let shared = parsed.result.is_some();
        if let Some(result) = parsed.result {
            let record = parsed
                .config
                .validate(self.classes_of(&parsed.config))
                .ok()
                .map(|cost| result.into_record(parsed.config.clone(), cost));
            self.shared_waiting.set_value(record);
            if self.restored.get_untracked() {
                self.add_shared();
            }
        }
        self.config.set(parsed.config);
        // A lesson explains itself in its card, and a result in a notice of its own.
        if parsed.classroom.lesson.is_none() && !shared {
            self.notify(
                "info",
                if local {
                    key("Settings loaded from the link. It was trained on its author's own images, which never left their browser: add your own under Data → Your own images (any classes you like), then press Train.")
                } else {
                    key("Settings loaded from the link. Press Train to run them.")
                },
            );
        }
        if let Some(why) = parsed.result_error {
            self.notify(
                "warning",
                msg!(
                    "The link's result could not be read, so only its settings are shown: {why}.",
                    why = why
                ),
            );
        }
        if !parsed.ignored_keys.is_empty() {
            self.notify(
                "warning",
                msg!(
                    "The link had settings this page does not know, ignored: {}",
                    parsed.ignored_keys.join(", ")
                ),
            );
        }
    }

    /// Adds the result a link carried as a run marked shared (once: opening the same link
    /// again selects the run it made).
    pub(super) fn add_shared(&self) {
        let Some(record) = self.shared_waiting.try_update_value(Option::take).flatten() else {
            return;
        };
        let known = self
            .runs
            .with_untracked(|runs| runs.find_record(&record).filter(|_| record.shared));
        let id = match known {
            Some(id) => id,
            None => {
                let key = js_sys::Date::now();
                self.keep(key, &record);
                self.push_run(key, record)
            }
        };
        self.selected.set(Some(id));
        self.notify(
            "info",
            msg!("This link carries a result measured on the sender's device: it is run {id}, marked \"shared result\". Press Train to re-run it and verify.", id = id),
        );
    }

    /// The hash the address bar holds: the config, hidden and locked controls, lesson.
    fn hash_untracked(&self) -> String {
        self.config.with_untracked(|c| {
            self.classroom
                .with_untracked(|room| url::to_link(c, room, None))
        })
    }

    /// A link to run `id` with its result, for whoever should see it without training.
    pub fn result_link(&self, id: u32) -> Option<String> {
        let hash = self.runs.with_untracked(|runs| {
            let run = runs.get(id)?;
            let room = self.classroom.get_untracked();
            Some(url::to_link(
                &run.record.config,
                &room,
                Some(&SharedResult::of(&run.record)),
            ))
        })?;
        Some(format!("{}#{hash}", base_url()))
    }

    /// Writes the config, hidden and locked controls and lesson into the address bar (without
    /// adding history entries).
    pub fn write_link(&self, config: &RunConfig, classroom: &Classroom) {
        let hash = format!("#{}", url::to_link(config, classroom, None));
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&hash));
        }
    }

    /// The full link of the current config.
    pub fn link(&self) -> String {
        format!("{}#{}", base_url(), self.hash_untracked())
    }
}

/// The page's address without its hash.
fn base_url() -> String {
    let location = window().location();
    format!(
        "{}{}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default()
    )
}
