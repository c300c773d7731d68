"""The seed paper's recipe: ImageNet backbone + Conv2D/BN/ReLU/Dropout/MaxPool/GAP/Dense head, grouped K-fold.

As in the paper: 224x224 RGB (the backbone's own size for EfficientNet-Lite2), random rotation up to 10% of a
turn and random horizontal/vertical flips, stratified K-fold cross-validation (shuffled, ``fold_seed`` 42) grouped
by near-duplicates, Adam, cross-entropy, up to ``epochs`` epochs with early stopping on validation accuracy, the
best checkpoint kept, learning rate reduced on plateau, and the best fold exported. The backbone stays frozen
(Keras transfer-learning style), so only its output for each augmented photo matters: every photo gets one freshly
augmented view per epoch, as in the paper, but the backbone runs on these views once, before the folds, and each
fold trains the head on them (a photo is in the training part of K-1 folds, so this is K-1 times less backbone
work than running it inside every fold's epochs).
"""

from __future__ import annotations

import copy
import platform
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from batik_studio.errors import InputError
from batik_studio.vision.backbones import build_backbone
from batik_studio.vision.backbones_info import BACKBONE_INFO
from batik_studio.vision.config import TrainConfig
from batik_studio.vision.data import (
    Dataset,
    count_sources,
    grouped_folds,
    near_duplicate_groups,
    read_dataset,
    scan_dataset,
)
from batik_studio.vision.evaluate import fit_temperature
from batik_studio.vision.export import export_onnx
from batik_studio.vision.images import load_image
from batik_studio.vision.model_dir import (
    LABELS_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PREPROCESS_FILE,
    UNKNOWN_FILE,
    Calibration,
    carry_notes,
    fit_unknown_scorer,
    write_calibration,
    write_json,
)
from batik_studio.vision.predict import softmax
from batik_studio.vision.preprocess import Preprocess, normalize, to_array


class SeedNet(nn.Module):
    """Frozen backbone trunk + the paper's head; returns (logits, pooled trunk features)."""

    def __init__(self, trunk: nn.Module, in_channels: int, n_classes: int, channels: int, dropout: float) -> None:
        super().__init__()
        self.trunk = trunk
        for parameter in self.trunk.parameters():
            parameter.requires_grad_(False)
        self.head = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(channels, n_classes),
        )

    def train(self, mode: bool = True) -> SeedNet:
        """Train the head only; the frozen trunk keeps its ImageNet batch-norm statistics."""
        super().train(mode)
        self.trunk.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the module on a batch of images."""
        return self.on_maps(self.trunk(x))

    def on_maps(self, fmap: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The head's logits and the pooled features for trunk feature maps already computed."""
        fmap = fmap.float()
        return self.head(fmap), fmap.mean(dim=(2, 3))


def _augment(image: Image.Image, pre: Preprocess, rotation: float, rng: np.random.Generator) -> np.ndarray:
    """Random rotation up to ``rotation`` of a full turn and random horizontal / vertical flips."""
    image = image.rotate(float(rng.uniform(-rotation, rotation)) * 360.0, resample=Image.Resampling.BILINEAR)
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return normalize(image, pre)


@torch.no_grad()
def trunk_maps(trunk: nn.Module, arrays: list[np.ndarray], progress, step: str, done: int, total: int) -> torch.Tensor:
    """The frozen trunk's feature maps of preprocessed photos, kept in half precision (they are only head inputs)."""
    trunk.eval()
    maps = []
    for start in range(0, len(arrays), 32):
        maps.append(trunk(torch.from_numpy(np.stack(arrays[start : start + 32]))).half())
        progress(step, done + min(start + 32, len(arrays)), total)
    return torch.cat(maps)


def _run_epoch(model, maps, targets, config, rng, optimizer=None) -> tuple[float, float]:
    """One pass of the head over trunk feature maps (training when an optimizer is given); returns (loss, accuracy)."""
    training = optimizer is not None
    model.train(training)
    order = rng.permutation(len(maps)) if training else np.arange(len(maps))
    loss_sum, correct = 0.0, 0
    loss_fn = nn.CrossEntropyLoss()
    for start in range(0, len(order), config.batch_size):
        batch = order[start : start + config.batch_size]
        y = torch.from_numpy(targets[batch])
        with torch.set_grad_enabled(training):
            logits, _ = model.on_maps(maps[torch.from_numpy(batch)])
            loss = loss_fn(logits, y)
        if training:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        loss_sum += float(loss.detach()) * len(batch)
        correct += int((logits.argmax(1) == y).sum())
    return loss_sum / len(order), correct / len(order)


@torch.inference_mode()
def _outputs(model: SeedNet, maps: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    model.eval()
    logits, features = model.on_maps(maps)
    return logits.numpy(), features.numpy()


def plot_curves(history: list[dict], path: Path, title: str) -> None:
    """Save the per-epoch accuracy and loss curves of one fold as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(epochs, [h["train_acc"] for h in history], label="train")
    ax1.plot(epochs, [h["val_acc"] for h in history], label="validation")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("accuracy")
    ax1.legend()
    ax2.plot(epochs, [h["train_loss"] for h in history], label="train")
    ax2.plot(epochs, [h["val_loss"] for h in history], label="validation")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("loss")
    ax2.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def train_seed(data: Path, out: Path, config: TrainConfig, *, cache_dir: Path | None = None, progress=None) -> dict:
    """Run the paper's K-fold protocol on the non-test photos of ``data``; export the best fold to ``out``."""
    progress = progress or (lambda step, done, total: None)
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    dataset = read_dataset(data)
    pool = Dataset(dataset.root, tuple(s for s in dataset.samples if s.split != "test"))
    scan = scan_dataset(pool, lambda d, t: progress("checking photos", d, t))
    pool = scan.dataset
    labels = list(pool.classes)
    targets = pool.targets()
    if len(labels) < 2:
        raise InputError(f"{data}: need at least 2 classes, found {labels}")
    groups = near_duplicate_groups(scan.hashes, config.duplicate_bits)
    folds = grouped_folds(targets, groups, config.folds, config.fold_seed)
    size, channels, mean, std = BACKBONE_INFO[config.backbone]
    pre = Preprocess(image_size=size, mean=mean, std=std)
    images = [load_image(s.path).resize((size, size), Image.Resampling.BILINEAR) for s in pool.samples]
    weights = Path(config.weights) if config.weights else None
    trunk = build_backbone(config.backbone, weights)
    backbone_started = time.perf_counter()
    total = len(images) * (config.epochs + 1)
    plain_maps = trunk_maps(trunk, [to_array(im, pre) for im in images], progress, "backbone views", 0, total)
    epoch_maps = []
    for epoch in range(config.epochs):
        views = [_augment(im, pre, config.rotation, rng) for im in images]
        epoch_maps.append(trunk_maps(trunk, views, progress, "backbone views", (epoch + 1) * len(images), total))
    backbone_seconds = time.perf_counter() - backbone_started

    out = Path(out)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    table, best = [], None
    epoch_seconds: list[float] = []
    for k, (fit_idx, val_idx) in enumerate(folds, start=1):
        model = SeedNet(copy.deepcopy(trunk), channels, len(labels), config.head_channels, config.dropout)
        optimizer = torch.optim.Adam(model.head.parameters(), lr=config.learning_rate)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.2, patience=2)
        fit_rows, val_maps = torch.from_numpy(fit_idx), plain_maps[torch.from_numpy(val_idx)]
        history, best_state, best_acc, stale = [], None, -1.0, 0
        for epoch in range(1, config.epochs + 1):
            tick = time.perf_counter()
            fit_maps = epoch_maps[epoch - 1][fit_rows]
            train_loss, train_acc = _run_epoch(model, fit_maps, targets[fit_idx], config, rng, optimizer)
            with torch.inference_mode():
                val_loss, val_acc = _run_epoch(model, val_maps, targets[val_idx], config, rng)
            epoch_seconds.append(time.perf_counter() - tick)
            scheduler.step(val_acc)
            history.append(
                {
                    "epoch": epoch,
                    "train_loss": train_loss,
                    "train_acc": train_acc,
                    "val_loss": val_loss,
                    "val_acc": val_acc,
                }
            )
            progress(f"fold {k}/{len(folds)} epochs", epoch, config.epochs)
            if val_acc > best_acc:
                best_acc, best_state, stale = val_acc, copy.deepcopy(model.head.state_dict()), 0
            else:
                stale += 1
                if stale >= config.patience:
                    break
        model.head.load_state_dict(best_state)
        best_epoch = max(history, key=lambda h: h["val_acc"])
        table.append({"fold": k} | best_epoch | {"epochs_run": len(history)})
        plot_curves(history, staging / f"fold{k}_curves.png", f"fold {k}")
        if best is None or best_acc > best[0]:
            best = (best_acc, k, model, fit_idx, val_idx)

    _, best_fold, model, fit_idx, val_idx = best
    val_logits, val_features = _outputs(model, plain_maps[torch.from_numpy(val_idx)])
    _, fit_features = _outputs(model, plain_maps[torch.from_numpy(fit_idx)])
    temperature = fit_temperature(val_logits, targets[val_idx])
    scorer = fit_unknown_scorer(fit_features, targets[fit_idx], config.unknown_dim).with_neighbours(
        fit_features, config.knn_neighbours
    )
    cues = {"distance": scorer.distance(val_features), "knn": scorer.knn_distance(val_features)}
    cues["doubt"] = 1 - softmax(val_logits, temperature).max(axis=1)
    scorer = scorer.with_references(cues["distance"], cues["doubt"], cues["knn"]).with_rule(config.rejection_rule)
    threshold = float(np.quantile(scorer.rules(cues)[config.rejection_rule], 1 - config.false_reject_rate))
    export_onnx(model.eval(), staging / MODEL_FILE, size, ["logits", "features"])
    write_json(staging / LABELS_FILE, labels)
    pre.save(staging / PREPROCESS_FILE)
    write_calibration(staging, Calibration(temperature, threshold, config.false_reject_rate, scorer.rule))
    scorer.save(staging / UNKNOWN_FILE)
    summary = {
        "recipe": "seed",
        "train_photos": len(targets),
        "train_counts": dict(zip(labels, np.bincount(targets, minlength=len(labels)).tolist(), strict=True)),
        "unreadable": [str(p) for p, _ in scan.bad],
        "duplicate_groups": int(len(np.unique(groups))),
        "sources": count_sources(pool),
        "folds": table,
        "best_fold": best_fold,
        "cv_accuracy": float(np.mean([row["val_acc"] for row in table])),
        "seconds_per_epoch": float(np.mean(epoch_seconds)),
        "backbone_seconds": round(backbone_seconds, 1),
        "temperature": temperature,
        "threshold": threshold,
        "train_seconds": round(time.perf_counter() - started, 1),
        "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
        "config": config.to_dict(),
        "data": str(data),
    }
    write_json(staging / METRICS_FILE, {"training": summary, "evaluations": {}})
    (staging / "folds.md").write_text(format_fold_table(table, best_fold))
    if out.exists():
        carry_notes(out, staging)
        shutil.rmtree(out)
    staging.rename(out)
    return summary


def format_fold_table(table: list[dict], best_fold: int) -> str:
    """Per-fold results like the paper's Table 1 (best epoch's train/validation accuracy and loss)."""
    lines = [
        "| fold | best epoch | epochs run | train accuracy | validation accuracy | train loss | validation loss |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table:
        mark = " (kept)" if row["fold"] == best_fold else ""
        lines.append(
            f"| {row['fold']}{mark} | {row['epoch']} | {row['epochs_run']} | {100 * row['train_acc']:.2f}% | "
            f"{100 * row['val_acc']:.2f}% | {row['train_loss']:.4f} | {row['val_loss']:.4f} |"
        )
    return "\n".join(lines) + "\n"


__all__ = ["SeedNet", "format_fold_table", "plot_curves", "train_seed", "trunk_maps"]
