//! `--data DIR`: a folder with one sub-folder per class, read with the page's own rules (the
//! same class names from folder names, the same checks before decoding, the same refusals and
//! the same 64×64 store), decoded natively.

use std::path::{Path, PathBuf};

use image::imageops::{FilterType, overlay, resize};
use image::{ImageReader, RgbaImage};
use tradeoff_core::i18n::{Lang, Message};
use tradeoff_core::msg;
use tradeoff_core::own_images::{
    Fit, ImportReport, OwnImages, STORE_SIZE, classes_from_paths, fit_rect, rgba_to_planes,
};
use tradeoff_core::sniff::{ImageFormat, MAX_FILE_BYTES, Sniffed, sniff};
use tradeoff_core::zip::path_parts;

/// Most images `--data` takes: ten times the page's limit, 1.2 GB as stored 64×64 RGB.
pub const MAX_FOLDER_IMAGES: usize = 100_000;

/// Every file below `root` (following links), as paths relative to it with `/` between parts.
fn files_below(root: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries =
            std::fs::read_dir(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("{}: {e}", folder.display()))?
                .path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let label = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                found.push((label, path));
            }
        }
    }
    Ok(found)
}

/// Stored RGB planes of an image file `sniff` accepted: the photo fitted into the store's
/// square as the page fits it (centre crop or black bars), resized with a triangle filter.
fn decode(bytes: &[u8], format: ImageFormat, fit: Fit) -> Result<Vec<u8>, Message> {
    let format = match format {
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Gif => image::ImageFormat::Gif,
        ImageFormat::Webp => image::ImageFormat::WebP,
        ImageFormat::Bmp => image::ImageFormat::Bmp,
        ImageFormat::Avif => {
            return Err(msg!(
                "AVIF is decoded by the page but not by this runner: convert it to PNG or JPEG"
            ));
        }
    };
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    // sniff() has checked the declared size; this bounds what the decoder may allocate.
    reader.limits(image::Limits::default());
    let photo = reader
        .decode()
        .map_err(|e| msg!("it could not be decoded: {e}", e = e.to_string()))?
        .to_rgba8();
    let (source, target) = fit_rect(photo.width() as f64, photo.height() as f64, fit);
    let [x, y, w, h] = source.map(|v| v.round() as u32);
    let cropped = image::imageops::crop_imm(&photo, x, y, w.max(1), h.max(1)).to_image();
    let [dx, dy, dw, dh] = target.map(|v| v.round() as u32);
    let scaled = resize(&cropped, dw.max(1), dh.max(1), FilterType::Triangle);
    let side = STORE_SIZE as u32;
    let mut square = RgbaImage::from_pixel(side, side, image::Rgba([0, 0, 0, 255]));
    overlay(&mut square, &scaled, i64::from(dx), i64::from(dy));
    Ok(rgba_to_planes(square.as_raw()))
}

/// Reads `root`: each sub-folder is a class (named by it), images anywhere below it. Files
/// refused are named in the report with the reason; everything else is kept.
pub fn read_classes(root: &Path, fit: Fit) -> Result<(OwnImages, ImportReport), String> {
    if !root.is_dir() {
        return Err(format!(
            "{}: not a folder (--data takes a folder with one sub-folder per class)",
            root.display()
        ));
    }
    let mut report = ImportReport::default();
    let mut items = Vec::new();
    for (label, path) in files_below(root)? {
        match path_parts(&label) {
            Ok(Some(parts)) => items.push((label, parts, path)),
            Ok(None) => {} // hidden files and folders, as the page skips them
            Err(why) => report.skip(&label, why),
        }
    }
    items.sort_by(|a, b| a.1.cmp(&b.1));
    let parts: Vec<Vec<String>> = items.iter().map(|(_, p, _)| p.clone()).collect();
    let folders = classes_from_paths(&parts);
    let mut own = OwnImages::default().with_limit(MAX_FOLDER_IMAGES);
    for ((label, parts, path), folder) in items.into_iter().zip(folders) {
        if own.room() == 0 {
            report.over(own.limit());
            continue;
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let bytes = if size > MAX_FILE_BYTES {
            Err(msg!("the file is larger than {} MB", MAX_FILE_BYTES >> 20))
        } else {
            std::fs::read(&path).map_err(|e| msg!("it could not be read: {e}", e = e.to_string()))
        };
        let pixels = bytes.and_then(|b| match sniff(&b)? {
            Sniffed::Image(info) => decode(&b, info.format, fit),
            Sniffed::Zip => Err(msg!(
                "a .zip is not opened here: unpack it into the folder (the page opens it)"
            )),
        });
        let added = pixels.and_then(|pixels| {
            let (class, made) = own.class_for(folder.as_deref(), None)?;
            if let Some(made) = made {
                report.new_classes.push(made.name);
            }
            let name = parts.last().cloned().unwrap_or_default();
            // Burst 0: each image stands alone, so about one in five of every class is held out
            // at random (a folder is not one recording).
            own.add_image(class, &name, pixels, 0).map(|_| ())
        });
        match added {
            Ok(()) => report.added += 1,
            Err(why) => report.skip(&label, why),
        }
    }
    Ok((own, report))
}

/// The report as the page words it, one sentence per line.
pub fn report_lines(report: &ImportReport) -> Vec<String> {
    report
        .sentences()
        .iter()
        .map(|s| s.text(Lang::En))
        .collect()
}
