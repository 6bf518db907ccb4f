"""What a metric's indices allow one to say: convergence warnings and the headline.

The headline ranks by the method's key index (Sobol ST, Morris mu*, delta, a grid's main-effect
share) and names a "most influential" parameter only when its 95% interval separates: its lower
bound lies above the upper bound of the next parameter and of the dummy (the noise floor; 0 when the
design has none). Otherwise it says "not resolved" and how large the design would have to be:
interval half-widths shrink about as 1/sqrt(N), so the top and a competitor c separate at

    N' = N * ((w_top + w_c) / (v_top - v_c))^2

(v an index, w its half-width; the largest N' over the competitors that overlap; a power of 2 for
Sobol). N is the design's sample count (Sobol base samples, Morris trajectories, LHS/random points)
or, for a grid, whose intervals come from the replicates, the replicates.

Warnings (:func:`convergence_warnings`): a total-order index above 1, a first-order index below 0
by more than its interval, and intervals wider than the index itself (2w > |v|): signs that the
estimator has not converged at this N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

KEY = {"sobol": "ST", "morris": "mu_star", "delta": "delta", "grid": "S1"}
NAME = {"ST": "ST", "mu_star": "mu*", "delta": "delta", "S1": "main-effect share"}
MAX_FACTOR = 64  # beyond this a suggestion is not worth a number


@dataclass(frozen=True)
class Verdict:
    """The headline of one metric: ``resolved`` (a "most influential" parameter), the top
    parameter, the text (markdown), the suggested N (None when none can be read off)."""

    resolved: bool
    top: str | None
    text: str
    suggest: int | None


def _f(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else "n/a"


def _span(v: float, w: float) -> str:
    return f"{_f(v)}, 95% interval {_f(v - w)} to {_f(v + w)}"


def _round_up(n: float, pow2: bool) -> int:
    n = max(1, math.ceil(n))
    return 1 << (n - 1).bit_length() if pow2 else n


def verdict(
    rows: pd.DataFrame, key: str, n_now: int, unit: str, pow2: bool = False, dummy: str | None = None
) -> Verdict:
    """The headline for one metric's rows (columns parameter, ``key``, ``key``_conf).

    Args:
        rows: one row per variable, the dummy's included (when ``dummy`` names it).
        key: the index to rank by; n_now: the design's current N; unit: what N counts
            ("samples" or "replicates"); pow2: N must be a power of 2 (Sobol).
    """
    conf = f"{key}_conf"
    real = rows[rows["parameter"] != dummy].sort_values(key, ascending=False, kind="stable")
    floor = rows[rows["parameter"] == dummy] if dummy is not None else rows.iloc[0:0]
    name = NAME.get(key, key)
    if real.empty or not math.isfinite(float(real[key].iloc[0])):
        return Verdict(False, None, "not resolved: no index could be computed", None)
    top = real.iloc[0]
    v, w = float(top[key]), float(top[conf])
    p = f"`{top['parameter']}`"
    if not math.isfinite(w):
        how = (
            "with one replicate a grid has no interval: run 2 or more"
            if unit == "replicates"
            else "no interval"
        )
        return Verdict(
            False, str(top["parameter"]), f"not resolved: {p} leads ({name} {_f(v)}) but {how}", None
        )
    rivals = []  # (label, value, half-width)
    if len(real) > 1:
        nxt = real.iloc[1]
        rivals.append((f"`{nxt['parameter']}`", float(nxt[key]), float(nxt[conf])))
    if len(floor):
        rivals.append(("the dummy", float(floor[key].iloc[0]), float(floor[conf].iloc[0])))
    else:
        rivals.append(("zero", 0.0, 0.0))
    rivals = [(lab, rv, rw if math.isfinite(rw) else 0.0) for lab, rv, rw in rivals if math.isfinite(rv)]
    overlap = [(lab, rv, rw) for lab, rv, rw in rivals if not v - w > rv + rw]
    if not overlap:
        above = " and ".join(f"{lab} (up to {_f(rv + rw)})" for lab, rv, rw in rivals)
        return Verdict(
            True, str(top["parameter"]), f"most influential {p} ({name} {_span(v, w)}; above {above})", None
        )
    factors, stuck = [], []
    for lab, rv, rw in overlap:
        gap = v - rv
        if gap <= 0:
            stuck.append(lab)
        else:
            factors.append(((w + rw) / gap) ** 2)
    with_ = " and ".join(f"{lab} ({_span(rv, rw)})" for lab, rv, rw in overlap)
    head = f"not resolved: {p} ({name} {_span(v, w)}) overlaps {with_}"
    if stuck:
        return Verdict(
            False,
            str(top["parameter"]),
            f"{head}; its estimate is not above that of {' and '.join(stuck)}, so the intervals give no "
            f"{unit} to aim for: lower the seed noise (see the replicates advice) or check that the metric "
            "responds to the swept ranges",
            None,
        )
    factor = max(factors)
    if factor > MAX_FACTOR:
        return Verdict(
            False,
            str(top["parameter"]),
            f"{head}; the estimates are too close to separate (more than {MAX_FACTOR}x the {unit}, "
            f"now {n_now})",
            None,
        )
    need = _round_up(n_now * factor, pow2)
    return Verdict(False, str(top["parameter"]), f"{head}; raise {unit} to ~{need:,} (now {n_now:,})", need)


def convergence_warnings(rows: pd.DataFrame, method: str, dummy: str | None = None) -> list[str]:
    """Warnings for one metric's rows: ST > 1, S1 < 0 beyond its interval, intervals wider than
    the index (real parameters only: the dummy's index is meant to be near zero)."""
    real = rows[rows["parameter"] != dummy]
    out: list[str] = []

    def names(mask: pd.Series) -> str:
        return ", ".join(f"`{x}`" for x in real.loc[mask, "parameter"])

    if "ST" in real:
        big = real["ST"] > 1
        if big.any():
            out.append(f"ST > 1 for {names(big)}: the Sobol estimator has not converged at this N")
    if "S1" in real and "S1_conf" in real:
        neg = (real["S1"] + real["S1_conf"]) < 0
        if neg.any():
            out.append(f"S1 below 0 beyond its interval for {names(neg)}: the estimator has not converged")
    cols = [KEY[method]] + (["S1"] if method in ("sobol", "delta") else [])
    for col in cols:
        if f"{col}_conf" not in real:
            continue
        wide = 2 * real[f"{col}_conf"] > real[col].abs()
        if wide.any():
            label = {"mu_star": "mu*"}.get(col, col)
            out.append(f"{label} interval wider than the index for {names(wide)}")
    return out
