"""Which pooled layers and served views name photos of an unseen source best: a quick leave-one-source-out.

Each option is a set of backbone layers (``TrainConfig.feature_layers``) and served views (square crops, as
fractions of the shorter side, optionally placed at x:y); its features are computed with the product's own trunk
export and feature cache. For every held-out source (``batik evaluate-sources`` folds, near-duplicates grouped)
the shipped head kind (logistic regression, ``c`` and ``pca_dim`` of the config) is fitted on the other sources'
served views alone, without augmented views or calibration, so an option costs one feature pass and seconds of
fitting. Prints one table: mean over held-out sources of the accuracy on all motifs and on the seed motifs, and
the AUROC of the head's doubt for the held-out photos of motifs outside the model. The shipped recipe is then
measured in full with ``batik evaluate-sources``. Needs the ``train`` extra (torch, for the trunk export)::

    python benchmarks/vision_features.py --source ../shared/datasets/nusantara \\
        --source ../shared/datasets/sources/batiklens --source ../shared/datasets/sources/hyupra \\
        --source ../shared/datasets/sources/n11bhq --source ../shared/datasets/sources/riokt \\
        --source ../shared/datasets/sources/tegarardi \\
        --option head@0.7/0.4 --option stage6+stage7+head@1/0.7/0.5
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from batik_studio.vision.config import TrainConfig
from batik_studio.vision.evaluate import roc_auc
from batik_studio.vision.features import extract_features
from batik_studio.vision.loso import ensure_trunk, plan_folds, preprocessing
from batik_studio.vision.predict import softmax
from batik_studio.vision.sources import SEED_MOTIFS, model_motifs, read_sources
from batik_studio.vision.train import default_cache_dir, fit_head


def parse_option(text: str, base: TrainConfig) -> TrainConfig:
    """``layer+layer@crop/crop`` (a crop: ``fraction`` or ``fraction:x:y``) as a config; the first crop is the main
    view, which is always centred."""
    layers, _, views = text.partition("@")
    crops = [tuple(float(v) for v in crop.split(":")) for crop in views.split("/")] if views else [(0.7,), (0.4,)]
    tta = [(crop[0], *(crop[1:] or (0.5, 0.5)), False) for crop in crops[1:]]
    return replace(base, feature_layers=tuple(layers.split("+")), crop_fraction=crops[0][0], tta=tuple(tta))


def main() -> None:
    """Measure every option and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, action="append", required=True, help="source folder; repeat")
    parser.add_argument("--option", action="append", required=True, help="layers@views, e.g. head@1/0.7/0.5")
    parser.add_argument("--backbone", default="efficientnet-lite0")
    parser.add_argument("--cache-dir", type=Path, default=None, help="feature cache (default: the user cache)")
    args = parser.parse_args()
    cache = args.cache_dir or default_cache_dir()
    base = TrainConfig(backbone=args.backbone, c=0.03, pca_dim=256)
    pool = read_sources(args.source, cache_dir=cache)
    motifs = model_motifs(pool)
    folds = [fold for fold in plan_folds(pool, motifs) if not fold.name.endswith("(own split)")]
    labels = pool.labels
    rows = []
    for text in args.option:
        config = parse_option(text, base)
        tick = time.perf_counter()
        trunk = ensure_trunk(config, cache)
        served = preprocessing(config)[1]
        features = np.concatenate([extract_features(trunk, part, served, cache_dir=cache) for part in pool.datasets])
        found = []
        for fold in folds:
            fitted = sorted(set(labels[fold.train]))
            index = {name: i for i, name in enumerate(fitted)}
            n, v, d = features[fold.train].shape
            targets = np.repeat([index[name] for name in labels[fold.train]], v)
            head = fit_head(
                features[fold.train].reshape(n * v, d),
                targets,
                config.c,
                config.l2_normalize,
                config.seed,
                config.power_normalize,
                config.balanced,
                config.pca_dim,
            )
            probs = softmax(head.logits(features[fold.test]).mean(axis=1))
            test_labels = labels[fold.test]
            known, outside = np.isin(test_labels, fitted), ~np.isin(test_labels, motifs)
            right = probs[known].argmax(axis=1) == np.array([index[name] for name in test_labels[known]])
            seed = np.isin(test_labels[known], SEED_MOTIFS)
            doubt = 1 - probs.max(axis=1)
            auroc = roc_auc(doubt[known], doubt[outside]) if outside.any() else np.nan
            found.append((right.mean(), right[seed].mean() if seed.any() else np.nan, auroc))
        means = [np.nanmean([row[i] for row in found]) for i in range(3)]
        rows.append((text, *means, time.perf_counter() - tick))
        print(f"{text}: {100 * means[0]:.1f}% / {100 * means[1]:.1f}%", flush=True)
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPU cores, {args.backbone}"
    )
    print(
        "| layers @ views | acc all motifs | acc seed motifs | doubt AUROC, other motifs | s |\n|---|---|---|---|---|"
    )
    for text, acc, acc_seed, auroc, seconds in rows:
        print(f"| `{text}` | {100 * acc:.1f}% | {100 * acc_seed:.1f}% | {auroc:.3f} | {seconds:.0f} |")


if __name__ == "__main__":
    main()
