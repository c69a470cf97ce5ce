//! Messages between the page and its training worker, typed once for both ends.
//!
//! They travel as JSON strings through `postMessage`.

use crate::i18n::Message;
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::data::Preview;
use crate::metrics::{EpochMetrics, StepMetrics};
use crate::own_images::{Fit, ImportReport, OwnImagesSummary};
use crate::record::Compression;
use crate::record::RunRecord;

/// Page → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    /// Start a run (ends any run in progress first).
    Train {
        /// Chosen by the page, echoed in every reply about this run.
        run_id: u32,
        /// What to train (boxed: it is by far the largest message).
        config: Box<RunConfig>,
        /// The model file it starts from, when its config starts from trained weights.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<ModelBytes>,
        /// The teacher's model file, when its config is distilled from one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        teacher: Option<ModelBytes>,
    },
    /// From a CPU worker to a helper it started: train copy `rank` of a run split over
    /// `count` workers (see [`crate::parallel`]). The message ports to the other copies travel
    /// beside it, `peers[i]` being the rank at the end of port `i`.
    Shard {
        /// The run, as the page named it.
        run_id: u32,
        /// What to train: the same config, and model files, as rank 0's.
        config: Box<RunConfig>,
        /// The model file it starts from, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<ModelBytes>,
        /// The teacher's model file, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        teacher: Option<ModelBytes>,
        /// This copy.
        rank: usize,
        /// Copies in the run.
        count: usize,
        /// The rank at the other end of each transferred port, in port order.
        peers: Vec<usize>,
    },
    /// Hold the current run after its current step.
    Pause,
    /// Continue a paused run.
    Resume,
    /// End the current run and send its partial record.
    Stop,
    /// Compress the model of a run trained in this worker; the result comes back as
    /// [`FromWorker::Finished`] for `run_id` (or [`FromWorker::Error`]).
    Compress {
        /// The run whose model to compress.
        parent_id: u32,
        /// Id of the compressed run, chosen by the page.
        run_id: u32,
        /// How.
        method: Compression,
    },
    /// Evaluate the models of runs trained in this worker together, as an ensemble; the result
    /// comes back as [`FromWorker::Finished`] for `run_id` (or [`FromWorker::Error`]).
    Ensemble {
        /// The runs whose models to average.
        members: Vec<u32>,
        /// Id of the ensemble's record, chosen by the page.
        run_id: u32,
    },
    /// Send the trained model of run `run_id` as a safetensors file
    /// ([`FromWorker::ModelFile`]).
    SaveModel {
        /// The run.
        run_id: u32,
    },
    /// Load a built-in dataset (if not loaded yet) and describe it.
    Preview {
        /// Built-in dataset id.
        dataset: String,
    },
    /// Describe the user's own images (read from the browser's database the first time).
    DescribeOwnImages,
    /// Make a class for the user's images.
    AddClass {
        /// Its name as typed.
        name: String,
    },
    /// Rename a class.
    RenameClass {
        /// Class id.
        class: u32,
        /// New name as typed.
        name: String,
    },
    /// Remove a class and its images.
    RemoveClass {
        /// Class id.
        class: u32,
    },
    /// Remove one image.
    RemoveImage {
        /// Image id.
        image: u32,
    },
    /// Remove every class and image the user added.
    ClearOwnImages,
    /// The user's images changed in the other worker (the CPU worker keeps them; the WebGPU
    /// worker only trains on them): read them again from the browser's database before the
    /// next run that uses them.
    ImagesChanged,
    /// Add files: posted as `[this message's JSON, [File, …]]`, since files do not travel as
    /// JSON. Images, and `.zip` archives of them; folders name classes.
    Import {
        /// The class the files were dropped on or picked for; files in folders go to the class
        /// their folder names.
        class: Option<u32>,
        /// Each file's path relative to what was dropped (`cats/1.jpg`), or its name.
        paths: Vec<String>,
        /// How photos that are not square become square.
        fit: Fit,
    },
}

/// A model file's bytes inside a JSON message, as base64 (a third larger, where a JSON array of
/// numbers would be three to four times larger and slow to write on the page's thread).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelBytes(pub Vec<u8>);

impl Serialize for ModelBytes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use base64::Engine;
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for ModelBytes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use base64::Engine;
        let text = String::deserialize(deserializer)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(ModelBytes)
            .map_err(serde::de::Error::custom)
    }
}

/// Worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker is up and listening.
    Ready,
    /// A run's dataset is being fetched.
    Loading {
        /// The run.
        run_id: u32,
        /// What is happening, in words.
        message: Message,
    },
    /// A run began.
    Started {
        /// The run.
        run_id: u32,
        /// The backend that runs it, e.g. `cpu (flex)`.
        backend: Message,
        /// Steps in the whole run.
        total_steps: usize,
        /// Why the backend differs from the one asked for, if it does.
        fallback_reason: Option<Message>,
    },
    /// Steps were read back.
    Steps {
        /// The run.
        run_id: u32,
        /// Their figures.
        steps: Vec<StepMetrics>,
        /// Seconds since the run began.
        elapsed_seconds: f64,
    },
    /// An epoch ended.
    Epoch {
        /// The run.
        run_id: u32,
        /// Its figures.
        metrics: EpochMetrics,
    },
    /// A run ended (finished, stopped, diverged or failed); the record is final.
    Finished {
        /// The run.
        run_id: u32,
        /// The record.
        record: Box<RunRecord>,
    },
    /// Part of a built-in dataset has arrived.
    Download {
        /// Built-in dataset id.
        dataset: String,
        /// Bytes so far.
        received: u64,
        /// Bytes in all, when the server says.
        total: Option<u64>,
    },
    /// What a dataset holds, or why it could not be loaded.
    Preview {
        /// Built-in dataset id, as asked.
        dataset: String,
        /// Classes, counts and sample images; or the reason, in words.
        result: Result<Box<Preview>, Message>,
    },
    /// The user's own images: classes, counts, thumbnails.
    OwnImages {
        /// What there is.
        summary: Box<OwnImagesSummary>,
    },
    /// A class change was refused (a duplicate or empty name, say).
    OwnImagesRefused {
        /// Why, in words.
        message: Message,
    },
    /// Files of an import are being read.
    ImportProgress {
        /// Files done.
        done: usize,
        /// Files in all (entries of archives included once opened).
        total: usize,
    },
    /// An import ended.
    Imported {
        /// What was added and what was not, and why.
        report: ImportReport,
    },
    /// The worker's WebAssembly memory after a run (it never shrinks: a high-water mark).
    Memory {
        /// Bytes.
        wasm_bytes: u64,
    },
    /// A run's model as a safetensors file (see [`crate::weights`]): the bytes travel beside
    /// this message, as `[JSON, Uint8Array]`, not in its JSON.
    ModelFile {
        /// The run.
        run_id: u32,
        /// Why there is no file, when there is none.
        error: Option<Message>,
        /// The file.
        #[serde(skip)]
        bytes: Vec<u8>,
    },
    /// The runs whose trained models this worker now holds (after a run or compression
    /// ended): only these can be compressed or saved.
    Models {
        /// Their page ids, oldest first.
        run_ids: Vec<u32>,
    },
    /// The worker hit a bug and is about to stop; the page starts a new one.
    Crashed {
        /// The panic message.
        message: Message,
    },
    /// A run (or a compression) could not start.
    Error {
        /// The run.
        run_id: u32,
        /// What went wrong, in words for the user.
        message: Message,
    },
}

impl ToWorker {
    /// JSON for `postMessage`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("messages always serialise")
    }
}

impl FromWorker {
    /// JSON for `postMessage`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("messages always serialise")
    }
}
