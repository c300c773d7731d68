"""Dataset listing, near-duplicate grouping and grouped splits."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from batik_studio.errors import InputError
from batik_studio.vision.data import (
    check_dataset,
    dihedral_hashes,
    grouped_folds,
    grouped_split,
    hash_distances,
    near_duplicate_groups,
    read_dataset,
    scan_dataset,
    write_subset,
)

from .synthetic import make_dataset, pattern


def photo_like(rng: np.random.Generator) -> Image.Image:
    """A smooth random image (low-frequency colour field), closer to a photo than a sharp synthetic pattern."""
    small = rng.integers(0, 255, (10, 10, 3), dtype=np.uint8)
    return Image.fromarray(small).resize((160, 128), Image.Resampling.BICUBIC)


def test_hash_is_invariant_to_rotation_and_mirror() -> None:
    """A rotated, mirrored, re-encoded and resized copy is within the default grouping distance; others are far."""
    for seed in range(4):
        rng = np.random.default_rng(seed)
        image = photo_like(rng)
        copy = image.rotate(90, expand=True).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        buffer = io.BytesIO()
        copy.save(buffer, "JPEG", quality=85)
        copy = Image.open(buffer).convert("RGB").resize((110, 110))
        other = photo_like(rng)
        distances = hash_distances(np.stack([dihedral_hashes(im) for im in (image, copy, other)]))
        assert distances[0, 1] <= 5
        assert distances[0, 2] > 10


def test_grouped_folds_never_separate_near_duplicates() -> None:
    """Every near-duplicate group lands wholly in one validation fold, and folds cover every photo once."""
    rng = np.random.default_rng(2)
    images, targets = [], []
    for label, kind in enumerate(("checks", "dots", "stripes")):
        for _ in range(8):
            image = pattern(kind, rng, size=96)
            images += [image, image.rotate(180), image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)]
            targets += [label] * 3
    hashes = np.stack([dihedral_hashes(im) for im in images])
    groups = near_duplicate_groups(hashes, max_distance=6)
    for start in range(0, len(images), 3):
        assert len(set(groups[start : start + 3])) == 1
    folds = grouped_folds(np.array(targets), groups, n_splits=4, seed=42)
    seen = np.concatenate([val for _, val in folds])
    assert sorted(seen.tolist()) == list(range(len(images)))
    for train, val in folds:
        assert not set(groups[train]) & set(groups[val])
    train, test = grouped_split(np.array(targets), groups, 0.25, seed=0)
    assert not set(groups[train]) & set(groups[test])


def test_grouped_folds_reject_tiny_classes() -> None:
    """Asking for more folds than a class has photos is a clear InputError."""
    with pytest.raises(InputError, match="only 2 photos"):
        grouped_folds(np.array([0, 0, 1, 1, 1, 1, 1]), np.arange(7), n_splits=5)


def test_check_finds_bad_files_and_cross_split_duplicates(tmp_path: Path) -> None:
    """`check_dataset` lists an unreadable file and a duplicate that sits in both train and test."""
    root = make_dataset(tmp_path / "d", {"train": 4, "test": 2})
    (root / "train" / "dots" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    copy = Image.open(root / "train" / "checks" / "checks_0.png").rotate(90)
    copy.save(root / "test" / "checks" / "leak.png")
    report = check_dataset(root, min_per_class=7)
    assert [p.name for p, _ in report.bad] == ["broken.jpg"]
    leaked = [g for g in report.cross_split if any(p.name == "leak.png" for p in g)]
    assert leaked and any(p.name == "checks_0.png" for p in leaked[0])
    assert report.counts["train"]["checks"] == 4
    assert set(report.small_classes) == {"dots", "stripes"}  # checks has 7 with the leaked copy


def test_read_dataset_rejects_missing_and_empty(tmp_path: Path) -> None:
    """A missing folder or one without class folders of images is an InputError naming it."""
    with pytest.raises(InputError, match="not a folder"):
        read_dataset(tmp_path / "nope")
    (tmp_path / "empty" / "A").mkdir(parents=True)
    with pytest.raises(InputError, match="no images"):
        read_dataset(tmp_path / "empty")


def test_write_subset_filters_and_drops_near_duplicates(tmp_path: Path) -> None:
    """`write_subset` keeps chosen classes and origins, drops near-duplicates of a reference, splits by group."""
    source = make_dataset(tmp_path / "src", {"train": 6})
    reference = tmp_path / "ref" / "checks"
    reference.mkdir(parents=True)
    Image.open(source / "train" / "checks" / "checks_0.png").transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(
        reference / "copy.png"
    )
    manifest = tmp_path / "manifest.csv"
    rows = ["class,file,source"] + [f"checks,checks_{i},a" for i in range(6)]
    rows += [f"checks,checks_{i}.png,{'a' if i % 2 == 0 else 'b'}" for i in range(6)]
    rows += [f"dots,dots_{i}.png,a" for i in range(6)]
    manifest.write_text("\n".join(rows) + "\n")
    report = write_subset(
        source,
        tmp_path / "out",
        classes=["checks", "dots"],
        manifest=manifest,
        origin="a",
        exclude_near=[tmp_path / "ref"],
        holdout=0.5,
        seed=0,
    )
    assert report["near_duplicates_dropped"] == 1
    subset = read_dataset(tmp_path / "out")
    names = {s.path.name for s in subset.samples}
    assert "checks_0.png" not in names and "checks_1.png" not in names and "checks_2.png" in names
    assert set(subset.splits) == {"val", "test"}
    assert scan_dataset(subset).bad == ()
