"""What a wheel carries and what each extra pulls in (the wheel itself is exercised by scripts/check-wheel.sh)."""

import tomllib
from importlib import resources
from pathlib import Path

from batik_studio.vision.predict import SHIPPED_MODEL, shipped_model

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def _names(requirements: list[str]) -> set[str]:
    return {r.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip() for r in requirements}


def test_every_model_folder_is_package_data():
    folders = sorted(p.name for p in (REPO / "models").iterdir() if p.is_dir())
    assert folders, "no model folder in models/"
    packaged = resources.files("batik_studio") / "models"
    for name in folders:
        assert (packaged / name / "model.onnx").is_file(), name
        assert shipped_model(name).resolve() == (REPO / "models" / name).resolve()
    assert "models/**/*" in PYPROJECT["tool"]["setuptools"]["package-data"]["batik_studio"]
    assert SHIPPED_MODEL == shipped_model("batik-motifs")


def test_base_install_orders_and_classifies_without_the_app_or_torch():
    base = _names(PYPROJECT["project"]["dependencies"])
    extras = {name: _names(reqs) for name, reqs in PYPROJECT["project"]["optional-dependencies"].items()}
    assert {"onnxruntime", "pillow", "svgelements", "defusedxml", "numba"} <= base
    assert not base & {"streamlit", "sqlalchemy", "torch", "ray"}
    assert {"streamlit", "sqlalchemy"} <= extras["app"] and "torch" not in extras["app"]
    assert "torch" in extras["train"] and "ray" in extras["cluster"]


def test_build_backend_can_read_the_spdx_licence():
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]
    assert PYPROJECT["project"]["license"] == "MIT"
