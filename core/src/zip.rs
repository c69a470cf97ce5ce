//! Reading `.zip` archives of images, refusing what could hurt: paths that climb out of the
//! archive, entries that expand far beyond their declared size, and archives that expand to
//! more than the page can hold (zip bombs). Stored and deflated entries are read; anything else
//! is named and skipped.

use crate::i18n::Message;
use crate::msg;
use std::io::Read;

use crate::sniff::MAX_FILE_BYTES;

/// Most bytes all entries of one archive may expand to.
pub const MAX_ARCHIVE_EXPANDED: u64 = 1 << 30;
/// Most entries read from one archive.
pub const MAX_ENTRIES: usize = 100_000;

/// One file in an archive, not yet decompressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipEntry {
    /// The path as written in the archive.
    pub name: String,
    /// Where its local header starts.
    offset: usize,
    method: u16,
    encrypted: bool,
    compressed: u64,
    /// Size it declares once decompressed.
    pub size: u64,
}

/// An archive's table of contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipArchive<'a> {
    bytes: &'a [u8],
    /// Its files, directories left out.
    pub entries: Vec<ZipEntry>,
    /// Bytes decompressed so far, against [`MAX_ARCHIVE_EXPANDED`].
    expanded: u64,
}

fn le16(b: &[u8], at: usize) -> Option<u64> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as u64)
}

fn le32(b: &[u8], at: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as u64)
}

impl<'a> ZipArchive<'a> {
    /// Reads the central directory at the end of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Result<Self, Message> {
        let damaged = || msg!("the .zip file is damaged or truncated (no table of contents)");
        // The end record is 22 bytes plus a comment of up to 65,535.
        let from = bytes.len().saturating_sub(22 + 65_535);
        let end = (from..bytes.len().saturating_sub(21))
            .rev()
            .find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))
            .ok_or_else(damaged)?;
        let count = le16(bytes, end + 10).ok_or_else(damaged)?;
        let directory = le32(bytes, end + 16).ok_or_else(damaged)?;
        if count == 0xffff || directory == 0xffff_ffff {
            return Err(msg!(
                "ZIP64 archives (over 4 GB or 65,535 files) are not supported"
            ));
        }
        let mut at = directory as usize;
        let mut entries = Vec::new();
        for _ in 0..count {
            if entries.len() >= MAX_ENTRIES {
                break;
            }
            if bytes.get(at..at + 4) != Some(b"PK\x01\x02") {
                return Err(damaged());
            }
            let field = |off: usize, wide: bool| {
                if wide {
                    le32(bytes, at + off)
                } else {
                    le16(bytes, at + off)
                }
                .ok_or_else(damaged)
            };
            let flags = field(8, false)?;
            let method = field(10, false)? as u16;
            let compressed = field(20, true)?;
            let size = field(24, true)?;
            let name_len = field(28, false)? as usize;
            let extra_len = field(30, false)? as usize;
            let comment_len = field(32, false)? as usize;
            let offset = field(42, true)? as usize;
            let name = bytes.get(at + 46..at + 46 + name_len).ok_or_else(damaged)?;
            let name = String::from_utf8_lossy(name).into_owned();
            at += 46 + name_len + extra_len + comment_len;
            if name.ends_with('/') || name.ends_with('\\') {
                continue;
            }
            entries.push(ZipEntry {
                name,
                offset,
                method,
                encrypted: flags & 1 != 0,
                compressed,
                size,
            });
        }
        Ok(ZipArchive {
            bytes,
            entries,
            expanded: 0,
        })
    }

    /// Decompresses entry `i`. An `Err` names what is wrong with that entry; the archive as a
    /// whole stops being read once [`MAX_ARCHIVE_EXPANDED`] is reached (see [`Self::exhausted`]).
    pub fn read(&mut self, i: usize) -> Result<Vec<u8>, Message> {
        let entry = &self.entries[i];
        if entry.encrypted {
            return Err(msg!("it is password-protected"));
        }
        if entry.size > MAX_FILE_BYTES {
            return Err(msg!("it expands to more than {} MB", MAX_FILE_BYTES >> 20));
        }
        let damaged = || msg!("its data is damaged or truncated");
        let at = entry.offset;
        if self.bytes.get(at..at + 4) != Some(b"PK\x03\x04") {
            return Err(damaged());
        }
        let start = at
            + 30
            + le16(self.bytes, at + 26).ok_or_else(damaged)? as usize
            + le16(self.bytes, at + 28).ok_or_else(damaged)? as usize;
        let data = start
            .checked_add(entry.compressed as usize)
            .and_then(|end| self.bytes.get(start..end))
            .ok_or_else(damaged)?;
        // Never trust the declared size: read at most the per-file limit plus one byte.
        let limit = MAX_FILE_BYTES.min(MAX_ARCHIVE_EXPANDED - self.expanded) + 1;
        let out = match entry.method {
            0 => data[..data.len().min(limit as usize)].to_vec(),
            8 => {
                let mut out = Vec::with_capacity(entry.size.min(limit) as usize);
                flate2::read::DeflateDecoder::new(data)
                    .take(limit)
                    .read_to_end(&mut out)
                    .map_err(|_| damaged())?;
                out
            }
            m => {
                return Err(msg!(
                    "it is compressed with a method this page cannot read ({m})",
                    m = m
                ));
            }
        };
        self.expanded += out.len() as u64;
        if out.len() as u64 >= limit {
            return Err(if self.exhausted() {
                msg!(
                    "the archive expands to more than {} GB (a zip bomb?)",
                    MAX_ARCHIVE_EXPANDED >> 30
                )
            } else {
                msg!(
                    "it expands to more than {} MB although it declares {} bytes (a zip bomb?)",
                    MAX_FILE_BYTES >> 20,
                    entry.size
                )
            });
        }
        if out.len() as u64 != entry.size {
            return Err(damaged());
        }
        Ok(out)
    }

    /// Whether the archive has expanded as far as allowed; nothing more is read from it.
    pub fn exhausted(&self) -> bool {
        self.expanded >= MAX_ARCHIVE_EXPANDED
    }
}

/// The folders and file name of an archive or dropped path, or why it is refused: absolute
/// paths and `..` would climb out of the archive. `Ok(None)` for files to pass over silently
/// (hidden files, macOS resource forks).
pub fn path_parts(path: &str) -> Result<Option<Vec<String>>, Message> {
    let path = path.replace('\\', "/");
    let absolute = path.starts_with('/')
        || path.as_bytes().get(1) == Some(&b':') && path.as_bytes()[0].is_ascii_alphabetic();
    let parts: Vec<String> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .map(String::from)
        .collect();
    if absolute || parts.iter().any(|p| p == "..") {
        return Err(msg!(
            "its path is absolute or climbs out of the folder (\"..\"); skipped"
        ));
    }
    if parts.is_empty() || parts.iter().any(|p| p.starts_with('.') || p == "__MACOSX") {
        return Ok(None);
    }
    Ok(Some(parts))
}
