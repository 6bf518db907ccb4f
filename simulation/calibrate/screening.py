"""Morris screening of the candidate parameters on the moments, and the rule that keeps some.

The design is SALib's Morris sample in the unit cube (each parameter's range scaled to [0, 1]),
``trajectories`` trajectories of k + 1 points on a 4-level grid, each point run at one seed (the
first seed of the fit: common random numbers, so an elementary effect is not seed noise). For each
moment j and parameter i SALib gives mu (mean elementary effect), mu* (mean absolute effect) and
sigma; with unit-cube inputs an effect is the change of the moment over the parameter's whole range.

The rule (:func:`select`), with s_j the moment's standard deviation in the weighting matrix:

1. *influential*: mu*_ij / s_j >= 1 for some weighted moment j (over its range the parameter moves
   that moment by at least one standard deviation);
2. *identifiable*: taken in order of max_j mu*_ij / s_j, a parameter is kept when its column of
   the standardised Jacobian a_i = (mu_ij / s_j)_j has norm >= 1 and at least ORTHOGONAL of that norm
   is not a combination of the columns kept before it (else the moments cannot tell it apart);
3. at most as many parameters as weighted moments.

The mean effects mu (m x k) also serve as the fit's first Jacobian.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample

LEVELS = 4
INFLUENCE = 1.0
ORTHOGONAL = 0.3


def design(k: int, trajectories: int, seed: int) -> np.ndarray:
    """The Morris points in the unit cube, (trajectories x (k + 1), k)."""
    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    return morris_sample.sample(problem, trajectories, num_levels=LEVELS, seed=seed)


@dataclass(frozen=True)
class Screening:
    mu: np.ndarray  # m x k
    mu_star: np.ndarray
    sigma: np.ndarray
    mu_star_conf: np.ndarray


def analyse(X: np.ndarray, Y: np.ndarray, seed: int) -> Screening:
    """Morris statistics of every moment (columns of ``Y``, one row per design point)."""
    k, m = X.shape[1], Y.shape[1]
    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    out = {key: np.zeros((m, k)) for key in ("mu", "mu_star", "sigma", "mu_star_conf")}
    for j in range(m):
        y = np.nan_to_num(Y[:, j].astype(float), nan=0.0)
        with warnings.catch_warnings():  # one trajectory: sigma has no degree of freedom (NaN)
            warnings.simplefilter("ignore", RuntimeWarning)
            si = morris_analyze.analyze(problem, X, y, num_levels=LEVELS, num_resamples=200, seed=seed + j)
        for key in out:
            out[key][j] = np.asarray(si[key], float)
    return Screening(out["mu"], out["mu_star"], out["sigma"], np.nan_to_num(out["mu_star_conf"]))


def select(scr: Screening, moment_sd: np.ndarray, weighted: np.ndarray) -> tuple[list[int], list[str]]:
    """Indices of the parameters to fit (in order of influence) and, per parameter, why it was
    kept or dropped."""
    k = scr.mu.shape[1]
    sd = np.where(weighted, moment_sd, np.inf)
    infl = (scr.mu_star / sd[:, None]).max(axis=0) if weighted.any() else np.zeros(k)
    A = scr.mu[weighted] / moment_sd[weighted][:, None]
    order = sorted(range(k), key=lambda i: (-infl[i], i))
    kept: list[int] = []
    why = [""] * k
    for i in order:
        if infl[i] < INFLUENCE:
            why[i] = f"not influential: moves no weighted moment by 1 sd over its range (max {infl[i]:.2f})"
            continue
        col = A[:, i]
        norm = float(np.linalg.norm(col))
        if norm < INFLUENCE:
            why[i] = f"effects of mixed sign: mean effect {norm:.2f} sd (mu* {infl[i]:.2f})"
            continue
        if kept:
            basis = A[:, kept]
            coef, *_ = np.linalg.lstsq(basis, col, rcond=None)
            left = float(np.linalg.norm(col - basis @ coef)) / norm
        else:
            left = 1.0
        if left < ORTHOGONAL:
            why[i] = f"not identifiable apart from those kept before it ({left:.0%} of its effect left)"
            continue
        if len(kept) >= int(weighted.sum()):
            why[i] = "no moment left to identify it"
            continue
        kept.append(i)
        why[i] = f"fitted: influence {infl[i]:.1f} sd, {left:.0%} of its effect its own"
    return kept, why


def table(scr: Screening, names: list[str], moments: list[str], moment_sd: np.ndarray) -> pd.DataFrame:
    """Long table: parameter x moment with mu, mu*, sigma, mu* confidence and mu* / sd."""
    rows = []
    for j, mom in enumerate(moments):
        for i, name in enumerate(names):
            rows.append({
                "parameter": name, "moment": mom, "mu": scr.mu[j, i], "mu_star": scr.mu_star[j, i],
                "sigma": scr.sigma[j, i], "mu_star_conf": scr.mu_star_conf[j, i],
                "mu_star_per_sd": scr.mu_star[j, i] / moment_sd[j] if moment_sd[j] > 0 else np.nan,
            })  # fmt: skip
    return pd.DataFrame(rows)
