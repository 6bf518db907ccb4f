"""Sensitivity indices with 95% intervals, each from the point means (one value per design point).

- :func:`sobol`: first- and total-order Sobol indices (SALib ``sobol.analyze``, Saltelli/Jansen
  estimators); SALib's interval bootstraps over the base samples. A Saltelli block (the points built
  from one base sample) with a missing point is left out whole.
- :func:`morris`: Morris elementary effects (SALib ``morris.analyze``); mu*'s interval bootstraps
  over trajectories; trajectories with a missing point are left out.
- :func:`delta`: Borgonovo's moment-independent delta (the estimator of Plischke, Borgonovo and
  Smith 2013, eq. 26, as SALib's ``calc_delta``: Gaussian kernel densities with Silverman's
  bandwidth in M equal-frequency classes of the parameter,
  delta = sum_c n_c / (2n) * integral |f_Y - f_Y|c|) with their bias reduction (eq. 30:
  2 * delta_hat - mean of the bootstrap deltas), and the binned first-order index
  S1 = sum_c n_c / n * (mean_c - mean)^2 / Var(Y). Intervals: a bootstrap over points drawn from
  a seeded Generator (SALib's own delta draws from numpy's global state, and a seed of 0 leaves
  it unseeded).
- :func:`grid_shares`: a grid's main-effect shares Var(E[Y | x_i]) / Var(Y) with a bootstrap over
  replicates (over whole seed blocks when the runs share seeds across points).

Every interval is reported as a half-width: 1.96 x the bootstrap standard deviation.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

CONFIDENCE = 0.95
Z = float(norm.ppf(0.5 + CONFIDENCE / 2))
GRID_POINTS = 100  # where the densities of delta are evaluated (as SALib)


def child_seed(root: int, *key: int) -> int:
    """A non-zero 32-bit seed from the root seed and a key (SALib treats a seed of 0 as none)."""
    return int(np.random.SeedSequence(int(root), spawn_key=key).generate_state(1)[0]) or 1


def _problem(names: list[str]) -> dict[str, Any]:
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def blocks_ok(y: np.ndarray, size: int) -> np.ndarray:
    """Mask of rows in complete blocks of ``size`` consecutive rows (no NaN in the block)."""
    n = len(y) // size
    good = np.isfinite(y[: n * size].reshape(n, size)).all(axis=1)
    return np.repeat(good, size)


def sobol(y: np.ndarray, names: list[str], second: bool, resamples: int, seed: int) -> tuple[dict, int]:
    """Sobol S1, ST (and S2) with SALib's intervals; the blocks used."""
    from SALib.analyze import sobol as salib

    d = len(names)
    size = 2 * d + 2 if second else d + 2
    mask = blocks_ok(y, size)
    res = salib.analyze(
        _problem(names),
        y[: len(mask)][mask],
        calc_second_order=second,
        num_resamples=resamples,
        conf_level=CONFIDENCE,
        seed=seed,
    )
    return dict(res), int(mask.sum() // size)


def morris(
    x: np.ndarray, y: np.ndarray, names: list[str], levels: int, resamples: int, seed: int
) -> tuple[dict, int]:
    """Morris mu, mu* (with its interval) and sigma on the unit cube; the trajectories used."""
    from SALib.analyze import morris as salib

    size = len(names) + 1
    mask = blocks_ok(y, size)
    res = salib.analyze(
        _problem(names),
        x[: len(mask)][mask],
        y[: len(mask)][mask],
        num_resamples=resamples,
        conf_level=CONFIDENCE,
        num_levels=levels,
        seed=seed,
    )
    return dict(res), int(mask.sum() // size)


# ---------------------------------------------------------------------------- delta
def n_classes(n: int) -> int:
    """Equal-frequency classes of a parameter for n points (Plischke et al. 2013, as SALib)."""
    exp = 2.0 / (7.0 + math.tanh((1500.0 - n) / 500.0))
    return int(min(math.ceil(n**exp), 48))


def kde(samples: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density of ``samples`` on ``grid``, Silverman's bandwidth (as scipy's
    ``gaussian_kde(bw_method="silverman")``: h = sd * (3n / 4)^(-1/5))."""
    n = len(samples)
    h = float(np.std(samples, ddof=1)) * (n * 3.0 / 4.0) ** (-0.2)
    z = (grid[None, :] - samples[:, None]) / h
    return np.exp(-0.5 * z * z).sum(axis=0) / (n * h * math.sqrt(2 * math.pi))


def delta_s1(y: np.ndarray, x: np.ndarray, grid: np.ndarray, m: int) -> tuple[float, float]:
    """delta (eq. 26, no bias reduction) and the binned S1 of one parameter."""
    n = len(y)
    order = np.argsort(x, kind="stable")  # ordinal ranks: ties in order of appearance, as SALib
    cls = np.searchsorted(np.linspace(0, n, m + 1), np.arange(1, n + 1), side="left") - 1
    fy = kde(y, grid)
    var, mean = float(np.var(y)), float(y.mean())
    d = s1 = 0.0
    for c in range(m):
        yc = y[order[cls == c]]
        if not len(yc):
            continue
        s1 += len(yc) / n * (float(yc.mean()) - mean) ** 2
        if np.ptp(yc) > 0:
            d += len(yc) / (2 * n) * float(np.trapezoid(np.abs(fy - kde(yc, grid)), grid))
    return d, (s1 / var if var > 0 else 0.0)


def delta(x: np.ndarray, y: np.ndarray, resamples: int, rng: np.random.Generator) -> tuple[dict, int]:
    """Bias-reduced delta and binned S1 per column of ``x`` with bootstrap intervals over points
    (the same resamples for every column); rows with a NaN ``y`` are left out."""
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    n, k = x.shape
    grid = np.linspace(float(y.min()), float(y.max()), GRID_POINTS)
    m = n_classes(n)
    base = np.array([delta_s1(y, x[:, i], grid, m) for i in range(k)])
    boot = np.full((resamples, k, 2), np.nan)
    for b in range(resamples):
        idx = rng.integers(n, size=n)
        if np.ptp(y[idx]) == 0:
            continue
        for i in range(k):
            boot[b, i] = delta_s1(y[idx], x[idx, i], grid, m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_b, sd_b = np.nanmean(boot, axis=0), np.nanstd(boot, axis=0, ddof=1)
    return {
        "delta": 2 * base[:, 0] - mean_b[:, 0],
        "delta_conf": Z * sd_b[:, 0],
        "S1": base[:, 1],
        "S1_conf": Z * sd_b[:, 1],
    }, n


# ---------------------------------------------------------------------------- grid
def _shares(means: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Main-effect share of each column of ``codes`` (level codes per point) in ``means``."""
    ok = np.isfinite(means)
    y = means[ok]
    var = float(y.var()) if len(y) > 1 else 0.0
    out = np.full(codes.shape[1], np.nan)
    if var <= 0:
        return out
    for j in range(codes.shape[1]):
        c = codes[ok, j]
        cnt = np.bincount(c)
        tot = np.bincount(c, weights=y)
        has = cnt > 0
        out[j] = float((cnt[has] * (tot[has] / cnt[has] - y.mean()) ** 2).sum() / len(y) / var)
    return out


def grid_shares(
    wide: np.ndarray, codes: np.ndarray, crn: bool, resamples: int, rng: np.random.Generator
) -> tuple[dict, int]:
    """Main-effect shares from ``wide`` (points x replicates, NaN where a run is missing) and the
    level codes of each parameter per point; intervals from a bootstrap over replicates (one draw
    of seed blocks for all points with ``crn``, each point its own draw without)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(wide, axis=1)
        s1 = _shares(means, codes)
        p, r = wide.shape
        conf = np.full(codes.shape[1], np.nan)
        if r > 1 and resamples > 1:
            boot = np.empty((resamples, codes.shape[1]))
            for b in range(resamples):
                if crn:
                    rb = wide[:, rng.integers(r, size=r)]
                else:
                    rb = np.take_along_axis(wide, rng.integers(r, size=(p, r)), axis=1)
                boot[b] = _shares(np.nanmean(rb, axis=1), codes)
            conf = Z * np.nanstd(boot, axis=0, ddof=1)
    return {"S1": s1, "S1_conf": conf}, int(np.isfinite(means).sum())


def level_codes(points: pd.DataFrame, params: list[str]) -> np.ndarray:
    """Each parameter's level code (0..k-1, sorted levels) per point."""
    cols = [pd.factorize(points[p].astype(str) if points[p].dtype == object else points[p], sort=True)[0]
            for p in params]  # fmt: skip
    return np.column_stack(cols).astype(np.int64)
