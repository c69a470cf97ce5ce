//! Transfer learning: a run that starts from the weights of a trained model.
//!
//! The start is a model file Tradeoff wrote ([`crate::weights::safetensors`]): a finished
//! run's, one the user exported, or one of the [`PRETRAINED`] starts the page ships. Its
//! header says which stack it was trained with; the new run takes the weights of the leading
//! layers that match its own stack (same kind, same shape of weights), and of the output layer
//! too when every hidden layer matched and the classes are the same. Everything after the first
//! mismatch starts fresh. The file is read with the `safetensors` crate and loaded into the
//! model by a module mapper that puts each tensor at the parameter of the same path.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
#[cfg(feature = "engine")]
use {
    crate::model::Classifier,
    burn::module::{Module, ModuleMapper, Param},
    burn::tensor::{Device, Tensor, TensorData},
};

use crate::config::{InputShape, Layer, RunConfig};
use crate::data::Normalisation;
use crate::i18n::Message;
use crate::msg;
use crate::weights::FORMAT;

/// A pretrained start the page ships in `static/pretrained/`, trained by the command-line
/// runner (`scripts/pretrain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pretrained {
    /// Its id in links (`start=pre:<id>`) and its file name (`<id>.safetensors`).
    pub id: &'static str,
    /// What it is, for the start list (a translation key).
    pub title: &'static str,
    /// The link it was trained with: its stack is what a new run's first layers must match.
    pub link: &'static str,
}

/// The pretrained starts, each trained on a built-in set by `scripts/pretrain`.
pub const PRETRAINED: &[Pretrained] = &[
    Pretrained {
        id: "mnist-cnn",
        title: crate::i18n::key("Reference CNN trained on MNIST digits"),
        link: "v=1&ds=mnist&layers=c8k3-p2-c16k3-p2-d64&lr=3e-3&ep=3",
    },
    Pretrained {
        id: "fashion-cnn",
        title: crate::i18n::key("Reference CNN trained on Fashion-MNIST clothes"),
        link: "v=1&ds=fashion-mnist&layers=c8k3-p2-c16k3-p2-d64&lr=3e-3&ep=5",
    },
    Pretrained {
        id: "emoji-cnn",
        title: crate::i18n::key("Colour CNN trained on the emoji set (32×32)"),
        link: "v=1&ds=emoji&in=32x3&layers=c16k3p1-p2-c32k3p1-p2-c32k3p1-p2-d32&lr=3e-3&ep=15",
    },
];

impl Pretrained {
    /// The pretrained start `id`.
    pub fn find(id: &str) -> Option<&'static Pretrained> {
        PRETRAINED.iter().find(|p| p.id == id)
    }

    /// Where the page fetches it from, relative to the page.
    pub fn path(&self) -> String {
        format!("pretrained/{}.safetensors", self.id)
    }

    /// The config it was trained with.
    pub fn config(&self) -> RunConfig {
        crate::url::from_hash(self.link)
            .expect("the pretrained links are valid")
            .config
    }
}

/// A model file to start from: its header read, its bytes kept for loading.
#[derive(Clone, Debug, PartialEq)]
pub struct StartModel {
    /// The config it was trained with (from the file's metadata).
    pub config: RunConfig,
    /// Its class names, in output order.
    pub classes: Vec<String>,
    /// The pixel statistics its inputs were normalised with (files written before they were
    /// saved have none).
    pub norm: Option<Normalisation>,
    /// Every tensor's path and shape.
    tensors: HashMap<String, Vec<usize>>,
    bytes: Vec<u8>,
}

impl StartModel {
    /// Reads a model file's header; says why a file cannot be a start.
    pub fn read(bytes: Vec<u8>) -> Result<Self, Message> {
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| {
            msg!(
                "the file is not a safetensors model file ({reason})",
                reason = e.to_string()
            )
        })?;
        let metadata = header.metadata().clone().unwrap_or_default();
        if metadata.get("format").map(String::as_str) != Some(FORMAT) {
            return Err(msg!(
                "the file is a safetensors file, but not one Tradeoff saved (its metadata has no format “{FORMAT}”)",
                FORMAT = FORMAT
            ));
        }
        let config: RunConfig = metadata
            .get("config")
            .and_then(|c| serde_json::from_str(c).ok())
            .ok_or_else(|| msg!("the model file's metadata has no readable config"))?;
        let classes = metadata
            .get("classes")
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default();
        let floats =
            |key: &str| -> Option<Vec<f32>> { serde_json::from_str(metadata.get(key)?).ok() };
        let norm = match (floats("mean"), floats("std")) {
            (Some(mean), Some(std))
                if mean.len() == config.input.channels && std.len() == mean.len() =>
            {
                Some(Normalisation { mean, std })
            }
            _ => None,
        };
        let tensors = header
            .tensors()
            .into_iter()
            .map(|(name, info)| (name, info.shape.clone()))
            .collect();
        Ok(Self {
            config,
            classes,
            norm,
            tensors,
            bytes,
        })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Which of `config`'s layers would start from this model's weights, on a dataset with
    /// `classes`.
    pub fn plan(&self, config: &RunConfig, classes: &[String]) -> TransferPlan {
        let ours = weight_inputs(&config.layers, config.input);
        let theirs = weight_inputs(&self.config.layers, self.config.input);
        let layers = config
            .layers
            .iter()
            .zip(&self.config.layers)
            .zip(ours.iter().zip(&theirs))
            .take_while(|((a, b), (x, y))| same_weights(a, b) && x == y)
            .count();
        let stack_matches =
            layers == config.layers.len() && layers == self.config.layers.len() && ours == theirs;
        let head = stack_matches
            && config.loss.outputs(classes.len()) == self.config.loss.outputs(self.classes.len())
            && classes == self.classes.as_slice();
        TransferPlan {
            layers,
            of: config.layers.len(),
            head,
        }
    }

    /// The whole trained model this file holds, in evaluation mode on `device` (a teacher to
    /// distil from, a member of an ensemble). Says why when the file does not fit its own
    /// config.
    #[cfg(feature = "engine")]
    pub fn model(&self, device: &Device) -> Result<Classifier, Message> {
        let c = &self.config;
        let outputs = c.loss.outputs(self.classes.len());
        // Every weight is loaded, so none is drawn (a draw would move Burn's random stream).
        let zeros = crate::config::Initialisation {
            scheme: crate::config::InitScheme::Zeros,
            ..c.init
        };
        let model = Classifier::init(&c.layers, c.input, outputs, zeros, device);
        let everything = TransferPlan {
            layers: c.layers.len(),
            of: c.layers.len(),
            head: true,
        };
        Ok(self.load_into(model, &everything)?.valid())
    }

    /// `model` with the weights the plan names taken from this file.
    #[cfg(feature = "engine")]
    pub fn load_into(
        &self,
        mut model: Classifier,
        plan: &TransferPlan,
    ) -> Result<Classifier, Message> {
        let paths: Vec<String> = self
            .tensors
            .keys()
            .filter(|path| plan.takes(path))
            .cloned()
            .collect();
        if paths.is_empty() {
            return Ok(model);
        }
        let file = safetensors::SafeTensors::deserialize(&self.bytes)
            .map_err(|e| msg!("the model file could not be loaded: {e}", e = e.to_string()))?;
        let mut loader = Loader {
            file: &file,
            wanted: &paths,
            path: Vec::new(),
            applied: 0,
            refused: None,
        };
        model = model.map(&mut loader);
        if let Some(why) = loader.refused {
            return Err(why);
        }
        if loader.applied != paths.len() {
            return Err(msg!(
                "the model file's weights do not fit this model ({n} of {m} tensors loaded)",
                n = loader.applied,
                m = paths.len()
            ));
        }
        Ok(model)
    }
}

/// Puts a model file's tensors into the model's parameters (and batch-norm statistics) of the
/// same path — the paths [`crate::weights::safetensors`] writes — keeping each parameter's id,
/// device and whether it takes gradients.
#[cfg(feature = "engine")]
struct Loader<'a> {
    file: &'a safetensors::SafeTensors<'a>,
    /// The paths to load.
    wanted: &'a [String],
    path: Vec<String>,
    applied: usize,
    /// Why a tensor could not be loaded, if one could not.
    refused: Option<Message>,
}

#[cfg(feature = "engine")]
impl ModuleMapper for Loader<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let path = self.path.join(".");
        if self.refused.is_some() || !self.wanted.contains(&path) {
            return param;
        }
        // The lazy shape and device: reading the value would first initialise it, drawing from
        // Burn's random stream (and so changing every later layer's starting weights).
        let shape = param.lazy_shape().dims::<D>().to_vec();
        let values = match self.file.tensor(&path) {
            Ok(view) if view.dtype() == safetensors::Dtype::F32 && view.shape() == shape => view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect::<Vec<f32>>(),
            Ok(view) => {
                self.refused = Some(msg!(
                    "the model file's {path} is {theirs} where this model has {ours}",
                    path = path,
                    theirs = format!("{:?}", view.shape()),
                    ours = format!("{shape:?}")
                ));
                return param;
            }
            Err(e) => {
                self.refused = Some(msg!(
                    "the model file could not be loaded: {e}",
                    e = e.to_string()
                ));
                return param;
            }
        };
        self.applied += 1;
        let device = param.lazy_device();
        let id = param.id;
        param.transform_for_load(
            Tensor::from_data(TensorData::new(values, shape), &device),
            id,
        )
    }
}

/// Which layers of a new run start from the trained model's weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferPlan {
    /// The first this many layers of the stack.
    pub layers: usize,
    /// Layers in the stack.
    pub of: usize,
    /// Whether the output layer does too (same stack, same classes).
    pub head: bool,
}

impl TransferPlan {
    /// Whether the tensor at `path` (`blocks.2.Conv.conv.weight`, `output.bias`) is taken.
    #[cfg(feature = "engine")]
    fn takes(&self, path: &str) -> bool {
        let mut parts = path.split('.');
        match (parts.next(), parts.next()) {
            (Some("blocks"), Some(i)) => i.parse::<usize>().is_ok_and(|i| i < self.layers),
            (Some("output"), _) => self.head,
            _ => false,
        }
    }

    /// What starts trained, in words: “the first 3 of 5 layers start from it; the output layer
    /// starts fresh”.
    pub fn describe(&self) -> Message {
        let head = if self.head {
            msg!("the output layer too (same classes)")
        } else {
            msg!("the output layer starts fresh")
        };
        if self.layers == 0 {
            msg!(
                "no layer matches its first layer, so nothing is transferred: the run starts from scratch"
            )
        } else {
            msg!(
                "the first {layers} of {of} layers start from it; {head}",
                layers = self.layers,
                of = self.of,
                head = head
            )
        }
    }
}

/// Whether two layers hold weights of the same kind and shape (activation and dropout rate may
/// differ: they have no weights).
fn same_weights(a: &Layer, b: &Layer) -> bool {
    match (a, b) {
        (
            Layer::Conv {
                filters: f1,
                kernel: k1,
                stride: s1,
                padding: p1,
                batch_norm: n1,
                ..
            },
            Layer::Conv {
                filters: f2,
                kernel: k2,
                stride: s2,
                padding: p2,
                batch_norm: n2,
                ..
            },
        ) => (f1, k1, s1, p1, n1) == (f2, k2, s2, p2, n2),
        (
            Layer::Dense {
                units: u1,
                batch_norm: n1,
                ..
            },
            Layer::Dense {
                units: u2,
                batch_norm: n2,
                ..
            },
        ) => (u1, n1) == (u2, n2),
        (Layer::Pool { .. }, Layer::Pool { .. }) => a == b,
        (Layer::Dropout { .. }, Layer::Dropout { .. }) => true,
        _ => false,
    }
}

/// For each layer, the size of the input its weights see: a conv's input channels, a dense
/// layer's input features (which depend on the image size), 0 for layers without weights; and
/// last, the output layer's input features.
fn weight_inputs(layers: &[Layer], input: InputShape) -> Vec<usize> {
    let (mut channels, mut side, mut flat) = (input.channels, input.size, None::<usize>);
    let mut inputs: Vec<usize> = layers
        .iter()
        .map(|layer| match *layer {
            Layer::Conv {
                filters,
                kernel,
                stride,
                padding,
                ..
            } => {
                let seen = channels;
                side = (side + 2 * padding).saturating_sub(kernel) / stride.max(1) + 1;
                channels = filters;
                seen
            }
            Layer::Pool { size, .. } => {
                side /= size.max(1);
                0
            }
            Layer::Dense { units, .. } => {
                let seen = flat.unwrap_or(channels * side * side);
                flat = Some(units);
                seen
            }
            Layer::Dropout { .. } => 0,
        })
        .collect();
    inputs.push(flat.unwrap_or(channels * side * side));
    inputs
}
