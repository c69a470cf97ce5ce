//! Any bytes as a dataset file: read or refused with a message, never a panic, and never more
//! memory than the reader's limit. The input is fuzzed both as the file itself and as its
//! decompressed content (gzip-compressed here), so mutations reach the header and the layout
//! rather than dying in the gzip checksum.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use tradeoff_core::data::Dataset;

fn check(file: &[u8]) {
    if let Ok(dataset) = Dataset::from_tds(file) {
        for set in [&dataset.train, &dataset.test] {
            assert_eq!(set.pixels.len(), set.len() * set.image_len());
            assert!(set.labels.iter().all(|&l| (l as usize) < set.classes.len()));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).expect("writes to memory");
    check(&gz.finish().expect("writes to memory"));
});
