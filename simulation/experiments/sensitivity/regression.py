"""Least squares on the point means with interactions: an ANOVA of the terms and a response surface.

Each parameter enters on its unit range (the design's ``u:<path>``; for a grid the value's place in
its range or list), centred: z = 2u - 1 (so -1 and 1 are the ends of the range). The model::

    y = b0 + sum_i b_i z_i + sum_i c_i (z_i^2 - 1/3) + sum_{i<j} b_ij z_i z_j + e

fitted by least squares (the normal equations) to the point means. A main effect b_i is half the change of
y over the whole range of parameter i at the centre of the others; (z^2 - 1/3) has mean 0 over the
range. Squares are used only for parameters with at least 3 distinct values, and the dummy enters
as a main effect only. With fewer than 2 points per coefficient the squares are left out, then the
interactions (the summary says so).

ANOVA: a term's *share* is the part of the total sum of squares SST = sum (y - mean y)^2 that the
model loses when the term is dropped (its unique, "type III" sum of squares, divided by SST): for
one column j, b_j^2 / [(X'X)^-1]_jj; for a group G of columns (every term of one parameter: its
"total"), b_G' [(X'X)^-1_GG]^-1 b_G (the Frisch-Waugh identity, so no refit is needed). With
correlated columns the shares need not add up to R^2. Intervals: a bootstrap over points (a seeded
Generator), 1.96 x the bootstrap standard deviation.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.experiments.sensitivity.estimators import Z

MIN_POINTS_PER_COEF = 2
MAX_CONDITION = 1e10  # of X'X: beyond it the terms are treated as collinear


@dataclass(frozen=True)
class Term:
    """One column of the model: ``kind`` main | square | interaction over variable indices ``cols``."""

    name: str
    kind: str
    cols: tuple[int, ...]


@dataclass
class Fit:
    """A fitted model: variables ``names`` (unit coordinates), terms, coefficients (intercept
    first), R^2, adjusted R^2, points."""

    names: list[str]
    terms: list[Term]
    coef: np.ndarray
    r2: float
    adj_r2: float
    n: int
    note: str = ""

    def predict(self, u: np.ndarray) -> np.ndarray:
        """The fitted mean at unit coordinates ``u`` (rows x variables)."""
        return matrix(u, self.terms) @ self.coef


def choose_terms(names: list[str], distinct: list[int], n: int, dummy: str | None) -> tuple[list[Term], str]:
    """Main effects, squares (3+ distinct values) and pairwise interactions of the real parameters,
    as many as ``n`` points carry (2 per coefficient); and why some were left out."""
    real = [i for i, x in enumerate(names) if x != dummy]
    mains = [Term(x, "main", (i,)) for i, x in enumerate(names)]
    squares = [Term(f"{names[i]}^2", "square", (i, i)) for i in real if distinct[i] >= 3]
    inter = [
        Term(f"{names[i]} × {names[j]}", "interaction", (i, j)) for i, j in itertools.combinations(real, 2)
    ]
    for terms, note in (
        (mains + squares + inter, ""),
        (mains + inter, "squares left out (too few points)"),
        (mains, "squares and interactions left out (too few points)"),
    ):
        if n >= MIN_POINTS_PER_COEF * (len(terms) + 1):
            return terms, note
    return [], f"no regression: {n} points for {len(mains) + 1} coefficients"


def matrix(u: np.ndarray, terms: list[Term]) -> np.ndarray:
    """The design matrix: an intercept and one column per term, on z = 2u - 1."""
    z = 2.0 * np.asarray(u, float) - 1.0
    cols = [np.ones(len(z))]
    for t in terms:
        if t.kind == "main":
            cols.append(z[:, t.cols[0]])
        elif t.kind == "square":
            cols.append(z[:, t.cols[0]] ** 2 - 1.0 / 3.0)
        else:
            cols.append(z[:, t.cols[0]] * z[:, t.cols[1]])
    return np.column_stack(cols)


def _solve(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Coefficients, (X'X)^-1 and the residual sum of squares from the normal equations (the
    columns are centred and of order 1, so X'X is well scaled); None when X is (nearly) rank
    deficient."""
    xtx = x.T @ x
    if not np.isfinite(xtx).all():
        return None
    eig = np.linalg.eigvalsh(xtx)  # X'X is symmetric: its condition number from its eigenvalues
    if eig[0] <= eig[-1] / MAX_CONDITION:
        return None
    inv = np.linalg.inv(xtx)
    coef = inv @ (x.T @ y)
    return coef, inv, float(((y - x @ coef) ** 2).sum())


def _shares(coef: np.ndarray, inv: np.ndarray, groups: list[list[int]], sst: float) -> np.ndarray:
    """Unique sum of squares over SST: of each single column (b_j^2 / inv_jj, all at once), then of
    each group of columns."""
    d = np.diag(inv)
    single = coef[1:] ** 2 / d[1:] / sst
    multi = [float(coef[g] @ np.linalg.solve(inv[np.ix_(g, g)], coef[g])) / sst for g in groups]
    return np.concatenate([single, multi])


def analyse(
    u: np.ndarray,
    y: np.ndarray,
    names: list[str],
    dummy: str | None,
    resamples: int,
    rng: np.random.Generator,
) -> tuple[Fit | None, pd.DataFrame, str]:
    """Fit the model to the finite rows of ``y``; a table of terms (and each parameter's total)
    with coefficient, share and their intervals; a note (what was left out)."""
    ok = np.isfinite(y)
    u, y = np.asarray(u, float)[ok], y[ok]
    n = len(y)
    distinct = [len(np.unique(np.round(u[:, i], 12))) for i in range(u.shape[1])]
    terms, note = choose_terms(names, distinct, n, dummy)
    sst = float(((y - y.mean()) ** 2).sum()) if n else 0.0
    if not terms or sst <= 0:
        return None, pd.DataFrame(), note or "no regression: the metric is constant"
    x = matrix(u, terms)
    solved = _solve(x, y)
    if solved is None:
        return None, pd.DataFrame(), "no regression: the terms are collinear on these points"
    coef, inv, sse = solved
    groups = [[k + 1 for k, t in enumerate(terms) if i in t.cols] for i in range(len(names))]
    share = _shares(coef, inv, groups, sst)  # one per term, then one per variable (all its terms)
    boot_c = np.full((resamples, len(coef)), np.nan)
    boot_s = np.full((resamples, len(share)), np.nan)
    for b in range(resamples):
        idx = rng.integers(n, size=n)
        yb = y[idx]
        sb = float(((yb - yb.mean()) ** 2).sum())
        got = _solve(x[idx], yb) if sb > 0 else None
        if got is not None:
            boot_c[b], boot_s[b] = got[0], _shares(got[0], got[1], groups, sb)
    with np.errstate(invalid="ignore"):
        enough = np.isfinite(boot_c[:, 0]).sum() > 1
        c_conf = Z * np.nanstd(boot_c, axis=0, ddof=1) if enough else np.full(len(coef), np.nan)
        s_conf = Z * np.nanstd(boot_s, axis=0, ddof=1) if enough else np.full(len(share), np.nan)
    r2 = 1.0 - sse / sst
    p = len(coef)
    adj = 1.0 - (1.0 - r2) * (n - 1) / (n - p) if n > p else math.nan
    fit = Fit(names, terms, coef, r2, adj, n, note)
    rows = [
        {"term": t.name, "kind": t.kind, "parameters": " × ".join(dict.fromkeys(names[c] for c in t.cols)),
         "coef": float(coef[k + 1]), "coef_conf": float(c_conf[k + 1]),
         "share": float(share[k]), "share_conf": float(s_conf[k])}
        for k, t in enumerate(terms)
    ]  # fmt: skip
    for i, x_name in enumerate(names):
        g = len(terms) + i
        rows.append({"term": f"{x_name} (all terms)", "kind": "total", "parameters": x_name,
                     "coef": math.nan, "coef_conf": math.nan,
                     "share": float(share[g]), "share_conf": float(s_conf[g])})  # fmt: skip
    return fit, pd.DataFrame(rows), note


def surface(fit: Fit, i: int, j: int, n: int = 41) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fitted mean over variables ``i`` x ``j`` on an n x n unit grid, every other variable at
    the centre of its range (u = 0.5): (u_i grid, u_j grid, values[j, i])."""
    g = np.linspace(0.0, 1.0, n)
    ui, uj = np.meshgrid(g, g)
    u = np.full((ui.size, len(fit.names)), 0.5)
    u[:, i], u[:, j] = ui.ravel(), uj.ravel()
    return g, g, fit.predict(u).reshape(n, n)
