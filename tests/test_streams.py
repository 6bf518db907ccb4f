"""Counter-based random streams (simulation/core/streams.py): reproducibility, the common-random-numbers
property, independence across keys, distribution quality, stable identities and input validation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulation.core.streams import Streams, mix64, purpose_code, stable_ids

N = 200_000
IDS = np.arange(N, dtype=np.int64)


def bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype=np.float64).tobytes()


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_same_inputs_give_identical_bits():
    a, b = Streams(7), Streams(7)
    assert bits(a.uniform("move", 2020, IDS)) == bits(b.uniform("move", 2020, IDS))
    assert bits(a.uniforms("move", 2020, IDS, 3)) == bits(b.uniforms("move", 2020, IDS, 3))
    assert bits(a.normal("move", 2020, IDS)) == bits(b.normal("move", 2020, IDS))
    assert a.key("move", 2020) == b.key("move", 2020)


def test_golden_values_pin_the_scheme():
    # splitmix64 reference: first output for state 0 is mix(0 + gamma) = 0xE220A8397B1DCDAF
    assert int(mix64(np.array([0x9E3779B97F4A7C15], dtype=np.uint64))[0]) == 0xE220A8397B1DCDAF
    u = Streams(1).uniform("move", 2020, np.array([0, 1]))
    assert [x.hex() for x in u.tolist()] == ["0x1.cad720dfd503dp-1", "0x1.c57cf35c30d5cp-3"]
    assert Streams(1).uniforms("move", 2020, np.array([0]), 2)[0, 1].hex() == "0x1.4836200de1f73p-1"
    assert int(stable_ids(1, 2020, 3, 4)) == 604978185517903476
    assert int(stable_ids(7)) == 2994419870413775469


def test_purpose_code_is_fixed():
    assert purpose_code("move") == np.uint64(151650474311797604)
    assert purpose_code("graduate_city") == np.uint64(16928141935520688141)
    assert isinstance(purpose_code("move"), np.uint64)


def test_draw_for_an_id_ignores_the_other_ids_and_their_order():
    s = Streams(11)
    ids = np.arange(1, 1001)
    full = s.uniform("move", 2021, ids)
    assert bits(s.uniform("move", 2021, np.array([5]))) == bits(full[[4]])
    perm = np.random.default_rng(0).permutation(ids)
    assert bits(s.uniform("move", 2021, perm)) == bits(full[perm - 1])
    subset = np.array([999, 5, 17, 500])
    assert bits(s.uniforms("move", 2021, subset, 3)) == bits(s.uniforms("move", 2021, ids, 3)[subset - 1])
    assert bits(s.normal("move", 2021, subset)) == bits(s.normal("move", 2021, ids)[subset - 1])
    for dtype in (np.int32, np.uint32, np.uint64):
        assert bits(s.uniform("move", 2021, ids.astype(dtype))) == bits(full)
    assert s.uniform("move", 2021, np.array(5)).shape == ()
    assert float(s.uniform("move", 2021, 5)) == full[4]


@pytest.mark.parametrize(
    "left, right",
    [
        ((1, "move", 2020, 0), (2, "move", 2020, 0)),  # adjacent seeds
        ((0, "move", 2020, 0), (1, "move", 2020, 0)),
        ((1, "move", 2020, 0), (1, "mover", 2020, 0)),  # similar purposes
        ((1, "move", 2020, 0), (1, "move", 2021, 0)),  # adjacent years
        ((1, "move", 2020, 0), (1, "move", 2020, 1)),  # adjacent ids (id vs id + 1)
        ((1, "move", 2020, 0), (1, "move", 2020, 2**32)),  # ids differing in one high bit
    ],
)
def test_nearby_keys_give_uncorrelated_draws(left, right):
    (s1, p1, y1, off1), (s2, p2, y2, off2) = left, right
    a = Streams(s1).uniform(p1, y1, IDS + off1)
    b = Streams(s2).uniform(p2, y2, IDS + off2)
    assert abs(corr(a, b)) < 0.01
    assert abs(corr(stats.norm.ppf(a), stats.norm.ppf(b))) < 0.01


def test_uniform_is_uniform_and_open():
    u = Streams(3).uniform("move", 2020, IDS)
    assert u.dtype == np.float64 and u.shape == (N,)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert 0.0 < u.min() and u.max() < 1.0
    # the extreme words map strictly inside (0, 1): a 53-bit mapping would round the top one to 1.0
    ends = Streams._to_unit(np.array([0, 2**64 - 1], dtype=np.uint64))
    assert 0.0 < ends[0] < 1e-15 and 1.0 - 1e-15 < ends[1] < 1.0
    assert np.isfinite(stats.norm.ppf(ends)).all()


def test_normal_moments():
    x = Streams(4).normal("shock", 2030, IDS)
    assert np.isfinite(x).all()
    assert abs(x.mean()) < 0.01
    assert abs(x.std() - 1.0) < 0.01
    assert abs(stats.kurtosis(x, fisher=False) - 3.0) < 0.05
    assert abs(stats.skew(x)) < 0.03
    assert stats.kstest(x, "norm").pvalue > 1e-3


def test_uniforms_columns_are_independent_and_consistent():
    s = Streams(5)
    u = s.uniforms("firm_entry", 2025, IDS, 4)
    assert u.shape == (N, 4) and u.dtype == np.float64
    c = np.corrcoef(u.T)
    assert np.abs(c[~np.eye(4, dtype=bool)]).max() < 0.01
    for j in range(4):
        assert stats.kstest(u[:, j], "uniform").pvalue > 1e-3
    assert abs(corr(u[1:, 0], u[:-1, 1])) < 0.01  # column 1 is not column 0 of the next id
    assert bits(u[:, 0]) == bits(s.uniform("firm_entry", 2025, IDS))
    assert bits(u[:, :2]) == bits(s.uniforms("firm_entry", 2025, IDS, 2))
    assert 0.0 < u.min() and u.max() < 1.0


def test_stable_ids_are_distinct_over_a_grid_and_order_independent():
    kind, year, city, index = np.arange(4), np.arange(2019, 2044), np.arange(31), np.arange(323)
    grid = stable_ids(*np.ix_(kind, year, city, index))
    assert grid.shape == (4, 25, 31, 323) and grid.dtype == np.uint64
    assert np.unique(grid).size == grid.size  # ~1.0e6 combinations, no collision
    assert int(grid.max()) < 2**63  # fits an int64 column
    flat = [a.ravel() for a in np.meshgrid(kind, year, city, index, indexing="ij")]
    perm = np.random.default_rng(1).permutation(grid.size)
    assert np.array_equal(stable_ids(*(a[perm] for a in flat)), grid.ravel()[perm])
    assert stable_ids(2, 2030, 7, 11) == grid[2, 11, 7, 11]
    assert stable_ids(1, 2) != stable_ids(2, 1)
    assert stable_ids(1, 2) != stable_ids(1, 2, 0)
    s = Streams(9)  # usable as ids, with the CRN property
    block = s.uniform("move", 2030, grid[2, 11])
    assert bits(s.uniform("move", 2030, grid[2, 11, :, 5])) == bits(block[:, 5])


@pytest.mark.filterwarnings("error")
def test_no_warnings_and_no_global_state():
    before = np.random.get_state()[1].copy()  # noqa: NPY002 - the legacy global state must stay untouched
    s = Streams(2**64 - 1)
    top = np.array([2**64 - 1, 2**63, 0], dtype=np.uint64)
    s.uniform("move", 2**62, top)
    s.uniforms("move", 0, np.uint64(2**64 - 1), 3)
    s.normal("move", 1, np.array(2**63 - 1))
    mix64(np.array(2**64 - 1, dtype=np.uint64))
    stable_ids(2**64 - 1, top)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: Streams(-1), "seed"),
        (lambda: Streams(1.0), "seed"),
        (lambda: Streams("3"), "seed"),
        (lambda: Streams(True), "seed"),
        (lambda: Streams(2**64), "seed"),
        (lambda: Streams(1).uniform("", 2020, IDS), "purpose"),
        (lambda: Streams(1).uniform(3, 2020, IDS), "purpose"),
        (lambda: purpose_code(None), "purpose"),
        (lambda: Streams(1).uniform("move", -1, IDS), "year"),
        (lambda: Streams(1).uniform("move", 2020.0, IDS), "year"),
        (lambda: Streams(1).key("move", "2020"), "year"),
        (lambda: Streams(1).uniform("move", 2020, np.array([3, -1])), "ids"),
        (lambda: Streams(1).uniform("move", 2020, np.array([1.0, 2.0])), "ids"),
        (lambda: Streams(1).normal("move", 2020, np.array([True])), "ids"),
        (lambda: Streams(1).uniforms("move", 2020, IDS, 0), "k"),
        (lambda: Streams(1).uniforms("move", 2020, IDS, 2.0), "k"),
        (lambda: Streams(1).uniforms("move", 2020, np.array([-5]), 2), "ids"),
        (lambda: stable_ids(), "parts"),
        (lambda: stable_ids(1, -2), r"parts\[1\]"),
        (lambda: stable_ids(1, np.array([0, -1])), r"parts\[1\]"),
        (lambda: stable_ids(np.array([1.5])), r"parts\[0\]"),
        (lambda: stable_ids(2**64), r"parts\[0\]"),
        (lambda: mix64(np.array([0.5])), "x"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}(?!\w)"):
        call()
