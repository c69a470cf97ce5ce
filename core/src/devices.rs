//! One run split over several devices of one machine, natively: the command-line runner's
//! `--devices`.
//!
//! It is the page's data parallelism ([`crate::parallel`]): one model copy per device, each
//! step's batch cut into contiguous shards, every copy's gradient vector summed in rank order,
//! the same optimizer step on every copy. Here each copy trains on its own thread and the
//! copies pass their vectors through channels instead of the page's message ports, so a run
//! split over K devices takes the same steps as the page's run split over K CPU workers.
//!
//! Why not Burn's own all-reduce: in Burn 0.22 the collective operations (`burn-collective`
//! up to 0.21, `burn::tensor::distributed` since) are implemented for CUDA only, through NCCL;
//! Flex and wgpu leave `all_reduce` unimplemented, so a run on them could not use it at all.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::i18n::Message;
use crate::msg;
use crate::parallel::{Exchanging, GradientExchange, Shard, sum_in_rank_order};
use crate::record::RunRecord;
use crate::train::{Event, Progress, StartError, TrainedModel, Trainer};

use crate::backend::Device;

/// One copy's end of an exchange between threads: a channel to every other copy and one from
/// each.
pub struct ThreadExchange {
    /// By peer rank (`None` at this copy's own rank).
    to: Vec<Option<Sender<Vec<f32>>>>,
    /// By sender's rank (`None` at this copy's own rank).
    from: Vec<Option<Receiver<Vec<f32>>>>,
}

/// The `count` ends of one exchange, in rank order.
fn thread_exchanges(count: usize) -> Vec<ThreadExchange> {
    let mut ends: Vec<ThreadExchange> = (0..count)
        .map(|_| ThreadExchange {
            to: (0..count).map(|_| None).collect(),
            from: (0..count).map(|_| None).collect(),
        })
        .collect();
    for sender in 0..count {
        for receiver in (0..count).filter(|&r| r != sender) {
            let (tx, rx) = channel();
            ends[sender].to[receiver] = Some(tx);
            ends[receiver].from[sender] = Some(rx);
        }
    }
    ends
}

impl GradientExchange for ThreadExchange {
    fn sum(&mut self, local: Vec<f32>) -> Exchanging<'_> {
        // The channels never block a sender, so every copy posts before any waits: no copy can
        // wait on one that is itself waiting to post.
        for to in self.to.iter().flatten() {
            // A peer that has gone is reported when its own vector does not come.
            let _ = to.send(local.clone());
        }
        let mut local = Some(local);
        let mut vectors = Vec::with_capacity(self.from.len());
        for (rank, from) in self.from.iter().enumerate() {
            match from {
                None => vectors.push(local.take().unwrap_or_default()),
                Some(from) => match from.recv() {
                    Ok(vector) => vectors.push(vector),
                    Err(_) => {
                        // The rank is the device's place in `--devices`, not its number.
                        let why = msg!(
                            "copy {rank} of the run (counting from 0) stopped",
                            rank = rank.to_string()
                        );
                        return Box::pin(std::future::ready(Err(why)));
                    }
                },
            }
        }
        Box::pin(std::future::ready(Ok(sum_in_rank_order(vectors))))
    }
}

/// A finished run split over devices, as rank 0 kept it.
pub struct DeviceRun {
    /// The run's record.
    pub record: RunRecord,
    /// Its model, where the run reached its results.
    pub trained: Option<TrainedModel>,
}

/// Trains one run split over `devices` (rank `i` on `devices[i]`), each copy made by `make` on
/// its device: rank 0 on the calling thread, its events going to `report` with its progress,
/// the others on threads of their own. With one device it is the plain run.
///
/// The copies are made one at a time, since Burn's random generator is process-wide: each
/// copy seeds it with the run's seed and draws its first weights, so every copy starts alike.
/// Dropout masks are drawn later, while the copies run side by side, so a split run with
/// dropout is not bit-for-bit repeatable (one without is).
pub fn train_on_devices(
    devices: &[Device],
    make: impl Fn(Device) -> Result<Trainer, StartError> + Sync,
    mut report: impl FnMut(&Event, Progress),
) -> Result<DeviceRun, StartError> {
    let count = devices.len();
    assert!(count > 0, "a run needs a device");
    let making = Mutex::new(());
    let make_copy = |rank: usize, exchange: ThreadExchange| {
        let _one_at_a_time = making.lock().unwrap_or_else(|e| e.into_inner());
        // With one device `with_shard` leaves the trainer as it is: the plain run.
        Ok::<_, StartError>(
            make(devices[rank].clone())?.with_shard(Shard { rank, count }, Box::new(exchange)),
        )
    };
    let mut exchanges = thread_exchanges(count).into_iter();
    let lead_exchange = exchanges.next().expect("one end per copy");
    std::thread::scope(|scope| {
        let helpers: Vec<_> = exchanges
            .enumerate()
            .map(|(i, exchange)| {
                let make_copy = &make_copy;
                scope.spawn(move || -> Result<(), StartError> {
                    let mut trainer = make_copy(i + 1, exchange)?;
                    // A helper only trains. It ends with the run's last step, or when rank 0
                    // has ended the run early and its channels have closed.
                    pollster::block_on(async {
                        while !trainer.advance().await.iter().any(is_finished) {}
                    });
                    Ok(())
                })
            })
            .collect();
        // Rank 0 ends as its model (its trainer, and with it its ends of the channels, gone)
        // before the helpers are waited for: a helper still waiting on it then stops.
        let lead = make_copy(0, lead_exchange).map(|mut trainer| {
            let record = pollster::block_on(async {
                loop {
                    for event in trainer.advance().await {
                        report(&event, trainer.progress());
                        if let Event::Finished(record) = event {
                            return *record;
                        }
                    }
                }
            });
            DeviceRun {
                record,
                trained: trainer.into_trained(),
            }
        });
        let helpers: Vec<Result<(), StartError>> = helpers
            .into_iter()
            .map(|helper| {
                helper.join().unwrap_or_else(|_| {
                    Err(StartError::Data(msg!(
                        "a copy of the run stopped with an internal error"
                    )))
                })
            })
            .collect();
        let run = lead?;
        // A helper that could not start is why the run failed: say that, not the symptom.
        if run.record.summary.is_none()
            && let Some(Err(why)) = helpers.into_iter().find(Result::is_err)
        {
            return Err(why);
        }
        Ok(run)
    })
}

fn is_finished(event: &Event) -> bool {
    matches!(event, Event::Finished(_))
}

/// Words for a run split over `names` (one per device): the device once where they are all
/// the same (copies sharing one CPU), else each.
pub fn devices_name(names: &[String]) -> Message {
    match names {
        [] => Message::from(""),
        [one] => Message::from(one.as_str()),
        [first, rest @ ..] if rest.iter().all(|n| n == first) => msg!(
            "{device} · {count} copies, data-parallel",
            device = first.clone(),
            count = names.len().to_string()
        ),
        _ => msg!("{devices} · data-parallel", devices = names.join(" + ")),
    }
}
