//! Transfer learning: a run starts from a trained model's weights where its leading layers
//! match, can freeze the first layers or train the transferred ones more slowly, and the
//! pretrained starts the page ships are what their links say.
// Tests tweak one field of the default config at a time; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

mod common;

use tradeoff_core::backend::{CPU_BACKEND_NAME, cpu_device};
use tradeoff_core::config::{Layer, RunConfig, StartFrom};
use tradeoff_core::data::Dataset;
use tradeoff_core::record::{RunRecord, TransferInfo};
use tradeoff_core::setting::Setting;
use tradeoff_core::train::{TrainedModel, Trainer};
use tradeoff_core::transfer::{PRETRAINED, StartModel, TransferPlan};
use tradeoff_core::url::{from_hash, to_hash};
use tradeoff_core::weights::safetensors;

fn mnist() -> Dataset {
    common::mnist_slice(3000, 500)
}

fn fashion() -> Dataset {
    let mut d = common::builtin("fashion-mnist.tds");
    for (set, n) in [(&mut d.train, 1500), (&mut d.test, 500)] {
        let len = set.image_len();
        set.pixels.truncate(n * len);
        set.labels.truncate(n);
    }
    d
}

/// The reference CNN trained on MNIST for two epochs, as a model file.
fn mnist_model_file() -> (TrainedModel, Vec<u8>) {
    let mut config = RunConfig::default();
    config.optimizer.learning_rate = 3e-3;
    let trained = common::train_model(config, &mnist());
    let file = pollster::block_on(safetensors(&trained)).unwrap();
    (trained, file)
}

/// Trains `config` on `data` starting from `file`, keeping the model.
fn train_from(config: RunConfig, data: &Dataset, file: &[u8]) -> TrainedModel {
    let _one = common::ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let start = StartModel::read(file.to_vec()).expect("a Tradeoff model file");
    let mut trainer = Trainer::new(config, data, cpu_device(), CPU_BACKEND_NAME)
        .expect("run starts")
        .with_start(&start)
        .expect("the start loads");
    pollster::block_on(trainer.run_to_end());
    trainer.into_trained().expect("the run finished")
}

/// One tensor of a model file.
fn tensor(file: &[u8], name: &str) -> Vec<f32> {
    let tensors = safetensors::SafeTensors::deserialize(file).unwrap();
    let view = tensors.tensor(name).unwrap_or_else(|_| panic!("{name}"));
    view.data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// Mean absolute change of tensor `name` between two model files.
fn moved(a: &[u8], b: &[u8], name: &str) -> f64 {
    let (x, y) = (tensor(a, name), tensor(b, name));
    x.iter()
        .zip(&y)
        .map(|(p, q)| (p - q).abs() as f64)
        .sum::<f64>()
        / x.len() as f64
}

fn from_file(name: &str) -> RunConfig {
    let mut config = RunConfig::default();
    config.transfer.from = StartFrom::file(name);
    config
}

#[test]
fn a_run_started_from_its_own_trained_model_begins_where_that_one_ended() {
    let (trained, file) = mnist_model_file();
    let mut config = from_file("mnist.safetensors");
    config.epochs = 1;
    config.seed = 99;
    let again = train_from(config.clone(), &mnist(), &file);
    let record = &again.record;
    assert_eq!(
        record.transfer,
        Some(TransferInfo {
            plan: TransferPlan {
                layers: 5,
                of: 5,
                head: true
            },
            parent_key: None
        })
    );
    // The run's facts (its details in the page, the runner's summary) say what it started from.
    let facts = record.facts(tradeoff_core::i18n::Lang::En);
    assert!(
        facts.contains(
            &"Started from file mnist.safetensors: the first 5 of 5 layers start from it; the output layer too (same classes)".to_string()
        ),
        "{facts:?}"
    );
    let scratch = common::train(config, &mnist());
    let first = |r: &RunRecord| r.steps[0].loss;
    eprintln!(
        "first step loss: from the trained model {:.3}, from scratch {:.3}",
        first(record),
        first(&scratch)
    );
    // Same stack, same classes: every weight, the output layer's too, starts trained, so the
    // first step is already about as good as the trained model's end (ln 10 ≈ 2.3 at chance).
    assert!(first(record) < 0.5, "{}", first(record));
    assert!(first(&scratch) > 2.0, "{}", first(&scratch));
    let accuracy = |r: &RunRecord| r.summary.as_ref().unwrap().test_accuracy;
    assert!(accuracy(record) >= accuracy(&trained.record) - 0.03);
}

#[test]
fn on_another_dataset_the_matching_layers_transfer_and_frozen_ones_stay_as_they_were() {
    let (_, file) = mnist_model_file();
    let mut config = from_file("mnist.safetensors");
    config.dataset = "fashion-mnist".into();
    config.epochs = 1;
    config.transfer.freeze = 3;
    let tuned = train_from(config, &fashion(), &file);
    // Fashion-MNIST's classes are not MNIST's: the stack transfers, the output layer is new.
    let info = tuned.record.transfer.clone().unwrap();
    assert_eq!(
        (info.plan.layers, info.plan.of, info.plan.head),
        (5, 5, false)
    );
    let after = pollster::block_on(safetensors(&tuned)).unwrap();
    for frozen in ["blocks.0.Conv.conv.weight", "blocks.2.Conv.conv.weight"] {
        assert_eq!(
            tensor(&file, frozen),
            tensor(&after, frozen),
            "{frozen} changed although frozen"
        );
    }
    // The dense layer after them was trained.
    assert!(moved(&file, &after, "blocks.4.Dense.linear.weight") > 1e-4);
    let accuracy = tuned.record.summary.unwrap().test_accuracy;
    eprintln!("fashion, 1 epoch from MNIST's convolutions (frozen): {accuracy:.3}");
    assert!(accuracy > 0.5, "{accuracy}");
}

#[test]
fn a_smaller_rate_moves_the_transferred_layers_less_and_the_new_head_as_much() {
    let (_, file) = mnist_model_file();
    let run = |rate: f64| {
        let mut config = from_file("mnist.safetensors");
        config.dataset = "fashion-mnist".into();
        config.epochs = 1;
        config.transfer.rate = rate;
        let model = train_from(config, &fashion(), &file);
        pollster::block_on(safetensors(&model)).unwrap()
    };
    let (slow, full) = (run(0.01), run(1.0));
    let conv = "blocks.0.Conv.conv.weight";
    let (slow_moved, full_moved) = (moved(&file, &slow, conv), moved(&file, &full, conv));
    eprintln!("first conv moved {slow_moved:.5} at rate 0.01, {full_moved:.5} at rate 1");
    assert!(
        slow_moved * 5.0 < full_moved,
        "{slow_moved} vs {full_moved}"
    );
    // The output layer is new in both and learns at the full rate in both.
    let head = |f: &[u8]| {
        tensor(f, "output.weight")
            .iter()
            .map(|w| w.abs())
            .sum::<f32>()
    };
    let (a, b) = (head(&slow), head(&full));
    assert!((a - b).abs() < 0.5 * a.max(b), "{a} vs {b}");
}

#[test]
fn only_the_leading_layers_that_match_transfer() {
    // A model file of the reference CNN on MNIST (one short epoch: only its header matters).
    let mut theirs = RunConfig::default();
    theirs.epochs = 1;
    let model = common::train_model(theirs, &common::mnist_slice(64, 16));
    let start = StartModel::read(pollster::block_on(safetensors(&model)).unwrap()).unwrap();
    let plan = |ours: &str| {
        let ours = from_hash(ours).unwrap().config;
        let plan = start.plan(&ours, &start.classes);
        (plan.layers, plan.of, plan.head)
    };
    // The same stack on the same classes: everything, the output layer too.
    assert_eq!(
        plan("v=1&ds=mnist&layers=c8k3-p2-c16k3-p2-d64"),
        (5, 5, true)
    );
    // Another activation has the same weights.
    assert_eq!(
        plan("v=1&ds=mnist&layers=c8k3.tanh-p2-c16k3-p2-d64"),
        (5, 5, true)
    );
    // A wider dense layer: the convolutions and pools transfer, the rest is fresh.
    assert_eq!(
        plan("v=1&ds=mnist&layers=c8k3-p2-c16k3-p2-d128"),
        (4, 5, false)
    );
    // One layer more: the five transfer, the new one and the output layer start fresh.
    assert_eq!(
        plan("v=1&ds=mnist&layers=c8k3-p2-c16k3-p2-d64-d32"),
        (5, 6, false)
    );
    // A 32×32 grey input: the convolutions fit any image size; the dense layer's inputs do not.
    assert_eq!(
        plan("v=1&ds=local&in=32x1&layers=c8k3-p2-c16k3-p2-d64"),
        (4, 5, false)
    );
    // Colour images: the first convolution sees 3 channels, not 1, so nothing transfers.
    assert_eq!(
        plan("v=1&ds=local&in=28x3&layers=c8k3-p2-c16k3-p2-d64"),
        (0, 5, false)
    );
    // A first layer of another width stops the match at once.
    assert_eq!(
        plan("v=1&ds=mnist&layers=c16k3-p2-c16k3-p2-d64"),
        (0, 5, false)
    );
}

#[test]
fn files_that_cannot_be_a_start_are_refused_with_the_reason() {
    let why = StartModel::read(b"not a model at all".to_vec()).unwrap_err();
    assert!(why.to_string().contains("not a safetensors"), "{why}");
    // A valid safetensors file another program wrote: no Tradeoff metadata.
    let header = br#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend(header);
    file.extend(1.0f32.to_le_bytes());
    let why = StartModel::read(file).unwrap_err();
    assert!(why.to_string().contains("not one Tradeoff saved"), "{why}");
}

#[test]
fn the_start_settings_travel_in_links_and_are_checked() {
    let link = "v=1&ds=local&in=28x1&layers=c8k3-p2-c16k3-p2-d64&lr=1e-3&start=pre:mnist-cnn&freeze=2&tlr=0.1";
    let config = from_hash(link).unwrap().config;
    assert_eq!(
        config.transfer.from,
        StartFrom::Pretrained("mnist-cnn".into())
    );
    assert_eq!((config.transfer.freeze, config.transfer.rate), (2, 0.1));
    let again = from_hash(&to_hash(&config)).unwrap().config;
    assert_eq!(again, config);
    // A run's and a file's start, written and read back.
    for from in [
        StartFrom::Run(12),
        StartFrom::file("my model (1).safetensors"),
    ] {
        let mut c = config.clone();
        c.transfer.from = from.clone();
        assert_eq!(from_hash(&to_hash(&c)).unwrap().config.transfer.from, from);
    }
    assert_eq!(
        StartFrom::file("my model (1).safetensors"),
        StartFrom::File("my-model--1-.safetensors".into())
    );
    // The default writes none of them.
    assert!(!to_hash(&RunConfig::default()).contains("start="));
    let errors = from_hash("v=1&ds=mnist&start=somewhere").unwrap_err();
    let text = format!("{errors:?}");
    assert!(text.contains("is not a start"), "{text}");
    // Freezing more layers than the stack has is refused, naming the setting.
    let mut c = RunConfig::default();
    c.transfer.freeze = 6;
    let errors = c.validate(10).unwrap_err();
    assert!(errors.iter().any(|e| e.setting == Setting::Freeze));
    let mut c = RunConfig::default();
    c.transfer.rate = 0.0;
    let errors = c.validate(10).unwrap_err();
    assert!(errors.iter().any(|e| e.setting == Setting::TransferRate));
}

#[test]
fn the_pretrained_starts_are_small_files_trained_as_their_links_say() {
    for p in PRETRAINED {
        let path = format!("{}/../static/{}", env!("CARGO_MANIFEST_DIR"), p.path());
        let bytes =
            std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run scripts/pretrain)"));
        assert!(bytes.len() <= 200_000, "{path}: {} bytes", bytes.len());
        let start = StartModel::read(bytes).unwrap();
        let link = p.config();
        assert_eq!(
            (
                &start.config.dataset,
                &start.config.layers,
                start.config.input
            ),
            (&link.dataset, &link.layers, link.input),
            "{}",
            p.id
        );
        // A run of the same stack on the same data takes every layer and the output layer.
        let plan = start.plan(&link, &start.classes);
        assert_eq!(
            (plan.layers, plan.head),
            (link.layers.len(), true),
            "{}",
            p.id
        );
        assert!(
            matches!(link.layers.first(), Some(Layer::Conv { .. })),
            "{}",
            p.id
        );
    }
}
