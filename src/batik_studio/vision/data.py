"""Image datasets as folders of class folders, near-duplicate grouping and grouped splits (no torch).

A dataset root holds either class folders directly (``nusantara/<Class>/``) or ``train/ val/ test/`` folders
that each hold class folders (``batik7``). Near-duplicates (rotated, mirrored, re-encoded copies) are found with
a difference hash taken over the 8 rotations/mirrors of each photo; every split made here keeps a group on one side.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from batik_studio.errors import ImageError, InputError
from batik_studio.vision.images import IMAGE_SUFFIXES, load_image

SPLITS = ("train", "val", "test")

Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Sample:
    """One photo: its path, class-folder name and split ("" for a flat dataset)."""

    path: Path
    label: str
    split: str = ""


@dataclass(frozen=True)
class Dataset:
    """The photos of a dataset folder; ``classes`` is sorted and holds every label in ``samples``."""

    root: Path
    samples: tuple[Sample, ...]
    classes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        labels = sorted({s.label for s in self.samples})
        if not self.classes:
            object.__setattr__(self, "classes", tuple(labels))
        missing = set(labels) - set(self.classes)
        if missing:
            raise InputError(f"{self.root}: labels {sorted(missing)} are not among the classes {list(self.classes)}")

    @property
    def splits(self) -> tuple[str, ...]:
        """Split names present, in train/val/test order ("" for a flat dataset)."""
        present = {s.split for s in self.samples}
        return tuple(name for name in ("", *SPLITS) if name in present)

    def subset(self, split: str | None = None, classes: Sequence[str] | None = None) -> Dataset:
        """The samples of one split and/or some classes (same root)."""
        keep = [
            s for s in self.samples if (split is None or s.split == split) and (classes is None or s.label in classes)
        ]
        return Dataset(self.root, tuple(keep), tuple(sorted({s.label for s in keep})))

    def counts(self) -> dict[str, int]:
        """Number of photos per class."""
        counter = Counter(s.label for s in self.samples)
        return {name: counter.get(name, 0) for name in self.classes}

    def targets(self, classes: Sequence[str] | None = None) -> np.ndarray:
        """Class indices (int64) of the samples, against ``classes`` (default: this dataset's classes)."""
        index = {name: i for i, name in enumerate(classes or self.classes)}
        return np.array([index[s.label] for s in self.samples], dtype=np.int64)


def _class_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def read_dataset(root: str | Path) -> Dataset:
    """List a dataset folder (class folders, optionally inside train/val/test).

    Raises
    ------
    InputError
        When the folder does not exist or holds no class folder with images.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder; expected a folder of class folders (optionally in train/val/test)")
    split_dirs = [root / name for name in SPLITS if (root / name).is_dir()]
    samples: list[Sample] = []
    if split_dirs:
        for split_dir in split_dirs:
            for class_dir in _class_folders(split_dir):
                samples += [Sample(p, class_dir.name, split_dir.name) for p in _images(class_dir)]
    else:
        for class_dir in _class_folders(root):
            samples += [Sample(p, class_dir.name) for p in _images(class_dir)]
    if not samples:
        raise InputError(f"{root}: no images found in class folders (expected {root}/<Class>/*.jpg)")
    return Dataset(root, tuple(samples))


def read_flat_folder(folder: str | Path, label: str = "unknown") -> Dataset:
    """Every image below ``folder`` (any depth), all with one label; for unknown / not-batik photo sets."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of images")
    paths = _images(folder)
    if not paths:
        raise InputError(f"{folder}: no images found")
    return Dataset(folder, tuple(Sample(p, label) for p in paths))


def dihedral_hashes(image: Image.Image, hash_size: int = 8) -> np.ndarray:
    """Difference hashes (uint64) of the 8 rotations/mirrors of an image; the first is of the image as is."""
    gray = image.convert("L").resize((hash_size + 1, hash_size + 1), Image.Resampling.LANCZOS)
    pixels = np.asarray(gray, dtype=np.int16)
    weights = np.left_shift(np.uint64(1), np.arange(hash_size * hash_size, dtype=np.uint64))
    hashes = []
    for mirrored in (pixels, pixels[:, ::-1]):
        for turns in range(4):
            view = np.rot90(mirrored, turns)[:hash_size, :]
            bits = (view[:, 1:] > view[:, :-1]).reshape(-1)
            hashes.append(np.sum(weights[bits], dtype=np.uint64))
    return np.array(hashes, dtype=np.uint64)


def hash_distances(hashes: np.ndarray) -> np.ndarray:
    """Pairwise rotation/mirror-invariant Hamming distances (n, n) from ``dihedral_hashes`` rows (n, 8)."""
    return hash_distances_block(hashes, 0, len(hashes))


def near_duplicate_groups(hashes: np.ndarray, max_distance: int = 5) -> np.ndarray:
    """Group ids (n,) joining photos whose hashes are within ``max_distance`` bits under any rotation/mirror."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(hashes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rows, cols = [], []
    for start in range(0, n, 512):
        block = hash_distances_block(hashes, start, min(n, start + 512))
        r, c = np.nonzero(block <= max_distance)
        rows.append(r + start)
        cols.append(c)
    rows_a, cols_a = np.concatenate(rows), np.concatenate(cols)
    graph = csr_matrix((np.ones(len(rows_a), dtype=np.int8), (rows_a, cols_a)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def hash_distances_block(hashes: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of ``hash_distances`` (keeps memory bounded for large datasets)."""
    xor = np.bitwise_xor(hashes[start:stop, 0][:, None, None], hashes[None, :, :])
    return np.bitwise_count(xor).min(axis=2).astype(np.int16)


@dataclass(frozen=True)
class ScanResult:
    """Hashes of the readable photos of a dataset and the unreadable ones (path, reason)."""

    dataset: Dataset
    hashes: np.ndarray
    bad: tuple[tuple[Path, str], ...]


def scan_dataset(dataset: Dataset, progress: Progress = _no_progress) -> ScanResult:
    """Open every photo once: keep the readable ones (with their hashes), list the unreadable ones."""
    good: list[Sample] = []
    hashes: list[np.ndarray] = []
    bad: list[tuple[Path, str]] = []
    total = len(dataset.samples)
    for done, sample in enumerate(dataset.samples, start=1):
        try:
            image = load_image(sample.path)
        except ImageError as exc:
            bad.append((sample.path, str(exc)))
        else:
            good.append(sample)
            hashes.append(dihedral_hashes(image))
        progress(done, total)
    kept = Dataset(dataset.root, tuple(good), dataset.classes)
    return ScanResult(kept, np.array(hashes, dtype=np.uint64).reshape(-1, 8), tuple(bad))


def grouped_folds(
    targets: np.ndarray, groups: np.ndarray, n_splits: int = 5, seed: int = 42
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified, grouped, shuffled K-fold (train index, validation index) pairs; a group never straddles folds."""
    from sklearn.model_selection import StratifiedGroupKFold

    counts = np.bincount(targets)
    smallest = int(counts[counts > 0].min())
    if smallest < n_splits:
        raise InputError(f"a class has only {smallest} photos; {n_splits}-fold cross-validation needs {n_splits}")
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(folds.split(np.zeros(len(targets)), targets, groups))


def grouped_split(
    targets: np.ndarray, groups: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """One stratified, grouped (train index, test index) split of about ``test_fraction`` of the photos."""
    n_splits = max(2, round(1 / test_fraction))
    return grouped_folds(targets, groups, n_splits=n_splits, seed=seed)[0]


@dataclass(frozen=True)
class CheckReport:
    """What ``batik data check`` reports about a dataset folder."""

    counts: dict[str, dict[str, int]]
    bad: tuple[tuple[Path, str], ...]
    groups: tuple[tuple[Path, ...], ...]
    cross_split: tuple[tuple[Path, ...], ...]
    small_classes: tuple[str, ...]

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "counts": self.counts,
            "unreadable": [{"file": str(p), "error": e} for p, e in self.bad],
            "duplicate_groups": [[str(p) for p in g] for g in self.groups],
            "cross_split_duplicates": [[str(p) for p in g] for g in self.cross_split],
            "small_classes": list(self.small_classes),
        }


def check_dataset(
    root: str | Path, *, max_distance: int = 5, min_per_class: int = 10, progress: Progress = _no_progress
) -> CheckReport:
    """Count photos per split and class, list unreadable files, near-duplicate groups and cross-split groups."""
    scan = scan_dataset(read_dataset(root), progress)
    dataset = scan.dataset
    counts: dict[str, dict[str, int]] = {}
    for split in dataset.splits:
        counts[split or "all"] = dataset.subset(split).counts()
    groups = near_duplicate_groups(scan.hashes, max_distance)
    members: dict[int, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(int(group), []).append(index)
    multi = [idx for idx in members.values() if len(idx) > 1]
    dup = tuple(tuple(dataset.samples[i].path for i in idx) for idx in multi)
    crossing = tuple(
        tuple(dataset.samples[i].path for i in idx) for idx in multi if len({dataset.samples[i].split for i in idx}) > 1
    )
    total = Counter(s.label for s in dataset.samples)
    small = tuple(name for name in dataset.classes if total[name] < min_per_class)
    return CheckReport(counts, scan.bad, dup, crossing, small)


def _read_manifest(path: Path) -> dict[tuple[str, str], str]:
    import csv

    try:
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the manifest ({exc.strerror or exc})") from exc
    if rows and not {"class", "file", "source"} <= set(rows[0]):
        raise InputError(f"{path}: manifest needs the columns class, file, source; found {sorted(rows[0])}")
    return {(row["class"], row["file"]): row["source"] for row in rows}


def count_sources(dataset: Dataset) -> dict[str, int] | None:
    """Photos per source, from a ``MANIFEST.csv`` (columns class, file, source) in the dataset folder or its parent.

    Returns None when there is no manifest; photos the manifest does not list count as "unlisted".
    """
    for folder in (dataset.root, dataset.root.parent):
        path = folder / "MANIFEST.csv"
        if path.is_file():
            origins = _read_manifest(path)
            return dict(Counter(origins.get((s.label, s.path.name), "unlisted") for s in dataset.samples))
    return None


def write_subset(
    source: str | Path,
    out: str | Path,
    *,
    classes: Sequence[str] | None = None,
    manifest: Path | None = None,
    origin: str | None = None,
    exclude_near: Sequence[Path] = (),
    max_distance: int = 10,
    holdout: float = 0.0,
    seed: int = 0,
) -> dict:
    """Link part of a dataset into a new dataset folder (symlinks, no copies) and return what was kept.

    Keeps the photos of ``classes`` (default all) whose manifest ``source`` equals ``origin`` (when given), drops
    every near-duplicate (within ``max_distance`` bits under any rotation/mirror) of a photo in the
    ``exclude_near`` datasets, and with ``holdout`` > 0 splits the rest into ``val/`` and ``test/`` so that
    near-duplicate groups stay on one side.
    """
    source, out = Path(source), Path(out)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out}: already exists and is not empty; choose a new folder")
    dataset = read_dataset(source)
    keep = [s for s in dataset.samples if classes is None or s.label in classes]
    if origin is not None:
        if manifest is None:
            raise InputError(
                "choosing photos by source needs a manifest (a CSV with columns class, file, source)",
                settings=("origin", "manifest"),
            )
        origins = _read_manifest(manifest)
        keep = [s for s in keep if origins.get((s.label, s.path.name)) == origin]
    if not keep:
        raise InputError(f"{source}: no photo left after the class and origin filters")
    scan = scan_dataset(Dataset(dataset.root, tuple(keep)))
    hashes = scan.hashes
    near = np.zeros(len(hashes), dtype=bool)
    for reference in exclude_near:
        ref = scan_dataset(read_dataset(reference)).hashes
        if len(ref):
            both = np.concatenate([hashes, ref])
            near |= hash_distances_block(both, 0, len(hashes))[:, len(hashes) :].min(axis=1) <= max_distance
    samples = [s for s, drop in zip(scan.dataset.samples, near, strict=True) if not drop]
    hashes = hashes[~near]
    split = np.full(len(samples), "", dtype=object)
    if holdout > 0:
        kept = Dataset(dataset.root, tuple(samples))
        _, test_idx = grouped_split(kept.targets(), near_duplicate_groups(hashes), holdout, seed)
        split[:] = "val"
        split[test_idx] = "test"
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {}
    for sample, part in zip(samples, split, strict=True):
        folder = out / part / sample.label
        folder.mkdir(parents=True, exist_ok=True)
        (folder / sample.path.name).symlink_to(sample.path.resolve())
        counts.setdefault(part or "all", {}).setdefault(sample.label, 0)
        counts[part or "all"][sample.label] += 1
    return {
        "out": str(out),
        "counts": counts,
        "unreadable": [str(p) for p, _ in scan.bad],
        "near_duplicates_dropped": int(near.sum()),
    }


__all__ = [
    "CheckReport",
    "count_sources",
    "Dataset",
    "Sample",
    "ScanResult",
    "check_dataset",
    "dihedral_hashes",
    "grouped_folds",
    "grouped_split",
    "hash_distances",
    "near_duplicate_groups",
    "read_dataset",
    "read_flat_folder",
    "scan_dataset",
    "write_subset",
]
