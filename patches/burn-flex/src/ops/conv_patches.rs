//! Tradeoff patch: a 2D convolution and its gradients as patch matrix · gemm, straight from
//! the NCHW tensors.
//!
//! The forward pass (`conv2d_forward`, below) builds the same patch matrix as the weight
//! gradient, `col[(ci, kh, kw), p]`, a tile of output rows at a time, and runs one gemm per
//! tile that writes the output where it lies: `Y[b, co, p] = Σ_r W[co, r] · col[r, p]`.
//! Flex's generic path instead copies the input to NHWC, reorders the weight, builds a
//! position-major patch matrix (which gemm then packs again) and writes each tile's result
//! from a scratch buffer into the output.
//!
//! Burn's generic `conv2d_weight_backward` swaps the batch and channel axes of the input and
//! of the output gradient and runs a forward convolution whose kernel is the whole
//! output-gradient map. On Flex that is a strided copy of each swapped tensor, an NHWC copy of
//! the input, a transposed copy of the gradient as a "kernel", the gemm, and a swap back.
//! Here, for each sample `b` and group `g`, with `p` running over output positions:
//!
//! ```text
//! dW[g·ocpg + co, (ci, kh, kw)] += dY[b, g·ocpg + co, p] · col[b, g][(ci, kh, kw), p]
//! ```
//!
//! where `col` is the input patch matrix (zero where a patch reaches into the padding). The
//! output gradient is read in place (its rows are already `[co, p]`), the patch matrix is built
//! a tile of output rows at a time, and each tile is one gemm that accumulates into `dW`.
//!
//! The input gradient (`conv2d_x_backward`, below) is the same scheme backwards: one gemm per
//! tile gives the patch matrix's gradient, which is added back where each patch was read.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::ConvOptions;
use burn_backend::ops::conv::calculate_conv_output_size;
use burn_std::{Bytes, ElementAdd, Shape, f16};

use super::conv_common::{convert_bf16_to_f32, convert_f32_to_bf16};
use super::matmul::GemmScalar;
use crate::{FlexTensor, Layout};

/// About this many output positions per patch-matrix tile: large enough for a good gemm,
/// small enough that the tile stays in cache.
const TILE_POSITIONS: usize = 512;

/// Samples per parallel chunk where rayon is on (a fixed split keeps the sums' order fixed).
#[cfg(feature = "rayon")]
const SAMPLES_PER_CHUNK: usize = 8;

/// The gradient of a 2D convolution's weight, shaped like the weight
/// (`[channels_out, channels_in / groups, kernel_h, kernel_w]`).
///
/// `x` is the input `[batch, channels_in, h, w]`, `output_grad` the gradient of the output
/// `[batch, channels_out, out_h, out_w]`; `options` must have symmetric padding (pad the input
/// for an asymmetric one first, as Burn's generic backward does).
pub fn conv2d_weight_backward(
    x: FlexTensor,
    output_grad: FlexTensor,
    weight_shape: &[usize],
    options: &ConvOptions<2>,
) -> FlexTensor {
    match x.dtype() {
        DType::F32 => weight_grad::<f32>(x, output_grad, weight_shape, options, DType::F32),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::F64 => weight_grad::<f64>(x, output_grad, weight_shape, options, DType::F64),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::F16 => weight_grad::<f16>(x, output_grad, weight_shape, options, DType::F16),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::BF16 => {
            let x = convert_bf16_to_f32(&x);
            let output_grad = convert_bf16_to_f32(&output_grad);
            let grad = weight_grad::<f32>(x, output_grad, weight_shape, options, DType::F32);
            convert_f32_to_bf16(&grad)
        }
        dtype => panic!("conv2d_weight_backward: unsupported dtype {:?}", dtype),
    }
}

/// Tradeoff patch: a 2D convolution, `[batch, channels_out, out_h, out_w]`, as patch matrix ·
/// gemm on the NCHW tensors (see the module's comment). `x` is `[batch, channels_in, h, w]`,
/// `weight` `[channels_out, channels_in / groups, kernel_h, kernel_w]`; `options` must have
/// symmetric padding (pad the input for an asymmetric one first, as Flex's `conv2d` does).
/// Flex sends a convolution here only where it would otherwise take its generic tiled im2col
/// path (`conv::conv2d_takes_generic_path`): its 1x1, depthwise and small-channel paths stay.
pub fn conv2d_forward(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: &ConvOptions<2>,
) -> FlexTensor {
    match x.dtype() {
        DType::F32 => forward::<f32>(x, weight, bias, options, DType::F32),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::F64 => forward::<f64>(x, weight, bias, options, DType::F64),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::F16 => forward::<f16>(x, weight, bias, options, DType::F16),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::BF16 => {
            let x = convert_bf16_to_f32(&x);
            let weight = convert_bf16_to_f32(&weight);
            let bias = bias.map(|b| convert_bf16_to_f32(&b));
            convert_f32_to_bf16(&forward::<f32>(x, weight, bias, options, DType::F32))
        }
        dtype => panic!("conv2d: unsupported dtype {:?}", dtype),
    }
}

fn forward<T: GemmScalar + ElementAdd>(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: &ConvOptions<2>,
    dtype: DType,
) -> FlexTensor {
    let x = x.to_contiguous();
    let weight = weight.to_contiguous();
    let bias = bias.map(|b| b.to_contiguous());
    let x_shape = x.layout().shape().to_vec();
    let w_shape = weight.layout().shape().to_vec();
    let out_size = |axis: usize| {
        calculate_conv_output_size(
            w_shape[2 + axis],
            options.stride[axis],
            options.padding_begin()[axis],
            options.dilation[axis],
            x_shape[2 + axis],
        )
    };
    let y_shape = [x_shape[0], w_shape[0], out_size(0), out_size(1)];
    let geometry = Geometry::new(&x_shape, &y_shape, &w_shape, options);
    let batch = x_shape[0];
    let per_sample = y_shape[1] * y_shape[2] * y_shape[3];
    let x_data: &[T] = x.storage();
    let w_data: &[T] = weight.storage();
    let bias_data: Option<&[T]> = bias.as_ref().map(|b| b.storage());
    let mut y = vec![T::zero(); batch * per_sample];
    if per_sample > 0 {
        // Each sample writes only its own output planes, so the split changes no result.
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            y.par_chunks_mut(per_sample)
                .enumerate()
                .for_each_init(Vec::new, |col, (b, y_b)| {
                    forward_sample(y_b, col, x_data, w_data, bias_data, b, &geometry)
                });
        }
        #[cfg(not(feature = "rayon"))]
        {
            let mut col = Vec::new();
            for (b, y_b) in y.chunks_mut(per_sample).enumerate() {
                forward_sample(y_b, &mut col, x_data, w_data, bias_data, b, &geometry);
            }
        }
    }
    FlexTensor::new(
        Bytes::from_elems(y),
        Layout::contiguous(Shape::from(y_shape.to_vec())),
        dtype,
    )
}

/// Writes sample `b`'s output `y_b` (`[channels_out, out_h·out_w]`), a tile of output rows at
/// a time, then adds the bias; `col` is the reusable patch-matrix buffer.
fn forward_sample<T: GemmScalar + ElementAdd>(
    y_b: &mut [T],
    col: &mut Vec<T>,
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
    b: usize,
    g: &Geometry,
) {
    let patch_len = g.patch_len();
    let out_positions = g.out_h * g.out_w;
    for (group, row, rows) in g.tiles() {
        let tile = rows * g.out_w;
        zeroed(col, patch_len * tile);
        fill_patches(col, g.input_group(x, b, group), row, rows, g);
        let first_out_channel = group * g.out_channels_per_group;
        let y_tile = &mut y_b[first_out_channel * out_positions + row * g.out_w..];
        // y_tile[co, p] = Σ_r w_group[co, r] · col[r, p]
        unsafe {
            gemm::gemm(
                g.out_channels_per_group,
                tile,
                patch_len,
                y_tile.as_mut_ptr(),
                1,
                out_positions as isize,
                false,
                g.weight_group(w, group).as_ptr(),
                1,
                patch_len as isize,
                col.as_ptr(),
                1,
                tile as isize,
                T::zero(),
                T::one(),
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }
    if let Some(bias) = bias {
        for (plane, &c) in y_b.chunks_mut(out_positions).zip(bias) {
            for v in plane {
                *v = T::add(*v, c);
            }
        }
    }
}

/// Sizes and steps of one convolution (forward or gradient).
#[derive(Clone, Copy)]
struct Geometry {
    channels_in: usize,
    in_h: usize,
    in_w: usize,
    channels_out: usize,
    out_h: usize,
    out_w: usize,
    channels_per_group: usize,
    out_channels_per_group: usize,
    groups: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
}

impl Geometry {
    /// The geometry of a convolution of an input shaped `x_shape` by a weight shaped
    /// `weight_shape` into an output shaped `dy_shape` (all NCHW / OIHW).
    fn new(
        x_shape: &[usize],
        dy_shape: &[usize],
        weight_shape: &[usize],
        options: &ConvOptions<2>,
    ) -> Self {
        let groups = options.groups;
        let geometry = Geometry {
            channels_in: x_shape[1],
            in_h: x_shape[2],
            in_w: x_shape[3],
            channels_out: dy_shape[1],
            out_h: dy_shape[2],
            out_w: dy_shape[3],
            channels_per_group: weight_shape[1],
            out_channels_per_group: weight_shape[0] / groups,
            groups,
            kernel: [weight_shape[2], weight_shape[3]],
            stride: options.stride,
            padding: options.padding_begin(),
            dilation: options.dilation,
        };
        assert_eq!(
            weight_shape[0], geometry.channels_out,
            "conv2d: channels out"
        );
        assert_eq!(
            geometry.channels_per_group * groups,
            geometry.channels_in,
            "conv2d: channels in"
        );
        geometry
    }

    /// Rows of the patch matrix (and columns of one output channel's gradient).
    fn patch_len(&self) -> usize {
        self.channels_per_group * self.kernel[0] * self.kernel[1]
    }

    /// Output rows per patch-matrix tile.
    fn tile_rows(&self) -> usize {
        (TILE_POSITIONS / self.out_w.max(1)).clamp(1, self.out_h.max(1))
    }

    /// One sample's patch-matrix tiles in order, as `(group, first output row, rows)`.
    fn tiles(&self) -> impl Iterator<Item = (usize, usize, usize)> {
        let (groups, out_h, tile_rows) = (self.groups, self.out_h, self.tile_rows());
        (0..groups).flat_map(move |group| {
            (0..out_h)
                .step_by(tile_rows)
                .map(move |row| (group, row, tile_rows.min(out_h - row)))
        })
    }

    /// Sample `b`'s input channels of `group` (`[channels_per_group, h, w]`).
    fn input_group<'a, T>(&self, x: &'a [T], b: usize, group: usize) -> &'a [T] {
        let plane = self.in_h * self.in_w;
        let first = b * self.channels_in + group * self.channels_per_group;
        &x[first * plane..][..self.channels_per_group * plane]
    }

    /// The weight rows of `group`'s output channels (`[out_channels_per_group, patch_len]`).
    fn weight_group<'a, T>(&self, w: &'a [T], group: usize) -> &'a [T] {
        let rows = self.out_channels_per_group * self.patch_len();
        &w[group * rows..][..rows]
    }

    /// The output positions `o` along one axis whose input `o·stride + k·dilation − padding`
    /// lies in `0..size`, as a range.
    fn valid(
        out: usize,
        size: usize,
        k: usize,
        stride: usize,
        dilation: usize,
        padding: usize,
    ) -> (usize, usize) {
        let offset = (k * dilation) as isize - padding as isize;
        // o·stride + offset >= 0  and  o·stride + offset < size
        let first = if offset >= 0 { 0 } else { (-offset) as usize }.div_ceil(stride);
        let end_exclusive = size as isize - offset;
        let end = if end_exclusive <= 0 {
            0
        } else {
            (end_exclusive as usize).div_ceil(stride)
        };
        (first.min(out), end.min(out).max(first.min(out)))
    }
}

fn weight_grad<T: GemmScalar + ElementAdd>(
    x: FlexTensor,
    output_grad: FlexTensor,
    weight_shape: &[usize],
    options: &ConvOptions<2>,
    dtype: DType,
) -> FlexTensor {
    let x = x.to_contiguous();
    let output_grad = output_grad.to_contiguous();
    let x_shape = x.layout().shape();
    let dy_shape = output_grad.layout().shape();
    let geometry = Geometry::new(x_shape, dy_shape, weight_shape, options);
    let batch = x_shape[0];
    let x_data: &[T] = x.storage();
    let dy_data: &[T] = output_grad.storage();
    let grad_len = geometry.channels_out * geometry.patch_len();

    // Samples in fixed chunks, each chunk's sum on whichever thread, the chunks added in order:
    // the same result on every run whatever the thread count, so a seeded run repeats exactly.
    #[cfg(feature = "rayon")]
    let grad = {
        use rayon::prelude::*;
        let chunks = batch.div_ceil(SAMPLES_PER_CHUNK);
        let partials: Vec<Vec<T>> = (0..chunks)
            .into_par_iter()
            .map(|chunk| {
                let mut grad = vec![T::zero(); grad_len];
                let mut col = Vec::new();
                let first = chunk * SAMPLES_PER_CHUNK;
                for b in first..(first + SAMPLES_PER_CHUNK).min(batch) {
                    accumulate_sample(&mut grad, &mut col, x_data, dy_data, b, &geometry);
                }
                grad
            })
            .collect();
        let mut partials = partials.into_iter();
        let mut sum = partials.next().unwrap_or_else(|| vec![T::zero(); grad_len]);
        for part in partials {
            for (s, p) in sum.iter_mut().zip(part) {
                *s = T::add(*s, p);
            }
        }
        sum
    };
    #[cfg(not(feature = "rayon"))]
    let grad = {
        let mut grad = vec![T::zero(); grad_len];
        let mut col = Vec::new();
        for b in 0..batch {
            accumulate_sample(&mut grad, &mut col, x_data, dy_data, b, &geometry);
        }
        grad
    };

    FlexTensor::new(
        Bytes::from_elems(grad),
        Layout::contiguous(Shape::from(weight_shape.to_vec())),
        dtype,
    )
}

/// Adds sample `b`'s contribution to `grad` (`[channels_out, patch_len]`), a tile of output
/// rows at a time; `col` is the reusable patch-matrix buffer.
fn accumulate_sample<T: GemmScalar>(
    grad: &mut [T],
    col: &mut Vec<T>,
    x: &[T],
    dy: &[T],
    b: usize,
    g: &Geometry,
) {
    let patch_len = g.patch_len();
    let out_positions = g.out_h * g.out_w;
    for (group, row, rows) in g.tiles() {
        let tile = rows * g.out_w;
        zeroed(col, patch_len * tile);
        fill_patches(col, g.input_group(x, b, group), row, rows, g);
        let first_out_channel = group * g.out_channels_per_group;
        let dy_tile =
            &dy[(b * g.channels_out + first_out_channel) * out_positions + row * g.out_w..];
        let grad_group =
            &mut grad[first_out_channel * patch_len..][..g.out_channels_per_group * patch_len];
        // grad_group[co, r] += Σ_p dy_tile[co, p] · col[r, p]
        unsafe {
            gemm::gemm(
                g.out_channels_per_group,
                patch_len,
                tile,
                grad_group.as_mut_ptr(),
                1,
                patch_len as isize,
                true,
                dy_tile.as_ptr(),
                1,
                out_positions as isize,
                col.as_ptr(),
                tile as isize,
                1,
                T::one(),
                T::one(),
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }
}

/// Empties `col` and fills it with `len` zeros, keeping its allocation.
fn zeroed<T: GemmScalar>(col: &mut Vec<T>, len: usize) {
    col.clear();
    col.resize(len, T::zero());
}

/// Fills `col` (`[patch_len, rows·out_w]`, zeroed) with the input patches of output rows
/// `first_row..first_row + rows`; entries whose input lies in the padding stay zero.
fn fill_patches<T: GemmScalar>(
    col: &mut [T],
    x_group: &[T],
    first_row: usize,
    rows: usize,
    g: &Geometry,
) {
    let tile = rows * g.out_w;
    let [kernel_h, kernel_w] = g.kernel;
    let [stride_h, stride_w] = g.stride;
    let [pad_h, pad_w] = g.padding;
    let [dilation_h, dilation_w] = g.dilation;
    let mut r = 0;
    for ci in 0..g.channels_per_group {
        let plane = &x_group[ci * g.in_h * g.in_w..][..g.in_h * g.in_w];
        for kh in 0..kernel_h {
            let (oy_first, oy_end) =
                Geometry::valid(g.out_h, g.in_h, kh, stride_h, dilation_h, pad_h);
            for kw in 0..kernel_w {
                let (ox_first, ox_end) =
                    Geometry::valid(g.out_w, g.in_w, kw, stride_w, dilation_w, pad_w);
                if ox_first == ox_end {
                    r += 1;
                    continue;
                }
                let col_row = &mut col[r * tile..][..tile];
                let oy_lo = oy_first.max(first_row);
                let oy_hi = oy_end.min(first_row + rows);
                for oy in oy_lo..oy_hi.max(oy_lo) {
                    let iy = oy * stride_h + kh * dilation_h - pad_h;
                    let src_row = &plane[iy * g.in_w..][..g.in_w];
                    let dst = &mut col_row[(oy - first_row) * g.out_w..][..g.out_w];
                    let ix0 = ox_first * stride_w + kw * dilation_w - pad_w;
                    if stride_w == 1 {
                        let n = ox_end - ox_first;
                        dst[ox_first..ox_end].copy_from_slice(&src_row[ix0..ix0 + n]);
                    } else {
                        for (i, ox) in (ox_first..ox_end).enumerate() {
                            dst[ox] = src_row[ix0 + i * stride_w];
                        }
                    }
                }
                r += 1;
            }
        }
    }
}

/// Tradeoff patch: the gradient of a 2D convolution's input, shaped like the input
/// (`[batch, channels_in, h, w]`), as gemm · col2im.
///
/// For each sample and group, a tile of output rows at a time, the patch-matrix gradient is
/// one gemm, `dcol[(ci, kh, kw), p] = Σ_co W[co, (ci, kh, kw)] · dY[co, p]`, and each of its
/// entries is added back to the input position its patch read (`add_patches`, the mirror of
/// `fill_patches`). Burn's generic path runs a transposed convolution instead, which Flex
/// computes with a direct loop. Any padding, asymmetric too, is handled in place: the output
/// size comes from `output_grad`, and positions that read padding are skipped.
pub fn conv2d_x_backward(
    x_shape: &[usize],
    weight: FlexTensor,
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    match weight.dtype() {
        DType::F32 => input_grad::<f32>(x_shape, weight, output_grad, options, DType::F32),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::F64 => input_grad::<f64>(x_shape, weight, output_grad, options, DType::F64),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::F16 => input_grad::<f16>(x_shape, weight, output_grad, options, DType::F16),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::BF16 => {
            let weight = convert_bf16_to_f32(&weight);
            let output_grad = convert_bf16_to_f32(&output_grad);
            let grad = input_grad::<f32>(x_shape, weight, output_grad, options, DType::F32);
            convert_f32_to_bf16(&grad)
        }
        dtype => panic!("conv2d_x_backward: unsupported dtype {:?}", dtype),
    }
}

fn input_grad<T: GemmScalar + ElementAdd>(
    x_shape: &[usize],
    weight: FlexTensor,
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
    dtype: DType,
) -> FlexTensor {
    let weight = weight.to_contiguous();
    let output_grad = output_grad.to_contiguous();
    let weight_shape = weight.layout().shape().to_vec();
    let dy_shape = output_grad.layout().shape();
    let geometry = Geometry::new(x_shape, dy_shape, &weight_shape, options);
    let batch = x_shape[0];
    let w_data: &[T] = weight.storage();
    let dy_data: &[T] = output_grad.storage();
    let sample_len = geometry.channels_in * geometry.in_h * geometry.in_w;
    let mut grad = vec![T::zero(); batch * sample_len];

    // Each sample writes only its own slice, so the split does not change any sum's order.
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        grad.par_chunks_mut(sample_len.max(1))
            .enumerate()
            .for_each_init(Vec::new, |col, (b, dx)| {
                input_grad_sample(dx, col, w_data, dy_data, b, &geometry)
            });
    }
    #[cfg(not(feature = "rayon"))]
    {
        let mut col = Vec::new();
        for (b, dx) in grad.chunks_mut(sample_len.max(1)).enumerate() {
            input_grad_sample(dx, &mut col, w_data, dy_data, b, &geometry);
        }
    }

    FlexTensor::new(
        Bytes::from_elems(grad),
        Layout::contiguous(Shape::from(x_shape.to_vec())),
        dtype,
    )
}

/// Writes sample `b`'s input gradient into `dx` (`[channels_in, h, w]`, zeroed), a tile of
/// output rows at a time; `col` is the reusable patch-matrix buffer.
fn input_grad_sample<T: GemmScalar + ElementAdd>(
    dx: &mut [T],
    col: &mut Vec<T>,
    w: &[T],
    dy: &[T],
    b: usize,
    g: &Geometry,
) {
    let patch_len = g.patch_len();
    let out_positions = g.out_h * g.out_w;
    let group_len = g.channels_per_group * g.in_h * g.in_w;
    for (group, row, rows) in g.tiles() {
        let tile = rows * g.out_w;
        zeroed(col, patch_len * tile);
        let first_out_channel = group * g.out_channels_per_group;
        let dy_tile =
            &dy[(b * g.channels_out + first_out_channel) * out_positions + row * g.out_w..];
        // col[r, p] = Σ_co w_group[co, r] · dy_tile[co, p]
        unsafe {
            gemm::gemm(
                patch_len,
                tile,
                g.out_channels_per_group,
                col.as_mut_ptr(),
                1,
                tile as isize,
                false,
                g.weight_group(w, group).as_ptr(),
                patch_len as isize,
                1,
                dy_tile.as_ptr(),
                1,
                out_positions as isize,
                T::zero(),
                T::one(),
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
        add_patches(&mut dx[group * group_len..][..group_len], col, row, rows, g);
    }
}

/// Adds `col` (`[patch_len, rows·out_w]`) back into the input gradient of one group: each
/// entry to the input position its patch read for output rows `first_row..first_row + rows`;
/// entries that read padding are dropped.
fn add_patches<T: GemmScalar + ElementAdd>(
    dx_group: &mut [T],
    col: &[T],
    first_row: usize,
    rows: usize,
    g: &Geometry,
) {
    let tile = rows * g.out_w;
    let [kernel_h, kernel_w] = g.kernel;
    let [stride_h, stride_w] = g.stride;
    let [pad_h, pad_w] = g.padding;
    let [dilation_h, dilation_w] = g.dilation;
    let mut r = 0;
    for ci in 0..g.channels_per_group {
        let plane = &mut dx_group[ci * g.in_h * g.in_w..][..g.in_h * g.in_w];
        for kh in 0..kernel_h {
            let (oy_first, oy_end) =
                Geometry::valid(g.out_h, g.in_h, kh, stride_h, dilation_h, pad_h);
            for kw in 0..kernel_w {
                let (ox_first, ox_end) =
                    Geometry::valid(g.out_w, g.in_w, kw, stride_w, dilation_w, pad_w);
                if ox_first == ox_end {
                    r += 1;
                    continue;
                }
                let col_row = &col[r * tile..][..tile];
                let oy_lo = oy_first.max(first_row);
                let oy_hi = oy_end.min(first_row + rows);
                for oy in oy_lo..oy_hi.max(oy_lo) {
                    let iy = oy * stride_h + kh * dilation_h - pad_h;
                    let dst_row = &mut plane[iy * g.in_w..][..g.in_w];
                    let src = &col_row[(oy - first_row) * g.out_w..][..g.out_w];
                    let ix0 = ox_first * stride_w + kw * dilation_w - pad_w;
                    if stride_w == 1 {
                        let n = ox_end - ox_first;
                        for (d, s) in dst_row[ix0..ix0 + n].iter_mut().zip(&src[ox_first..ox_end]) {
                            *d = T::add(*d, *s);
                        }
                    } else {
                        for (i, ox) in (ox_first..ox_end).enumerate() {
                            let d = &mut dst_row[ix0 + i * stride_w];
                            *d = T::add(*d, src[ox]);
                        }
                    }
                }
                r += 1;
            }
        }
    }
}

/// Tradeoff patch: the gradient of a 2D convolution's bias, `db[c] = Σ_b Σ_p dY[b, c, p]`,
/// summed where `output_grad` lies. Burn's generic method swaps the batch and channel axes,
/// which on Flex is a strided copy of the whole output gradient (`copy_2d_tiled`), before a
/// sum along one axis.
pub fn conv2d_bias_backward(bias: FlexTensor, output_grad: FlexTensor) -> FlexTensor {
    match output_grad.dtype() {
        DType::F32 => bias_grad::<f32>(bias, output_grad, DType::F32),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::F64 => bias_grad::<f64>(bias, output_grad, DType::F64),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::F16 => bias_grad::<f16>(bias, output_grad, DType::F16),
        #[cfg(not(feature = "lean-dtypes"))]
        DType::BF16 => {
            let output_grad = convert_bf16_to_f32(&output_grad);
            let bias = convert_bf16_to_f32(&bias);
            convert_f32_to_bf16(&bias_grad::<f32>(bias, output_grad, DType::F32))
        }
        dtype => panic!("conv2d_bias_backward: unsupported dtype {:?}", dtype),
    }
}

fn bias_grad<T: GemmScalar + ElementAdd>(
    bias: FlexTensor,
    output_grad: FlexTensor,
    dtype: DType,
) -> FlexTensor {
    let output_grad = output_grad.to_contiguous();
    let dy_shape = output_grad.layout().shape();
    let (batch, channels) = (dy_shape[0], dy_shape[1]);
    let plane_len: usize = dy_shape[2..].iter().product();
    let dy: &[T] = output_grad.storage();
    let mut grad = vec![T::zero(); channels];
    for b in 0..batch {
        for (c, g) in grad.iter_mut().enumerate() {
            let plane = &dy[(b * channels + c) * plane_len..][..plane_len];
            // Eight running sums, so the additions do not wait on each other.
            let mut lanes = [T::zero(); 8];
            let (chunks, rest) = plane.as_chunks::<8>();
            for chunk in chunks {
                for (lane, v) in lanes.iter_mut().zip(chunk) {
                    *lane = T::add(*lane, *v);
                }
            }
            let mut sum = rest.iter().fold(T::zero(), |s, v| T::add(s, *v));
            for lane in lanes {
                sum = T::add(sum, lane);
            }
            *g = T::add(*g, sum);
        }
    }
    FlexTensor::new(
        Bytes::from_elems(grad),
        Layout::contiguous(Shape::from(bias.layout().shape().to_vec())),
        dtype,
    )
}
