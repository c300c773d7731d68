"""Leave-one-source-out on three generated sources: folds, near-duplicate groups, the command end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from batik_studio.cli import app
from batik_studio.vision.loso import plan_folds
from batik_studio.vision.sources import model_motifs, read_sources

from .synthetic import pattern

runner = CliRunner()

#: Generated pattern kinds standing in for catalogue motifs; "Pala" is not in the catalogue (outside the model).
KINDS = {"Parang": "stripes", "Ceplok": "checks", "Kawung": "dots"}


def _make_sources(root: Path, seed: int = 0) -> list[Path]:
    """Three sources of the three motifs; the third also has an outside motif and a mirrored copy of a photo of
    the first source (a near-duplicate across sources). Folder names differ in case and spelling on purpose."""
    rng = np.random.default_rng(seed)
    folders = []
    for index, name in enumerate(("alpha", "beta", "gamma")):
        for motif, kind in KINDS.items():
            folder = root / name / (motif.upper() if index == 1 else motif)
            folder.mkdir(parents=True)
            for i in range(8):
                pattern(kind, rng).save(folder / f"{name}-{kind}-{i}.png")
        folders.append(root / name)
    outside = root / "gamma" / "Pala"
    outside.mkdir()
    for i in range(6):
        pattern("checks", rng, size=96).rotate(45).save(outside / f"pala-{i}.png")
    copy = Image.open(root / "alpha" / "Parang" / "alpha-stripes-0.png").transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    copy.save(root / "gamma" / "Parang" / "gamma-copy-of-alpha.png")
    return folders


def test_folds_never_train_on_the_held_out_source_nor_its_near_duplicates(tmp_path: Path) -> None:
    """Every source is held out once; its photos, and copies of them elsewhere, are never in that fold's training."""
    pool = read_sources(_make_sources(tmp_path))
    assert pool.names == ("alpha", "beta", "gamma")
    assert set(pool.labels) == {"Parang", "Ceplok", "Kawung", "Pala"}
    motifs = model_motifs(pool, min_photos=5, keep=())
    assert motifs == ("Ceplok", "Kawung", "Parang")
    folds = plan_folds(pool, motifs)
    assert [fold.name for fold in folds] == ["alpha", "beta", "gamma"]
    paths = [s.path.name for s in pool.samples]
    for index, fold in enumerate(folds):
        assert (pool.source[fold.test] == index).all()
        assert (pool.source[fold.train] != index).all()
        assert not set(pool.groups[fold.train]) & set(pool.groups[fold.test])
        assert set(pool.labels[fold.train]) <= set(motifs)
    copy = paths.index("gamma-copy-of-alpha.png")
    original = paths.index("alpha-stripes-0.png")
    assert pool.groups[copy] == pool.groups[original]
    assert copy not in folds[0].train and original not in folds[2].train


def test_a_single_source_motif_gets_an_own_split_fold(tmp_path: Path) -> None:
    """A motif only one source has is scored on a grouped held-out split of that source, trained on the rest."""
    folders = _make_sources(tmp_path)
    rng = np.random.default_rng(3)
    only = tmp_path / "beta" / "Tumpal"
    only.mkdir()
    for i in range(12):
        pattern("stripes", rng).rotate(30).save(only / f"tumpal-{i}.png")
    pool = read_sources(folders)
    motifs = model_motifs(pool, min_photos=5)
    assert "Tumpal" in motifs
    own = [fold for fold in plan_folds(pool, motifs) if fold.name == "beta (own split)"]
    assert len(own) == 1 and own[0].scored == ("Tumpal",)
    assert not set(own[0].test) & set(own[0].train)
    assert (pool.labels[own[0].train] == "Tumpal").any()
    assert not set(pool.groups[own[0].train]) & set(pool.groups[own[0].test])


CONFIG = """
backbone = "efficientnet-lite0"
views = 2
folds = 2
c = 1.0
unknown_dim = 8
tta = [[1.0, 0.5, 0.5, true]]
"""


def test_evaluate_sources_command_scores_every_held_out_source(tmp_path: Path) -> None:
    """`batik evaluate-sources` prints a row per held-out source and writes the folds and averages as JSON."""
    pytest.importorskip("torch")
    folders = _make_sources(tmp_path / "data")
    negatives = tmp_path / "negatives"
    negatives.mkdir()
    rng = np.random.default_rng(5)
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(negatives / f"noise-{i}.png")
    config = tmp_path / "loso.toml"
    config.write_text(CONFIG)
    report = tmp_path / "loso.json"
    args = ["evaluate-sources", *[a for f in folders for a in ("--source", str(f))], "--negatives", str(negatives)]
    args += ["--config", str(config), "--cache-dir", str(tmp_path / "cache"), "--json", str(report)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    for name in ("alpha", "beta", "gamma", "mean of sources"):
        assert name in result.output
    data = json.loads(report.read_text())
    assert [row["fold"] for row in data["folds"]] == ["alpha", "beta", "gamma"]
    gamma = data["folds"][2]
    assert gamma["n_known"] == 25 and gamma["outside"]["n"] == 6
    assert 0 <= gamma["accuracy"] <= 1 and 0 <= gamma["outside"]["auroc"] <= 1
    assert data["folds"][0]["negatives"]["negatives"]["n"] == 6
    assert data["average"]["accuracy"] is not None
    # The generated motifs are easy: a model that never saw a source still names most of its photos.
    assert data["average"]["accuracy"] > 0.6
    # Every rejection rule is compared on the held-out sources, the configured one marked as shipped.
    from batik_studio.vision.config import REJECTION_RULES

    assert set(data["rules"]) == set(REJECTION_RULES) and data["shipped"] == "max" and data["picked"] in data["rules"]
    for row in data["rules"].values():
        assert 0 <= row["known_rejected"] <= 1 and set(row["auroc"]) == {"outside", "negatives"}
    assert "rejection rules" in result.output and "max (" in result.output
    assert set(gamma["rules"]) == set(REJECTION_RULES)
