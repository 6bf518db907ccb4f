"""The moments of the calibration: what the model is asked to reproduce over 2019-2021.

Each :class:`Moment` names a statistic of a run (computed from a :class:`RunSummary`), its target
(an :class:`~simulation.calibrate.targets.Observed` value, or None where no source has one) and the
target's standard deviation ``target_sd``: how far the observed value itself may be from the truth
the model should hit. ``target_sd`` is a judgement stated per series in :data:`TARGET_SD`; the
weighting matrix adds the model's own seed noise to it (``simulation.calibrate.smm``).

Moments, fit window 2019-2021:

- ``gdp_growth_<year>_<province>``: real GDP growth of the province's cluster cities in 2020 and
  2021 against the province's published growth (the whole province: the cluster's cities are most,
  not all, of it);
- ``trend_growth_<province>``: growth in 2020 of a run with the shocks switched off, against the
  province's 2019 growth: the assumption that without the epidemic 2020 would have grown as 2019
  did (Hubei's own pre-epidemic target for 2020 was about 7.5%, its 2019 growth 7.5%);
- ``talent_move_rate``, ``population_move_rate``: the yearly share of talent / of the general
  population changing home city inside the cluster, 2020-2021 mean, against the stated aims;
- ``pm25_change_<scope>``, ``population_growth_<scope>``: for every scope where the panel has both
  ends of a span inside the window (PM2.5 from 2019; population on the post-census basis, 2020 on).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulation.calibrate.targets import Observed, Targets

WINDOW = (2019, 2021)
PROVINCES = ("hubei", "hunan", "jiangxi")
# standard deviation of each kind of target (percentage points), a judgement stated here once:
TARGET_SD = {
    # first-published provincial growth; later vintages move levels by up to ~0.7% (PANEL_NOTES.md:
    # Nanchang 2020 GDP first 5745.51, revised 5783.32), so growth by a few tenths of a point
    "gdp_real_growth": 0.3,
    # 2019's growth as the no-epidemic 2020: uncertain by about a year's slowdown of China's growth
    "trend": 0.5,
    "talent_move_rate": 0.5,  # a quarter of the stated range 1-3%
    "population_move_rate": 0.25,  # a quarter of the stated ~1%
    "pm25_change": 5.0,  # year-to-year weather moves a city's annual mean by several per cent
    "population_growth": 0.5,  # year-end residents between censuses are sample estimates
}


@dataclass(frozen=True)
class RunSummary:
    """What the moments need from one run: years x cities arrays and cluster counts by year."""

    years: tuple[int, ...]
    city_ids: tuple[str, ...]
    provinces: tuple[str, ...]
    gdp: np.ndarray
    population: np.ndarray
    pm25: np.ndarray
    talent: np.ndarray  # cluster talent persons by year
    general: np.ndarray  # cluster general population by year
    talent_migration: np.ndarray  # persons changing home city inside the cluster, by year
    population_migration: np.ndarray

    def row(self, year: int) -> int:
        return self.years.index(year)

    def cities_of(self, scope: str) -> np.ndarray:
        if scope == "cluster":
            return np.ones(len(self.city_ids), bool)
        if scope in self.provinces:
            return np.array([p == scope for p in self.provinces])
        return np.array([c == scope for c in self.city_ids])


@dataclass(frozen=True)
class Moment:
    """One moment: its statistic, its target and how sure the target is."""

    name: str
    description: str
    unit: str
    scope: str
    years: tuple[int, int]
    run: str  # "shocked" or "no_shock"
    statistic: Callable[[RunSummary], float]
    target: Observed | None
    target_sd: float
    note: str = ""
    by_construction: bool = False  # an identity of the year-0 inversion: reported, never weighted

    @property
    def available(self) -> bool:
        """Whether the moment has a target and enters the objective."""
        return not self.by_construction and self.target is not None and math.isfinite(self.target.value)


def growth(series: str, scope: str, y0: int, y1: int) -> Callable[[RunSummary], float]:
    def stat(s: RunSummary) -> float:
        sel = s.cities_of(scope)
        a = getattr(s, series)
        return 100.0 * (float(a[s.row(y1), sel].sum()) / float(a[s.row(y0), sel].sum()) - 1.0)

    return stat


def mean_change(series: str, scope: str, y0: int, y1: int) -> Callable[[RunSummary], float]:
    """Change in % of the simple mean over the scope's cities (PM2.5 is a concentration)."""

    def stat(s: RunSummary) -> float:
        a = getattr(s, series)[:, s.cities_of(scope)]
        return 100.0 * (float(a[s.row(y1)].mean()) / float(a[s.row(y0)].mean()) - 1.0)

    return stat


def move_rate(count: str, stock: str, y0: int, y1: int) -> Callable[[RunSummary], float]:
    def stat(s: RunSummary) -> float:
        c, k = getattr(s, count), getattr(s, stock)
        rates = [c[s.row(y)] / k[s.row(y - 1)] for y in range(y0 + 1, y1 + 1)]
        return 100.0 * float(np.mean(rates))

    return stat


def _pair(targets: Targets, scope: str, series: str, y0: int, y1: int) -> Observed | None:
    a, b = targets.get(scope, y0, series), targets.get(scope, y1, series)
    if a is None or b is None:
        return None
    kinds = sorted({a.kind, b.kind}, key=lambda k: ["official", "compilation", "estimate"].index(k)
                   if k in ("official", "compilation", "estimate") else 9)  # fmt: skip
    return Observed(
        100.0 * (b.value / a.value - 1.0), "pct", f"{y0}: {a.source}; {y1}: {b.source}",
        kinds[-1], a.origin if a.origin == b.origin else f"{a.origin} + {b.origin}",
        f"{y0} {a.value:g}, {y1} {b.value:g} {a.unit}",
    )  # fmt: skip


def gdp_moments(targets: Targets) -> list[Moment]:
    out = []
    for year in (2020, 2021):
        for p in PROVINCES:
            out.append(Moment(
                f"gdp_growth_{year}_{p}", f"real GDP growth {year}, {p} (model: its cluster cities)",
                "pct", p, (year - 1, year), "shocked", growth("gdp", p, year - 1, year),
                targets.get(p, year, "gdp_real_growth"), TARGET_SD["gdp_real_growth"],
                "observed: the whole province; model: the province's cluster cities",
            ))  # fmt: skip
    for p in PROVINCES:
        out.append(Moment(
            f"trend_growth_{p}", f"no-shock growth 2020 vs observed 2019 growth, {p}", "pct", p,
            (2019, 2020), "no_shock", growth("gdp", p, 2019, 2020),
            targets.get(p, 2019, "gdp_real_growth"), TARGET_SD["trend"],
            "assumption: without the epidemic 2020 would have grown as 2019 did",
        ))  # fmt: skip
    return out


def rate_moments(targets: Targets) -> list[Moment]:
    y0, y1 = WINDOW
    return [
        Moment(
            "talent_move_rate", "talent changing home city inside the cluster, share a year", "pct",
            "cluster", WINDOW, "shocked", move_rate("talent_migration", "talent", y0, y1),
            targets.get("cluster", 2020, "talent_move_rate"), TARGET_SD["talent_move_rate"],
            "stated aim, no observed series in the panel",
        ),
        Moment(
            "population_move_rate", "general population changing home city, share a year", "pct",
            "cluster", WINDOW, "shocked", move_rate("population_migration", "general", y0, y1),
            targets.get("cluster", 2020, "population_move_rate"), TARGET_SD["population_move_rate"],
            "stated aim, no observed series in the panel",
        ),
    ]  # fmt: skip


def panel_moments(targets: Targets, region_scopes: set[str]) -> list[Moment]:
    """PM2.5 and population changes wherever the panel has both ends of a span in the window."""
    out = []
    spans = {"pm25": [(2019, 2021), (2019, 2020), (2020, 2021)], "population": [(2020, 2021)]}
    for series, pairs in spans.items():
        seen: set[str] = set()
        for y0, y1 in pairs:
            for scope in targets.scopes_with(series, (y0, y1)):
                if scope in seen or scope not in region_scopes:
                    continue
                seen.add(scope)
                obs = _pair(targets, scope, series, y0, y1)
                if series == "pm25":
                    out.append(Moment(
                        f"pm25_change_{scope}", f"PM2.5 change {y0}-{y1}, {scope}", "pct", scope,
                        (y0, y1), "shocked", mean_change("pm25", scope, y0, y1), obs,
                        TARGET_SD["pm25_change"],
                        "provinces: the release's key cities vs the model's cluster cities",
                    ))  # fmt: skip
                else:
                    out.append(Moment(
                        f"population_growth_{scope}", f"resident population growth {y0}-{y1}, {scope}",
                        "pct", scope, (y0, y1), "shocked", growth("population", scope, y0, y1), obs,
                        TARGET_SD["population_growth"], "year-end residents, post-census basis",
                    ))  # fmt: skip
    return out


def max_error(series: str, data: np.ndarray) -> Callable[[RunSummary], float]:
    """Largest relative gap (%) over the cities between the model's base year and ``data``."""

    def stat(s: RunSummary) -> float:
        have = np.isfinite(data) & (data > 0)
        return 100.0 * float(np.max(np.abs(getattr(s, series)[0][have] / data[have] - 1.0)))

    return stat


def identity_moments(cities) -> list[Moment]:
    """The year-0 identities (docs/calibration.md section 1), reported as hit by construction."""
    data = {
        "gdp": (cities["gdp_2019_100m_yuan"].to_numpy(float), "cities.csv gdp_2019_100m_yuan"),
        "population": (cities["population_2020_10k"].to_numpy(float) * 1e4,
                       "cities.csv population_2020_10k (2020 census)"),
        "pm25": (cities["pm25_2019"].to_numpy(float) if "pm25_2019" in cities else
                 np.full(len(cities), np.nan), "city_environment.csv pm25_2019"),
    }  # fmt: skip
    out = []
    for series, (values, source) in data.items():
        if not np.isfinite(values).any():
            continue
        obs = Observed(0.0, "pct", source, "official", "region data", "largest gap over the cities")
        out.append(Moment(
            f"base_year_{series}", f"2019 {series} by city: largest gap to the data", "pct", "cluster",
            (2019, 2019), "shocked", max_error(series, values), obs, 0.0,
            "hit by construction: the year-0 inversion solves for it", by_construction=True,
        ))  # fmt: skip
    return out


def build_moments(targets: Targets, cities) -> list[Moment]:
    """Every moment of the fit window, those without a target included (they are reported, not
    weighted), and the year-0 identities (reported as hit by construction). ``cities``: the
    region's city table, in model order."""
    scopes = {*cities.index, *PROVINCES}
    fitted = gdp_moments(targets) + rate_moments(targets) + panel_moments(targets, scopes)
    return fitted + identity_moments(cities)
