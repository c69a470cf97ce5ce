//! The user's own images: file checks before decoding, archives, class names from folders,
//! and the dataset built from them.

use std::io::Write;

use tradeoff_core::own_images::{
    Fit, MAX_CLASS_NAME, MAX_IMAGES, OwnImages, STORE_BYTES, STORE_SIZE, classes_from_paths,
    fit_rect, rgba_to_planes,
};
use tradeoff_core::sniff::{ImageFormat, MAX_FILE_BYTES, Sniffed, sniff};
use tradeoff_core::zip::{MAX_ARCHIVE_EXPANDED, ZipArchive, path_parts};

fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend(width.to_be_bytes());
    b.extend(height.to_be_bytes());
    b.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b
}

fn jpeg(width: u16, height: u16, with_end: bool) -> Vec<u8> {
    let mut b = vec![0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0];
    // An EXIF thumbnail's own end marker comes before the frame and must not count.
    b.extend([0xff, 0xe1, 0, 6, 0xff, 0xd9, 0, 0]);
    b.extend([0xff, 0xc0, 0, 11, 8]);
    b.extend(height.to_be_bytes());
    b.extend(width.to_be_bytes());
    b.extend([1, 1, 0x11, 0, 0xff, 0xda, 0, 2, 0x12, 0x34]);
    if with_end {
        b.extend([0xff, 0xd9]);
    }
    b
}

#[test]
fn image_formats_are_recognised_with_their_declared_size() {
    let image = |bytes: &[u8]| match sniff(bytes) {
        Ok(Sniffed::Image(info)) => (info.format, info.width, info.height),
        other => panic!("{other:?}"),
    };
    assert_eq!(image(&png_header(640, 480)), (ImageFormat::Png, 640, 480));
    assert_eq!(
        image(&jpeg(1024, 768, true)),
        (ImageFormat::Jpeg, 1024, 768)
    );
    let mut gif = b"GIF89a".to_vec();
    gif.extend([0x20, 0x03, 0x58, 0x02, 0, 0, 0]);
    assert_eq!(image(&gif), (ImageFormat::Gif, 800, 600));
    let mut bmp = b"BM".to_vec();
    bmp.extend([0; 12]);
    bmp.extend(40u32.to_le_bytes());
    bmp.extend(300i32.to_le_bytes());
    bmp.extend((-200i32).to_le_bytes());
    assert_eq!(image(&bmp), (ImageFormat::Bmp, 300, 200));
    let mut webp = b"RIFF\0\0\0\0WEBPVP8X\0\0\0\0\0\0\0\0".to_vec();
    webp.extend([0x7f, 0x02, 0x00, 0xdf, 0x01, 0x00]);
    assert_eq!(image(&webp), (ImageFormat::Webp, 640, 480));
    let mut avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1".to_vec();
    avif.extend(b"\0\0\0\x14ispe\0\0\0\0");
    avif.extend(1920u32.to_be_bytes());
    avif.extend(1080u32.to_be_bytes());
    assert_eq!(image(&avif), (ImageFormat::Avif, 1920, 1080));
    assert_eq!(sniff(b"PK\x03\x04rest"), Ok(Sniffed::Zip));
}

#[test]
fn bad_files_are_refused_with_the_reason() {
    let reason = |bytes: &[u8]| sniff(bytes).unwrap_err();
    assert_eq!(reason(b""), "the file is empty (0 bytes)");
    assert!(
        reason(b"hello, this is a text file")
            .to_string()
            .contains("not an image")
    );
    assert_eq!(
        reason(&png_header(640, 480)[..18]),
        "the PNG file is truncated"
    );
    // A JPEG cut off before its end marker.
    assert_eq!(reason(&jpeg(64, 64, false)), "the JPEG file is truncated");
    // Decompression bombs are refused from the header, before anything is decoded.
    let bomb = reason(&png_header(60_000, 60_000));
    assert!(
        bomb.to_string().contains("60000×60000") && bomb.to_string().contains("not decoded"),
        "{bomb}"
    );
    assert!(
        reason(&png_header(10_000, 6_000))
            .to_string()
            .contains("50 megapixels")
    );
    assert!(
        reason(&png_header(0, 10))
            .to_string()
            .contains("empty image")
    );
    assert!(
        reason(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic")
            .to_string()
            .contains("HEIC")
    );
    let mut huge = png_header(10, 10);
    huge.resize(MAX_FILE_BYTES as usize + 1, 0);
    assert!(reason(&huge).to_string().contains("larger than 64 MB"));
}

/// A zip archive of `(name, data, deflate?)` entries.
fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
    zip_declaring(entries, None)
}

/// Like [`zip`], but every entry may declare `declared` as its size (a lying archive).
fn zip_declaring(entries: &[(&str, &[u8], bool)], declared: Option<u32>) -> Vec<u8> {
    let (mut out, mut directory) = (Vec::new(), Vec::new());
    for (name, data, deflate) in entries {
        let body = if *deflate {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        } else {
            data.to_vec()
        };
        let size = declared.unwrap_or(data.len() as u32);
        let method: u16 = if *deflate { 8 } else { 0 };
        let offset = out.len() as u32;
        out.extend(b"PK\x03\x04\x14\0\0\0");
        out.extend(method.to_le_bytes());
        out.extend([0; 8]);
        out.extend((body.len() as u32).to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend((name.len() as u16).to_le_bytes());
        out.extend([0, 0]);
        out.extend(name.as_bytes());
        out.extend(&body);
        directory.extend(b"PK\x01\x02\x14\0\x14\0\0\0");
        directory.extend(method.to_le_bytes());
        directory.extend([0; 8]);
        directory.extend((body.len() as u32).to_le_bytes());
        directory.extend(size.to_le_bytes());
        directory.extend((name.len() as u16).to_le_bytes());
        directory.extend([0; 12]);
        directory.extend(offset.to_le_bytes());
        directory.extend(name.as_bytes());
    }
    let at = out.len() as u32;
    let n = entries.len() as u16;
    out.extend(&directory);
    out.extend(b"PK\x05\x06\0\0\0\0");
    out.extend(n.to_le_bytes());
    out.extend(n.to_le_bytes());
    out.extend((directory.len() as u32).to_le_bytes());
    out.extend(at.to_le_bytes());
    out.extend([0, 0]);
    out
}

#[test]
fn archives_are_read_entry_by_entry() {
    let png = png_header(8, 8);
    let bytes = zip(&[
        ("cats/1.png", &png, true),
        ("dogs/", b"", false),
        ("dogs/2.png", &png, false),
    ]);
    let mut archive = ZipArchive::new(&bytes).unwrap();
    let names: Vec<&str> = archive.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["cats/1.png", "dogs/2.png"],
        "directories are left out"
    );
    assert_eq!(archive.read(0).unwrap(), png);
    assert_eq!(archive.read(1).unwrap(), png);
    assert!(
        ZipArchive::new(&bytes[..bytes.len() - 10]).is_err(),
        "truncated"
    );
}

#[test]
fn zip_bombs_stop_at_the_limits() {
    // An entry that declares 1 KB but inflates to 65 MB of zeros.
    let zeros = vec![0u8; (MAX_FILE_BYTES + (1 << 20)) as usize];
    let bytes = zip_declaring(&[("bomb.png", &zeros, true)], Some(1024));
    assert!(bytes.len() < 200_000, "the bomb is small: {}", bytes.len());
    let mut archive = ZipArchive::new(&bytes).unwrap();
    let reason = archive.read(0).unwrap_err();
    assert!(reason.to_string().contains("zip bomb"), "{reason}");
    // Many entries that are each within the per-file limit stop at the archive's limit.
    let chunk = vec![0u8; (MAX_FILE_BYTES - 1) as usize];
    let count = (MAX_ARCHIVE_EXPANDED / MAX_FILE_BYTES + 2) as usize;
    let names: Vec<String> = (0..count).map(|i| format!("{i}.png")).collect();
    let entries: Vec<(&str, &[u8], bool)> = names
        .iter()
        .map(|n| (n.as_str(), &chunk[..], true))
        .collect();
    let bytes = zip(&entries);
    let mut archive = ZipArchive::new(&bytes).unwrap();
    let mut read = 0;
    let mut last = Ok(Vec::new());
    for i in 0..count {
        last = archive.read(i);
        if archive.exhausted() {
            break;
        }
        read += 1;
    }
    assert!(archive.exhausted());
    assert!(read < count);
    assert!(last.unwrap_err().to_string().contains("more than 1 GB"));
}

#[test]
fn unsafe_and_hidden_paths() {
    assert_eq!(
        path_parts("photos/cats/1.jpg").unwrap(),
        Some(vec!["photos".into(), "cats".into(), "1.jpg".into()])
    );
    assert!(path_parts("../../etc/passwd").is_err());
    assert!(path_parts("/etc/passwd").is_err());
    assert!(path_parts("C:\\Windows\\x.png").is_err());
    assert!(path_parts("cats/../../x.png").is_err());
    assert_eq!(path_parts("__MACOSX/cats/._1.jpg").unwrap(), None);
    assert_eq!(path_parts("cats/.DS_Store").unwrap(), None);
}

fn parts(paths: &[&str]) -> Vec<Vec<String>> {
    paths
        .iter()
        .map(|p| path_parts(p).unwrap().unwrap())
        .collect()
}

#[test]
fn folders_name_classes_like_flow_from_directory() {
    // A folder of class folders: the wrapping folder is looked through.
    let classes = classes_from_paths(&parts(&["photos/cat/1.jpg", "photos/dog/a/2.jpg"]));
    assert_eq!(classes, [Some("cat".into()), Some("dog".into())]);
    // One class folder dropped on its own names its class.
    let classes = classes_from_paths(&parts(&["cat/1.jpg", "cat/2.jpg"]));
    assert_eq!(classes, [Some("cat".into()), Some("cat".into())]);
    // Loose files go to the class they were dropped on.
    let classes = classes_from_paths(&parts(&["1.jpg", "cat/2.jpg"]));
    assert_eq!(classes, [None, Some("cat".into())]);
    // Very long folder names are shortened to a class name's limit.
    let long = "ж".repeat(300) + "/1.jpg";
    let name = classes_from_paths(&parts(&[&long]))[0].clone().unwrap();
    assert_eq!(name.chars().count(), MAX_CLASS_NAME);
    assert!(name.ends_with('…'));
}

fn image(value: u8) -> Vec<u8> {
    vec![value; STORE_BYTES]
}

#[test]
fn class_names_are_checked() {
    let mut local = OwnImages::default();
    let cat = local.add_class("  cat ").unwrap();
    assert_eq!(cat.name, "cat");
    assert_eq!(
        local.add_class("Cat").unwrap_err(),
        "there is already a class called “Cat”"
    );
    assert_eq!(local.add_class("   ").unwrap_err(), "a class needs a name");
    assert!(
        local
            .add_class(&"x".repeat(41))
            .unwrap_err()
            .to_string()
            .contains("at most 40")
    );
    // Markup is kept as text: the page shows it, never runs it.
    let html = local.add_class("<img src=x onerror=alert(1)>").unwrap();
    assert_eq!(html.name, "<img src=x onerror=alert(1)>");
    assert!(local.rename_class(html.id, "CAT").is_err());
    assert_eq!(local.rename_class(html.id, "dog").unwrap().name, "dog");
}

#[test]
fn too_few_classes_or_images_say_what_is_missing() {
    let mut local = OwnImages::default();
    assert!(local.problems()[0].to_string().contains("are none yet"));
    let cat = local.add_class("cat").unwrap().id;
    local.add_image(cat, "1.png", image(1), 0).unwrap();
    local.add_image(cat, "2.png", image(2), 0).unwrap();
    let problems = local.problems();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].to_string().contains("only “cat”"));
    let dog = local.add_class("dog").unwrap().id;
    local.add_image(dog, "3.png", image(3), 0).unwrap();
    assert!(
        local.problems()[0]
            .to_string()
            .contains("class “dog” has 1 image;")
    );
    assert!(local.to_dataset().is_err());
    local.add_image(dog, "4.png", image(4), 0).unwrap();
    assert!(local.problems().is_empty());
}

#[test]
fn the_dataset_holds_out_about_one_in_five_of_each_class_the_same_every_time() {
    let mut local = OwnImages::default();
    let cat = local.add_class("cat").unwrap().id;
    let dog = local.add_class("dog").unwrap().id;
    for i in 0..10 {
        let burst = local.new_burst();
        local.add_image(cat, "c.png", image(i), burst).unwrap();
    }
    for i in 0..3 {
        let burst = local.new_burst();
        local
            .add_image(dog, "d.png", image(100 + i), burst)
            .unwrap();
    }
    let data = local.to_dataset().unwrap();
    assert_eq!(data.train.classes, ["cat", "dog"]);
    assert_eq!((data.train.channels, data.train.size), (3, STORE_SIZE));
    assert_eq!(data.train.class_counts(), [8, 2]);
    assert_eq!(data.test.class_counts(), [2, 1]);
    let held = |data: &tradeoff_core::data::Dataset| -> Vec<u8> {
        (0..data.test.len())
            .map(|i| data.test.image(i)[0])
            .collect()
    };
    // Picked by the shuffle, not by position: not simply every 5th cat.
    let first = held(&data);
    assert_ne!(&first[..2], [4, 9]);
    // The same images every time, and after a reload from storage.
    let reloaded = OwnImages::from_parts(local.classes.clone(), local.images.clone());
    assert_eq!(held(&reloaded.to_dataset().unwrap()), first);
    // Adding images never moves one already held out back into training.
    let burst = local.new_burst();
    for i in 10..20 {
        local.add_image(cat, "c.png", image(i), burst).unwrap();
    }
    let more = held(&local.to_dataset().unwrap());
    assert!(
        first.iter().all(|x| more.contains(x)),
        "{first:?} then {more:?}"
    );
    // Removing a class removes its images.
    assert_eq!(local.remove_class(dog).len(), 3);
    assert_eq!(local.images.len(), 20);
}

#[test]
fn a_webcam_burst_stays_on_one_side_of_the_split() {
    let mut local = OwnImages::default();
    let cat = local.add_class("cat").unwrap().id;
    let dog = local.add_class("dog").unwrap().id;
    // Five recordings of 8 near-identical frames each (pixel value = recording number).
    for recording in 0..5u8 {
        let burst = local.new_burst();
        for _ in 0..8 {
            local
                .add_image(cat, "frame", image(recording), burst)
                .unwrap();
        }
    }
    for i in 0..10 {
        let burst = local.new_burst();
        local
            .add_image(dog, "d.png", image(200 + i), burst)
            .unwrap();
    }
    let data = local.to_dataset().unwrap();
    let firsts = |set: &tradeoff_core::data::ImageSet| -> Vec<u8> {
        (0..set.len())
            .filter(|&i| set.labels[i] == 0)
            .map(|i| set.image(i)[0])
            .collect()
    };
    let (train, test) = (firsts(&data.train), firsts(&data.test));
    assert_eq!(test.len(), 8, "one whole recording is held out: {test:?}");
    assert!(
        test.iter().all(|x| !train.contains(x)),
        "a recording on both sides"
    );
    assert!(local.split_warnings().is_empty());
    // A class that came in one recording has to be split inside it, and the page says so.
    let mut one = OwnImages::default();
    let a = one.add_class("a").unwrap().id;
    let b = one.add_class("b").unwrap().id;
    let burst = one.new_burst();
    for i in 0..10 {
        one.add_image(a, "a", image(i), burst).unwrap();
    }
    for i in 0..10 {
        let burst = one.new_burst();
        one.add_image(b, "b", image(i), burst).unwrap();
    }
    assert_eq!(one.to_dataset().unwrap().test.class_counts(), [2, 2]);
    let warnings = one.split_warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .to_string()
            .contains("“a” came in one drop or recording")
    );
}

#[test]
fn the_image_limit_is_kept() {
    let mut local = OwnImages::default();
    let cat = local.add_class("cat").unwrap().id;
    for _ in 0..MAX_IMAGES {
        local.add_image(cat, "x", image(0), 0).unwrap();
    }
    assert_eq!(local.room(), 0);
    assert!(
        local
            .add_image(cat, "y", image(0), 0)
            .unwrap_err()
            .to_string()
            .contains("10000")
    );
    // Ids stay unique after a reload from storage.
    let reloaded = OwnImages::from_parts(local.classes.clone(), local.images.clone());
    let mut again = reloaded;
    assert!(again.remove_image(5));
    let id = again.add_image(cat, "z", image(0), 0).unwrap().id;
    assert!(local.images.iter().all(|i| i.id != id));
}

#[test]
fn photos_are_fitted_into_the_square() {
    // A 400×200 landscape: crop keeps the centre 200×200; pad shrinks it into a 64×32 band.
    let (src, dst) = fit_rect(400.0, 200.0, Fit::Crop);
    assert_eq!(src, [100.0, 0.0, 200.0, 200.0]);
    assert_eq!(dst, [0.0, 0.0, 64.0, 64.0]);
    let (src, dst) = fit_rect(400.0, 200.0, Fit::Pad);
    assert_eq!(src, [0.0, 0.0, 400.0, 200.0]);
    assert_eq!(dst, [0.0, 16.0, 64.0, 32.0]);
    assert_eq!(
        rgba_to_planes(&[1, 2, 3, 255, 4, 5, 6, 255]),
        [1, 4, 2, 5, 3, 6]
    );
}

#[test]
fn imported_files_go_to_their_folder_class_or_the_class_they_were_dropped_on() {
    let mut local = OwnImages::default();
    let cats = local.add_class("cats").unwrap().id;
    // An existing class, matched without regard to case; nothing new to keep.
    assert_eq!(local.class_for(Some("Cats"), None).unwrap(), (cats, None));
    // A new folder makes its class, returned so the worker can keep it.
    let (dogs, made) = local.class_for(Some("dogs"), Some(cats)).unwrap();
    assert_eq!(made.unwrap().name, "dogs");
    assert_eq!(local.class_named("dogs"), Some(dogs));
    // Loose files go where they were dropped, or are refused with the reason.
    assert_eq!(local.class_for(None, Some(cats)).unwrap(), (cats, None));
    assert!(
        local
            .class_for(None, None)
            .unwrap_err()
            .to_string()
            .contains("not in a class folder")
    );
    assert!(
        local
            .class_for(Some("  "), None)
            .unwrap_err()
            .to_string()
            .contains("cannot be a class")
    );
}

#[test]
fn a_report_lists_the_first_skipped_files_and_counts_the_rest() {
    let mut report = tradeoff_core::own_images::ImportReport::default();
    for i in 0..tradeoff_core::own_images::LISTED_SKIPS + 7 {
        report.skip(&format!("{i}.txt"), "it is not an image");
    }
    let sentences = report.sentences();
    assert_eq!(sentences[1], "Skipped 0.txt: it is not an image.");
    assert_eq!(sentences.last().unwrap(), "7 more files were skipped.");
    assert!(tradeoff_core::sniff::is_zip(b"PK\x03\x04"));
    assert!(!tradeoff_core::sniff::is_zip(b"PK"));
}
