"""The app's heavy, shared resources, each built once per process with ``st.cache_resource``.

Pages get the model, the history store and the catalogue only from here. The cache key is the configuration
(model folder, database URL, images folder), read from the environment on every call, so a changed setting gives a
new resource. :func:`use_predictor` lets a host program or a test supply its own predictor object.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from batik_studio.catalog import Catalog, load_catalog
from batik_studio.store import HistoryStore, default_database_url, default_images_dir

MODEL_DIR_ENV = "BATIK_MODEL_DIR"

_injected: dict[str, Any] = {}


def use_predictor(predictor: Any | None) -> None:
    """Serve ``predictor`` (anything with ``labels``, ``card`` and ``predict``) instead of the shipped model."""
    if predictor is None:
        _injected.pop("predictor", None)
    else:
        _injected["predictor"] = predictor


@st.cache_resource(show_spinner=False)
def _load_predictor(model_dir: str | None) -> Any:
    from batik_studio.vision.predict import Predictor

    return Predictor(model_dir)


@st.cache_resource(show_spinner=False)
def _open_store(database_url: str, images_dir: str) -> HistoryStore:
    return HistoryStore(database_url, images_dir)


@st.cache_resource(show_spinner=False)
def _load_catalog() -> Catalog:
    return load_catalog()


def predictor() -> Any:
    """The motif classifier: the injected one, else the model in ``BATIK_MODEL_DIR``, else the shipped model."""
    if "predictor" in _injected:
        return _injected["predictor"]
    return _load_predictor(os.environ.get(MODEL_DIR_ENV) or None)


def store() -> HistoryStore:
    """The history store for the configured database (``BATIK_DATABASE_URL``) and images folder."""
    url = default_database_url()
    return _open_store(url, str(default_images_dir(url)))


def catalog() -> Catalog:
    """The motif catalogue shipped with the package."""
    return _load_catalog()


__all__ = ["MODEL_DIR_ENV", "catalog", "predictor", "store", "use_predictor"]
