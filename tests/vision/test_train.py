"""Training pieces: config loading, seeded augmentation, the linear head, calibration helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from batik_studio.errors import InputError
from batik_studio.vision.augment import Augment, random_view
from batik_studio.vision.config import TrainConfig
from batik_studio.vision.evaluate import (
    classification_report,
    expected_calibration_error,
    fit_temperature,
    format_report,
)
from batik_studio.vision.model_dir import fit_unknown_scorer
from batik_studio.vision.preprocess import Preprocess, to_array, tta_views
from batik_studio.vision.train import fit_head, normalize_features

from .synthetic import pattern


def test_config_from_toml(tmp_path: Path) -> None:
    """A TOML file sets fields (augment as a table); command-line overrides win; unknown keys are refused."""
    path = tmp_path / "c.toml"
    path.write_text("views = 4\nc = 0.5\n[augment]\ngrayscale_p = 0.5\n")
    config = TrainConfig.from_toml(path, seed=7)
    assert (config.views, config.c, config.seed, config.augment.grayscale_p) == (4, 0.5, 7, 0.5)
    path.write_text("learning_rat = 0.1\n")
    with pytest.raises(InputError, match="learning_rat"):
        TrainConfig.from_toml(path)
    with pytest.raises(InputError, match="recipe"):
        TrainConfig(recipe="magic")


def test_feature_layers_must_be_layers_of_the_backbone() -> None:
    """Layers are checked against the backbone; the seed recipe takes the head layer only."""
    config = TrainConfig(backbone="efficientnet-lite0", feature_layers=["stage6", "head"])
    assert config.feature_layers == ("stage6", "head")
    for bad in (["stage9"], [], ["head", "head"]):
        with pytest.raises(InputError, match="feature_layers"):
            TrainConfig(backbone="efficientnet-lite0", feature_layers=bad)
    with pytest.raises(InputError, match="resnet50"):
        TrainConfig(backbone="resnet50", feature_layers=["stage6"])
    with pytest.raises(InputError, match="seed recipe"):
        TrainConfig(recipe="seed", backbone="efficientnet-lite0", feature_layers=["stage6", "head"])


def test_random_view_same_seed_same_result() -> None:
    """Augmented views depend only on the seed: same seed, same pixels; another seed, other pixels."""
    image = pattern("checks", np.random.default_rng(0), size=200)
    pre = Preprocess(image_size=64)
    a = random_view(image, pre, Augment(), np.random.default_rng(3))
    b = random_view(image, pre, Augment(), np.random.default_rng(3))
    c = random_view(image, pre, Augment(), np.random.default_rng(4))
    assert a.shape == (3, 64, 64) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_tta_views_start_with_main_view() -> None:
    """The first test-time view is exactly the main view; a mirrored crop is the mirror image."""
    image = Image.fromarray(np.random.default_rng(1).integers(0, 255, (50, 80, 3), dtype=np.uint8))
    pre = Preprocess(image_size=32, tta_crops=((1.0, 0.5, 0.5, True),))
    views = tta_views(image, pre)
    assert views.shape == (2, 3, 32, 32)
    np.testing.assert_array_equal(views[0], to_array(image, pre))
    np.testing.assert_allclose(views[1], views[0][:, :, ::-1], atol=0.05)


def test_fit_head_same_seed_same_result_and_separates() -> None:
    """The logistic head is deterministic and separates well-separated classes; its logits fold the scaling."""
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 1, (40, 8)) + 3, rng.normal(0, 1, (40, 8)) - 3].astype(np.float32)
    y = np.r_[np.zeros(40, int), np.ones(40, int)]
    first = fit_head(x, y, c=1.0, l2_normalize=False, seed=0)
    second = fit_head(x, y, c=1.0, l2_normalize=False, seed=0)
    np.testing.assert_array_equal(first.weight, second.weight)
    assert (first.logits(x).argmax(1) == y).mean() == 1.0


def test_normalize_features_square_root_then_unit_length() -> None:
    """Power normalisation takes the signed square root; L2 normalisation then gives unit-length rows."""
    x = np.array([[4.0, -9.0, 0.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(normalize_features(x, True, False), [[2.0, -3.0, 0.0], [1.0, 1.0, 1.0]])
    both = normalize_features(x, True, True)
    np.testing.assert_allclose(both[0], np.array([2.0, -3.0, 0.0]) / np.sqrt(13.0))
    np.testing.assert_allclose(np.linalg.norm(both, axis=1), 1.0)
    np.testing.assert_array_equal(normalize_features(x, False, False), x)


def test_temperature_fixes_overconfidence() -> None:
    """Fitting a temperature on over-confident logits raises it above 1 and lowers the ECE."""
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 3, 600)
    logits = rng.normal(0, 1, (600, 3))
    logits[np.arange(600), targets] += 1.0
    logits *= 6
    from batik_studio.vision.predict import softmax

    temperature = fit_temperature(logits, targets)
    assert temperature > 2
    assert expected_calibration_error(softmax(logits, temperature), targets) < expected_calibration_error(
        softmax(logits), targets
    )


def test_unknown_scorer_ranks_far_points_higher() -> None:
    """Points far from every class mean, or with a doubtful top probability, score higher than sure members."""
    rng = np.random.default_rng(0)
    centre_a, centre_b = np.array([6.0, 0, 0, 0, 0, 0]), np.array([0, 6.0, 0, 0, 0, 0])
    x = np.r_[rng.normal(0, 1, (50, 6)) + centre_a, rng.normal(0, 1, (50, 6)) + centre_b]
    y = np.r_[np.zeros(50, int), np.ones(50, int)]
    scorer = fit_unknown_scorer(x, y, dim=4)
    far = rng.normal(0, 1, (20, 6)) + np.array([0, 0, -6.0, 0, 0, 0])
    assert scorer.distance(far).min() > np.percentile(scorer.distance(x), 95)
    scorer = scorer.with_references(scorer.distance(x), rng.uniform(0, 0.2, len(x)))
    sure = np.tile([[0.99, 0.01]], (20, 1))
    unsure = np.tile([[0.5, 0.5]], (20, 1))
    assert (scorer.score(far, sure) > scorer.score(x[:20], sure)).all()
    assert (scorer.score(x[:20], unsure) > scorer.score(x[:20], sure)).all()


def test_report_layout() -> None:
    """The text report lists each class, then accuracy, macro and weighted averages like the paper's."""
    report = classification_report(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), ["A", "B"])
    text = format_report(report, ["A", "B"])
    lines = text.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    assert lines[2].split()[0] == "A" and "accuracy" in text and "weighted avg" in text


def test_training_pool_matches_classes_and_groups_across_datasets(tiny_dataset: Path, tmp_path: Path) -> None:
    """Several datasets: classes matched by folder name, test splits left out, near-duplicates grouped across."""
    from batik_studio.vision.data import near_duplicate_groups
    from batik_studio.vision.train import read_training_pool

    other = tmp_path / "other"
    for split, kind, n in (("val", "dots", 3), ("val", "waves", 3), ("test", "dots", 2)):
        folder = other / split / kind
        folder.mkdir(parents=True)
        for i in range(n):
            pattern("stripes" if kind == "waves" else kind, np.random.default_rng([9, i]), size=80).save(
                folder / f"{i}.png"
            )
    copied = sorted((tiny_dataset / "train" / "dots").iterdir())[0]
    Image.open(copied).rotate(90).save(other / "val" / "dots" / "copy.png")
    pool = read_training_pool([tiny_dataset, other])
    assert pool.labels == ("checks", "dots", "stripes", "waves")
    assert [len(part.samples) for part in pool.parts] == [42, 7]
    assert pool.targets.tolist()[-7:] == [1, 1, 1, 1, 3, 3, 3]
    assert pool.part_index.tolist() == [0] * 42 + [1] * 7
    assert pool.sources() == {tiny_dataset.name: 42, "other": 7}
    groups = near_duplicate_groups(pool.hashes)
    paths = [s.path for part in pool.parts for s in part.samples]
    assert groups[paths.index(copied)] == groups[paths.index(other / "val" / "dots" / "copy.png")]
    with pytest.raises(InputError, match="twice"):
        read_training_pool([tiny_dataset, tiny_dataset])
    only_test = tmp_path / "only-test" / "test" / "dots"
    only_test.mkdir(parents=True)
    pattern("dots", np.random.default_rng(4), size=80).save(only_test / "a.png")
    with pytest.raises(InputError, match="no photo to train on"):
        read_training_pool([tiny_dataset, tmp_path / "only-test"])


def test_training_pool_drops_copies_of_another_datasets_test_photos(tiny_dataset: Path, tmp_path: Path) -> None:
    """A photo that copies another dataset's test photo (here mirrored) is not trained on, and is reported."""
    from batik_studio.vision.train import read_training_pool

    folder = tmp_path / "other" / "val" / "dots"
    folder.mkdir(parents=True)
    test_photo = sorted((tiny_dataset / "test" / "dots").iterdir())[0]
    Image.open(test_photo).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "copy.png")
    pattern("dots", np.random.default_rng(3), size=80).save(folder / "own.png")
    pool = read_training_pool([tiny_dataset, tmp_path / "other"])
    assert [s.path.name for s in pool.parts[1].samples] == ["own.png"]
    assert [(p.name, why) for p, why in pool.bad] == [("copy.png", "near-duplicate of another dataset's test photo")]
    assert len(pool.hashes) == 42 + 1


def test_fit_head_with_principal_components_is_one_linear_map() -> None:
    """With pca_dim the head still separates the classes and its logits come from one (C, D) map on the features."""
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(3, 40))
    targets = np.repeat(np.arange(3), 60)
    features = np.abs(centres[targets] + 0.3 * rng.normal(size=(180, 40)))
    head = fit_head(features, targets, c=1.0, l2_normalize=True, seed=0, power_normalize=True, pca_dim=8)
    assert head.weight.shape == (3, 40)
    assert (head.logits(features).argmax(axis=1) == targets).mean() > 0.95
