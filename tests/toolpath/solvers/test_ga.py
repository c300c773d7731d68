import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batik_studio.errors import InputError
from batik_studio.toolpath.solvers.ga import GaSettings, evolve, flip_bit, initial_population, pmx, swap_genes


def route_mm(ends_xy, master, slave, start, end):
    """Plain-Python travel of a chromosome, to check the compiled fitness against."""
    here, total = np.asarray(start, float), 0.0
    for item, side in zip(master, slave, strict=True):
        total += float(np.hypot(*(ends_xy[item, side] - here)))
        here = ends_xy[item, 1 - side]
    return total + (float(np.hypot(*(np.asarray(end) - here))) if end is not None else 0.0)


@st.composite
def parents(draw):
    n = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a, b = rng.permutation(n), rng.permutation(n)
    bits_a, bits_b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    cut = draw(st.integers(0, n))
    return a, bits_a, b, bits_b, cut


def test_pmx_matches_paper_figure_5():
    """PMX cut after the third gene gives the paper's two offspring, master and slave rows."""
    p1_master, p1_slave = np.array([3, 4, 2, 5, 1]) - 1, np.array([0, 1, 1, 0, 0])
    p2_master, p2_slave = np.array([1, 2, 3, 4, 5]) - 1, np.array([1, 0, 1, 1, 0])
    child1 = pmx(p1_master, p1_slave, p2_master, p2_slave, 3)
    child2 = pmx(p2_master, p2_slave, p1_master, p1_slave, 3)
    assert (child1[0] + 1).tolist() == [3, 4, 2, 1, 5]
    assert child1[1].tolist() == [0, 1, 1, 1, 0]
    assert (child2[0] + 1).tolist() == [1, 2, 3, 5, 4]
    assert child2[1].tolist() == [1, 0, 1, 0, 0]


def test_swap_matches_paper_figure_6a():
    """Stage one swaps positions 2 and 5 of both rows: 3 4 2 1 5 / 0 1 1 1 0 becomes 3 5 2 1 4 / 0 0 1 1 1."""
    master, slave = swap_genes(np.array([3, 4, 2, 1, 5]), np.array([0, 1, 1, 1, 0]), 1, 4)
    assert master.tolist() == [3, 5, 2, 1, 4]
    assert slave.tolist() == [0, 0, 1, 1, 1]


def test_flip_matches_paper_figure_6b():
    """Stage two turns exactly one slave gene into its opposite."""
    slave = np.array([0, 0, 1, 1, 1])
    flipped = flip_bit(slave, 2)
    assert flipped.tolist() == [0, 0, 0, 1, 1]
    assert slave.tolist() == [0, 0, 1, 1, 1]


@given(parents())
def test_pmx_keeps_chromosomes_valid(case):
    """A PMX child is a permutation with 0/1 slave genes, the head of parent a and the slave tail of parent b."""
    a, bits_a, b, bits_b, cut = case
    master, slave = pmx(a, bits_a, b, bits_b, cut)
    assert sorted(master.tolist()) == list(range(len(a)))
    assert set(slave.tolist()) <= {0, 1}
    assert master[:cut].tolist() == a[:cut].tolist()
    assert slave.tolist() == bits_a[:cut].tolist() + bits_b[cut:].tolist()
    keep = ~np.isin(b[cut:], a[:cut])
    assert master[cut:][keep].tolist() == b[cut:][keep].tolist()


@given(parents(), st.data())
def test_mutation_keeps_chromosomes_valid(case, data):
    """Swapping two positions and flipping a bit keep a permutation with 0/1 genes, each segment its own bit."""
    a, bits_a, _, _, _ = case
    n = len(a)
    i, j, k = (data.draw(st.integers(0, n - 1)) for _ in range(3))
    master, slave = swap_genes(a, bits_a, i, j)
    assert sorted(master.tolist()) == list(range(n))
    bit_of = dict(zip(a.tolist(), bits_a.tolist(), strict=True))
    assert dict(zip(master.tolist(), slave.tolist(), strict=True)) == bit_of
    flipped = flip_bit(slave, k)
    assert set(flipped.tolist()) <= {0, 1}
    assert int((flipped != slave).sum()) == 1


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 25),
    seed=st.integers(0, 1000),
    scheme=st.sampled_from(["counts", "probabilities"]),
    selection=st.sampled_from(["elitist", "offspring"]),
    population=st.integers(2, 9),
    use_end=st.booleans(),
)
def test_evolve_returns_valid_best_chromosome(n, seed, scheme, selection, population, use_end):
    """Every scheme returns a permutation with 0/1 bits whose travel is what the engine reports."""
    rng = np.random.default_rng(seed)
    ends = rng.random((n, 2, 2)) * 100
    end = np.array([5.0, 5.0]) if use_end else None
    ga = GaSettings(population=population, iterations=30, scheme=scheme, selection=selection)
    run = evolve(ends, np.zeros(2), end, ga, np.random.default_rng(seed))
    assert sorted(run.master.tolist()) == list(range(n))
    assert set(run.slave.tolist()) <= {0, 1}
    assert run.travel_mm == pytest.approx(route_mm(ends, run.master, run.slave, np.zeros(2), end))
    assert run.best_mm[-1] == pytest.approx(run.travel_mm)
    if selection == "elitist":
        assert (np.diff(run.best_mm) <= 1e-9).all()


def test_elitist_ga_improves_on_its_initial_population():
    """On 60 random segments the best travel after 300 iterations is far below the best random start."""
    ends = np.random.default_rng(3).random((60, 2, 2)) * 500
    run = evolve(ends, np.zeros(2), np.zeros(2), GaSettings(iterations=300), np.random.default_rng(0))
    assert run.iterations == 300
    assert run.travel_mm < 0.8 * run.best_mm[0]


def test_same_seed_same_run_other_seed_other_run():
    """The engine is a function of its seed."""
    ends = np.random.default_rng(1).random((30, 2, 2))
    runs = [evolve(ends, np.zeros(2), None, GaSettings(iterations=50), np.random.default_rng(s)) for s in (7, 7, 8)]
    assert runs[0].master.tolist() == runs[1].master.tolist()
    assert np.array_equal(runs[0].best_mm, runs[1].best_mm)
    assert not np.array_equal(runs[0].best_mm, runs[2].best_mm)


def test_plain_ga_keeps_slave_row_zero():
    """Without slave flips (cluster centres) every item is entered at its first point."""
    ends = np.random.default_rng(2).random((12, 2, 2))
    run = evolve(ends, np.zeros(2), None, GaSettings(iterations=40), np.random.default_rng(0), flip=False)
    assert run.slave.tolist() == [0] * 12


def test_file_initial_puts_order_as_read_in_population():
    """initial='file' seeds one individual with the order as read, entered at first points."""
    master, slave = initial_population(GaSettings(initial="file"), 6, np.random.default_rng(0), flip=True)
    assert master[0].tolist() == list(range(6))
    assert slave[0].tolist() == [0] * 6
    assert master.shape == slave.shape == (50, 6)


def test_deadline_in_the_past_stops_before_the_first_iteration():
    """A deadline already passed leaves the best of the initial population."""
    ends = np.random.default_rng(2).random((12, 2, 2))
    run = evolve(ends, np.zeros(2), None, GaSettings(), np.random.default_rng(0), deadline=0.0)
    assert run.iterations == 0
    assert sorted(run.master.tolist()) == list(range(12))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("population", 1, "at least 2"),
        ("population", 2.5, "whole number"),
        ("mutation_rate", 1.5, "between 0 and 1"),
        ("crossover_rate", -0.1, "between 0 and 1"),
        ("iterations", -1, "0 or more"),
        ("scheme", "roulette", "counts, probabilities"),
        ("selection", "tournament", "elitist, offspring"),
        ("initial", "greedy", "random, file"),
    ],
)
def test_bad_settings_name_the_value(field, value, message):
    """Bad GA settings raise InputError saying what is allowed."""
    with pytest.raises(InputError, match=message):
        GaSettings(**{field: value})


def test_offspring_selection_needs_offspring():
    """Keeping only offspring with no offspring planned is refused."""
    with pytest.raises(InputError, match="offspring"):
        GaSettings(mutation_rate=0.0, crossover_rate=0.0, selection="offspring")
