//! The link form: round trips, and a message naming the key for every bad value.
// Tests tweak one field of the default config at a time; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

mod common;

use common::config;
use proptest::prelude::*;
use tradeoff_core::config::{Activation, Layer, PoolKind, RunConfig};
use tradeoff_core::url::{MAX_HASH_LEN, from_hash, to_hash};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    #[test]
    fn config_to_link_to_config_is_the_identity(config in config()) {
        let hash = to_hash(&config);
        let parsed = from_hash(&hash).map_err(|e| TestCaseError::fail(format!("{hash}: {e:?}")))?;
        prop_assert_eq!(&parsed.config, &config, "{}", hash);
        prop_assert!(parsed.ignored_keys.is_empty());
        // And the link of the parsed config is the same text.
        prop_assert_eq!(to_hash(&parsed.config), hash);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = from_hash(&text);
    }
}

#[test]
fn the_default_link_reads_as_documented() {
    let hash = to_hash(&RunConfig::default());
    assert_eq!(
        hash,
        "v=1&ds=mnist&in=28x1&layers=c8k3-p2-c16k3-p2-d64&opt=adam&lr=1e-3&bs=64&ep=2&seed=7"
    );
    // The short form from the docs, typed by hand, gives the default config.
    let typed =
        from_hash("#v=1&ds=mnist&layers=c8k3-p2-c16k3-p2-d64&bs=64&lr=1e-3&opt=adam&ep=2&seed=7")
            .unwrap();
    assert_eq!(typed.config, RunConfig::default());
}

#[test]
fn every_layer_form_is_understood() {
    let parsed =
        from_hash("v=1&layers=c32k3s2p1.bn.gelu-a2-p2-d64.tanh-drop0.25-d10.bn.sigmoid").unwrap();
    assert_eq!(
        parsed.config.layers,
        vec![
            Layer::Conv {
                filters: 32,
                kernel: 3,
                stride: 2,
                padding: 1,
                activation: Activation::Gelu,
                batch_norm: true
            },
            Layer::Pool {
                pool: PoolKind::Avg,
                size: 2
            },
            Layer::Pool {
                pool: PoolKind::Max,
                size: 2
            },
            Layer::Dense {
                units: 64,
                activation: Activation::Tanh,
                batch_norm: false
            },
            Layer::Dropout { p: 0.25 },
            Layer::Dense {
                units: 10,
                activation: Activation::Sigmoid,
                batch_norm: true
            },
        ]
    );
}

#[test]
fn unknown_keys_are_ignored_and_reported() {
    let parsed = from_hash("v=1&foo=1&bs=32&utm_source=mail&bar").unwrap();
    assert_eq!(parsed.config.batch_size, 32);
    assert_eq!(parsed.ignored_keys, vec!["foo", "utm_source", "bar"]);
}

#[test]
fn bad_links_name_the_key_and_what_is_accepted() {
    let huge = format!("v=1&bs={}", "9".repeat(MAX_HASH_LEN));
    let many_layers = format!("v=1&layers={}", vec!["d8"; 100].join("-"));
    let cases: &[(&str, &str, &str)] = &[
        ("v=2", "v", "this page reads version 1"),
        ("bs=64", "v", "no format version"),
        ("v=1&bs=0", "bs", "batch size: must be 1 to 1024"),
        (
            "v=1&bs=5000",
            "bs",
            "'5000' is not a whole number from 0 to 1024",
        ),
        ("v=1&bs=-3", "bs", "'-3' is not a whole number"),
        ("v=1&ep=0", "ep", "epochs: must be 1 to 100"),
        ("v=1&lr=abc", "lr", "'abc' is not a number"),
        ("v=1&lr=NaN", "lr", "'NaN' is not a number"),
        ("v=1&lr=inf", "lr", "'inf' is not a number"),
        (
            "v=1&lr=0",
            "lr",
            "learning rate: must be above 0 and at most 100",
        ),
        ("v=1&lr=1e300", "lr", "at most 100"),
        (
            "v=1&opt=lion",
            "opt",
            "'lion' is not an optimizer (sgd, momentum, nesterov, rmsprop, adam, adamw)",
        ),
        (
            "v=1&layers=c8k3-q7",
            "layers",
            "layer 2: 'q7' is not a layer",
        ),
        (
            "v=1&layers=c8k30",
            "layers",
            "layer 1: a conv kernel is 1 to 11 pixels",
        ),
        (
            "v=1&layers=c0k3",
            "layers",
            "layer 1: a conv has 1 to 1024 filters",
        ),
        (
            "v=1&layers=p2-p2-p2-p2-p2",
            "layers",
            "layer 5: the image is 1×1 here, a 2×2 pool cannot follow",
        ),
        (
            "v=1&layers=d64-c8k3",
            "layers",
            "layer 2: a dense layer before this one flattened the image",
        ),
        ("v=1&layers=c8k3.fancy", "layers", "unknown suffix '.fancy'"),
        (
            "v=1&layers=c99999999999999999999999k3",
            "layers",
            "too large",
        ),
        ("v=1&layers=drop2", "layers", "dropout p must be 0 to 0.9"),
        (
            "v=1&ds=cifar",
            "ds",
            "'cifar' is not a dataset here (built-in: mnist, fashion-mnist, emoji; or local)",
        ),
        ("v=1&in=28", "in", "SIZExCHANNELS"),
        (
            "v=1&in=28x2",
            "in",
            "input channels: must be 1 (grey) or 3 (RGB)",
        ),
        (
            "v=1&in=999x1",
            "in",
            "'999' is not a whole number from 0 to 128",
        ),
        (
            "v=1&be=tpu",
            "be",
            "'tpu' is not a backend (auto, webgpu, cpu)",
        ),
        (
            "v=1&sched=step:0:0.5",
            "sched",
            "drops every 1 to 100 epochs",
        ),
        ("v=1&sched=linear", "sched", "not a schedule"),
        (
            "v=1&aug=flip,shift20",
            "aug",
            "'20' is not a whole number from 0 to 8",
        ),
        ("v=1&aug=blur", "aug", "'blur' is not an augmentation"),
        (
            "v=1&val=0.9",
            "val",
            "validation fraction: must be 0.05 to 0.5",
        ),
        ("v=1&wd=-1", "wd", "weight decay: must be 0 to 1"),
        ("v=1&pat=1000", "pat", "from 0 to 100"),
        ("v=1&seed=-1", "seed", "not a whole number"),
        (&huge, "link", "over the limit of 4096"),
        (&many_layers, "layers", "more than 24 layers"),
        (
            "v=1&layers=d1024-d1024-d1024-d1024-d1024-d1024",
            "layers",
            "parameters is over the limit of 5000000",
        ),
        (
            "v=1&in=128x3&bs=1024&layers=c512k3p1-c512k3p1-p8",
            "layers",
            "over the limit of 1024 MB",
        ),
    ];
    for (link, key, message) in cases {
        let errors = from_hash(link).expect_err(link);
        assert!(
            errors
                .iter()
                .any(|e| e.key == *key && e.message.to_string().contains(message)),
            "{link}: expected {key}: …{message}…, got {errors:?}"
        );
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let errors = from_hash("v=1&bs=0&lr=-1&opt=x&be=y").unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    for key in ["opt", "be"] {
        assert!(keys.contains(&key), "{keys:?}");
    }
    // Range problems are reported once the syntax is sound, in the order links write them.
    let errors = from_hash("v=1&bs=0&lr=0&ep=0").unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, vec!["lr", "bs", "ep"]);
}

/// Inputs the fuzzer (`scripts/fuzz link`) reached that exercise edge paths, kept as checks.
#[test]
fn cases_from_the_fuzz_corpus_get_a_message_naming_the_setting() {
    let cases: [(&str, &str, &str); 5] = [
        // A pool window with a number beyond any integer type.
        (
            "v=1&layers=p0005381583360672517686&opt=adam",
            "layers",
            "too large",
        ),
        // Two links glued together: the same key twice is refused, not silently overridden.
        (
            "#v=1&ds=mnist&in=28x1&layers=d32&layers=c8k3",
            "layers",
            "given twice",
        ),
        // A control character in a number.
        ("#v=1&seed=x\u{c}", "seed", "not a whole number"),
        // A suffix repeated with garbage between layers.
        (
            "#v=1&layers=c8k32s64.s64.d2",
            "layers",
            "unknown suffix '.s64'",
        ),
        // An input too small for any layer.
        ("#v=1&in=1x1&layers=d3", "in", "4 to 128 pixels"),
    ];
    for (link, key, says) in cases {
        let errors = from_hash(link).expect_err(link);
        assert!(
            errors
                .iter()
                .any(|e| e.key == key && e.message.to_string().contains(says)),
            "{link}: {errors:?}"
        );
    }
    // NUL bytes in a key are only an unknown key: the rest of the link still applies.
    let parsed = from_hash("#v=1&\u{0}\u{0}=1&bs=8").unwrap();
    assert_eq!(parsed.ignored_keys, vec!["\u{0}\u{0}"]);
    assert_eq!(parsed.config.batch_size, 8);
}
