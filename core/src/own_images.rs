//! The user's own images: named classes of images kept in the browser, how dropped folders and
//! archives name classes, how a photo is fitted into a square, and the dataset trained on.

use crate::i18n::{Message, ToMessage, key};
use crate::msg;
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, Example, ImageSet};

/// Side of the stored images: each is kept as 64×64 RGB and resized to the run's input size
/// (28, 32, 48 or 64, grey or colour) when a run starts.
pub const STORE_SIZE: usize = 64;
/// Bytes of one stored image (RGB planes).
pub const STORE_BYTES: usize = 3 * STORE_SIZE * STORE_SIZE;
/// Most images kept.
pub const MAX_IMAGES: usize = 10_000;
/// Most classes.
pub const MAX_CLASSES: usize = 50;
/// Longest class name, in characters.
pub const MAX_CLASS_NAME: usize = 40;
/// About one image in this many of each class is held out as the test set.
pub const TEST_EVERY: usize = 5;
/// Seed of the held-out split: fixed, so every run of the same images tests on the same ones.
const SPLIT_SEED: u64 = 0x7e57_5b11_7000_0001;
/// Skipped files an import report lists one by one; the rest are counted.
pub const LISTED_SKIPS: usize = 40;
/// Side of the thumbnails sent to the page.
pub const THUMB_SIZE: usize = 32;
/// Dataset id of the user's own images in configs and links.
pub const OWN_IMAGES_DATASET: &str = "local";

/// How a photo that is not square becomes a square.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Keep the centre square, cutting the long side.
    #[default]
    Crop,
    /// Keep the whole photo, with black bars on the short side.
    Pad,
}

/// Where to draw a `width`×`height` photo into the [`STORE_SIZE`] square: the source rectangle
/// `(x, y, w, h)` and the destination rectangle, in pixels.
pub fn fit_rect(width: f64, height: f64, fit: Fit) -> ([f64; 4], [f64; 4]) {
    let side = STORE_SIZE as f64;
    match fit {
        Fit::Crop => {
            let s = width.min(height);
            (
                [(width - s) / 2.0, (height - s) / 2.0, s, s],
                [0.0, 0.0, side, side],
            )
        }
        Fit::Pad => {
            let scale = side / width.max(height);
            let (w, h) = (width * scale, height * scale);
            (
                [0.0, 0.0, width, height],
                [(side - w) / 2.0, (side - h) / 2.0, w, h],
            )
        }
    }
}

/// RGBA pixels, row by row (as a canvas gives them), to stored RGB planes.
pub fn rgba_to_planes(rgba: &[u8]) -> Vec<u8> {
    let n = rgba.len() / 4;
    let mut planes = vec![0; 3 * n];
    for (i, px) in rgba.chunks_exact(4).enumerate() {
        for c in 0..3 {
            planes[c * n + i] = px[c];
        }
    }
    planes
}

/// A class name as typed, tidied, or why it cannot be one.
pub fn class_name(raw: &str) -> Result<String, Message> {
    let name: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        return Err(msg!("a class needs a name"));
    }
    if name.chars().count() > MAX_CLASS_NAME {
        return Err(msg!(
            "a class name has at most {MAX_CLASS_NAME} characters",
            MAX_CLASS_NAME = MAX_CLASS_NAME
        ));
    }
    Ok(name)
}

/// A folder's name as a class name: shortened (with "…") when too long.
pub fn folder_class_name(folder: &str) -> String {
    let short: String = folder.chars().take(MAX_CLASS_NAME - 1).collect();
    let name = if folder.chars().count() > MAX_CLASS_NAME {
        format!("{short}…")
    } else {
        folder.to_string()
    };
    class_name(&name).unwrap_or_else(|_| "unnamed".into())
}

/// The class each of a drop's files belongs to, named by its folder the way Keras'
/// `flow_from_directory` reads a tree: one sub-folder per class, images anywhere below it.
/// A folder that wraps the whole drop (`photos/cat/1.jpg`, `photos/dog/2.jpg`) is looked
/// through; files outside any folder get `None` (the class they were dropped on).
pub fn classes_from_paths(paths: &[Vec<String>]) -> Vec<Option<String>> {
    let mut skip = 0;
    loop {
        let first = paths.first().and_then(|p| p.get(skip));
        let shared = first.is_some()
            && paths
                .iter()
                .all(|p| p.len() >= skip + 3 && p.get(skip) == first);
        if !shared {
            break;
        }
        skip += 1;
    }
    paths
        .iter()
        .map(|p| (p.len() >= skip + 2).then(|| folder_class_name(&p[skip])))
        .collect()
}

/// A class of the user's images.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnClass {
    /// Stable id.
    pub id: u32,
    /// Its name.
    pub name: String,
}

/// One of the user's images, as kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnImage {
    /// Stable id.
    pub id: u32,
    /// Id of its class.
    pub class: u32,
    /// The file it came from (for messages).
    pub name: String,
    /// [`STORE_BYTES`] bytes: RGB planes of [`STORE_SIZE`]².
    pub pixels: Vec<u8>,
    /// The burst it came in: images added by one drop, one pick or one webcam recording share
    /// it, and the held-out split keeps a burst on one side (a burst's frames are near copies).
    /// 0 for images kept before bursts were recorded: each is then a burst of its own.
    #[serde(default)]
    pub burst: u32,
}

impl OwnImage {
    /// Its burst, an image kept without one being a burst of its own.
    fn burst_key(&self) -> u64 {
        if self.burst == 0 {
            u64::from(self.id) << 32
        } else {
            u64::from(self.burst)
        }
    }
}

/// Where `key` falls in the held-out split's fixed shuffle. A key's place does not depend on
/// the others, so adding images never moves earlier ones between the sides.
fn split_rank(key: u64) -> u64 {
    crate::rng::Rng::new(SPLIT_SEED ^ key).next_u64()
}

/// The user's classes and images.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnImages {
    /// Classes in the order made.
    pub classes: Vec<OwnClass>,
    /// Images in the order added.
    pub images: Vec<OwnImage>,
    next_id: u32,
    /// Most images kept: [`MAX_IMAGES`] in a browser tab.
    limit: usize,
}

impl Default for OwnImages {
    fn default() -> Self {
        Self {
            classes: Vec::new(),
            images: Vec::new(),
            next_id: 0,
            limit: MAX_IMAGES,
        }
    }
}

/// One class as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassSummary {
    /// Class id.
    pub id: u32,
    /// Name.
    pub name: String,
    /// Images in it.
    pub count: usize,
    /// Its latest images as [`THUMB_SIZE`] thumbnails; `index` is the image id.
    pub samples: Vec<Example>,
}

/// What the page shows of the user's images.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OwnImagesSummary {
    /// Classes in order.
    pub classes: Vec<ClassSummary>,
    /// Images in all.
    pub total: usize,
    /// Why these images cannot be trained on yet (empty when they can).
    pub problems: Vec<Message>,
    /// What weakens the test without stopping a run (a class added in one burst).
    #[serde(default)]
    pub warnings: Vec<Message>,
}

impl OwnImages {
    /// Rebuilds the collection from what was kept.
    pub fn from_parts(classes: Vec<OwnClass>, mut images: Vec<OwnImage>) -> Self {
        images.retain(|i| i.pixels.len() == STORE_BYTES && classes.iter().any(|c| c.id == i.class));
        images.sort_by_key(|i| i.id);
        let next_id = classes
            .iter()
            .map(|c| c.id)
            .chain(images.iter().map(|i| i.id))
            .max()
            .map_or(1, |m| m + 1);
        OwnImages {
            classes,
            images,
            next_id,
            limit: MAX_IMAGES,
        }
    }

    /// The same, keeping up to `limit` images: the command-line runner, outside a tab's
    /// memory, takes more than [`MAX_IMAGES`].
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Most images kept.
    pub fn limit(&self) -> usize {
        self.limit
    }

    fn take_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id - 1
    }

    /// The class called `name` (ignoring case), if any.
    pub fn class_named(&self, name: &str) -> Option<u32> {
        let name = name.to_lowercase();
        self.classes
            .iter()
            .find(|c| c.name.to_lowercase() == name)
            .map(|c| c.id)
    }

    /// The class an imported file goes to: the one its folder names (made if new, and then
    /// returned so it can be kept), or else the one it was dropped on.
    pub fn class_for(
        &mut self,
        folder: Option<&str>,
        dropped_on: Option<u32>,
    ) -> Result<(u32, Option<OwnClass>), Message> {
        match folder {
            Some(name) => match self.class_named(name) {
                Some(id) => Ok((id, None)),
                None => self
                    .add_class(name)
                    .map(|c| (c.id, Some(c)))
                    .map_err(|why| msg!("its folder “{name}” cannot be a class: {why}", name = name, why = why)),
            },
            None => dropped_on.map(|id| (id, None)).ok_or_else(|| {
                msg!("it is not in a class folder: drop it on a class, or put it in a folder named after its class")
            }),
        }
    }

    /// Makes a class; refuses a bad or duplicate name and more than [`MAX_CLASSES`].
    pub fn add_class(&mut self, raw: &str) -> Result<OwnClass, Message> {
        let name = class_name(raw)?;
        if self.class_named(&name).is_some() {
            return Err(msg!(
                "there is already a class called “{name}”",
                name = name
            ));
        }
        if self.classes.len() >= MAX_CLASSES {
            return Err(msg!(
                "at most {MAX_CLASSES} classes",
                MAX_CLASSES = MAX_CLASSES
            ));
        }
        let class = OwnClass {
            id: self.take_id(),
            name,
        };
        self.classes.push(class.clone());
        Ok(class)
    }

    /// Renames class `id`; refuses a bad name or one another class has.
    pub fn rename_class(&mut self, id: u32, raw: &str) -> Result<OwnClass, Message> {
        let name = class_name(raw)?;
        if self.class_named(&name).is_some_and(|other| other != id) {
            return Err(msg!(
                "there is already a class called “{name}”",
                name = name
            ));
        }
        let class = self
            .classes
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| msg!("that class no longer exists"))?;
        class.name = name;
        Ok(class.clone())
    }

    /// Removes class `id` and its images; returns the ids of the images removed.
    pub fn remove_class(&mut self, id: u32) -> Vec<u32> {
        self.classes.retain(|c| c.id != id);
        let removed = self
            .images
            .iter()
            .filter(|i| i.class == id)
            .map(|i| i.id)
            .collect();
        self.images.retain(|i| i.class != id);
        removed
    }

    /// Removes image `id`; whether it was there.
    pub fn remove_image(&mut self, id: u32) -> bool {
        let before = self.images.len();
        self.images.retain(|i| i.id != id);
        self.images.len() != before
    }

    /// Room left before the limit ([`MAX_IMAGES`] unless [`OwnImages::with_limit`] says).
    pub fn room(&self) -> usize {
        self.limit.saturating_sub(self.images.len())
    }

    /// A new burst id, for the images of one drop, pick or webcam recording.
    pub fn new_burst(&mut self) -> u32 {
        self.take_id()
    }

    /// Adds an image of [`STORE_BYTES`] bytes to class `class`, as part of `burst` (from
    /// [`OwnImages::new_burst`]).
    pub fn add_image(
        &mut self,
        class: u32,
        name: &str,
        pixels: Vec<u8>,
        burst: u32,
    ) -> Result<&OwnImage, Message> {
        if pixels.len() != STORE_BYTES {
            return Err(msg!("the image has the wrong size"));
        }
        if !self.classes.iter().any(|c| c.id == class) {
            return Err(msg!("that class no longer exists"));
        }
        if self.room() == 0 {
            return Err(msg!(
                "the limit of {MAX_IMAGES} images is reached",
                MAX_IMAGES = self.limit
            ));
        }
        let id = self.take_id();
        self.images.push(OwnImage {
            id,
            class,
            name: name.to_string(),
            pixels,
            burst,
        });
        Ok(self.images.last().expect("just pushed"))
    }

    /// Images per class, in class order.
    pub fn counts(&self) -> Vec<usize> {
        self.classes
            .iter()
            .map(|c| self.images.iter().filter(|i| i.class == c.id).count())
            .collect()
    }

    /// Why these images cannot be trained on yet; empty when they can.
    pub fn problems(&self) -> Vec<Message> {
        let mut problems = Vec::new();
        if self.classes.len() < 2 {
            problems.push(match self.classes.first() {
                None => msg!("a classifier needs at least 2 classes; there are none yet"),
                Some(only) => msg!(
                    "a classifier needs at least 2 classes; there is only “{}”",
                    only.name
                ),
            });
        }
        for (class, count) in self.classes.iter().zip(self.counts()) {
            if count < 2 {
                problems.push(if count == 1 {
                    msg!(
                        "class “{}” has 1 image; each class needs at least 2 (one to learn from, one to test on)",
                        class.name
                    )
                } else {
                    msg!(
                        "class “{}” has no images; each class needs at least 2 (one to learn from, one to test on)",
                        class.name
                    )
                });
            }
        }
        problems
    }

    /// The images of class `class` held out for the test: about one in [`TEST_EVERY`] (at
    /// least one, never all), whole bursts at a time, picked by a fixed shuffle, so the same
    /// images every time, and never a near copy of a training image on the other side. A class
    /// that came in one burst has to be split inside it: [`OwnImages::split_warnings`] says so.
    fn held_out(&self, class: u32) -> Vec<u32> {
        let images: Vec<&OwnImage> = self.images.iter().filter(|i| i.class == class).collect();
        let count = images.len();
        let target = count
            .div_ceil(TEST_EVERY)
            .max(1)
            .min(count.saturating_sub(1));
        // Grouped in a map: a class of 10,000 images kept before bursts is 10,000 bursts.
        let mut grouped: std::collections::BTreeMap<u64, Vec<u32>> = Default::default();
        for image in &images {
            grouped.entry(image.burst_key()).or_default().push(image.id);
        }
        let mut bursts: Vec<(u64, Vec<u32>)> = grouped.into_iter().collect();
        if bursts.len() < 2 {
            let mut ids: Vec<u32> = images.iter().map(|i| i.id).collect();
            ids.sort_by_key(|&id| split_rank(u64::from(id) << 32));
            ids.truncate(target);
            return ids;
        }
        bursts.sort_by_key(|(key, _)| split_rank(*key));
        let mut held: Vec<u32> = Vec::new();
        for (_, ids) in &bursts {
            if held.len() + ids.len() <= target {
                held.extend(ids);
            }
        }
        if held.is_empty() {
            // Every burst is over the share: hold out the smallest (at most half the class).
            let smallest = bursts
                .iter()
                .min_by_key(|(_, ids)| ids.len())
                .expect("2 bursts");
            held.extend(&smallest.1);
        }
        held
    }

    /// Classes whose test images cannot be kept apart from their training images, because all
    /// of the class came in one burst (one recording or one drop).
    pub fn split_warnings(&self) -> Vec<Message> {
        self.classes
            .iter()
            .filter(|c| {
                let mut bursts = self
                    .images
                    .iter()
                    .filter(|i| i.class == c.id)
                    .map(OwnImage::burst_key);
                bursts.next().is_some_and(|first| bursts.all(|b| b == first))
                    && self.images.iter().filter(|i| i.class == c.id).count() >= 2
            })
            .map(|c| {
                msg!(
                    "all of class “{}” came in one drop or recording, so its test images come from the same batch as its training images: if they are near copies (webcam frames, burst photos), the test accuracy flatters the model",
                    c.name
                )
            })
            .collect()
    }

    /// The dataset a run trains on: about one image in [`TEST_EVERY`] of each class is held out
    /// for the test (see [`OwnImages::held_out`]), the same ones every time.
    pub fn to_dataset(&self) -> Result<Dataset, Message> {
        let problems = self.problems();
        if !problems.is_empty() {
            let problems = Message::list(problems);
            return Err(msg!("your images cannot be trained on yet: {}", problems));
        }
        let names: Vec<String> = self.classes.iter().map(|c| c.name.clone()).collect();
        let empty = || ImageSet {
            classes: names.clone(),
            channels: 3,
            size: STORE_SIZE,
            pixels: Vec::new(),
            labels: Vec::new(),
        };
        let (mut train, mut test) = (empty(), empty());
        for (label, class) in self.classes.iter().enumerate() {
            let held: std::collections::HashSet<u32> =
                self.held_out(class.id).into_iter().collect();
            for image in self.images.iter().filter(|i| i.class == class.id) {
                let set = if held.contains(&image.id) {
                    &mut test
                } else {
                    &mut train
                };
                set.pixels.extend(&image.pixels);
                set.labels.push(label as u16);
            }
        }
        Ok(Dataset {
            name: key("Your images").to_string(),
            train,
            test,
        })
    }

    /// Classes, counts, the latest `per_class` thumbnails of each, and what stops training.
    pub fn summary(&self, per_class: usize) -> OwnImagesSummary {
        let classes = self
            .classes
            .iter()
            .zip(self.counts())
            .enumerate()
            .map(|(label, (class, count))| {
                let mut samples: Vec<Example> = self
                    .images
                    .iter()
                    .rev()
                    .filter(|i| i.class == class.id)
                    .take(per_class)
                    .map(|i| Example {
                        index: i.id as usize,
                        label: label as u16,
                        pixels: thumbnail(&i.pixels),
                    })
                    .collect();
                samples.reverse();
                ClassSummary {
                    id: class.id,
                    name: class.name.clone(),
                    count,
                    samples,
                }
            })
            .collect();
        OwnImagesSummary {
            classes,
            total: self.images.len(),
            problems: self.problems(),
            warnings: self.split_warnings(),
        }
    }
}

/// A stored image halved to [`THUMB_SIZE`] by averaging 2×2 blocks.
fn thumbnail(pixels: &[u8]) -> Vec<u8> {
    let (s, t) = (STORE_SIZE, THUMB_SIZE);
    let mut out = Vec::with_capacity(3 * t * t);
    for c in 0..3 {
        let plane = &pixels[c * s * s..(c + 1) * s * s];
        for y in 0..t {
            for x in 0..t {
                let at = |dy: usize, dx: usize| plane[(2 * y + dy) * s + 2 * x + dx] as u32;
                out.push(((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1) + 2) / 4) as u8);
            }
        }
    }
    out
}

/// What an import did, for the page to tell the user.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Images added.
    pub added: usize,
    /// Classes made from folder names.
    pub new_classes: Vec<String>,
    /// Files not added, each as "name: why".
    pub skipped: Vec<Message>,
    /// Images left out because the limit was reached.
    pub over_limit: usize,
    /// That limit ([`MAX_IMAGES`] in the page; reports kept before it was written read 0).
    #[serde(default)]
    pub limit: usize,
    /// Files skipped beyond those listed in `skipped`.
    pub unlisted: usize,
}

impl ImportReport {
    /// Notes a file not added and why; past [`LISTED_SKIPS`] files are only counted, so a
    /// drop of 10,000 wrong files gives a readable report.
    pub fn skip(&mut self, file: &str, why: impl ToMessage) {
        if self.skipped.len() < LISTED_SKIPS {
            self.skipped
                .push(msg!("{file}: {why}", file = file, why = why));
        } else {
            self.unlisted += 1;
        }
    }

    /// Notes an image left out because `limit` images are kept already.
    pub fn over(&mut self, limit: usize) {
        self.over_limit += 1;
        self.limit = limit;
    }

    /// The report in sentences: what was added, then each kind of problem.
    pub fn sentences(&self) -> Vec<Message> {
        let mut out = vec![match (self.added, self.new_classes.is_empty()) {
            (1, true) => msg!("Added 1 image."),
            (n, true) => msg!("Added {n} images.", n = n),
            (1, false) => msg!(
                "Added 1 image and the classes {}.",
                self.new_classes.join(", ")
            ),
            (n, false) => msg!(
                "Added {n} images and the classes {}.",
                self.new_classes.join(", "),
                n = n
            ),
        }];
        if self.over_limit > 0 {
            out.push(msg!(
                "The limit is {MAX_IMAGES} images: {} were taken and {} were not.",
                self.added,
                self.over_limit,
                MAX_IMAGES = self.limit
            ));
        }
        out.extend(self.skipped.iter().map(|s| msg!("Skipped {s}.", s = s)));
        if self.unlisted > 0 {
            out.push(msg!("{} more files were skipped.", self.unlisted));
        }
        out
    }
}
