"""Backbone facts needed without torch: input size, feature width and pixel normalisation."""

from __future__ import annotations

#: name -> (input size in pixels, feature width, normalisation mean, normalisation std)
BACKBONE_INFO: dict[str, tuple[int, int, tuple[float, float, float], tuple[float, float, float]]] = {
    "efficientnet-lite0": (224, 1280, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    "efficientnet-lite2": (260, 1280, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    "resnet50": (224, 2048, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}

__all__ = ["BACKBONE_INFO"]
