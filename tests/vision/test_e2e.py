"""End to end on a tiny synthetic dataset: data check, train, export, evaluate, classify (CLI and library)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from batik_studio.cli import app

pytest.importorskip("torch")

runner = CliRunner()

CONFIG = """
backbone = "efficientnet-lite0"
views = 3
folds = 3
c = 1.0
unknown_dim = 16
tta = [[1.0, 0.5, 0.5, true]]
"""
#: The shipped recipe's kind: pooled features of two layers, concatenated.
LAYERS_CONFIG = CONFIG + 'feature_layers = ["stage6", "head"]\n'


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One feature cache for the trainings of this module (the exported trunk and tiny-dataset features)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def trained(tiny_dataset: Path, cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained by ``batik train`` on the tiny dataset (probe recipe, 3 views, 3 folds, two layers)."""
    work = tmp_path_factory.mktemp("model")
    config = work / "train.toml"
    config.write_text(LAYERS_CONFIG)
    out = work / "tiny"
    result = runner.invoke(
        app,
        [
            "train",
            "--data",
            str(tiny_dataset),
            "--out",
            str(out),
            "--config",
            str(config),
            "--cache-dir",
            str(cache_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_data_check_reports_counts(tiny_dataset: Path) -> None:
    """`batik data check` counts photos per split and class and finds no unreadable file."""
    result = runner.invoke(app, ["data", "check", str(tiny_dataset), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    assert report["counts"]["train"] == {"checks": 10, "dots": 10, "stripes": 10}
    assert report["counts"]["test"]["dots"] == 5
    assert report["unreadable"] == []


def test_train_writes_complete_model_folder(trained: Path) -> None:
    """Training writes the ONNX model, labels, preprocessing, calibration, metrics and the card."""
    for name in ("model.onnx", "labels.json", "preprocess.json", "calibration.json", "unknown.npz", "metrics.json"):
        assert (trained / name).is_file(), name
    card = json.loads((trained / "card.json").read_text())
    assert card["labels"] == ["checks", "dots", "stripes"]
    assert card["evaluations"]
    assert (trained / "MODEL_CARD.md").read_text().startswith("# Model card")
    assert (trained / "confusion.png").is_file() and (trained / "reliability.png").is_file()


def test_trained_model_beats_chance(trained: Path) -> None:
    """The tiny model tells generated stripes, checks and dots apart far better than chance (1/3)."""
    card = json.loads((trained / "card.json").read_text())
    evaluation = next(iter(card["evaluations"].values()))
    assert evaluation["accuracy"] >= 0.8


def test_train_on_two_datasets(tiny_dataset: Path, cache_dir: Path, tmp_path: Path) -> None:
    """`--data` twice: classes matched by folder name, both test splits scored; NOTES.md survives retraining."""
    from .synthetic import make_dataset

    second = make_dataset(tmp_path / "second", {"val": 5, "test": 3}, seed=11)
    config = tmp_path / "train.toml"
    config.write_text(CONFIG)
    out = tmp_path / "both"
    args = ["train", "--data", str(tiny_dataset), "--data", str(second), "--out", str(out), "--config", str(config)]
    result = runner.invoke(app, [*args, "--cache-dir", str(cache_dir)])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    training = metrics["training"]
    assert training["data"] == [str(tiny_dataset), str(second)]
    assert training["train_photos"] == 3 * (10 + 4) + 3 * 5
    assert training["train_counts"] == {"checks": 19, "dots": 19, "stripes": 19}
    assert set(training["cv_accuracy_by_data"]) == {str(tiny_dataset), str(second)}
    assert {name: ev["n"] for name, ev in metrics["evaluations"].items()} == {
        f"{tiny_dataset.name}/test": 15,
        "second/test": 9,
    }
    card = (out / "MODEL_CARD.md").read_text()
    assert f"`{tiny_dataset}` + `{second}`" in card and f"(accuracy by dataset: `{tiny_dataset}` " in card
    assert f"`batik train --data {tiny_dataset} --data {second} --out models/both --config train.toml" in card
    (out / "NOTES.md").write_text("Made for the two-dataset test.\n")
    again = runner.invoke(app, [*args, "--cache-dir", str(cache_dir)])
    assert again.exit_code == 0, again.output
    assert (out / "MODEL_CARD.md").read_text().endswith("## Notes\n\nMade for the two-dataset test.\n")
    seed = runner.invoke(app, [*args, "--recipe", "seed"])
    assert seed.exit_code != 0 and "one dataset" in seed.output


def test_evaluate_cli_writes_report_and_figures(trained: Path, tiny_dataset: Path, tmp_path: Path) -> None:
    """`batik evaluate` prints the classification report and writes JSON and figures, with unknown AUROC."""
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    rng = np.random.default_rng(5)
    from PIL import Image

    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (80, 80, 3), dtype=np.uint8)).save(unknown / f"noise_{i}.png")
    report = tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            "evaluate",
            str(trained),
            str(tiny_dataset),
            "--unknown",
            str(unknown),
            "--json",
            str(report),
            "--figures",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "precision" in result.output and "macro avg" in result.output
    data = json.loads(report.read_text())
    assert data["n"] == 15
    assert 0.0 <= data["unknown"][str(unknown)]["auroc"] <= 1.0
    assert data["colour_baseline_accuracy"] is not None
    assert (tmp_path / "confusion.png").is_file()


def test_classify_cli_json_and_bad_file(trained: Path, tiny_dataset: Path, tmp_path: Path) -> None:
    """`batik classify --json` classifies good photos, reports a bad file per file and exits non-zero."""
    good = sorted((tiny_dataset / "test" / "stripes").iterdir())[0]
    bad = tmp_path / "not_an_image.jpg"
    bad.write_text("hello")
    result = runner.invoke(app, ["classify", str(good), str(bad), "--model", str(trained), "--json", "--top-k", "2"])
    assert result.exit_code == 1
    rows = json.loads(result.stdout[result.stdout.index("[") :])
    assert rows[0]["label"] in {"checks", "dots", "stripes"}
    assert len(rows[0]["top_k"]) == 2
    assert 0 <= rows[0]["novelty"] <= 1
    assert rows[0]["unknown"] == (rows[0]["novelty"] > rows[0]["novelty_threshold"])
    assert "error" in rows[1] and "not an image" in rows[1]["error"]


@pytest.mark.parametrize("layers", [("head",), ("stage5", "stage6", "stage7", "head")])
def test_onnx_matches_torch(trained: Path, layers: tuple[str, ...]) -> None:
    """The exported ONNX graph gives the torch model's logits and features, and its head matches LinearHead.

    With several layers every layer's pooled block has L1 norm 1/(number of layers), so after the signed square
    root each block is a vector of the same length.
    """
    import torch

    from batik_studio.vision.backbones import build_backbone
    from batik_studio.vision.backbones_info import FEATURE_LAYERS
    from batik_studio.vision.export import Classifier
    from batik_studio.vision.features import onnx_session
    from batik_studio.vision.train import LinearHead

    widths = [FEATURE_LAYERS["efficientnet-lite0"][name] for name in layers]
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(3, sum(widths))).astype(np.float32)
    bias = rng.normal(size=3).astype(np.float32)
    trunk = build_backbone("efficientnet-lite0")
    module = Classifier(trunk, weight, bias, l2_normalize=True, power_normalize=True, layers=layers).eval()
    from batik_studio.vision.export import export_onnx

    path = export_onnx(module, trained.parent / "parity.onnx", 224, ["logits", "features"])
    x = rng.normal(size=(2, 3, 224, 224)).astype(np.float32)
    with torch.inference_mode():
        logits, features = module(torch.from_numpy(x))
    onnx_logits, onnx_features = onnx_session(path).run(None, {"images": x})
    np.testing.assert_allclose(onnx_logits, logits.numpy(), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(onnx_features, features.numpy(), rtol=1e-3, atol=1e-3)
    head = LinearHead(weight, bias, l2_normalize=True, power_normalize=True)
    np.testing.assert_allclose(head.logits(onnx_features), onnx_logits, rtol=1e-3, atol=1e-3)
    if len(layers) > 1:
        blocks = np.split(onnx_features, np.cumsum(widths)[:-1], axis=1)
        for block in blocks:
            np.testing.assert_allclose(np.abs(block).sum(axis=1), 1 / len(layers), rtol=1e-4)
        with torch.inference_mode():
            last = trunk(torch.from_numpy(x)).mean(dim=(2, 3)).numpy()
        scale = np.abs(last).sum(axis=1, keepdims=True) * len(layers)
        np.testing.assert_allclose(blocks[-1] * scale, last, rtol=1e-3, atol=1e-4)


def test_seed_recipe_runs_end_to_end(tiny_dataset: Path, tmp_path: Path) -> None:
    """`batik train --recipe seed` runs the paper's K-fold protocol and writes curves, fold table and a model."""
    config = tmp_path / "seed.toml"
    config.write_text('backbone = "efficientnet-lite0"\nepochs = 2\nfolds = 2\nbatch_size = 16\nunknown_dim = 8\n')
    out = tmp_path / "seed-model"
    result = runner.invoke(
        app, ["train", "--data", str(tiny_dataset), "--out", str(out), "--config", str(config), "--recipe", "seed"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("fold*_curves.png")) == [
        "fold1_curves.png",
        "fold2_curves.png",
    ]
    table = (out / "folds.md").read_text()
    assert "(kept)" in table and table.count("\n") == 4
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training"]["seconds_per_epoch"] > 0
    assert next(iter(metrics["evaluations"].values()))["n"] == 15
