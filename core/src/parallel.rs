//! Data-parallel training: one run split over K identical model copies (the page's CPU
//! workers), the essay's data parallelism on the machine in front of the class.
//!
//! Each step's batch is cut into K contiguous shards ([`Shard::part`]); every copy computes its
//! shard's gradients, scaled by its share of the batch, and the K gradient vectors are summed
//! ([`GradientExchange`]) in rank order on every copy — so the sum is bit-identical everywhere,
//! every copy applies the same optimizer step, and the K models stay identical. Without batch
//! norm or dropout the summed gradient is the whole batch's mean gradient, as with K = 1 (up to
//! the order of float additions).
//!
//! Batch norm normalises each shard by its own statistics, as PyTorch's
//! `DistributedDataParallel` does, and each copy keeps its own running statistics; the run's
//! validation, test and kept model are rank 0's (DDP broadcasts rank 0's buffers for the same
//! reason). Dropout draws its masks from each copy's own generator (seeded from the run's seed
//! and the rank), so the K shards do not share one mask pattern.

use std::future::Future;
use std::pin::Pin;

#[cfg(feature = "engine")]
use {
    burn::module::{Module, ModuleVisitor, Param, ParamId},
    burn::optim::GradientsParams,
    burn::tensor::{Device, Tensor, TensorData},
};

use crate::i18n::Message;

/// Most CPU workers one run may use: past this a 64-image batch leaves each worker too few
/// images for its step to pay for the exchange.
pub const MAX_WORKERS: usize = 8;

/// The number of CPU workers a run of `setting` uses on a machine with `cores` logical cores:
/// the setting itself (capped at [`MAX_WORKERS`]), or for 0 ("automatic") the cores minus one
/// for the page's own thread, at least 1.
pub fn workers_for(setting: usize, cores: usize) -> usize {
    let wanted = if setting == 0 {
        cores.saturating_sub(1)
    } else {
        setting
    };
    wanted.clamp(1, MAX_WORKERS)
}

/// Which of the run's model copies this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0 for the copy that validates, tests and reports; 1.. for the helpers.
    pub rank: usize,
    /// K, the copies in the run.
    pub count: usize,
}

impl Shard {
    /// The only copy of an unsplit run.
    pub const WHOLE: Shard = Shard { rank: 0, count: 1 };

    /// This copy's contiguous part of a batch of `batch` images: the first `batch % count`
    /// copies take one image more.
    pub fn part(&self, batch: usize) -> std::ops::Range<usize> {
        let base = batch / self.count;
        let extra = batch % self.count;
        let start = self.rank * base + self.rank.min(extra);
        let len = base + usize::from(self.rank < extra);
        start..start + len
    }

    /// Whether this copy reports the run (validation, test, the record).
    pub fn leads(&self) -> bool {
        self.rank == 0
    }

    /// The seed of this copy's own random draws (dropout, augmentation): the run's seed for
    /// rank 0 of an unsplit run, a distinct stream per rank otherwise.
    pub fn seed(&self, run_seed: u64) -> u64 {
        if self.count == 1 {
            run_seed
        } else {
            run_seed ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(self.rank as u64 + 1))
        }
    }
}

/// A boxed future, as an exchange returns it (a trait method cannot be `async` and boxed).
pub type Exchanging<'a> = Pin<Box<dyn Future<Output = Result<Vec<f32>, Message>> + 'a>>;

/// How the K copies of a run sum their gradient vectors: the page's workers by message
/// passing, the native tests in memory.
pub trait GradientExchange {
    /// Sends this copy's `local` vector to the others and returns the sum of all K, added in
    /// rank order (rank 0's first) so every copy gets the same bits. An error ends the run
    /// (another copy crashed, or the run was stopped).
    fn sum(&mut self, local: Vec<f32>) -> Exchanging<'_>;
}

/// Adds `vectors` (one per rank, in rank order) into the first, in that order.
pub fn sum_in_rank_order(vectors: Vec<Vec<f32>>) -> Vec<f32> {
    let mut vectors = vectors.into_iter();
    let mut total = vectors.next().unwrap_or_default();
    for v in vectors {
        for (t, x) in total.iter_mut().zip(v) {
            *t += x;
        }
    }
    total
}

/// Elements in the flat gradient vector of `model`: its parameters that take gradients (frozen
/// ones are left out). Reading each shape initialises a lazy parameter.
#[cfg(feature = "engine")]
pub fn gradient_len<M: Module>(model: &M) -> usize {
    struct Count(usize);
    impl ModuleVisitor for Count {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if param.is_require_grad() {
                self.0 += param.val().shape().num_elements();
            }
        }
    }
    let mut count = Count(0);
    model.visit(&mut count);
    count.0
}

/// The gradients of `grads` for `model`'s parameters as one flat tensor in the model's
/// visiting order (which every copy shares), times `scale`; a parameter without a gradient
/// this step contributes zeros.
#[cfg(feature = "engine")]
pub fn flatten_gradients<M: Module>(
    model: &M,
    grads: &mut GradientsParams,
    scale: f32,
    device: &Device,
) -> Tensor<1> {
    struct Take<'a> {
        grads: &'a mut GradientsParams,
        parts: Vec<Tensor<1>>,
        device: &'a Device,
    }
    impl ModuleVisitor for Take<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if !param.is_require_grad() {
                return;
            }
            let part = match self.grads.remove::<D>(param.id) {
                Some(grad) => grad.reshape([-1]),
                None => Tensor::zeros([param.val().shape().num_elements()], self.device),
            };
            self.parts.push(part);
        }
    }
    let mut take = Take {
        grads,
        parts: Vec::new(),
        device,
    };
    model.visit(&mut take);
    if take.parts.is_empty() {
        return Tensor::zeros([0], device);
    }
    Tensor::cat(take.parts, 0).mul_scalar(scale) // [len]
}

/// The summed flat vector back as gradients of `model`'s parameters: those in `apart` in
/// the second set (transferred layers, which step at their own rate), the rest in the first.
#[cfg(feature = "engine")]
pub fn unflatten_gradients<M: Module>(
    model: &M,
    flat: &[f32],
    apart: &[ParamId],
    device: &Device,
) -> (GradientsParams, GradientsParams) {
    struct Give<'a> {
        flat: &'a [f32],
        offset: usize,
        apart: &'a [ParamId],
        device: &'a Device,
        grads: (GradientsParams, GradientsParams),
    }
    impl ModuleVisitor for Give<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if !param.is_require_grad() {
                return;
            }
            let shape = param.val().shape();
            let n = shape.num_elements();
            let values = self.flat[self.offset..self.offset + n].to_vec();
            self.offset += n;
            let grad = Tensor::<D>::from_data(TensorData::new(values, shape), self.device);
            if self.apart.contains(&param.id) {
                self.grads.1.register::<D>(param.id, grad);
            } else {
                self.grads.0.register::<D>(param.id, grad);
            }
        }
    }
    let mut give = Give {
        flat,
        offset: 0,
        apart,
        device,
        grads: (GradientsParams::new(), GradientsParams::new()),
    };
    model.visit(&mut give);
    give.grads
}
