"""Simulated method of moments: the weighting, a budgeted fit, standard errors, identification.

Notation: theta the k fitted parameters, m(theta) the mean over R seeds of the simulated moments
(the same seeds at every theta: common random numbers), t the targets. The objective is

    Q(theta) = (m(theta) - t)' W (m(theta) - t),   W = diag(1 / (tau_j^2 + s_j^2 / R)),

tau_j the target's standard deviation and s_j the moment's standard deviation over seeds at the
start point, so W is the inverse of the variance of each moment condition (data plus simulation
noise; the moments are treated as independent). The fit works in coordinates u in [0, 1]^k (u = 0
at a parameter's lower bound, 1 at its upper) and runs :func:`scipy.optimize.least_squares`
(trust-region reflective, bounds [0, 1]) on the residuals sqrt(W)(m - t). Its Jacobian starts from
a given matrix (the screening's mean elementary effects: no evaluation spent on it) and is updated
by Broyden's rank-one rule from every evaluated point, so each evaluation of the budget is one
candidate point. When the budget is spent the best point seen is the estimate.

Standard errors are the asymptotic SMM ones from the Jacobian G = dm/dtheta at the estimate:
V = (G'WG)^-1 G'W Omega W G (G'WG)^-1 with Omega = diag(tau^2 + s^2/R) at the estimate (= W^-1
up to the seed variance's change), i.e. the delta method for targets measured with error tau and a
mean over R seeds; they are local and assume the model is right (the J statistic tests that).
The sensitivity Lambda = -(G'WG)^-1 G'W (Andrews, Gentzkow & Shapiro 2017, QJE 132(4)) says how
much each estimate moves when one target moves: which moment identifies which parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

INSIDE = 0.005  # start points are moved this share of the range inside the box (trf needs it)


class BudgetSpent(Exception):
    """Raised inside the fit when the evaluation budget is used up."""


def weights(target_sd: np.ndarray, seed_sd: np.ndarray, seeds: int, available: np.ndarray) -> np.ndarray:
    """Diagonal of W: 1 / (tau^2 + s^2 / R) where a target exists, 0 elsewhere."""
    var = target_sd**2 + seed_sd**2 / seeds
    return np.where(available & (var > 0), 1.0 / np.where(var > 0, var, 1.0), 0.0)


@dataclass
class Residuals:
    """sqrt(W)(m(u) - t) of single points, counted against ``budget`` and remembered.

    ``moments(u)`` returns the mean moments at u (normalised coordinates).
    """

    moments: Callable[[np.ndarray], np.ndarray]
    target: np.ndarray
    weight: np.ndarray
    budget: int
    history: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    cache: dict[bytes, np.ndarray] = field(default_factory=dict)

    def __call__(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, float)
        key = u.tobytes()
        if key in self.cache:
            return self.cache[key]
        if len(self.history) >= self.budget:
            raise BudgetSpent
        m = np.asarray(self.moments(u), float)
        r = np.sqrt(self.weight) * np.nan_to_num(m - self.target, nan=0.0)
        self.cache[key] = r
        self.history.append((u.copy(), r))
        return r

    def best(self) -> tuple[np.ndarray, float]:
        costs = [float(r @ r) for _, r in self.history]
        i = int(np.argmin(costs))
        return self.history[i][0], costs[i]


class BroydenJacobian:
    """The residuals' Jacobian for least_squares: ``j0`` first, then Broyden ("good") rank-one
    updates from every point evaluated since the last call, against the last point it was asked at."""

    def __init__(self, residuals: Residuals, j0: np.ndarray) -> None:
        self.res = residuals
        self.J = np.array(j0, float)
        self.base: tuple[np.ndarray, np.ndarray] | None = None
        self.seen = 0

    def __call__(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, float)
        r_u = self.res(u)
        if self.base is not None:
            bu, br = self.base
            for y, r_y in self.res.history[self.seen :]:
                s = y - bu
                ss = float(s @ s)
                if ss > 0:
                    self.J += np.outer(r_y - br - self.J @ s, s) / ss
        self.base = (u.copy(), r_u)
        self.seen = len(self.res.history)
        return self.J.copy()


@dataclass(frozen=True)
class FitResult:
    u: np.ndarray  # the estimate, normalised
    cost: float  # sum of squared weighted residuals (the objective Q)
    start_cost: float
    evaluations: int
    status: str
    history: list[tuple[np.ndarray, np.ndarray]]


def fit(
    moments: Callable[[np.ndarray], np.ndarray], target: np.ndarray, weight: np.ndarray,
    u0: np.ndarray, j0: np.ndarray, budget: int,
) -> FitResult:  # fmt: skip
    """Minimise Q over u in [0, 1]^k within ``budget`` evaluations of ``moments``.

    Args:
        moments: u -> mean moments (length m; NaN where a moment cannot be computed counts 0).
        target, weight: t and diag(W) (weight 0: reported, not fitted).
        u0: the start (moved INSIDE the box if on a bound).
        j0: a first Jacobian of the *moments* in u (m x k); scaled by sqrt(W) here.
        budget: most evaluations of ``moments`` (>= 1).
    """
    u0 = np.clip(np.asarray(u0, float), INSIDE, 1.0 - INSIDE)
    res = Residuals(moments, np.asarray(target, float), np.asarray(weight, float), int(budget))
    r0 = res(u0)
    jac = BroydenJacobian(res, np.sqrt(res.weight)[:, None] * np.asarray(j0, float))
    status = "budget spent"
    try:
        out = optimize.least_squares(
            res, u0, jac=jac, bounds=(0.0, 1.0), method="trf", x_scale=1.0,
            ftol=1e-8, xtol=1e-8, gtol=1e-8, max_nfev=int(budget) + 1,
        )  # fmt: skip
        status = "budget spent" if out.status == 0 else f"converged: {out.message}"
    except BudgetSpent:
        pass
    u, cost = res.best()
    return FitResult(u, cost, float(r0 @ r0), len(res.history), status, res.history)


def forward_jacobian(
    batch: Callable[[np.ndarray], np.ndarray], u: np.ndarray, step: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """dm/du at ``u`` by forward differences of ``step`` (backward where a step would leave [0, 1]):
    ``batch`` maps a (p, k) array of points to (p, m) mean moments; returns (G_u, m(u))."""
    steps = np.where(u + step <= 1.0, step, -step)
    points = np.vstack([u[None, :], u[None, :] + np.diag(steps)])
    m = batch(points)
    return ((m[1:] - m[0][None, :]) / steps[:, None]).T, m[0]


@dataclass(frozen=True)
class Inference:
    cov: np.ndarray  # k x k, parameter units
    se: np.ndarray
    sensitivity: np.ndarray  # k x m, d estimate / d target
    j_stat: float
    dof: int
    p_value: float
    condition: float  # of G'WG with the parameters scaled to their ranges


def inference(
    G: np.ndarray, weight: np.ndarray, omega: np.ndarray, resid: np.ndarray, ranges: np.ndarray
) -> Inference:
    """Standard errors, sensitivity and the J test at the estimate.

    Args:
        G: dm/dtheta (m x k) in parameter units. weight: diag(W). omega: diag(Omega) at the
        estimate. resid: m - t at the estimate. ranges: upper - lower of each parameter.
    """
    W = np.diag(weight)
    A = G.T @ W @ G
    scaled = A * np.outer(ranges, ranges)
    cond = float(np.linalg.cond(scaled)) if scaled.size else float("nan")
    k, used = G.shape[1], int((weight > 0).sum())
    if not scaled.size or not np.isfinite(cond) or cond > 1e12:
        nan = np.full((k, k), np.nan)
        return Inference(nan, np.full(k, np.nan), np.full((k, len(weight)), np.nan), np.nan, used - k,
                         np.nan, cond)  # fmt: skip
    Ainv = np.linalg.inv(A)
    cov = Ainv @ G.T @ W @ np.diag(omega) @ W @ G @ Ainv
    lam = -Ainv @ G.T @ W
    j_stat = float(np.sum(weight * np.nan_to_num(resid) ** 2))
    dof = used - k
    p = float(stats.chi2.sf(j_stat, dof)) if dof > 0 else float("nan")
    return Inference(cov, np.sqrt(np.clip(np.diag(cov), 0, None)), lam, j_stat, dof, p, cond)
