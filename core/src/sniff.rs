//! What a file is, read from its first bytes before the browser is asked to decode it: an image
//! format the browser reads (with the size it declares), a `.zip` archive, or neither.
//!
//! Reading the declared size first is what stops a decompression bomb: a 40 KB PNG can declare
//! 60,000 × 60,000 pixels, which would take 14 GB to decode.

use crate::i18n::Message;
use crate::msg;
use std::fmt;

/// Largest image file accepted, in bytes (a photo from a phone is 2–12 MB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Largest `.zip` file accepted, in bytes.
pub const MAX_ARCHIVE_BYTES: u64 = 512 << 20;
/// Most pixels an image may declare (50 megapixels: a full-frame camera photo).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Longest side an image may declare.
pub const MAX_SIDE: u32 = 20_000;

/// An image format browsers decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// GIF (the first frame is used).
    Gif,
    /// WebP.
    Webp,
    /// Windows bitmap.
    Bmp,
    /// AVIF.
    Avif,
}

impl crate::i18n::ToMessage for ImageFormat {
    fn to_message(&self) -> crate::i18n::Message {
        crate::i18n::Message::Plain(self.to_string())
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Gif => "GIF",
            ImageFormat::Webp => "WebP",
            ImageFormat::Bmp => "BMP",
            ImageFormat::Avif => "AVIF",
        })
    }
}

/// An image's format and the size its header declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    /// The format.
    pub format: ImageFormat,
    /// Declared width in pixels.
    pub width: u32,
    /// Declared height in pixels.
    pub height: u32,
}

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// An image of a safe size.
    Image(ImageInfo),
    /// A `.zip` archive.
    Zip,
}

/// Formats accepted, for messages.
pub const ACCEPTED: &str = "PNG, JPEG, WebP, GIF, BMP or AVIF images, or a .zip of them";

/// Whether `head` (a file's first 4 bytes are enough) starts a `.zip` archive.
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// Identifies `bytes` and checks an image's declared size; the error says why, in words.
pub fn sniff(bytes: &[u8]) -> Result<Sniffed, Message> {
    if bytes.is_empty() {
        return Err(msg!("the file is empty (0 bytes)"));
    }
    if is_zip(bytes) {
        return Ok(Sniffed::Zip);
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(msg!("the file is larger than {} MB", MAX_FILE_BYTES >> 20));
    }
    let truncated = |format: ImageFormat| msg!("the {format} file is truncated", format = format);
    let info = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        if bytes.get(12..16) != Some(b"IHDR") {
            return Err(truncated(ImageFormat::Png));
        }
        ImageInfo {
            format: ImageFormat::Png,
            width: be32(bytes, 16).ok_or_else(|| truncated(ImageFormat::Png))?,
            height: be32(bytes, 20).ok_or_else(|| truncated(ImageFormat::Png))?,
        }
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        jpeg(bytes).ok_or_else(|| truncated(ImageFormat::Jpeg))?
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        ImageInfo {
            format: ImageFormat::Gif,
            width: le16(bytes, 6).ok_or_else(|| truncated(ImageFormat::Gif))?,
            height: le16(bytes, 8).ok_or_else(|| truncated(ImageFormat::Gif))?,
        }
    } else if bytes.starts_with(b"BM") && bytes.len() >= 18 {
        bmp(bytes).ok_or_else(|| truncated(ImageFormat::Bmp))?
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        webp(bytes).ok_or_else(|| truncated(ImageFormat::Webp))?
    } else if bytes.get(4..8) == Some(b"ftyp") {
        let brands = bytes.get(8..bytes.len().min(64)).unwrap_or_default();
        let has = |brand: &[u8]| brands.windows(4).any(|w| w == brand);
        if has(b"avif") || has(b"avis") {
            avif(bytes).ok_or_else(|| truncated(ImageFormat::Avif))?
        } else if has(b"heic") || has(b"heix") || has(b"mif1") {
            return Err(msg!(
                "it is a HEIC photo, which browsers cannot decode; export it as JPEG first"
            ));
        } else {
            return Err(msg!(
                "it is a video or other media file, not one of: {ACCEPTED}",
                ACCEPTED = ACCEPTED
            ));
        }
    } else {
        return Err(msg!(
            "it is not an image: accepted are {ACCEPTED}",
            ACCEPTED = ACCEPTED
        ));
    };
    check_size(info)?;
    Ok(Sniffed::Image(info))
}

/// Refuses sizes that are empty or too large to decode safely.
fn check_size(info: ImageInfo) -> Result<(), Message> {
    let ImageInfo {
        format,
        width,
        height,
    } = info;
    if width == 0 || height == 0 {
        return Err(msg!(
            "the {format} file declares an empty image ({width}×{height})",
            format = format,
            width = width,
            height = height
        ));
    }
    let pixels = width as u64 * height as u64;
    if width > MAX_SIDE || height > MAX_SIDE || pixels > MAX_PIXELS {
        let megapixels = MAX_PIXELS / 1_000_000;
        return Err(msg!(
            "the {format} file declares {width}×{height} pixels, more than the {megapixels} megapixels allowed; it was not decoded",
            format = format,
            width = width,
            height = height,
            megapixels = megapixels
        ));
    }
    Ok(())
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?) as u32)
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as u32)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(s[0] as u32 | (s[1] as u32) << 8 | (s[2] as u32) << 16)
}

/// Walks the JPEG markers to the frame header; a file without an end-of-image marker after it
/// is truncated (browsers would quietly show the missing part grey).
fn jpeg(b: &[u8]) -> Option<ImageInfo> {
    let mut at = 2;
    loop {
        while b.get(at) == Some(&0xff) && b.get(at + 1) == Some(&0xff) {
            at += 1;
        }
        if *b.get(at)? != 0xff {
            return None;
        }
        let marker = *b.get(at + 1)?;
        if matches!(marker, 0xd8 | 0x01 | 0xd0..=0xd7) {
            at += 2;
            continue;
        }
        let len = be16(b, at + 2)? as usize;
        let is_frame = matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
        if is_frame {
            let height = be16(b, at + 5)?;
            let width = be16(b, at + 7)?;
            // Entropy-coded data escapes 0xff, so FF D9 after the frame header is the real end.
            let rest = b.get(at + 2 + len..)?;
            rest.windows(2).any(|w| w == [0xff, 0xd9]).then_some(())?;
            return Some(ImageInfo {
                format: ImageFormat::Jpeg,
                width,
                height,
            });
        }
        at += 2 + len;
    }
}

fn bmp(b: &[u8]) -> Option<ImageInfo> {
    let header = le32(b, 14)?;
    let (width, height) = if header == 12 {
        (le16(b, 18)?, le16(b, 20)?)
    } else {
        let w = le32(b, 18)? as i32;
        let h = le32(b, 22)? as i32;
        (w.unsigned_abs(), h.unsigned_abs())
    };
    Some(ImageInfo {
        format: ImageFormat::Bmp,
        width,
        height,
    })
}

fn webp(b: &[u8]) -> Option<ImageInfo> {
    let (width, height) = match b.get(12..16)? {
        b"VP8 " => (le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff),
        b"VP8L" => {
            let bits = le32(b, 21)?;
            (1 + (bits & 0x3fff), 1 + ((bits >> 14) & 0x3fff))
        }
        b"VP8X" => (1 + le24(b, 24)?, 1 + le24(b, 27)?),
        _ => return None,
    };
    Some(ImageInfo {
        format: ImageFormat::Webp,
        width,
        height,
    })
}

/// AVIF keeps its size in an `ispe` property box; the first one is the primary image's.
fn avif(b: &[u8]) -> Option<ImageInfo> {
    let at = b.windows(4).position(|w| w == b"ispe")?;
    Some(ImageInfo {
        format: ImageFormat::Avif,
        width: be32(b, at + 8)?,
        height: be32(b, at + 12)?,
    })
}
