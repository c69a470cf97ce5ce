//! Image datasets in memory: the built-in catalogue, the `.tds` file format, seeded splits,
//! normalisation, augmentation and batching.

use crate::i18n::{Message, key};
use crate::msg;
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::config::{Augmentation, InputShape};
use crate::rng::Rng;

/// A dataset that ships with the page under `static/datasets/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinDataset {
    /// Id used in configs and links.
    pub id: &'static str,
    /// Name shown in the UI.
    pub name: &'static str,
    /// File name under `datasets/`.
    pub file: &'static str,
    /// Number of classes.
    pub classes: usize,
    /// Native image shape.
    pub input: InputShape,
}

/// Every built-in dataset.
pub const BUILTIN_DATASETS: &[BuiltinDataset] = &[
    BuiltinDataset {
        id: "mnist",
        name: key("MNIST handwritten digits"),
        file: "mnist.tds",
        classes: 10,
        input: InputShape {
            size: 28,
            channels: 1,
        },
    },
    BuiltinDataset {
        id: "fashion-mnist",
        name: key("Fashion-MNIST clothing"),
        file: "fashion-mnist.tds",
        classes: 10,
        input: InputShape {
            size: 28,
            channels: 1,
        },
    },
    BuiltinDataset {
        id: "emoji",
        name: key("Emoji by Unicode group (colour)"),
        file: "emoji.tds",
        classes: 9,
        input: InputShape {
            size: 32,
            channels: 3,
        },
    },
];

/// The built-in datasets' class names that are words (MNIST's are digits), marked for
/// translation where the page shows them; the names themselves come from the dataset files.
pub const CLASS_NAMES: [&str; 19] = [
    key("T-shirt/top"),
    key("Trouser"),
    key("Pullover"),
    key("Dress"),
    key("Coat"),
    key("Sandal"),
    key("Shirt"),
    key("Sneaker"),
    key("Bag"),
    key("Ankle boot"),
    key("Smileys & Emotion"),
    key("People & Body"),
    key("Animals & Nature"),
    key("Food & Drink"),
    key("Travel & Places"),
    key("Activities"),
    key("Objects"),
    key("Symbols"),
    key("Flags"),
];

/// The built-in dataset with this id.
pub fn builtin_dataset(id: &str) -> Option<&'static BuiltinDataset> {
    BUILTIN_DATASETS.iter().find(|d| d.id == id)
}

/// Why a dataset could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError(pub Message);

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DataError {}

/// Images with labels, all the same shape, stored as `u8` in N×C×H×W order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageSet {
    /// Class names; a label indexes this list.
    pub classes: Vec<String>,
    /// Channels per image (1 or 3).
    pub channels: usize,
    /// Side length of the square images.
    pub size: usize,
    /// Pixels, `len() * channels * size * size` bytes.
    pub pixels: Vec<u8>,
    /// One label per image.
    pub labels: Vec<u16>,
}

/// One image with its label, small enough to send to the page to draw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// Position in its image set.
    pub index: usize,
    /// True class.
    pub label: u16,
    /// Channels × size × size bytes, as stored.
    pub pixels: Vec<u8>,
}

impl Example {
    /// The image as an uncompressed 24-bit BMP file, which every browser shows without a canvas
    /// (drawing dozens of thumbnails through canvases costs the page's main thread ~150 ms).
    pub fn to_bmp(&self, channels: usize, size: usize) -> Vec<u8> {
        let plane = size * size;
        let row = (size * 3).div_ceil(4) * 4;
        let data_len = row * size;
        let mut bmp = Vec::with_capacity(54 + data_len);
        bmp.extend(b"BM");
        bmp.extend(((54 + data_len) as u32).to_le_bytes());
        bmp.extend([0u8; 4]);
        bmp.extend(54u32.to_le_bytes());
        bmp.extend(40u32.to_le_bytes());
        bmp.extend((size as i32).to_le_bytes());
        // A negative height stores rows top to bottom, the order the pixels are in.
        bmp.extend((-(size as i32)).to_le_bytes());
        bmp.extend(1u16.to_le_bytes());
        bmp.extend(24u16.to_le_bytes());
        bmp.extend([0u8; 4]); // no compression
        bmp.extend((data_len as u32).to_le_bytes());
        bmp.extend([0u8; 16]); // resolution and palette: unused
        for y in 0..size {
            for x in 0..size {
                let i = y * size + x;
                // BMP stores blue, green, red; grey images repeat their one channel.
                for c in [2, 1, 0] {
                    bmp.push(
                        self.pixels
                            .get((c % channels) * plane + i)
                            .copied()
                            .unwrap_or(0),
                    );
                }
            }
            bmp.extend(std::iter::repeat_n(0, row - size * 3));
        }
        bmp
    }
}

/// What a dataset holds, for the data panel: classes, counts, and a few images of each class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    /// Display name.
    pub name: String,
    /// Class names; a label indexes this list.
    pub classes: Vec<String>,
    /// Channels per image.
    pub channels: usize,
    /// Side length of the square images.
    pub size: usize,
    /// Training images per class.
    pub train_counts: Vec<usize>,
    /// Test images per class.
    pub test_counts: Vec<usize>,
    /// Up to `per_class` training images of each class, grouped by class.
    pub samples: Vec<Example>,
}

/// A dataset's train and test parts.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Display name.
    pub name: String,
    /// Images for training and validation.
    pub train: ImageSet,
    /// Held-out images, used once at the end of a run.
    pub test: ImageSet,
}

#[derive(Deserialize)]
struct TdsHeader {
    name: String,
    classes: Vec<String>,
    channels: usize,
    height: usize,
    width: usize,
    train: usize,
    test: usize,
}

/// Largest decompressed `.tds` accepted (guards against a gzip bomb).
const MAX_TDS_BYTES: u64 = 512 << 20;

impl Dataset {
    /// Class names and counts and the first `per_class` training images of each class.
    pub fn preview(&self, per_class: usize) -> Preview {
        let train = &self.train;
        let samples = (0..train.classes.len())
            .flat_map(|class| {
                (0..train.len())
                    .filter(move |&i| train.labels[i] as usize == class)
                    .take(per_class)
            })
            .map(|i| train.example(i))
            .collect();
        Preview {
            name: self.name.clone(),
            classes: train.classes.clone(),
            channels: train.channels,
            size: train.size,
            train_counts: train.class_counts(),
            test_counts: self.test.class_counts(),
            samples,
        }
    }

    /// Reads a gzip-compressed `.tds` file (see `scripts/make_datasets.py` for the layout).
    pub fn from_tds(compressed: &[u8]) -> Result<Self, DataError> {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(compressed)
            .take(MAX_TDS_BYTES + 1)
            .read_to_end(&mut raw)
            .map_err(|e| {
                DataError(msg!(
                    "the dataset file is not valid gzip: {e}",
                    e = e.to_string()
                ))
            })?;
        if raw.len() as u64 > MAX_TDS_BYTES {
            return Err(DataError(msg!("the dataset file is larger than 512 MB")));
        }
        let body = raw
            .strip_prefix(b"TDS1")
            .ok_or_else(|| DataError(msg!("the dataset file is not in Tradeoff's format")))?;
        let (len, body) = body
            .split_first_chunk::<4>()
            .ok_or_else(|| DataError(msg!("the dataset file is truncated")))?;
        let len = u32::from_le_bytes(*len) as usize;
        if len > body.len() {
            return Err(DataError(msg!("the dataset file is truncated")));
        }
        let (head, body) = body.split_at(len);
        let head: TdsHeader = serde_json::from_slice(head).map_err(|e| {
            DataError(msg!(
                "the dataset header is invalid: {e}",
                e = e.to_string()
            ))
        })?;
        if head.height != head.width || !matches!(head.channels, 1 | 3) || head.classes.len() < 2 {
            return Err(DataError(msg!(
                "the dataset needs square images, 1 or 3 channels and 2 or more classes"
            )));
        }
        let too_large = || DataError(msg!("the dataset header declares too large a size"));
        let image = head
            .channels
            .checked_mul(head.height)
            .and_then(|n| n.checked_mul(head.width))
            .ok_or_else(too_large)?;
        let count = head.train.checked_add(head.test).ok_or_else(too_large)?;
        let expected = count
            .checked_mul(image)
            .and_then(|n| n.checked_add(count))
            .ok_or_else(too_large)?;
        if body.len() != expected {
            return Err(DataError(msg!(
                "the dataset file should hold {count} images of {image} bytes and their labels",
                count = count,
                image = image
            )));
        }
        let (pixels, labels) = body.split_at(count * image);
        if let Some(&bad) = labels.iter().find(|&&l| l as usize >= head.classes.len()) {
            return Err(DataError(msg!("label {bad} has no class", bad = bad)));
        }
        let part = |range: std::ops::Range<usize>| ImageSet {
            classes: head.classes.clone(),
            channels: head.channels,
            size: head.height,
            pixels: pixels[range.start * image..range.end * image].to_vec(),
            labels: labels[range].iter().map(|&l| l as u16).collect(),
        };
        Ok(Dataset {
            name: head.name.clone(),
            train: part(0..head.train),
            test: part(head.train..count),
        })
    }
}

impl ImageSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes per image.
    pub fn image_len(&self) -> usize {
        self.channels * self.size * self.size
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.image_len();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// Image `i` with its label, as an owned [`Example`].
    pub fn example(&self, i: usize) -> Example {
        Example {
            index: i,
            label: self.labels[i],
            pixels: self.image(i).to_vec(),
        }
    }

    /// Images per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// The same images at another size and channel count (bilinear resize; grey↔RGB by
    /// replication or luminance). Returns a clone when the shape already matches.
    pub fn to_shape(&self, shape: InputShape) -> ImageSet {
        if shape.size == self.size && shape.channels == self.channels {
            return self.clone();
        }
        let (from, to) = (self.size, shape.size);
        let mut pixels = Vec::with_capacity(self.len() * shape.channels * to * to);
        let mut plane = vec![0f32; to * to];
        for i in 0..self.len() {
            let img = self.image(i);
            let planes: Vec<Vec<f32>> = (0..self.channels)
                .map(|c| {
                    resize_plane(
                        &img[c * from * from..(c + 1) * from * from],
                        from,
                        to,
                        &mut plane,
                    );
                    plane.clone()
                })
                .collect();
            for c in 0..shape.channels {
                let value = |p: usize| match (self.channels, shape.channels) {
                    (1, _) => planes[0][p],
                    (3, 1) => 0.299 * planes[0][p] + 0.587 * planes[1][p] + 0.114 * planes[2][p],
                    _ => planes[c][p],
                };
                pixels.extend((0..to * to).map(|p| value(p).round().clamp(0.0, 255.0) as u8));
            }
        }
        ImageSet {
            classes: self.classes.clone(),
            channels: shape.channels,
            size: to,
            pixels,
            labels: self.labels.clone(),
        }
    }

    /// Per-channel mean and standard deviation of the pixels (scaled to 0..1) of `indices`.
    pub fn normalisation(&self, indices: &[usize]) -> Normalisation {
        let plane = self.size * self.size;
        let mut sum = vec![0f64; self.channels];
        let mut sq = vec![0f64; self.channels];
        for &i in indices {
            for (c, chunk) in self.image(i).chunks(plane).enumerate() {
                for &p in chunk {
                    let v = p as f64 / 255.0;
                    sum[c] += v;
                    sq[c] += v * v;
                }
            }
        }
        let n = (indices.len() * plane).max(1) as f64;
        let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(q, &m)| ((q / n - (m as f64).powi(2)).max(1e-12).sqrt() as f32).max(1e-3))
            .collect();
        Normalisation { mean, std }
    }

    /// Builds one batch: normalised `f32` pixels (N×C×H×W) and labels, augmenting each image
    /// when `augment` is given.
    pub fn batch(
        &self,
        indices: &[usize],
        norm: &Normalisation,
        mut augment: Option<(&Augmentation, &mut Rng)>,
    ) -> (Vec<f32>, Vec<i64>) {
        let (side, plane) = (self.size, self.size * self.size);
        let mut xs = Vec::with_capacity(indices.len() * self.image_len());
        let mut ys = Vec::with_capacity(indices.len());
        for &i in indices {
            let img = self.image(i);
            let (mut flip, mut dx, mut dy, mut noise) = (false, 0isize, 0isize, 0f32);
            let mut turn: Option<(f32, f32)> = None;
            if let Some((aug, rng)) = augment.as_mut() {
                flip = aug.flip && rng.next_f64() < 0.5;
                if aug.shift > 0 {
                    let s = aug.shift as isize;
                    dx = rng.below(2 * aug.shift as u64 + 1) as isize - s;
                    dy = rng.below(2 * aug.shift as u64 + 1) as isize - s;
                }
                if aug.rotate > 0.0 {
                    let degrees = (rng.next_f64() * 2.0 - 1.0) * aug.rotate;
                    let (sin, cos) = degrees.to_radians().sin_cos();
                    turn = Some((sin as f32, cos as f32));
                }
                noise = aug.noise as f32;
            }
            let centre = (side as f32 - 1.0) / 2.0;
            for c in 0..self.channels {
                let (mean, std) = (norm.mean[c], norm.std[c]);
                let src = &img[c * plane..(c + 1) * plane];
                let at = |sx: isize, sy: isize| -> f32 {
                    let inside =
                        (0..side as isize).contains(&sx) && (0..side as isize).contains(&sy);
                    if inside {
                        src[sy as usize * side + sx as usize] as f32 / 255.0
                    } else {
                        0.0
                    }
                };
                for y in 0..side as isize {
                    for x in 0..side as isize {
                        let sx = if flip { side as isize - 1 - x } else { x } - dx;
                        let sy = y - dy;
                        let p = match turn {
                            None => at(sx, sy),
                            // The pixel this one came from, turned back about the centre,
                            // read between its four neighbours.
                            Some((sin, cos)) => {
                                let (u, v) = (sx as f32 - centre, sy as f32 - centre);
                                let fx = cos * u + sin * v + centre;
                                let fy = -sin * u + cos * v + centre;
                                let (x0, y0) = (fx.floor(), fy.floor());
                                let (wx, wy) = (fx - x0, fy - y0);
                                let (x0, y0) = (x0 as isize, y0 as isize);
                                (1.0 - wy) * ((1.0 - wx) * at(x0, y0) + wx * at(x0 + 1, y0))
                                    + wy * ((1.0 - wx) * at(x0, y0 + 1) + wx * at(x0 + 1, y0 + 1))
                            }
                        };
                        let mut v = (p - mean) / std;
                        if noise > 0.0
                            && let Some((_, rng)) = augment.as_mut()
                        {
                            v += noise * rng.gaussian() as f32;
                        }
                        xs.push(v);
                    }
                }
            }
            ys.push(self.labels[i] as i64);
        }
        (xs, ys)
    }
}

fn resize_plane(src: &[u8], from: usize, to: usize, out: &mut [f32]) {
    let scale = from as f32 / to as f32;
    for y in 0..to {
        let fy = ((y as f32 + 0.5) * scale - 0.5).clamp(0.0, (from - 1) as f32);
        let (y0, wy) = (fy.floor() as usize, fy.fract());
        let y1 = (y0 + 1).min(from - 1);
        for x in 0..to {
            let fx = ((x as f32 + 0.5) * scale - 0.5).clamp(0.0, (from - 1) as f32);
            let (x0, wx) = (fx.floor() as usize, fx.fract());
            let x1 = (x0 + 1).min(from - 1);
            let at = |yy: usize, xx: usize| src[yy * from + xx] as f32;
            let top = at(y0, x0) * (1.0 - wx) + at(y0, x1) * wx;
            let bottom = at(y1, x0) * (1.0 - wx) + at(y1, x1) * wx;
            out[y * to + x] = top * (1.0 - wy) + bottom * wy;
        }
    }
}

/// Per-channel statistics used to normalise pixels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normalisation {
    /// Mean of pixels scaled to 0..1, per channel.
    pub mean: Vec<f32>,
    /// Standard deviation, per channel.
    pub std: Vec<f32>,
}

impl Normalisation {
    /// No change: values stay pixels in 0..1.
    pub fn identity(channels: usize) -> Self {
        Self {
            mean: vec![0.0; channels],
            std: vec![1.0; channels],
        }
    }

    /// Per-channel `(scale, shift)` taking values normalised with `self` to values normalised
    /// with `other`: `x · scale + shift`.
    pub fn to(&self, other: &Normalisation) -> (Vec<f32>, Vec<f32>) {
        let scale: Vec<f32> = self
            .std
            .iter()
            .zip(&other.std)
            .map(|(a, b)| a / b)
            .collect();
        let shift = self
            .mean
            .iter()
            .zip(&other.mean)
            .zip(&other.std)
            .map(|((a, b), s)| (a - b) / s)
            .collect();
        (scale, shift)
    }
}

/// One value per channel as a tensor broadcast to `dims` (N×C×H×W) on `device`.
#[cfg(feature = "engine")]
pub fn per_channel(
    values: &[f32],
    dims: [usize; 4],
    device: &burn::tensor::Device,
) -> burn::tensor::Tensor<4> {
    let c = values.len();
    burn::tensor::Tensor::<4>::from_data(
        burn::tensor::TensorData::new(values.to_vec(), [1, c, 1, 1]),
        device,
    )
    .expand(dims)
}

/// A seeded split of a training set into training and validation indices.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// Indices used for gradient steps.
    pub train: Vec<usize>,
    /// Indices held out to measure generalisation each epoch.
    pub validation: Vec<usize>,
}

impl Split {
    /// Shuffles `0..len` with `seed` and holds out `fraction` of it (at least one image).
    pub fn new(len: usize, fraction: f64, seed: u64) -> Self {
        let mut order: Vec<usize> = (0..len).collect();
        Rng::new(seed ^ 0x5eed_5b17).shuffle(&mut order);
        let held = if len < 2 {
            0
        } else {
            ((len as f64 * fraction).round() as usize).clamp(1, len - 1)
        };
        let validation = order.split_off(len - held);
        Split {
            train: order,
            validation,
        }
    }
}
