#!/usr/bin/env python3
"""Distillation, ensembles and robustness, measured with the command-line runner
(docs/BENCHMARKS.md, "Distillation, ensembles, robustness"):

    cargo build -p tradeoff-cli && python3 bench/levers.py [--members 5]

On built-in MNIST (8,000 training images) and the emoji set (32×32 colour):
- a small student alone and distilled from the reference model (the pretrained MNIST CNN the
  page ships; on emoji, a reference CNN trained here first and saved);
- ensembles of 1 to k reference CNNs (seeds 7, 8, …): accuracy and latency;
- clean, noisy and FGSM accuracy with and without adversarial training (half of each batch).

Each row is one seeded run on the CPU of this machine.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(ROOT, "target", "debug", "tradeoff")

SETS = {
    "mnist": {
        "base": "v=1&ds=mnist&in=28x1&opt=adam&lr=3e-3&bs=64&seed=7",
        "reference": "c8k3-p2-c16k3-p2-d64",
        "student": "d16",
        "epochs": 3,
    },
    "emoji": {
        "base": "v=1&ds=emoji&in=32x3&opt=adam&lr=3e-3&bs=32&seed=7",
        "reference": "c16k3p1-p2-c32k3p1-p2-c32k3p1-p2-d32",
        "student": "d32",
        "epochs": 15,
    },
}


def runs(link, extra=()):
    """Trains `link` with the runner; returns every finished record it printed (members, then
    ensembles)."""
    out = subprocess.run(
        [RUNNER, "train", "--url", link, "--backend", "cpu", "--json", *extra],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout
    return [json.loads(l) for l in out.splitlines() if '"finished"' in l]


def pct(x):
    return "—" if x is None else f"{x * 100:.1f} %"


def distillation(name, s, teacher_file):
    link = f"{s['base']}&layers={s['student']}&ep={s['epochs']}"
    print(f"\n{name}: student {s['student']}, {s['epochs']} epochs, teacher {s['reference']}\n")
    print("| student | test accuracy | parameters | training time |")
    print("|---|---|---|---|")
    for label, extra in [("alone", []),
                         ("distilled, T 4, α 0.7", ["--teacher", teacher_file]),
                         ("distilled, T 1, α 0.7", ["--teacher", teacher_file])]:
        l = link + ("&temp=1" if "T 1" in label else "")
        r = runs(l, extra)[-1]["summary"]
        print(f"| {label} | {pct(r['test_accuracy'])} | {r['params']:,} | {r['train_seconds']:.1f} s |",
              flush=True)


def ensembles(name, s, members):
    link = f"{s['base']}&layers={s['reference']}&ep={s['epochs']}"
    records = runs(link, ["--members", str(members)])
    singles, groups = records[:members], records[members:]
    print(f"\n{name}: ensembles of the reference CNN, {s['epochs']} epochs each\n")
    print("| models | test accuracy | members' mean | latency, batch 1 | latency, batch 64 | parameters |")
    print("|---|---|---|---|---|---|")
    first = singles[0]["summary"]
    print(f"| 1 | {pct(first['test_accuracy'])} | {pct(first['test_accuracy'])} | "
          f"{first['latency_ms_batch1']:.3f} ms | {first['latency_ms_batch64']:.4f} ms | {first['params']:,} |")
    for k, g in enumerate(groups, start=2):
        r = g["summary"]
        mean = sum(x["summary"]["test_accuracy"] for x in singles[:k]) / k
        print(f"| {k} | {pct(r['test_accuracy'])} | {pct(mean)} | {r['latency_ms_batch1']:.3f} ms | "
              f"{r['latency_ms_batch64']:.4f} ms | {r['params']:,} |", flush=True)


def robustness(name, s):
    link = f"{s['base']}&layers={s['reference']}&ep={s['epochs']}"
    print(f"\n{name}: the reference CNN, noise σ 0.3, FGSM ε 0.1\n")
    print("| training | clean | under noise | under FGSM | training time |")
    print("|---|---|---|---|---|")
    for label, extra in [("plain", ""), ("adversarial, half of each batch", "&adv=0.5")]:
        r = runs(link + extra)[-1]["summary"]
        print(f"| {label} | {pct(r['test_accuracy'])} | {pct(r.get('noise_accuracy'))} | "
              f"{pct(r.get('fgsm_accuracy'))} | {r['train_seconds']:.1f} s |", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5)
    args = parser.parse_args()
    if not os.path.exists(RUNNER):
        sys.exit(f"{RUNNER} is missing: cargo build -p tradeoff-cli")
    with tempfile.TemporaryDirectory() as tmp:
        for name, s in SETS.items():
            if name == "mnist":
                teacher = os.path.join(ROOT, "static", "pretrained", "mnist-cnn.safetensors")
            else:
                teacher = os.path.join(tmp, f"{name}-teacher.safetensors")
                runs(f"{s['base']}&layers={s['reference']}&ep={s['epochs']}", ["--save", teacher])
            distillation(name, s, teacher)
            ensembles(name, s, args.members)
            robustness(name, s)


if __name__ == "__main__":
    main()
