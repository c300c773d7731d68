"""Speed of the shipped motif classifier: model load time and single-photo classify latency on this machine.

Usage: python benchmarks/vision.py [PHOTO_FOLDER] [--model DIR] [--repeats N] [--record]

Photos default to generated 640x480 images; give a folder (e.g. batik7/test) to time real photos. The competitor
row runs the same backbone and preprocessing in eager PyTorch (skipped when torch is not installed).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from batik_studio.vision.images import IMAGE_SUFFIXES, load_image
from batik_studio.vision.predict import Predictor, default_model_dir
from batik_studio.vision.preprocess import tta_views


def photos(folder: Path | None, count: int) -> list[Image.Image]:
    if folder is None:
        rng = np.random.default_rng(0)
        return [Image.fromarray(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)) for _ in range(count)]
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)[:count]
    return [load_image(p) for p in paths]


def time_onnx(model_dir: Path, images: list[Image.Image]) -> tuple[float, list[float]]:
    start = time.perf_counter()
    predictor = Predictor(model_dir)
    load_s = time.perf_counter() - start
    predictor.predict(images[0])
    return load_s, [predictor.predict(im).milliseconds for im in images]


def time_torch(model_dir: Path, images: list[Image.Image]) -> list[float] | None:
    try:
        import torch
    except ImportError:
        return None
    from batik_studio.vision.backbones import build_backbone
    from batik_studio.vision.export import PooledTrunk

    predictor = Predictor(model_dir)
    backbone = predictor.card.get("backbone") or "efficientnet-lite2"
    layers = tuple(predictor.card.get("config", {}).get("feature_layers") or ("head",))
    trunk = PooledTrunk(build_backbone(backbone), layers).eval()
    torch.set_num_threads(os.cpu_count() or 1)
    times = []
    with torch.inference_mode():
        trunk(torch.from_numpy(tta_views(images[0], predictor.preprocess)))
        for image in images:
            start = time.perf_counter()
            trunk(torch.from_numpy(tta_views(image, predictor.preprocess)))
            times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="?", type=Path, default=None)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--record", action="store_true", help="store the ONNX figures in the model card")
    args = parser.parse_args()
    model_dir = args.model or default_model_dir()
    images = photos(args.photos, args.repeats)
    load_s, onnx_ms = time_onnx(model_dir, images)
    torch_ms = time_torch(model_dir, images)
    size_mb = sum(p.stat().st_size for p in model_dir.iterdir() if p.is_file()) / 1e6
    views = Predictor(model_dir).preprocess.n_views
    print(
        f"model {model_dir} ({size_mb:.1f} MB, {views} views per photo), {len(images)} photos, "
        f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}"
    )
    print(f"{'runtime':<28} {'load s':>7} {'median ms':>10} {'p90 ms':>8}")
    print(
        f"{'ONNX Runtime (served)':<28} {load_s:7.2f} {statistics.median(onnx_ms):10.1f} "
        f"{np.percentile(onnx_ms, 90):8.1f}"
    )
    if torch_ms is not None:
        print(
            f"{'eager PyTorch (backbone)':<28} {'':>7} {statistics.median(torch_ms):10.1f} "
            f"{np.percentile(torch_ms, 90):8.1f}"
        )
    print("targets: load <= 2 s, median classify <= 100 ms, model folder <= 50 MB")
    if args.record:
        from batik_studio.vision.model_card import record_speed

        machine = f"{os.cpu_count()} CPU cores ({platform.machine()}), load average {os.getloadavg()[0]:.1f}"
        record_speed(
            model_dir,
            {
                "load_s": load_s,
                "median_ms": statistics.median(onnx_ms),
                "p90_ms": float(np.percentile(onnx_ms, 90)),
                "views": views,
                "photos": len(images),
                "machine": machine,
            },
        )


if __name__ == "__main__":
    main()
