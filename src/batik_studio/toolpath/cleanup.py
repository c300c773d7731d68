"""Strokes that touch end to end, and strokes drawn twice: found for every report, joined or dropped when asked.

Design files often hold a motif as many short pieces meeting end to end, or the same outline several times. Every
pen lift risks a wax drop and a retraced line blots the cloth, so :func:`merge_chains` joins open strokes whose
ends meet within a tolerance into as few strokes as the graph allows (one per pair of odd-degree meeting points,
an Euler-trail cover, so globally fewer than a greedy pass such as vpype's ``linemerge``), and :func:`retraced`
finds strokes every point of which lies within a tolerance of another kept stroke (either direction, also a
stroke lying on part of a longer one). Both work inside each group: strokes for another canting are left alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from batik_studio.errors import DrawingError
from batik_studio.toolpath.io import Document
from batik_studio.toolpath.io.gcode import join_strokes
from batik_studio.toolpath.model import CLOSE_TOL_MM, Drawing

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

#: Tolerance (mm) of the touching and retraced counts that every report gives.
CHECK_TOLERANCE_MM = 0.05

#: Neighbours asked of the k-d tree per sample before falling back to a ball query.
_NEIGHBOURS = 16
#: Sample spacing (mm) of the coarse pass that finds the strokes that could retrace another.
_PIECE_MM = 1.0
#: Vertices of each stroke probed by the coarse pass (evenly spread, ends included).
_PROBES = 17
#: Sample spacing of the second pass, in tolerances (see :func:`_along_candidates`).
_ALONG_SPACINGS = 4.0
#: Most sample points the retrace search may make in one pass (about 16 bytes each, plus the k-d tree).
MAX_SAMPLE_POINTS = 8_000_000


@dataclass(frozen=True)
class StrokeChecks:
    """How many strokes touch another end to end, and how much drawing retraces other strokes, at a tolerance."""

    tolerance_mm: float
    touching_strokes: int
    retraced_strokes: int | None
    retraced_mm: float | None


def _samples(paths: list[np.ndarray], spacing_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``spacing_mm`` or closer along each path (vertices included), and the path each belongs to.

    Vectorised over all paths at once: each piece between two vertices gives ``ceil(length / spacing)`` points
    from its start, and each path its last vertex (a dot gives its one point).
    """
    if not paths:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    sizes = np.fromiter((len(path) for path in paths), dtype=np.int64, count=len(paths))
    vertices = np.concatenate(paths)
    owner = np.repeat(np.arange(len(paths)), sizes)
    last = np.cumsum(sizes) - 1
    # A piece joins vertex v to v + 1 of the same path: every vertex but each path's last.
    piece = np.ones(len(vertices), dtype=bool)
    piece[last] = False
    starts = vertices[piece]
    deltas = vertices[1:][piece[:-1]] - starts
    steps = np.maximum(1, np.ceil(np.hypot(*deltas.T) / spacing_mm).astype(np.int64))
    # Each path's points: its pieces' samples in order, then its last vertex.
    total = int(steps.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(steps) - steps, steps)
    sampled = np.repeat(starts, steps, axis=0) + np.repeat(deltas / steps[:, None], steps, axis=0) * offsets[:, None]
    sample_owner = np.repeat(owner[piece], steps)
    points = np.concatenate([sampled, vertices[last]])
    owners = np.concatenate([sample_owner, np.arange(len(paths))])
    keep = np.argsort(owners, kind="stable")
    return points[keep], owners[keep]


def _check_size(paths: list[np.ndarray], spacing_mm: float) -> None:
    """Refuse a pass that would sample more than :data:`MAX_SAMPLE_POINTS` points along ``paths``."""
    if not paths:
        return
    vertices = np.concatenate(paths)
    sizes = np.fromiter((len(path) for path in paths), dtype=np.int64, count=len(paths))
    steps = np.hypot(*np.diff(vertices, axis=0).T)
    steps[np.cumsum(sizes)[:-1] - 1] = 0.0
    points = float(len(vertices)) + float(steps.sum()) / spacing_mm
    if points > MAX_SAMPLE_POINTS:
        raise DrawingError(
            f"too much drawing to look for retraced strokes: about {points:,.0f} sample points at {spacing_mm:g} mm "
            f"spacing, at most {MAX_SAMPLE_POINTS:,}; use a larger tolerance or split the drawing"
        )


def _probes(paths: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``_PROBES`` vertices of each path, evenly spread with both ends, and the path each belongs to."""
    sizes = np.fromiter((len(path) for path in paths), dtype=np.int64, count=len(paths))
    vertices = np.concatenate(paths)
    first = np.cumsum(sizes) - sizes
    counts = np.minimum(sizes, _PROBES)
    owner = np.repeat(np.arange(len(paths)), counts)
    # The k-th of a path's probes, as np.linspace(0, size - 1, count) truncated; repeats are dropped below.
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    span = np.maximum(counts - 1, 1)[owner]
    index = (k * ((sizes[owner] - 1) / span)).astype(np.int64)
    index[k == counts[owner] - 1] = sizes[owner][k == counts[owner] - 1] - 1
    keys = np.unique(first[owner] + index)
    return vertices[keys], np.searchsorted(first, keys, side="right") - 1


def _candidates(paths: list[np.ndarray], tolerance_mm: float) -> np.ndarray:
    """Which paths could retrace another: every probed vertex lies near another path (a necessary condition).

    Each path's line is sampled every ``_PIECE_MM``, so a point within ``tolerance_mm`` of a line lies within
    ``tolerance_mm + _PIECE_MM / 2`` of one of its samples; up to ``_PROBES`` vertices of each path are probed. A
    probe whose ``_NEIGHBOURS`` nearest samples are all that close is counted as covered, so the answer may hold
    paths that do not retrace but never misses one that does. Cheap even for 100,000 strokes.
    """
    # Imported here: SciPy's spatial package takes a third of a second to load, off the search's path.
    from scipy.spatial import cKDTree

    _check_size(paths, _PIECE_MM)
    points, owners = _samples(paths, _PIECE_MM)
    radius = tolerance_mm + _PIECE_MM / 2
    probes, probe_owner = _probes(paths)
    k = min(_NEIGHBOURS, len(points))
    distances, found = cKDTree(points).query(probes, k=k, distance_upper_bound=radius)
    distances, found = distances.reshape(len(probes), k), found.reshape(len(probes), k)
    hit = np.isfinite(distances)
    who = owners[np.where(hit, found, 0)]
    near_other = (hit & (who != probe_owner[:, None])).any(axis=1) | hit.all(axis=1)
    uncovered = np.bincount(probe_owner[~near_other], minlength=len(paths))
    return uncovered == 0


def _along_candidates(paths: list[np.ndarray], candidate: np.ndarray, tolerance_mm: float) -> np.ndarray:
    """The candidates every point of which, sampled every ``_ALONG_SPACINGS`` tolerances, lies near another path.

    Also a necessary condition: a retraced path's every point lies within a quarter tolerance of one of its fine
    samples, which lies within the tolerance of another path, so within ``1.25 * tolerance + spacing / 2`` of
    that path's samples at this spacing. Far fewer points than the fine pass, and it drops most candidates of a
    dense drawing whose strokes run near each other without retracing.
    """
    # Imported here: SciPy's spatial package takes a third of a second to load, off the search's path.
    from scipy.spatial import cKDTree

    spacing = _ALONG_SPACINGS * tolerance_mm
    _check_size(paths, spacing)
    points, owners = _samples(paths, spacing)
    mine = candidate[owners]
    k = min(_NEIGHBOURS, len(points))
    distances, found = cKDTree(points).query(points[mine], k=k, distance_upper_bound=1.25 * tolerance_mm + spacing / 2)
    distances, found = distances.reshape(-1, k), found.reshape(-1, k)
    hit = np.isfinite(distances)
    who = owners[np.where(hit, found, 0)]
    probe_owner = owners[mine]
    near_other = (hit & (who != probe_owner[:, None])).any(axis=1) | hit.all(axis=1)
    uncovered = np.bincount(probe_owner[~near_other], minlength=len(paths))
    return candidate & (uncovered == 0)


def retraced(drawing: Drawing, tolerance_mm: float) -> list[int]:
    """Strokes that retrace another within ``tolerance_mm`` (shortest first, later ones first among equals).

    A stroke retraces when every point along it (sampled every half tolerance) lies within the tolerance of a
    sampled point of another stroke of its group that is itself kept. Of two copies the first drawn is kept. Only
    the strokes :func:`_candidates` keeps, and the strokes near them, are sampled that finely.
    """
    # Imported here: SciPy's spatial package takes a third of a second to load, off the search's path.
    from scipy.spatial import cKDTree

    dropped: list[int] = []
    for span in drawing.group_ranges():
        all_paths = list(drawing.paths[span.start : span.stop])
        if len(all_paths) < 2:
            continue
        candidate = _candidates(all_paths, tolerance_mm)
        if candidate.any():
            candidate = _along_candidates(all_paths, candidate, tolerance_mm)
        if not candidate.any():
            continue
        involved = _near(all_paths, candidate, tolerance_mm)
        paths = [all_paths[j] for j in involved]
        _check_size(paths, tolerance_mm / 2)
        points, owners = _samples(paths, tolerance_mm / 2)
        tree = cKDTree(points)
        alive = np.ones(len(paths), dtype=bool)
        lengths = drawing.lengths_mm[span.start : span.stop][involved]
        first = np.searchsorted(owners, np.arange(len(paths) + 1))
        maybe = _maybe_covered(tree, points, owners, candidate[involved], tolerance_mm)
        for i in np.lexsort((-involved, lengths)):
            if not maybe[i]:
                continue
            mine = points[first[i] : first[i + 1]]
            k = min(_NEIGHBOURS, len(points))
            distances, found = tree.query(mine, k=k, distance_upper_bound=tolerance_mm)
            distances, found = distances.reshape(len(mine), k), found.reshape(len(mine), k)
            hit = np.isfinite(distances)
            who = owners[np.where(hit, found, 0)]
            covered = (hit & (who != i) & alive[who]).any(axis=1)
            for s in np.flatnonzero(~covered):
                if hit[s].all():
                    near = owners[tree.query_ball_point(mine[s], tolerance_mm)]
                    covered[s] = bool(((near != i) & alive[near]).any())
                if not covered[s]:
                    break
            if covered.all():
                alive[i] = False
                dropped.append(span.start + int(involved[i]))
    return sorted(dropped)


def _maybe_covered(
    tree: cKDTree, points: np.ndarray, owners: np.ndarray, candidate: np.ndarray, tolerance_mm: float
) -> np.ndarray:
    """Which candidate paths could be covered by the others were every other path kept (one batched query).

    A sample counts as covered when one of its ``_NEIGHBOURS`` nearest samples within the tolerance is another
    path's, or when all of them are that close (the exact ball query is left to the sequential pass); a path not
    covered here is not covered once some paths are dropped either, so the sequential pass can skip it.
    """
    mine = candidate[owners]
    if not mine.any():
        return candidate
    k = min(_NEIGHBOURS, len(points))
    distances, found = tree.query(points[mine], k=k, distance_upper_bound=tolerance_mm)
    distances, found = distances.reshape(-1, k), found.reshape(-1, k)
    hit = np.isfinite(distances)
    who = owners[np.where(hit, found, 0)]
    mine_owner = owners[mine]
    covered = (hit & (who != mine_owner[:, None])).any(axis=1) | hit.all(axis=1)
    uncovered = np.bincount(mine_owner[~covered], minlength=len(candidate))
    return candidate & (uncovered == 0)


def _near(paths: list[np.ndarray], candidate: np.ndarray, tolerance_mm: float) -> np.ndarray:
    """Indices (ascending) of the candidate paths and of every path passing within reach of one of them."""
    # Imported here: SciPy's spatial package takes a third of a second to load, off the search's path.
    from scipy.spatial import cKDTree

    points, owners = _samples(paths, _PIECE_MM)
    mine = candidate[owners]
    reach = tolerance_mm + _PIECE_MM
    near = cKDTree(points[~mine]).query_ball_point(points[mine], reach, return_sorted=False)
    others = owners[~mine]
    touched = np.concatenate([others[np.asarray(found, dtype=np.int64)] for found in near] or [np.zeros(0, int)])
    return np.union1d(np.flatnonzero(candidate), touched).astype(np.int64)


def touching_strokes(drawing: Drawing, tolerance_mm: float) -> int:
    """How many open strokes have an end within ``tolerance_mm`` of an end of another stroke of their group."""
    # Imported here: SciPy's spatial package takes a third of a second to load, off the search's path.
    from scipy.spatial import cKDTree

    touching = np.zeros(len(drawing), dtype=bool)
    ends = np.concatenate([drawing.starts, drawing.ends])
    owner = np.concatenate([np.arange(len(drawing))] * 2)
    if len(ends) < 2:
        return 0
    pairs = cKDTree(ends).query_pairs(tolerance_mm, output_type="ndarray")
    a, b = owner[pairs[:, 0]], owner[pairs[:, 1]]
    group = drawing.group_of
    real = (a != b) & (group[a] == group[b]) & ~drawing.closed[a] & ~drawing.closed[b]
    touching[a[real]] = True
    touching[b[real]] = True
    return int(touching.sum())


def check_strokes(drawing: Drawing, tolerance_mm: float = CHECK_TOLERANCE_MM) -> StrokeChecks:
    """The touching and retraced counts of ``drawing`` (what ``--merge-tolerance`` and ``--dedupe`` would act on).

    The retraced count is None for a drawing too large to search (see :data:`MAX_SAMPLE_POINTS`).
    """
    try:
        again: list[int] | None = retraced(drawing, tolerance_mm)
    except DrawingError:
        again = None
    return StrokeChecks(
        tolerance_mm=tolerance_mm,
        touching_strokes=touching_strokes(drawing, tolerance_mm),
        retraced_strokes=None if again is None else len(again),
        retraced_mm=None if again is None else float(drawing.lengths_mm[again].sum()) if again else 0.0,
    )


def _euler_trails(edges: list[tuple[int, int]], count: int) -> list[list[tuple[int, bool]]]:
    """Cover the multigraph ``edges`` (over ``count`` vertices) with the fewest trails, as (edge, reversed) lists.

    Odd-degree vertices are paired by virtual edges, each component's Euler circuit is found (Hierholzer) and
    cut at the virtual edges, so a component with ``2k`` odd vertices gives ``k`` trails (one if ``k = 0``).
    """
    degree = np.zeros(count, dtype=np.int64)
    for u, v in edges:
        degree[u] += 1
        degree[v] += 1
    parent = list(range(count))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u, v in edges:
        parent[find(u)] = find(v)
    odd_by_component: dict[int, list[int]] = {}
    for vertex in np.flatnonzero(degree % 2):
        odd_by_component.setdefault(find(int(vertex)), []).append(int(vertex))
    real = len(edges)
    every = list(edges)
    for odd in odd_by_component.values():
        every += [(odd[j], odd[j + 1]) for j in range(0, len(odd), 2)]
    incident: list[list[int]] = [[] for _ in range(count)]
    for e, (u, v) in enumerate(every):
        incident[u].append(e)
        incident[v].append(e)
    used = np.zeros(len(every), dtype=bool)
    pointer = [0] * count
    trails: list[list[tuple[int, bool]]] = []
    for root in range(count):
        if pointer[root] >= len(incident[root]) or all(used[e] for e in incident[root]):
            continue
        circuit: list[tuple[int, bool]] = []
        stack: list[tuple[int, int, bool]] = [(root, -1, False)]
        while stack:
            vertex = stack[-1][0]
            while pointer[vertex] < len(incident[vertex]) and used[incident[vertex][pointer[vertex]]]:
                pointer[vertex] += 1
            if pointer[vertex] == len(incident[vertex]):
                _, edge, flipped = stack.pop()
                if edge >= 0:
                    circuit.append((edge, flipped))
                continue
            edge = incident[vertex][pointer[vertex]]
            used[edge] = True
            u, v = every[edge]
            stack.append((v if u == vertex else u, edge, u != vertex))
        circuit.reverse()
        cuts = [k for k, (edge, _) in enumerate(circuit) if edge >= real]
        if cuts:
            circuit = circuit[cuts[0] + 1 :] + circuit[: cuts[0] + 1]
        trail: list[tuple[int, bool]] = []
        for edge, flipped in circuit:
            if edge >= real:
                if trail:
                    trails.append(trail)
                trail = []
            else:
                trail.append((edge, flipped))
        if trail:
            trails.append(trail)
    return trails


def merge_chains(drawing: Drawing, tolerance_mm: float) -> list[list[tuple[int, bool]]]:
    """Strokes to draw as one, as lists of (segment, reversed), group by group, in the drawing's order of groups.

    Open strokes whose ends meet within ``tolerance_mm`` are joined; closed loops and lone strokes stay alone.
    Every segment appears in exactly one chain; chains of a group follow the group's first segment.
    """
    # Imported here: SciPy's spatial package takes a third of a second to load, off the search's path.
    from scipy.spatial import cKDTree

    chains: list[list[tuple[int, bool]]] = []
    for span in drawing.group_ranges():
        members = [i for i in span if not drawing.closed[i]]
        loops = [[(i, False)] for i in span if drawing.closed[i]]
        if not members:
            chains += loops
            continue
        ends = np.concatenate([drawing.starts[members], drawing.ends[members]])
        label = np.arange(len(ends))
        for a, b in cKDTree(ends).query_pairs(tolerance_mm, output_type="ndarray"):
            ra, rb = a, b
            while label[ra] != ra:
                ra = label[ra]
            while label[rb] != rb:
                rb = label[rb]
            label[max(ra, rb)] = min(ra, rb)
        for k in range(len(label)):
            label[k] = label[label[k]]
        _, vertex = np.unique(label, return_inverse=True)
        n = len(members)
        edges = [(int(vertex[k]), int(vertex[k + n])) for k in range(n)]
        trails = _euler_trails(edges, int(vertex.max()) + 1)
        group_chains = [[(members[edge], flipped) for edge, flipped in trail] for trail in trails]
        group_chains.sort(key=lambda chain: min(segment for segment, _ in chain))
        chains += sorted(group_chains + loops, key=lambda chain: min(segment for segment, _ in chain))
    return chains


def _joined_path(drawing: Drawing, chain: list[tuple[int, bool]]) -> np.ndarray:
    parts = []
    for k, (segment, flipped) in enumerate(chain):
        path = drawing.paths[segment][::-1] if flipped else drawing.paths[segment]
        if k and np.hypot(*(path[0] - parts[-1][-1])) <= CLOSE_TOL_MM:
            path = path[1:]
        parts.append(path)
    return np.concatenate(parts)


def apply_chains(document: Document, chains: list[list[tuple[int, bool]]]) -> Document:
    """``document`` with each chain drawn as one stroke (segments left out of every chain are dropped).

    Chains must hold segments of one group each and follow the groups' sequence.
    """
    drawing = document.drawing
    group_of = drawing.group_of
    groups = [int(group_of[chain[0][0]]) for chain in chains]
    if any(int(group_of[s]) != g for chain, g in zip(chains, groups, strict=True) for s, _ in chain):
        raise ValueError("a chain crosses groups")
    if groups != sorted(groups) or sorted(set(groups)) != list(range(len(drawing.group_sizes))):
        raise ValueError("chains must keep every group, in sequence")
    paths = tuple(_joined_path(drawing, chain) for chain in chains)
    sizes = tuple(int(n) for n in np.bincount(groups, minlength=len(drawing.group_sizes)))
    joined = Drawing(paths, drawing.origin, sizes, drawing.group_names)
    program = document.program
    if program is not None:
        strokes = tuple(join_strokes([(program.strokes[s], flipped) for s, flipped in chain]) for chain in chains)
        program = replace(program, strokes=strokes)
    return replace(document, drawing=joined, program=program)


def clean_document(
    document: Document,
    *,
    merge_tolerance_mm: float | None,
    dedupe_mm: float | None,
    checks: StrokeChecks | None = None,
) -> tuple[Document, dict[str, Any]]:
    """Drop retraced strokes (``dedupe_mm``), then join touching ones (``merge_tolerance_mm``); say what was done.

    The returned figures always hold the touching and retraced counts of the input at
    :data:`CHECK_TOLERANCE_MM` (``checks``, when the caller has counted them already), so a report says when
    asking for either would help.
    """
    figures: dict[str, Any] = {"input_strokes": len(document.drawing)}
    checks = checks if checks is not None else check_strokes(document.drawing)
    figures.update({f"input_{k}": v for k, v in asdict(checks).items()})
    if dedupe_mm is not None:
        drop = set(retraced(document.drawing, dedupe_mm))
        figures["dedupe_mm"] = dedupe_mm
        figures["strokes_dropped"] = len(drop)
        figures["dropped_mm"] = float(sum(document.drawing.lengths_mm[i] for i in drop))
        if drop:
            document = apply_chains(document, [[(i, False)] for i in range(len(document.drawing)) if i not in drop])
    if merge_tolerance_mm is not None:
        before = len(document.drawing)
        document = apply_chains(document, merge_chains(document.drawing, merge_tolerance_mm))
        figures["merge_tolerance_mm"] = merge_tolerance_mm
        figures["strokes_joined"] = before - len(document.drawing)
    figures["strokes"] = len(document.drawing)
    return document, figures


__all__ = [
    "apply_chains",
    "clean_document",
    "CHECK_TOLERANCE_MM",
    "StrokeChecks",
    "check_strokes",
    "merge_chains",
    "retraced",
    "touching_strokes",
]
