"""The page-independent pieces of the app: classify-and-save, wording, escaping, i18n table, launcher."""

import io
import re
import string

import pytest
from PIL import Image

from batik_studio.app import service
from batik_studio.app.i18n import LANGUAGES, TEXT, t
from batik_studio.app.launch import ENTRY_FILE, streamlit_args
from batik_studio.app.ui import escape_markdown
from batik_studio.errors import DrawingError, ImageError
from batik_studio.store import HistoryStore


@pytest.fixture
def store(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    yield store
    store.close()


@pytest.fixture
def predictor(colour_predictor):
    return colour_predictor


def test_every_text_exists_in_both_languages_with_the_same_placeholders():
    """No string is missing a language, and both languages fill in the same values."""
    for key, entry in TEXT.items():
        assert set(entry) == set(LANGUAGES), key
        fields = [{name for _, name, _, _ in string.Formatter().parse(entry[lang]) if name} for lang in LANGUAGES]
        assert fields[0] == fields[1], key
    assert t("history.count", "en", n=3) == "3 results, newest first."
    assert t("history.count", "fr", n=3) == "3 hasil, terbaru di atas."


def test_escape_markdown_shows_names_literally():
    """Markdown, HTML and line breaks in user text are neutralised."""
    assert escape_markdown("**x**_[a](b)<i>\nnext") == r"\*\*x\*\*\_\[a\]\(b\)\<i\> next"


@pytest.mark.parametrize(
    ("confidence", "unknown", "level"),
    [(0.95, False, "likely"), (0.8, False, "likely"), (0.6, False, "possibly"), (0.3, False, "uncertain"),
     (0.99, True, "rejected")],
)  # fmt: skip
def test_confidence_wording_thresholds(store, predictor, photo, confidence, unknown, level):
    """Confidence is worded by fixed thresholds; a rejection wins over any confidence."""
    entry = service.classify_upload(photo((200, 10, 10)), "a.png", predictor, store)
    entry = type(entry)(**{**entry.__dict__, "confidence": confidence, "unknown": unknown})
    assert service.confidence_level(entry) == level


def test_classify_upload_saves_rotated_photo(store, predictor):
    """EXIF orientation is applied before the photo is stored (a portrait phone shot stays portrait)."""
    image = Image.new("RGB", (120, 60), (200, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    entry = service.classify_upload(buffer.getvalue(), "phone.jpg", predictor, store)
    with Image.open(store.image_path(entry)) as stored:
        assert stored.size == (60, 120)
    assert entry.label == "Kawung" and entry.model == "colour-rule test predictor"


def test_classify_upload_reads_heic(store, predictor):
    """HEIC photos from phones are read (pillow-heif)."""
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    try:
        Image.new("RGB", (64, 64), (20, 30, 220)).save(buffer, format="HEIF")
    except (KeyError, OSError, ValueError) as error:
        pytest.skip(f"this pillow-heif build cannot encode HEIC test files: {error}")
    entry = service.classify_upload(buffer.getvalue(), "IMG_0001.HEIC", predictor, store)
    assert entry.label == "Mega Mendung"


def test_classify_upload_refuses_oversized_and_non_images(store, predictor, photo):
    """Files over the size limit and non-images raise ImageError; nothing is saved."""
    with pytest.raises(ImageError, match="not an image"):
        service.classify_upload(b"%PDF-1.4 not a photo", "a.pdf", predictor, store)
    with pytest.raises(ImageError, match="allowed"):
        service.classify_upload(b"\xff" * (service.MAX_UPLOAD_BYTES + 1), "huge.jpg", predictor, store)
    assert store.count() == 0


def test_optimise_drawing_rejects_unknown_file_types():
    """Only G-code and SVG endings are accepted, with the allowed list in the message."""
    with pytest.raises(DrawingError, match=re.escape(".svg")):
        service.optimise_drawing(b"hello", "notes.txt", "greedy", feed_mm_min=500)


def test_streamlit_command_is_headless_with_upload_limit():
    """The launcher runs the router file headless on the asked port and host with the 25 MB limit."""
    argv = streamlit_args(port=8765, host="127.0.0.1", headless=True)
    assert argv[:2] == ["run", str(ENTRY_FILE)]
    assert {"--server.port=8765", "--server.address=127.0.0.1", "--server.headless=true"} <= set(argv)
    assert f"--server.maxUploadSize={service.MAX_UPLOAD_MB}" in argv
    assert ENTRY_FILE.exists()
