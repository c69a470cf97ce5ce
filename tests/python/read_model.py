"""Runs a model file downloaded from Tradeoff in NumPy, from the file alone.

    python3 tests/python/read_model.py DIR

DIR holds `model.safetensors` (as the page's "Download model" or `tradeoff train --save` writes
it) and `check.json` (raw test images and the predictions Burn made for them; written by
`cargo test -p tradeoff-core --test weights`). The weights are read with the `safetensors`
package, the layer stack and the input normalisation come from the file's metadata, and the
forward pass is written out in NumPy. Exits non-zero unless every prediction matches Burn's.
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
from safetensors import safe_open

BN_EPSILON = 1e-5  # as the file's "layout" metadata says


def conv2d(x, weight, bias, stride, padding):
    """x [n, c, h, w], weight [f, c, k, k] (PyTorch's layout) → [n, f, h', w']."""
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, w = x.shape
    f, _, k, _ = weight.shape
    out_h, out_w = (h - k) // stride + 1, (w - k) // stride + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, :out_h, :out_w]  # [n, c, oh, ow, k, k]
    y = np.einsum("nchwij,fcij->nfhw", windows, weight, optimize=True)
    return y + bias[None, :, None, None]


def pool2d(x, size, reduce):
    n, c, h, w = x.shape
    h, w = h // size, w // size
    x = x[:, :, : h * size, : w * size].reshape(n, c, h, size, w, size)
    return reduce(x, axis=(3, 5))


def batch_norm(x, tensors, prefix):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = tensors[prefix + "running_mean"].reshape(shape)
    var = tensors[prefix + "running_var"].reshape(shape)
    gamma = tensors[prefix + "gamma"].reshape(shape)
    beta = tensors[prefix + "beta"].reshape(shape)
    return (x - mean) / np.sqrt(var + BN_EPSILON) * gamma + beta


ERF = np.vectorize(math.erf)
ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "gelu": lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2))),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
}


def forward(images, config, tensors):
    """Class logits for normalised `images`, block by block as the file's config lists them."""
    x = images
    for i, layer in enumerate(config["layers"]):
        kind = layer["kind"]
        if kind == "conv":
            p = f"blocks.{i}.Conv."
            x = conv2d(x, tensors[p + "conv.weight"], tensors[p + "conv.bias"],
                       layer["stride"], layer["padding"])
            if layer["batch_norm"]:
                x = batch_norm(x, tensors, p + "norm.")
            x = ACTIVATIONS[layer["activation"]](x)
        elif kind == "pool":
            x = pool2d(x, layer["size"], np.max if layer["pool"] == "max" else np.mean)
        elif kind == "dense":
            p = f"blocks.{i}.Dense."
            x = x.reshape(len(x), -1)
            # Burn stores dense weights as [inputs, outputs]: x @ W, no transpose.
            x = x @ tensors[p + "linear.weight"] + tensors[p + "linear.bias"]
            if layer["batch_norm"]:
                x = batch_norm(x, tensors, p + "norm.")
            x = ACTIVATIONS[layer["activation"]](x)
        elif kind == "dropout":
            pass  # off at inference
        else:
            sys.exit(f"unknown layer kind {kind!r}")
    x = x.reshape(len(x), -1)
    return x @ tensors["output.weight"] + tensors["output.bias"]


def main():
    folder = Path(sys.argv[1])
    with safe_open(folder / "model.safetensors", framework="numpy") as f:
        meta = f.metadata()
        tensors = {name: f.get_tensor(name).astype(np.float64) for name in f.keys()}
    assert meta["format"] == "tradeoff-model", meta.get("format")
    config = json.loads(meta["config"])
    mean = np.array(json.loads(meta["mean"]))
    std = np.array(json.loads(meta["std"]))

    check = json.loads((folder / "check.json").read_text())
    raw = np.array(check["pixels"], dtype=np.float64).reshape(check["shape"])
    images = (raw / 255.0 - mean[None, :, None, None]) / std[None, :, None, None]
    logits = forward(images, config, tensors)
    # The file's "output" metadata: one sigmoid logit for binary cross-entropy, else one per class.
    if config.get("loss") == "binary_cross_entropy":
        predicted = (logits[:, 0] > 0).astype(int)
    else:
        predicted = logits.argmax(axis=1)
    expected = np.array(check["predictions"])
    # A constant answer would agree with any reader: the check needs a model that discriminates.
    if len(set(expected.tolist())) < 5:
        sys.exit("read_model.py: the model predicts fewer than 5 classes; it proves nothing")
    same = int((predicted == expected).sum())
    print(f"read_model.py: {len(tensors)} tensors, {len(config['layers'])} layers "
          f"({meta['link']}); NumPy agrees with Burn on {same} of {len(expected)} test images")
    if same != len(expected):
        sys.exit("read_model.py: the predictions differ from Burn's")


if __name__ == "__main__":
    main()
