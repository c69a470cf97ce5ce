//! The trained model the next run starts from: a pretrained start (fetched when chosen), a
//! finished run's model (asked of the worker that holds it) or a model file the user picks.
//! Held here and sent with every run whose config starts from it.

use std::sync::Arc;

use leptos::prelude::*;
use tradeoff_core::config::StartFrom;
use tradeoff_core::i18n::Message;
use tradeoff_core::msg;
use tradeoff_core::protocol::ToWorker;
use tradeoff_core::transfer::{Pretrained, StartModel, TransferPlan};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::Store;
use crate::worker_client::WorkerKind;

/// Largest model file accepted as a start: the largest model a run may have
/// ([`MAX_PARAMS`](tradeoff_core::config::limits::MAX_PARAMS) floats) and its header.
const MAX_START_BYTES: f64 = (tradeoff_core::config::limits::MAX_PARAMS * 4 + (1 << 20)) as f64;

/// Where the starting weights stand.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum StartState {
    /// None chosen (or the run starts from scratch).
    #[default]
    None,
    /// Being fetched, or asked of a worker.
    Loading(StartFrom),
    /// In hand.
    Ready(StartFrom, Arc<StartModel>),
    /// Could not be had, and why.
    Failed(StartFrom, Message),
}

impl Store {
    /// Starts the next runs from `from`: fetches a pretrained start, or asks a worker for a
    /// run's model (a file comes through [`Store::start_from_file`]).
    pub fn choose_start(&self, from: StartFrom) {
        // Choosing again what failed tries again.
        if matches!(self.start.get_untracked(), StartState::Failed(..)) {
            self.start.set(StartState::None);
        }
        self.config.update(|c| c.transfer.from = from);
        self.load_start();
    }

    /// Gets the weights the config's start names, unless they are in hand or on their way.
    pub(super) fn load_start(&self) {
        let from = self.config.with_untracked(|c| c.transfer.from.clone());
        let current = self.start.get_untracked();
        let settled = match &current {
            StartState::Loading(f) | StartState::Ready(f, _) => *f == from,
            StartState::Failed(f, _) => *f == from,
            StartState::None => from == StartFrom::Scratch,
        };
        if settled {
            return;
        }
        match from.clone() {
            StartFrom::Scratch => self.start.set(StartState::None),
            StartFrom::Pretrained(id) => {
                let Some(pretrained) = Pretrained::find(&id) else {
                    return self.start.set(StartState::Failed(
                        from,
                        msg!("“{id}” is not one of the pretrained starts", id = id),
                    ));
                };
                self.start.set(StartState::Loading(from.clone()));
                let store = *self;
                leptos::task::spawn_local(async move {
                    let result = fetch(&pretrained.path()).await.and_then(StartModel::read);
                    store.settle_start(from, result);
                });
            }
            StartFrom::Run(id) if self.workers.holds(id) => {
                self.start.set(StartState::Loading(from));
                self.start_request.set(Some(id));
                let home = self.workers.home_of(id).unwrap_or(WorkerKind::Cpu);
                self.send_to(home, ToWorker::SaveModel { run_id: id });
            }
            // A run this page does not hold, or a file not picked here: the user is told
            // what is needed (see `start_blocker`).
            StartFrom::Run(_) | StartFrom::File(_) => self.start.set(StartState::None),
        }
    }

    /// Whether the model file of run `run_id` is awaited as a start (not as a download).
    pub(super) fn awaits_start_file(&self, run_id: u32) -> bool {
        self.start_request.get_untracked() == Some(run_id)
    }

    /// The model file of run `run_id` arrived for a start.
    pub(super) fn take_start_file(&self, run_id: u32, result: Result<Vec<u8>, Message>) {
        self.start_request.set(None);
        self.settle_start(StartFrom::Run(run_id), result.and_then(StartModel::read));
    }

    /// Starts the next runs from the model file `file` the user picked.
    pub fn start_from_file(&self, file: web_sys::File) {
        let from = StartFrom::file(&file.name());
        self.config.update(|c| c.transfer.from = from.clone());
        if file.size() > MAX_START_BYTES {
            return self.start.set(StartState::Failed(
                from,
                msg!(
                    "{name} is {size}, larger than any model a run can have",
                    name = file.name(),
                    size = tradeoff_core::format::bytes(file.size() as u64)
                ),
            ));
        }
        self.start.set(StartState::Loading(from.clone()));
        let store = *self;
        leptos::task::spawn_local(async move {
            let bytes = JsFuture::from(file.array_buffer())
                .await
                .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec())
                .map_err(|_| msg!("the file could not be read"));
            store.settle_start(from, bytes.and_then(StartModel::read));
        });
    }

    fn settle_start(&self, from: StartFrom, result: Result<StartModel, Message>) {
        // A later choice wins over an earlier one still on its way.
        if self.config.with_untracked(|c| c.transfer.from != from) {
            return;
        }
        self.start.set(match result {
            Ok(model) => StartState::Ready(from, Arc::new(model)),
            Err(why) => StartState::Failed(from, why),
        });
    }

    /// The starting weights for the config, if it starts from some and they are in hand.
    pub fn start_model(&self) -> Option<Arc<StartModel>> {
        let from = self.config.with(|c| c.transfer.from.clone());
        self.start.with(|s| match s {
            StartState::Ready(f, model) if *f == from => Some(model.clone()),
            _ => None,
        })
    }

    /// Which layers of the config would start from the weights in hand.
    pub fn start_plan(&self) -> Option<TransferPlan> {
        let model = self.start_model()?;
        let classes = self.class_names();
        Some(self.config.with(|c| model.plan(c, &classes)))
    }

    /// Why the config cannot train now because of its start, if it cannot.
    pub fn start_blocker(&self) -> Option<Message> {
        let from = self.config.with(|c| c.transfer.from.clone());
        if from == StartFrom::Scratch || self.start_model().is_some() {
            return None;
        }
        Some(self.start.with(|s| match (s, &from) {
            (StartState::Loading(f), _) if *f == from => msg!("The starting weights are loading…"),
            (StartState::Failed(f, why), _) if *f == from => {
                msg!("The starting weights cannot be used: {why}", why = why)
            }
            (_, StartFrom::Run(id)) => msg!(
                "This run starts from the weights of run {id} of the page its link was made in, which this page does not have: train that run here, or pick its model file (its “Download model”) under “Start from”.",
                id = id
            ),
            (_, StartFrom::File(name)) => msg!(
                "This run starts from the model file {name}: pick it under “Start from” (whoever sent the link has it).",
                name = name
            ),
            _ => msg!("The starting weights are loading…"),
        }))
    }
}

/// Fetches `url` (of this page's origin) whole.
async fn fetch(url: &str) -> Result<Vec<u8>, Message> {
    let failed = || msg!("could not download {url}", url = url);
    let response = JsFuture::from(window().fetch_with_str(url))
        .await
        .map_err(|_| failed())?;
    let response: web_sys::Response = response.unchecked_into();
    if !response.ok() {
        return Err(failed());
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(|_| failed())?)
        .await
        .map_err(|_| failed())?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
