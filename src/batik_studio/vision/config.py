"""Training settings as one dataclass, loadable from TOML (no torch needed to read them)."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from batik_studio.errors import InputError
from batik_studio.vision.augment import Augment
from batik_studio.vision.backbones_info import BACKBONE_INFO

RECIPES = ("probe", "seed")


@dataclass(frozen=True)
class TrainConfig:
    """Every training hyper-parameter; ``recipe`` picks the pipeline.

    ``probe`` (default): frozen backbone features of ``views`` augmented views per photo, cached, then an
    L2-regularised logistic-regression head (strength ``c``) on power-normalised (signed square root,
    ``power_normalize``) and L2-normalised features; served views: a centre crop of ``crop_fraction`` of the shorter
    side plus the ``tta`` crops; temperature and rejection threshold from grouped out-of-fold predictions.
    ``seed``: the paper's protocol (head Conv2D+BN+ReLU+Dropout+MaxPool+GAP+Dense on the backbone, Adam,
    cross-entropy, early stopping, ReduceLROnPlateau, grouped stratified K-fold, best fold kept).
    """

    recipe: str = "probe"
    backbone: str = "efficientnet-lite2"
    weights: str | None = None
    seed: int = 0
    folds: int = 5
    fold_seed: int = 42
    duplicate_bits: int = 5
    # probe recipe
    views: int = 32
    c: float = 0.03
    power_normalize: bool = True
    l2_normalize: bool = True
    crop_fraction: float = 0.7
    tta: tuple[tuple[float, float, float, bool], ...] = ((0.4, 0.5, 0.5, False),)
    false_reject_rate: float = 0.05
    unknown_dim: int = 512
    balanced: bool = False
    pca_dim: int = 0
    augment: Augment = Augment()
    # seed recipe
    epochs: int = 25
    batch_size: int = 32
    learning_rate: float = 1e-3
    patience: int = 5
    rotation: float = 0.1
    head_channels: int = 256
    dropout: float = 0.5

    def __post_init__(self) -> None:
        if self.recipe not in RECIPES:
            raise InputError(f"recipe {self.recipe!r} is not one of {', '.join(RECIPES)}")
        if self.backbone not in BACKBONE_INFO:
            raise InputError(f"backbone {self.backbone!r} is not one of {', '.join(BACKBONE_INFO)}")
        if self.views < 1 or self.folds < 2 or self.epochs < 1:
            raise InputError("views >= 1, folds >= 2 and epochs >= 1 are required")
        if not 0.1 <= self.crop_fraction <= 1.0:
            raise InputError(f"crop_fraction {self.crop_fraction} outside 0.1..1")
        if not 0 < self.false_reject_rate < 0.5:
            raise InputError(f"false_reject_rate {self.false_reject_rate} outside (0, 0.5)")
        if isinstance(self.augment, dict):
            object.__setattr__(self, "augment", Augment(**self.augment))
        object.__setattr__(self, "tta", tuple(tuple(crop) for crop in self.tta))

    @property
    def image_size(self) -> int:
        """Network input size of the backbone."""
        return BACKBONE_INFO[self.backbone][0]

    def to_dict(self) -> dict:
        """JSON/TOML-ready form (saved in the model card)."""
        return asdict(self)

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: object) -> TrainConfig:
        """Read a TOML file of field = value lines (``[augment]`` table for augmentation), then apply overrides."""
        try:
            data = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"{path}: cannot read training config ({exc})") from exc
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"{path}: unknown settings {unknown}; allowed: {sorted(known)}")
        return cls(**(data | {k: v for k, v in overrides.items() if v is not None}))


__all__ = ["RECIPES", "TrainConfig"]
