//! What the user starts and stops: runs, sweeps, compressions, saved models, deletions.

use leptos::prelude::*;
use tradeoff_core::config::RunConfig;
use tradeoff_core::msg;
use tradeoff_core::protocol::ToWorker;
use tradeoff_core::record::Compression;
use tradeoff_core::sweep::SweepConfig;

use super::{Activity, Averaging, Compressing, LiveRun, Store, SweepProgress};
use crate::persist;
use crate::worker_client::WorkerKind;

impl Store {
    /// Starts training the current config.
    pub fn train(&self) {
        if self.busy_untracked()
            || !self.restored.get_untracked()
            || self.check().is_err()
            || untrack(|| self.run_blocker()).is_some()
        {
            return;
        }
        self.launch(self.config.get_untracked());
    }

    /// Plans `sweep` around the current config and starts its first run; says why not in a
    /// notice if it cannot.
    pub fn start_sweep(&self, sweep: &SweepConfig) {
        if self.busy_untracked() || !self.restored.get_untracked() {
            return;
        }
        if let Some(why) = untrack(|| self.run_blocker()) {
            return self.notify("error", msg!("The sweep cannot start. {why}", why = why));
        }
        let base = self.config.get_untracked();
        match sweep.plan(&base, self.classes_of(&base)) {
            Ok(plan) => {
                let first = plan.runs[0].config.clone();
                self.activity.set(Activity::Sweep(
                    SweepProgress {
                        runs: plan.runs,
                        skipped: plan.skipped,
                        current: 0,
                        ids: Vec::new(),
                        seconds: Vec::new(),
                        current_started: js_sys::Date::now(),
                    },
                    None,
                ));
                self.launch(first);
            }
            Err(reason) => self.notify(
                "error",
                msg!("The sweep cannot start: {reason}.", reason = reason),
            ),
        }
    }

    /// Ends the sweep: the run in progress stops (and is kept); no further runs start.
    pub fn cancel_sweep(&self) {
        if self.activity.with_untracked(|a| a.sweep().is_some()) {
            self.activity.update(Activity::drop_sweep);
            self.stop();
        }
    }

    /// After run `id` of a sweep ended: starts the next, or ends the sweep.
    pub(super) fn continue_sweep(&self, id: u32) {
        let Some(mut sweep) = self.activity.with_untracked(|a| a.sweep().cloned()) else {
            return;
        };
        if sweep.ids.last() != Some(&id) {
            return;
        }
        sweep
            .seconds
            .push((js_sys::Date::now() - sweep.current_started) / 1000.0);
        sweep.current += 1;
        if sweep.current >= sweep.runs.len() {
            self.activity.set(Activity::Idle);
            return self.notify(
                "info",
                msg!(
                    "The sweep finished: {} runs. The trade-off chart marks the best ones.",
                    sweep.runs.len()
                ),
            );
        }
        sweep.current_started = js_sys::Date::now();
        let config = sweep.runs[sweep.current].config.clone();
        self.activity.set(Activity::Sweep(sweep, None));
        self.launch(config);
    }

    /// Asks the worker that holds run `parent_id`'s model to compress it.
    pub fn compress(&self, parent_id: u32, method: Compression) {
        if self.busy_untracked() {
            return;
        }
        let id = self.take_id();
        self.activity.set(Activity::Compressing(Compressing {
            id,
            parent_id,
            label: method.label(),
        }));
        let home = self.workers.home_of(parent_id).unwrap_or(WorkerKind::Cpu);
        self.dispatch(
            home,
            ToWorker::Compress {
                parent_id,
                run_id: id,
                method,
            },
        );
    }

    /// Asks the worker that holds the models of runs `members` to evaluate them together as
    /// an ensemble; says why not when they cannot be.
    pub fn average(&self, members: Vec<u32>) {
        if self.busy_untracked() {
            return;
        }
        let homes: Vec<Option<WorkerKind>> =
            members.iter().map(|&id| self.workers.home_of(id)).collect();
        let home = match homes.first() {
            Some(Some(home)) if homes.iter().all(|h| *h == Some(*home)) => *home,
            _ => {
                return self.notify(
                    "error",
                    msg!("The runs cannot be averaged: their models must all be held by one engine (the CPU or WebGPU) since this page opened; train them again on one."),
                );
            }
        };
        let id = self.take_id();
        self.activity.set(Activity::Averaging(Averaging {
            id,
            members: members.clone(),
        }));
        self.dispatch(
            home,
            ToWorker::Ensemble {
                members,
                run_id: id,
            },
        );
    }

    /// Starts training `config` as a new run (alone, or as the sweep's next); returns its id.
    fn launch(&self, config: RunConfig) -> u32 {
        let id = self.take_id();
        self.activity.update(|a| {
            a.start(LiveRun {
                id,
                key: js_sys::Date::now(),
                config: config.clone(),
                message: msg!("starting"),
                ..LiveRun::default()
            })
        });
        self.train_on_worker(id, config);
        id
    }

    /// Ends the run in progress; its partial record is kept.
    pub fn stop(&self) {
        self.send_to_run(ToWorker::Stop);
    }

    /// Holds or continues the run in progress.
    pub fn set_paused(&self, paused: bool) {
        self.send_to_run(if paused {
            ToWorker::Pause
        } else {
            ToWorker::Resume
        });
        self.activity.update(|a| {
            if let Some(l) = a.live_mut() {
                l.paused = paused;
            }
        });
    }

    /// Asks the worker for run `id`'s trained model as a file (downloaded when it comes).
    pub fn save_model(&self, id: u32) {
        self.saving_model.set(Some(id));
        let home = self.workers.home_of(id).unwrap_or(WorkerKind::Cpu);
        self.send_to(home, ToWorker::SaveModel { run_id: id });
    }

    /// Removes a run from the table and from the browser's database.
    pub fn delete(&self, id: u32) {
        let Some(run) = self.runs.try_update(|runs| runs.remove(id)).flatten() else {
            return;
        };
        let store = *self;
        leptos::task::spawn_local(async move {
            if let Err(reason) = persist::forget_run(run.key).await {
                store.notify(
                    "warning",
                    msg!(
                        "The run may come back after a reload: {reason}.",
                        reason = reason
                    ),
                );
            }
        });
        self.overlay.update(|o| o.retain(|&x| x != id));
        if self.selected.get_untracked() == Some(id) {
            self.selected.set(None);
        }
    }

    fn send_to_run(&self, message: ToWorker) {
        if let Some((message, why)) = self.workers.send_to_run(message) {
            self.refuse(message, why);
        }
    }
}
