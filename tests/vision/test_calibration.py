"""Nested per-source calibration, the rejection rules and their settings, on generated features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from batik_studio.errors import InputError
from batik_studio.vision import train as train_module
from batik_studio.vision.config import REJECTION_RULES, TrainConfig
from batik_studio.vision.loso import source_folds, summarize_rules
from batik_studio.vision.model_dir import LEGACY_RULE, UnknownScorer, fit_unknown_scorer
from batik_studio.vision.train import fit_probe, weighted_quantile


def _features(seed: int = 0, sources: int = 3, per_class: int = 12, classes: int = 3, shift: float = 1.5):
    """Features (n, views, D) of ``classes`` motifs in ``sources`` sources; each source shifts every photo alike.

    Column 0 holds the source number (+1), so a fitted set's sources can be read back from its features.
    """
    rng = np.random.default_rng(seed)
    dim = 12
    centres = rng.normal(0, 4, (classes, dim))
    offsets = rng.normal(0, shift, (sources, dim))
    rows, targets, source = [], [], []
    for s in range(sources):
        for c in range(classes):
            base = centres[c] + offsets[s] + rng.normal(0, 1, (per_class, 1, dim)) + 10
            base = np.repeat(base, 2, axis=1) + rng.normal(0, 0.2, (per_class, 2, dim))
            base[:, :, 0] = s + 1
            rows.append(base)
            targets += [c] * per_class
            source += [s] * per_class
    features = np.concatenate(rows).astype(np.float32)
    return features, np.array(targets), np.array(source)


CONFIG = TrainConfig(folds=3, c=1.0, unknown_dim=8, views=2, knn_neighbours=3)


def test_source_folds_hold_out_whole_sources_and_their_near_duplicates() -> None:
    """Every photo is held out once, with all of its source; nothing of its group is on the fitting side."""
    sources = np.repeat([0, 1, 2, 3], [10, 6, 4, 8])
    groups = np.arange(len(sources))
    groups[25] = groups[0]  # a copy of a photo of source 0 in source 3
    for n_folds, expected in ((0, 4), (2, 2)):
        folds = source_folds(sources, groups, n_folds)
        assert len(folds) == expected
        held_all = np.concatenate([held for _, held in folds])
        assert sorted(held_all) == list(range(len(sources)))
        for fit, held in folds:
            held_sources = set(sources[held])
            assert set(np.flatnonzero(np.isin(sources, list(held_sources)))) == set(held)
            assert not held_sources & set(sources[fit])
            assert not set(groups[fit]) & set(groups[held])
    fit0 = next(fit for fit, held in source_folds(sources, groups) if 0 in held)
    assert 25 not in fit0
    # Two folds: the sources are dealt so that the folds are about the same size (10+4 and 8+6).
    sizes = sorted(len(held) for _, held in source_folds(sources, groups, 2))
    assert sizes == [14, 14]


def test_a_held_out_calibration_source_is_never_fitted_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each calibration head is fitted on every source but the one it scores; only the final head sees all."""
    augmented, targets, sources = _features()
    fitted_sources: list[set[int]] = []
    real_fit_head = train_module.fit_head

    def recording_fit_head(x, y, *args, **kwargs):
        fitted_sources.append(set(np.unique(x[:, 0]).astype(int) - 1))
        return real_fit_head(x, y, *args, **kwargs)

    monkeypatch.setattr(train_module, "fit_head", recording_fit_head)
    fitted = fit_probe(augmented, augmented, targets, np.arange(len(targets)), CONFIG, sources=sources)
    assert fitted_sources[:-1] == [{1, 2}, {0, 2}, {0, 1}]
    assert fitted_sources[-1] == {0, 1, 2}
    assert fitted.calibrated.all() and fitted.calibration == "source"
    assert set(fitted.thresholds) == set(REJECTION_RULES)
    assert fitted.threshold == fitted.thresholds["max"]

    fitted_sources.clear()
    fit_probe(
        augmented,
        augmented,
        targets,
        np.arange(len(targets)),
        TrainConfig(**(CONFIG.to_dict() | {"calibration": "photo"})),
        sources=sources,
    )
    assert len(fitted_sources) == CONFIG.folds + 1
    assert all(len(found) == 3 for found in fitted_sources)
    # Photos of one source only: the grouped photo folds, whatever the setting.
    one = fit_probe(augmented, augmented, targets, np.arange(len(targets)), CONFIG, sources=np.zeros_like(sources))
    assert one.calibration == "photo" and one.calibrated.all()


def test_a_motif_of_one_source_is_calibrated_in_photo_folds() -> None:
    """Photos of a motif no other source has are still scored out of fold (by grouped photo folds)."""
    augmented, targets, sources = _features()
    extra = augmented[targets == 0][:9] + 8.0
    augmented = np.concatenate([augmented, extra])
    targets = np.r_[targets, np.full(9, 3)]
    sources = np.r_[sources, np.zeros(9, int)]
    fitted = fit_probe(augmented, augmented, targets, np.arange(len(targets)), CONFIG, sources=sources)
    assert fitted.calibrated.all()
    assert (fitted.oof_logits[targets == 3].argmax(axis=1) == 3).mean() > 0.5


def test_source_calibration_sets_the_threshold_for_an_unseen_source() -> None:
    """With sources that differ, the threshold from source folds rejects about the asked share of a new source's
    photos; the one from photo folds, fitted on photos of the same sources, rejects more."""
    everything, targets, sources = _features(seed=4, sources=6, per_class=15, shift=2.5)
    new = sources == 5
    train = ~new
    rates = {}
    for calibration in ("source", "photo"):
        config = TrainConfig(**(CONFIG.to_dict() | {"calibration": calibration, "rejection_rule": "knn"}))
        fitted = fit_probe(
            everything[train],
            everything[train],
            targets[train],
            np.arange(train.sum()),
            config,
            sources=sources[train],
        )
        from batik_studio.vision.predict import softmax

        probs = softmax(fitted.head.logits(everything[new]).mean(axis=1), fitted.temperature)
        scores = fitted.scorer.score(everything[new].mean(axis=1), probs)
        assert ((0 < scores) & (scores < 1)).all()
        rates[calibration] = float((scores > fitted.threshold).mean())
    assert rates["source"] < rates["photo"]
    assert rates["source"] <= 0.25


def test_weighted_quantile_counts_every_source_alike() -> None:
    """With weights 1/size per source, a big source does not set the quantile alone."""
    values = np.r_[np.zeros(90), np.ones(10)]
    weights = np.r_[np.full(90, 1 / 90), np.full(10, 1 / 10)]
    assert weighted_quantile(values, 0.4) == 0.0
    assert weighted_quantile(values, 0.6, weights) == 1.0
    assert weighted_quantile(values, 0.4, weights) == 0.0


def test_rules_scale_to_zero_one_and_survive_save_and_load(tmp_path: Path) -> None:
    """Every new rule lies in (0, 1); the scorer keeps its rule and training features through save and load."""
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (60, 6)) + 5
    y = np.repeat([0, 1, 2], 20)
    scorer = fit_unknown_scorer(x, y, dim=4).with_neighbours(x, 5)
    scorer = scorer.with_references(scorer.distance(x), rng.uniform(0, 0.3, 60), scorer.knn_distance(x))
    probs = np.tile([[0.8, 0.1, 0.1]], (60, 1))
    rules = scorer.rules(scorer.cues(x, probs))
    for rule in REJECTION_RULES:
        assert ((0 < rules[rule]) & (rules[rule] < 1)).all()
    assert np.allclose(rules["max"], np.maximum(rules["knn"], rules["doubt"]))
    assert np.allclose(rules["max-mahalanobis"], np.maximum(rules["mahalanobis"], rules["doubt"]))
    assert np.allclose(rules["max-all"], np.maximum(rules["max"], rules["mahalanobis"]))
    far = x[:5] * -1
    assert (scorer.with_rule("knn").score(far, probs[:5]) > np.median(rules["knn"])).all()
    scorer.with_rule("max").save(tmp_path / "unknown.npz")
    loaded = UnknownScorer.load(tmp_path / "unknown.npz")
    assert loaded.rule == "max" and loaded.knn_neighbours == 5
    assert np.allclose(loaded.score(x, probs), scorer.with_rule("max").score(x, probs), atol=1e-3)
    # A folder written before the k-NN cue (five arrays) loads with the older rule, scored from 0 to 2.
    old = {name: getattr(scorer, name) for name in ("offset", "projection", "means")}
    np.savez(
        tmp_path / "old.npz",
        **old,
        reference_distance=scorer.reference_distance,
        reference_doubt=scorer.reference_doubt,
    )
    legacy = UnknownScorer.load(tmp_path / "old.npz")
    assert legacy.rule == LEGACY_RULE
    assert np.allclose(legacy.score(x, probs), rules["mahalanobis"] + rules["doubt"])


def _row(fold: str, known: float, aurocs: dict[str, dict[str, float]]) -> dict:
    return {
        "fold": fold,
        "rules": {
            rule: {"threshold": 0.9, "known_rejected": known, "auroc": found, "rejected": dict.fromkeys(found, 0.5)}
            for rule, found in aurocs.items()
        },
    }


def test_rules_table_averages_sources_and_picks_the_best_rule_within_the_known_budget() -> None:
    """Means over source folds only; the pick is the best mean AUROC among rules rejecting <= 5% of known photos."""
    rows = [
        _row("a", 0.04, {"doubt": {"outside": 0.7, "textile": 0.8}, "max": {"outside": 0.8, "textile": 0.9}}),
        _row("b", 0.04, {"doubt": {"outside": 0.5, "textile": 0.8}, "max": {"outside": 0.6, "textile": 1.0}}),
        _row("a (own split)", 0.5, {"doubt": {"outside": 0.0, "textile": 0.0}, "max": {"outside": 0, "textile": 0}}),
    ]
    summary = summarize_rules(rows, "doubt")
    assert summary["shipped"] == "doubt" and summary["picked"] == "max"
    assert summary["rules"]["max"]["auroc"] == pytest.approx({"outside": 0.7, "textile": 0.95})
    assert summary["rules"]["max"]["mean_auroc"] == pytest.approx(0.825)
    assert summary["rules"]["doubt"]["known_rejected"] == pytest.approx(0.04)
    # A rule over the budget is not picked, however well it ranks.
    rows[0]["rules"]["max"]["known_rejected"] = 0.2
    assert summarize_rules(rows, "doubt")["picked"] == "doubt"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("calibration", "random"),
        ("calibration_folds", 1),
        ("calibration_folds", -2),
        ("rejection_rule", "sum"),
        ("knn_neighbours", 0),
    ],
)
def test_calibration_settings_are_checked_when_the_config_is_built(setting: str, value: object, tmp_path: Path) -> None:
    """A bad calibration or rejection setting is refused at once, the message and ``settings`` naming it."""
    with pytest.raises(InputError, match=setting) as error:
        TrainConfig(**{setting: value})
    assert error.value.settings == (setting,)
    toml = tmp_path / "train.toml"
    toml.write_text(f"{setting} = {value!r}\n".replace("'", '"'))
    with pytest.raises(InputError, match=setting):
        TrainConfig.from_toml(toml)


def test_default_calibration_settings() -> None:
    """Source calibration, one fold per source and the max rule are the defaults; the old ones stay selectable."""
    config = TrainConfig()
    assert (config.calibration, config.calibration_folds, config.rejection_rule) == ("source", 0, "max")
    old = TrainConfig(calibration="photo", rejection_rule="mean", calibration_folds=3)
    assert old.to_dict()["calibration"] == "photo"
