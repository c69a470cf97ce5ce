//! Convolutions on the CPU backend, their outputs and gradients, against sums written out
//! here. The forward pass (its patch matrix) and the weight, input and bias gradients run
//! through code patched into burn-flex (patches/README.md).

mod common;

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Tensor, TensorData};
use tradeoff_core::backend::cpu_device;

/// A deterministic spread of small values.
fn values(n: usize, seed: u64) -> Vec<f32> {
    common::spread(n, seed, 17, -1.0, 0.125)
}

/// One convolution's shapes and options.
struct Case {
    x: [usize; 4],
    weight: [usize; 4],
    stride: [usize; 2],
    padding: [(usize, usize); 2],
    dilation: [usize; 2],
    groups: usize,
}

impl Case {
    /// Stride 1, no padding, no dilation, one group.
    fn new(x: [usize; 4], weight: [usize; 4]) -> Self {
        Case {
            x,
            weight,
            stride: [1, 1],
            padding: [(0, 0); 2],
            dilation: [1, 1],
            groups: 1,
        }
    }

    fn output(&self) -> [usize; 4] {
        let out = |axis: usize| {
            let (begin, end) = self.padding[axis];
            let span = self.dilation[axis] * (self.weight[2 + axis] - 1) + 1;
            (self.x[2 + axis] + begin + end - span) / self.stride[axis] + 1
        };
        [self.x[0], self.weight[0], out(0), out(1)]
    }

    /// conv(x, w) + bias, and the gradients of Σ upstream · (conv(x, w) + bias) for w, x and
    /// the bias, by the definition of the convolution: every (output, kernel tap) pair that
    /// reads an input inside the picture.
    fn reference(&self, x: &[f32], w: &[f32], bias: &[f32], upstream: &[f32]) -> [Vec<f32>; 4] {
        let [n, c_in, h, wd] = self.x;
        let [c_out, per_group, kh, kw] = self.weight;
        let [_, _, oh, ow] = self.output();
        let out_per_group = c_out / self.groups;
        let mut y = vec![0.0f64; upstream.len()];
        let mut grad_bias = vec![0.0f64; bias.len()];
        let mut grad_w = vec![0.0f64; w.len()];
        let mut grad_x = vec![0.0f64; x.len()];
        for b in 0..n {
            for co in 0..c_out {
                let group = co / out_per_group;
                for oy in 0..oh {
                    for ox in 0..ow {
                        let yi = ((b * c_out + co) * oh + oy) * ow + ox;
                        let up = upstream[yi] as f64;
                        y[yi] += bias[co] as f64;
                        grad_bias[co] += up;
                        for ci in 0..per_group {
                            let channel = group * per_group + ci;
                            for ky in 0..kh {
                                let iy = (oy * self.stride[0] + ky * self.dilation[0]) as isize
                                    - self.padding[0].0 as isize;
                                for kx in 0..kw {
                                    let ix = (ox * self.stride[1] + kx * self.dilation[1]) as isize
                                        - self.padding[1].0 as isize;
                                    if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                        continue;
                                    }
                                    let xi =
                                        ((b * c_in + channel) * h + iy as usize) * wd + ix as usize;
                                    let wi = ((co * per_group + ci) * kh + ky) * kw + kx;
                                    y[yi] += x[xi] as f64 * w[wi] as f64;
                                    grad_w[wi] += up * x[xi] as f64;
                                    grad_x[xi] += up * w[wi] as f64;
                                }
                            }
                        }
                    }
                }
            }
        }
        let to_f32 = |v: Vec<f64>| v.into_iter().map(|g| g as f32).collect();
        [to_f32(y), to_f32(grad_w), to_f32(grad_x), to_f32(grad_bias)]
    }

    fn check(&self) {
        let device = cpu_device();
        let xs = values(self.x.iter().product(), 1);
        let ws = values(self.weight.iter().product(), 2);
        let x = Tensor::<4>::from_data(TensorData::new(xs.clone(), self.x), &device)
            .autodiff()
            .require_grad();
        let w = Tensor::<4>::from_data(TensorData::new(ws.clone(), self.weight), &device)
            .autodiff()
            .require_grad();
        let biases = values(self.weight[0], 4);
        let bias =
            Tensor::<1>::from_data(TensorData::new(biases.clone(), [self.weight[0]]), &device)
                .autodiff()
                .require_grad();
        let options =
            ConvOptions::new_with_padding(self.stride, self.padding, self.dilation, self.groups);
        let y = conv2d(x.clone(), w.clone(), Some(bias.clone()), options);
        let out = self.output();
        assert_eq!(y.dims(), out, "output shape");
        let upstream = values(out.iter().product(), 3);
        let got_y: Vec<f32> = y.to_data().iter::<f32>().collect();
        let grads = (y * Tensor::<4>::from_data(TensorData::new(upstream.clone(), out), &device)
            .autodiff())
        .sum()
        .backward();
        let got_w: Vec<f32> = w.grad(&grads).unwrap().into_data().iter::<f32>().collect();
        let got_x: Vec<f32> = x.grad(&grads).unwrap().into_data().iter::<f32>().collect();
        let got_bias: Vec<f32> = bias
            .grad(&grads)
            .unwrap()
            .into_data()
            .iter::<f32>()
            .collect();
        let [want_y, want_w, want_x, want_bias] = self.reference(&xs, &ws, &biases, &upstream);
        assert_close(&got_y, &want_y, "output", &self.x);
        assert_close(&got_w, &want_w, "weight gradient", &self.x);
        assert_close(&got_x, &want_x, "input gradient", &self.x);
        assert_close(&got_bias, &want_bias, "bias gradient", &self.x);
    }
}

fn assert_close(got: &[f32], want: &[f32], what: &str, x: &[usize; 4]) {
    assert_eq!(got.len(), want.len(), "{what} length, input {x:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-3 * (1.0 + w.abs()),
            "{what}, input {x:?}, element {i}: got {g}, want {w}"
        );
    }
}

#[test]
fn the_reference_cnns_convolutions_match_the_definition() {
    Case::new([64, 1, 28, 28], [8, 1, 3, 3]).check(); // first conv, a full batch
    Case::new([64, 8, 13, 13], [16, 8, 3, 3]).check(); // second conv
}

#[test]
fn padding_stride_and_dilation_match_the_definition() {
    Case {
        padding: [(1, 1); 2],
        ..Case::new([4, 5, 9, 9], [6, 5, 3, 3])
    }
    .check();
    // Unequal strides and dilations on a non-square picture and kernel; the stride leaves the
    // last rows unread.
    Case {
        stride: [2, 3],
        padding: [(1, 1), (2, 2)],
        dilation: [2, 1],
        ..Case::new([3, 4, 12, 9], [6, 4, 3, 2])
    }
    .check();
    // Padding wider than the kernel's reach on one side: whole rows of patches are zero.
    Case {
        stride: [1, 2],
        padding: [(3, 3), (0, 0)],
        ..Case::new([2, 2, 5, 6], [3, 2, 2, 2])
    }
    .check();
    // The same with more than four input channels, which Flex's small-channel path leaves to
    // the patch-matrix forward pass.
    Case {
        stride: [2, 3],
        padding: [(1, 1), (2, 2)],
        dilation: [2, 1],
        ..Case::new([3, 6, 12, 9], [7, 6, 3, 2])
    }
    .check();
    Case {
        stride: [1, 2],
        padding: [(3, 3), (0, 0)],
        ..Case::new([2, 5, 5, 6], [3, 5, 2, 2])
    }
    .check();
}

#[test]
fn groups_and_uneven_padding_match_the_definition() {
    Case {
        padding: [(1, 1); 2],
        groups: 2,
        ..Case::new([2, 6, 7, 7], [4, 3, 3, 3])
    }
    .check();
    Case {
        stride: [2, 1],
        padding: [(0, 1), (2, 0)],
        ..Case::new([3, 3, 8, 7], [5, 3, 3, 3])
    }
    .check();
}

#[test]
fn a_wide_picture_spans_several_tiles() {
    // 40 output columns: a tile of 12 rows, then the remaining 8 (in Flex's small-channel
    // forward pass, then in the patch-matrix one).
    Case::new([2, 3, 22, 42], [4, 3, 3, 3]).check();
    Case::new([2, 6, 22, 42], [20, 6, 3, 3]).check();
}
