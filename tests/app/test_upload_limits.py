"""Upload limits on the Classify page: bytes, pixels and photos per session, each with a clear message."""

from batik_studio.app import service
from batik_studio.store import HistoryStore
from tests.app.apptest import classify, texts


def _history_count() -> int:
    store = HistoryStore()
    try:
        return store.count()
    finally:
        store.close()


def test_photos_per_session_are_capped_with_a_message(app_env, new_app, open_page, photo, monkeypatch):
    monkeypatch.setattr(service, "MAX_UPLOADS_PER_SESSION", 2)
    app = new_app()
    for k in range(2):
        classify(open_page, app, f"{k}.png", photo((200, 10 * k, 10)))
        app.file_uploader(key="upload").clear()
    classify(open_page, app, "third.png", photo((20, 40, 200)))
    assert "2 foto, batas per sesi" in texts(app)
    assert _history_count() == 2
    fresh = new_app()
    classify(open_page, fresh, "third.png", photo((20, 40, 200)))
    assert _history_count() == 3


def test_too_many_pixels_get_a_message(app_env, new_app, open_page, photo, monkeypatch):
    monkeypatch.setattr(service, "MAX_PIXELS", 100)
    app = classify(open_page, new_app(), "big.png", photo((200, 10, 10), size=(20, 20)))
    page = texts(app)
    assert "tidak dapat dipakai sebagai foto" in page and "20x20 pixels is more than the 100 allowed" in page
    assert _history_count() == 0


def test_too_many_bytes_get_a_message(app_env, new_app, open_page, photo, monkeypatch):
    monkeypatch.setattr(service, "MAX_UPLOAD_BYTES", 50)
    app = classify(open_page, new_app(), "heavy.png", photo((200, 10, 10)))
    assert "more than the 50 allowed" in texts(app)
    assert _history_count() == 0


def test_the_server_refuses_uploads_over_the_size_limit():
    from batik_studio.app.launch import streamlit_args

    args = streamlit_args(port=8501, host="localhost", headless=True)
    assert f"--server.maxUploadSize={service.MAX_UPLOAD_MB}" in args
