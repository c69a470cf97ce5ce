//! The one place where what the workers say changes the page.

use leptos::prelude::*;
use tradeoff_core::config::StartFrom;
use tradeoff_core::i18n::Message;
use tradeoff_core::msg;
use tradeoff_core::protocol::{FromWorker, ToWorker};
use tradeoff_core::record::{RunRecord, RunStatus};

use super::{Crash, Download, Store};
use crate::persist;
use crate::worker_client::WorkerKind;

impl Store {
    /// Applies a message from the worker of `from`.
    pub(super) fn on_message(&self, from: WorkerKind, message: FromWorker) {
        match message {
            FromWorker::Ready => self.workers.ready(from),
            FromWorker::Loading { run_id, message } => {
                self.update_live(run_id, |l| l.message = message)
            }
            FromWorker::Started {
                run_id,
                backend,
                total_steps,
                fallback_reason,
            } => {
                self.download.set(None);
                if let Some(reason) = fallback_reason {
                    self.notify("warning", reason);
                }
                self.backend_in_use.set(Some(backend.clone()));
                self.update_live(run_id, |l| {
                    l.backend = Some(backend);
                    l.total_steps = total_steps;
                    l.message = Message::default();
                });
                self.note_live(true);
            }
            FromWorker::Steps {
                run_id,
                steps,
                elapsed_seconds,
            } => {
                self.update_live(run_id, |l| {
                    l.steps.extend(steps);
                    l.elapsed_seconds = elapsed_seconds;
                });
                self.note_live(false);
            }
            FromWorker::Epoch { run_id, metrics } => {
                self.update_live(run_id, |l| l.epochs.push(metrics));
                self.note_live(true);
            }
            FromWorker::Finished { run_id, record } => self.finish(run_id, *record),
            FromWorker::Error { run_id, message } => self.could_not_start(run_id, message),
            FromWorker::Models { run_ids } => self.workers.report_models(from, run_ids),
            FromWorker::Crashed { message } => self.on_crash(from, message),
            FromWorker::Memory { wasm_bytes } => self.worker_memory.set(Some(wasm_bytes)),
            FromWorker::Download {
                dataset,
                received,
                total,
            } => self.download.set(Some(Download {
                dataset,
                received,
                total,
            })),
            FromWorker::OwnImages { summary } => {
                self.own_images.set(Some(*summary));
                self.workers.images_changed();
            }
            FromWorker::OwnImagesRefused { message } => {
                self.own_image_refusals.update(|n| *n += 1);
                self.notify("error", msg!("Your images: {message}.", message = message))
            }
            FromWorker::ImportProgress { done, total } => self.importing.set(Some((done, total))),
            FromWorker::Imported { report } => {
                self.importing.set(None);
                self.import_report.set(Some(report));
            }
            FromWorker::ModelFile {
                run_id,
                error,
                bytes,
            } => {
                if self.awaits_model_file(run_id) {
                    return self.take_model_file(run_id, error.map_or(Ok(bytes), Err));
                }
                self.saving_model.set(None);
                let saved = match error {
                    Some(why) => Err(why),
                    None => crate::download::save_bytes(
                        &crate::download::stamped(&format!("run-{run_id}"), "safetensors"),
                        "application/octet-stream",
                        &bytes,
                    ),
                };
                if let Err(why) = saved {
                    self.notify(
                        "error",
                        msg!(
                            "Run {run_id}'s model could not be saved: {why}.",
                            run_id = run_id,
                            why = why
                        ),
                    );
                }
            }
            FromWorker::Preview { dataset, result } => {
                self.download.set(None);
                if let Err(reason) = &result {
                    self.notify(
                        "error",
                        msg!("The dataset could not be loaded: {reason}", reason = reason),
                    );
                }
                self.previews.update(|p| p.push((dataset, result)));
            }
        }
    }

    /// A run or compression could not start: it ends (a sweep with it), saying why.
    fn could_not_start(&self, run_id: u32, message: Message) {
        self.download.set(None);
        let averaging = self
            .activity
            .with_untracked(|a| a.averaging().is_some_and(|e| e.id == run_id));
        if averaging {
            self.activity.set(super::Activity::Idle);
            return self.notify(
                "error",
                msg!(
                    "The runs could not be averaged: {message}.",
                    message = message
                ),
            );
        }
        let compressing = self
            .activity
            .with_untracked(|a| a.compressing().is_some_and(|c| c.id == run_id));
        if compressing {
            self.activity.set(super::Activity::Idle);
            return self.notify(
                "error",
                msg!(
                    "The model could not be compressed: {message}.",
                    message = message
                ),
            );
        }
        let in_sweep = self.activity.with_untracked(|a| a.sweep().is_some());
        self.activity.update(|a| {
            a.end_live();
            a.drop_sweep();
        });
        if in_sweep {
            self.notify(
                "error",
                msg!(
                    "The sweep stopped: a run could not start: {message}",
                    message = message
                ),
            );
        } else {
            self.notify(
                "error",
                msg!("The run could not start: {message}", message = message),
            );
        }
    }

    /// Run (or compressed copy) `run_id` ended: it joins the table, and a sweep goes on.
    pub(super) fn finish(&self, run_id: u32, mut record: RunRecord) {
        // Marks the end of training on the page's timeline (tests and profiles read it).
        if let Some(p) = window().performance() {
            let _ = p.mark("tradeoff:run-finished");
        }
        let live_key = self
            .activity
            .with_untracked(|a| a.live().filter(|l| l.id == run_id).map(|l| l.key));
        if live_key.is_some() {
            self.activity.update(|a| {
                a.end_live();
            });
            persist::clear_live();
        }
        let key = live_key.unwrap_or_else(js_sys::Date::now);
        let compressed = self
            .activity
            .with_untracked(|a| a.compressing().filter(|c| c.id == run_id).cloned());
        if let Some(c) = compressed {
            self.activity.set(super::Activity::Idle);
            if let Some(info) = record.compression.as_mut() {
                info.parent_key = self.runs.with_untracked(|r| r.key_of(c.parent_id));
            }
        }
        let averaged = self
            .activity
            .with_untracked(|a| a.averaging().filter(|e| e.id == run_id).cloned());
        if let Some(e) = averaged {
            self.activity.set(super::Activity::Idle);
            if let Some(info) = record.ensemble.as_mut() {
                info.member_keys = self
                    .runs
                    .with_untracked(|r| e.members.iter().filter_map(|&m| r.key_of(m)).collect());
            }
        }
        if let (Some(info), StartFrom::Run(parent)) =
            (record.transfer.as_mut(), &record.config.transfer.from)
        {
            info.parent_key = self.runs.with_untracked(|r| r.key_of(*parent));
        }
        if let (Some(info), StartFrom::Run(teacher)) =
            (record.distill.as_mut(), &record.config.distill.teacher)
        {
            info.parent_key = self.runs.with_untracked(|r| r.key_of(*teacher));
        }
        if let RunStatus::Failed { reason } = &record.status {
            self.notify(
                "error",
                msg!(
                    "The run failed: {reason}. The next run will use the CPU.",
                    reason = reason
                ),
            );
        }
        self.keep(key, &record);
        self.runs.update(|runs| runs.push(run_id, key, record));
        self.selected.set(Some(run_id));
        self.continue_sweep(run_id);
    }

    /// A worker's error event: the WebGPU worker failing to load sends what waited for it to
    /// the CPU worker (which trains there and says why); anything else is a crash.
    pub(super) fn on_worker_error(&self, kind: WorkerKind, reason: String) {
        match (kind, self.workers.loaded(kind)) {
            // A late event from a worker already ended.
            (_, None) => {}
            (_, Some(true)) => self.on_crash(
                kind,
                msg!("the training worker stopped: {reason}", reason = reason),
            ),
            (WorkerKind::Gpu, Some(false)) => {
                web_sys::console::warn_1(
                    &format!("the WebGPU worker did not load: {reason}").into(),
                );
                for message in self.workers.gpu_failed_to_load() {
                    self.send_to(WorkerKind::Cpu, message);
                }
            }
            (WorkerKind::Cpu, Some(false)) => self.cpu_worker_failed_to_load(&reason),
        }
    }

    /// The CPU worker did not load: starting it again would fail the same way (the page's own
    /// files are missing or refused), so the page says so, keeps everything else, and answers
    /// what waited for the worker (a run pressed early ends with the reason).
    fn cpu_worker_failed_to_load(&self, reason: &str) {
        let why = msg!(
            "the training worker could not be loaded ({reason}); reload the page to try again",
            reason = reason
        );
        let waiting = self.workers.cpu_failed_to_load(why.clone());
        // What waited (the dataset preview, always sent at start) says why in its own notice.
        let answered = waiting
            .iter()
            .any(|m| matches!(m, ToWorker::Train { .. } | ToWorker::Preview { .. }));
        for message in waiting {
            self.refuse(message, why.clone());
        }
        if !answered {
            self.notify("error", msg!("Training is not possible: {why}.", why = why));
        }
    }

    /// Worker `kind` died: keep what it was doing as a failed run, and start a fresh one
    /// (the WebGPU worker when a run next asks for it). The other worker carries on.
    fn on_crash(&self, kind: WorkerKind, message: Message) {
        self.crash.set(Some(Crash {
            worker: kind,
            details: message.clone(),
        }));
        let was_busy_here = self.workers.runs_on(kind);
        self.workers.crashed(kind);
        if self
            .saving_model
            .get_untracked()
            .is_some_and(|id| self.workers.home_of(id).is_none())
        {
            self.saving_model.set(None);
        }
        if kind == WorkerKind::Cpu {
            // A fresh CPU worker reads the user's images afresh.
            self.importing.set(None);
            self.own_images.set(None);
        }
        if was_busy_here {
            if self.activity.with_untracked(|a| a.averaging().is_some()) {
                self.activity.set(super::Activity::Idle);
                self.notify(
                    "error",
                    msg!(
                        "The runs could not be averaged: {message}.",
                        message = message
                    ),
                );
            }
            if self.activity.with_untracked(|a| a.compressing().is_some()) {
                self.activity.set(super::Activity::Idle);
                self.notify(
                    "error",
                    msg!(
                        "The model could not be compressed: {message}.",
                        message = message
                    ),
                );
            }
            let live = self.activity.with_untracked(|a| a.live().cloned());
            if let Some(live) = live {
                match self.live_record(&live, RunStatus::Failed { reason: message }) {
                    Some(record) => self.finish(live.id, record),
                    None => self.activity.update(|a| {
                        a.end_live();
                    }),
                }
            }
        }
        if kind == WorkerKind::Cpu {
            self.start_cpu_worker();
        }
    }
}
