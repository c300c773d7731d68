"""Web-app speed: time to the first result after `batik app` starts, per-classification server time, and how fast
a 10,000-entry history opens. Prints one table.

    PYTHONPATH=src python benchmarks/app.py [--photos ../shared/datasets/batik7/test] [--entries 10000]

The end-to-end figures drive the real app in Debian's headless Chromium (Playwright); the server-side figures call
the same functions the pages call, in-process, with the shipped model.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def photos(folder: Path | None, count: int, seed: int) -> list[tuple[str, bytes]]:
    """``count`` photos: JPEGs from ``folder`` (searched recursively) or generated patterns."""
    if folder is not None:
        files = sorted(folder.rglob("*.jpg"))[:count]
        if files:
            return [(path.name, path.read_bytes()) for path in files]
    rng = np.random.default_rng(seed)
    made = []
    for i in range(count):
        pixels = rng.integers(0, 255, size=(480, 640, 3), dtype=np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG")
        made.append((f"generated-{i}.jpg", buffer.getvalue()))
    return made


def fill_history(url: str, images: Path, entries: int, photo: tuple[str, bytes]) -> float:
    """Add ``entries`` rows (one shared photo) through the store's public save; returns seconds taken."""
    from batik_studio.store import HistoryStore
    from batik_studio.vision.predict import Prediction, load_image

    store = HistoryStore(url, images)
    image = load_image(photo[1])
    prediction = Prediction(label="Kawung", confidence=0.9, top_k=(("Kawung", 0.9),), unknown=False, milliseconds=1.0)
    started = time.perf_counter()
    for i in range(entries):
        store.save(data=photo[1], image=image, file_name=f"{i}-{photo[0]}", prediction=prediction, model="benchmark")
    store.close()
    return time.perf_counter() - started


def server_side(url: str, images: Path, sample: list[tuple[str, bytes]]) -> dict[str, float]:
    """Model load, and classify+save time per photo (as the Classify page does), in this process."""
    from batik_studio.app import service
    from batik_studio.store import HistoryStore
    from batik_studio.vision.predict import Predictor

    started = time.perf_counter()
    predictor = Predictor()
    load_s = time.perf_counter() - started
    store = HistoryStore(url, images)
    times = []
    for name, data in sample:
        started = time.perf_counter()
        service.classify_upload(data, name, predictor, store)
        times.append(1000 * (time.perf_counter() - started))
    first, later = times[0], times[1:]
    phone = Image.open(io.BytesIO(sample[0][1])).convert("RGB").resize((4032, 3024), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    phone.save(buffer, format="JPEG", quality=92)
    phone_times = []
    for _ in range(3):
        started = time.perf_counter()
        service.classify_upload(buffer.getvalue(), "phone.jpg", predictor, store)
        phone_times.append(1000 * (time.perf_counter() - started))
    history = []
    for _ in range(5):
        started = time.perf_counter()
        store.count()
        store.page(0, 20)
        history.append(1000 * (time.perf_counter() - started))
    store.close()
    return {
        "load_s": load_s,
        "first_ms": first,
        "median_ms": statistics.median(later),
        "p95_ms": float(np.percentile(later, 95)),
        "phone_ms": statistics.median(phone_times),
        "phone_mb": len(buffer.getvalue()) / 1e6,
        "history_query_ms": statistics.median(history),
    }


def history_page_apptest(url: str, images: Path) -> float:
    """Server time of one History page run (AppTest, real router) with the filled database, median of 3 (ms)."""
    from streamlit.testing.v1 import AppTest

    from batik_studio.app.launch import ENTRY_FILE

    os.environ["BATIK_DATABASE_URL"] = url
    os.environ["BATIK_IMAGES_DIR"] = str(images)
    app = AppTest.from_file(str(ENTRY_FILE), default_timeout=120)
    app.run()
    times = []
    for _ in range(3):
        app.switch_page("views/history.py")
        started = time.perf_counter()
        app.run()
        times.append(1000 * (time.perf_counter() - started))
        assert not app.exception, app.exception
    return statistics.median(times)


def end_to_end(url: str, images: Path, sample: list[tuple[str, bytes]], entries: int, tmp: Path) -> dict[str, float]:
    """Start `batik app`, then in Chromium: first result after start, and History open time (seconds)."""
    from playwright.sync_api import expect, sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "BATIK_DATABASE_URL": url, "BATIK_IMAGES_DIR": str(images),
           "PYTHONPATH": str(REPO / "src")}  # fmt: skip
    env.pop("DISPLAY", None)
    photo = tmp / sample[0][0]
    photo.write_bytes(sample[0][1])
    with sync_playwright() as playwright:
        # The user's browser is already open: start it before the clock starts.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(120_000)
        started = time.perf_counter()
        command = [sys.executable, "-m", "batik_studio", "app", "--port", str(port), "--host", "127.0.0.1"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as response:
                        if response.read() == b"ok":
                            break
                except OSError:
                    time.sleep(0.05)
            ready_s = time.perf_counter() - started
            page.goto(f"{base}/classify")
            page.locator("input[type=file]").first.set_input_files(str(photo))
            expect(page.get_by_text("Tiga tebakan teratas").or_(page.get_by_text("Tebakan terdekat"))).to_be_visible()
            first_s = time.perf_counter() - started
            opened = time.perf_counter()
            page.get_by_role("link", name="Riwayat").click()
            expect(page.get_by_text(f"{entries + 1} hasil, terbaru di atas.")).to_be_visible()
            expect(page.locator("[data-testid=stImage] img").first).to_be_visible()
            history_s = time.perf_counter() - opened
        finally:
            browser.close()
            process.terminate()
            process.wait(timeout=30)
    return {"ready_s": ready_s, "first_s": first_s, "history_s": history_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=None, help="folder of JPEG photos (else generated ones)")
    parser.add_argument("--entries", type=int, default=10_000, help="history size for the open-time test")
    parser.add_argument("--sample", type=int, default=21, help="photos classified for the per-photo time")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sample = photos(args.photos, args.sample, args.seed)
    with tempfile.TemporaryDirectory(prefix="batik-bench-") as folder:
        tmp = Path(folder)
        big_url, big_images = f"sqlite:///{tmp / 'big.sqlite3'}", tmp / "big-images"
        fill_s = fill_history(big_url, big_images, args.entries, sample[0])
        e2e = end_to_end(big_url, big_images, sample, args.entries, tmp)
        side = server_side(f"sqlite:///{tmp / 'small.sqlite3'}", tmp / "small-images", sample)
        page_ms = history_page_apptest(big_url, big_images)
    source = str(args.photos) if args.photos else "generated noise photos"
    rows = [
        ("server up (health check) after `batik app`", "-", f"{e2e['ready_s']:.2f} s"),
        ("first result in Chromium after `batik app`", "<= 5 s", f"{e2e['first_s']:.2f} s"),
        ("model load (in process)", "-", f"{side['load_s']:.2f} s"),
        ("first classify+save, server (in process)", "-", f"{side['first_ms']:.0f} ms"),
        (f"later classify+save, server, median of {len(sample) - 1}", "<= 300 ms", f"{side['median_ms']:.0f} ms"),
        (f"later classify+save, server, p95 of {len(sample) - 1}", "<= 300 ms", f"{side['p95_ms']:.0f} ms"),
        (
            f"12 MP phone photo ({side['phone_mb']:.1f} MB) classify+save, median of 3",
            "<= 300 ms",
            f"{side['phone_ms']:.0f} ms",
        ),  # fmt: skip
        (f"History open in Chromium, {args.entries + 1:,} entries", "< 1 s", f"{e2e['history_s']:.2f} s"),
        (f"History page script run, {args.entries + 1:,} entries", "< 1 s", f"{page_ms:.0f} ms"),
        ("History count + first page query", "-", f"{side['history_query_ms']:.1f} ms"),
        (f"filling {args.entries:,} entries via save()", "-", f"{fill_s:.1f} s"),
    ]
    width = max(len(row[0]) for row in rows)
    print(f"Batik Studio web app, photos: {source}, CPUs: {os.cpu_count()}")
    print(f"{'measure'.ljust(width)} | target    | measured")
    print(f"{'-' * width}-|-----------|---------")
    for name, target, value in rows:
        print(f"{name.ljust(width)} | {target.ljust(9)} | {value}")


if __name__ == "__main__":
    main()
