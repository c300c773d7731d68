"""K-means MS-GA: the seed paper's proposed method ("algoritma usulan").

1. *Clustering*: scikit-learn K-means (``clusters`` = 20, ``kmeans_iterations`` = 100, k-means++ start, one run,
   seeded) on one point per segment: by default the midpoint of its two ends (``segment_point="ends"``; for a
   closed loop, the point where it starts and ends, which is where travel reaches it), or the mean of its vertices
   (``segment_point="centroid"``).
2. *Inter-cluster*: a plain GA (PMX and swap mutation, no slave row) orders the cluster centres
   (``cluster_iterations`` = 200), as a route from the origin (and back to it when the job returns there).
3. *Intra-cluster*: MS-GA orders the segments of each cluster in that order (``intra_iterations`` = 500), each
   cluster's route starting at the exit point of the previous cluster (the first at the origin) and left open at
   its end, as in the paper; the last cluster returns to the origin when the job does.
4. The cluster routes are joined into one order. With ``keep_input`` (the default)
   :func:`~batik_studio.toolpath.solvers.optimize` returns the order as read or greedy's instead when it travels
   less (the project's never-worse guarantee); turn it off for the paper's own result.

The population, rates and the scheme choices are shared by both GAs (the paper's Table 1 gives them the same values);
see :mod:`batik_studio.toolpath.solvers.ga`.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from batik_studio.toolpath.model import Drawing, Order
from batik_studio.toolpath.solvers.base import Progress, SolveOptions, SolverDetails
from batik_studio.toolpath.solvers.ga import evolve
from batik_studio.toolpath.solvers.msga import ga_settings, order_from_chromosome, segment_ends
from batik_studio.toolpath.solvers.params import SEGMENT_POINTS, KMeansMsgaParams


def segment_points(drawing: Drawing, kind: str = "ends") -> np.ndarray:
    """``(n, 2)``: the point K-means sees for each segment (midpoint of its ends, or mean of its vertices)."""
    if kind == "ends":
        return (drawing.starts + drawing.ends) / 2.0
    return np.array([path.mean(axis=0) for path in drawing.paths], dtype=np.float64).reshape(len(drawing), 2)


def cluster_segments(points: np.ndarray, clusters: int, iterations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """K-means labels (0..m-1, no empty cluster) and the ``(m, 2)`` centres; m <= ``clusters``."""
    from sklearn.cluster import KMeans  # imported here: scikit-learn takes a second to load, the CLI starts without
    from sklearn.exceptions import ConvergenceWarning

    k = min(clusters, len(np.unique(points, axis=0)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        kmeans = KMeans(n_clusters=k, init="k-means++", n_init=1, max_iter=iterations, random_state=seed).fit(points)
    used, labels = np.unique(kmeans.labels_, return_inverse=True)
    return labels.astype(np.int64), kmeans.cluster_centers_[used]


@dataclass(frozen=True)
class KMeansMsgaDetails(SolverDetails):
    """A K-means MS-GA run: the clusters and their order, the joined GA route's travel, and every GA's history.

    ``phases_s`` has clustering, inter_cluster and intra_cluster seconds; ``labels`` the cluster of each segment;
    ``inter_cluster_history`` the best centre-route length per iteration; ``intra_cluster_histories`` the best
    travel per iteration, one per cluster in drawing order. A complete route exists only at the end, so there is
    no curve of travel against seconds.
    """

    clusters: int = 0
    ga_travel_mm: float = 0.0
    cluster_order: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    inter_cluster_mm: float = 0.0
    inter_cluster_history: np.ndarray = field(default_factory=lambda: np.zeros(0))
    intra_cluster_histories: list[np.ndarray] = field(default_factory=list)


class KMeansMsgaSolver:
    """K-means clustering, a GA over the cluster order, then MS-GA inside each cluster (paper's Table 1 defaults).

    Parameters are :class:`~.params.KMeansMsgaParams` (given whole, or as keywords); ``keep_input`` as for
    :class:`~.msga.MsgaSolver`. After :meth:`solve`, ``details_`` is a :class:`KMeansMsgaDetails`.
    """

    def __init__(self, params: KMeansMsgaParams | None = None, **values: object) -> None:
        self.params = params if params is not None else KMeansMsgaParams(**values)
        p = self.params
        self.clusters = p.clusters
        self.kmeans_iterations = p.kmeans_iterations
        self.cluster_iterations = p.cluster_iterations
        self.intra_iterations = p.intra_iterations
        self.segment_point = p.segment_point
        self.keep_input = p.keep_input
        self.inter_settings = ga_settings(p, p.cluster_iterations)
        self.intra_settings = ga_settings(p, p.intra_iterations)

    def solve(self, drawing: Drawing, options: SolveOptions, progress: Progress | None = None) -> Order:
        """Cluster, order the clusters, order each cluster; return the joined order (seeded by ``options.seed``)."""
        started = time.perf_counter()
        deadline = None if options.time_limit_s is None else started + options.time_limit_s
        rng = np.random.default_rng(options.seed)
        origin = np.asarray(drawing.origin, dtype=np.float64)
        home = origin if options.return_to_origin else None
        n = len(drawing)
        if n == 0:
            self.details_ = KMeansMsgaDetails(phases_s={"clustering": 0.0, "inter_cluster": 0.0, "intra_cluster": 0.0})
            return Order.identity(0)

        labels, centres = cluster_segments(
            segment_points(drawing, self.segment_point), self.clusters, self.kmeans_iterations, options.seed
        )
        clustered = time.perf_counter()
        k = len(centres)
        work = self.cluster_iterations + k * self.intra_iterations or 1

        def report(done: float) -> None:
            if progress is not None:
                progress(min(1.0, done / work))

        inter = evolve(
            np.repeat(centres[:, None, :], 2, axis=1),
            origin,
            home,
            self.inter_settings,
            rng,
            flip=False,
            deadline=deadline,
            progress=lambda f: report(f * self.cluster_iterations),
        )
        ordered = time.perf_counter()

        ends = segment_ends(drawing)
        position = origin
        masters, slaves, histories = [], [], []
        for rank, cluster in enumerate(inter.master):
            members = np.flatnonzero(labels == cluster)
            last = rank == k - 1
            done_before = self.cluster_iterations + rank * self.intra_iterations
            run = evolve(
                ends[members],
                position,
                home if last else None,
                self.intra_settings,
                rng,
                deadline=deadline,
                progress=lambda f, d=done_before: report(d + f * self.intra_iterations),
            )
            masters.append(members[run.master])
            slaves.append(run.slave)
            histories.append(run.best_mm)
            exit_item = run.master[-1]
            position = ends[members][exit_item, 1 - run.slave[-1]]
        order = order_from_chromosome(np.concatenate(masters), np.concatenate(slaves))
        finished = time.perf_counter()
        self.details_ = KMeansMsgaDetails(
            phases_s={
                "clustering": clustered - started,
                "inter_cluster": ordered - clustered,
                "intra_cluster": finished - ordered,
            },
            clusters=k,
            ga_travel_mm=float(sum(h[-1] for h in histories)),
            cluster_order=inter.master,
            labels=labels,
            inter_cluster_mm=inter.travel_mm,
            inter_cluster_history=inter.best_mm,
            intra_cluster_histories=histories,
        )
        return order


__all__ = ["SEGMENT_POINTS", "KMeansMsgaDetails", "KMeansMsgaSolver", "cluster_segments", "segment_points"]
