"""Serving: the Predictor API, classification without torch, and the shipped model on real photos."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from batik_studio.errors import ImageError, ModelError
from batik_studio.vision.predict import SEED_MODEL, SHIPPED_MODEL, Prediction, Predictor, softmax

REPO = Path(__file__).resolve().parents[2]

NO_TORCH = """
import importlib.abc
import sys


class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NoTorch())  # as if torch were not installed
from typer.testing import CliRunner
from batik_studio.cli import app
from batik_studio.vision.predict import Predictor
result = CliRunner().invoke(app, ["classify", sys.argv[2], "--model", sys.argv[1], "--json"])
print(result.output)
assert result.exit_code == 0, result.output
assert "torch" not in {name.split(".")[0] for name, mod in sys.modules.items() if mod is not None}
"""


def test_softmax_rows_sum_to_one() -> None:
    """Softmax with a temperature keeps rows summing to one and flattens them as the temperature grows."""
    logits = np.array([[2.0, 1.0, 0.0]])
    cold, hot = softmax(logits, 0.5), softmax(logits, 5.0)
    np.testing.assert_allclose(cold.sum(), 1.0)
    assert cold.max() > hot.max()


def test_missing_model_folder(tmp_path: Path) -> None:
    """A folder without the model files is a ModelError naming what is missing."""
    with pytest.raises(ModelError, match="not found"):
        Predictor(tmp_path / "nothing")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "labels.json").write_text("[]")
    with pytest.raises(ModelError, match="missing model.onnx"):
        Predictor(tmp_path / "half")


def test_shipped_models_are_complete_and_small() -> None:
    """The default model knows more than the seed motifs; ``batik7`` stays selectable by name; each <= 50 MB."""
    for folder in (SHIPPED_MODEL, SEED_MODEL):
        assert folder.is_dir(), f"{folder} is missing"
        assert sum(p.stat().st_size for p in folder.iterdir()) / 1e6 <= 50
    seed = Predictor("batik7")
    assert seed.labels == ["Insang", "Kawung", "Mega Mendung", "Parang", "Sidoluhur", "Truntum", "Tumpal"]
    assert seed.card["evaluations"]["batik7/test"]["accuracy"] > 0.9
    default = Predictor()
    assert default.model_dir == SHIPPED_MODEL
    assert set(seed.labels) < set(default.labels)
    assert default.card["evaluations"]["batik7/test"]["accuracy"] > 0.9


def test_predict_without_torch(tmp_path: Path) -> None:
    """`batik classify` runs in a process where torch cannot be imported, and never imports it."""
    from PIL import Image

    photo = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (120, 90, 3), dtype=np.uint8)).save(photo)
    done = subprocess.run(
        [sys.executable, "-c", NO_TORCH, str(SHIPPED_MODEL), str(photo)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    rows = json.loads(done.stdout[done.stdout.index("[") :])
    assert rows[0]["label"] in Predictor().labels


def test_predict_accepts_bytes_and_reports_bad_bytes() -> None:
    """Predictor.predict takes encoded bytes; non-image bytes raise ImageError."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 60, 30)).save(buffer, "JPEG")
    prediction = Predictor().predict(buffer.getvalue(), top_k=2)
    assert isinstance(prediction, Prediction)
    assert len(prediction.top_k) == 2 and prediction.top_k[0] == (prediction.label, prediction.confidence)
    assert 0 < prediction.confidence <= 1
    with pytest.raises(ImageError):
        Predictor().predict(b"definitely not an image")


def test_shipped_model_on_real_photos(shared_datasets: Path) -> None:
    """The 7-motif model names the motif of the first two batik7/test photos of every class (at most one miss)."""
    predictor = Predictor("batik7")
    test = shared_datasets / "batik7" / "test"
    right = total = 0
    for label in predictor.labels:
        for photo in sorted((test / label).iterdir())[:2]:
            right += predictor.predict(photo).label == label
            total += 1
    assert right >= total - 1


def test_shipped_model_names_real_photos(shared_datasets: Path) -> None:
    """The default model names held-out real photos (batik7/test, never trained on) and photos of other sources."""
    predictor = Predictor()
    photos = []
    for motif in ("Insang", "Kawung", "Mega Mendung", "Parang", "Sidoluhur", "Truntum", "Tumpal"):
        photos += [(motif, p) for p in sorted((shared_datasets / "batik7" / "test" / motif).iterdir())[:3]]
    for source, motif in (("tegarardi", "Kawung"), ("riokt", "Mega Mendung"), ("batiklens", "Insang")):
        photos += [(motif, p) for p in sorted((shared_datasets / "sources" / source / motif).iterdir())[:2]]
    right = [predictor.predict(path).label == motif for motif, path in photos]
    assert sum(right) >= 0.85 * len(photos), f"{sum(right)} of {len(photos)} named right"


def test_shipped_default_model_novelty_is_on_zero_one_and_decides_unknown(tmp_path: Path) -> None:
    """The default model scores by its calibrated rule (0..1); a folder whose rule and threshold disagree is refused."""
    import shutil

    default = Predictor()
    assert default.scorer.rule == default.calibration.method != "mahalanobis+doubt"
    assert 0 < default.calibration.threshold < 1
    assert len(default.scorer.neighbours) > len(default.labels)
    prediction = default.predict(_png(tmp_path))
    assert 0 <= prediction.novelty <= 1
    assert prediction.unknown == (prediction.novelty > prediction.threshold)
    broken = tmp_path / "broken"
    shutil.copytree(SHIPPED_MODEL, broken)
    calibration = json.loads((broken / "calibration.json").read_text())
    (broken / "calibration.json").write_text(json.dumps(calibration | {"method": "doubt"}))
    with pytest.raises(ModelError, match="rejection rule"):
        Predictor(broken)


def _png(folder: Path) -> Path:
    from PIL import Image

    path = folder / "plain.png"
    Image.fromarray(np.full((96, 96, 3), 128, dtype=np.uint8)).save(path)
    return path
