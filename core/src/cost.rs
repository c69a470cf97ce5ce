//! What a layer stack costs, computed from the spec alone (no tensors): shapes, parameters,
//! forward FLOPs and memory. The UI shows these before a single step is trained.

use crate::i18n::Lang;
use crate::i18n::Message;
use crate::msg;
use serde::{Deserialize, Serialize};

use crate::config::{Layer, LossKind, PoolKind, RunConfig, limits};
use crate::setting::{ConfigError, Setting};

/// Bytes of one `f32`.
const F32: u64 = 4;

/// Cost of a whole model for one input image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelCost {
    /// Trainable parameters, output layer included.
    pub params: u64,
    /// Stored values that are not trained: batch norm's running mean and variance.
    pub buffers: u64,
    /// Forward FLOPs per image: 2 × the multiply-accumulates of conv and dense layers
    /// (bias adds, activations, pooling and batch norm are not counted).
    pub flops: u64,
    /// Bytes of all layer outputs for one image (what a training step keeps for backward).
    pub activation_bytes: u64,
    /// One entry per hidden layer, then the output layer.
    pub layers: Vec<LayerCost>,
}

/// Output shape and cost of one layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerCost {
    /// Human-readable layer description, e.g. `conv 8@3×3`.
    pub label: String,
    /// Output shape, e.g. `26×26×8` or `64`.
    pub output: String,
    /// Trainable parameters of this layer.
    pub params: u64,
    /// Forward FLOPs per image.
    pub flops: u64,
    /// Elements of the largest single tensor this layer makes per image: its output. (A conv's
    /// unfolded patches are not counted: whether Burn's GPU kernels make them depends on the
    /// kernel it picks.)
    #[serde(default)]
    pub largest_tensor: u64,
}

impl ModelCost {
    /// Size of the saved float32 model (parameters and buffers) in bytes.
    pub fn model_bytes(&self) -> u64 {
        (self.params + self.buffers) * F32
    }

    /// The layer (index) whose single largest tensor is the biggest, and that tensor's bytes at
    /// `batch` images.
    pub fn largest_buffer(&self, batch: usize) -> (usize, u64) {
        let (layer, elements) = self
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| (i, l.largest_tensor))
            .max_by_key(|&(_, e)| e)
            .unwrap_or((0, 0));
        (
            layer,
            elements.saturating_mul(batch as u64).saturating_mul(F32),
        )
    }

    /// Whether a training step at `batch` fits a GPU whose buffers hold at most `max_buffer`
    /// bytes each; if not, the layer at fault, its estimate and the batch size that fits.
    pub fn check_gpu_buffers(&self, batch: usize, max_buffer: u64) -> Result<(), Message> {
        let (layer, bytes) = self.largest_buffer(batch);
        if bytes <= max_buffer {
            return Ok(());
        }
        let per_image = self.layers[layer].largest_tensor * F32;
        let fits = max_buffer / per_image.max(1);
        let advice = if fits >= 1 {
            // Powers of two are what the batch-size field offers people first.
            let pow2 = 1u64 << (63 - fits.leading_zeros());
            msg!(
                "batch size {pow2} or less fits, or train on the CPU",
                pow2 = pow2
            )
        } else {
            msg!("no batch size fits: make this layer smaller, or train on the CPU")
        };
        let mb = |b: u64| b.div_ceil(1 << 20);
        Err(msg!(
            "it does not fit this GPU: layer {} ({}) needs one buffer of {} MB at batch size {batch}, and this GPU allows {} MB in one buffer; {advice}",
            layer + 1,
            self.layers[layer].label,
            mb(bytes),
            mb(max_buffer),
            batch = batch,
            advice = advice
        ))
    }

    /// Estimated memory of one training step at `batch` images: activations kept for backward
    /// and their gradients (×3 for pre-activation copies), plus weights, gradients and two
    /// optimizer moments (×4).
    pub fn training_bytes(&self, batch: usize) -> u64 {
        (batch as u64)
            .saturating_mul(self.activation_bytes)
            .saturating_mul(3)
            .saturating_add(self.params.saturating_mul(F32 * 4))
    }
}

/// Shape of the tensor flowing between layers, per image.
#[derive(Clone, Copy, Debug)]
enum Shape {
    Image { channels: usize, side: usize },
    Flat(usize),
}

impl Shape {
    fn elements(self) -> u64 {
        match self {
            Shape::Image { channels, side } => (channels * side * side) as u64,
            Shape::Flat(n) => n as u64,
        }
    }

    fn describe(self) -> String {
        match self {
            Shape::Image { channels, side } => format!("{side}×{side}×{channels}"),
            Shape::Flat(n) => n.to_string(),
        }
    }
}

/// Human-readable description of a layer, as the UI and error messages name it: notation
/// (`8@3×3`, `relu`) stays as it is, the words are in `lang`.
pub fn describe_layer(layer: &Layer, lang: Lang) -> String {
    match *layer {
        Layer::Conv {
            filters,
            kernel,
            stride,
            padding,
            activation,
            batch_norm,
        } => {
            let mut s = format!("{} {filters}@{kernel}×{kernel}", lang.text("conv"));
            if stride != 1 {
                s += &format!(" {} {stride}", lang.text("stride"));
            }
            if padding != 0 {
                s += &format!(" {} {padding}", lang.text("pad"));
            }
            if batch_norm {
                s += &format!(" + {}", lang.text("batch norm"));
            }
            s + " " + activation.name()
        }
        Layer::Pool { pool, size } => match pool {
            PoolKind::Max => format!("{} {size}×{size}", lang.text("max pool")),
            PoolKind::Avg => format!("{} {size}×{size}", lang.text("avg pool")),
        },
        Layer::Dense {
            units,
            activation,
            batch_norm,
        } => {
            let bn = if batch_norm {
                format!(" + {}", lang.text("batch norm"))
            } else {
                String::new()
            };
            format!("{} {units}{bn} {}", lang.text("dense"), activation.name())
        }
        Layer::Dropout { p } => format!("{} {p}", lang.text("dropout")),
    }
}

/// Weights and biases of a dense output layer of `outputs` units on `inputs` features.
pub fn output_params(inputs: u64, outputs: usize) -> u64 {
    let k = outputs as u64;
    inputs.saturating_mul(k).saturating_add(k)
}

/// The output layer's parameters for a two-class dataset: `(one sigmoid output, two softmax
/// outputs)`, e.g. `(65, 130)` after a dense layer of 64. `None` unless the stack is valid.
pub fn two_class_heads(config: &RunConfig) -> Option<(u64, u64)> {
    let mut one = config.clone();
    one.loss = LossKind::BinaryCrossEntropy;
    let last = |c: &RunConfig| analyze(c, 2).ok()?.layers.last().map(|l| l.params);
    let mut two = config.clone();
    two.loss = LossKind::CrossEntropy;
    Some((last(&one)?, last(&two)?))
}

/// Walks the stack for `classes` classes; returns the cost or every problem found.
///
/// Each message names the layer by its 1-based position, e.g.
/// "layer 3: the image is 1×1 here, a 3×3 conv cannot follow".
pub fn analyze(config: &RunConfig, classes: usize) -> Result<ModelCost, Vec<ConfigError>> {
    let mut errors = Vec::new();
    if config.layers.len() > limits::MAX_LAYERS {
        errors.push(ConfigError::new(
            Setting::Layers,
            msg!(
                "{} layers is over the limit of {}",
                config.layers.len(),
                limits::MAX_LAYERS
            ),
        ));
        return Err(errors);
    }
    let mut shape = Shape::Image {
        channels: config.input.channels,
        side: config.input.size,
    };
    let mut cost = ModelCost {
        params: 0,
        buffers: 0,
        flops: 0,
        activation_bytes: shape.elements() * F32,
        layers: Vec::with_capacity(config.layers.len() + 1),
    };
    for (i, layer) in config.layers.iter().enumerate() {
        let field = msg!("layer {}", i + 1);
        let mut fail =
            |message: Message| errors.push(ConfigError::about(Setting::Layers, &field, message));
        let (next, params, flops, buffers) = match (*layer, shape) {
            (
                Layer::Conv {
                    filters,
                    kernel,
                    stride,
                    padding,
                    batch_norm,
                    ..
                },
                Shape::Image { channels, side },
            ) => {
                let mut ok = true;
                if !(1..=limits::MAX_WIDTH).contains(&filters) {
                    fail(msg!("a conv has 1 to {} filters", limits::MAX_WIDTH));
                    ok = false;
                }
                if !(1..=limits::MAX_KERNEL).contains(&kernel) {
                    fail(msg!("a conv kernel is 1 to {} pixels", limits::MAX_KERNEL));
                    ok = false;
                }
                if !(1..=limits::MAX_STRIDE).contains(&stride) {
                    fail(msg!("a conv stride is 1 to {}", limits::MAX_STRIDE));
                    ok = false;
                }
                if ok && padding >= kernel {
                    fail(msg!(
                        "padding {padding} must be smaller than the {kernel}×{kernel} kernel",
                        padding = padding,
                        kernel = kernel
                    ));
                    ok = false;
                }
                if ok && side + 2 * padding < kernel {
                    fail(msg!(
                        "the image is {side}×{side} here, a {kernel}×{kernel} conv cannot follow",
                        side = side,
                        kernel = kernel
                    ));
                    ok = false;
                }
                if !ok {
                    return Err(errors);
                }
                let out_side = (side + 2 * padding - kernel) / stride + 1;
                let [o, f, c, k] = [out_side, filters, channels, kernel].map(|x| x as u64);
                let macs = o * o * f * c * k * k;
                let bn = if batch_norm { 2 * f } else { 0 };
                let params = f * c * k * k + f + bn;
                (
                    Shape::Image {
                        channels: filters,
                        side: out_side,
                    },
                    params,
                    2 * macs,
                    bn,
                )
            }
            (Layer::Pool { pool, size }, Shape::Image { channels, side }) => {
                let name = match pool {
                    PoolKind::Max => "pool",
                    PoolKind::Avg => "average pool",
                };
                if !(2..=limits::MAX_KERNEL).contains(&size) {
                    fail(msg!(
                        "a {name} window is 2 to {} pixels",
                        limits::MAX_KERNEL,
                        name = name
                    ));
                    return Err(errors);
                }
                if side < size {
                    fail(msg!(
                        "the image is {side}×{side} here, a {size}×{size} {name} cannot follow",
                        side = side,
                        size = size,
                        name = name
                    ));
                    return Err(errors);
                }
                (
                    Shape::Image {
                        channels,
                        side: side / size,
                    },
                    0,
                    0,
                    0,
                )
            }
            (Layer::Conv { .. } | Layer::Pool { .. }, Shape::Flat(_)) => {
                fail(msg!(
                    "a dense layer before this one flattened the image: conv and pool layers must come before dense layers"
                ));
                return Err(errors);
            }
            (
                Layer::Dense {
                    units, batch_norm, ..
                },
                _,
            ) => {
                if !(1..=limits::MAX_WIDTH).contains(&units) {
                    fail(msg!("a dense layer has 1 to {} units", limits::MAX_WIDTH));
                    return Err(errors);
                }
                let (inputs, u) = (shape.elements(), units as u64);
                let bn = if batch_norm { 2 * u } else { 0 };
                (Shape::Flat(units), inputs * u + u + bn, 2 * inputs * u, bn)
            }
            (Layer::Dropout { p }, _) => {
                if !(p.is_finite() && (0.0..=limits::MAX_DROPOUT).contains(&p)) {
                    fail(msg!("dropout p must be 0 to {}", limits::MAX_DROPOUT));
                    return Err(errors);
                }
                (shape, 0, 0, 0)
            }
        };
        shape = next;
        cost.params = cost.params.saturating_add(params);
        cost.buffers = cost.buffers.saturating_add(buffers);
        cost.flops = cost.flops.saturating_add(flops);
        cost.activation_bytes = cost.activation_bytes.saturating_add(shape.elements() * F32);
        cost.layers.push(LayerCost {
            label: describe_layer(layer, Lang::En),
            output: shape.describe(),
            params,
            flops,
            largest_tensor: shape.elements(),
        });
    }
    let outputs = config.loss.outputs(classes);
    let (inputs, k) = (shape.elements(), outputs as u64);
    let params = output_params(inputs, outputs);
    cost.params = cost.params.saturating_add(params);
    cost.flops = cost.flops.saturating_add(2 * inputs * k);
    cost.activation_bytes = cost.activation_bytes.saturating_add(k * F32);
    cost.layers.push(LayerCost {
        label: match config.loss {
            LossKind::BinaryCrossEntropy => "output dense 1 sigmoid".to_string(),
            _ => format!("output dense {classes}"),
        },
        output: outputs.to_string(),
        params,
        flops: 2 * inputs * k,
        largest_tensor: k,
    });
    if errors.is_empty() {
        Ok(cost)
    } else {
        Err(errors)
    }
}
