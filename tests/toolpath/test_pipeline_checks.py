"""The touching and retraced counts taken beside the search are the ones taken before it."""

import numpy as np
import pytest

from batik_studio.toolpath.cleanup import clean_document
from batik_studio.toolpath.io import read_drawing
from batik_studio.toolpath.io.svg import svg_text
from batik_studio.toolpath.model import Drawing, Order
from batik_studio.toolpath.pipeline import PipelineSettings, optimise_file
from batik_studio.toolpath.solvers import SolveOptions


def _drawing_with_copies_and_touching() -> Drawing:
    rng = np.random.default_rng(11)
    strokes = [np.vstack([p, p + rng.normal(0, 3, 2)]) for p in rng.uniform(0, 80, (120, 2))]
    strokes += [strokes[k][::-1].copy() for k in range(0, 12, 2)]
    strokes += [np.vstack([strokes[k][1], strokes[k][1] + (2.0, 1.0)]) for k in range(20, 30)]
    return Drawing(tuple(strokes))


@pytest.mark.parametrize("method", ["best", "greedy"])
def test_concurrent_checks_match_sequential(tmp_path, method):
    """optimise_file counts beside the search (no merge, no dedupe asked) exactly what clean_document counts."""
    drawing = _drawing_with_copies_and_touching()
    source = tmp_path / "in.svg"
    source.write_text(svg_text(drawing, Order.identity(len(drawing))))
    settings = PipelineSettings(method=method, options=SolveOptions(time_limit_s=0.3), bound_time_limit_s=0.3)
    outcome = optimise_file(source, settings, report=tmp_path / "r.json")
    _, sequential = clean_document(read_drawing(source), merge_tolerance_mm=None, dedupe_mm=None)
    assert outcome.report["cleaning"] == sequential
    assert sequential["input_retraced_strokes"] == 6
    assert sequential["input_touching_strokes"] >= 20
    assert outcome.report["lower_bound_mm"] is not None


def test_dedupe_still_counts_before_ordering(tmp_path):
    """Asking for dedupe counts first and orders the cleaned drawing: the copies are gone from the output."""
    drawing = _drawing_with_copies_and_touching()
    source = tmp_path / "in.svg"
    source.write_text(svg_text(drawing, Order.identity(len(drawing))))
    settings = PipelineSettings(method="greedy", dedupe_mm=0.05)
    outcome = optimise_file(source, settings)
    assert outcome.report["cleaning"]["strokes_dropped"] == 6
    assert len(outcome.document.drawing) == len(drawing) - 6
