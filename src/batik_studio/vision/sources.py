"""Photos grouped by the source they come from, with motif names mapped onto the catalogue (no torch).

A source is one public collection of photos. ``read_sources`` turns dataset folders into sources: a folder with a
manifest (``MANIFEST.csv`` in it or its parent, columns ``class, file, source``) is split into one source per
manifest value (``nusantara`` holds Telabatik and Corak photos), any other folder is one source named after it.
Class-folder names are mapped onto catalogue motif names (name or alias), so "Sekar Jagat" and "Sekar Jagad" meet.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from batik_studio.errors import InputError
from batik_studio.vision.data import Dataset, Sample, near_duplicate_groups, read_dataset, scan_dataset

#: The seven motifs of the seed paper (and of ``models/batik7``).
SEED_MOTIFS = ("Insang", "Kawung", "Mega Mendung", "Parang", "Sidoluhur", "Truntum", "Tumpal")

StepProgress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class SourcePool:
    """Every readable photo of every source, labels mapped onto catalogue names.

    ``source[i]`` indexes ``names``; ``groups[i]`` is the near-duplicate group of photo ``i`` over all sources, so
    a copy of a photo in another source lands in the same group; ``folder_labels`` keeps the original names.
    """

    names: tuple[str, ...]
    datasets: tuple[Dataset, ...]
    source: np.ndarray
    groups: np.ndarray
    folder_labels: tuple[str, ...]

    @property
    def samples(self) -> tuple[Sample, ...]:
        """Every photo, source by source."""
        return tuple(s for d in self.datasets for s in d.samples)

    @property
    def labels(self) -> np.ndarray:
        """The catalogue (or folder) motif name of every photo, as an object array."""
        return np.array([s.label for s in self.samples], dtype=object)

    def motif_sources(self) -> dict[str, dict[str, int]]:
        """For every motif, the photo count per source that has it."""
        counts: dict[str, Counter[str]] = {}
        for label, src in zip(self.labels, self.source, strict=True):
            counts.setdefault(label, Counter())[self.names[src]] += 1
        return {label: dict(c) for label, c in sorted(counts.items())}


@functools.cache
def catalogue_name(folder_name: str) -> str | None:
    """The catalogue motif a class-folder name stands for (its name or an alias), or None."""
    from batik_studio.catalog import load_catalog

    motif = load_catalog().get(folder_name)
    return motif.name if motif is not None else None


def _manifest(folder: Path) -> dict[tuple[str, str], str] | None:
    for parent in (folder, folder.parent):
        path = parent / "MANIFEST.csv"
        if not path.is_file():
            continue
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            if not {"class", "file", "source"} <= set(reader.fieldnames or ()):
                continue
            return {(row["class"], row["file"]): row["source"] for row in reader}
    return None


def split_by_source(folder: Path) -> list[tuple[str, Dataset]]:
    """The photos of a dataset folder (outside ``test/``) as (source name, dataset) pairs, labels as folders."""
    dataset = read_dataset(folder)
    samples = [s for s in dataset.samples if s.split != "test"]
    origins = _manifest(Path(folder))
    if origins is None:
        return [(Path(folder).name, Dataset(dataset.root, tuple(samples)))]
    by_source: dict[str, list[Sample]] = {}
    for sample in samples:
        by_source.setdefault(origins.get((sample.label, sample.path.name), "unlisted"), []).append(sample)
    return [(name, Dataset(dataset.root, tuple(found))) for name, found in sorted(by_source.items())]


def _hash_cache_key(dataset: Dataset) -> str:
    files = [(str(s.path.resolve()), s.path.stat().st_size, int(s.path.stat().st_mtime)) for s in dataset.samples]
    return hashlib.sha1(json.dumps(files).encode()).hexdigest()[:16]


def _cached_scan(dataset: Dataset, cache_dir: Path | None, progress: Callable[[int, int], None]):
    """``scan_dataset`` whose hashes and unreadable list are kept on disk, keyed by the file list."""
    if cache_dir is None:
        scan = scan_dataset(dataset, progress)
        return scan.dataset, scan.hashes
    path = Path(cache_dir) / f"hashes-{_hash_cache_key(dataset)}.npz"
    if path.exists():
        with np.load(path) as data:
            good = set(data["good"].tolist())
            hashes = data["hashes"]
        kept_samples = tuple(s for s in dataset.samples if str(s.path.resolve()) in good)
        kept = Dataset(dataset.root, kept_samples, dataset.classes)
        return kept, hashes
    scan = scan_dataset(dataset, progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, good=np.array([str(s.path.resolve()) for s in scan.dataset.samples]), hashes=scan.hashes)
    os.replace(tmp, path)
    return scan.dataset, scan.hashes


def read_sources(
    folders: Sequence[Path],
    *,
    max_distance: int = 5,
    cache_dir: Path | None = None,
    progress: StepProgress = _no_progress,
) -> SourcePool:
    """Read dataset folders as sources, drop unreadable photos, map labels and group near-duplicates.

    Raises
    ------
    InputError
        When no folder is given or two folders give a source of the same name.
    """
    if not folders:
        raise InputError("no sources: give at least two dataset folders", settings=("source",))
    names, datasets, hashes, folder_labels = [], [], [], []
    for folder in folders:
        for name, dataset in split_by_source(Path(folder)):
            if name in names:
                raise InputError(f"{folder}: source {name!r} is given twice; give each source folder once")
            kept, found = _cached_scan(
                dataset, cache_dir, lambda d, t, n=name: progress(f"checking photos of {n}", d, t)
            )
            mapped = tuple(Sample(s.path, catalogue_name(s.label) or s.label, s.split) for s in kept.samples)
            names.append(name)
            datasets.append(Dataset(kept.root, mapped))
            hashes.append(found)
            folder_labels += [s.label for s in kept.samples]
    source = np.repeat(np.arange(len(names)), [len(d.samples) for d in datasets])
    groups = near_duplicate_groups(np.concatenate(hashes), max_distance)
    return SourcePool(tuple(names), tuple(datasets), source, groups, tuple(folder_labels))


def model_motifs(pool: SourcePool, min_sources: int = 2, min_photos: int = 20, keep: Sequence[str] = SEED_MOTIFS):
    """The motifs a model should know, sorted.

    Catalogue motifs with photos in ``min_sources`` sources and ``min_photos`` in all, plus ``keep`` (the seed
    motifs, even when one source has them).
    """
    chosen = set()
    for motif, per_source in pool.motif_sources().items():
        if catalogue_name(motif) is None:
            continue
        if (len(per_source) >= min_sources and sum(per_source.values()) >= min_photos) or motif in keep:
            chosen.add(motif)
    return tuple(sorted(chosen))


__all__ = ["SEED_MOTIFS", "SourcePool", "catalogue_name", "model_motifs", "read_sources", "split_by_source"]
