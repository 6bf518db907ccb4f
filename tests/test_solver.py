"""The numerical pieces made faster on 3 December: the goods-market solver's Newton step and the
year-0 amenity inversion. Each is checked against the plain method it replaced, on the model's own
problems, so that a wrong derivative or a wrong shortcut shows as a different answer."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from simulation.config import load_config
from simulation.core import choice as ch
from simulation.core import production as prod
from simulation.core.talent import _rest_point
from simulation.model import MiddleYangtzeModel


@pytest.fixture(scope="module")
def model():
    cfg = load_config(None, ["scale.talent_agents=5000", "scale.firm_agents=600", "run.end_year=2022"])
    m = MiddleYangtzeModel(cfg, rng=3)
    m.step()
    m.step()
    return m


def _inputs(m):
    res = m.year_result
    h = res.talent.sum(axis=1)
    labour, land = res.labour.sum(axis=1), res.land.sum(axis=1)
    return h, labour, land


def _plain_solve(pr: prod.Production, shifter, h, labour, capital, land, cost, outside, tol):
    """The solver before 3 December: log p += gap / sigma, factors allocated and composited in full."""
    sh, sig = pr.shares, pr.sigma
    n, k = shifter.shape
    big_a, keep, lp = pr.a_prod * shifter, 1.0 - cost, pr.log_p.copy()
    e, x = np.empty((k, n + 1)), np.empty((k, n + 1))
    e[:, n], x[:, n] = outside, pr.demand_shifters[:, n]
    rev = pr.last_revenue
    for it in range(1, 20_000):
        p = np.exp(lp)
        x[:, :n] = pr.demand_shifters[:, :n] * (p ** (1.0 - sig)[None, :]).T
        e[:, :n] = (pr.mu * rev.sum(axis=1, keepdims=True)).T
        r, _ = prod.trade.revenues(x, pr.tpow, e)
        rev = r[:, :n].T
        hk, lk, tk = prod._allocate(rev * keep, h, labour, land, sh)
        q = big_a * prod._composite(hk, lk, capital, tk, sh)
        gap = np.where(q > 0, np.log(np.maximum(rev, 1e-300) / np.maximum(p * q, 1e-300)), 0.0)
        if np.max(np.abs(gap)) < tol:
            return lp, q, it
        lp = lp + gap / sig[None, :]
    raise AssertionError("the plain solver did not converge")


@pytest.mark.parametrize("shock", [1.0, 0.8, 1.3])
def test_the_newton_step_solver_finds_the_plain_solvers_equilibrium_in_fewer_iterations(model, shock):
    """A productivity shock (x0.8, x1.3 for every city-sector) moves the equilibrium away from the
    warm start; both solvers must land on the same prices and quantities."""
    m = model
    h, labour, land = _inputs(m)
    shifter = np.ones_like(m.production.a_prod) * shock
    cost = np.zeros_like(shifter)
    outside = m.outside_spending0
    plain = copy.deepcopy(m.production)
    lp_plain, q_plain, it_plain = _plain_solve(
        plain, shifter, h, labour, m.capital.stock, land, cost, outside, 1e-12
    )
    fast = copy.deepcopy(m.production)
    fast.tol = 1e-12
    year = fast.solve(shifter, h, labour, m.capital.stock, land, cost, outside)
    assert year.residual < 1e-12
    np.testing.assert_allclose(np.log(year.price), lp_plain, rtol=0, atol=1e-10)
    np.testing.assert_allclose(year.quantity, q_plain, rtol=1e-9)
    assert year.iterations < it_plain


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the planted step overflows on purpose
def test_a_diverging_newton_step_falls_back_to_the_plain_step(model, monkeypatch):
    """Plant a wrong derivative (the step 30x too long, which overshoots): the solver must still
    return the equilibrium, through its 1 / sigma fallback."""
    m = model
    h, labour, land = _inputs(m)
    shifter = np.ones_like(m.production.a_prod) * 1.2
    cost, outside = np.zeros_like(shifter), m.outside_spending0
    good = copy.deepcopy(m.production).solve(shifter, h, labour, m.capital.stock, land, cost, outside)
    real = prod._Gap.newton_step
    monkeypatch.setattr(prod._Gap, "newton_step", lambda self, rev: 30.0 * real(self, rev))
    fast = copy.deepcopy(m.production)
    fast.max_iter = 300
    year = fast.solve(shifter, h, labour, m.capital.stock, land, cost, outside)
    assert year.residual < fast.tol
    np.testing.assert_allclose(year.price, good.price, rtol=1e-8)


def test_the_amenity_inversion_brings_every_city_its_target_and_the_coast_its_share():
    """_rest_point against the plain evaluation: softmax of the utilities it returns."""
    rng = np.random.default_rng(7)
    classes, n = 300, 12
    fixed = rng.normal(0, 2, (classes, n + 1))
    base0 = rng.normal(0, 1, n)
    weights = rng.integers(1, 50, classes).astype(float)
    q = 0.05
    target = rng.dirichlet(np.ones(n)) * weights.sum() * (1 - q)
    amen, const = _rest_point(fixed, base0, weights, target, q)
    u = fixed.copy()
    u[:, :n] += (base0 + amen)[None, :]
    u[:, n] += const
    arrivals = weights @ ch.softmax_rows(u)
    np.testing.assert_allclose(arrivals[:n], target, rtol=1e-9)
    assert arrivals[n] / weights.sum() == pytest.approx(q, rel=1e-9)


def test_sampling_row_by_row_picks_what_comparing_every_column_picks():
    """The binary search per row (CDFs of few rows: the work choice) and the column comparison
    (many rows: the home classes) choose the same option for every draw, including draws that
    fall exactly on a CDF value, rows whose rounding ends above 1 and options of zero probability."""
    rng = np.random.default_rng(3)
    for n_rows, k in ((31, 31), (4, 32), (64, 7)):
        p = rng.dirichlet(np.full(k, 0.3), n_rows)
        p[:, rng.integers(0, k, 3)] = 0.0  # options nobody can choose
        cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        cdf[0, -2] = 1.0 + 2e-16  # rounding above 1 before the last column is set to 1
        cdf[:, -1] = 1.0
        rows = rng.integers(0, n_rows, 20_000)
        u = rng.random(20_000)
        u[:50] = cdf[rows[:50], rng.integers(0, k - 1, 50)]  # draws on a CDF value
        assert n_rows <= ch.GROUPED_ROWS
        grouped = ch.sample_rows(cdf, rows, u)
        big = np.vstack([cdf, np.ones((ch.GROUPED_ROWS, k))])  # more rows: the comparison path
        assert np.array_equal(grouped, ch.sample_rows(big, rows, u))
        assert grouped.dtype == np.int32 and ((grouped >= 0) & (grouped < k)).all()
