"""The model card of a model folder: ``card.json`` (machine-readable) and ``MODEL_CARD.md`` (for people)."""

from __future__ import annotations

from pathlib import Path

from batik_studio.atomic import write_text_atomically
from batik_studio.vision.model_dir import (
    CARD_FILE,
    CARD_MARKDOWN,
    METRICS_FILE,
    NOTES_FILE,
    check_model_dir,
    read_calibration,
    read_json,
    write_json,
)

KNOWN_LIMITS = (
    "Knows only the motifs in its labels; any other photo gets one of them unless it is rejected as unknown.",
    "Unknown rejection is a distance to the training photos in feature space: motifs close to a known one "
    "(for example Lereng next to Parang, Ceplok next to Kawung) are often not rejected.",
    "Trained on photos from few sources; accuracy on photos from other sources, lighting and cameras is lower "
    "than on the in-source test split (see the cross-source scores when recorded).",
    "Confidence and the rejection threshold are calibrated on training sources held out in turn; confidence is "
    "still optimistic on photos unlike every source.",
)


def summarize(result: dict) -> dict:
    """The headline numbers of an ``evaluate_model`` result (what the card keeps)."""
    keep = ("data", "split", "n", "accuracy", "macro_f1", "ece_before", "ece_after", "colour_baseline_accuracy")
    summary = {k: result[k] for k in keep if k in result}
    summary["false_reject_rate"] = result.get("false_reject_rate")
    summary["unknown"] = result.get("unknown", {})
    summary["report_text"] = result.get("report_text", "")
    return summary


def record_evaluation(model_dir: Path, name: str, result: dict) -> None:
    """Store an evaluation under ``name`` in ``metrics.json`` and rewrite the card."""
    model_dir = check_model_dir(Path(model_dir))
    path = model_dir / METRICS_FILE
    metrics = read_json(path) if path.is_file() else {"training": {}, "evaluations": {}}
    metrics.setdefault("evaluations", {})[name] = summarize(result)
    write_json(path, metrics)
    write_card(model_dir)


def record_speed(model_dir: Path, speed: dict) -> None:
    """Store measured speed figures (load seconds, classify milliseconds, machine) and rewrite the card."""
    model_dir = check_model_dir(Path(model_dir))
    path = model_dir / METRICS_FILE
    metrics = read_json(path)
    metrics["speed"] = speed
    write_json(path, metrics)
    write_card(model_dir)


def record_sources(model_dir: Path, result: dict, command: str) -> None:
    """Store a leave-one-source-out result (averages, and each fold without its list of wrong answers)."""
    model_dir = check_model_dir(Path(model_dir))
    path = model_dir / METRICS_FILE
    metrics = read_json(path)
    folds = [{k: v for k, v in row.items() if k != "wrong"} for row in result["folds"]]
    metrics["leave_source_out"] = {"command": command, "average": result["average"], "folds": folds}
    metrics["leave_source_out"] |= {key: result[key] for key in ("rules", "picked", "shipped") if key in result}
    write_json(path, metrics)
    write_card(model_dir)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _sources_lines(loso: dict) -> list[str]:
    avg = loso["average"]
    lines = [
        "",
        "## Leave-one-source-out",
        "",
        f"For each source of photos, the recipe is fitted on the others and scored on it (`{loso['command']}`).",
        "",
        "| held out | known photos | accuracy | macro-F1 | seed 7 accuracy | ECE after | known rejected | "
        "other motifs AUROC | other motifs rejected |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in loso["folds"]:
        outside = row["outside"]
        auroc = "n/a" if outside["auroc"] is None else f"{outside['auroc']:.3f}"
        lines.append(
            f"| {row['fold']} | {row['n_known']} | {_pct(row['accuracy'])} | {_pct(row['macro_f1'])} | "
            f"{_pct(row['accuracy_seed'])} | {_pct(row['ece_after'])} | {_pct(row['known_rejected'])} | "
            f"{auroc} ({outside['n']}) | {_pct(outside['rejected'])} |"
        )
    auroc = "n/a" if avg["outside_auroc"] is None else f"{avg['outside_auroc']:.3f}"
    lines.append(
        f"| **mean of sources** | | {_pct(avg['accuracy'])} | {_pct(avg['macro_f1'])} | {_pct(avg['accuracy_seed'])} | "
        f"{_pct(avg['ece_after'])} | {_pct(avg['known_rejected'])} | {auroc} | {_pct(avg['outside_rejected'])} |"
    )
    negatives = sorted({k[: -len("_auroc")] for k in avg if k.endswith("_auroc") and k != "outside_auroc"})
    if negatives:
        lines += ["", "| not batik (mean of sources) | AUROC | rejected |", "|---|---|---|"]
        lines += [f"| `{n}` | {avg[n + '_auroc']:.3f} | {_pct(avg[n + '_rejected'])} |" for n in negatives]
    if loso.get("rules"):
        names = list(next(iter(loso["rules"].values()))["auroc"])
        lines += ["", "Rejection rules compared (mean of sources; AUROC of each set against the known photos):", ""]
        heads = ["other motifs" if name == "outside" else f"`{name}`" for name in names]
        lines += ["| rule | known rejected | " + " | ".join(heads) + " |", "|---|---|" + "---|" * len(names)]
        for rule, row in loso["rules"].items():
            mark = " (shipped)" if rule == loso.get("shipped") else ""
            cells = " | ".join(f"{row['auroc'][n]:.3f}" if n in row["auroc"] else "n/a" for n in names)
            lines.append(f"| `{rule}`{mark} | {_pct(row['known_rejected'])} | {cells} |")
    return lines


def write_card(model_dir: Path) -> dict:
    """Build the card from the folder's metrics, labels and calibration; write ``card.json`` and ``MODEL_CARD.md``."""
    model_dir = Path(model_dir)
    metrics = read_json(model_dir / METRICS_FILE)
    training = metrics.get("training", {})
    config = training.get("config", {})
    calibration = read_calibration(model_dir)
    card = {
        "name": model_dir.name,
        "labels": read_json(model_dir / "labels.json"),
        "recipe": training.get("recipe"),
        "backbone": config.get("backbone"),
        "seed": config.get("seed"),
        "train_seconds": training.get("train_seconds"),
        "trained_on": training.get("trained_on"),
        "command": _train_command(model_dir.name, training.get("data"), config, training.get("data_option", "--data")),
        "augmented_feature_seconds": training.get("augmented_feature_seconds"),
        "machine": training.get("machine"),
        "data": {
            "path": training.get("data"),
            "train_counts": training.get("train_counts"),
            "duplicate_groups": training.get("duplicate_groups"),
            "sources": training.get("sources"),
        },
        "calibration": {
            "temperature": calibration.temperature,
            "unknown_threshold": calibration.threshold,
            "unknown_method": calibration.method,
            "target_false_reject_rate": calibration.false_reject_rate,
            "folds": training.get("calibration")
            or (
                "source"
                if config.get("calibration") == "source" and len(training.get("sources") or {}) > 1
                else "photo"
            ),
        },
        "cross_validation": {
            "accuracy": training.get("cv_accuracy"),
            "ece_before": training.get("cv_ece_before"),
            "ece_after": training.get("cv_ece_after"),
            "accuracy_by_data": training.get("cv_accuracy_by_data"),
        },
        "evaluations": metrics.get("evaluations", {}),
        "speed": metrics.get("speed", {}),
        "leave_source_out": metrics.get("leave_source_out"),
        "known_limits": list(KNOWN_LIMITS),
        "notes": (model_dir / NOTES_FILE).read_text().strip() if (model_dir / NOTES_FILE).is_file() else None,
        "config": config,
    }
    write_json(model_dir / CARD_FILE, card)
    _write_markdown(model_dir / CARD_MARKDOWN, card)
    return card


def _layers_line(config: dict) -> list[str]:
    """The pooled layers and served views of a probe, when they are not the plain head-layer defaults."""
    layers = config.get("feature_layers") or ["head"]
    if config.get("recipe", "probe") != "probe" or list(layers) == ["head"]:
        return []
    crops = [config.get("crop_fraction", 1.0)] + [crop[0] for crop in config.get("tta", [])]
    return [
        f"- Features: the pooled outputs of layers {', '.join(f'`{name}`' for name in layers)}, each weighing the "
        f"same, averaged over {len(crops)} views per photo (square crops of "
        f"{', '.join(f'{c:g}' for c in crops)} of the shorter side)."
    ]


def _train_command(name: str, data: str | list[str] | None, config: dict, option: str = "--data") -> str | None:
    """The ``batik train`` command line that regenerates the model (``--config`` when settings are not defaults)."""
    from batik_studio.vision.config import TrainConfig

    if not data:
        return None
    paths = [data] if isinstance(data, str) else data
    command = "batik train " + " ".join(f"{option} {path}" for path in paths) + f" --out models/{name}"
    defaults = TrainConfig().to_dict()
    changed = {k: v for k, v in config.items() if k in defaults and _plain(defaults[k]) != _plain(v)}
    return command + (" --config train.toml  # train.toml: the `config` of card.json" if changed else "")


def _plain(value: object) -> object:
    """Tuples and dataclass dicts as JSON gives them back (lists), so saved and default settings compare equal."""
    import json

    return json.loads(json.dumps(value))


def _paths(data: str | list[str] | None) -> str:
    return " + ".join(f"`{path}`" for path in ([data] if isinstance(data, str | None) else data))


_OOF_SOURCE = "Out-of-fold on the training photos, each fold holding out one source"
_OOF_PHOTO = "Grouped cross-validation on the training photos"


def _write_markdown(path: Path, card: dict) -> None:
    counts = card["data"]["train_counts"] or {}
    cv = card["cross_validation"]
    by_source = card["calibration"].get("folds") == "source"
    lines = [
        f"# Model card: {card['name']}",
        "",
        f"Recognises {len(card['labels'])} batik motifs: {', '.join(card['labels'])}.",
        "",
        "## Recipe",
        "",
        f"- Recipe `{card['recipe']}`, backbone `{card['backbone']}` (ImageNet weights, frozen), seed {card['seed']}"
        + (f", trained on {card['trained_on']}." if card.get("trained_on") else "."),
        *_layers_line(card["config"]),
        *([f"- Regenerate: `{card['command']}`"] if card.get("command") else []),
        f"- Training time {card['train_seconds']} s on {card['machine']}"
        + (
            f", of which {card['augmented_feature_seconds']} s computing augmented-view features "
            "(near zero when they came from the feature cache)."
            if card["augmented_feature_seconds"] is not None
            else "."
        ),
        f"- Softmax temperature {card['calibration']['temperature']:.3f}; unknown rejection by the "
        f"`{card['calibration']['unknown_method']}` rule, score above {card['calibration']['unknown_threshold']:.3f} "
        f"(set to reject {_pct(card['calibration']['target_false_reject_rate'])} of held-out known photos"
        + (by_source and ", every held-out source counted alike)." or ")."),
        "",
        "## Data",
        "",
        f"- Trained on {_paths(card['data']['path'])} (every split except `test/`): "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f"; {card['data']['duplicate_groups']} near-duplicate groups, kept whole in every fold.",
        "- Sources of the training photos (from the dataset's MANIFEST.csv): "
        + (
            ", ".join(f"{k} {v}" for k, v in card["data"]["sources"].items())
            if card["data"]["sources"]
            else "not listed"
        )
        + ".",
        "",
        "## Scores",
        "",
        f"- {_OOF_SOURCE if by_source else _OOF_PHOTO}: "
        f"accuracy {_pct(cv['accuracy'])}, "
        f"ECE {_pct(cv['ece_before'])} before / {_pct(cv['ece_after'])} after temperature scaling"
        + (
            " (accuracy by dataset: " + ", ".join(f"`{k}` {_pct(v)}" for k, v in cv["accuracy_by_data"].items()) + ")."
            if cv.get("accuracy_by_data") and len(cv["accuracy_by_data"]) > 1
            else "."
        ),
        "",
        "| evaluation | photos | accuracy | macro-F1 | colour-only baseline | ECE before | ECE after "
        "| known rejected |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, ev in card["evaluations"].items():
        lines.append(
            f"| {name} | {ev.get('n')} | {_pct(ev.get('accuracy'))} | {_pct(ev.get('macro_f1'))} | "
            f"{_pct(ev.get('colour_baseline_accuracy'))} | {_pct(ev.get('ece_before'))} | "
            f"{_pct(ev.get('ece_after'))} | {_pct(ev.get('false_reject_rate'))} |"
        )
    rejection = [
        (name, folder, row) for name, ev in card["evaluations"].items() for folder, row in ev["unknown"].items()
    ]
    if rejection:
        lines += ["", "| evaluation | unknown photos | n | AUROC | rejected |", "|---|---|---|---|---|"]
        for name, folder, row in rejection:
            lines.append(f"| {name} | `{folder}` | {row['n']} | {row['auroc']:.3f} | {_pct(row['rejected'])} |")
    for name, ev in card["evaluations"].items():
        if ev.get("report_text"):
            lines += ["", f"### {name}", "", "```", ev["report_text"], "```"]
    if card.get("leave_source_out"):
        lines += _sources_lines(card["leave_source_out"])
    speed = card.get("speed") or {}
    if speed:
        lines += [
            "",
            "## Speed",
            "",
            f"- Load {speed['load_s']:.2f} s; classify one photo {speed['median_ms']:.0f} ms median "
            f"({speed['p90_ms']:.0f} ms p90) with {speed['views']} views, ONNX Runtime on {speed['machine']}.",
        ]
    lines += ["", "## Known limits", ""] + [f"- {limit}" for limit in card["known_limits"]]
    if card.get("notes"):
        lines += ["", "## Notes", "", card["notes"]]
    write_text_atomically(path, "\n".join(lines) + "\n")


__all__ = ["KNOWN_LIMITS", "record_evaluation", "record_sources", "record_speed", "summarize", "write_card"]
