"""End to end in a real browser: `batik app` in a subprocess, driven by Debian's headless Chromium (Playwright).

Screenshots of every step are written to test-artifacts/browser/ (kept by CI as artifacts).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from batik_studio.catalog import load_catalog
from batik_studio.vision.predict import shipped_model
from tests.helpers import shared_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BATIK7_TEST = shared_path("datasets", "batik7", "test")
TIMEOUT_MS = 90_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _batik_photo(tmp: Path) -> Path:
    """A real Kawung test photo from the shared data when present, else a generated batik-like pattern."""
    if BATIK7_TEST.is_dir():
        photos = sorted((BATIK7_TEST / "Kawung").glob("*.jpg"))
        if photos:
            return photos[0]
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:320, 0:320]
    ovals = ((np.sin(x / 12) * np.sin(y / 12)) > 0.3).astype(np.uint8)
    pixels = np.stack([90 + 120 * ovals, 60 + 60 * ovals, 30 + 20 * ovals], axis=-1).astype(np.uint8)
    path = tmp / "generated-kawung.png"
    Image.fromarray(pixels).save(path)
    return path


def _accepting_model(folder: Path) -> Path:
    """A copy of the shipped model whose rejection threshold accepts every photo.

    The shipped model rightly turns the generated pattern away (it is not a photo of cloth; the rejected page is
    tested in test_pages.py), so without the shared photos the card path is walked with this copy instead.
    """
    copy = folder / "accepting-model"
    shutil.copytree(shipped_model(), copy)
    calibration = json.loads((copy / "calibration.json").read_text())
    (copy / "calibration.json").write_text(json.dumps({**calibration, "threshold": 1.0}))
    return copy


class AppServer:
    """`python -m batik_studio app` on a free localhost port, with its database and photos in ``folder``.

    ``model`` is the model folder it serves (default: the shipped model).
    """

    def __init__(self, folder: Path, model: Path | None = None) -> None:
        self.folder = folder
        self.model = model
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> str:
        port = _free_port()
        env = {
            **os.environ,
            "BATIK_DATABASE_URL": f"sqlite:///{self.folder / 'history.sqlite3'}",
            "BATIK_IMAGES_DIR": str(self.folder / "images"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])),
        }
        if self.model is not None:
            env["BATIK_MODEL_DIR"] = str(self.model)
        env.pop("DISPLAY", None)
        log = self.folder / "server.log"
        command = [sys.executable, "-m", "batik_studio", "app", "--port", str(port), "--host", "127.0.0.1"]
        with log.open("a") as stream:
            self.process = subprocess.Popen(command, env=env, stdout=stream, stderr=subprocess.STDOUT, cwd=self.folder)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        return self.url
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the app did not start: {log.read_text()}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A started app server with its own temporary database (restartable)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/test-setup.sh installs it)")
    pytest.importorskip("playwright", reason="the playwright package is not installed (pip install '.[dev]')")
    from batik_studio.errors import ModelError
    from batik_studio.vision.predict import Predictor

    try:
        Predictor()
    except ModelError as error:
        pytest.skip(f"the shipped model is needed for the browser test and cannot be loaded: {error}")
    folder = tmp_path_factory.mktemp("browser")
    real_photo = BATIK7_TEST.is_dir() and any((BATIK7_TEST / "Kawung").glob("*.jpg"))
    app_server = AppServer(folder, model=None if real_photo else _accepting_model(folder))
    app_server.start()
    yield app_server
    app_server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _upload(page, path: Path) -> None:
    page.locator("input[type=file]").first.set_input_files(str(path))


def test_classify_error_history_and_toolpath_in_a_real_browser(server, page, tmp_path):
    """Photo -> card; text file -> message; reload -> history; G-code -> download; restart -> history kept."""
    from playwright.sync_api import expect

    url = server.url
    catalog = load_catalog()

    page.goto(f"{url}/classify")  # a deep link as the very first request still goes through the router
    expect(page.get_by_text("Bahasa / Language")).to_be_visible()
    expect(page.get_by_role("link", name="Beranda")).to_be_visible()
    _upload(page, _batik_photo(tmp_path))
    expect(page.get_by_text("Makna dan filosofi")).to_be_visible()
    shown = [motif for motif in catalog if page.get_by_text(motif.text("summary", "id")).count()]
    assert len(shown) == 1, "exactly one motif card is shown"
    expect(page.get_by_text(shown[0].text("meaning", "id")[:60])).to_be_visible()
    _shot(page, "2-classified")

    notes = tmp_path / "notes.txt"
    notes.write_text("this is not a photo", encoding="utf-8")
    page.goto(f"{url}/classify")
    _upload(page, notes)
    expect(page.get_by_text('Berkas "notes.txt" tidak dapat dipakai sebagai foto')).to_be_visible()
    _shot(page, "3-not-an-image")

    page.goto(url)
    expect(page.get_by_role("heading", name="Batik Studio")).to_be_visible()
    expect(page.get_by_text("Motif yang dikenali")).to_be_visible()
    _shot(page, "1-home")

    page.goto(f"{url}/history")
    page.reload()
    expect(page.get_by_text("1 hasil, terbaru di atas.")).to_be_visible()
    expect(page.get_by_text(f"#1 · {shown[0].name}")).to_be_visible()
    _shot(page, "4-history")

    page.get_by_text("English", exact=True).click()
    expect(page.get_by_text("1 results, newest first.")).to_be_visible()
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_text("Result #1")).to_be_visible()
    expect(page.get_by_text("Meaning and philosophy")).to_be_visible()
    _shot(page, "5-history-open-en")

    page.get_by_role("link", name="Motifs").click()
    labels = json.loads((shipped_model() / "labels.json").read_text())
    unknown = sum(motif.name.casefold() not in {label.casefold() for label in labels} for motif in catalog)
    expect(page.get_by_text(f"Not yet recognised ({unknown})")).to_be_visible()
    page.get_by_text("Gentongan · not yet recognised").click()
    expect(page.get_by_text(catalog.get("Gentongan").text("meaning", "en"))).to_be_visible()
    _shot(page, "6-motifs-en")

    drawing = tmp_path / "motif.gcode"
    lines = ["G21", "G90", "G00 Z5"]
    for x, y in ((0, 0), (50, 50), (11, 0), (61, 50), (22, 0)):
        lines += [f"G00 X{x} Y{y}", "G01 Z-1 F500", f"G01 X{x + 9} Y{y + 3}", "G00 Z5"]
    drawing.write_text("\n".join([*lines, "M2", ""]), encoding="utf-8")
    page.get_by_role("link", name="Toolpath").click()  # in-app navigation keeps the session's language
    expect(page.get_by_role("heading", name="Toolpath: stroke order")).to_be_visible()
    _upload(page, drawing)
    page.get_by_role("button", name="Optimise").click()
    download_button = page.get_by_role("button", name="Download the new G-code")
    expect(download_button).to_be_visible(timeout=180_000)  # a fresh install compiles the numba solvers first
    expect(page.get_by_text("Travel after")).to_be_visible()
    _shot(page, "7-toolpath")
    with page.expect_download() as download_info:
        download_button.click()
    target = ARTIFACTS / "motif-optimised.gcode"
    download_info.value.save_as(target)
    written = target.read_text(encoding="utf-8").splitlines()
    assert written[0] == "G21" and written[-1] == "M2"
    assert sum(line.startswith("G01 Z-1") for line in written) == 5

    server.stop()  # the history survives an app restart
    url = server.start()
    page.goto(f"{url}/history")
    expect(page.get_by_text(f"#1 · {shown[0].name}")).to_be_visible()
    _shot(page, "8-history-after-restart")
