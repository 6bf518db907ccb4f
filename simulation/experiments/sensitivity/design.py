"""What a sweep's design holds: unit coordinates, repeated points, correlation between columns.

A design can hold the same parameter setting more than once: Saltelli's and Morris' schemes step one
column at a time, and a step of the dummy (which no config reads) or a step inside one bin of a
listed or integer parameter leaves the setting as it was. Such points cost runs (with their own
seeds) or, with common random numbers, are the same runs; either way they carry less information
than their number suggests, so the summary says how many distinct settings there are.

The largest absolute Pearson correlation between two columns of the unit-cube design says how far
a sampled design is from orthogonal: a correlated design lets one parameter's effect be credited
to another in any regression-like estimate.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def unit_coordinates(points: pd.DataFrame, specs: list[dict[str, Any]]) -> np.ndarray:
    """Each parameter on [0, 1] per point: the design's ``u:<path>`` where it has one, else the
    value's place in its range (in logs with ``log``) or in its list of values (numeric values by
    size, others by position)."""
    cols = []
    for spec in specs:
        p = spec["path"]
        if f"u:{p}" in points:
            cols.append(points[f"u:{p}"].to_numpy(float))
            continue
        v = points[p]
        if "values" in spec:
            vals = list(spec["values"])
            if _numeric(vals) and max(vals) > min(vals):
                lo, hi = float(min(vals)), float(max(vals))
                cols.append((v.to_numpy(float) - lo) / (hi - lo))
            else:
                pos = {repr(x): k for k, x in enumerate(vals)}
                k = max(len(vals) - 1, 1)
                cols.append(np.array([pos.get(repr(x), 0) / k for x in v], float))
            continue
        lo, hi = float(spec["low"]), float(spec["high"])
        x = v.to_numpy(float)
        if spec.get("log"):
            x, lo, hi = np.log(x), math.log(lo), math.log(hi)
        cols.append((x - lo) / (hi - lo) if hi > lo else np.full(len(x), 0.5))
    return np.column_stack(cols) if cols else np.empty((len(points), 0))


def value_at(spec: dict[str, Any], u: np.ndarray) -> np.ndarray:
    """Parameter values at unit coordinates ``u`` for a numeric range or numeric list (the inverse
    of :func:`unit_coordinates`, continuous: for axes of a response surface)."""
    if "values" in spec:
        lo, hi = float(min(spec["values"])), float(max(spec["values"]))
        return lo + u * (hi - lo)
    lo, hi = float(spec["low"]), float(spec["high"])
    if spec.get("log"):
        return np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
    return lo + u * (hi - lo)


def is_numeric(spec: dict[str, Any]) -> bool:
    """A range, or a list of numbers: something a response surface can have as an axis."""
    return "values" not in spec or (_numeric(list(spec["values"])) and len(set(spec["values"])) > 1)


def repeats(points: pd.DataFrame, params: list[str], dummy: str | None) -> dict[str, int]:
    """Points; distinct parameter settings; and the repeats split by kind: ``exact`` (the same
    point of the unit cube twice, e.g. two Morris trajectories crossing), ``dummy_only`` (differ
    only in the dummy: by design), ``binned`` (distinct unit coordinates that map onto the same
    listed or integer values)."""
    n = len(points)
    distinct = len(points[params].astype(str).drop_duplicates()) if params else n
    ucols = [f"u:{p}" for p in params if f"u:{p}" in points]
    if not ucols or len(ucols) < len(params):
        return {"points": n, "distinct": distinct, "exact": n - distinct, "dummy_only": 0, "binned": 0}
    with_dummy = ucols + ([f"u:{dummy}"] if dummy is not None and f"u:{dummy}" in points else [])
    distinct_all = len(points[with_dummy].round(12).drop_duplicates())
    distinct_u = len(points[ucols].round(12).drop_duplicates())
    return {
        "points": n,
        "distinct": distinct,
        "exact": n - distinct_all,
        "dummy_only": distinct_all - distinct_u,
        "binned": distinct_u - distinct,
    }


def max_correlation(u: np.ndarray, names: list[str]) -> tuple[float, str, str]:
    """The largest |Pearson correlation| between two columns of ``u`` and the pair (NaN when
    fewer than two varying columns)."""
    best = (math.nan, "", "")
    for i, j in itertools.combinations(range(u.shape[1]), 2):
        a, b = u[:, i], u[:, j]
        if np.ptp(a) == 0 or np.ptp(b) == 0:
            continue
        r = abs(float(np.corrcoef(a, b)[0, 1]))
        if not math.isfinite(best[0]) or r > best[0]:
            best = (r, names[i], names[j])
    return best


def describe(rep: dict[str, int], corr: tuple[float, str, str], kind: str, crn: bool) -> list[str]:
    """The design in sentences (for the summary)."""
    lines = []
    if rep["distinct"] < rep["points"]:
        parts = []
        if rep["exact"]:
            parts.append(f"{rep['exact']} repeat a point of the design exactly")
        if rep["dummy_only"]:
            same = "with common random numbers the same runs" if crn else "runs of their own, seed noise only"
            parts.append(f"{rep['dummy_only']} differ only in the dummy (by design; {same})")
        if rep["binned"]:
            parts.append(
                f"{rep['binned']} map distinct unit coordinates onto the same listed or integer values"
            )
        lines.append(
            f"the {rep['points']} points hold {rep['distinct']} distinct parameter settings"
            + (f": of the repeats, {'; '.join(parts)}" if parts else "")
        )
    else:
        lines.append(f"the {rep['points']} points are all distinct parameter settings")
    if math.isfinite(corr[0]) and kind != "grid":
        lines.append(
            f"largest |correlation| between two design columns: {corr[0]:.3f} (`{corr[1]}`, `{corr[2]}`)"
        )
    return lines
