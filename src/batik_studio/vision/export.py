"""Export torch graphs to ONNX (torch is needed here only; serving runs the ONNX files)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from batik_studio.atomic import atomic_outputs
from batik_studio.vision.backbones import build_backbone


class PooledTrunk(nn.Module):
    """Backbone trunk followed by global average pooling: images (N, 3, S, S) -> features (N, D).

    With more than the ``head`` layer, the pooled output of every layer in ``layers`` is divided by its L1 norm and
    by the number of layers before they are concatenated: after the head's signed square root and unit length,
    every layer then weighs the same (each becomes a unit vector scaled by 1/sqrt(number of layers)).
    """

    def __init__(self, trunk: nn.Module, layers: tuple[str, ...] = ("head",)) -> None:
        super().__init__()
        self.trunk = trunk
        self.layers = tuple(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the module on a batch of images or feature maps."""
        if self.layers == ("head",):
            return self.trunk(x).mean(dim=(2, 3))
        pooled = [layer.mean(dim=(2, 3)) for layer in self.trunk.layer_maps(x, self.layers)]
        scale = float(len(pooled))
        return torch.cat([p / (p.abs().sum(dim=1, keepdim=True) * scale + 1e-12) for p in pooled], dim=1)


class Classifier(nn.Module):
    """Pooled trunk + linear head: images (N, 3, S, S) -> (logits (N, C), features (N, D)).

    With ``power_normalize`` the head sees the signed square root of the features, with ``l2_normalize`` unit-length
    features (after the square root); ``features`` is always the raw pooled output.
    """

    def __init__(
        self,
        trunk: nn.Module,
        weight: np.ndarray,
        bias: np.ndarray,
        l2_normalize: bool = False,
        power_normalize: bool = False,
        layers: tuple[str, ...] = ("head",),
    ) -> None:
        super().__init__()
        self.pooled = PooledTrunk(trunk, layers)
        self.l2_normalize = l2_normalize
        self.power_normalize = power_normalize
        self.head = nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            self.head.weight.copy_(torch.from_numpy(np.asarray(weight, dtype=np.float32)))
            self.head.bias.copy_(torch.from_numpy(np.asarray(bias, dtype=np.float32)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the module on a batch of images or feature maps."""
        features = self.pooled(x)
        head_input = torch.sign(features) * torch.sqrt(torch.abs(features)) if self.power_normalize else features
        if self.l2_normalize:
            head_input = nn.functional.normalize(head_input, dim=1)
        return self.head(head_input), features


def export_onnx(module: nn.Module, path: Path, image_size: int, output_names: list[str]) -> Path:
    """Write ``module`` (eval mode) as an ONNX graph with a dynamic batch axis; atomic (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(1, 3, image_size, image_size)
    axes = {"images": {0: "n"}} | {name: {0: "n"} for name in output_names}
    with warnings.catch_warnings(), atomic_outputs(path) as (tmp,):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            (example,),
            str(tmp),
            input_names=["images"],
            output_names=output_names,
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    return path


def export_trunk(
    backbone: str,
    path: Path,
    image_size: int,
    weights: Path | None = None,
    layers: tuple[str, ...] = ("head",),
) -> Path:
    """Export a pooled ImageNet backbone (images -> features) for fast feature extraction with ONNX Runtime."""
    return export_onnx(PooledTrunk(build_backbone(backbone, weights), layers), path, image_size, ["features"])


def export_classifier(
    backbone: str,
    weight: np.ndarray,
    bias: np.ndarray,
    path: Path,
    image_size: int,
    weights: Path | None = None,
    l2_normalize: bool = False,
    power_normalize: bool = False,
    layers: tuple[str, ...] = ("head",),
) -> Path:
    """Export backbone + linear head as one ONNX graph with outputs ``logits`` and ``features``."""
    module = Classifier(build_backbone(backbone, weights), weight, bias, l2_normalize, power_normalize, layers)
    return export_onnx(module, path, image_size, ["logits", "features"])


__all__ = ["Classifier", "PooledTrunk", "export_classifier", "export_onnx", "export_trunk"]
