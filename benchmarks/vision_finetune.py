"""Partial fine-tuning against the frozen-feature probe, leave-one-source-out, on 2 CPU cores.

For every held-out source (``batik evaluate-sources`` folds, near-duplicates grouped) three heads are fitted on the
other sources' photos, each from the same cached EfficientNet-Lite0 maps (block 16 output, 320 x 7 x 7, of the two
served views of the earlier recipe: centre crops of 0.7 and 0.4 of the shorter side):

- ``probe``: the shipped head kind (logistic regression on the pooled, power- and L2-normalised features);
- ``torch linear``: a linear layer on the same features trained with Adam, the maps rotated and mirrored at random;
- ``fine-tuned``: the same, then the last 1x1 convolution (320 -> 1280, ImageNet weights) trained with it
  (``--epochs``, ``--lr``; batch-norm statistics frozen).

Prints one table of mean accuracy over held-out sources (all motifs, seed motifs) and seconds per fold. Needs
the ``train`` extra (torch)::

    python benchmarks/vision_finetune.py --source ../shared/datasets/nusantara \\
        --source ../shared/datasets/sources/batiklens --source ../shared/datasets/sources/hyupra \\
        --source ../shared/datasets/sources/n11bhq --source ../shared/datasets/sources/riokt \\
        --source ../shared/datasets/sources/tegarardi --epochs 8 --lr 3e-4
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from torch import nn

from batik_studio.vision.backbones import build_backbone
from batik_studio.vision.export import export_onnx
from batik_studio.vision.features import extract_features
from batik_studio.vision.loso import plan_folds
from batik_studio.vision.preprocess import Preprocess
from batik_studio.vision.sources import SEED_MOTIFS, model_motifs, read_sources
from batik_studio.vision.train import default_cache_dir, fit_head

CHANNELS, SIDE = 320, 7


class LastMaps(nn.Module):
    """EfficientNet-Lite0 up to its last block: images -> flattened (320, 7, 7) maps."""

    def __init__(self) -> None:
        super().__init__()
        self.net = build_backbone("efficientnet-lite0").net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the stem and every block."""
        x = self.net._swish(self.net._bn0(self.net._conv_stem(x)))
        for block in self.net._blocks:
            x = block(x)
        return x.flatten(1)


class TopHead(nn.Module):
    """The last 1x1 convolution + BN + ReLU6 of Lite0, pooled, signed square root, unit length, linear."""

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        net = build_backbone("efficientnet-lite0").net
        self.conv, self.bn = net._conv_head, net._bn1
        self.fc = nn.Linear(1280, n_classes)

    def pooled(self, maps: torch.Tensor) -> torch.Tensor:
        """Pooled, normalised features of flattened maps."""
        x = maps.view(-1, CHANNELS, SIDE, SIDE)
        h = nn.functional.relu6(self.bn(self.conv(x))).mean(dim=(2, 3))
        return nn.functional.normalize(torch.sign(h) * torch.sqrt(h.abs() + 1e-6), dim=1)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        """Logits of flattened maps."""
        return self.fc(self.pooled(maps) * 10)


def _augment(maps: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    x = torch.rot90(maps.view(-1, CHANNELS, SIDE, SIDE), int(rng.integers(4)), dims=(2, 3))
    return x.flip(3) if rng.random() < 0.5 else x


def _train(model: TopHead, params, maps: torch.Tensor, y: torch.Tensor, epochs: int, lr: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=1e-2)
    for _ in range(epochs):
        model.train()
        model.bn.eval()
        order = torch.randperm(len(y))
        for start in range(0, len(y), 64):
            batch = order[start : start + 64]
            view = torch.from_numpy(rng.integers(0, maps.shape[1], len(batch)))
            loss = nn.functional.cross_entropy(model(_augment(maps[batch, view], rng)), y[batch], label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def _logits(model: TopHead, maps: torch.Tensor) -> np.ndarray:
    model.eval()
    with torch.inference_mode():
        return (sum(model(maps[:, v]) for v in range(maps.shape[1])) / maps.shape[1]).numpy()


def main() -> None:
    """Run every fold with the three heads and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, action="append", required=True, help="source folder; repeat")
    parser.add_argument("--epochs", type=int, default=8, help="fine-tuning epochs after 3 linear-only epochs")
    parser.add_argument("--lr", type=float, default=3e-4, help="fine-tuning learning rate (AdamW)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="feature cache (default: the user cache)")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    cache = args.cache_dir or default_cache_dir()
    trunk = cache / "maps-efficientnet-lite0-224.onnx"
    if not trunk.exists():
        export_onnx(LastMaps().eval(), trunk, 224, ["features"])
    pre = Preprocess(image_size=224, crop_fraction=0.7, tta_crops=((0.4, 0.5, 0.5, False),))
    pool = read_sources(args.source, cache_dir=cache)
    maps = np.concatenate([extract_features(trunk, part, pre, cache_dir=cache) for part in pool.datasets])
    motifs = model_motifs(pool)
    labels = pool.labels
    found: dict[str, list[tuple[float, float, float]]] = {"probe": [], "torch linear": [], "fine-tuned": []}
    for fold in plan_folds(pool, motifs):
        if fold.name.endswith("(own split)"):
            continue
        fitted = sorted(set(labels[fold.train]))
        index = {name: i for i, name in enumerate(fitted)}
        y = torch.tensor([index[name] for name in labels[fold.train]])
        test_labels = labels[fold.test]
        known = np.isin(test_labels, fitted)
        targets = np.array([index[name] for name in test_labels[known]])
        seed = np.isin(test_labels[known], SEED_MOTIFS)
        train_maps = torch.from_numpy(maps[fold.train])
        test_maps = torch.from_numpy(maps[fold.test])

        def score(logits: np.ndarray, name: str, seconds: float, known=known, targets=targets, seed=seed) -> None:
            right = logits[known].argmax(axis=1) == targets
            found[name].append((right.mean(), right[seed].mean() if seed.any() else np.nan, seconds))

        tick = time.perf_counter()
        model = TopHead(len(fitted))
        with torch.inference_mode():
            pooled = torch.stack([model.pooled(train_maps[:, v]) for v in range(maps.shape[1])], 1).numpy()
            held = torch.stack([model.pooled(test_maps[:, v]) for v in range(maps.shape[1])], 1).numpy()
        n, v, d = pooled.shape
        probe = fit_head(pooled.reshape(n * v, d), np.repeat(y.numpy(), v), 0.03, False, 0, False, False, 256)
        score(probe.logits(held).mean(axis=1), "probe", time.perf_counter() - tick)
        tick = time.perf_counter()
        _train(model, list(model.fc.parameters()), train_maps, y, 3, 3e-3, 0)
        score(_logits(model, test_maps), "torch linear", time.perf_counter() - tick)
        tick = time.perf_counter()
        _train(model, list(model.parameters()), train_maps, y, args.epochs, args.lr, 1)
        score(_logits(model, test_maps), "fine-tuned", time.perf_counter() - tick)
        print(f"{fold.name}: " + ", ".join(f"{k} {100 * r[-1][0]:.1f}%" for k, r in found.items()), flush=True)
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPU cores, "
        f"epochs {args.epochs}, lr {args.lr}"
    )
    print("| head | acc all motifs | acc seed motifs | s per fold |\n|---|---|---|---|")
    for name, rows in found.items():
        acc, acc_seed, seconds = (np.nanmean([r[i] for r in rows]) for i in range(3))
        print(f"| {name} | {100 * acc:.1f}% | {100 * acc_seed:.1f}% | {seconds:.0f} |")


if __name__ == "__main__":
    main()
