"""Self-made negatives: generated textures and crops of non-batik photos, written once into a new folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from batik_studio.errors import InputError
from batik_studio.vision.negatives import KINDS, write_negatives
from batik_studio.vision.predict import MODELS_ROOT, model_path


def test_write_negatives_makes_every_kind_and_crops(tmp_path: Path) -> None:
    """Every kind gets its photos, crops come from the given photos, and a non-empty folder is refused."""
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)).save(photos / "scene.png")
    out = tmp_path / "made"
    counts = write_negatives(out, per_kind=2, crops_of=photos, seed=1)
    assert counts == {**{kind: 2 for kind in KINDS}, "crops": 4}
    files = sorted(out.rglob("*.jpg"))
    assert len(files) == 2 * len(KINDS) + 4
    assert Image.open(files[0]).size == (320, 320)
    first = [np.asarray(Image.open(p)) for p in sorted((out / "stripes").iterdir())]
    again = write_negatives(tmp_path / "again", per_kind=2, seed=1)
    assert again == {kind: 2 for kind in KINDS}
    assert all(
        (a == np.asarray(Image.open(p))).all()
        for a, p in zip(first, sorted((tmp_path / "again" / "stripes").iterdir()), strict=True)
    )
    with pytest.raises(InputError, match="not empty"):
        write_negatives(out, per_kind=1)


def test_model_path_finds_shipped_models_by_name(tmp_path: Path) -> None:
    """A bare name is a shipped model folder; a path stays a path."""
    assert model_path("batik7") == MODELS_ROOT / "batik7"
    assert model_path(tmp_path) == tmp_path
    assert model_path("no-such-model") == Path("no-such-model")


def test_a_shipped_model_name_wins_over_a_data_folder_of_that_name(tmp_path: Path, monkeypatch) -> None:
    """Run beside a dataset folder called batik7, ``--model batik7`` still means the shipped model; a model folder
    of that name here is used as given."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "batik7" / "test").mkdir(parents=True)
    assert model_path("batik7") == MODELS_ROOT / "batik7"
    (tmp_path / "batik7" / "model.onnx").write_bytes(b"")
    assert model_path("batik7") == Path("batik7")
