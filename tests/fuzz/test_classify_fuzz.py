"""``batik classify`` on generated, damaged, odd-mode and hostile images and on paths that are not photos.

Each photo gets exactly one line: a result, or ``<file>: error: ...``; the exit status is 1 when any failed; no
traceback, no hang (a FIFO or device is refused, never read), memory bounded (bombs refused from the header).
"""

from __future__ import annotations

import json
import os

import pytest

from batik_studio.errors import ImageError
from batik_studio.vision.images import load_image
from tests.fuzz import corpus
from tests.fuzz.conftest import invoke

IMAGES = corpus.image_corpus(seed=16, variants=30)
#: Files every reader must accept, whatever their mode or container.
READABLE = {
    "image-cmyk.jpg",
    "image-16bit.png",
    "image-rgba.png",
    "image-palette.png",
    "image-la.png",
    "image-1bit.png",
    "image-animated.gif",
    "image-1x1.png",
    "image-png-named.jpg",
}
REFUSED = {"image-text-named.jpg", "image-svg-named.png", "image-empty.jpg", "image-bomb.png", "image-wide-bomb.png"}


@pytest.mark.parametrize(("name", "data"), IMAGES, ids=[name for name, _ in IMAGES])
def test_load_image_gives_rgb_or_image_error(name, data):
    try:
        image = load_image(data)
    except ImageError as error:
        assert name not in READABLE, f"{name}: refused: {error}"
        assert "\n" not in str(error)
        return
    assert name not in REFUSED, f"{name} was accepted"
    assert image.mode == "RGB" and image.width >= 1 and image.height >= 1


@pytest.fixture(scope="module")
def odd_paths(tmp_path_factory):
    """Paths that are not photos: a folder, a FIFO, devices, a symlink loop, a missing and an oversized file."""
    folder = tmp_path_factory.mktemp("odd")
    (folder / "a-folder.jpg").mkdir()
    os.mkfifo(folder / "fifo.jpg")
    (folder / "loop.jpg").symlink_to(folder / "loop.jpg")
    with open(folder / "huge.jpg", "wb") as handle:
        handle.truncate(30_000_000)
    return [
        folder / "a-folder.jpg",
        folder / "fifo.jpg",
        folder / "loop.jpg",
        folder / "huge.jpg",
        folder / "missing.jpg",
        "/dev/zero",
        "/dev/null",
    ]


def test_classify_one_line_per_photo(tmp_path, odd_paths):
    paths = []
    for name, data in IMAGES:
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    paths += odd_paths
    result = invoke(["classify", "--json", *paths])
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert [row["file"] for row in rows] == [str(p) for p in paths]
    by_name = {os.path.basename(row["file"]): row for row in rows}
    for name in READABLE:
        assert "label" in by_name[name], by_name[name]
    for name in REFUSED | {os.path.basename(str(p)) for p in odd_paths}:
        assert "\n" not in by_name[name]["error"] and by_name[name]["error"], by_name[name]
    assert "not a regular file" in by_name["fifo.jpg"]["error"]
    assert "folder" in by_name["a-folder.jpg"]["error"]


def test_classify_text_mode_prints_one_error_line_per_failed_photo(tmp_path, odd_paths):
    good = tmp_path / "good.png"
    good.write_bytes(dict(IMAGES)["image-1x1.png"])
    result = invoke(["classify", good, *odd_paths])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == len(odd_paths)
    assert all(": error: " in line for line in errors)
    assert result.stdout.count(str(good)) == 1
