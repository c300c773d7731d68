"""The toolpath data model: a drawing (segments + origin) and an order (permutation + directions).

Everything is in millimetres. A *segment* is one continuous pen-down polyline; *travel* is the pen-up distance
between segments (the paper's TC), *draw length* the pen-down length (TS), and their sum the total (TL).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from batik_studio.errors import DrawingError

#: Two points closer than this (mm) are the same point: a polyline whose ends meet is a closed loop.
CLOSE_TOL_MM = 1e-6

#: The paper's drawing feed (mm/min) for batik tulis with hot wax.
DEFAULT_DRAW_FEED_MM_MIN = 500.0

#: Travel (pen-up) feed used for machining time; the paper uses one feed for everything.
DEFAULT_RAPID_FEED_MM_MIN = 500.0


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Drawing:
    """Pen-down polylines to draw, in ordered groups, plus the machine origin where every job starts.

    Invariants (checked when built): each path is a finite float64 array of shape ``(k, 2)`` with ``k >= 1``
    (one point is a dot); the origin is finite. A path is *closed* when it has at least 3 points and its last
    point equals its first within :data:`CLOSE_TOL_MM`. The arrays are read-only; transform by building a new
    drawing.

    The paths are stored group after group: ``group_sizes[g]`` paths make group ``g`` (a layer, or the strokes
    between two tool changes), every group holds at least one path, and the groups are drawn in their stored
    sequence. By default all paths are one group.
    """

    paths: tuple[np.ndarray, ...]
    origin: tuple[float, float] = (0.0, 0.0)
    group_sizes: tuple[int, ...] | None = None
    group_names: tuple[str, ...] | None = None
    starts: np.ndarray = field(init=False, repr=False)
    ends: np.ndarray = field(init=False, repr=False)
    closed: np.ndarray = field(init=False, repr=False)
    lengths_mm: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        paths = []
        for i, path in enumerate(self.paths):
            array = np.array(path, dtype=np.float64, copy=True)
            if array.ndim != 2 or array.shape[1] != 2 or len(array) == 0:
                raise DrawingError(f"segment {i}: expected an array of (x, y) points, got shape {array.shape}")
            if not np.isfinite(array).all():
                raise DrawingError(f"segment {i}: coordinates must be finite numbers")
            paths.append(_readonly(array))
        origin = (float(self.origin[0]), float(self.origin[1]))
        if not np.isfinite(origin).all():
            raise DrawingError(f"origin must be finite, got {origin}")
        n = len(paths)
        starts = np.array([p[0] for p in paths], dtype=np.float64).reshape(n, 2)
        ends = np.array([p[-1] for p in paths], dtype=np.float64).reshape(n, 2)
        sizes = np.array([len(p) for p in paths], dtype=np.int64)
        closed = (sizes >= 3) & (np.hypot(*(ends - starts).T) <= CLOSE_TOL_MM)
        lengths = np.array([np.hypot(*np.diff(p, axis=0).T).sum() for p in paths], dtype=np.float64)
        sizes_of_groups = (n,) if n else ()
        if self.group_sizes is not None:
            sizes_of_groups = tuple(int(k) for k in self.group_sizes)
        if any(k <= 0 for k in sizes_of_groups) or sum(sizes_of_groups) != n:
            raise DrawingError(f"group sizes {sizes_of_groups} must be positive and add up to the {n} segments")
        names = self.group_names
        if names is None:
            names = tuple(f"group {g + 1}" for g in range(len(sizes_of_groups)))
        if len(names) != len(sizes_of_groups):
            raise DrawingError(f"{len(names)} group names for {len(sizes_of_groups)} groups")
        object.__setattr__(self, "paths", tuple(paths))
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "group_sizes", sizes_of_groups)
        object.__setattr__(self, "group_names", tuple(str(name) for name in names))
        object.__setattr__(self, "starts", _readonly(starts))
        object.__setattr__(self, "ends", _readonly(ends))
        object.__setattr__(self, "closed", _readonly(closed))
        object.__setattr__(self, "lengths_mm", _readonly(lengths))

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def draw_mm(self) -> float:
        """Total pen-down length (the paper's TS)."""
        return float(self.lengths_mm.sum())

    @property
    def closed_loops(self) -> int:
        """How many segments are closed loops."""
        return int(self.closed.sum())

    @property
    def group_of(self) -> np.ndarray:
        """The group of each segment, an ``(n,)`` int array (non-decreasing)."""
        return np.repeat(np.arange(len(self.group_sizes), dtype=np.int64), self.group_sizes)

    def group_ranges(self) -> list[range]:
        """The segment indices of each group, in sequence."""
        bounds = np.concatenate([[0], np.cumsum(self.group_sizes, dtype=np.int64)])
        return [range(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def group(self, g: int, origin: tuple[float, float] | None = None) -> Drawing:
        """Group ``g`` alone, as a one-group drawing starting from ``origin`` (default: this drawing's)."""
        span = self.group_ranges()[g]
        chosen = self.paths[span.start : span.stop]
        return Drawing(chosen, self.origin if origin is None else origin, None, (self.group_names[g],))

    def merged(self) -> Drawing:
        """The same paths as one group, for when the order between groups does not matter."""
        return Drawing(self.paths, self.origin)


@dataclass(frozen=True, eq=False)
class Order:
    """Which segment is drawn when, and from which end.

    ``sequence[k]`` is the segment drawn k-th (a permutation of ``range(n)``). ``reversed[i]`` says segment
    ``i`` (indexed by segment, not by position) is drawn from its last point to its first. ``entry_vertex[i]``
    is, for a closed loop, the vertex where drawing starts and ends (0 = as read); it is 0 for open paths.
    Validate against a drawing with :meth:`check`.
    """

    sequence: np.ndarray
    reversed: np.ndarray
    entry_vertex: np.ndarray | None = None

    def __post_init__(self) -> None:
        sequence = np.asarray(self.sequence, dtype=np.int64).copy()
        flipped = np.asarray(self.reversed, dtype=bool).copy()
        n = len(sequence)
        if sequence.ndim != 1 or flipped.shape != (n,):
            raise ValueError(f"sequence and reversed must be 1-D, equal length: {sequence.shape}, {flipped.shape}")
        if n and not np.array_equal(np.sort(sequence), np.arange(n)):
            raise ValueError("sequence must be a permutation of range(n): each segment exactly once")
        entry = np.zeros(n, np.int64) if self.entry_vertex is None else np.asarray(self.entry_vertex, np.int64).copy()
        if entry.shape != (n,) or (entry < 0).any():
            raise ValueError("entry_vertex must hold one non-negative vertex index per segment")
        object.__setattr__(self, "sequence", _readonly(sequence))
        object.__setattr__(self, "reversed", _readonly(flipped))
        object.__setattr__(self, "entry_vertex", _readonly(entry))

    def __len__(self) -> int:
        return len(self.sequence)

    @classmethod
    def identity(cls, n: int) -> Order:
        """The order of the file as read: every segment in turn, as drawn."""
        return cls(np.arange(n), np.zeros(n, dtype=bool))

    def check(self, drawing: Drawing) -> None:
        """Raise ValueError unless this order fits ``drawing`` (same size, loop entries only on closed loops)."""
        if len(self) != len(drawing):
            raise ValueError(f"order has {len(self)} segments, drawing has {len(drawing)}")
        moved = self.entry_vertex != 0
        if (moved & ~drawing.closed).any():
            raise ValueError("entry_vertex may only move the start of a closed loop")
        sizes = np.array([len(p) for p in drawing.paths], dtype=np.int64)
        if (self.entry_vertex[moved] >= sizes[moved] - 1).any():
            raise ValueError("entry_vertex is past the last vertex of its loop")


def combine_group_orders(drawing: Drawing, orders: list[Order]) -> Order:
    """One order of ``drawing`` drawing its groups in sequence, group ``g`` in ``orders[g]`` (indexed in the group)."""
    ranges = drawing.group_ranges()
    if len(orders) != len(ranges):
        raise ValueError(f"{len(orders)} orders for {len(ranges)} groups")
    sequence, flipped, entry = [], np.zeros(len(drawing), bool), np.zeros(len(drawing), np.int64)
    for span, order in zip(ranges, orders, strict=True):
        if len(order) != len(span):
            raise ValueError(f"an order of {len(order)} segments for a group of {len(span)}")
        sequence.append(order.sequence + span.start)
        flipped[span.start : span.stop] = order.reversed
        entry[span.start : span.stop] = order.entry_vertex
    joined = np.concatenate(sequence) if sequence else np.zeros(0, np.int64)
    return Order(joined, flipped, entry)


def keeps_groups(drawing: Drawing, order: Order) -> bool:
    """Whether ``order`` draws each group whole and the groups in their sequence."""
    return bool((np.diff(drawing.group_of[order.sequence]) >= 0).all())


def travel_by_group_mm(drawing: Drawing, order: Order, *, return_to_origin: bool = True) -> list[float]:
    """Pen-up travel charged to each group: the moves into its strokes (and, for the last, back to the origin)."""
    moves = travel_moves(drawing, order, return_to_origin=return_to_origin)
    lengths = np.hypot(*(moves[:, 1] - moves[:, 0]).T)
    owner = drawing.group_of[order.sequence]
    if return_to_origin:
        owner = np.concatenate([owner, [len(drawing.group_sizes) - 1]]) if len(owner) else owner
    return np.bincount(owner, weights=lengths[: len(owner)], minlength=len(drawing.group_sizes)).tolist()


def oriented_path(drawing: Drawing, order: Order, segment: int) -> np.ndarray:
    """The points of ``segment`` in the direction and from the entry vertex that ``order`` draws it."""
    path = drawing.paths[segment]
    vertex = int(order.entry_vertex[segment])
    if vertex:
        path = np.concatenate([path[vertex:-1], path[: vertex + 1]])
    return path[::-1] if order.reversed[segment] else path


def entry_exit_points(drawing: Drawing, order: Order) -> tuple[np.ndarray, np.ndarray]:
    """Where each segment is entered and left, in drawing order: two ``(n, 2)`` arrays."""
    seq = order.sequence
    flipped = order.reversed[seq]
    entries = np.where(flipped[:, None], drawing.ends[seq], drawing.starts[seq])
    exits = np.where(flipped[:, None], drawing.starts[seq], drawing.ends[seq])
    moved = np.flatnonzero(order.entry_vertex[seq] != 0)
    for k in moved:
        point = drawing.paths[seq[k]][order.entry_vertex[seq[k]]]
        entries[k] = point
        exits[k] = point
    return entries, exits


def travel_moves(drawing: Drawing, order: Order, *, return_to_origin: bool = True) -> np.ndarray:
    """Every pen-up move as an ``(m, 2, 2)`` array of (from, to) points, origin first."""
    order.check(drawing)
    origin = np.asarray(drawing.origin, dtype=np.float64)[None, :]
    entries, exits = entry_exit_points(drawing, order)
    froms = np.concatenate([origin, exits])
    tos = np.concatenate([entries, origin])
    if not return_to_origin:
        froms, tos = froms[:-1], tos[:-1]
    return np.stack([froms, tos], axis=1)


def travel_mm(drawing: Drawing, order: Order, *, return_to_origin: bool = True) -> float:
    """Pen-up travel (the paper's TC): origin to the first segment, between segments, and back if asked."""
    moves = travel_moves(drawing, order, return_to_origin=return_to_origin)
    return float(np.hypot(*(moves[:, 1] - moves[:, 0]).T).sum())


@dataclass(frozen=True)
class Metrics:
    """The paper's figures for one drawing in one order: TS (``draw_mm``), TC (``travel_mm``), TL, time."""

    segments: int
    closed_loops: int
    draw_mm: float
    travel_mm: float
    total_mm: float
    machining_minutes: float


def measure(
    drawing: Drawing,
    order: Order | None = None,
    *,
    return_to_origin: bool = True,
    draw_feed_mm_min: float = DEFAULT_DRAW_FEED_MM_MIN,
    rapid_feed_mm_min: float = DEFAULT_RAPID_FEED_MM_MIN,
) -> Metrics:
    """TS, TC, TL and machining time of ``drawing`` drawn in ``order`` (default: file order)."""
    if draw_feed_mm_min <= 0 or rapid_feed_mm_min <= 0:
        raise ValueError("feeds must be positive (mm/min)")
    order = Order.identity(len(drawing)) if order is None else order
    draw = drawing.draw_mm
    travel = travel_mm(drawing, order, return_to_origin=return_to_origin)
    return Metrics(
        segments=len(drawing),
        closed_loops=drawing.closed_loops,
        draw_mm=draw,
        travel_mm=travel,
        total_mm=draw + travel,
        machining_minutes=draw / draw_feed_mm_min + travel / rapid_feed_mm_min,
    )


__all__ = [
    "CLOSE_TOL_MM",
    "DEFAULT_DRAW_FEED_MM_MIN",
    "DEFAULT_RAPID_FEED_MM_MIN",
    "Drawing",
    "Metrics",
    "Order",
    "combine_group_orders",
    "entry_exit_points",
    "keeps_groups",
    "measure",
    "oriented_path",
    "travel_by_group_mm",
    "travel_mm",
    "travel_moves",
]
