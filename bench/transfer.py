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


def rows(frozen, starts):
    """Scratch, then each pretrained start fine-tuned and with its first `frozen` layers (its
    convolutions and pools) frozen."""
    out = [("scratch", None, 0)]
    for start in starts:
        out += [(f"{start}, fine-tuned", f"pre:{start}", 0),
                (f"{start}, convolutions frozen", f"pre:{start}", frozen)]
    return out


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
        for title, shape, stack, frozen, starts in [
            (f"Photos: brick, grass, gravel, {args.per_class} per class, 32×32 colour", "32x3",
             EMOJI_STACK, 6, ["emoji-cnn"]),
            ("The same photos in 28×28 grey, from the grey starts", "28x1",
             DIGIT_STACK, 4, ["mnist-cnn", "fashion-cnn"]),
        ]:
            base = (f"v=1&ds=local&in={shape}&layers={stack}&opt=adam&lr=1e-3&bs=32"
                    f"&ep={args.epochs}&seed=7")
            table(title, base, rows(frozen, starts), ["--data", photos], args.epochs)
    base = f"v=1&ds=fashion-mnist&in=28x1&layers={DIGIT_STACK}&opt=adam&lr=1e-3&bs=64&ep=1&seed=7"
    table("Fashion-MNIST, 8,000 training images", base, rows(4, ["mnist-cnn"]), [], 1)

if __name__ == "__main__":
    main()
