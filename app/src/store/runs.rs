//! The runs table's contents: every run kept, and what each changed from the one before.

use std::ops::Deref;

use tradeoff_core::compare::{Change, config_changes};
use tradeoff_core::i18n::Message;
use tradeoff_core::msg;
use tradeoff_core::record::RunRecord;

/// A finished (or stopped, diverged, failed, shared, imported) run in the runs table.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Page-local id.
    pub id: u32,
    /// Where it is kept in the browser's database: its creation time in ms (unique across tabs).
    pub key: f64,
    /// Everything about it.
    pub record: RunRecord,
    /// What changed from the run before it.
    pub changes: Changed,
}

/// What a run changed from the one before it, as the runs table's "changed" column says it.
#[derive(Clone, Debug, PartialEq)]
pub enum Changed {
    /// The settings that differ from the previous trained run (none for the first).
    Settings(Vec<Change>),
    /// A compressed copy of another run.
    CopyOf(Message),
}

/// The runs, oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Runs(Vec<Run>);

impl Deref for Runs {
    type Target = [Run];

    fn deref(&self) -> &[Run] {
        &self.0
    }
}

impl Runs {
    /// Run `id`.
    pub fn get(&self, id: u32) -> Option<&Run> {
        self.0.iter().find(|r| r.id == id)
    }

    /// Where run `id` is kept in the browser's database.
    pub fn key_of(&self, id: u32) -> Option<f64> {
        self.get(id).map(|r| r.key)
    }

    /// The run holding exactly `record`, if one does (an import or a link seen again).
    pub fn find_record(&self, record: &RunRecord) -> Option<u32> {
        self.0.iter().find(|r| r.record == *record).map(|r| r.id)
    }

    /// Adds `record` as run `id`, saying what it changed: a compressed copy names the run it
    /// was made from, an ensemble its members, any other run the settings that differ from the
    /// last trained run.
    pub fn push(&mut self, id: u32, key: f64, record: RunRecord) {
        let derived = |r: &RunRecord| r.compression.is_some() || r.ensemble.is_some();
        let changes = match (&record.compression, &record.ensemble) {
            (_, Some(ensemble)) => {
                let members: Vec<String> = ensemble
                    .member_keys
                    .iter()
                    .filter_map(|key| self.0.iter().find(|r| r.key == *key))
                    .map(|r| r.id.to_string())
                    .collect();
                Changed::CopyOf(if members.len() == ensemble.member_accuracies.len() {
                    msg!("ensemble of runs {}", members.join(", "))
                } else {
                    msg!("ensemble of {k} runs", k = ensemble.member_accuracies.len())
                })
            }
            (Some(info), None) => {
                let parent = self
                    .0
                    .iter()
                    .find(|r| Some(r.key) == info.parent_key)
                    .map_or(msg!("a deleted run"), |r| msg!("run {}", r.id));
                let method = info.method.label();
                Changed::CopyOf(msg!("{} copy of {parent}", method, parent = parent))
            }
            (None, None) => Changed::Settings(
                self.0
                    .iter()
                    .rev()
                    .find(|r| !derived(&r.record))
                    .map(|prev| config_changes(&prev.record.config, &record.config))
                    .unwrap_or_default(),
            ),
        };
        self.0.push(Run {
            id,
            key,
            record,
            changes,
        });
    }

    /// Takes run `id` out of the table.
    pub fn remove(&mut self, id: u32) -> Option<Run> {
        let at = self.0.iter().position(|r| r.id == id)?;
        Some(self.0.remove(at))
    }
}
