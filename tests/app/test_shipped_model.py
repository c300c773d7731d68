"""The Classify page with the shipped model (models/batik7) on a real photo from the shared test set."""

import pytest

from batik_studio.app import resources
from batik_studio.catalog import load_catalog
from batik_studio.errors import ModelError
from tests.helpers import shared_path

BATIK7_TEST = shared_path("datasets", "batik7", "test")


@pytest.fixture
def shipped_predictor(app_env, monkeypatch):
    """The real shipped model, served through the app's resources module (no injected predictor)."""
    monkeypatch.delenv("BATIK_MODEL_DIR", raising=False)
    resources.use_predictor(None)
    try:
        return resources.predictor()
    except ModelError as error:
        pytest.skip(f"the shipped model cannot be loaded in this checkout: {error}")


def test_real_photo_gets_the_motif_card(shipped_predictor, new_app, open_page):
    """A real Kawung photo is classified by the shipped model and the predicted motif's card is shown."""
    photos = sorted((BATIK7_TEST / "Kawung").glob("*.jpg")) if BATIK7_TEST.is_dir() else []
    if not photos:
        pytest.skip(f"no real test photos at {BATIK7_TEST} (shared data absent)")
    app = open_page(new_app(), "classify")
    app.file_uploader(key="upload").upload(photos[0].name, photos[0].read_bytes(), "image/jpeg")
    app.run()
    assert not app.exception and not app.error
    entry = resources.store().page()[0]
    assert entry.label in shipped_predictor.labels and 0.0 <= entry.confidence <= 1.0
    assert entry.label == "Kawung"
    page = "\n".join(str(element.value) for element in app.markdown)
    assert load_catalog().get("Kawung").text("meaning", "id") in page
