"""Training settings as one dataclass, loadable from TOML (no torch needed to read them)."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from batik_studio.errors import InputError
from batik_studio.vision.augment import Augment
from batik_studio.vision.backbones_info import BACKBONE_INFO, FEATURE_LAYERS

RECIPES = ("probe", "seed")
#: How held-out scores for the temperature and the rejection threshold are made: folds of whole sources, or of
#: photos (near-duplicate groups kept together).
CALIBRATIONS = ("source", "photo")
#: Rejection scores, each scaled to 0..1 by its empirical CDF over held-out known photos (``UnknownScorer``).
REJECTION_RULES = ("doubt", "knn", "mahalanobis", "mean", "max", "max-mahalanobis", "max-all")


@dataclass(frozen=True)
class TrainConfig:
    """Every training hyper-parameter; ``recipe`` picks the pipeline.

    ``probe`` (default): frozen backbone features of ``views`` augmented views per photo, cached, then an
    L2-regularised logistic-regression head (strength ``c``) on the pooled ``feature_layers`` (``FEATURE_LAYERS``;
    several layers are concatenated, each weighing the same), power-normalised (signed square root,
    ``power_normalize``) and L2-normalised features; served views: a centre crop of ``crop_fraction`` of the shorter
    side plus the ``tta`` crops; temperature and rejection threshold from out-of-fold predictions.
    ``calibration``: ``"source"`` (default) makes those predictions in folds that each hold out whole sources
    (``calibration_folds`` of them, 0 = one per source), so the threshold reflects photos of an unseen source;
    photos of a motif no other source has, and training data of one source, fall back to grouped photo folds;
    ``"photo"`` uses ``folds`` grouped folds of photos only (the earlier behaviour).
    ``rejection_rule``: the score a photo is rejected on (``REJECTION_RULES``): ``doubt`` (one minus the top
    probability), ``knn`` (mean cosine distance to the ``knn_neighbours`` nearest training photos),
    ``mahalanobis`` (whitened distance to the nearest class mean), ``mean`` (of mahalanobis and doubt), ``max``
    (of knn and doubt), ``max-mahalanobis`` (of mahalanobis and doubt) or ``max-all`` (of all three), each cue
    first scaled to 0..1 on the held-out scores.
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
    feature_layers: tuple[str, ...] = ("head",)
    c: float = 0.03
    power_normalize: bool = True
    l2_normalize: bool = True
    crop_fraction: float = 0.7
    tta: tuple[tuple[float, float, float, bool], ...] = ((0.4, 0.5, 0.5, False),)
    false_reject_rate: float = 0.05
    unknown_dim: int = 512
    calibration: str = "source"
    calibration_folds: int = 0
    rejection_rule: str = "max"
    knn_neighbours: int = 10
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
        if self.calibration not in CALIBRATIONS:
            raise InputError(
                f"calibration {self.calibration!r} is not one of {', '.join(CALIBRATIONS)}", settings=("calibration",)
            )
        if self.calibration_folds < 0 or self.calibration_folds == 1:
            raise InputError(
                f"calibration_folds {self.calibration_folds}: give 0 (one fold per source) or 2 or more",
                settings=("calibration_folds",),
            )
        if self.rejection_rule not in REJECTION_RULES:
            raise InputError(
                f"rejection_rule {self.rejection_rule!r} is not one of {', '.join(REJECTION_RULES)}",
                settings=("rejection_rule",),
            )
        if self.knn_neighbours < 1:
            raise InputError(f"knn_neighbours {self.knn_neighbours} must be 1 or more", settings=("knn_neighbours",))
        object.__setattr__(self, "feature_layers", tuple(self.feature_layers))
        allowed = FEATURE_LAYERS[self.backbone]
        wrong = [name for name in self.feature_layers if name not in allowed]
        if wrong or not self.feature_layers or len(set(self.feature_layers)) < len(self.feature_layers):
            raise InputError(
                f"feature_layers {list(self.feature_layers)}: give distinct layers of {self.backbone}, "
                f"from {', '.join(allowed)}",
                settings=("feature_layers",),
            )
        if self.recipe == "seed" and self.feature_layers != ("head",):
            raise InputError("the seed recipe trains on the head layer only", settings=("feature_layers",))
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


__all__ = ["CALIBRATIONS", "RECIPES", "REJECTION_RULES", "TrainConfig"]
