"""Shocks as data: dated productivity shocks to a city, a province or the whole cluster.

A shock is a row of the ``[shocks]`` section: in ``year`` the productivity of the firms of
``sector`` (or of every sector) in ``scope`` is multiplied by ``1 + size``; in each later year
``persistence`` of the log-change is left, so the factor in year t >= year is

    (1 + size) ** (persistence ** (t - year))

``persistence = 0`` is a one-year shock that is fully undone the next year (a rebound);
``persistence = 1`` is a permanent level shift. Several shocks multiply.

The shock acts where production does: on the productivity shifter of the year's market-clearing
solve, so prices, wages, profits (entry and exit), incomes (talent and residents' moves), emissions
and budgets follow from it. What the default baseline replays (the 2020 epidemic year) and where its
sizes come from is in docs/calibration.md.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from simulation.params import SECTORS, P, Section

SCOPE_CLUSTER = "cluster"


class Shock(Section):
    """One dated productivity shock."""

    year: int = Field(ge=1990, le=2200, description="Year the shock hits")
    scope: str = Field(description="A city id, a province id, or 'cluster'")
    sector: Literal["all", "heavy", "manufacturing", "hightech", "services"] = Field(
        "all", description="Sector hit, or all"
    )
    size: float = Field(gt=-0.9, lt=1.0, description="Proportional change of productivity in the year")
    persistence: float = Field(
        0.0, ge=0, le=1, description="Share of the log-change left each later year (0 = one year only)"
    )
    source: str = Field("", description="Where the size comes from (data, fitted, scenario)")


# The 2020 epidemic year (2020年新冠肺炎疫情): real GDP growth in 2020 was -5.0% in Hubei, +3.8% in
# Hunan and +3.8% in Jiangxi (provincial statistical bulletins; the region's panel.csv), against
# 7.5%, 7.6% and 8.0% in 2019, and 12.9%, 7.7% and 8.8% in 2021. Size and persistence of each
# province's shock are fitted by `run.py calibrate` together with the productivity trend
# (production.tfp_growth) to those nine growth rates (2019 as the no-epidemic trend of 2020):
# calibrate archive 485bb1eec99d1a1e, docs/calibration.md. Hubei's loss is two-fifths undone in 2021
# (persistence 0.57); Hunan's is a lasting level shift (1.0, at the bound), Jiangxi's in between.
_FIT = "fitted, calibrate archive 485bb1eec99d1a1e (docs/calibration.md)"
EPIDEMIC_2020 = [
    Shock(year=2020, scope="hubei", size=-0.1282, persistence=0.5732,
          source=f"{_FIT}: size se 0.004, persistence se 0.04"),
    Shock(year=2020, scope="hunan", size=-0.03116, persistence=1.0,
          source=f"{_FIT}: size se 0.005, persistence se 0.16"),
    Shock(year=2020, scope="jiangxi", size=-0.03584, persistence=0.7898,
          source=f"{_FIT}: size se 0.005, persistence se 0.14"),
]  # fmt: skip


class ShocksSection(Section):
    """Dated shocks replayed by the run (the default baseline replays the 2020 epidemic year)."""

    enabled: bool = P(True, "Replay the listed shocks", "-", "on in the baseline: the observed 2020")
    events: list[Shock] = P(
        EPIDEMIC_2020,
        "Shocks (tables with year, scope, sector, size, persistence, source)",
        "-",
        "fitted, calibrate archive 485bb1eec99d1a1e: the three provinces' 2020 shocks "
        "(simulation/core/shocks.py, docs/calibration.md)",
    )

    def references(self) -> list[tuple[str, list[str]]]:
        """(field, names) of every region id the shocks name, to check against the region."""
        return [(f"shocks.events[{k}].scope", [e.scope]) for k, e in enumerate(self.events)]


def shock_factor(
    section: ShocksSection, year: int, city_ids: list[str], provinces: np.ndarray, province_ids: list[str]
) -> np.ndarray:
    """The (n, K) productivity factor of ``year``: the product of every shock's remaining part.

    Args:
        section: the shocks section.
        year: the model year.
        city_ids: the region's city ids, in model order.
        provinces: each city's province index (n,).
        province_ids: province ids, indexed by ``provinces``.
    """
    n = len(city_ids)
    log_f = np.zeros((n, len(SECTORS)))
    if not section.enabled:
        return np.ones_like(log_f)
    for e in section.events:
        if year < e.year:
            continue
        left = e.persistence ** (year - e.year) if year > e.year else 1.0
        if left == 0.0:
            continue
        rows = _rows(e.scope, city_ids, provinces, province_ids)
        cols = slice(None) if e.sector == "all" else SECTORS.index(e.sector)
        log_f[rows, cols] += np.log1p(e.size) * left
    return np.exp(log_f)


def _rows(scope: str, city_ids: list[str], provinces: np.ndarray, province_ids: list[str]) -> np.ndarray:
    if scope == SCOPE_CLUSTER:
        return np.ones(len(city_ids), bool)
    if scope in province_ids:
        return provinces == province_ids.index(scope)
    return np.array([c == scope for c in city_ids])
