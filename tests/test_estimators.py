"""Each estimator of the validation report recovers a value planted in synthetic data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation.experiments.validate import estimators as est


# ---------------------------------------------------------------------------- synthetic data
def synthetic_flows(
    n: int = 30,
    elasticity: float = -1.1,
    border: float = -0.9,
    scale: float = 300.0,
    noise: str = "poisson",
    seed: int = 0,
) -> pd.DataFrame:
    """Ordered pairs of ``n`` places on a plane in 3 provinces, with flows from a gravity model:
    flow = exp(a_o + d_d + elasticity * ln km + border * cross-province) times Poisson or log-normal
    noise. Origin and destination effects are correlated with location, so leaving them out biases."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 600, size=(n, 2))
    prov = (xy[:, 0] // 200).astype(int)  # three bands: neighbours share a province more often
    a = rng.normal(0, 0.7, n) + 0.002 * xy[:, 0]
    d = rng.normal(0, 0.7, n) - 0.002 * xy[:, 1]
    o, dd = np.nonzero(~np.eye(n, dtype=bool))
    km = np.hypot(*(xy[o] - xy[dd]).T) + 5.0
    cross = (prov[o] != prov[dd]).astype(float)
    eta = a[o] + d[dd] + elasticity * np.log(km) + border * cross
    mu = scale * np.exp(eta - eta.mean())
    if noise == "poisson":
        y = rng.poisson(mu).astype(float)
    else:
        y = mu * np.exp(rng.normal(-0.5 * 0.3**2, 0.3, len(mu)))
    return pd.DataFrame(
        {"origin": o, "destination": dd, "flow": y, "log_km": np.log(km), "border": cross, "km": km}
    )


# ---------------------------------------------------------------------------- gravity
def test_ppml_gravity_recovers_planted_elasticity_and_border():
    df = synthetic_flows(elasticity=-1.1, border=-0.9, scale=5.0, seed=1)
    assert (df["flow"] == 0).any()  # zeros are kept by PPML
    g = est.gravity(df, distance="log_km", method="ppml")
    assert g.regression.converged
    assert abs(g.elasticity - (-1.1)) < 4 * g.elasticity_se and abs(g.elasticity + 1.1) < 0.15
    assert abs(g.border - (-0.9)) < 4 * g.border_se and abs(g.border + 0.9) < 0.15
    assert g.border_effect == pytest.approx(math.expm1(g.border))
    assert g.border_effect_se == pytest.approx(math.exp(g.border) * g.border_se)


def test_log_ols_gravity_recovers_planted_elasticity_with_lognormal_noise():
    df = synthetic_flows(elasticity=-0.7, border=-1.5, noise="lognormal", seed=2)
    g = est.gravity(df, distance="log_km", method="ols")
    assert abs(g.elasticity + 0.7) < 0.05
    assert abs(g.border + 1.5) < 0.05
    assert g.regression.method == "ols"


def test_gravity_without_fixed_effects_would_be_biased_so_they_matter():
    """The planted origin effects trend with location; check the estimator's fixed effects are what
    recovers the value (a pooled regression on the same data misses it)."""
    df = synthetic_flows(elasticity=-1.0, border=0.0, seed=3, scale=5000.0)
    x = np.column_stack([df["log_km"], np.ones(len(df))])
    pooled = est.ppml(df["flow"].to_numpy(), x, ["log_km", "const"])
    g = est.gravity(df, distance="log_km", border=None, method="ppml")
    assert abs(g.elasticity + 1.0) < 0.05
    assert g.border is None and g.border_effect is None
    assert abs(pooled["log_km"][0] - g.elasticity) > 0.02


def test_gravity_drops_places_without_flows_and_rejects_unknown_method():
    df = synthetic_flows(n=12, seed=4)
    df.loc[df["origin"] == 0, "flow"] = 0.0  # origin 0 sends nothing: its effect is -inf
    g = est.gravity(df, distance="log_km", method="ppml")
    assert g.regression.dropped == 11
    assert g.regression.n == len(df) - 11
    with pytest.raises(ValueError, match="method"):
        est.gravity(df, distance="log_km", method="tobit")


def test_ppml_robust_standard_error_matches_sampling_spread():
    """Monte Carlo: the sandwich SE of a Poisson slope is close to the spread of the estimates."""
    rng = np.random.default_rng(5)
    n, reps = 400, 150
    x = rng.normal(0, 1, n)
    design = np.column_stack([x, np.ones(n)])
    mu = np.exp(1.0 + 0.5 * x)
    slopes, ses = [], []
    for _ in range(reps):
        y = rng.poisson(mu * rng.gamma(2.0, 0.5, n))  # overdispersed: robust SE needed
        r = est.ppml(y.astype(float), design, ["x", "c"])
        slopes.append(r["x"][0])
        ses.append(r["x"][1])
    assert abs(np.mean(slopes) - 0.5) < 0.02
    assert np.mean(ses) == pytest.approx(np.std(slopes, ddof=1), rel=0.25)


def test_ppml_rejects_negative_flows():
    with pytest.raises(ValueError, match="non-negative"):
        est.ppml(np.array([1.0, -1.0, 2.0]), np.ones((3, 1)), ["c"])


# ---------------------------------------------------------------------------- OLS and elasticities
def test_ols_hc1_standard_error_matches_sampling_spread_under_heteroskedasticity():
    rng = np.random.default_rng(6)
    n, reps = 200, 300
    x = rng.normal(0, 1, n)
    design = np.column_stack([x, np.ones(n)])
    b, se = [], []
    for _ in range(reps):
        y = 2.0 + 0.3 * x + rng.normal(0, 0.5 + np.abs(x), n)
        r = est.ols(y, design, ["x", "c"])
        b.append(r["x"][0])
        se.append(r["x"][1])
    assert abs(np.mean(b) - 0.3) < 0.02
    assert np.mean(se) == pytest.approx(np.std(b, ddof=1), rel=0.15)


def test_cluster_robust_se_is_larger_with_correlated_errors():
    rng = np.random.default_rng(7)
    g = np.repeat(np.arange(30), 10)
    x = rng.normal(0, 1, 30)[g] + rng.normal(0, 0.2, len(g))
    y = 0.5 * x + rng.normal(0, 1, 30)[g] + rng.normal(0, 0.3, len(g))
    design = np.column_stack([x, np.ones(len(g))])
    hc1 = est.ols(y, design, ["x", "c"])
    cl = est.ols(y, design, ["x", "c"], clusters=g)
    assert cl.cov == "cluster" and hc1.cov == "HC1"
    assert cl["x"][1] > 1.5 * hc1["x"][1]


def test_elasticity_with_group_effects_recovers_planted_value():
    """Log wage on log market access with province effects correlated with market access."""
    rng = np.random.default_rng(8)
    groups = np.repeat(["hubei", "hunan", "jiangxi"], 40)
    shift = {"hubei": 0.0, "hunan": 1.0, "jiangxi": 2.0}
    log_ma = np.array([shift[p] for p in groups]) + rng.normal(0, 0.5, len(groups))
    log_w = 0.07 * log_ma - 0.5 * np.array([shift[p] for p in groups]) + rng.normal(0, 0.02, len(groups))
    s = est.elasticity(log_w, log_ma, groups)
    assert abs(s.coef - 0.07) < 3 * s.se and abs(s.coef - 0.07) < 0.02
    assert s.groups == 3 and s.n == len(groups)
    pooled = est.elasticity(log_w, log_ma)
    assert pooled.coef < 0  # without the province effects the sign flips
    lo, hi = s.ci()
    assert lo < s.coef < hi


def test_panel_elasticity_recovers_planted_value_with_year_and_unit_effects():
    """Emission intensity on income: city effects, a common trend, planted slope -0.8."""
    rng = np.random.default_rng(9)
    cities, years = 31, 17
    c = np.repeat(np.arange(cities), years)
    t = np.tile(np.arange(years), cities)
    city_fx = rng.normal(0, 0.5, cities)
    log_income = 10.5 + 0.05 * t + rng.normal(0, 0.3, cities)[c] + rng.normal(0, 0.05, len(c))
    log_int = -0.8 * log_income + city_fx[c] - 0.035 * t + rng.normal(0, 0.05, len(c))
    panel = pd.DataFrame({"city": c, "year": 2019 + t, "y": log_int, "x": log_income})
    both = est.panel_elasticity(panel, "y", "x", unit_effects=True, time_effects=True)
    assert abs(both.coef + 0.8) < 0.1 and both.groups == cities
    across = est.panel_elasticity(panel, "y", "x", unit_effects=False, time_effects=True)
    assert abs(across.coef + 0.8) < 3 * across.se  # city effects independent of income: unbiased, noisier
    within = est.panel_elasticity(panel, "y", "x", unit_effects=True, time_effects=False)
    assert within.coef < -0.8 - 0.3  # the common trend loads on income without year effects


def test_difference_in_means_recovers_planted_difference():
    rng = np.random.default_rng(10)
    a = rng.normal(1.5, 1.0, 400)
    b = rng.normal(0.5, 2.0, 300)
    d = est.difference_in_means(a, b)
    assert abs(d.coef - 1.0) < 3 * d.se
    assert d.se == pytest.approx(math.sqrt(1.0 / 400 + 4.0 / 300), rel=0.15)


def test_beta_convergence_recovers_planted_coefficient():
    rng = np.random.default_rng(11)
    y0 = np.exp(rng.normal(11.0, 0.4, 200))
    years = 16
    growth = 0.3 - 0.02 * np.log(y0) + rng.normal(0, 0.002, 200)
    y1 = y0 * np.exp(growth * years)
    b = est.beta_convergence(y0, y1, years)
    assert abs(b.coef + 0.02) < 3 * b.se and abs(b.coef + 0.02) < 0.002


def test_sigma_convergence_is_the_change_in_the_spread_of_logs():
    y0 = np.exp(np.array([0.0, 1.0, 2.0]))
    y1 = np.exp(np.array([0.0, 0.5, 1.0]))
    assert est.sigma_convergence(y0, y1) == pytest.approx(0.5 - 1.0)


# ---------------------------------------------------------------------------- across seeds
def test_t_interval_matches_the_textbook_formula():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    m, lo, hi = est.t_interval(v)
    half = 3.182446305284263 * np.std(v, ddof=1) / 2.0  # t(0.975, 3)
    assert m == 2.5 and lo == pytest.approx(2.5 - half) and hi == pytest.approx(2.5 + half)
    assert math.isnan(est.t_interval([1.0])[1])
    assert math.isnan(est.t_interval([])[0])


def test_pooled_interval_adds_within_and_between_seed_variance():
    # no spread between seeds: the interval is the normal one of the common SE
    m, lo, hi, total = est.pooled_interval([0.3, 0.3, 0.3], [0.1, 0.1, 0.1])
    assert m == 0.3 and total == pytest.approx(0.1) and hi - m == pytest.approx(1.959964 * 0.1, rel=1e-5)
    # spread between seeds, no SE within: T = (1 + 1/m) B
    _, _, _, total = est.pooled_interval([0.0, 1.0], [0.0, 0.0])
    assert total == pytest.approx(math.sqrt(1.5 * 0.5))


def test_pooled_interval_covers_the_planted_value_most_of_the_time():
    """5 'seeds' of a regression on the same 31 cities: the cross-city sampling error (SE 0.1) is
    common to all seeds, the model's randomness (sd 0.05) differs by seed; ~95% coverage."""
    rng = np.random.default_rng(12)
    hits = 0
    trials = 400
    for _ in range(trials):
        common = rng.normal(0, 0.1)
        se = np.full(5, 0.1)
        estimates = 0.5 + common + rng.normal(0, 0.05, 5)
        _, lo, hi, _ = est.pooled_interval(estimates, se)
        hits += lo <= 0.5 <= hi
    assert 0.90 <= hits / trials <= 0.995


def test_dummies_one_hot_with_and_without_the_first_level():
    mat, names = est.dummies(["b", "a", "b", "c"], "p", drop_first=False)
    assert names == ["fe:p:a", "fe:p:b", "fe:p:c"] and mat.sum(axis=1).tolist() == [1, 1, 1, 1]
    mat, names = est.dummies(["b", "a", "b", "c"], "p", drop_first=True)
    assert names == ["fe:p:b", "fe:p:c"] and mat.shape == (4, 2)
