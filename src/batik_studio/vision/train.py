"""Train a motif classifier and write a complete model folder (needs the ``train`` extra: torch, onnx).

The default ``probe`` recipe: a frozen ImageNet backbone (exported once to ONNX for fast CPU inference) turns many
augmented views of every training photo into features, cached on disk; a logistic-regression head is fitted on
them in seconds. Out-of-fold predictions on the training photos (folds of whole sources, or of grouped photos)
give held-out logits and features to fit the softmax temperature and the unknown-rejection threshold, so the test
split is never used for a decision.
"""

from __future__ import annotations

import platform
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from batik_studio.errors import InputError
from batik_studio.vision.config import TrainConfig
from batik_studio.vision.data import (
    Dataset,
    count_sources,
    grouped_folds,
    hash_distances_block,
    near_duplicate_groups,
    read_dataset,
    scan_dataset,
)
from batik_studio.vision.evaluate import expected_calibration_error, fit_temperature
from batik_studio.vision.features import extract_features
from batik_studio.vision.model_dir import (
    LABELS_FILE,
    LEGACY_RULE,
    METRICS_FILE,
    MODEL_FILE,
    PREPROCESS_FILE,
    UNKNOWN_FILE,
    Calibration,
    UnknownScorer,
    carry_notes,
    fit_unknown_scorer,
    write_calibration,
    write_json,
)
from batik_studio.vision.predict import softmax

#: ``progress(step, done, total)`` is called as long steps advance.
StepProgress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class LinearHead:
    """Logistic-regression head on raw backbone features: ``logits = normalised(features) @ weight.T + bias``.

    The non-linear scaling (signed square root when ``power_normalize``, then L2 normalisation when
    ``l2_normalize``) is applied to the features before the head; standardisation is folded into ``weight`` and
    ``bias``.
    """

    weight: np.ndarray
    bias: np.ndarray
    l2_normalize: bool
    power_normalize: bool = False

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Logits (..., C) of features (..., D)."""
        return normalize_features(features, self.power_normalize, self.l2_normalize) @ self.weight.T + self.bias


def normalize_features(features: np.ndarray, power_normalize: bool, l2_normalize: bool) -> np.ndarray:
    """Signed square root (damps the few dominant channels of pooled features), then unit length, as asked."""
    if power_normalize:
        features = np.sign(features) * np.sqrt(np.abs(features))
    if l2_normalize:
        features = features / np.linalg.norm(features, axis=-1, keepdims=True)
    return features


def fit_head(
    features: np.ndarray,
    targets: np.ndarray,
    c: float,
    l2_normalize: bool,
    seed: int,
    power_normalize: bool = False,
    balanced: bool = False,
    pca_dim: int = 0,
) -> LinearHead:
    """Fit a multinomial logistic regression on normalised, standardised features; return it as one linear map.

    With ``balanced`` every class weighs the same in the loss, however many photos it has. With ``pca_dim`` > 0 the
    regression sees the top ``pca_dim`` principal components of the normalised features (fitted several times
    faster on many views); the projection is folded into the returned linear map, so serving is unchanged.
    """
    from sklearn.linear_model import LogisticRegression

    x = normalize_features(features, power_normalize, l2_normalize)
    centre = x.mean(axis=0)
    basis = None
    if 0 < pca_dim < min(x.shape):
        from sklearn.decomposition import PCA

        rng = np.random.default_rng(seed)
        sample = x[rng.choice(len(x), size=min(len(x), 8000), replace=False)]
        basis = PCA(pca_dim, random_state=seed).fit(sample - centre).components_.T
    z = x - centre if basis is None else (x - centre) @ basis
    mean = z.mean(axis=0)
    std = z.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=500, random_state=seed, class_weight="balanced" if balanced else None)
    model.fit((z - mean) / std, targets)
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # two classes: scikit-learn keeps one row; softmax needs one per class
        coef, intercept = np.r_[-coef, coef] / 2, np.r_[-intercept, intercept] / 2
    scaled = coef / std
    weight = scaled if basis is None else scaled @ basis.T
    bias = intercept - scaled @ mean - weight @ centre
    return LinearHead(weight.astype(np.float32), bias.astype(np.float32), l2_normalize, power_normalize)


def _views_and_targets(features: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, v, d = features.shape
    return features.reshape(n * v, d), np.repeat(targets, v)


@dataclass(frozen=True)
class FittedProbe:
    """A fitted probe: head, softmax temperature, rejection scorer and threshold, and the out-of-fold logits.

    ``thresholds`` holds the threshold of every rejection rule the scorer can compute (set the same way), so the
    rules can be compared. ``calibrated`` marks the photos whose out-of-fold scores set them (all, unless a photo's
    motif was in no fold's fitting side); ``calibration`` says which folds made them ("source" or "photo").
    """

    head: LinearHead
    temperature: float
    scorer: UnknownScorer
    oof_logits: np.ndarray
    thresholds: dict[str, float]
    calibrated: np.ndarray
    calibration: str

    @property
    def threshold(self) -> float:
        """The rejection threshold of the scorer's own rule."""
        return self.thresholds[self.scorer.rule]


#: Logit given to a motif a calibration fold's head was not fitted on (its probability is zero).
_ABSENT = -1e9


def weighted_quantile(values: np.ndarray, q: float, weights: np.ndarray | None = None) -> float:
    """The ``q`` quantile of ``values``, each counted with its weight (plain quantile without weights)."""
    if weights is None:
        return float(np.quantile(values, q))
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][min(len(values) - 1, int(np.searchsorted(cumulative, q)))])


def fit_probe(
    augmented: np.ndarray,
    held: np.ndarray,
    targets: np.ndarray,
    groups: np.ndarray,
    config: TrainConfig,
    progress: StepProgress = _no_progress,
    sources: np.ndarray | None = None,
) -> FittedProbe:
    """Fit the probe on cached features: augmented views (n, Va, D) to fit, served views (n, Vs, D) to score.

    Out-of-fold predictions (every photo scored by a head that never saw its near-duplicate group) give the held-out
    logits and cues that set the temperature and the rejection threshold; then the head is refitted on all. With
    ``config.calibration == "source"`` and photos of two or more ``sources`` (one id per photo), the folds hold out
    whole sources (``loso.source_folds``), and the threshold counts every source alike; photos of a motif that no
    other source has are scored in grouped photo folds instead.
    """
    from batik_studio.vision.loso import source_folds

    n_classes = int(targets.max()) + 1
    oof_logits = np.full((len(targets), n_classes), _ABSENT)
    oof = {"distance": np.zeros(len(targets)), "knn": np.zeros(len(targets))}
    scored = np.zeros(len(targets), dtype=bool)
    by_source = config.calibration == "source" and sources is not None and len(np.unique(sources)) > 1

    def score_fold(fit_idx: np.ndarray, held_idx: np.ndarray) -> None:
        present = np.unique(targets[fit_idx])
        held_idx = held_idx[np.isin(targets[held_idx], present) & ~scored[held_idx]]
        if not len(held_idx):
            return
        x, y = _views_and_targets(augmented[fit_idx], targets[fit_idx])
        head = fit_head(
            x, y, config.c, config.l2_normalize, config.seed, config.power_normalize, config.balanced, config.pca_dim
        )
        oof_logits[np.ix_(held_idx, present)] = head.logits(held[held_idx]).mean(axis=1)
        scorer = fit_unknown_scorer(x, y, config.unknown_dim).with_neighbours(
            held[fit_idx].mean(axis=1), config.knn_neighbours
        )
        oof["distance"][held_idx] = scorer.distance(held[held_idx].mean(axis=1))
        oof["knn"][held_idx] = scorer.knn_distance(held[held_idx].mean(axis=1))
        scored[held_idx] = True

    if by_source:
        folds = source_folds(sources, groups, config.calibration_folds)
        for k, (fit_idx, held_idx) in enumerate(folds, start=1):
            score_fold(fit_idx, held_idx)
            progress("calibration folds of sources", k, len(folds))
    if not scored.all():
        folds = grouped_folds(targets, groups, config.folds, config.fold_seed)
        for k, (fit_idx, held_idx) in enumerate(folds, start=1):
            score_fold(fit_idx, held_idx)
            progress("grouped cross-validation", k, len(folds))
    if not scored.any():
        raise InputError("no photo could be scored out of fold: give more photos per motif", settings=("folds",))
    temperature = fit_temperature(oof_logits[scored], targets[scored])
    oof_probs = softmax(oof_logits, temperature)
    progress("final head", 0, 1)
    x, y = _views_and_targets(augmented, targets)
    head = fit_head(
        x, y, config.c, config.l2_normalize, config.seed, config.power_normalize, config.balanced, config.pca_dim
    )
    cues = {"distance": oof["distance"][scored], "knn": oof["knn"][scored], "doubt": 1 - oof_probs[scored].max(axis=1)}
    scorer = (
        fit_unknown_scorer(x, y, config.unknown_dim)
        .with_references(cues["distance"], cues["doubt"], cues["knn"])
        .with_neighbours(held.mean(axis=1), config.knn_neighbours)
        .with_rule(config.rejection_rule)
    )
    weights = None
    if by_source:  # every source counts alike, so the share rejected is set for a typical unseen source
        _, index, counts = np.unique(sources[scored], return_inverse=True, return_counts=True)
        weights = 1.0 / counts[index]
    q = 1 - config.false_reject_rate
    rules = {rule: score for rule, score in scorer.rules(cues).items() if rule != LEGACY_RULE}
    thresholds = {rule: weighted_quantile(score, q, weights) for rule, score in rules.items()}
    progress("final head", 1, 1)
    return FittedProbe(head, temperature, scorer, oof_logits, thresholds, scored, "source" if by_source else "photo")


@dataclass(frozen=True)
class TrainingPool:
    """The readable non-test photos of one or more datasets, classes matched by class-folder name.

    ``parts[i]`` holds the photos of ``data[i]`` (in that order, so cached features stay valid per dataset);
    ``labels`` is the sorted union of the class names; ``hashes`` are the near-duplicate hashes of every photo of
    every part, in the same order, so that near-duplicates are grouped across datasets.
    """

    data: tuple[Path, ...]
    parts: tuple[Dataset, ...]
    labels: tuple[str, ...]
    hashes: np.ndarray
    bad: tuple[tuple[Path, str], ...]

    @property
    def targets(self) -> np.ndarray:
        """Class index of every photo against ``labels``."""
        return np.concatenate([part.targets(self.labels) for part in self.parts])

    @property
    def part_index(self) -> np.ndarray:
        """For every photo, the index of the dataset it comes from."""
        return np.repeat(np.arange(len(self.parts)), [len(part.samples) for part in self.parts])

    def sources(self) -> dict[str, int]:
        """Photos per source: the manifest's sources where a dataset has one, else the dataset's folder name."""
        counts: Counter[str] = Counter()
        for path, part in zip(self.data, self.parts, strict=True):
            counts.update(count_sources(part) or {path.name: len(part.samples)})
        return dict(counts)


def read_training_pool(
    data: Sequence[Path], progress: StepProgress = _no_progress, max_distance: int = 5
) -> TrainingPool:
    """Read the non-test photos of every dataset in ``data``, drop unreadable ones and hash them.

    A photo within ``max_distance`` bits of a test photo of another dataset is left out too (reported in ``bad``),
    so that adding a dataset never trains on a copy of another dataset's test photo.

    Raises
    ------
    InputError
        When no dataset is given, the same folder is given twice or a dataset has no photo outside ``test/``.
    """
    paths = tuple(Path(d) for d in data)
    if not paths:
        raise InputError("no training data: give at least one dataset folder")
    resolved = [p.resolve() for p in paths]
    if len(set(resolved)) != len(resolved):
        raise InputError(f"the same dataset folder is given twice: {', '.join(map(str, paths))}")
    scans, test_hashes = [], []
    for path in paths:
        dataset = read_dataset(path)
        pool = Dataset(dataset.root, tuple(s for s in dataset.samples if s.split != "test"))
        scans.append(scan_dataset(pool, lambda d, t, name=path.name: progress(f"checking photos of {name}", d, t)))
        test = dataset.subset("test")
        test_hashes.append(
            scan_dataset(test).hashes if len(paths) > 1 and test.samples else np.zeros((0, 8), np.uint64)
        )
    parts, hashes, bad = [], [], []
    for i, scan in enumerate(scans):
        others = np.concatenate([np.zeros((0, 8), np.uint64)] + [h for j, h in enumerate(test_hashes) if j != i])
        near = np.zeros(len(scan.hashes), dtype=bool)
        if len(others) and len(scan.hashes):
            both = np.concatenate([scan.hashes, others])
            near = hash_distances_block(both, 0, len(scan.hashes))[:, len(scan.hashes) :].min(axis=1) <= max_distance
        keep = tuple(s for s, drop in zip(scan.dataset.samples, near, strict=True) if not drop)
        parts.append(Dataset(scan.dataset.root, keep, scan.dataset.classes))
        hashes.append(scan.hashes[~near])
        bad += list(scan.bad) + [
            (s.path, "near-duplicate of another dataset's test photo")
            for s, drop in zip(scan.dataset.samples, near, strict=True)
            if drop
        ]
    empty = [str(path) for path, part in zip(paths, parts, strict=True) if not part.samples]
    if empty:
        raise InputError(f"{', '.join(empty)}: no photo to train on outside test/ (give train/ or val/ photos)")
    labels = tuple(sorted({s.label for part in parts for s in part.samples}))
    return TrainingPool(paths, tuple(parts), labels, np.concatenate(hashes), tuple(bad))


def default_cache_dir() -> Path:
    """Where cached features and exported trunks go (the user cache folder)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("batik-studio")) / "features"


def train_probe(
    data: Path | Sequence[Path],
    out: Path,
    config: TrainConfig,
    *,
    cache_dir: Path | None = None,
    progress: StepProgress = _no_progress,
) -> dict:
    """Train the default recipe on the non-test photos of ``data`` (one or more datasets) and write ``out``.

    With several datasets, classes are matched by folder name and near-duplicates are grouped across all of them;
    no dataset's ``test/`` split is trained on. Returns the training summary (also stored in ``metrics.json``).
    """
    from batik_studio.vision.loso import ensure_trunk, preprocessing

    started = time.perf_counter()
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    pool = read_training_pool([data] if isinstance(data, str | Path) else data, progress, config.duplicate_bits)
    labels = list(pool.labels)
    targets = pool.targets
    counts = np.bincount(targets, minlength=len(labels))
    if len(labels) < 2 or counts.min() < config.folds:
        found = dict(zip(labels, counts.tolist(), strict=True))
        raise InputError(f"{_names(pool.data)}: need at least 2 classes with {config.folds}+ photos each, got {found}")
    groups = near_duplicate_groups(pool.hashes, config.duplicate_bits)

    pre, served = preprocessing(config)
    trunk = ensure_trunk(config, cache_dir, progress)
    tick = time.perf_counter()
    # Features are extracted (and cached) per dataset, so adding a dataset does not recompute the others.
    augmented = np.concatenate(
        [
            extract_features(
                trunk,
                part,
                pre,
                aug=config.augment,
                n_views=config.views,
                seed=config.seed,
                cache_dir=cache_dir,
                progress=lambda d, t, name=path.name: progress(f"features of augmented views, {name}", d, t),
            )
            for path, part in zip(pool.data, pool.parts, strict=True)
        ]
    )
    feature_seconds = time.perf_counter() - tick
    held = np.concatenate(
        [
            extract_features(
                trunk,
                part,
                served,
                cache_dir=cache_dir,
                progress=lambda d, t, name=path.name: progress(f"features of served views, {name}", d, t),
            )
            for path, part in zip(pool.data, pool.parts, strict=True)
        ]
    )

    fitted = fit_probe(augmented, held, targets, groups, config, progress, sources=pool.part_index)
    temperature, threshold = fitted.temperature, fitted.threshold
    oof_logits = fitted.oof_logits

    staging = _export_probe(out, config, labels, fitted, served, progress)
    oof_right = oof_logits.argmax(axis=1) == targets
    part_index = pool.part_index
    summary = {
        "recipe": config.recipe,
        "train_photos": len(targets),
        "train_counts": dict(zip(labels, counts.tolist(), strict=True)),
        "left_out": [f"{p}: {why}" for p, why in pool.bad],
        "duplicate_groups": int(len(np.unique(groups))),
        "sources": pool.sources(),
        "cv_accuracy": float(oof_right.mean()),
        "cv_accuracy_by_data": {
            str(path): float(oof_right[part_index == i].mean()) for i, path in enumerate(pool.data)
        },
        "cv_ece_before": expected_calibration_error(softmax(oof_logits), targets),
        "cv_ece_after": expected_calibration_error(softmax(oof_logits, temperature), targets),
        "temperature": temperature,
        "threshold": threshold,
        "rejection_thresholds": fitted.thresholds,
        "calibration": fitted.calibration,
        "train_seconds": round(time.perf_counter() - started, 1),
        "trained_on": datetime.now(UTC).date().isoformat(),
        "augmented_feature_seconds": round(feature_seconds, 1),
        "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
        "config": config.to_dict(),
        "data": [str(path) for path in pool.data],
    }
    _finish(out, staging, summary)
    return summary


def _export_probe(
    out: Path, config: TrainConfig, labels: Sequence[str], fitted: FittedProbe, served, progress: StepProgress
) -> Path:
    """Write the ONNX model, labels, preprocessing, calibration and rejection arrays into ``<out>.partial``."""
    from batik_studio.vision.export import export_classifier

    out = Path(out)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    progress("exporting ONNX", 0, 1)
    export_classifier(
        config.backbone,
        fitted.head.weight,
        fitted.head.bias,
        staging / MODEL_FILE,
        served.image_size,
        Path(config.weights) if config.weights else None,
        config.l2_normalize,
        config.power_normalize,
        config.feature_layers,
    )
    progress("exporting ONNX", 1, 1)
    write_json(staging / LABELS_FILE, list(labels))
    served.save(staging / PREPROCESS_FILE)
    write_calibration(
        staging, Calibration(fitted.temperature, fitted.threshold, config.false_reject_rate, fitted.scorer.rule)
    )
    fitted.scorer.save(staging / UNKNOWN_FILE)
    return staging


def _finish(out: Path, staging: Path, summary: dict) -> None:
    """Write ``metrics.json`` and move the finished folder into place (keeping the old folder's notes)."""
    out = Path(out)
    write_json(staging / METRICS_FILE, {"training": summary, "evaluations": {}})
    if out.exists():
        carry_notes(out, staging)
        shutil.rmtree(out)
    staging.rename(out)


def train_sources(
    sources: Sequence[Path],
    out: Path,
    config: TrainConfig,
    *,
    cache_dir: Path | None = None,
    progress: StepProgress = _no_progress,
) -> dict:
    """Train the probe on every photo outside ``test/`` of the motifs ``sources.model_motifs`` picks, write ``out``.

    The motifs are the catalogue motifs with photos from at least two sources (plus the seed motifs); features come
    from the same cache as ``batik evaluate-sources``, so a recipe measured there trains in minutes.
    """
    from batik_studio.vision.loso import pool_features, preprocessing
    from batik_studio.vision.sources import model_motifs, read_sources

    started = time.perf_counter()
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    pool = read_sources(sources, max_distance=config.duplicate_bits, cache_dir=cache_dir, progress=progress)
    labels = list(model_motifs(pool))
    keep = np.isin(pool.labels, labels)
    targets = np.array([labels.index(name) for name in pool.labels[keep]])
    tick = time.perf_counter()
    features = pool_features(pool, config, cache_dir, progress)
    feature_seconds = time.perf_counter() - tick
    groups = pool.groups[keep]
    source = pool.source[keep]
    fitted = fit_probe(
        features.augmented[keep], features.served[keep], targets, groups, config, progress, sources=source
    )
    staging = _export_probe(out, config, labels, fitted, preprocessing(config)[1], progress)
    oof_right = fitted.oof_logits.argmax(axis=1) == targets
    counts = np.bincount(targets, minlength=len(labels))
    summary = {
        "recipe": config.recipe,
        "train_photos": int(len(targets)),
        "train_counts": dict(zip(labels, counts.tolist(), strict=True)),
        "duplicate_groups": int(len(np.unique(groups))),
        "sources": {name: int((source == i).sum()) for i, name in enumerate(pool.names)},
        "cv_accuracy": float(oof_right.mean()),
        "cv_accuracy_by_data": {name: float(oof_right[source == i].mean()) for i, name in enumerate(pool.names)},
        "cv_ece_before": expected_calibration_error(softmax(fitted.oof_logits), targets),
        "cv_ece_after": expected_calibration_error(softmax(fitted.oof_logits, fitted.temperature), targets),
        "temperature": fitted.temperature,
        "threshold": fitted.threshold,
        "rejection_thresholds": fitted.thresholds,
        "calibration": fitted.calibration,
        "train_seconds": round(time.perf_counter() - started, 1),
        "trained_on": datetime.now(UTC).date().isoformat(),
        "augmented_feature_seconds": round(feature_seconds, 1),
        "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
        "config": config.to_dict(),
        "data": [str(path) for path in sources],
        "data_option": "--source",
    }
    _finish(out, staging, summary)
    return summary


def _names(data: Sequence[Path]) -> str:
    return ", ".join(str(path) for path in data)


def train_model(
    data: Path | Sequence[Path],
    out: Path,
    config: TrainConfig,
    *,
    cache_dir: Path | None = None,
    progress: StepProgress = _no_progress,
) -> dict:
    """Train with ``config.recipe``, write the model folder, score it on each test split (if any), write the card.

    ``data`` is one dataset folder or several (the ``probe`` recipe trains on all of them, classes matched by
    folder name); the ``test/`` split of each is scored and recorded as ``<folder name>/test``, the first one's
    figures (confusion matrix, reliability diagram) written into the model folder.
    """
    from batik_studio.vision.evaluate import evaluate_model
    from batik_studio.vision.model_card import record_evaluation, write_card

    paths = [Path(data)] if isinstance(data, str | Path) else [Path(d) for d in data]
    if config.recipe == "seed":
        from batik_studio.vision.seed_recipe import train_seed

        if len(paths) != 1:
            raise InputError(f"the seed recipe trains on one dataset; got {len(paths)}: {_names(paths)}")
        summary = train_seed(paths[0], out, config, cache_dir=cache_dir, progress=progress)
    else:
        summary = train_probe(paths, out, config, cache_dir=cache_dir, progress=progress)
    write_card(out)
    summary["test_accuracy"] = {}
    for i, path in enumerate(paths):
        if "test" in read_dataset(path).splits:
            result = evaluate_model(
                out,
                path,
                figures=out if i == 0 else None,
                progress=lambda d, t, name=path.name: progress(f"scoring {name}/test", d, t),
            )
            record_evaluation(out, f"{path.name}/test", result)
            summary["test_accuracy"][f"{path.name}/test"] = result["accuracy"]
    return summary


__all__ = [
    "FittedProbe",
    "LinearHead",
    "TrainingPool",
    "default_cache_dir",
    "fit_head",
    "fit_probe",
    "normalize_features",
    "read_training_pool",
    "train_model",
    "train_probe",
    "train_sources",
    "weighted_quantile",
]
