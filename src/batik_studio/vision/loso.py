"""Leave-one-source-out evaluation: for each source, fit on the others and score the held-out one.

Backbone features are computed once per photo and view and cached (``features.extract_features``), so every fold
only refits the linear head, the temperature and the rejection rule (``train.fit_probe``, which fits the last two
on the fold's training sources held out in turn, ``source_folds``), in seconds; every rejection rule is scored
side by side (``summarize_rules``). A near-duplicate group never straddles a fold: training photos grouped with
any held-out photo are left out of that fold. A motif that only one source has (Tumpal) cannot be held out by
source; it is scored on a grouped held-out split of that source instead (the fold named ``<source> (own split)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from batik_studio.errors import InputError
from batik_studio.vision.backbones_info import BACKBONE_INFO
from batik_studio.vision.config import TrainConfig
from batik_studio.vision.data import Dataset, grouped_split
from batik_studio.vision.sources import SEED_MOTIFS, SourcePool, catalogue_name

StepProgress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class PoolFeatures:
    """Cached backbone features of every photo of a ``SourcePool``.

    ``served`` (n, Vs, D): the test-time views the shipped model sees; ``augmented`` (n, Va, D): the clean view
    and random augmented views, computed only for photos of catalogue motifs (``has_augmented``), zeros elsewhere.
    """

    served: np.ndarray
    augmented: np.ndarray
    has_augmented: np.ndarray


def ensure_trunk(config: TrainConfig, cache_dir: Path, progress: StepProgress = _no_progress) -> Path:
    """The exported pooled backbone (ONNX) of ``config``, exported into ``cache_dir`` on first use."""
    size = BACKBONE_INFO[config.backbone][0]
    layers = "" if config.feature_layers == ("head",) else "-" + "+".join(config.feature_layers)
    trunk = Path(cache_dir) / f"trunk-{config.backbone}-{size}{layers}.onnx"
    if not trunk.exists():
        from batik_studio.vision.export import export_trunk

        progress("exporting backbone", 0, 1)
        weights = Path(config.weights) if config.weights else None
        export_trunk(config.backbone, trunk, size, weights, config.feature_layers)
        progress("exporting backbone", 1, 1)
    return trunk


def preprocessing(config: TrainConfig):
    """(training view, served views) preprocessing of a config's backbone."""
    from batik_studio.vision.preprocess import Preprocess

    size, _, mean, std = BACKBONE_INFO[config.backbone]
    train_pre = Preprocess(image_size=size, mean=mean, std=std)
    served = Preprocess(image_size=size, mean=mean, std=std, crop_fraction=config.crop_fraction, tta_crops=config.tta)
    return train_pre, served


def pool_features(
    pool: SourcePool, config: TrainConfig, cache_dir: Path, progress: StepProgress = _no_progress
) -> PoolFeatures:
    """Served and augmented features of every photo of ``pool``, per source (each source cached on its own)."""
    from batik_studio.vision.features import extract_features

    trunk = ensure_trunk(config, cache_dir, progress)
    train_pre, served_pre = preprocessing(config)
    served, augmented, has = [], [], []
    for name, dataset in zip(pool.names, pool.datasets, strict=True):
        served.append(
            extract_features(
                trunk,
                dataset,
                served_pre,
                cache_dir=cache_dir,
                progress=lambda d, t, n=name: progress(f"features of served views, {n}", d, t),
            )
        )
        known = np.array([catalogue_name(s.label) is not None for s in dataset.samples], dtype=bool)
        block = np.zeros((len(dataset.samples), config.views, served[-1].shape[2]), dtype=np.float32)
        if known.any():
            subset = Dataset(dataset.root, tuple(s for s, k in zip(dataset.samples, known, strict=True) if k))
            block[known] = extract_features(
                trunk,
                subset,
                train_pre,
                aug=config.augment,
                n_views=config.views,
                seed=config.seed,
                cache_dir=cache_dir,
                progress=lambda d, t, n=name: progress(f"features of augmented views, {n}", d, t),
            )
        augmented.append(block)
        has.append(known)
    return PoolFeatures(np.concatenate(served), np.concatenate(augmented), np.concatenate(has))


def folder_features(
    folder: Path, config: TrainConfig, cache_dir: Path, progress: StepProgress = _no_progress
) -> np.ndarray:
    """Served-view features (n, Vs, D) of every photo below a folder of photos that are none of the motifs."""
    from batik_studio.vision.data import read_flat_folder, scan_dataset
    from batik_studio.vision.features import extract_features

    trunk = ensure_trunk(config, cache_dir, progress)
    dataset = scan_dataset(read_flat_folder(folder)).dataset
    return extract_features(
        trunk,
        dataset,
        preprocessing(config)[1],
        cache_dir=cache_dir,
        progress=lambda d, t: progress(f"features of served views, {Path(folder).name}", d, t),
    )


@dataclass(frozen=True)
class Fold:
    """One fold: the photos fitted on (``train``) and scored (``test``), as indices into the pool.

    ``scored`` names the motifs whose held-out photos count as known; by default every motif fitted on.
    """

    name: str
    train: np.ndarray
    test: np.ndarray
    scored: tuple[str, ...] = ()


def plan_folds(
    pool: SourcePool, motifs: Sequence[str], own_split: float = 0.3, seed: int = 42, min_photos: int = 5
) -> list[Fold]:
    """One fold per source (train on the other sources), plus an own-split fold per single-source motif.

    Training photos are those of ``motifs`` outside the held-out photos' near-duplicate groups; a motif with fewer
    than ``min_photos`` training photos in a fold is left out of that fold's model.
    """
    labels = pool.labels
    in_model = np.isin(labels, list(motifs))
    folds = []
    for index, name in enumerate(pool.names):
        test = np.flatnonzero(pool.source == index)
        folds.append(Fold(name, _train_side(pool, labels, in_model, test, min_photos), test))
    per_motif = pool.motif_sources()
    for motif in motifs:
        holders = list(per_motif.get(motif, {}))
        if len(holders) != 1:
            continue
        index = pool.names.index(holders[0])
        own = np.flatnonzero(pool.source == index)
        known = np.isin(labels[own], list(motifs))
        targets = np.unique(labels[own][known], return_inverse=True)[1]
        _, test_part = grouped_split(targets, pool.groups[own][known], own_split, seed)
        test = own[known][test_part]
        folds.append(
            Fold(f"{holders[0]} (own split)", _train_side(pool, labels, in_model, test, min_photos), test, (motif,))
        )
    return folds


def source_folds(sources: np.ndarray, groups: np.ndarray, n_folds: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit index, held index) pairs that each hold out whole sources, for calibration inside a training set.

    ``n_folds`` 0 gives one fold per source; otherwise the sources are dealt into ``n_folds`` folds, largest first
    onto the fold with the fewest photos. The fitting side leaves out every photo in a near-duplicate group of a
    held-out photo, so a copy in another source is never fitted on either.
    """
    names, counts = np.unique(sources, return_counts=True)
    if n_folds == 0 or n_folds >= len(names):
        bins = [[name] for name in names]
    else:
        bins, sizes = [[] for _ in range(n_folds)], np.zeros(n_folds)
        for i in np.argsort(-counts, kind="stable"):
            smallest = int(np.argmin(sizes))
            bins[smallest].append(names[i])
            sizes[smallest] += counts[i]
    folds = []
    for members in bins:
        held = np.flatnonzero(np.isin(sources, members))
        fit = np.flatnonzero(~np.isin(sources, members) & ~np.isin(groups, np.unique(groups[held])))
        folds.append((fit, held))
    return folds


def _train_side(pool: SourcePool, labels: np.ndarray, in_model: np.ndarray, test: np.ndarray, minimum: int):
    held_groups = np.unique(pool.groups[test])
    candidate = in_model & ~np.isin(pool.groups, held_groups)
    candidate[test] = False
    names, counts = np.unique(labels[candidate], return_counts=True)
    enough = names[counts >= minimum]
    return np.flatnonzero(candidate & np.isin(labels, enough))


def _rates(known: np.ndarray, other: np.ndarray, threshold: float) -> dict:
    from batik_studio.vision.evaluate import roc_auc

    if not len(other) or not len(known):
        return {"n": int(len(other)), "auroc": None, "rejected": None}
    return {"n": int(len(other)), "auroc": roc_auc(known, other), "rejected": float((other > threshold).mean())}


def _scores(fitted, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw logits, calibrated probabilities and rejection scores of served-view features (n, Vs, D)."""
    from batik_studio.vision.predict import softmax

    logits = fitted.head.logits(features).mean(axis=1)
    probs = softmax(logits, fitted.temperature)
    return logits, probs, fitted.scorer.score(features.mean(axis=1), probs)


def _accuracy_f1(targets: np.ndarray, predicted: np.ndarray) -> tuple[float | None, float | None]:
    from sklearn.metrics import f1_score

    if not len(targets):
        return None, None
    present = np.unique(targets)
    return float((targets == predicted).mean()), float(
        f1_score(targets, predicted, labels=present, average="macro", zero_division=0)
    )


def run_fold(
    fold: Fold,
    labels: np.ndarray,
    groups: np.ndarray,
    sources: np.ndarray,
    paths: Sequence[str],
    features: PoolFeatures,
    negatives: dict[str, np.ndarray],
    motifs: Sequence[str],
    config: TrainConfig,
) -> dict:
    """Fit on ``fold.train`` and score ``fold.test``.

    Reports accuracy and macro-F1 (all known motifs and the seed ones), ECE before/after temperature, known photos
    rejected, and AUROC / rejection rate for the held-out photos of motifs outside the model and for each
    negatives folder; the wrong answers are listed for label audits.
    """
    from batik_studio.vision.evaluate import expected_calibration_error
    from batik_studio.vision.predict import softmax
    from batik_studio.vision.train import fit_probe

    fitted_motifs = sorted(set(labels[fold.train]))
    index = {name: i for i, name in enumerate(fitted_motifs)}
    targets = np.array([index[name] for name in labels[fold.train]])
    train_augmented = features.augmented[fold.train]
    fitted = fit_probe(
        train_augmented, features.served[fold.train], targets, groups[fold.train], config, sources=sources[fold.train]
    )
    scored = set(fold.scored or fitted_motifs)
    test_labels = labels[fold.test]
    known = np.isin(test_labels, sorted(scored))
    outside = ~np.isin(test_labels, list(motifs))
    logits, probs, scores = _scores(fitted, features.served[fold.test])
    known_targets = np.array([index[name] for name in test_labels[known]], dtype=np.int64)
    predicted = probs[known].argmax(axis=1)
    seed = np.isin(test_labels[known], SEED_MOTIFS)
    accuracy, macro_f1 = _accuracy_f1(known_targets, predicted)
    accuracy_seed, macro_f1_seed = _accuracy_f1(known_targets[seed], predicted[seed])
    threshold = fitted.threshold
    result = {
        "fold": fold.name,
        "train_photos": int(len(fold.train)),
        "motifs_fitted": fitted_motifs,
        "n_known": int(known.sum()),
        "n_seed": int(seed.sum()),
        "not_scored": sorted(set(test_labels[~known & ~outside])),
        "accuracy": accuracy,
        "macro_f1": macro_f1,
        "accuracy_seed": accuracy_seed,
        "macro_f1_seed": macro_f1_seed,
        "ece_before": expected_calibration_error(softmax(logits[known]), known_targets) if known.any() else None,
        "ece_after": expected_calibration_error(probs[known], known_targets) if known.any() else None,
        "temperature": fitted.temperature,
        "known_rejected": float((scores[known] > threshold).mean()) if known.any() else None,
        "outside": _rates(scores[known], scores[outside], threshold),
        "negatives": {},
        "wrong": [
            {"file": paths[i], "true": test_labels[j], "predicted": fitted_motifs[p], "probability": float(q)}
            for i, j, p, q in zip(
                fold.test[known], np.flatnonzero(known), predicted, probs[known].max(axis=1), strict=True
            )
            if fitted_motifs[p] != test_labels[j]
        ],
    }
    for name, negative in negatives.items():
        result["negatives"][name] = _rates(scores[known], _scores(fitted, negative)[2], threshold)
    result["rules"] = _rule_rows(fitted, features.served[fold.test], known, outside, negatives)
    return result


def _rule_rows(fitted, served: np.ndarray, known: np.ndarray, outside: np.ndarray, negatives: dict) -> dict:
    """Every rejection rule's threshold, AUROCs (other motifs, each negatives folder) and known share rejected."""
    from batik_studio.vision.evaluate import roc_auc

    def rules(features: np.ndarray) -> dict[str, np.ndarray]:
        probs = _scores(fitted, features)[1]
        return fitted.scorer.rules(fitted.scorer.cues(features.mean(axis=1), probs))

    mine = rules(served)
    sets = {"outside": rules(served[outside])} if outside.any() else {}
    sets |= {name: rules(negative) for name, negative in negatives.items()}
    rows = {}
    for rule, threshold in fitted.thresholds.items():
        if not known.any():
            continue
        row = {"threshold": threshold, "known_rejected": float((mine[rule][known] > threshold).mean())}
        row["auroc"] = {name: roc_auc(mine[rule][known], found[rule]) for name, found in sets.items()}
        row["rejected"] = {name: float((found[rule] > threshold).mean()) for name, found in sets.items()}
        rows[rule] = row
    return rows


def summarize_rules(rows: Sequence[dict], shipped: str) -> dict:
    """Mean over the source folds of every rule's AUROCs and known share rejected, and the rule they pick.

    The pick: among rules rejecting at most 5% of known photos on average (all rules when none does), the one with
    the highest mean AUROC over the other motifs and the negatives folders.
    """
    by_source = [row for row in rows if not row["fold"].endswith("(own split)") and row.get("rules")]
    if not by_source:
        return {}
    table = {}
    for rule in by_source[0]["rules"]:
        found = [row["rules"][rule] for row in by_source if rule in row["rules"]]
        names = list(dict.fromkeys(name for row in found for name in row["auroc"]))
        table[rule] = {
            "known_rejected": float(np.mean([row["known_rejected"] for row in found])),
            "auroc": {name: float(np.mean([r["auroc"][name] for r in found if name in r["auroc"]])) for name in names},
            "rejected": {
                name: float(np.mean([r["rejected"][name] for r in found if name in r["rejected"]])) for name in names
            },
        }
        table[rule]["mean_auroc"] = float(np.mean(list(table[rule]["auroc"].values())))
    eligible = [rule for rule, row in table.items() if row["known_rejected"] <= 0.05] or list(table)
    return {"rules": table, "picked": max(eligible, key=lambda rule: table[rule]["mean_auroc"]), "shipped": shipped}


def _mean(rows: Sequence[dict], key: str, sub: str | None = None) -> float | None:
    values = [row[key][sub] if sub else row[key] for row in rows]
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def summarize_folds(rows: Sequence[dict]) -> dict:
    """Averages over the source folds (unweighted: every source counts once); own-split folds are kept apart."""
    by_source = [row for row in rows if not row["fold"].endswith("(own split)")]
    average = {
        key: _mean(by_source, key)
        for key in ("accuracy", "macro_f1", "accuracy_seed", "macro_f1_seed", "ece_after", "known_rejected")
    }
    average["outside_auroc"] = _mean(by_source, "outside", "auroc")
    average["outside_rejected"] = _mean(by_source, "outside", "rejected")
    for name in by_source[0]["negatives"] if by_source else ():
        average[f"{name}_auroc"] = float(np.mean([row["negatives"][name]["auroc"] for row in by_source]))
        average[f"{name}_rejected"] = float(np.mean([row["negatives"][name]["rejected"] for row in by_source]))
    return average


def leave_source_out(
    pool: SourcePool,
    features: PoolFeatures,
    motifs: Sequence[str],
    config: TrainConfig,
    negatives: dict[str, np.ndarray] | None = None,
    *,
    workers: int = 1,
    ray_address: str | None = None,
    progress: StepProgress = _no_progress,
) -> dict:
    """Run every fold of ``plan_folds`` (in this process, a local process pool, or as Ray tasks) and summarise."""
    if len(pool.names) < 2:
        raise InputError(f"leave-one-source-out needs at least 2 sources, got {len(pool.names)}")
    folds = plan_folds(pool, motifs)
    labels, groups = pool.labels, pool.groups
    paths = [str(s.path) for s in pool.samples]
    args = (labels, groups, pool.source, paths, features, negatives or {}, tuple(motifs), config)
    rows: list[dict] = []
    progress("leave-one-source-out folds", 0, len(folds))
    if ray_address is not None:
        rows = _run_on_ray(folds, args, ray_address, progress)
    elif workers > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as executor:
            futures = [executor.submit(run_fold, fold, *args) for fold in folds]
            for future in as_completed(futures):
                rows.append(future.result())
                progress("leave-one-source-out folds", len(rows), len(folds))
    else:
        for fold in folds:
            rows.append(run_fold(fold, *args))
            progress("leave-one-source-out folds", len(rows), len(folds))
    order = {fold.name: i for i, fold in enumerate(folds)}
    rows.sort(key=lambda row: order[row["fold"]])
    return {
        "motifs": list(motifs),
        "sources": {name: int((pool.source == i).sum()) for i, name in enumerate(pool.names)},
        "config": config.to_dict(),
        "folds": rows,
        "average": summarize_folds(rows),
        **summarize_rules(rows, config.rejection_rule),
    }


def _run_on_ray(folds: Sequence[Fold], args: tuple, address: str, progress: StepProgress) -> list[dict]:
    try:
        import ray
    except ImportError as error:
        raise InputError(
            "running folds on Ray needs Ray: pip install 'batik-studio[cluster]'", settings=("ray",)
        ) from error
    opened_here = not ray.is_initialized()
    if opened_here:
        ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1)(run_fold)
        refs = [ray.put(arg) for arg in args]
        pending = [task.remote(fold, *refs) for fold in folds]
        rows = []
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            rows.extend(ray.get(done))
            progress("leave-one-source-out folds", len(rows), len(folds))
        return rows
    finally:
        if opened_here:
            ray.shutdown()


__all__ = [
    "Fold",
    "PoolFeatures",
    "ensure_trunk",
    "folder_features",
    "leave_source_out",
    "plan_folds",
    "pool_features",
    "run_fold",
    "source_folds",
    "summarize_folds",
    "summarize_rules",
]
