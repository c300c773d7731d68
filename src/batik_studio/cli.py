"""The ``batik`` command: thin adapters that parse arguments, call the library and print."""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from batik_studio import __version__
from batik_studio.errors import BatikError

if TYPE_CHECKING:
    from batik_studio.toolpath.io import Document, Placement

app = typer.Typer(
    help="Batik Studio: recognise batik motifs from photos and optimise CNC batik-tulis drawing order.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
toolpath_app = typer.Typer(
    help="Re-order the strokes of a CNC drawing (G-code or SVG) so the pen travels less.",
    no_args_is_help=True,
)
app.add_typer(toolpath_app, name="toolpath")
data_app = typer.Typer(help="Inspect and split image datasets (folders of class folders).", no_args_is_help=True)
app.add_typer(data_app, name="data")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"batik-studio {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Batik Studio command line."""


@app.command("app")
def app_command(
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port to serve the web app on."),
    host: str = typer.Option("localhost", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
) -> None:
    """Start the web app (Streamlit); a browser opens only where there is a display."""
    from batik_studio.app.launch import has_display, serve

    typer.echo(f"Batik Studio web app: http://{host}:{port}  (Ctrl+C stops it)")
    serve(port=port, host=host, headless=not has_display())


def _fail(error: Exception) -> typer.Exit:
    """Print one error line, pointing at the options for the settings the error names; exit status 1."""
    flags = ", ".join("--" + name.replace("_", "-") for name in getattr(error, "settings", ()))
    typer.secho(f"error: {error}" + (f" (options: {flags})" if flags else ""), err=True, fg="red")
    return typer.Exit(code=1)


class _Steps:
    """A rich progress display fed by ``(step, done, total)`` callbacks, one bar per step, with an ETA."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=False
        )
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> _Steps:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, step: str, done: int, total: int) -> None:
        if step not in self.tasks:
            self.tasks[step] = self.progress.add_task(step, total=total)
        self.progress.update(self.tasks[step], completed=done, total=total)


@data_app.command("check")
def data_check(
    data: Annotated[Path, typer.Argument(help="Dataset folder: class folders, optionally inside train/ val/ test/.")],
    max_bits: Annotated[
        int, typer.Option("--max-bits", help="Near-duplicate distance (dHash bits, any rotation/mirror).")
    ] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Count photos per class, list unreadable files, near-duplicate groups and duplicates that cross splits."""
    from batik_studio.vision.data import check_dataset

    try:
        with _Steps() as steps:
            report = check_dataset(data, max_distance=max_bits, progress=lambda d, t: steps("reading photos", d, t))
    except BatikError as error:
        raise _fail(error) from error
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    for split, counts in report.counts.items():
        typer.echo(f"{split}: {sum(counts.values())} photos  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    typer.echo(f"unreadable files: {len(report.bad)}")
    for _, reason in report.bad:
        typer.echo(f"  {reason}")
    members = sum(len(g) for g in report.groups)
    typer.echo(f"near-duplicate groups: {len(report.groups)} ({members} photos)")
    typer.echo(f"groups crossing splits: {len(report.cross_split)}")
    for group in report.cross_split:
        names = [str(p.relative_to(data)) for p in group]
        more = f"  (+{len(names) - 4} more)" if len(names) > 4 else ""
        typer.echo("  " + "  <->  ".join(names[:4]) + more)
    if report.small_classes:
        typer.echo(f"classes with too few photos: {', '.join(report.small_classes)}")


@data_app.command("subset")
def data_subset(
    source: Annotated[Path, typer.Argument(help="Dataset folder to take photos from.")],
    out: Annotated[Path, typer.Option("--out", help="New folder; photos are linked (symlinks), never copied.")],
    classes: Annotated[str, typer.Option("--classes", help="Comma-separated class names to keep (default: all).")] = "",
    manifest: Annotated[
        Path | None, typer.Option("--manifest", help="CSV with columns class, file, source (see --origin).")
    ] = None,
    origin: Annotated[str, typer.Option("--origin", help="Keep only photos whose manifest 'source' is this.")] = "",
    exclude_near: Annotated[
        list[Path] | None, typer.Option("--exclude-near", help="Drop near-duplicates of this dataset's photos.")
    ] = None,
    holdout: Annotated[
        float, typer.Option("--holdout", help="Split into val/ and test/ (grouped); fraction for test/.")
    ] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the grouped split.")] = 0,
) -> None:
    """Make a dataset folder from part of another one, e.g. photos of other sources for a cross-source test."""
    from batik_studio.vision.data import write_subset

    try:
        report = write_subset(
            source,
            out,
            classes=[c.strip() for c in classes.split(",") if c.strip()] or None,
            manifest=manifest,
            origin=origin or None,
            exclude_near=exclude_near or [],
            holdout=holdout,
            seed=seed,
        )
    except BatikError as error:
        raise _fail(error) from error
    typer.echo(json.dumps(report, indent=2, ensure_ascii=False))


def _check_model_out(out: Path, data: list[Path]) -> None:
    """Refuse a ``--out`` that training would destroy when it replaces it: a file, a dataset, any other folder."""
    target = out.resolve()
    if target.exists() and not target.is_dir():
        raise BatikError(f"{out}: exists and is not a folder; --out names the model folder to write")
    for folder in data:
        source = folder.resolve()
        if target == source or source.is_relative_to(target) or target.is_relative_to(source):
            raise BatikError(f"{out}: overlaps the dataset {folder}; write the model folder somewhere else")
    if target.is_dir() and any(target.iterdir()) and not (target / "model.onnx").is_file():
        raise BatikError(f"{out}: is a folder that holds no model; --out replaces it, so name a new or model folder")


@data_app.command("negatives")
def data_negatives(
    out: Annotated[Path, typer.Option("--out", help="New folder for the generated photos (one folder per kind).")],
    per_kind: Annotated[int, typer.Option("--per-kind", min=1, help="Photos per generated kind.")] = 30,
    crops_of: Annotated[
        Path | None, typer.Option("--crops-of", help="Also write close crops of these non-batik photos.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
) -> None:
    """Write self-made photos that are not batik (stripes, checks, florals, dots, mottled dye, crops)."""
    from batik_studio.vision.negatives import write_negatives

    try:
        counts = write_negatives(out, per_kind, crops_of, seed)
    except BatikError as error:
        raise _fail(error) from error
    typer.echo(json.dumps({"out": str(out), "counts": counts}, indent=2))


@app.command("train")
def train(
    out: Annotated[Path, typer.Option("--out", help="Model folder to write (replaced when it exists).")],
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data",
            help="Dataset folder (its test/ split, if any, is never trained on); repeat to train on several, "
            "classes matched by folder name.",
        ),
    ] = None,
    source: Annotated[
        list[Path] | None,
        typer.Option(
            "--source",
            help="Instead of --data: source folders as for evaluate-sources; the model learns every catalogue "
            "motif that two sources have, plus the seed motifs.",
        ),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file of TrainConfig settings.")] = None,
    recipe: Annotated[
        str | None, typer.Option("--recipe", help="probe (default) or seed (the paper's protocol).")
    ] = None,
    backbone: Annotated[
        str | None, typer.Option("--backbone", help="efficientnet-lite2, efficientnet-lite0 or resnet50.")
    ] = None,
    weights: Annotated[
        Path | None, typer.Option("--weights", help="torchvision ResNet-50 state dict file (resnet50 only).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (default 0).")] = None,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Feature cache folder (default: user cache).")
    ] = None,
) -> None:
    """Train a motif classifier and write a model folder (ONNX model, labels, calibration, card)."""
    from batik_studio.errors import InputError
    from batik_studio.vision.config import TrainConfig

    with _user_errors():
        _check_model_out(out, [*(data or []), *(source or [])])
    overrides = {"recipe": recipe, "backbone": backbone, "weights": str(weights) if weights else None, "seed": seed}
    try:
        settings = (
            TrainConfig.from_toml(config, **overrides)
            if config
            else TrainConfig(**{k: v for k, v in overrides.items() if v is not None})
        )
        if bool(data) == bool(source):
            raise InputError("give either --data or --source (one or more folders), not both")
        from batik_studio.vision.train import train_model, train_sources

        with _Steps() as steps:
            if source:
                from batik_studio.vision.model_card import write_card

                summary = train_sources(source, out, settings, cache_dir=cache_dir, progress=steps)
                write_card(out)
            else:
                summary = train_model(data, out, settings, cache_dir=cache_dir, progress=steps)
    except BatikError as error:
        raise _fail(error) from error
    typer.echo(json.dumps({k: v for k, v in summary.items() if k != "config"}, indent=2, ensure_ascii=False))
    typer.echo(f"model written to {out}")


@app.command("evaluate")
def evaluate(
    model: Annotated[Path, typer.Argument(help="Model folder.")],
    data: Annotated[Path, typer.Argument(help="Dataset folder; its test/ split is used when it has one.")],
    unknown: Annotated[
        list[Path] | None, typer.Option("--unknown", help="Folder of photos that are none of the model's motifs.")
    ] = None,
    report: Annotated[Path | None, typer.Option("--json", help="Write the full report as JSON here.")] = None,
    figures: Annotated[
        Path | None, typer.Option("--figures", help="Write confusion.png and reliability.png here.")
    ] = None,
    record: Annotated[str, typer.Option("--record", help="Store the scores under this name in the model's card.")] = "",
) -> None:
    """Score a model: accuracy, per-class report, calibration (ECE), colour-only baseline, unknown rejection."""
    from batik_studio.vision.evaluate import evaluate_model
    from batik_studio.vision.model_card import record_evaluation

    try:
        with _Steps() as steps:
            result = evaluate_model(
                model, data, unknown=unknown or [], figures=figures, progress=lambda d, t: steps("classifying", d, t)
            )
        if record:
            record_evaluation(model, record, result)
    except BatikError as error:
        raise _fail(error) from error
    typer.echo(result["report_text"])
    typer.echo("")
    typer.echo(f"accuracy {100 * result['accuracy']:.2f}%  macro-F1 {100 * result['macro_f1']:.2f}%  n={result['n']}")
    baseline = result.get("colour_baseline_accuracy")
    if baseline is not None:
        typer.echo(f"colour-only baseline accuracy {100 * baseline:.2f}%")
    typer.echo(
        f"ECE before {100 * result['ece_before']:.2f}%  after {100 * result['ece_after']:.2f}% "
        f"(temperature {result['temperature']:.3f})"
    )
    typer.echo(f"known photos rejected as unknown: {100 * result['false_reject_rate']:.1f}%")
    for folder, row in result["unknown"].items():
        typer.echo(f"unknown {folder}: AUROC {row['auroc']:.3f}, rejected {100 * row['rejected']:.1f}% of {row['n']}")
    if report:
        from batik_studio.atomic import write_text_atomically

        report.parent.mkdir(parents=True, exist_ok=True)
        with _user_errors():
            write_text_atomically(report, json.dumps(result, indent=2, ensure_ascii=False) + "\n", inputs=[model])


@app.command("evaluate-sources")
def evaluate_sources(
    source: Annotated[
        list[Path],
        typer.Option(
            "--source",
            help="Dataset folder of one source, or of several when its MANIFEST.csv names a source per photo; repeat.",
        ),
    ],
    negatives: Annotated[
        list[Path] | None, typer.Option("--negatives", help="Folder of photos that are not batik; repeat.")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file of TrainConfig settings.")] = None,
    backbone: Annotated[
        str | None, typer.Option("--backbone", help="efficientnet-lite2 or efficientnet-lite0.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--json", help="Write the full report (every fold) as JSON here.")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Folds run in this many local processes.")] = 1,
    ray: Annotated[
        str | None, typer.Option("--ray", help="Run the folds as Ray tasks: auto, local or a cluster address.")
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Feature cache folder (default: user cache).")
    ] = None,
    record: Annotated[
        Path | None, typer.Option("--record", help="Store the figures in this model folder's card (same recipe).")
    ] = None,
) -> None:
    """Leave-one-source-out: for each source, fit on the others and score it (known, other motifs, not-batik)."""
    from batik_studio.vision.config import TrainConfig
    from batik_studio.vision.loso import folder_features, leave_source_out, pool_features
    from batik_studio.vision.sources import model_motifs, read_sources
    from batik_studio.vision.train import default_cache_dir

    cache = cache_dir or default_cache_dir()
    try:
        settings = (
            TrainConfig.from_toml(config, backbone=backbone)
            if config
            else TrainConfig(**({"backbone": backbone} if backbone else {}))
        )
        with _Steps() as steps:
            pool = read_sources(source, max_distance=settings.duplicate_bits, cache_dir=cache, progress=steps)
            motifs = model_motifs(pool)
            features = pool_features(pool, settings, cache, steps)
            negative_features = {Path(f).name: folder_features(f, settings, cache, steps) for f in negatives or []}
            result = leave_source_out(
                pool, features, motifs, settings, negative_features, workers=workers, ray_address=ray, progress=steps
            )
    except BatikError as error:
        raise _fail(error) from error
    typer.echo(_loso_table(result))
    if result.get("rules"):
        typer.echo("")
        typer.echo(_rules_table(result))
    if record:
        import shlex
        import sys

        from batik_studio.vision.model_card import record_sources

        try:
            record_sources(record, result, "batik " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
        except BatikError as error:
            raise _fail(error) from error
    if report:
        from batik_studio.atomic import write_text_atomically

        with _user_errors():
            write_text_atomically(report, json.dumps(result, indent=2, ensure_ascii=False) + "\n")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _auc(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _loso_table(result: dict) -> str:
    """The per-fold and averaged leave-one-source-out figures as a Markdown table."""
    negatives = list(result["folds"][0]["negatives"]) if result["folds"] else []
    head = ["held out", "known n", "acc %", "F1 %", "seed acc %", "seed F1 %", "ECE %", "known rej %"]
    head += ["other n", "other AUROC", "other rej %"]
    for name in negatives:
        head += [f"{name} AUROC", f"{name} rej %"]
    lines = ["motifs: " + ", ".join(result["motifs"]), "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in result["folds"]:
        cells = [row["fold"], str(row["n_known"]), _pct(row["accuracy"]), _pct(row["macro_f1"])]
        cells += [_pct(row["accuracy_seed"]), _pct(row["macro_f1_seed"]), _pct(row["ece_after"])]
        cells += [_pct(row["known_rejected"]), str(row["outside"]["n"]), _auc(row["outside"]["auroc"])]
        cells += [_pct(row["outside"]["rejected"])]
        for name in negatives:
            cells += [_auc(row["negatives"][name]["auroc"]), _pct(row["negatives"][name]["rejected"])]
        lines.append("| " + " | ".join(cells) + " |")
    avg = result["average"]
    cells = ["**mean of sources**", "", _pct(avg["accuracy"]), _pct(avg["macro_f1"]), _pct(avg["accuracy_seed"])]
    cells += [_pct(avg["macro_f1_seed"]), _pct(avg["ece_after"]), _pct(avg["known_rejected"]), ""]
    cells += [_auc(avg["outside_auroc"]), _pct(avg["outside_rejected"])]
    for name in negatives:
        cells += [_auc(avg[f"{name}_auroc"]), _pct(avg[f"{name}_rejected"])]
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _rules_table(result: dict) -> str:
    """The rejection rules side by side (means over held-out sources), the picked and the shipped one marked."""
    rules = result["rules"]
    names = list(next(iter(rules.values()))["auroc"])
    head = ["rule", "known rej %", *[f"{'other' if n == 'outside' else n} AUROC" for n in names], "mean AUROC"]
    lines = ["rejection rules, mean of sources:", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for rule, row in rules.items():
        marks = [word for word, key in (("picked", "picked"), ("shipped", "shipped")) if result.get(key) == rule]
        cells = [rule + (f" ({', '.join(marks)})" if marks else ""), _pct(row["known_rejected"])]
        cells += [_auc(row["auroc"].get(n)) for n in names] + [_auc(row["mean_auroc"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@app.command("classify")
def classify(
    images: Annotated[list[Path], typer.Argument(help="Photos to classify (JPEG, PNG, WEBP, HEIC, ...).")],
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Model folder or shipped model name (batik7); default: batik-motifs."),
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="How many candidate motifs to show.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Name the batik motif in each photo, with a calibrated confidence; exit 1 if any photo failed."""
    from batik_studio.vision.predict import Predictor

    try:
        predictor = Predictor(model)
    except BatikError as error:
        raise _fail(error) from error
    results, failed = [], 0
    for path in images:
        try:
            prediction = predictor.predict(path, top_k=top_k)
        except BatikError as error:
            failed += 1
            results.append({"file": str(path), "error": str(error)})
            if not as_json:
                typer.secho(f"{path}: error: {error}", err=True, fg="red")
            continue
        results.append({"file": str(path)} | prediction.to_dict())
        if not as_json:
            verdict = f"{prediction.label} ({100 * prediction.confidence:.1f}%)"
            if prediction.unknown:
                verdict = f"not one of the known motifs (closest: {verdict})"
            others = ", ".join(f"{name} {100 * p:.1f}%" for name, p in prediction.top_k)
            typer.echo(f"{path}: {verdict}  [{others}]  {prediction.milliseconds:.0f} ms")
    if as_json:
        typer.echo(json.dumps(results, indent=2, ensure_ascii=False))
    if failed:
        raise typer.Exit(code=1)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the project's own errors into one line on stderr and exit status 1 (no traceback)."""
    try:
        yield
    except BatikError as error:
        raise _fail(error) from None


def _require_positive(**values: float | None) -> None:
    """Refuse an option value that is not a positive finite number (NaN, infinity, zero or less)."""
    for name, value in values.items():
        if value is not None and not (math.isfinite(value) and value > 0):
            raise BatikError(f"--{name.replace('_', '-')} must be a positive number, got {value}")


def _require_finite(**values: float) -> None:
    """Refuse an option value that is NaN or infinite."""
    for name, value in values.items():
        if not math.isfinite(value):
            raise BatikError(f"--{name.replace('_', '-')} must be a finite number, got {value}")


def _method_choices() -> type[enum.Enum]:
    """The ``--method`` choices: every method name of the (light) parameter registry."""
    from batik_studio.toolpath.solvers.params import METHODS

    return enum.Enum("Method", {name: name for name in METHODS}, type=str)


Method = _method_choices()


_PEN_Z_HELP = "G-code: the pen is down while Z is below this (mm)."
_PEN_DOWN_HELP = (
    "G-code input: the command that lowers the pen (e.g. M3; then Z is ignored). SVG input: the pen-down line to write."
)
_PEN_UP_HELP = "G-code input: the command that lifts the pen (e.g. M5). SVG input: the pen-up line to write."


def _read(
    input_path: Path, pen_z_threshold: float, pen_down: str | None, pen_up: str | None, tolerance_mm: float
) -> Document:
    """Read a drawing with the CLI's pen options (pen commands only matter for G-code input)."""
    from batik_studio.toolpath.io import PenSettings, read_drawing

    pen = PenSettings(z_threshold_mm=pen_z_threshold, down_command=pen_down, up_command=pen_up)
    return read_drawing(input_path, pen=pen, tolerance_mm=tolerance_mm)


_OPTION_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "int | None": int}


def _method_parameters() -> dict[str, tuple[type, str, object, list[str]]]:
    """Every method parameter once: its type, help text, default and the methods that take it."""
    from batik_studio.toolpath.solvers.params import METHOD_PARAMS

    found: dict[str, tuple[type, str, object, list[str]]] = {}
    for method, params in METHOD_PARAMS.items():
        for f in dataclasses.fields(params):
            if f.name in found:
                found[f.name][3].append(method)
            else:
                found[f.name] = (_OPTION_TYPES[str(f.type)], f.metadata["help"], f.default, [method])
    return found


def _with_method_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` one option per method parameter, from the parameter dataclasses, plus --param and --config.

    They reach it merged as ``method_values``; later sources win: the TOML file, then ``--param``, then the
    named options.
    """
    parameters = _method_parameters()
    extra = []
    for name, (kind, text, default, users) in sorted(parameters.items()):
        flag = "--" + name.replace("_", "-")
        declaration = f"{flag}/--no-{flag[2:]}" if kind is bool else flag
        shown = "the cores available" if default is None else default
        info = typer.Option(declaration, help=f"{text} (default {shown}; {', '.join(sorted(users))} only).")
        annotation = Annotated[kind | None, info]
        extra.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation))
    param_option = typer.Option("--param", help="A method parameter as name=value (repeatable), e.g. population=20.")
    config_option = typer.Option("--config", help="TOML file of method parameters (name = value lines).")
    extra.append(
        inspect.Parameter(
            "param", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[list[str] | None, param_option]
        )
    )
    extra.append(
        inspect.Parameter(
            "config", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[Path | None, config_option]
        )
    )
    signature = inspect.signature(command, eval_str=True)
    kept = [p for p in signature.parameters.values() if p.name != "method_values"]

    @functools.wraps(command)
    def wrapper(**arguments: object) -> None:
        from batik_studio.toolpath.solvers.params import parse_assignments, read_config

        with _user_errors():
            config, assignments = arguments.pop("config"), arguments.pop("param")
            values = read_config(config) if config is not None else {}
            values |= parse_assignments(assignments or [])
        for name in parameters:
            given = arguments.pop(name)
            if given is not None:
                values[name] = given
        command(method_values=values, **arguments)

    del wrapper.__wrapped__
    wrapper.__signature__ = signature.replace(parameters=kept + extra)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in kept + extra}
    return wrapper


def _solver_params(methods: list[str], given: dict[str, object]) -> dict[str, object]:
    """The method parameters given; refuse one that none of ``methods`` takes, naming its option."""
    from batik_studio.toolpath.solvers.params import METHODS, check_method, parameter_names

    for method in methods:
        check_method(method)
    for name in given:
        if not any(name in parameter_names(method) for method in methods):
            users = ", ".join(m for m in METHODS if name in parameter_names(m))
            flag = "--" + name.replace("_", "-")
            if not users:
                raise BatikError(f"no method takes a parameter {name!r}")
            raise BatikError(f"{flag} applies to {users} only, not to {', '.join(methods)}")
    return dict(given)


_ORIGIN_HELP = (
    "SVG/DXF: move the drawing so its lower-left corner (top-left with --y-down; its centre with --anchor centre) "
    "lies at this machine point, given as X,Y in mm."
)
YDown = Annotated[
    bool,
    typer.Option(
        "--y-down",
        help="SVG/DXF: keep SVG coordinates (y downwards from the top-left corner) for top-left-origin plotters. "
        "Default: y up from the page's lower-left corner.",
    ),
]
Origin = Annotated[str | None, typer.Option("--origin", metavar="X,Y", help=_ORIGIN_HELP)]
Anchor = Annotated[
    str, typer.Option("--anchor", help="What --origin places: 'corner' (lower-left) or 'centre' of the drawing.")
]
AccelMmS2 = Annotated[
    float | None,
    typer.Option("--accel-mm-s2", help="Also estimate machining time with this acceleration (mm/s2)."),
]
PenSeconds = Annotated[
    float, typer.Option("--pen-seconds", help="Pen-down plus pen-up time per stroke for the estimate (s).")
]
ToleranceMm = Annotated[float, typer.Option("--tolerance-mm", help="Flattening tolerance for arcs and curves (mm).")]


def _placement(y_down: bool, origin: str | None, anchor: str) -> Placement:
    """The placement the CLI options ask for (``--origin X,Y``)."""
    from batik_studio.toolpath.io import Placement

    point = None
    if origin is not None:
        parts = origin.split(",")
        try:
            point = (float(parts[0]), float(parts[1])) if len(parts) == 2 else None
        except ValueError:
            point = None
        if point is None:
            raise BatikError(f"--origin {origin!r}: give the machine point as X,Y in mm, for example 10,20")
    return Placement(y_down=y_down, origin=point, anchor=anchor)


@toolpath_app.command("stats")
def toolpath_stats(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="G-code, SVG or DXF drawing.")],
    no_return: Annotated[bool, typer.Option("--no-return", help="Do not count the travel back to the origin.")] = False,
    draw_feed: Annotated[float, typer.Option("--draw-feed", help="Drawing feed for machining time (mm/min).")] = 500.0,
    rapid_feed: Annotated[float, typer.Option("--rapid-feed", help="Travel feed for machining time (mm/min).")] = 500.0,
    pen_z_threshold: Annotated[float, typer.Option("--pen-z-threshold", help=_PEN_Z_HELP)] = 0.0,
    pen_down: Annotated[str | None, typer.Option("--pen-down", help=_PEN_DOWN_HELP)] = None,
    pen_up: Annotated[str | None, typer.Option("--pen-up", help=_PEN_UP_HELP)] = None,
    tolerance_mm: ToleranceMm = 0.05,
    y_down: YDown = False,
    origin: Origin = None,
    anchor: Anchor = "corner",
    accel_mm_s2: AccelMmS2 = None,
    pen_seconds: PenSeconds = 0.0,
) -> None:
    """Segments, loops, groups, TS, TC, TL, machining time and touching/retraced strokes of a drawing as it is."""
    from batik_studio.toolpath.io import PenSettings, read_drawing
    from batik_studio.toolpath.pipeline import describe_drawing

    with _user_errors():
        _require_positive(draw_feed=draw_feed, rapid_feed=rapid_feed, tolerance_mm=tolerance_mm)
        _require_finite(pen_z_threshold=pen_z_threshold)
        pen = PenSettings(z_threshold_mm=pen_z_threshold, down_command=pen_down, up_command=pen_up)
        placement = _placement(y_down, origin, anchor)
        document = read_drawing(input_path, pen=pen, tolerance_mm=tolerance_mm, placement=placement)
        lines = describe_drawing(
            document,
            return_to_origin=not no_return,
            draw_feed_mm_min=draw_feed,
            rapid_feed_mm_min=rapid_feed,
            accel_mm_s2=accel_mm_s2,
            pen_seconds=pen_seconds,
        )
    typer.echo(f"{input_path} ({document.kind})")
    for line in lines:
        typer.echo(line)


@toolpath_app.command("optimize")
@_with_method_options
def toolpath_optimize(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="G-code, SVG or DXF drawing.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the re-ordered strokes: G-code, or SVG for *.svg.")
    ],
    method: Annotated[Method, typer.Option("--method", "-m", help="Ordering method.")] = "best",
    report: Annotated[Path | None, typer.Option("--report", help="Also write the figures as JSON here.")] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also draw the route before and after as PNG here.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed for randomised methods.")] = 0,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Stop searching after this many seconds (default: set by the method)."),
    ] = None,
    bound_time_limit: Annotated[
        float | None,
        typer.Option(
            "--bound-time-limit",
            help="Seconds at most for proving the lower bound on travel, beside the search (default: the search's "
            "time limit, so the bound adds no time).",
        ),
    ] = None,
    no_return: Annotated[
        bool, typer.Option("--no-return", help="The job ends at the last stroke, not at the origin.")
    ] = False,
    reloop: Annotated[
        bool, typer.Option("--reloop", help="Closed loops may be started at any of their vertices.")
    ] = False,
    draw_feed: Annotated[
        float, typer.Option("--draw-feed", help="Drawing feed (mm/min): SVG output and timings.")
    ] = 500.0,
    rapid_feed: Annotated[float, typer.Option("--rapid-feed", help="Travel feed for machining time (mm/min).")] = 500.0,
    pen_z_threshold: Annotated[float, typer.Option("--pen-z-threshold", help=_PEN_Z_HELP)] = 0.0,
    pen_down: Annotated[str | None, typer.Option("--pen-down", help=_PEN_DOWN_HELP)] = None,
    pen_up: Annotated[str | None, typer.Option("--pen-up", help=_PEN_UP_HELP)] = None,
    tolerance_mm: ToleranceMm = 0.05,
    merge_groups: Annotated[
        bool,
        typer.Option(
            "--merge-groups",
            help="Order all strokes together, across layers and tool changes (refused when machine commands "
            "stand between the groups).",
        ),
    ] = False,
    merge_tolerance: Annotated[
        float | None,
        typer.Option("--merge-tolerance", metavar="MM", help="Join strokes whose ends meet within MM mm."),
    ] = None,
    dedupe: Annotated[
        bool, typer.Option("--dedupe", help="Drop strokes that retrace another (see --dedupe-tolerance).")
    ] = False,
    dedupe_tolerance: Annotated[
        float,
        typer.Option("--dedupe-tolerance", metavar="MM", help="How close a retracing stroke lies (mm), with --dedupe."),
    ] = 0.05,
    y_down: YDown = False,
    origin: Origin = None,
    anchor: Anchor = "corner",
    accel_mm_s2: AccelMmS2 = None,
    pen_seconds: PenSeconds = 0.0,
    method_values: dict[str, object] | None = None,
) -> None:
    """Re-order the strokes of INPUT group by group to cut pen-up travel and write them as G-code or SVG."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from batik_studio.toolpath.io import GcodeSettings, PenSettings
    from batik_studio.toolpath.pipeline import PipelineSettings, optimise_file
    from batik_studio.toolpath.report import report_lines
    from batik_studio.toolpath.solvers import SolveOptions

    with _user_errors():
        _require_positive(
            draw_feed=draw_feed,
            rapid_feed=rapid_feed,
            time_limit=time_limit,
            bound_time_limit=bound_time_limit,
            tolerance_mm=tolerance_mm,
        )
        _require_finite(pen_z_threshold=pen_z_threshold)
        name = Method(method).value
        params = _solver_params([name], method_values or {})
        settings = PipelineSettings(
            method=name,
            method_params=params,
            options=SolveOptions(return_to_origin=not no_return, reloop=reloop, time_limit_s=time_limit, seed=seed),
            bound=True,
            bound_time_limit_s=bound_time_limit,
            draw_feed_mm_min=draw_feed,
            rapid_feed_mm_min=rapid_feed,
            pen=PenSettings(z_threshold_mm=pen_z_threshold, down_command=pen_down, up_command=pen_up),
            tolerance_mm=tolerance_mm,
            placement=_placement(y_down, origin, anchor),
            merge_groups=merge_groups,
            merge_tolerance_mm=merge_tolerance,
            dedupe_mm=dedupe_tolerance if dedupe else None,
            accel_mm_s2=accel_mm_s2,
            pen_seconds=pen_seconds,
            gcode=GcodeSettings(
                pen_up=pen_up,
                pen_down=pen_down,
                draw_feed_mm_min=draw_feed,
                return_to_origin=not no_return,
            ),
        )
        console = Console(stderr=True)
        columns = (TextColumn(name), BarColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
            task = bar.add_task(name, total=1.0)
            outcome = optimise_file(
                input_path,
                settings,
                output=output,
                report=report,
                plot=plot,
                progress=lambda done: bar.update(task, completed=done),
            )
    typer.echo(f"{input_path} ({outcome.document.kind}) -> {output}")
    for line in report_lines(outcome.report):
        typer.echo(line)


@toolpath_app.command("experiment")
@_with_method_options
def toolpath_experiment(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="G-code or SVG drawing.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.md, report.json and the figures.")],
    methods: Annotated[
        str, typer.Option("--methods", help="Comma-separated methods; the first is compared with each other.")
    ] = "kmeans-msga,msga",
    replications: Annotated[int, typer.Option("--replications", help="Runs per method (seeds seed..).")] = 30,
    at_seconds: Annotated[
        float | None,
        typer.Option(
            "--at-seconds",
            help="Compare the best travel reached by this time (default: the slowest run of the first method).",
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Local processes running replications.")] = 1,
    ray: Annotated[
        str | None,
        typer.Option("--ray", help="Run replications as Ray tasks: a cluster address, 'auto' or 'local'."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the first replication.")] = 0,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Seconds per run at most.")] = None,
    no_return: Annotated[
        bool, typer.Option("--no-return", help="The job ends at the last stroke, not at the origin.")
    ] = False,
    pen_z_threshold: Annotated[float, typer.Option("--pen-z-threshold", help=_PEN_Z_HELP)] = 0.0,
    pen_down: Annotated[str | None, typer.Option("--pen-down", help=_PEN_DOWN_HELP)] = None,
    pen_up: Annotated[str | None, typer.Option("--pen-up", help=_PEN_UP_HELP)] = None,
    tolerance_mm: Annotated[
        float, typer.Option("--tolerance-mm", help="Flattening tolerance for arcs and curves (mm).")
    ] = 0.05,
    method_values: dict[str, object] | None = None,
) -> None:
    """Run each method many times on INPUT; write the paper's tables, convergence plots and tests to --out."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from batik_studio.toolpath.experiment import ExperimentSettings, experiment

    with _user_errors():
        names = [name.strip() for name in methods.split(",") if name.strip()]
        params = _solver_params(names, method_values or {})
        _require_positive(time_limit=time_limit, at_seconds=at_seconds, tolerance_mm=tolerance_mm)
        _require_finite(pen_z_threshold=pen_z_threshold)
        if out.exists() and not out.is_dir():
            raise BatikError(f"{out}: exists and is not a folder; --out names the folder for the report")
        settings = ExperimentSettings(
            tuple(names), replications, seed, not no_return, time_limit_s=time_limit, params=params
        )
        document = _read(input_path, pen_z_threshold, pen_down, pen_up, tolerance_mm)
        console = Console(stderr=True)
        columns = (TextColumn("replications"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
            task = bar.add_task("runs", total=len(names) * replications)
            summary = experiment(
                document.drawing,
                settings,
                out,
                source=str(input_path),
                at_seconds=at_seconds,
                workers=workers,
                ray_address=ray,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    for method, figures in summary["methods"].items():
        travel, seconds = figures["travel_mm"], figures["seconds"]
        typer.echo(
            f"{method}: travel min {travel['min']:,.0f} / mean {travel['mean']:,.0f} mm "
            f"({-figures['reduction_pct']['travel_mean']:+.1f} % against the file order on average), "
            f"mean {seconds['mean']:.2f} s per run"
        )
    typer.echo(f"report: {out / 'report.md'}")


if __name__ == "__main__":
    app()


def run(args: list[str] | None = None) -> None:
    """The ``batik`` command: :data:`app`, with a wrong option or argument told in one line (exit status 2)."""
    try:  # typer 0.24+ carries its own copy of click
        from typer._click import exceptions as click_errors
    except ImportError:
        from click import exceptions as click_errors

    try:
        code = app(args=args, prog_name="batik", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as error:
        error.show()
        raise SystemExit(2) from None
    except click_errors.UsageError as error:
        command = error.ctx.command_path if error.ctx is not None else "batik"
        typer.echo(f"error: {command}: {error.format_message()} (see '{command} --help')", err=True)
        raise SystemExit(2) from None
    except click_errors.Abort:
        typer.echo("error: aborted", err=True)
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)
