"""Exogenous paths that follow an observed national series while it lasts, then a trend.

Two of the model's inputs from outside the cluster are observed, not modelled, for the years the
data cover: China's mean PM2.5 (the background of the cluster's air, ``core.environment``) and China's
real GDP growth (the rest of China's spending on the cluster's goods, ``model.py``). Both are an
index relative to the model's first year: the observed level ratio while the series lasts, then a
constant yearly trend from its last observed year.
"""

from __future__ import annotations

from collections.abc import Mapping


def follow_index(levels: Mapping[int, float], start: int, year: int, trend: float) -> float:
    """``levels[last] / levels[start] * (1 + trend) ** (year - last)``, with ``last`` the latest
    observed year not after ``year``; without an observed ``start``, the trend from ``start``."""
    if start not in levels:
        return (1 + trend) ** (year - start)
    last = max(y for y in levels if y <= year) if any(y <= year for y in levels) else start
    return levels[last] / levels[start] * (1 + trend) ** (year - last)


def levels_from_growth(growth_pct: Mapping[int, float], start: int) -> dict[int, float]:
    """A level index (``start`` = 1) from yearly growth rates in per cent, for the unbroken run of
    years after ``start`` that the rates cover (a gap ends the observed path)."""
    out, level, year = {start: 1.0}, 1.0, start + 1
    while year in growth_pct:
        level *= 1.0 + growth_pct[year] / 100.0
        out[year] = level
        year += 1
    return out
