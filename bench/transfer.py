#!/usr/bin/env python3
"""Transfer learning, measured with the command-line runner (docs/BENCHMARKS.md, "Transfer
learning"): test accuracy and training time from scratch and from the pretrained starts the
page ships, fine-tuned and with the transferred layers frozen.

    cargo build -p tradeoff-cli && python3 bench/transfer.py [--per-class 40] [--epochs 3]

Three cases: the project's CC0 photo fixtures (brick, grass, gravel; a few dozen photos per
class, made by tests/fixtures/make_photos.py) in 32×32 colour from the colour CNN trained on
the emoji set, the same photos in 28×28 grey from the reference CNN trained on MNIST digits and
on Fashion-MNIST, and Fashion-MNIST from the MNIST one. Each row is one run on the CPU of
this machine, with the same seed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(ROOT, "target", "debug", "tradeoff")

EMOJI_STACK = "c16k3p1-p2-c32k3p1-p2-c32k3p1-p2-d32"
DIGIT_STACK = "c8k3-p2-c16k3-p2-d64"


def run(link, extra):
    """Trains `link` with the runner; returns (test accuracy, training seconds)."""
    out = subprocess.run(
        [RUNNER, "train", "--url", link, "--backend", "cpu", "--json", *extra],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout
    finished = [json.loads(l) for l in out.splitlines() if '"finished"' in l][-1]
    s = finished["summary"]
    return s["test_accuracy"], s["train_seconds"]


def table(title, base, starts, extra, epochs):
    print(f"\n{title} ({epochs} epochs)\n")
    print("| start | frozen layers | test accuracy | training time |")
    print("|---|---|---|---|")
    for label, start, freeze in starts:
        link = base + (f"&start={start}" if start else "") + (f"&freeze={freeze}" if freeze else "")
        accuracy, seconds = run(link, extra)
        print(f"| {label} | {freeze} | {accuracy * 100:.1f} % | {seconds:.2f} s |", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-class", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    if not os.path.exists(RUNNER):
        sys.exit(f"{RUNNER} is missing: cargo build -p tradeoff-cli")
    with tempfile.TemporaryDirectory() as photos:
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "fixtures", "make_photos.py"),
                        "--out", photos, "--per-class", str(args.per_class)], check=True,
                       capture_output=True)
        base = (f"v=1&ds=local&in=32x3&layers={EMOJI_STACK}&opt=adam&lr=1e-3&bs=32"
                f"&ep={args.epochs}&seed=7")
        table(f"Photos: brick, grass, gravel, {args.per_class} per class, 32×32 colour", base, [
            ("scratch", None, 0),
            ("emoji-cnn, fine-tuned", "pre:emoji-cnn", 0),
            ("emoji-cnn, convolutions frozen", "pre:emoji-cnn", 6),
        ], ["--data", photos], args.epochs)
        base = (f"v=1&ds=local&in=28x1&layers={DIGIT_STACK}&opt=adam&lr=1e-3&bs=32"
                f"&ep={args.epochs}&seed=7")
        table(f"The same photos in 28×28 grey, from the grey starts", base, [
            ("scratch", None, 0),
            ("mnist-cnn, fine-tuned", "pre:mnist-cnn", 0),
            ("mnist-cnn, convolutions frozen", "pre:mnist-cnn", 4),
            ("fashion-cnn, fine-tuned", "pre:fashion-cnn", 0),
            ("fashion-cnn, convolutions frozen", "pre:fashion-cnn", 4),
        ], ["--data", photos], args.epochs)
    base = f"v=1&ds=fashion-mnist&in=28x1&layers={DIGIT_STACK}&opt=adam&lr=1e-3&bs=64&ep=1&seed=7"
    table("Fashion-MNIST, 8,000 training images", base, [
        ("scratch", None, 0),
        ("mnist-cnn, fine-tuned", "pre:mnist-cnn", 0),
        ("mnist-cnn, convolutions frozen", "pre:mnist-cnn", 4),
    ], [], 1)


if __name__ == "__main__":
    main()
