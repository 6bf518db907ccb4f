"""Talent: the table of talent agents and their location choice (home and work), over arrays.

Each reviewing agent chooses a home city i (or the coast, the outside option) and, given i, a work
city j within i's commuting zone. Utility is nested:

    U(i, j) = amenity_i - housing_w ln rent_i - pollution_w ln PM2.5_i
              + (wage_w / eps) IV_i, IV_i = log sum_j exp(eps ln w_j + dest_w ln J_j
                                                  - commute_cost t_ij - commute_fixed [j != i])
              - [i != o] (move_cost + time_elast ln(t_oi / 60) + border [prov_i != prov_o])
              - hukou_city [i != h] - hukou_province [prov_i != prov_h]
    U(coast) = c0 + skill_coast_w ln skill

with Gumbel errors, so P(j | i) is a logit over the commuting zone and P(i) a logit over homes with
the inclusive value of the work part. J_j is the number of jobs at j (last year's employment): the
destination term of gravity commuting models (Ahlfeldt et al. 2015; Monte, Redding &
Rossi-Hansberg 2018), which makes large employment centres receive commuters from their
satellites. Agents sharing (origin, hukou, skill bin) share probabilities, so the choice is computed
once per class and then sampled for every agent with one uniform draw each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from simulation.core.table import AgentTable

SKILL_BINS = 4


@dataclass
class ChoiceParams:
    """Utility weights in force this year (levers change some of them)."""

    housing_weight: float
    pollution_weight: float
    wage_weight: float
    commute_cost_per_hour: float
    commute_fixed_cost: float
    move_cost: float
    time_elasticity: float
    border_cost: np.ndarray  # (P, P): origin province x destination province, zero diagonal
    hukou_cost_city: np.ndarray  # (P + 1, P): hukou province (last row: outside) x home province
    hukou_cost_province: np.ndarray  # (P + 1, P), zero where the provinces match
    skill_coast_weight: float
    commute_discount: np.ndarray | None = None  # (N, N) share of commuting cost waived (circles)
    destination_weight: float = 0.0  # utility per log job at the work city
    commute_elasticity: float | None = None  # wage elasticity of the work choice (None: wage_weight)


class TalentTable(AgentTable):
    """One row (slot) per talent agent; ``uid`` is its stable identity, keying its random streams."""

    COLUMNS: ClassVar[dict[str, tuple[type, float]]] = {
        "home": (np.int32, -1),
        "work": (np.int32, -1),
        "hukou": (np.int32, -1),
        "skill": (np.float64, 0),
        "age": (np.int16, 0),
        "uid": (np.uint64, 0),
    }


def pick_by_weight(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index drawn in proportion to ``weights`` by each uniform in ``u`` (inverse CDF)."""
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(weights) - 1).astype(np.int32)


def skill_bins(skill: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.searchsorted(edges, skill).astype(np.int32)


def work_part(
    log_wage: np.ndarray,
    invehicle_h: np.ndarray,
    zone: np.ndarray,
    p: ChoiceParams,
    log_jobs: np.ndarray | None = None,
):
    """Inclusive value of the work choice per home and the CDF of work city given home."""
    n = len(log_wage)
    away = ~np.eye(n, dtype=bool)
    cost = p.commute_cost_per_hour * invehicle_h + p.commute_fixed_cost * away
    if p.commute_discount is not None:  # city circles: integrated fares and services
        cost = cost * (1 - p.commute_discount)
    eps = p.wage_weight if p.commute_elasticity is None else p.commute_elasticity
    v = eps * log_wage[None, :] - cost
    if log_jobs is not None:
        v = v + p.destination_weight * log_jobs[None, :]
    v = np.where(zone, v, -np.inf)
    vmax = v.max(axis=1, keepdims=True)
    e = np.exp(v - vmax)
    s = e.sum(axis=1, keepdims=True)
    # the home choice values the work nest at the home choice's own wage weight (nested logit)
    iv = (vmax + np.log(s))[:, 0] * (p.wage_weight / eps if eps > 0 else 1.0)
    cdf = np.cumsum(e / s, axis=1)
    cdf[:, -1] = 1.0
    return iv, cdf


def home_utilities(
    origin: np.ndarray,
    hukou: np.ndarray,
    sbin_logskill: np.ndarray,
    *,
    base: np.ndarray,
    prov: np.ndarray,
    hours: np.ndarray,
    p: ChoiceParams,
    coast_const: float,
    outside_hukou: int,
    stay_bonus: float = 0.0,
) -> np.ndarray:
    """Utilities (classes x (N homes + coast)) for classes given by origin, hukou, log skill.

    The moving terms depend on the origin alone and the hukou terms on the hukou alone, so both are
    tabulated over every origin (N x N) and hukou (N + 1 x N) and gathered per class; each element
    is computed by the same operations in the same order as for a single class.
    """
    n = len(base)
    cities = np.arange(n)
    every = cities[:, None]  # each origin, and each hukou city
    moved = cities[None, :] != every
    t_log = np.log(np.maximum(hours, 1e-3))
    border = p.border_cost[prov][:, prov]  # (N, N)
    move = moved * (p.move_cost + p.time_elasticity * t_log + border)
    u = np.empty((len(origin), n + 1))
    u[:, :n] = base[None, :]
    u[:, :n] -= move[origin]
    if stay_bonus != 0:
        u[:, :n] += (stay_bonus * ~moved)[origin]
    # hukou rows 0..N-1: a city of the cluster; row N (``outside_hukou``): from outside
    not_h = np.vstack([cities[None, :] != every, np.ones((1, n), bool)])
    prov_h = np.r_[prov, p.hukou_cost_city.shape[0] - 1]  # last row of the cost tables: outside
    hukou_cost = p.hukou_cost_city[prov_h][:, prov] * not_h + p.hukou_cost_province[prov_h][:, prov]
    u[:, :n] -= hukou_cost[np.where(hukou < outside_hukou, hukou, n)]
    u[:, n] = coast_const + p.skill_coast_weight * sbin_logskill
    return u


def softmax_rows(u: np.ndarray) -> np.ndarray:
    e = np.exp(u - u.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


GROUPED_ROWS = 64  # CDFs with at most this many rows (the work choice: one per home city) go row by row


def sample_rows(cdf: np.ndarray, rows: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Index of the option chosen by each agent: first column whose CDF exceeds its uniform draw.

    That is the number of the row's CDF values <= the draw: for a CDF of few rows, a binary search
    of each row for its agents' draws (the same count: a row's values below 1 never decrease, and
    those above or at it are all above every draw), else a comparison with every column."""
    if 0 < cdf.shape[0] <= GROUPED_ROWS and len(rows):
        return _sample_by_row(cdf, rows, uniforms)
    out = np.empty(len(rows), np.int32)
    # chunks keep the boolean temporary small at a million agents
    step = max(1, 4_000_000 // max(cdf.shape[1], 1))
    for s in range(0, len(rows), step):
        c = cdf[rows[s : s + step]]
        out[s : s + step] = (uniforms[s : s + step, None] >= c).sum(axis=1)
    return np.minimum(out, cdf.shape[1] - 1)


def _sample_by_row(cdf: np.ndarray, rows: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    order = np.argsort(rows, kind="stable")
    ends = np.cumsum(np.bincount(rows, minlength=cdf.shape[0]))
    out = np.empty(len(rows), np.int64)
    start = 0
    for r, end in enumerate(ends):
        if end > start:
            idx = order[start:end]
            out[idx] = np.searchsorted(cdf[r], uniforms[idx], side="right")
        start = end
    return np.minimum(out, cdf.shape[1] - 1).astype(np.int32)


def class_codes(origin, hukou, sbin, n_hukou: int) -> tuple[np.ndarray, np.ndarray]:
    code = (origin.astype(np.int64) * n_hukou + hukou) * SKILL_BINS + sbin
    return np.unique(code, return_inverse=True)


def decode(codes: np.ndarray, n_hukou: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sbin = codes % SKILL_BINS
    rest = codes // SKILL_BINS
    return (rest // n_hukou).astype(np.int64), (rest % n_hukou).astype(np.int64), sbin.astype(np.int64)


def choice_probabilities(classes, n_hukou, bin_logskill, **kw) -> np.ndarray:
    origin, hukou, sbin = decode(classes, n_hukou)
    return softmax_rows(home_utilities(origin, hukou, bin_logskill[sbin], **kw))
