"""PyTorch (CPU, 2 threads) training the reference CNN on the same MNIST images, the native peer
of `cargo run -p tradeoff-core --example cpu_backends`: batch 64, Adam 1e-3, 3 warm-up steps,
then the median of 3 runs of 20 steps, the loss read back every step. Run by
`BENCH=native scripts/bench`, which installs PyTorch from PyPI into bench/.venv first.

`--model conv32-conv64` trains the larger model of the runner's benchmark instead (Tradeoff's
`c32k3p1-p2-c64k3p1-p2-d128` on the 32×32 colour emoji set), the peer of
`tradeoff train --backend cpu|wgpu` (docs/BENCHMARKS.md, "The command-line runner").

Prints one line: `pytorch <ms/step> ms/step <images/s> images/s`.
"""
import sys

import gzip
import json
import pathlib
import statistics
import struct
import time

import numpy as np
import torch
from torch import nn

BATCH = 64
THREADS = 2


def tds(path):
    """Training images (N×C×H×W, scaled like Tradeoff's: mean 0, variance 1) and labels."""
    raw = gzip.decompress(path.read_bytes())
    assert raw[:4] == b"TDS1", "not a Tradeoff dataset file"
    (length,) = struct.unpack("<I", raw[4:8])
    head = json.loads(raw[8 : 8 + length])
    body = np.frombuffer(raw, dtype=np.uint8, offset=8 + length)
    count, side, channels = head["train"] + head["test"], head["height"], head.get("channels", 1)
    size = count * channels * side * side
    pixels = body[:size].reshape(count, channels, side, side)[: head["train"]]
    labels = body[size:][: head["train"]]
    images = pixels.astype(np.float32) / 255.0
    images = (images - images.mean()) / images.std()
    return torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))


def main():
    torch.set_num_threads(THREADS)
    torch.manual_seed(7)
    root = pathlib.Path(__file__).resolve().parent.parent
    if "conv32-conv64" in sys.argv[1:]:
        images, labels = tds(root / "static" / "datasets" / "emoji.tds")
        model = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 9),
        )
        assert sum(p.numel() for p in model.parameters()) == 544_969, "not conv32-conv64"
    else:
        images, labels = tds(root / "static" / "datasets" / "mnist.tds")
        model = nn.Sequential(
            nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 10),
        )
        assert sum(p.numel() for p in model.parameters()) == 27_562, "not the reference CNN"
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    batches = len(images) // BATCH

    def step(i):
        start = (i % batches) * BATCH
        x, y = images[start : start + BATCH], labels[start : start + BATCH]
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    for i in range(3):
        step(i)
    runs = []
    for r in range(3):
        started = time.perf_counter()
        for i in range(20):
            step(3 + r * 20 + i)
        runs.append((time.perf_counter() - started) * 1000 / 20)
    ms = statistics.median(runs)
    print(f"pytorch  {ms:7.2f} ms/step  {BATCH * 1000 / ms:7.0f} images/s  (torch {torch.__version__}, {THREADS} threads)")


if __name__ == "__main__":
    main()
