"""Backbone facts needed without torch: input size, feature width, pixel normalisation and poolable layers."""

from __future__ import annotations

#: name -> (input size in pixels, feature width, normalisation mean, normalisation std)
BACKBONE_INFO: dict[str, tuple[int, int, tuple[float, float, float], tuple[float, float, float]]] = {
    "efficientnet-lite0": (224, 1280, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    "efficientnet-lite2": (260, 1280, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    "resnet50": (224, 2048, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}

#: name -> {layer: channels} of the layers whose pooled outputs can be features (``TrainConfig.feature_layers``);
#: ``stageN`` is the output of the N-th group of EfficientNet blocks, ``head`` the last feature map.
FEATURE_LAYERS: dict[str, dict[str, int]] = {
    "efficientnet-lite0": {"stage4": 80, "stage5": 112, "stage6": 192, "stage7": 320, "head": 1280},
    "efficientnet-lite2": {"stage4": 88, "stage5": 120, "stage6": 208, "stage7": 352, "head": 1280},
    "resnet50": {"head": 2048},
}

__all__ = ["BACKBONE_INFO", "FEATURE_LAYERS"]
