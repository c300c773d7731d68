"""Backbone features of many views per photo, run through an ONNX Runtime trunk and cached on disk.

Features are computed once per (trunk, preprocessing, augmentation, views, seed, files) and stored as
``.npz`` under a cache folder, so the classification head can be re-fitted in seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np

from batik_studio.atomic import atomic_outputs
from batik_studio.vision.augment import Augment, random_view
from batik_studio.vision.data import Dataset
from batik_studio.vision.images import load_image
from batik_studio.vision.preprocess import Preprocess, to_array, tta_views

Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    return None


def onnx_session(path: Path, threads: int | None = None):
    """An ONNX Runtime CPU session using ``threads`` intra-op threads (default: all cores)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _run(session, batch: np.ndarray, output: int = 0, chunk: int = 32) -> np.ndarray:
    name = session.get_inputs()[0].name
    parts = [session.run(None, {name: batch[i : i + chunk]})[output] for i in range(0, len(batch), chunk)]
    return np.concatenate(parts)


def _views(path: Path, pre: Preprocess, aug: Augment | None, n_views: int, seed: int, index: int) -> np.ndarray:
    image = load_image(path)
    if aug is None:
        return tta_views(image, pre)
    rng = np.random.default_rng([seed, index])
    return np.stack([to_array(image, pre)] + [random_view(image, pre, aug, rng) for _ in range(n_views - 1)])


def file_digest(path: Path) -> str:
    """SHA-1 of a file's bytes (identifies an exported trunk whatever its name)."""
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cache_key(trunk: Path, dataset: Dataset, pre: Preprocess, aug: Augment | None, n_views: int, seed: int) -> str:
    # Resolved paths: the same photos reached through another relative path or link share their cached features.
    files = [(str(s.path.resolve()), s.path.stat().st_size, int(s.path.stat().st_mtime)) for s in dataset.samples]
    payload = {
        "trunk": file_digest(trunk),
        "pre": asdict(pre),
        "aug": asdict(aug) if aug is not None else None,
        "views": n_views,
        "seed": seed,
        "files": files,
    }
    return hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def extract_features(
    trunk: Path,
    dataset: Dataset,
    pre: Preprocess,
    *,
    aug: Augment | None = None,
    n_views: int = 1,
    seed: int = 0,
    cache_dir: Path | None = None,
    progress: Progress = _no_progress,
) -> np.ndarray:
    """Features (n_photos, n_views, dim) of every photo of ``dataset``.

    With ``aug`` the views are the clean main view followed by ``n_views - 1`` random augmented views (seeded by
    ``seed`` and the photo's position); without it they are the test-time views of ``pre`` (``tta_views``).

    Raises
    ------
    ImageError
        When a photo cannot be read (scan the dataset first to drop unreadable files).
    """
    if aug is None:
        n_views = pre.n_views
    cache_file = None
    if cache_dir is not None:
        cache_file = Path(cache_dir) / f"features-{_cache_key(trunk, dataset, pre, aug, n_views, seed)}.npz"
        if cache_file.exists():
            return np.load(cache_file)["features"]
    session = onnx_session(trunk)
    total = len(dataset.samples)
    out: list[np.ndarray] = []
    samples = list(enumerate(dataset.samples))
    with ThreadPoolExecutor(max_workers=2) as pool:
        # A small window of photos is prepared ahead while the network runs, keeping memory bounded.
        pending = deque(pool.submit(_views, s.path, pre, aug, n_views, seed, i) for i, s in samples[:4])
        for done in range(1, total + 1):
            views = pending.popleft().result()
            if done + 3 < total:
                index, sample = samples[done + 3]
                pending.append(pool.submit(_views, sample.path, pre, aug, n_views, seed, index))
            out.append(_run(session, views).astype(np.float32))
            progress(done, total)
    features = np.stack(out) if out else np.zeros((0, n_views, 0), dtype=np.float32)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        with atomic_outputs(cache_file) as (tmp,):
            np.savez(tmp, features=features)
    return features


__all__ = ["extract_features", "onnx_session"]
