//! A run split over several CPU workers (see `tradeoff_core::parallel`): the CPU worker that
//! got the run is rank 0; it starts helper workers of its own (nested workers, kept for later
//! runs), joins every pair of copies with a `MessageChannel`, and sends each helper its rank.
//! Each step every copy posts its gradient vector to every other (the buffer transferred, not
//! copied twice) and sums what arrives in rank order — message passing, so it works on any
//! host, cross-origin isolated or not.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::{Poll, Waker};

use js_sys::{Array, Float32Array};
use tradeoff_core::i18n::Message;
use tradeoff_core::msg;
use tradeoff_core::parallel::{Exchanging, GradientExchange, sum_in_rank_order};
use tradeoff_core::protocol::{FromWorker, ToWorker};
use wasm_bindgen::prelude::*;
use web_sys::{MessageChannel, MessageEvent, MessagePort, Worker};

use crate::timer::sleep;

/// The helper's script: always the CPU worker, whichever worker leads.
const HELPER_SCRIPT: &str = "./start-worker.js?worker";

/// Longest wait for a fresh helper to load its WebAssembly and say Ready.
const HELPER_START_MS: f64 = 30_000.0;

/// What has arrived from the other copies of the run in progress, and why it ended early.
#[derive(Default)]
pub struct Inbox {
    /// By sender's rank: the vectors not summed yet, oldest first.
    from: Vec<VecDeque<Vec<f32>>>,
    /// The exchange waiting for them.
    waker: Option<Waker>,
    /// Set when the run cannot go on (stopped, or another copy failed).
    ended: Option<Message>,
}

impl Inbox {
    fn new(count: usize) -> Rc<RefCell<Inbox>> {
        Rc::new(RefCell::new(Inbox {
            from: vec![VecDeque::new(); count],
            ..Inbox::default()
        }))
    }

    /// Ends the exchange: the copy waiting in it stops with `why`.
    pub fn end(&mut self, why: Message) {
        self.ended.get_or_insert(why);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

/// One copy's end of the exchange: a port to each other copy.
pub struct PortExchange {
    rank: usize,
    /// By peer rank (`None` at this copy's own rank).
    ports: Vec<Option<MessagePort>>,
    inbox: Rc<RefCell<Inbox>>,
    _handlers: Vec<Closure<dyn FnMut(MessageEvent)>>,
}

impl PortExchange {
    /// Copy `rank` of `count`, with `ports[i]` leading to the copy of rank `peers[i]`.
    pub fn new(rank: usize, count: usize, ports: Vec<MessagePort>, peers: &[usize]) -> Self {
        let inbox = Inbox::new(count);
        let mut by_rank: Vec<Option<MessagePort>> = vec![None; count];
        let mut handlers = Vec::new();
        for (port, &peer) in ports.into_iter().zip(peers) {
            let arrived = inbox.clone();
            let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let values = Float32Array::new(&event.data()).to_vec();
                let mut inbox = arrived.borrow_mut();
                inbox.from[peer].push_back(values);
                if let Some(waker) = inbox.waker.take() {
                    waker.wake();
                }
            });
            port.set_onmessage(Some(handler.as_ref().unchecked_ref()));
            handlers.push(handler);
            by_rank[peer] = Some(port);
        }
        PortExchange {
            rank,
            ports: by_rank,
            inbox,
            _handlers: handlers,
        }
    }

    /// Its inbox, which the worker ends on Stop or when another copy fails.
    pub fn inbox(&self) -> Rc<RefCell<Inbox>> {
        self.inbox.clone()
    }
}

impl Drop for PortExchange {
    fn drop(&mut self) {
        for port in self.ports.iter().flatten() {
            port.set_onmessage(None);
            port.close();
        }
    }
}

impl GradientExchange for PortExchange {
    fn sum(&mut self, local: Vec<f32>) -> Exchanging<'_> {
        for port in self.ports.iter().flatten() {
            let array = Float32Array::from(local.as_slice());
            let transfer = Array::of1(&array.buffer());
            let _ = port.post_message_with_transferable(&array, &transfer);
        }
        let mut local = Some(local);
        Box::pin(std::future::poll_fn(move |cx| {
            let mut inbox = self.inbox.borrow_mut();
            if let Some(why) = &inbox.ended {
                return Poll::Ready(Err(why.clone()));
            }
            let rank = self.rank;
            let arrived = inbox
                .from
                .iter()
                .enumerate()
                .all(|(peer, queue)| peer == rank || !queue.is_empty());
            if !arrived {
                inbox.waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let vectors = (0..inbox.from.len())
                .map(|peer| {
                    if peer == rank {
                        local.take().unwrap_or_default()
                    } else {
                        inbox.from[peer].pop_front().unwrap_or_default()
                    }
                })
                .collect();
            Poll::Ready(Ok(sum_in_rank_order(vectors)))
        }))
    }
}

/// Where a helper worker stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Life {
    /// Loading its WebAssembly.
    Loading,
    /// Said Ready: takes messages.
    Ready,
    /// Failed to load or crashed: replaced by the next split run.
    Dead,
}

/// A helper worker rank 0 started.
struct Helper {
    worker: Worker,
    life: Rc<Cell<Life>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

/// Rank 0's helpers, kept between runs so only the first split run waits for them to load.
#[derive(Default)]
pub struct Helpers {
    started: Vec<Helper>,
    /// The inbox of the split run in progress, which a helper's failure ends.
    inbox: Rc<RefCell<Option<Rc<RefCell<Inbox>>>>>,
    /// The run the helpers train, so that only its end stops them.
    run: Option<u32>,
}

impl Helpers {
    /// Splits run `run_id` of `config` over `count` workers: starts the helpers still missing,
    /// waits for them, wires the channels and sends each its rank. Returns rank 0's exchange.
    pub async fn split(
        helpers: &RefCell<Helpers>,
        run_id: u32,
        count: usize,
        shard_message: impl Fn(usize, Vec<usize>) -> ToWorker,
    ) -> Result<PortExchange, Message> {
        let inbox_slot = helpers.borrow().inbox.clone();
        // A crashed helper lost its state: a fresh one takes its place.
        helpers.borrow_mut().started.retain(|h| {
            let alive = h.life.get() != Life::Dead;
            if !alive {
                h.worker.terminate();
            }
            alive
        });
        while helpers.borrow().started.len() < count - 1 {
            let helper = Helper::start(inbox_slot.clone())?;
            helpers.borrow_mut().started.push(helper);
        }
        let began = js_sys::Date::now();
        loop {
            let lives: Vec<Life> = helpers.borrow().started[..count - 1]
                .iter()
                .map(|h| h.life.get())
                .collect();
            if lives.contains(&Life::Dead) {
                return Err(msg!("the extra CPU workers could not start"));
            }
            if lives.iter().all(|&l| l == Life::Ready) {
                break;
            }
            if js_sys::Date::now() - began > HELPER_START_MS {
                return Err(msg!("the extra CPU workers did not start in time"));
            }
            sleep(20).await;
        }
        // One channel per pair of copies: `ends[r]` are copy r's ports, `peers[r]` their ranks.
        let mut ends: Vec<Vec<MessagePort>> = vec![Vec::new(); count];
        let mut peers: Vec<Vec<usize>> = vec![Vec::new(); count];
        for a in 0..count {
            for b in a + 1..count {
                let channel = MessageChannel::new()
                    .map_err(|e| msg!("no message channel: {e}", e = format!("{e:?}")))?;
                ends[a].push(channel.port1());
                peers[a].push(b);
                ends[b].push(channel.port2());
                peers[b].push(a);
            }
        }
        let mine = std::mem::take(&mut ends[0]);
        let exchange = PortExchange::new(0, count, mine, &peers[0]);
        // A split run still going (superseded by this one) stops waiting for its helpers.
        if let Some(old) = inbox_slot.borrow_mut().replace(exchange.inbox()) {
            old.borrow_mut().end(msg!("the run was stopped"));
        }
        helpers.borrow_mut().run = Some(run_id);
        let helpers = helpers.borrow();
        for rank in 1..count {
            let message = shard_message(rank, std::mem::take(&mut peers[rank]));
            let ports = Array::new();
            for port in std::mem::take(&mut ends[rank]) {
                ports.push(&port);
            }
            helpers.started[rank - 1]
                .worker
                .post_message_with_transfer(&JsValue::from_str(&message.to_json()), &ports)
                .map_err(|e| {
                    msg!(
                        "could not reach CPU worker {rank}: {e}",
                        rank = rank + 1,
                        e = format!("{e:?}")
                    )
                })?;
        }
        Ok(exchange)
    }

    /// Split run `run_id` ended (any way): the helpers stop their copies, unless a newer run
    /// has them already.
    pub fn end_run(helpers: &RefCell<Helpers>, run_id: u32) {
        if helpers.borrow().run != Some(run_id) {
            return;
        }
        helpers.borrow_mut().run = None;
        let helpers = helpers.borrow();
        helpers.inbox.borrow_mut().take();
        for helper in &helpers.started {
            let _ = helper
                .worker
                .post_message(&JsValue::from_str(&ToWorker::Stop.to_json()));
        }
    }
}

impl Helper {
    fn start(inbox: Rc<RefCell<Option<Rc<RefCell<Inbox>>>>>) -> Result<Helper, Message> {
        let worker = Worker::new(HELPER_SCRIPT).map_err(|e| {
            msg!(
                "this browser cannot start extra CPU workers from a worker: {e}",
                e = format!("{e:?}")
            )
        })?;
        let life = Rc::new(Cell::new(Life::Loading));
        let inbox_on_error = inbox.clone();
        let on_message = {
            let life = life.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let Some(text) = event.data().as_string() else {
                    return;
                };
                let failure = match serde_json::from_str::<FromWorker>(&text) {
                    Ok(FromWorker::Ready) => {
                        life.set(Life::Ready);
                        None
                    }
                    Ok(FromWorker::Crashed { message }) => {
                        life.set(Life::Dead);
                        Some(message)
                    }
                    Ok(FromWorker::Error { message, .. }) => Some(message),
                    _ => None,
                };
                if let Some(why) = failure
                    && let Some(inbox) = inbox.borrow().as_ref()
                {
                    inbox
                        .borrow_mut()
                        .end(msg!("a helper CPU worker stopped: {why}", why = why));
                }
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = {
            let life = life.clone();
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                e.prevent_default();
                life.set(Life::Dead);
                if let Some(inbox) = inbox_on_error.borrow().as_ref() {
                    inbox.borrow_mut().end(msg!(
                        "a helper CPU worker stopped: {why}",
                        why = e.message()
                    ));
                }
            })
        };
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Helper {
            worker,
            life,
            _on_message: on_message,
            _on_error: on_error,
        })
    }
}
