//! A trained model as a file: its weights in the safetensors format, with the run's link,
//! config, class names and input normalisation in the file's metadata, so it can be used
//! without the page. Burn's `burn-store` loads it back into the same model
//! (`core/tests/weights.rs`), and Python's `safetensors` with NumPy runs it to the same
//! predictions (`tests/python/read_model.py`).

#[cfg(feature = "engine")]
use {
    crate::backend::cpu_device,
    crate::compress::copy_to,
    crate::config::LossKind,
    crate::i18n::Message,
    crate::train::TrainedModel,
    crate::url,
    burn::module::{Module, ModuleVisitor, Param},
    burn::tensor::Tensor,
    std::collections::BTreeMap,
};

/// The `format` entry of a model file's metadata.
pub const FORMAT: &str = "tradeoff-model";

/// Every float tensor of a module with its path, e.g. `blocks.0.Conv.conv.weight`.
#[derive(Default)]
#[cfg(feature = "engine")]
struct Tensors {
    path: Vec<String>,
    found: Vec<(String, Vec<usize>, Vec<f32>)>,
}

#[cfg(feature = "engine")]
impl ModuleVisitor for Tensors {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let data = param.val().into_data();
        let shape = data.shape().to_vec();
        let values = data.iter::<f32>().collect();
        self.found.push((self.path.join("."), shape, values));
    }
}

/// The model of `trained` as a safetensors file.
#[cfg(feature = "engine")]
pub async fn safetensors(trained: &TrainedModel) -> Result<Vec<u8>, Message> {
    // Reads are synchronous on the CPU backend; a GPU model is copied there first.
    let model = copy_to(&trained.model, &cpu_device()).await?;
    let mut tensors = Tensors::default();
    model.visit(&mut tensors);

    let config = &trained.record.config;
    let mut metadata = BTreeMap::new();
    metadata.insert("format", FORMAT.to_string());
    metadata.insert("link", format!("#{}", url::to_hash(config)));
    metadata.insert(
        "config",
        serde_json::to_string(config).map_err(|e| e.to_string())?,
    );
    let classes = trained
        .record
        .summary
        .as_ref()
        .map(|s| s.class_names.clone())
        .unwrap_or_default();
    metadata.insert(
        "classes",
        serde_json::to_string(&classes).map_err(|e| e.to_string())?,
    );
    metadata.insert(
        "input",
        format!(
            "{}x{}x{} (channels first), pixels scaled to 0..1 then (x - mean) / std",
            config.input.channels, config.input.size, config.input.size
        ),
    );
    metadata.insert(
        "layout",
        "Burn's: dense weights are [inputs, outputs] (PyTorch's nn.Linear is [outputs, inputs]: transpose), conv weights [filters, channels, k, k] as in PyTorch; batch norm at inference is (x - running_mean) / sqrt(running_var + 1e-5) * gamma + beta; the path names the layer (blocks.N.Kind...)".to_string(),
    );
    metadata.insert(
        "output",
        match config.loss {
            LossKind::BinaryCrossEntropy => "one logit: sigmoid(logit) is the probability of the second class (logit > 0 names it)",
            LossKind::CrossEntropy | LossKind::MeanSquaredError => "one logit per class: softmax gives the probabilities, the largest names the class",
        }
        .to_string(),
    );
    metadata.insert("mean", format!("{:?}", trained.norm.mean));
    metadata.insert("std", format!("{:?}", trained.norm.std));

    let mut header = serde_json::Map::new();
    header.insert(
        "__metadata__".into(),
        serde_json::to_value(&metadata).map_err(|e| e.to_string())?,
    );
    let mut offset = 0usize;
    for (name, shape, values) in &tensors.found {
        let end = offset + values.len() * 4;
        header.insert(
            name.clone(),
            serde_json::json!({ "dtype": "F32", "shape": shape, "data_offsets": [offset, end] }),
        );
        offset = end;
    }
    let mut header = serde_json::to_string(&header).map_err(|e| e.to_string())?;
    // The tensor data starts 8-byte aligned, as the format recommends.
    while (8 + header.len()) % 8 != 0 {
        header.push(' ');
    }
    let mut file = Vec::with_capacity(8 + header.len() + offset);
    file.extend((header.len() as u64).to_le_bytes());
    file.extend(header.as_bytes());
    for (_, _, values) in &tensors.found {
        for v in values {
            file.extend(v.to_le_bytes());
        }
    }
    Ok(file)
}
