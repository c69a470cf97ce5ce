//! Files people give the page: any bytes go through the header check and, when they look like
//! a `.zip`, through the archive reader (every entry read, every path checked). Neither may
//! panic, and an accepted image always declares a size within the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tradeoff_core::sniff::{MAX_PIXELS, MAX_SIDE, Sniffed, sniff};
use tradeoff_core::zip::{ZipArchive, path_parts};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(Sniffed::Image(info)) = sniff(bytes) {
        assert!(info.width > 0 && info.height > 0);
        assert!(info.width <= MAX_SIDE && info.height <= MAX_SIDE);
        assert!(info.width as u64 * info.height as u64 <= MAX_PIXELS);
    }
    if let Ok(mut archive) = ZipArchive::new(bytes) {
        for i in 0..archive.entries.len() {
            let _ = path_parts(&archive.entries[i].name);
            if let Ok(data) = archive.read(i) {
                let _ = sniff(&data);
            }
            if archive.exhausted() {
                break;
            }
        }
    }
});
