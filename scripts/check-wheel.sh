#!/usr/bin/env bash
# The wheel works on its own: build it from this checkout, install it with its [app] extra into a fresh virtual
# environment (no torch, the checkout not on the path), then classify a generated photo, order a generated
# drawing and ask the served web app for its health check. Any failure fails the test run.
set -euo pipefail
PYTHON=${PYTHON:-python3}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/batik-wheel-check.XXXXXX")
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Built from a copy of the tracked files, as from a fresh clone: no build/ or egg-info left from earlier builds.
echo "wheel check: building the wheel from the tracked files"
mkdir "$work/clone"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$repo" ls-files -z | (cd "$repo" && tar --null -T - -cf -) | tar -xf - -C "$work/clone"
else
    cp -a "$repo/." "$work/clone"
fi
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$work/clone"
wheel=$(ls "$work"/dist/batik_studio-*.whl)
echo "wheel check: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB); installing into a fresh venv"
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$wheel[app]"

mkdir "$work/run"
cd "$work/run"
export -n PYTHONPATH 2>/dev/null || true
unset PYTHONPATH BATIK_MODEL_DIR
py="$work/venv/bin/python"
batik="$work/venv/bin/batik"

"$py" - "$work/clone/models" <<'PY'
import importlib.util
import sys
from pathlib import Path

import batik_studio
from batik_studio.vision.predict import shipped_model

assert importlib.util.find_spec("torch") is None, "torch is installed in the wheel's environment"
assert "/site-packages/" in batik_studio.__file__, f"batik_studio imported from {batik_studio.__file__}"
for folder in sorted(p for p in Path(sys.argv[1]).iterdir() if p.is_dir()):
    shipped = shipped_model(folder.name)
    missing = sorted(f.name for f in folder.iterdir() if f.is_file() and not (shipped / f.name).is_file())
    assert "/site-packages/" in str(shipped) and not missing, f"{folder.name}: not in the wheel: {missing}"
    print(f"wheel check: model {folder.name} shipped at {shipped}")
print(f"wheel check: batik_studio from {batik_studio.__file__}, no torch")
PY

"$py" - <<'PY'
import numpy as np
from PIL import Image

rng = np.random.default_rng(0)
y, x = np.mgrid[0:320, 0:320]
stripes = ((x + y) // 16 % 2)[..., None] * np.array([120, 70, 20]) + 60
Image.fromarray((stripes + rng.integers(0, 30, (320, 320, 3))).clip(0, 255).astype("uint8")).save("photo.jpg")
circles = "".join(f'<circle cx="{10 + 20 * (i % 5)}" cy="{10 + 20 * (i // 5)}" r="6"/>' for i in range(25))
lines = "".join(f'<line x1="{i * 4}" y1="0" x2="{100 - i * 4}" y2="100"/>' for i in range(10))
svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="100mm" viewBox="0 0 100 100" fill="none" stroke="black">{circles}{lines}</svg>'
open("drawing.svg", "w").write(svg)
PY

echo "wheel check: batik classify photo.jpg"
"$batik" classify photo.jpg
echo "wheel check: batik toolpath optimize drawing.svg"
"$batik" toolpath optimize drawing.svg -o drawing.gcode --report drawing.json
test -s drawing.gcode

port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "wheel check: batik app --port $port"
"$batik" app --port "$port" --host 127.0.0.1 >"$work/app.log" 2>&1 &
server=$!
"$py" - "$port" <<'PY' || { cat "$work/app.log"; exit 1; }
import sys
import time
import urllib.request

base = f"http://127.0.0.1:{sys.argv[1]}"
deadline = time.monotonic() + 120
while True:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
            health = response.read().decode()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("wheel check: the app did not answer its health check within 120 s")
        time.sleep(0.5)
with urllib.request.urlopen(base + "/", timeout=10) as response:
    page = response.read().decode()
assert health == "ok", health
assert "<html" in page.lower(), page[:200]
print(f"wheel check: health {health!r}, page served ({len(page)} bytes)")
PY
echo "wheel check: passed"
