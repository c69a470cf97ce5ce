//! A run split over K CPU workers (data parallelism) trains like the same run on one: the
//! copies here are K trainers in one thread, summing gradients in memory the way the page's
//! workers do by message passing; and split over K threads, as the command-line runner's
//! `--devices` does, it takes the very same steps.
// Tests tweak one field of the default config at a time; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

mod common;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use std::sync::atomic::{AtomicUsize, Ordering};
use tradeoff_core::backend::{CPU_BACKEND_NAME, cpu_device};

use tradeoff_core::config::{Augmentation, Layer, OptimizerKind, RunConfig};
use tradeoff_core::data::Dataset;
use tradeoff_core::devices::train_on_devices;
use tradeoff_core::i18n::Lang;
use tradeoff_core::parallel::{
    Exchanging, GradientExchange, MAX_WORKERS, Shard, sum_in_rank_order, workers_for,
};
use tradeoff_core::record::{RunRecord, RunStatus};
use tradeoff_core::train::{StartError, Trainer};

/// Every copy's outbox to every other: `boxes[to][from]`.
type Boxes = Rc<RefCell<Vec<Vec<VecDeque<Vec<f32>>>>>>;

/// One copy's end of an in-memory exchange among K trainers polled in one thread.
struct InMemory {
    rank: usize,
    boxes: Boxes,
}

fn exchanges(count: usize) -> Vec<InMemory> {
    let boxes: Boxes = Rc::new(RefCell::new(vec![vec![VecDeque::new(); count]; count]));
    (0..count)
        .map(|rank| InMemory {
            rank,
            boxes: boxes.clone(),
        })
        .collect()
}

impl GradientExchange for InMemory {
    fn sum(&mut self, local: Vec<f32>) -> Exchanging<'_> {
        let count = self.boxes.borrow().len();
        for to in (0..count).filter(|&to| to != self.rank) {
            self.boxes.borrow_mut()[to][self.rank].push_back(local.clone());
        }
        let mut local = Some(local);
        Box::pin(std::future::poll_fn(move |cx| {
            let mut boxes = self.boxes.borrow_mut();
            let arrived = (0..count)
                .filter(|&from| from != self.rank)
                .all(|from| !boxes[self.rank][from].is_empty());
            if !arrived {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let vectors = (0..count)
                .map(|from| {
                    if from == self.rank {
                        local.take().expect("polled once after arrival")
                    } else {
                        boxes[self.rank][from].pop_front().expect("arrived")
                    }
                })
                .collect();
            Poll::Ready(Ok(sum_in_rank_order(vectors)))
        }))
    }
}

/// Trains `config` split over `count` copies polled in turn; rank 0's record.
fn train_split(config: RunConfig, data: &Dataset, count: usize) -> RunRecord {
    let _one = common::ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let mut copies: Vec<Trainer> = exchanges(count)
        .into_iter()
        .enumerate()
        .map(|(rank, exchange)| {
            Trainer::new(config.clone(), data, cpu_device(), CPU_BACKEND_NAME)
                .expect("run starts")
                .with_shard(Shard { rank, count }, Box::new(exchange))
        })
        .collect();
    let mut runs: Vec<Pin<Box<dyn Future<Output = RunRecord> + '_>>> = copies
        .iter_mut()
        .map(|t| Box::pin(t.run_to_end()) as Pin<Box<dyn Future<Output = RunRecord>>>)
        .collect();
    let mut done: Vec<Option<RunRecord>> = vec![None; count];
    pollster::block_on(std::future::poll_fn(|cx: &mut Context<'_>| {
        for (run, slot) in runs.iter_mut().zip(done.iter_mut()) {
            if slot.is_none()
                && let Poll::Ready(record) = run.as_mut().poll(cx)
            {
                *slot = Some(record);
            }
        }
        if done.iter().all(Option::is_some) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }));
    done.swap_remove(0).expect("rank 0 finished")
}

/// The reference CNN (no batch norm or dropout, no augmentation), Adam 3e-3, one epoch.
fn reference_one_epoch() -> RunConfig {
    let mut config = RunConfig::default();
    config.optimizer.learning_rate = 3e-3;
    config.epochs = 1;
    config
}

fn test_accuracy(record: &RunRecord) -> f64 {
    record.summary.as_ref().expect("results").test_accuracy
}

#[test]
fn a_batch_is_shared_out_whole_and_workers_follow_the_cores() {
    for batch in [1, 2, 7, 64, 65] {
        for count in 1..=MAX_WORKERS {
            let parts: Vec<_> = (0..count)
                .map(|rank| Shard { rank, count }.part(batch))
                .collect();
            assert_eq!(parts[0].start, 0);
            assert_eq!(parts[count - 1].end, batch, "{batch} over {count}");
            assert!(parts.windows(2).all(|w| w[0].end == w[1].start));
            let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
            assert!(lens.iter().max().unwrap() - lens.iter().min().unwrap() <= 1);
        }
    }
    assert_eq!(workers_for(0, 2), 1, "automatic leaves a core to the page");
    assert_eq!(workers_for(0, 1), 1);
    assert_eq!(workers_for(0, 6), 5);
    assert_eq!(workers_for(0, 64), MAX_WORKERS);
    assert_eq!(
        workers_for(3, 2),
        3,
        "a chosen count is kept on any machine"
    );
}

#[test]
fn two_workers_take_the_same_steps_as_one() {
    // The reference CNN has no batch norm or dropout, and without augmentation the summed
    // gradient is the whole batch's: the two runs differ only in the order of float additions.
    let data = common::mnist_slice(2000, 500);
    let config = reference_one_epoch();
    let one = common::train(config.clone(), &data);
    let two = train_split(config, &data, 2);
    assert_eq!(two.status, RunStatus::Finished);
    assert_eq!(
        two.workers, 2,
        "the record says how many workers trained it"
    );
    assert_eq!(one.workers, 1);
    assert_eq!(one.steps.len(), two.steps.len(), "every step reported once");
    for (a, b) in one.steps.iter().zip(&two.steps) {
        assert!(
            (a.loss - b.loss).abs() < 0.02,
            "step {}: loss {} alone, {} split",
            a.step,
            a.loss,
            b.loss
        );
        assert!(
            (a.accuracy - b.accuracy).abs() <= 3.0 / 64.0,
            "step {}: batch accuracy {} alone, {} split",
            a.step,
            a.accuracy,
            b.accuracy
        );
    }
    let (a, b) = (test_accuracy(&one), test_accuracy(&two));
    assert!((a - b).abs() <= 0.01, "test accuracy {a} alone, {b} split");
}

#[test]
fn three_workers_with_batch_norm_dropout_and_augmentation_train_as_well_as_one() {
    // Batch norm sees each worker's shard and dropout masks differ per worker, so the steps
    // differ; the accuracy reached should not.
    let data = common::mnist_slice(3000, 500);
    let mut config = RunConfig::default();
    config.optimizer.learning_rate = 3e-3;
    config.epochs = 2;
    if let Layer::Conv { batch_norm, .. } = &mut config.layers[2] {
        *batch_norm = true;
    }
    config.layers.push(Layer::Dropout { p: 0.2 });
    config.augmentation = Augmentation {
        shift: 2,
        ..Augmentation::default()
    };
    let one = common::train(config.clone(), &data);
    let three = train_split(config, &data, 3);
    let (a, b) = (test_accuracy(&one), test_accuracy(&three));
    assert!(a > 0.85, "one worker learns: {a}");
    assert!(
        (a - b).abs() <= 0.03,
        "test accuracy {a} alone, {b} on three workers"
    );
    assert_eq!(three.workers, 3);
    assert_eq!(three.epochs.len(), 2, "rank 0 validated each epoch");
}

/// Trains `config` split over `count` copies on threads of their own, as the command-line
/// runner's `--devices` does (every copy on the CPU here); rank 0's record.
fn train_on_threads(config: RunConfig, data: &Dataset, count: usize) -> RunRecord {
    let _one = common::ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let devices = vec![cpu_device(); count];
    let mut events = 0;
    let run = train_on_devices(
        &devices,
        |device| Trainer::new(config.clone(), data, device, CPU_BACKEND_NAME),
        |_, _| events += 1,
    )
    .expect("run starts");
    assert!(events > 0, "rank 0's events are reported");
    assert_eq!(
        run.trained.is_some(),
        run.record.summary.is_some(),
        "a run with results keeps its model"
    );
    run.record
}

#[test]
fn copies_on_threads_take_exactly_the_steps_of_the_page_workers() {
    // The same shards, the same sums in the same order: the runner's copies on threads and
    // the page's workers (here polled in turn) compute the same bits.
    let data = common::mnist_slice(1200, 300);
    let config = reference_one_epoch();
    let polled = train_split(config.clone(), &data, 2);
    let threads = train_on_threads(config, &data, 2);
    assert_eq!(threads.status, RunStatus::Finished);
    assert_eq!(threads.workers, 2);
    let losses = |r: &RunRecord| r.steps.iter().map(|s| s.loss).collect::<Vec<_>>();
    assert!(!losses(&threads).is_empty());
    assert_eq!(losses(&polled), losses(&threads));
    assert_eq!(test_accuracy(&polled), test_accuracy(&threads));
    // Its summary names what the copies ran on: CPU workers here, devices on a GPU backend.
    let speed = |r: &RunRecord| {
        r.facts(Lang::En)
            .into_iter()
            .find(|f| f.contains("images/s"))
            .expect("a speed fact")
    };
    assert!(speed(&threads).ends_with("images/s on 2 CPU workers"));
    let mut on_gpus = threads.clone();
    on_gpus.backend = "wgpu (Vulkan) · two discrete GPUs".into();
    assert!(speed(&on_gpus).ends_with("images/s on 2 devices"));
}

#[test]
fn a_run_rank_0_ends_early_ends_on_every_thread() {
    // Plain SGD at a rate far too high diverges in its first steps; rank 0 alone checks for
    // that, so the other copies must end when its channels close, not wait for ever.
    let data = common::mnist_slice(1200, 300);
    let mut config = RunConfig::default();
    config.optimizer.kind = OptimizerKind::Sgd;
    config.optimizer.learning_rate = 100.0;
    config.epochs = 3;
    let record = train_on_threads(config, &data, 3);
    assert!(
        matches!(record.status, RunStatus::Diverged { .. }),
        "{:?}",
        record.status
    );
}

#[test]
fn a_copy_that_cannot_start_is_the_reason_the_run_gives() {
    let data = common::mnist_slice(600, 200);
    let config = RunConfig::default();
    let made = AtomicUsize::new(0);
    let _one = common::ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let result = train_on_devices(
        &[cpu_device(), cpu_device()],
        |device| {
            if made.fetch_add(1, Ordering::SeqCst) == 1 {
                return Err(StartError::Data(tradeoff_core::msg!(
                    "device 1 is not there"
                )));
            }
            Trainer::new(config.clone(), &data, device, CPU_BACKEND_NAME)
        },
        |_, _| {},
    );
    let why = result.err().expect("the run could not start").to_string();
    assert!(why.contains("device 1 is not there"), "{why}");
}
