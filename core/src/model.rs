//! The Burn model built from a run config's layer stack.

use burn::module::{Module, ParamGroup, ParamId, list_param_ids};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer, Linear, LinearConfig,
    PaddingConfig2d,
};
use burn::tensor::activation::{gelu, relu, sigmoid, tanh};
use burn::tensor::{Device, Tensor};

use crate::config::{Activation, InitScheme, Initialisation, InputShape, Layer, PoolKind};

/// A classifier: the hidden blocks of the stack, then a dense output layer (one logit per class,
/// or a single one for binary cross-entropy).
#[derive(Module, Debug)]
pub struct Classifier {
    blocks: Vec<Block>,
    output: Linear,
}

/// One hidden layer.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Block {
    /// Convolution, optional batch norm, activation.
    Conv(ConvBlock),
    /// Max pooling.
    MaxPool(MaxPool2d),
    /// Average pooling.
    AvgPool(AvgPool2d),
    /// Dense layer, optional batch norm, activation.
    Dense(DenseBlock),
    /// Dropout.
    Dropout(Dropout),
}

/// Convolution → batch norm → activation.
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv2d,
    norm: Option<BatchNorm>,
    #[module(skip)]
    activation: Activation,
}

/// Linear → batch norm → activation.
#[derive(Module, Debug)]
pub struct DenseBlock {
    linear: Linear,
    norm: Option<BatchNorm>,
    #[module(skip)]
    activation: Activation,
}

/// The tensor between blocks: an image batch until the first dense layer flattens it.
enum Hidden {
    Image(Tensor<4>), // [batch, channels, height, width]
    Flat(Tensor<2>),  // [batch, features]
}

impl Hidden {
    fn flat(self) -> Tensor<2> {
        match self {
            Hidden::Image(x) => x.flatten(1, 3), // [batch, channels * height * width]
            Hidden::Flat(x) => x,
        }
    }

    fn image(self) -> Tensor<4> {
        match self {
            Hidden::Image(x) => x,
            // Validation rejects conv/pool after dense, so this is unreachable for checked specs.
            Hidden::Flat(_) => unreachable!("conv or pool after a dense layer"),
        }
    }
}

fn activate<const D: usize>(x: Tensor<D>, activation: Activation) -> Tensor<D> {
    match activation {
        Activation::Relu => relu(x),
        Activation::Gelu => gelu(x),
        Activation::Tanh => tanh(x),
        Activation::Sigmoid => sigmoid(x),
    }
}

/// Burn's initializer for `init`; `None` keeps each module's own default.
fn initializer(init: Initialisation) -> Option<Initializer> {
    Some(match init.scheme {
        InitScheme::Default => return None,
        InitScheme::Xavier => Initializer::XavierUniform { gain: 1.0 },
        InitScheme::He => Initializer::KaimingNormal {
            gain: std::f64::consts::SQRT_2,
            fan_out_only: false,
        },
        InitScheme::Normal => Initializer::Normal {
            mean: 0.0,
            std: init.std,
        },
        InitScheme::Zeros => Initializer::Zeros,
    })
}

impl Classifier {
    /// Builds the model for `input` images and `outputs` output units on `device`, its weights
    /// started as `init` says (drawn from the device's seed).
    ///
    /// The layer stack must have passed [`RunConfig::validate`](crate::config::RunConfig::validate).
    pub fn init(
        layers: &[Layer],
        input: InputShape,
        outputs: usize,
        init: Initialisation,
        device: &Device,
    ) -> Self {
        let initializer = initializer(init);
        let linear = |inputs: usize, units: usize| {
            let config = LinearConfig::new(inputs, units);
            match &initializer {
                Some(i) => config.with_initializer(i.clone()),
                None => config,
            }
            .init(device)
        };
        let mut channels = input.channels;
        let mut side = input.size;
        let mut flat: Option<usize> = None;
        let mut blocks = Vec::with_capacity(layers.len());
        for layer in layers {
            let block = match *layer {
                Layer::Conv {
                    filters,
                    kernel,
                    stride,
                    padding,
                    activation,
                    batch_norm,
                } => {
                    let config = Conv2dConfig::new([channels, filters], [kernel, kernel])
                        .with_stride([stride, stride])
                        .with_padding(PaddingConfig2d::Explicit(
                            padding, padding, padding, padding,
                        ));
                    let conv = match &initializer {
                        Some(i) => config.with_initializer(i.clone()),
                        None => config,
                    }
                    .init(device);
                    side = (side + 2 * padding - kernel) / stride + 1;
                    channels = filters;
                    Block::Conv(ConvBlock {
                        conv,
                        norm: batch_norm.then(|| BatchNormConfig::new(filters).init(device)),
                        activation,
                    })
                }
                Layer::Pool { pool, size } => {
                    side /= size;
                    match pool {
                        PoolKind::Max => Block::MaxPool(MaxPool2dConfig::new([size, size]).init()),
                        PoolKind::Avg => Block::AvgPool(AvgPool2dConfig::new([size, size]).init()),
                    }
                }
                Layer::Dense {
                    units,
                    activation,
                    batch_norm,
                } => {
                    let inputs = flat.unwrap_or(channels * side * side);
                    flat = Some(units);
                    Block::Dense(DenseBlock {
                        linear: linear(inputs, units),
                        norm: batch_norm.then(|| BatchNormConfig::new(units).init(device)),
                        activation,
                    })
                }
                Layer::Dropout { p } => Block::Dropout(DropoutConfig::new(p).init()),
            };
            blocks.push(block);
        }
        let inputs = flat.unwrap_or(channels * side * side);
        Classifier {
            blocks,
            output: linear(inputs, outputs),
        }
    }

    /// The ids of the parameters of the first `layers` layers of the stack, and of the output
    /// layer when `output`.
    pub fn leading_param_ids(&self, layers: usize, output: bool) -> Vec<ParamId> {
        let mut ids: Vec<ParamId> = self
            .blocks
            .iter()
            .take(layers)
            .flat_map(list_param_ids)
            .collect();
        if output {
            ids.extend(list_param_ids(&self.output));
        }
        ids
    }

    /// The model with the first `layers` layers of the stack frozen: they get no gradients,
    /// so every optimizer leaves them as they are (their batch-norm statistics still follow
    /// the data, as in PyTorch with `requires_grad = False`).
    pub fn freeze(self, layers: usize) -> Self {
        let ids = self.leading_param_ids(layers, false);
        if ids.is_empty() {
            return self;
        }
        self.set_require_grad_group(ParamGroup::from_ids(ids), false)
    }

    /// The output layer's logits for a batch of normalised images (see
    /// [`Objective::predict`](crate::objective::Objective::predict) for the classes they name).
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = Hidden::Image(images); // [batch, channels, size, size]
        for block in &self.blocks {
            x = match block {
                Block::Conv(b) => {
                    let mut y = b.conv.forward(x.image());
                    if let Some(norm) = &b.norm {
                        y = norm.forward(y);
                    }
                    Hidden::Image(activate(y, b.activation))
                }
                Block::MaxPool(pool) => Hidden::Image(pool.forward(x.image())),
                Block::AvgPool(pool) => Hidden::Image(pool.forward(x.image())),
                Block::Dense(b) => {
                    let mut y = b.linear.forward(x.flat()); // [batch, units]
                    if let Some(norm) = &b.norm {
                        y = norm.forward(y);
                    }
                    Hidden::Flat(activate(y, b.activation))
                }
                Block::Dropout(dropout) => match x {
                    Hidden::Image(t) => Hidden::Image(dropout.forward(t)),
                    Hidden::Flat(t) => Hidden::Flat(dropout.forward(t)),
                },
            };
        }
        self.output.forward(x.flat()) // [batch, outputs]
    }
}
