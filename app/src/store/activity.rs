//! What the page is busy with: nothing, a run, a sweep of runs, or a compression.

use tradeoff_core::config::RunConfig;
use tradeoff_core::i18n::Message;
use tradeoff_core::metrics::{EpochMetrics, StepMetrics};
use tradeoff_core::sweep::PlannedRun;

/// The run in progress.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LiveRun {
    /// Page-local id.
    pub id: u32,
    /// Storage key it will be kept under (see [`super::Run::key`]).
    pub key: f64,
    /// The config it trains.
    pub config: RunConfig,
    /// Backend, once the worker has started it.
    pub backend: Option<Message>,
    /// Steps in the whole run (0 until started).
    pub total_steps: usize,
    /// Figures read back so far.
    pub steps: Vec<StepMetrics>,
    /// Finished epochs.
    pub epochs: Vec<EpochMetrics>,
    /// Seconds since the worker started it.
    pub elapsed_seconds: f64,
    /// Held by the user.
    pub paused: bool,
    /// What the worker is doing, when not stepping.
    pub message: Message,
}

/// A sweep's planned runs and how far it has got.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepProgress {
    /// The runs, in order.
    pub runs: Vec<PlannedRun>,
    /// Combinations left out, with reasons.
    pub skipped: Vec<Message>,
    /// Index of the run training now (or next).
    pub current: usize,
    /// Page ids of the sweep's runs so far.
    pub ids: Vec<u32>,
    /// Seconds each finished sweep run took, wall clock.
    pub seconds: Vec<f64>,
    /// When the current run was started (ms since the epoch).
    pub current_started: f64,
}

impl SweepProgress {
    /// Seconds left, estimated from the runs done so far (`None` before the first ends).
    pub fn seconds_left(&self, now_ms: f64) -> Option<f64> {
        if self.seconds.is_empty() {
            return None;
        }
        let mean = self.seconds.iter().sum::<f64>() / self.seconds.len() as f64;
        let current = ((now_ms - self.current_started) / 1000.0).min(mean);
        Some(mean * (self.runs.len() - self.current) as f64 - current)
    }
}

/// A compression the worker is doing.
#[derive(Clone, Debug, PartialEq)]
pub struct Compressing {
    /// Id the compressed run will have.
    pub id: u32,
    /// The run compressed.
    pub parent_id: u32,
    /// How, in words.
    pub label: Message,
}

/// An ensemble the worker is evaluating.
#[derive(Clone, Debug, PartialEq)]
pub struct Averaging {
    /// Id the ensemble's record will have.
    pub id: u32,
    /// The runs averaged.
    pub members: Vec<u32>,
}

/// What the page is busy with. Train, sweeps and compression wait until it is idle.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Activity {
    /// Nothing: a run, sweep or compression can start.
    #[default]
    Idle,
    /// One run.
    Training(LiveRun),
    /// A sweep, and its run in progress (none between two runs).
    Sweep(SweepProgress, Option<LiveRun>),
    /// A compression of a trained run.
    Compressing(Compressing),
    /// An ensemble of trained runs being evaluated.
    Averaging(Averaging),
}

impl Activity {
    /// Whether a run, sweep or compression is under way.
    pub fn is_busy(&self) -> bool {
        !matches!(self, Activity::Idle)
    }

    /// The run in progress, alone or in a sweep.
    pub fn live(&self) -> Option<&LiveRun> {
        match self {
            Activity::Training(live) | Activity::Sweep(_, Some(live)) => Some(live),
            _ => None,
        }
    }

    /// The run in progress, to change.
    pub fn live_mut(&mut self) -> Option<&mut LiveRun> {
        match self {
            Activity::Training(live) | Activity::Sweep(_, Some(live)) => Some(live),
            _ => None,
        }
    }

    /// The sweep under way.
    pub fn sweep(&self) -> Option<&SweepProgress> {
        match self {
            Activity::Sweep(progress, _) => Some(progress),
            _ => None,
        }
    }

    /// The compression under way.
    pub fn compressing(&self) -> Option<&Compressing> {
        match self {
            Activity::Compressing(c) => Some(c),
            _ => None,
        }
    }

    /// The ensemble under evaluation.
    pub fn averaging(&self) -> Option<&Averaging> {
        match self {
            Activity::Averaging(a) => Some(a),
            _ => None,
        }
    }

    /// Starts `live`: alone, or as the sweep's next run.
    pub fn start(&mut self, live: LiveRun) {
        match self {
            Activity::Sweep(progress, slot) => {
                progress.ids.push(live.id);
                *slot = Some(live);
            }
            _ => *self = Activity::Training(live),
        }
    }

    /// The run in progress ended: a lone run leaves the page idle, a sweep waits for its next.
    pub fn end_live(&mut self) -> Option<LiveRun> {
        match std::mem::take(self) {
            Activity::Training(live) => Some(live),
            Activity::Sweep(progress, live) => {
                *self = Activity::Sweep(progress, None);
                live
            }
            other => {
                *self = other;
                None
            }
        }
    }

    /// Ends the sweep, leaving its run in progress (if any) to end on its own.
    pub fn drop_sweep(&mut self) {
        if let Activity::Sweep(_, live) = self {
            *self = live.take().map_or(Activity::Idle, Activity::Training);
        }
    }
}
