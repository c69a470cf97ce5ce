//! The trained models the next runs use: the one they start from (transfer learning) and the
//! teacher they are distilled from. Each is a pretrained model (fetched when chosen), a
//! finished run's model (asked of the worker that holds it) or a model file the user picks;
//! held here and sent with every run whose config names it.

use std::sync::Arc;

use leptos::prelude::*;
use tradeoff_core::config::{RunConfig, StartFrom};
use tradeoff_core::i18n::Message;
use tradeoff_core::msg;
use tradeoff_core::protocol::ToWorker;
use tradeoff_core::transfer::{Pretrained, StartModel, TransferPlan};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::Store;
use crate::worker_client::WorkerKind;

/// Largest model file accepted: the largest model a run may have
/// ([`MAX_PARAMS`](tradeoff_core::config::limits::MAX_PARAMS) floats) and its header.
const MAX_START_BYTES: f64 = (tradeoff_core::config::limits::MAX_PARAMS * 4 + (1 << 20)) as f64;

/// Where a model the next runs use stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum StartState {
    /// None chosen.
    #[default]
    None,
    /// Being fetched, or asked of a worker.
    Loading(StartFrom),
    /// In hand.
    Ready(StartFrom, Arc<StartModel>),
    /// Could not be had, and why.
    Failed(StartFrom, Message),
}

/// What a trained model is for in the next runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The weights a run starts from (`start=`).
    Start,
    /// The teacher a run is distilled from (`teacher=`).
    Teacher,
}

impl Role {
    /// The model `config` names for this role ([`StartFrom::Scratch`]: none).
    pub fn of(self, config: &RunConfig) -> &StartFrom {
        match self {
            Role::Start => &config.transfer.from,
            Role::Teacher => &config.distill.teacher,
        }
    }

    fn set(self, config: &mut RunConfig, from: StartFrom) {
        match self {
            Role::Start => config.transfer.from = from,
            Role::Teacher => config.distill.teacher = from,
        }
    }

    fn state(self, store: &Store) -> RwSignal<StartState> {
        match self {
            Role::Start => store.start,
            Role::Teacher => store.teacher,
        }
    }

    /// Why a run cannot use it yet: loading, unusable (`why`), or named by a link and not here.
    fn blocker(self, state: &StartState, from: &StartFrom) -> Message {
        let (start, teacher) = (self == Role::Start, self == Role::Teacher);
        match (state, from) {
            (StartState::Failed(f, why), _) if f == from && start => {
                msg!("The starting weights cannot be used: {why}", why = why)
            }
            (StartState::Failed(f, why), _) if f == from && teacher => {
                msg!("The teacher cannot be used: {why}", why = why)
            }
            (_, StartFrom::Run(id)) if start => msg!(
                "This run starts from the weights of run {id} of the page its link was made in, which this page does not have: train that run here, or pick its model file (its “Download model”) under “Start from”.",
                id = id
            ),
            (_, StartFrom::Run(id)) => msg!(
                "This run is distilled from run {id} of the page its link was made in, which this page does not have: train that run here, or pick its model file (its “Download model”) under “Teacher”.",
                id = id
            ),
            (_, StartFrom::File(name)) if start => msg!(
                "This run starts from the model file {name}: pick it under “Start from” (whoever sent the link has it).",
                name = name
            ),
            (_, StartFrom::File(name)) => msg!(
                "This run is distilled from the model file {name}: pick it under “Teacher” (whoever sent the link has it).",
                name = name
            ),
            _ if start => msg!("The starting weights are loading…"),
            _ => msg!("The teacher is loading…"),
        }
    }
}

impl Store {
    /// Uses `from` as `role` in the next runs: fetches a pretrained model, or asks a worker for
    /// a run's (a file comes through [`Store::model_from_file`]).
    pub fn choose_model(&self, role: Role, from: StartFrom) {
        // Choosing again what failed tries again.
        let state = role.state(self);
        if matches!(state.get_untracked(), StartState::Failed(..)) {
            state.set(StartState::None);
        }
        self.config.update(|c| role.set(c, from));
        self.load_model(role);
    }

    /// Gets the model the config names for `role`, unless it is in hand or on its way.
    pub(super) fn load_model(&self, role: Role) {
        let from = self.config.with_untracked(|c| role.of(c).clone());
        let state = role.state(self);
        let settled = match &state.get_untracked() {
            StartState::Loading(f) | StartState::Ready(f, _) | StartState::Failed(f, _) => {
                *f == from
            }
            StartState::None => from == StartFrom::Scratch,
        };
        if settled {
            return;
        }
        match from.clone() {
            StartFrom::Scratch => state.set(StartState::None),
            StartFrom::Pretrained(id) => {
                let Some(pretrained) = Pretrained::find(&id) else {
                    return state.set(StartState::Failed(
                        from,
                        msg!("“{id}” is not one of the pretrained models", id = id),
                    ));
                };
                state.set(StartState::Loading(from.clone()));
                let store = *self;
                leptos::task::spawn_local(async move {
                    let result = fetch(&pretrained.path()).await.and_then(StartModel::read);
                    store.settle_model(role, from, result);
                });
            }
            StartFrom::Run(id) if self.workers.holds(id) => {
                state.set(StartState::Loading(from));
                self.model_requests.update(|r| r.push((role, id)));
                let home = self.workers.home_of(id).unwrap_or(WorkerKind::Cpu);
                self.send_to(home, ToWorker::SaveModel { run_id: id });
            }
            // A run this page does not hold, or a file not picked here: the user is told
            // what is needed (see `model_blocker`).
            StartFrom::Run(_) | StartFrom::File(_) => state.set(StartState::None),
        }
    }

    /// Whether the model file of run `run_id` is awaited for a role (not as a download).
    pub(super) fn awaits_model_file(&self, run_id: u32) -> bool {
        self.model_requests
            .with_untracked(|r| r.iter().any(|(_, id)| *id == run_id))
    }

    /// The model file of run `run_id` arrived for the roles that asked for it.
    pub(super) fn take_model_file(&self, run_id: u32, result: Result<Vec<u8>, Message>) {
        let mut roles = Vec::new();
        self.model_requests.update(|r| {
            r.retain(|(role, id)| {
                let asked = *id == run_id;
                if asked {
                    roles.push(*role);
                }
                !asked
            })
        });
        let model = result.and_then(StartModel::read);
        for role in roles {
            self.settle_model(role, StartFrom::Run(run_id), model.clone());
        }
    }

    /// Uses the model file `file` the user picked as `role` in the next runs.
    pub fn model_from_file(&self, role: Role, file: web_sys::File) {
        let from = StartFrom::file(&file.name());
        self.config.update(|c| role.set(c, from.clone()));
        let state = role.state(self);
        if file.size() > MAX_START_BYTES {
            return state.set(StartState::Failed(
                from,
                msg!(
                    "{name} is {size}, larger than any model a run can have",
                    name = file.name(),
                    size = tradeoff_core::format::bytes(file.size() as u64)
                ),
            ));
        }
        state.set(StartState::Loading(from.clone()));
        let store = *self;
        leptos::task::spawn_local(async move {
            let bytes = JsFuture::from(file.array_buffer())
                .await
                .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec())
                .map_err(|_| msg!("the file could not be read"));
            store.settle_model(role, from, bytes.and_then(StartModel::read));
        });
    }

    fn settle_model(&self, role: Role, from: StartFrom, result: Result<StartModel, Message>) {
        // A later choice wins over an earlier one still on its way.
        if self.config.with_untracked(|c| *role.of(c) != from) {
            return;
        }
        role.state(self).set(match result {
            Ok(model) => StartState::Ready(from, Arc::new(model)),
            Err(why) => StartState::Failed(from, why),
        });
    }

    /// The model the config names for `role`, if it names one and it is in hand.
    pub fn model_for(&self, role: Role) -> Option<Arc<StartModel>> {
        let from = self.config.with(|c| role.of(c).clone());
        role.state(self).with(|s| match s {
            StartState::Ready(f, model) if *f == from => Some(model.clone()),
            _ => None,
        })
    }

    /// Which layers of the config would start from the weights in hand.
    pub fn start_plan(&self) -> Option<TransferPlan> {
        let model = self.model_for(Role::Start)?;
        let classes = self.class_names();
        Some(self.config.with(|c| model.plan(c, &classes)))
    }

    /// Why the config cannot train now because of the model it names for `role`, if it cannot.
    pub fn model_blocker(&self, role: Role) -> Option<Message> {
        let from = self.config.with(|c| role.of(c).clone());
        if from == StartFrom::Scratch || self.model_for(role).is_some() {
            return None;
        }
        Some(role.state(self).with(|s| role.blocker(s, &from)))
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
