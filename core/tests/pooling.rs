//! Max pooling on the CPU backend: the values, and where the gradient goes, against a plain
//! loop written here. The 2×2 pool runs through the kernel patched into burn-flex
//! (patches/README.md); the 3×3 pool through Flex's generic loop, as a check of the check.

mod common;

use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Tensor, TensorData};
use tradeoff_core::backend::cpu_device;

/// A deterministic spread of values with ties in some windows (many repeated values).
fn values(n: usize, seed: u64) -> Vec<f32> {
    common::spread(n, seed, 7, -3.0, 1.0)
}

/// Max pooling by the book: the window's largest value, its gradient to the first position
/// (row by row) holding it, windows that would cross the edge dropped.
fn reference(
    x: &[f32],
    [n, c, h, w]: [usize; 4],
    size: usize,
    upstream: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let (oh, ow) = (h / size, w / size);
    let mut out = Vec::new();
    let mut grad = vec![0.0; x.len()];
    for plane in 0..n * c {
        for i in 0..oh {
            for j in 0..ow {
                let mut best = (f32::NEG_INFINITY, usize::MAX);
                for di in 0..size {
                    for dj in 0..size {
                        let at = plane * h * w + (i * size + di) * w + j * size + dj;
                        if best.1 == usize::MAX || x[at] > best.0 {
                            best = (x[at], at);
                        }
                    }
                }
                grad[best.1] += upstream[out.len()];
                out.push(best.0);
            }
        }
    }
    (out, grad)
}

fn check(shape: [usize; 4], size: usize) {
    let device = cpu_device();
    let count = shape.iter().product();
    let xs = values(count, count as u64 + size as u64);
    let x = Tensor::<4>::from_data(TensorData::new(xs.clone(), shape), &device)
        .autodiff()
        .require_grad();
    let y = max_pool2d(x.clone(), MaxPoolOptions::new([size, size]));
    let [n, c, oh, ow] = y.dims();
    assert_eq!(
        [n, c, oh, ow],
        [shape[0], shape[1], shape[2] / size, shape[3] / size]
    );
    let upstream = values(n * c * oh * ow, 99);
    let weights =
        Tensor::<4>::from_data(TensorData::new(upstream.clone(), [n, c, oh, ow]), &device);
    let grads = (y.clone() * weights.autodiff()).sum().backward();
    let got_out: Vec<f32> = y.into_data().iter::<f32>().collect();
    let got_grad: Vec<f32> = x.grad(&grads).unwrap().into_data().iter::<f32>().collect();
    let (want_out, want_grad) = reference(&xs, shape, size, &upstream);
    assert_eq!(got_out, want_out, "pooled values, {shape:?} pool {size}");
    assert_eq!(got_grad, want_grad, "input gradient, {shape:?} pool {size}");
}

#[test]
fn two_by_two_pool_matches_the_definition() {
    check([3, 4, 8, 6], 2); // even sides
    check([2, 3, 7, 5], 2); // odd sides: the last row and column are dropped
    check([64, 8, 26, 26], 2); // the reference CNN's first pool, a full batch
}

#[test]
fn three_by_three_pool_matches_the_definition() {
    check([2, 3, 9, 7], 3);
}

#[test]
fn a_nan_in_a_window_comes_out_as_nan() {
    let device = cpu_device();
    let mut xs = vec![1.0f32; 16];
    xs[5] = f32::NAN; // the top-left window is rows 0–1, columns 0–1: index 5 is (1, 1)
    let x = Tensor::<4>::from_data(TensorData::new(xs, [1, 1, 4, 4]), &device);
    let y: Vec<f32> = max_pool2d(x, MaxPoolOptions::new([2, 2]))
        .into_data()
        .iter::<f32>()
        .collect();
    assert!(y[0].is_nan(), "{y:?}");
    assert_eq!(&y[1..], &[1.0, 1.0, 1.0]);
}
