"""Honest evaluation of a model folder: accuracy, per-class report, calibration, colour-only baseline, rejection.

Runs the exported ONNX model through ``Predictor`` (the served code path); numpy, scikit-learn and matplotlib only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from batik_studio.errors import InputError
from batik_studio.vision.data import Dataset, read_dataset, read_flat_folder
from batik_studio.vision.images import load_image
from batik_studio.vision.predict import Predictor, softmax

Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    return None


def expected_calibration_error(probs: np.ndarray, targets: np.ndarray, n_bins: int = 15) -> float:
    """ECE: mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == targets
    edges = np.linspace(0, 1, n_bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(ece)


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """The softmax temperature minimising the negative log-likelihood of held-out ``logits`` (bounded search)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        probs = softmax(logits, float(np.exp(log_t)))
        return -float(np.mean(np.log(probs[np.arange(len(targets)), targets] + 1e-12)))

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def roc_auc(known_scores: np.ndarray, unknown_scores: np.ndarray) -> float:
    """AUROC of telling unknown photos (positive, higher score) from known ones."""
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.zeros(len(known_scores)), np.ones(len(unknown_scores))]
    return float(roc_auc_score(y, np.r_[known_scores, unknown_scores]))


def classification_report(targets: np.ndarray, predicted: np.ndarray, labels: Sequence[str]) -> dict:
    """Per-class precision/recall/F1/support plus accuracy, macro and weighted averages (as scikit-learn).

    Only classes present in ``targets`` get a row and enter the averages; a photo predicted as an absent class
    counts as a miss of its true class.
    """
    from sklearn.metrics import classification_report as sk_report

    present = sorted(set(targets.tolist()))
    report = sk_report(
        targets,
        predicted,
        labels=present,
        target_names=[labels[i] for i in present],
        output_dict=True,
        zero_division=0,
    )
    report["accuracy"] = float((targets == predicted).mean())
    return report | {"classes_present": [labels[i] for i in present]}


def format_report(report: dict, labels: Sequence[str]) -> str:
    """The report as text, in the layout of scikit-learn's (and the paper's) classification report."""
    width = max(len(name) for name in [*labels, "weighted avg"])
    lines = [f"{'':>{width}} {'precision':>9} {'recall':>9} {'f1-score':>9} {'support':>9}", ""]
    for name in labels:
        row = report.get(name)
        if row is None:
            continue
        lines.append(
            f"{name:>{width}} {row['precision']:9.2f} {row['recall']:9.2f} {row['f1-score']:9.2f} {row['support']:9.0f}"
        )
    total = report["macro avg"]["support"]
    lines += ["", f"{'accuracy':>{width}} {'':9} {'':9} {report['accuracy']:9.2f} {total:9.0f}"]
    for name in ("macro avg", "weighted avg"):
        row = report[name]
        lines.append(
            f"{name:>{width}} {row['precision']:9.2f} {row['recall']:9.2f} {row['f1-score']:9.2f} {row['support']:9.0f}"
        )
    return "\n".join(lines)


def colour_features(image: Image.Image) -> np.ndarray:
    """A colour-only description of a photo: a normalised 8x4x4 HSV histogram plus per-channel mean and spread."""
    hsv = np.asarray(image.convert("RGB").resize((64, 64)).convert("HSV"), dtype=np.float32) / 256.0
    hist, _ = np.histogramdd(hsv.reshape(-1, 3), bins=(8, 4, 4), range=((0, 1), (0, 1), (0, 1)))
    hist = hist.reshape(-1) / hist.sum()
    return np.r_[np.sqrt(hist), hsv.reshape(-1, 3).mean(axis=0), hsv.reshape(-1, 3).std(axis=0)].astype(np.float32)


def colour_baseline_accuracy(
    train_images: Sequence[Path], train_targets: np.ndarray, test_images: Sequence[Path], test_targets: np.ndarray
) -> float:
    """Accuracy of a logistic regression on colour histograms only, trained and tested on the given photos."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_train = np.stack([colour_features(load_image(p)) for p in train_images])
    x_test = np.stack([colour_features(load_image(p)) for p in test_images])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    model.fit(x_train, train_targets)
    return float((model.predict(x_test) == test_targets).mean())


def plot_confusion(matrix: np.ndarray, labels: Sequence[str], path: Path, title: str) -> None:
    """Save a confusion matrix (rows true, columns predicted) as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for (i, j), value in np.ndenumerate(matrix):
        colour = "white" if value > matrix.max() / 2 else "black"
        ax.text(j, i, str(value), ha="center", va="center", color=colour)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_reliability(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path, n_bins: int = 15) -> None:
    """Save a reliability diagram (accuracy against confidence per bin) for each (probs, targets) curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect")
    edges = np.linspace(0, 1, n_bins + 1)
    for name, (probs, targets) in curves.items():
        confidence = probs.max(axis=1)
        correct = probs.argmax(axis=1) == targets
        xs, ys = [], []
        for low, high in zip(edges[:-1], edges[1:], strict=True):
            inside = (confidence > low) & (confidence <= high)
            if inside.any():
                xs.append(confidence[inside].mean())
                ys.append(correct[inside].mean())
        ece = expected_calibration_error(probs, targets, n_bins)
        ax.plot(xs, ys, "o-", label=f"{name} (ECE {100 * ece:.1f}%)")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_model(
    predictor: Predictor, images: Sequence[Path], progress: Progress = _no_progress
) -> tuple[np.ndarray, np.ndarray]:
    """Raw logits (n, C) and features (n, D) of photos through the served code path."""
    logits, features = [], []
    for done, path in enumerate(images, start=1):
        lg, ft = predictor.raw_outputs(load_image(path))
        logits.append(lg)
        features.append(ft)
        progress(done, len(images))
    return np.stack(logits), np.stack(features)


def evaluate_model(
    model_dir: Path | None,
    data: Path,
    *,
    unknown: Sequence[Path] = (),
    figures: Path | None = None,
    colour_baseline: bool = True,
    progress: Progress = _no_progress,
) -> dict:
    """Evaluate a model folder on a dataset folder (its ``test`` split when it has splits, else every photo).

    Photos of classes the model does not know are left out and listed. ``unknown`` folders hold photos that are
    none of the model's motifs: each gets AUROC and the rejection rate at the shipped threshold. The colour-only
    baseline is trained on the other splits of ``data`` (or, for a flat folder, by 5-fold grouped CV inside it).
    """
    predictor = Predictor(model_dir)
    labels = predictor.labels
    dataset = read_dataset(data)
    test = dataset.subset("test") if "test" in dataset.splits else dataset
    known = [s for s in test.samples if s.label in labels]
    skipped = sorted({s.label for s in test.samples if s.label not in labels})
    if not known:
        raise InputError(f"{data}: no photo of the model's classes ({', '.join(labels)})")
    images = [s.path for s in known]
    targets = np.array([labels.index(s.label) for s in known])
    logits, features = run_model(predictor, images, progress)
    raw_probs = softmax(logits)
    probs, rejected = predictor.decide(logits, features)
    predicted = probs.argmax(axis=1)
    report = classification_report(targets, predicted, labels)
    confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(confusion, (targets, predicted), 1)
    result: dict = {
        "data": str(data),
        "split": "test" if "test" in dataset.splits else "all",
        "n": len(known),
        "skipped_classes": skipped,
        "accuracy": float((predicted == targets).mean()),
        "macro_f1": float(report["macro avg"]["f1-score"]),
        "report": report,
        "report_text": format_report(report, labels),
        "confusion": confusion.tolist(),
        "ece_before": expected_calibration_error(raw_probs, targets),
        "ece_after": expected_calibration_error(probs, targets),
        "temperature": predictor.calibration.temperature,
        "false_reject_rate": float(rejected.mean()),
        "accuracy_accepted": float((predicted == targets)[~rejected].mean()) if (~rejected).any() else None,
    }
    if colour_baseline:
        result["colour_baseline_accuracy"] = _colour_baseline(dataset, test, labels)
    known_scores = predictor.scorer.score(features, probs)
    result["unknown"] = {}
    for folder in unknown:
        other = read_flat_folder(folder)
        unknown_logits, unknown_features = run_model(predictor, [s.path for s in other.samples])
        scores = predictor.scorer.score(unknown_features, predictor.decide(unknown_logits, unknown_features)[0])
        result["unknown"][str(folder)] = {
            "n": len(other.samples),
            "auroc": roc_auc(known_scores, scores),
            "rejected": float((scores > predictor.calibration.threshold).mean()),
        }
    if figures is not None:
        figures = Path(figures)
        figures.mkdir(parents=True, exist_ok=True)
        plot_confusion(confusion, labels, figures / "confusion.png", f"{Path(data).name}: {len(known)} photos")
        plot_reliability(
            {"before": (raw_probs, targets), f"after (T={predictor.calibration.temperature:.2f})": (probs, targets)},
            figures / "reliability.png",
        )
    return result


def _colour_baseline(dataset: Dataset, test: Dataset, labels: Sequence[str]) -> float | None:
    from batik_studio.vision.data import grouped_folds, scan_dataset

    if "test" in dataset.splits:
        train = [s for s in dataset.samples if s.split != "test" and s.label in labels]
        test_known = [s for s in test.samples if s.label in labels]
        if len({s.label for s in train}) < 2:
            return None
        return colour_baseline_accuracy(
            [s.path for s in train],
            np.array([labels.index(s.label) for s in train]),
            [s.path for s in test_known],
            np.array([labels.index(s.label) for s in test_known]),
        )
    known = Dataset(dataset.root, tuple(s for s in dataset.samples if s.label in labels))
    scan = scan_dataset(known)
    from batik_studio.vision.data import near_duplicate_groups

    targets = scan.dataset.targets()
    if len(scan.dataset.classes) < 2 or np.bincount(targets).min() < 5:
        return None
    groups = near_duplicate_groups(scan.hashes)
    paths = [s.path for s in scan.dataset.samples]
    correct = 0
    for train_idx, test_idx in grouped_folds(targets, groups, n_splits=5, seed=42):
        acc = colour_baseline_accuracy(
            [paths[i] for i in train_idx], targets[train_idx], [paths[i] for i in test_idx], targets[test_idx]
        )
        correct += acc * len(test_idx)
    return float(correct / len(paths))


__all__ = [
    "classification_report",
    "colour_baseline_accuracy",
    "colour_features",
    "evaluate_model",
    "expected_calibration_error",
    "fit_temperature",
    "format_report",
    "plot_confusion",
    "plot_reliability",
    "roc_auc",
    "run_model",
]
