"""Estimators for the validation report: pure functions of arrays and data frames.

Nothing here knows the model: each function takes numbers (flows between places, a cross-section
of cities, a city panel, effects by replicate) and returns an estimate with its standard error, so
that each can be tested on synthetic data with a planted value (tests/test_estimators.py).

- :func:`ols` — least squares with heteroskedasticity-robust (HC1) or cluster-robust standard errors.
- :func:`ppml` — Poisson pseudo-maximum likelihood by iteratively reweighted least squares, with
  robust (sandwich) standard errors (Santos Silva & Tenreyro 2006); zeros are kept.
- :func:`gravity` — origin-destination flows on pair covariates (log travel time or distance, a
  border dummy) with origin and destination fixed effects, by PPML or log-OLS; the border effect is
  reported as exp(b) - 1 with a delta-method standard error.
- :func:`elasticity` — slope of log y on log x with optional group (e.g. province) fixed effects.
- :func:`panel_elasticity` — the same in a panel with year and/or unit fixed effects, standard
  errors clustered by unit (emission intensity on income).
- :func:`difference_in_means` — Welch difference of two groups (connected minus bypassed cities).
- :func:`beta_convergence` and :func:`sigma_convergence` — Barro regression of annual growth on the
  initial log level, and the change in the spread of log levels.
- :func:`t_interval` — mean and t confidence interval of per-seed estimates.
- :func:`pooled_interval` — per-seed estimates with their standard errors combined by Rubin's rules
  (sampling uncertainty within a run plus simulation noise between seeds).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "Regression",
    "GravityResult",
    "Slope",
    "ols",
    "ppml",
    "gravity",
    "elasticity",
    "panel_elasticity",
    "difference_in_means",
    "beta_convergence",
    "sigma_convergence",
    "t_interval",
    "t_summary",
    "pooled_interval",
    "dummies",
]


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Regression:
    """A fitted linear or Poisson regression.

    Attributes:
        names: coefficient names (fixed-effect dummies included, named ``fe:<group>:<level>``).
        coef, se: estimates and robust standard errors, aligned with ``names``.
        n: observations used.
        method: "ols" or "ppml"; ``cov``: "HC1" or "cluster".
        converged, iterations: for PPML (OLS: True, 1).
        r2: R-squared (OLS) or the squared correlation of fitted and observed values (PPML).
    """

    names: list[str]
    coef: np.ndarray
    se: np.ndarray
    n: int
    method: str
    cov: str
    converged: bool = True
    iterations: int = 1
    r2: float = math.nan
    dropped: int = 0

    def __getitem__(self, name: str) -> tuple[float, float]:
        """(coefficient, standard error) of ``name``."""
        i = self.names.index(name)
        return float(self.coef[i]), float(self.se[i])


@dataclass(frozen=True)
class GravityResult:
    """A gravity regression of flows on pair covariates with origin and destination fixed effects.

    Attributes:
        elasticity, elasticity_se: coefficient of the log distance (or log time) covariate.
        border, border_se: coefficient of the border dummy (None when no border term was given).
        border_effect, border_effect_se: exp(border) - 1, the proportional change in flows across a
            border, with its delta-method standard error.
        regression: the full fit.
    """

    elasticity: float
    elasticity_se: float
    border: float | None
    border_se: float | None
    border_effect: float | None
    border_effect_se: float | None
    regression: Regression = field(repr=False)


@dataclass(frozen=True)
class Slope:
    """One slope coefficient with its standard error, the number of observations and groups."""

    coef: float
    se: float
    n: int
    groups: int = 0
    r2: float = math.nan

    def ci(self, confidence: float = 0.95) -> tuple[float, float]:
        """Normal-approximation confidence interval."""
        z = float(stats.norm.ppf(0.5 + confidence / 2))
        return self.coef - z * self.se, self.coef + z * self.se


# ---------------------------------------------------------------------------- building blocks
def dummies(codes: Sequence | np.ndarray, prefix: str, drop_first: bool) -> tuple[np.ndarray, list[str]]:
    """One-hot columns of a categorical array (levels sorted), optionally without the first level."""
    values = pd.Series(np.asarray(codes))
    levels = sorted(values.unique().tolist(), key=str)
    if drop_first:
        levels = levels[1:]
    mat = (
        np.column_stack([(values == lv).to_numpy(float) for lv in levels])
        if levels
        else np.zeros((len(values), 0))
    )
    return mat, [f"fe:{prefix}:{lv}" for lv in levels]


def _cluster_meat(scores: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, int]:
    """Sum over clusters of the outer product of the summed scores (k x k), and the cluster count."""
    codes, inv = np.unique(clusters, return_inverse=True)
    summed = np.zeros((len(codes), scores.shape[1]))
    np.add.at(summed, inv, scores)
    return summed.T @ summed, len(codes)


def _pinv_sym(a: np.ndarray) -> np.ndarray:
    return np.linalg.pinv(a, hermitian=True)


def ols(
    y: np.ndarray,
    x: np.ndarray,
    names: Sequence[str],
    *,
    clusters: np.ndarray | None = None,
) -> Regression:
    """Least squares of ``y`` on the columns of ``x`` (include an intercept or dummies yourself).

    Standard errors: HC1 (White, small-sample factor n / (n - k)) or, with ``clusters``, the
    cluster-robust sandwich with the factor G / (G - 1) * (n - 1) / (n - k).
    """
    y = np.asarray(y, float)
    x = np.asarray(x, float)
    n, k = x.shape
    xtx_inv = _pinv_sym(x.T @ x)
    beta = xtx_inv @ (x.T @ y)
    resid = y - x @ beta
    scores = x * resid[:, None]
    rank = int(np.linalg.matrix_rank(x))
    if clusters is None:
        meat = scores.T @ scores
        factor = n / max(n - rank, 1)
        cov_name = "HC1"
    else:
        meat, g = _cluster_meat(scores, np.asarray(clusters))
        factor = (g / max(g - 1, 1)) * ((n - 1) / max(n - rank, 1))
        cov_name = "cluster"
    cov = factor * xtx_inv @ meat @ xtx_inv
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    tss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / tss if tss > 0 else math.nan
    return Regression(list(names), beta, se, n, "ols", cov_name, True, 1, r2)


def ppml(
    y: np.ndarray,
    x: np.ndarray,
    names: Sequence[str],
    *,
    clusters: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> Regression:
    """Poisson pseudo-maximum likelihood: E[y | x] = exp(x b), fitted by IRLS.

    ``y`` may hold zeros and non-integers (flows scaled by agent weights). Standard errors are the
    robust sandwich (X'WX)^-1 X' diag(e^2) X (X'WX)^-1 with W = diag(mu), times n / (n - k)
    (HC1-like), or cluster-robust with ``clusters``.
    """
    y = np.asarray(y, float)
    x = np.asarray(x, float)
    if (y < 0).any():
        raise ValueError("ppml: y must be non-negative")
    n, k = x.shape
    scale = float(y.mean()) if y.mean() > 0 else 1.0
    ys = y / scale  # scale-free iterations; only the constant / fixed effects absorb the scale
    mu = (ys + ys.mean()) / 2.0
    eta = np.log(mu)
    beta = np.zeros(k)
    dev_old = math.inf
    converged = False
    it = 0
    while it < max_iter:
        it += 1
        z = eta + (ys - mu) / mu
        w = np.sqrt(mu)
        beta, *_ = np.linalg.lstsq(x * w[:, None], z * w, rcond=None)
        eta = np.clip(x @ beta, -700, 700)
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(ys > 0, ys * np.log(ys / mu), 0.0)
        dev = 2.0 * float((term - (ys - mu)).sum())
        if abs(dev - dev_old) <= tol * max(1.0, abs(dev)):
            converged = True
            break
        dev_old = dev
    bread = _pinv_sym((x * mu[:, None]).T @ x)
    scores = x * (ys - mu)[:, None]
    rank = int(np.linalg.matrix_rank(x))
    if clusters is None:
        meat = scores.T @ scores
        factor = n / max(n - rank, 1)
        cov_name = "HC1"
    else:
        meat, g = _cluster_meat(scores, np.asarray(clusters))
        factor = (g / max(g - 1, 1)) * ((n - 1) / max(n - rank, 1))
        cov_name = "cluster"
    cov = factor * bread @ meat @ bread
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    r = np.corrcoef(ys, mu)[0, 1] if n > 2 and ys.std() > 0 and mu.std() > 0 else math.nan
    return Regression(list(names), beta, se, n, "ppml", cov_name, converged, it, float(r**2))


# ---------------------------------------------------------------------------- gravity
def gravity(
    flows: pd.DataFrame,
    *,
    distance: str,
    border: str | None = "border",
    flow: str = "flow",
    origin: str = "origin",
    destination: str = "destination",
    method: str = "ppml",
) -> GravityResult:
    """Gravity regression with origin and destination fixed effects.

    ``flows`` has one row per ordered pair (origin != destination) with the flow (zeros included:
    PPML uses them, log-OLS drops them), the log distance or log travel time column named by
    ``distance``, and optionally a 0/1 border column. Origins with no outflow and destinations
    with no inflow are dropped (their fixed effect would be minus infinity).

    The model is flow_od = exp(a_o + d_d + e * distance_od + b * border_od) (PPML) or
    log flow_od = a_o + d_d + e * distance_od + b * border_od + u (log-OLS). Returns the elasticity
    ``e``, the border coefficient ``b`` and the border effect exp(b) - 1.
    """
    if method not in ("ppml", "ols"):
        raise ValueError(f"gravity: method {method!r} (allowed: 'ppml', 'ols')")
    df = flows[flows[origin] != flows[destination]].copy()
    df = df[np.isfinite(df[distance].to_numpy(float))]
    before = len(df)
    out_tot = df.groupby(origin)[flow].transform("sum")
    in_tot = df.groupby(destination)[flow].transform("sum")
    df = df[(out_tot > 0) & (in_tot > 0)]
    if method == "ols":
        df = df[df[flow] > 0]
    dropped = before - len(df)
    cols = [df[distance].to_numpy(float)]
    names = [distance]
    if border is not None:
        cols.append(df[border].to_numpy(float))
        names.append(border)
    d_o, n_o = dummies(df[origin].to_numpy(), "origin", drop_first=False)
    d_d, n_d = dummies(df[destination].to_numpy(), "destination", drop_first=True)
    x = np.column_stack([*cols, d_o, d_d])
    names = [*names, *n_o, *n_d]
    y = df[flow].to_numpy(float)
    reg = ppml(y, x, names) if method == "ppml" else ols(np.log(y), x, names)
    reg = replace(reg, dropped=dropped)
    e, e_se = reg[distance]
    if border is None:
        return GravityResult(e, e_se, None, None, None, None, reg)
    b, b_se = reg[border]
    return GravityResult(e, e_se, b, b_se, math.expm1(b), math.exp(b) * b_se, reg)


# ---------------------------------------------------------------------------- cross-section, panel
def elasticity(log_y: np.ndarray, log_x: np.ndarray, groups: np.ndarray | None = None) -> Slope:
    """Slope of ``log_y`` on ``log_x`` with an intercept or group fixed effects; HC1 standard error."""
    log_y = np.asarray(log_y, float)
    log_x = np.asarray(log_x, float)
    ok = np.isfinite(log_y) & np.isfinite(log_x)
    if groups is not None:
        g = np.asarray(groups)[ok]
        fe, fe_names = dummies(g, "group", drop_first=False)
        x = np.column_stack([log_x[ok], fe])
        names = ["x", *fe_names]
        n_groups = fe.shape[1]
    else:
        x = np.column_stack([log_x[ok], np.ones(ok.sum())])
        names = ["x", "const"]
        n_groups = 0
    reg = ols(log_y[ok], x, names)
    b, se = reg["x"]
    return Slope(b, se, int(ok.sum()), n_groups, reg.r2)


def panel_elasticity(
    panel: pd.DataFrame,
    y: str,
    x: str,
    *,
    unit: str = "city",
    time: str = "year",
    unit_effects: bool = False,
    time_effects: bool = True,
) -> Slope:
    """Slope of column ``y`` on column ``x`` (both already in logs) in a unit x time panel, with
    time and/or unit fixed effects; standard errors clustered by unit."""
    df = panel[[unit, time, y, x]].replace([np.inf, -np.inf], np.nan).dropna()
    blocks = [df[x].to_numpy(float)[:, None]]
    names = ["x"]
    if unit_effects:
        d, nm = dummies(df[unit].to_numpy(), unit, drop_first=False)
        blocks.append(d)
        names += nm
    if time_effects:
        d, nm = dummies(df[time].to_numpy(), time, drop_first=unit_effects)
        blocks.append(d)
        names += nm
    if not unit_effects and not time_effects:
        blocks.append(np.ones((len(df), 1)))
        names.append("const")
    reg = ols(df[y].to_numpy(float), np.column_stack(blocks), names, clusters=df[unit].to_numpy())
    b, se = reg["x"]
    return Slope(b, se, len(df), int(df[unit].nunique()), reg.r2)


def difference_in_means(a: np.ndarray, b: np.ndarray) -> Slope:
    """Mean of ``a`` minus mean of ``b`` with the Welch standard error (n = len(a) + len(b))."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    va = a.var(ddof=1) / len(a) if len(a) > 1 else math.nan
    vb = b.var(ddof=1) / len(b) if len(b) > 1 else math.nan
    return Slope(float(a.mean() - b.mean()), float(math.sqrt(va + vb)), len(a) + len(b), 2)


def beta_convergence(level0: np.ndarray, level1: np.ndarray, years: float) -> Slope:
    """Barro regression: annual log growth (ln level1 - ln level0) / years on ln level0.

    A negative coefficient is beta-convergence (poorer places grow faster); the implied speed of
    convergence is -ln(1 + years * beta) / years.
    """
    l0 = np.log(np.asarray(level0, float))
    g = (np.log(np.asarray(level1, float)) - l0) / float(years)
    return elasticity(g, l0)


def sigma_convergence(level0: np.ndarray, level1: np.ndarray) -> float:
    """Change in the standard deviation of log levels (negative = sigma-convergence)."""
    return float(np.std(np.log(np.asarray(level1, float)), ddof=1) - np.std(np.log(level0), ddof=1))


# ---------------------------------------------------------------------------- across seeds
def t_summary(
    values: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> tuple[float, float, float, float, int]:
    """Mean, lower and upper ``confidence`` t bound, sample sd and n of the finite ``values``."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan, 0
    mean = float(v.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan, n
    sd = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half, sd, n


def t_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of the finite ``values`` and its t confidence interval (NaN bounds with fewer than two)."""
    return t_summary(values, confidence)[:3]


def pooled_interval(
    estimates: Sequence[float] | np.ndarray,
    ses: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
) -> tuple[float, float, float, float]:
    """Combine per-seed estimates and their standard errors by Rubin's rules.

    With m seeds, mean estimate q, mean within-seed variance W = mean(se^2) and between-seed
    variance B = var(estimates), the total variance is T = W + (1 + 1/m) B and the interval is
    q +- t_df sqrt(T) with Rubin's degrees of freedom df = (m - 1) (1 + W / ((1 + 1/m) B))^2
    (normal quantile when B = 0). Returns (q, low, high, sqrt(T)).
    """
    q = np.asarray(estimates, float)
    u = np.asarray(ses, float) ** 2
    ok = np.isfinite(q) & np.isfinite(u)
    q, u = q[ok], u[ok]
    m = len(q)
    if m == 0:
        return math.nan, math.nan, math.nan, math.nan
    mean = float(q.mean())
    w = float(u.mean())
    b = float(q.var(ddof=1)) if m > 1 else 0.0
    total = w + (1 + 1 / m) * b
    if m > 1 and b > 0:
        df = (m - 1) * (1 + w / ((1 + 1 / m) * b)) ** 2
        crit = float(stats.t.ppf(0.5 + confidence / 2, df))
    else:
        crit = float(stats.norm.ppf(0.5 + confidence / 2))
    half = crit * math.sqrt(total)
    return mean, mean - half, mean + half, math.sqrt(total)
