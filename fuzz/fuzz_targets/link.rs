//! Any text as a link: it is read or refused with messages, never a panic; whatever is
//! read is a valid config that writes back to a link reading the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tradeoff_core::url::{dataset_classes, from_hash, to_hash};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match from_hash(text) {
        Ok(parsed) => {
            let config = parsed.config;
            assert!(config.validate(dataset_classes(&config.dataset).expect("a read link names a dataset")).is_ok(), "a read link is valid");
            let again = from_hash(&to_hash(&config)).expect("a written link reads back");
            assert_eq!(again.config, config, "the link round-trips");
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            assert!(errors.iter().all(|e| !e.to_string().trim().is_empty()));
        }
    }
});
