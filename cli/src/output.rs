//! What the runner prints: a progress bar per epoch and the page's summary in words, nothing
//! (`--quiet`), or one JSON object per line (`--json`).

use std::cell::RefCell;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use tradeoff_core::config::RunConfig;
use tradeoff_core::data::Dataset;
use tradeoff_core::format;
use tradeoff_core::i18n::Lang;
use tradeoff_core::metrics::{EpochMetrics, StepMetrics};
use tradeoff_core::record::RunRecord;
use tradeoff_core::train::Progress;
use tradeoff_core::url;

use crate::args::Output;

/// Prints a run's events in the chosen form.
pub struct Printer {
    output: Output,
    /// The current epoch's bar (words only; drawn on a terminal, hidden otherwise).
    bar: RefCell<Option<ProgressBar>>,
}

impl Printer {
    /// A printer for `output`.
    pub fn new(output: Output) -> Self {
        Self {
            output,
            bar: RefCell::new(None),
        }
    }

    /// A remark that is not part of the run's figures (a skipped file, where a file went).
    pub fn note(&self, line: &str) {
        match self.output {
            Output::Words => self.above_bar(line),
            Output::Quiet => {}
            Output::Json => println!("{}", json!({ "event": "note", "text": line })),
        }
    }

    fn above_bar(&self, line: &str) {
        match self.bar.borrow().as_ref() {
            Some(bar) => bar.println(line),
            None => println!("{line}"),
        }
    }

    /// The run is about to start: its link, its data and the device that trains it.
    pub fn start(&self, config: &RunConfig, data_name: &str, data: &Dataset, device: &str) {
        let link = url::to_hash(config);
        let (train, test) = (data.train.len(), data.test.len());
        match self.output {
            Output::Words => {
                println!("Tradeoff run: #{link}");
                println!(
                    "Data: {data_name} · {} classes · {train} training and {test} test images",
                    data.train.classes.len()
                );
                println!("Device: {device}");
            }
            Output::Quiet => {}
            Output::Json => println!(
                "{}",
                json!({
                    "event": "start", "link": format!("#{link}"), "data": data_name,
                    "classes": data.train.classes, "train_images": train, "test_images": test,
                    "device": device,
                })
            ),
        }
    }

    /// Steps read back: the bar moves.
    pub fn steps(&self, steps: &[StepMetrics], progress: Progress) {
        if self.output != Output::Words {
            return;
        }
        let Some(last) = steps.last() else { return };
        let mut bar = self.bar.borrow_mut();
        let bar = bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(progress.steps_per_epoch as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "epoch {prefix} {bar:30} {pos}/{len} steps · {msg} · {elapsed} (eta {eta})",
                )
                .expect("a valid template"),
            );
            bar
        });
        bar.set_prefix(last.epoch.to_string());
        let into_epoch = last.step - (last.epoch - 1) * progress.steps_per_epoch;
        bar.set_position(into_epoch as u64);
        bar.set_message(format!("loss {:.3}", last.loss));
    }

    /// An epoch ended.
    pub fn epoch(&self, e: &EpochMetrics) {
        match self.output {
            Output::Words => {
                if let Some(bar) = self.bar.borrow_mut().take() {
                    bar.finish_and_clear();
                }
                println!(
                    "epoch {}: validation accuracy {}, validation loss {:.3}, training loss {:.3}, {:.0} images/s",
                    e.epoch,
                    format::percent(Lang::En, e.validation_accuracy),
                    e.validation_loss,
                    e.train_loss,
                    e.images_per_second
                );
            }
            Output::Quiet => {}
            Output::Json => println!("{}", json!({ "event": "epoch", "figures": e })),
        }
    }

    /// The run ended: how, and the page's figures.
    pub fn finished(&self, record: &RunRecord) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
        match self.output {
            Output::Words => {
                println!("This run {}.", record.status.describe());
                for fact in record.facts(Lang::En) {
                    println!("  {fact}");
                }
            }
            Output::Quiet => {}
            Output::Json => println!(
                "{}",
                json!({
                    "event": "finished",
                    "status": record.status.describe().text(Lang::En),
                    "device": record.backend.text(Lang::En),
                    "summary": record.summary,
                    "epochs": record.epochs,
                })
            ),
        }
    }
}
