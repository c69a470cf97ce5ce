//! The dataset format, splits, normalisation and augmentation.
// Tests tweak one field of the default config at a time; that reads clearer than struct updates.
#![allow(clippy::field_reassign_with_default)]

mod common;

use std::io::Write;

use tradeoff_core::config::{Augmentation, InputShape};
use tradeoff_core::data::{BUILTIN_DATASETS, Dataset, Example, ImageSet, Normalisation, Split};
use tradeoff_core::rng::Rng;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn tds(header: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = b"TDS1".to_vec();
    raw.extend((header.len() as u32).to_le_bytes());
    raw.extend(header.as_bytes());
    raw.extend(body);
    gzip(&raw)
}

const HEADER: &str =
    r#"{"name":"tiny","classes":["a","b"],"channels":1,"height":2,"width":2,"train":2,"test":1}"#;

#[test]
fn every_built_in_dataset_is_balanced_small_and_matches_the_catalogue() {
    for info in BUILTIN_DATASETS {
        let path = format!(
            "{}/../static/datasets/{}",
            env!("CARGO_MANIFEST_DIR"),
            info.file
        );
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(
            size <= 5_000_000,
            "{}: {size} bytes is over 5 MB",
            info.file
        );
        let d = common::builtin(info.file);
        assert_eq!(d.train.classes.len(), info.classes, "{}", info.id);
        assert_eq!(
            (d.train.channels, d.train.size),
            (info.input.channels, info.input.size)
        );
        let train = d.train.class_counts();
        assert!(
            train.iter().all(|&n| n == train[0] && n >= 400),
            "{}: {train:?}",
            info.id
        );
        let test = d.test.class_counts();
        assert!(
            test.iter().all(|&n| n == test[0] && n >= 100),
            "{}: {test:?}",
            info.id
        );
        // Images are real pictures, not blank: most have ink.
        let blank = (0..d.train.len()).filter(|&i| d.train.image(i).iter().all(|&p| p == 0));
        assert_eq!(blank.count(), 0, "{}", info.id);
    }
}

#[test]
fn a_preview_names_the_classes_counts_them_and_shows_each() {
    let d = common::builtin("fashion-mnist.tds");
    let p = d.preview(4);
    assert_eq!(p.classes[9], "Ankle boot");
    assert_eq!(p.train_counts, vec![800; 10]);
    assert_eq!(p.test_counts, vec![200; 10]);
    assert_eq!(p.samples.len(), 40);
    for (k, s) in p.samples.iter().enumerate() {
        assert_eq!(s.label as usize, k / 4, "samples are grouped by class");
        assert_eq!(s.pixels, d.train.image(s.index), "the sample is that image");
    }
}

#[test]
fn thumbnails_encode_as_bmp_with_the_right_pixels() {
    // 3×3 RGB: red ramp in the first plane, green constant, blue zero.
    let pixels: Vec<u8> = (0..9).map(|i| i * 10).chain([7; 9]).chain([0; 9]).collect();
    let example = Example {
        index: 0,
        label: 0,
        pixels,
    };
    let bmp = example.to_bmp(3, 3);
    let row = 12; // 3 pixels × 3 bytes, padded to 4
    assert_eq!(&bmp[..2], b"BM");
    assert_eq!(
        u32::from_le_bytes(bmp[2..6].try_into().unwrap()) as usize,
        bmp.len()
    );
    assert_eq!(bmp.len(), 54 + 3 * row);
    assert_eq!(
        i32::from_le_bytes(bmp[22..26].try_into().unwrap()),
        -3,
        "top-down rows"
    );
    // Pixel (x=1, y=2) is index 7: B=0, G=7, R=70.
    let at = 54 + 2 * row + 3;
    assert_eq!(&bmp[at..at + 3], &[0, 7, 70]);
    // Grey repeats its channel.
    let grey = Example {
        index: 0,
        label: 0,
        pixels: vec![200; 4],
    }
    .to_bmp(1, 2);
    assert_eq!(&grey[54..60], &[200; 6]);
}

#[test]
fn a_small_tds_reads_back() {
    let d = Dataset::from_tds(&tds(
        HEADER,
        &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 1, 1],
    ))
    .unwrap();
    assert_eq!(d.train.pixels, vec![0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(d.train.labels, vec![0, 1]);
    assert_eq!(d.test.pixels, vec![8, 9, 10, 11]);
    assert_eq!(d.test.labels, vec![1]);
}

#[test]
fn broken_files_are_refused_with_a_reason() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not gzip at all".to_vec(), "not valid gzip"),
        (gzip(b"PNG...."), "not in Tradeoff's format"),
        (gzip(b"TDS1\x05"), "truncated"),
        (tds("{nope", &[]), "header is invalid"),
        (tds(HEADER, &[0; 10]), "should hold 3 images"),
        (
            tds(HEADER, &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 7]),
            "label 7 has no class",
        ),
        (
            tds(
                r#"{"name":"x","classes":["a"],"channels":1,"height":2,"width":2,"train":0,"test":0}"#,
                &[],
            ),
            "2 or more classes",
        ),
        // Sizes whose product overflows: refused by arithmetic, not a panic or a wrap-around.
        (
            tds(
                r#"{"name":"x","classes":["a","b"],"channels":3,"height":4294967296,"width":4294967296,"train":1,"test":1}"#,
                &[0; 8],
            ),
            "too large",
        ),
        (
            tds(
                r#"{"name":"x","classes":["a","b"],"channels":1,"height":2,"width":2,"train":18446744073709551615,"test":1}"#,
                &[0; 8],
            ),
            "too large",
        ),
    ];
    for (bytes, message) in cases {
        let e = Dataset::from_tds(&bytes).unwrap_err();
        assert!(
            e.to_string().contains(message),
            "{e} should mention {message}"
        );
    }
    // Truncating the real file anywhere is an error, never a panic.
    let real = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../static/datasets/mnist.tds"
    ))
    .unwrap();
    for cut in [10, 1000, real.len() / 2, real.len() - 1] {
        assert!(Dataset::from_tds(&real[..cut]).is_err());
    }
}

#[test]
fn splits_are_seeded_disjoint_and_complete() {
    let a = Split::new(1000, 0.1, 7);
    assert_eq!(a, Split::new(1000, 0.1, 7));
    assert_ne!(a, Split::new(1000, 0.1, 8));
    assert_eq!(a.validation.len(), 100);
    let mut all: Vec<usize> = a.train.iter().chain(&a.validation).copied().collect();
    all.sort();
    assert_eq!(all, (0..1000).collect::<Vec<_>>());
    // Tiny sets still give one image to each side, and an empty one gives nothing.
    let tiny = Split::new(2, 0.1, 1);
    assert_eq!((tiny.train.len(), tiny.validation.len()), (1, 1));
    assert!(Split::new(0, 0.1, 1).train.is_empty());
}

fn one_image(pixels: Vec<u8>, size: usize) -> ImageSet {
    ImageSet {
        classes: vec!["a".into(), "b".into()],
        channels: 1,
        size,
        pixels,
        labels: vec![1],
    }
}

#[test]
fn batches_are_normalised_and_augmentation_moves_pixels() {
    // A 3×3 image with one bright pixel at the left of the middle row.
    let set = one_image(vec![0, 0, 0, 255, 0, 0, 0, 0, 0], 3);
    let norm = set.normalisation(&[0]);
    let (plain, labels) = set.batch(&[0], &norm, None);
    assert_eq!(labels, vec![1]);
    let mean: f32 = plain.iter().sum::<f32>() / 9.0;
    assert!(mean.abs() < 1e-5, "normalised mean {mean}");
    let bright = |xs: &[f32]| {
        xs.iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0
    };
    assert_eq!(bright(&plain), 3);
    // Flipping (with a generator that flips) moves it to the right of the row.
    let flip = Augmentation {
        flip: true,
        ..Augmentation::default()
    };
    let flipped = (0..20)
        .map(|seed| set.batch(&[0], &norm, Some((&flip, &mut Rng::new(seed)))).0)
        .find(|xs| bright(xs) == 5);
    assert!(flipped.is_some(), "some seed flips the image");
    // The same seed augments the same way.
    let shift = Augmentation {
        shift: 1,
        noise: 0.1,
        ..Augmentation::default()
    };
    let a = set.batch(&[0], &norm, Some((&shift, &mut Rng::new(3)))).0;
    let b = set.batch(&[0], &norm, Some((&shift, &mut Rng::new(3)))).0;
    assert_eq!(a, b);
    assert_ne!(a, plain);
}

#[test]
fn images_resize_and_change_channels() {
    let d = common::mnist_slice(5, 1);
    let rgb = d.train.to_shape(InputShape {
        size: 32,
        channels: 3,
    });
    assert_eq!((rgb.size, rgb.channels, rgb.len()), (32, 3, 5));
    assert_eq!(rgb.pixels.len(), 5 * 3 * 32 * 32);
    // Grey → RGB replicates the plane.
    let plane = 32 * 32;
    assert_eq!(&rgb.image(0)[..plane], &rgb.image(0)[plane..2 * plane]);
    // A uniform image stays uniform at any size.
    let flat = one_image(vec![200; 16], 4).to_shape(InputShape {
        size: 7,
        channels: 1,
    });
    assert!(flat.pixels.iter().all(|&p| p == 200));
}

#[test]
fn rotation_turns_the_image_about_its_centre_repeatably() {
    // A 9×9 image with a bright bar from the centre to the right edge.
    let mut pixels = vec![0u8; 81];
    for x in 4..9 {
        pixels[4 * 9 + x] = 255;
    }
    let set = one_image(pixels, 9);
    let norm = Normalisation {
        mean: vec![0.0],
        std: vec![1.0],
    };
    let (plain, _) = set.batch(&[0], &norm, None);
    let turn = Augmentation {
        rotate: 90.0,
        ..Augmentation::default()
    };
    let turned: Vec<Vec<f32>> = (0..40)
        .map(|seed| set.batch(&[0], &norm, Some((&turn, &mut Rng::new(seed)))).0)
        .collect();
    // The centre is where it turns about: it stays lit whatever the angle.
    assert!(turned.iter().all(|xs| xs[40] > 0.9), "the centre stays");
    // Some angle takes the bar off its row: the pixel at its far end goes dark.
    assert!(
        turned.iter().any(|xs| xs[4 * 9 + 8] < 0.2),
        "some angle moves the bar"
    );
    assert!(turned.iter().any(|xs| *xs != plain));
    // The light is moved, not made: no pixel brighter than the brightest of the original.
    assert!(turned.iter().flatten().all(|&v| v <= 1.0 + 1e-5));
    // The same seed turns it the same way; no rotation is the plain image.
    let again = set.batch(&[0], &norm, Some((&turn, &mut Rng::new(3)))).0;
    assert_eq!(again, turned[3]);
    let none = Augmentation::default();
    assert_eq!(
        set.batch(&[0], &norm, Some((&none, &mut Rng::new(3)))).0,
        plain
    );
}
