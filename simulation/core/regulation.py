"""The baseline regulation path: dated total-emission targets and sector standards, as data.

Two kinds of row in the region's regulation.csv act on firms:

* ``target_kind = total`` (the five-year plans' binding totals, the Blue Sky plan): the cluster's
  emissions of the pollutant may change by at most the plan's yearly rate
  r = (1 + target_change) ** (1 / (end_year - base_year)) - 1 in each year of the plan; after the
  last plan the cap stays at its last level (no plan after it is assumed, and none is undone).
  Firms meet the cap by a command-and-control standard: every covered firm abates the same share,
  the smallest that keeps the cluster's emissions at the cap. Residents' and vehicles' air emissions
  count against it as they are; for COD and NH3-N, domestic sewage is cut by the same share by the
  cities' own sewage works (paid by the city budgets), measured from the data's collection rates, so
  sewage works a lever pays for come on top of the plan and do not loosen it for industry.
* ``target_kind = intensity`` or ``concentration`` with an ``intensity_change_per_year`` (sector
  standards such as ultra-low emission retrofits, the CO2-intensity targets): the allowed emissions
  per unit of output of the covered sectors fall by that rate in each year in force.
* ``pollutant = pm25, target_kind = concentration`` (the Blue Sky plan's and the five-year plans'
  binding PM2.5 targets for cities above the national standard of 35 µg/m3): a city above the
  standard in the plan's base year (or in 2019, for plans based before the model starts, taken to be
  on the plan's path) must follow the plan's path from there, PM2.5 <= anchor * (1 + r) ** (t -
  anchor year), held at its end-year value after the plan;
  where emissions alone do not get it there, its firms must cut SO2, NOx and primary PM further by
  a common share of the city, each city cutting its own firms given what the others cut
  (``concentration_cuts``). Where these targets bind, the PM2.5 path
  holds by construction; what the model adds is what meeting them costs, and where.

* ``scope_sector = non_industrial`` with an ``intensity_change_per_year``: residents' and vehicles'
  air emissions per resident fall by that rate in each year in force (the vehicle emission standards
  and the diesel-truck campaign, as realised in the national mobile-source reports). They cost the
  model nothing: the cost falls on vehicle owners and fleets, which the model does not carry.

Pace. The plans' written targets are floors; China's realised air-pollution cuts ran ahead of them
(its PM2.5 mean fell 30% in 2016-2020 against the 13th plan's -18% in five years for non-attainment
cities). ``environment.regulation_pace`` scales the yearly rate r of every industrial air row (SO2,
NOx, particulate totals and standards, PM2.5 paths) to (1 + r) ** pace - 1; it is fitted to the
2019-2021 PM2.5 changes of the observed panel (``run.py calibrate``), and 1 keeps the plans as written.

Rows for VOCs and energy are read and reported but do not act. Structural change is not assumed:
it is whatever the model's economy does, and lowers the abatement a total target needs.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from simulation.params import POLLUTANTS

SECTOR_NAMES = ("heavy", "manufacturing", "hightech", "services")
NON_INDUSTRIAL = "non_industrial"  # scope of rows that act on residents' and vehicles' emissions
P, K = len(POLLUTANTS), len(SECTOR_NAMES)


AIR_PACED = ("so2", "nox", "pm", "pm25")  # the air-pollution rows whose pace ``pace`` scales


def yearly_rate(row) -> float:
    """A plan's yearly change: (1 + target_change) ** (1 / years from its base year) - 1."""
    return (1.0 + float(row.target_change)) ** (1.0 / max(int(row.end_year) - int(row.base_year), 1)) - 1.0


def paced(rate: float, pace: float) -> float:
    """A yearly tightening ``rate`` < 0 at ``pace`` times its written speed: (1 + rate) ** pace - 1
    (pace 1: as written; 2: each year's cut compounds twice). A loosening rate is kept as it is."""
    return (1.0 + rate) ** pace - 1.0 if rate < 0 else rate


def _sectors(scope: str) -> list[int]:
    if scope == "all":
        return list(range(K))
    return [SECTOR_NAMES.index(scope)] if scope in SECTOR_NAMES else []


class Regulation:
    """Yearly floors on firms' abatement from the dated targets of ``table`` (None: no regulation)."""

    def __init__(self, table, start_year: int, pace: float = 1.0) -> None:
        self.start = start_year
        self.pace = pace  # realised pace of the air plans relative to their written targets
        rows = [] if table is None else list(table.itertuples(index=False))
        self.totals = [r for r in rows if r.target_kind == "total" and r.pollutant in POLLUTANTS]
        self.standards = [
            r for r in rows
            if r.target_kind != "total" and r.pollutant in POLLUTANTS
            and np.isfinite(float(r.intensity_change_per_year))
        ]  # fmt: skip
        self.allowed = np.ones((P, K))  # allowed intensity relative to 2019, by sector standards
        self.non_industrial = np.ones(P)  # residents' and vehicles' emissions per head, relative to 2019
        self.cap = np.full(P, np.nan)  # cluster emissions cap, t (nan: no total target yet)
        self.pm25_rows = [r for r in rows if r.pollutant == "pm25" and r.target_kind == "concentration"]
        self.pm25_anchor: dict[int, tuple[int, np.ndarray]] = {}
        self.year = start_year

    def total_rate(self, year: int, p: int) -> float | None:
        """The tightest yearly change allowed by the total targets in force in ``year``."""
        rates = [
            self._rate(r, yearly_rate(r))
            for r in self.totals
            if r.pollutant == POLLUTANTS[p] and int(r.start_year) <= year <= int(r.end_year)
        ]
        return min(rates) if rates else None

    def _rate(self, row, rate: float) -> float:
        """A row's yearly rate at the realised pace: industrial air rows only (the non-industrial
        rows are realised paths already; CO2, energy and water rows keep their written pace)."""
        if row.pollutant in AIR_PACED and row.scope_sector != NON_INDUSTRIAL:
            return paced(rate, self.pace)
        return rate

    def advance(self, year: int, emissions: np.ndarray) -> None:
        """Move to ``year``: tighten the sector standards and the caps (``emissions``: last year's, (P,))."""
        if year <= self.year:
            return
        self.year = year
        step = np.zeros((P, K))
        for r in self.standards:
            if int(r.start_year) <= year <= int(r.end_year):
                p = POLLUTANTS.index(r.pollutant)
                for k in _sectors(r.scope_sector):
                    step[p, k] = min(step[p, k], self._rate(r, float(r.intensity_change_per_year)))
        self.allowed = self.allowed * (1.0 + step)
        self.non_industrial = self.non_industrial * (1.0 + self._non_industrial_step(year))
        for p in range(P):
            rate = self.total_rate(year, p)
            if rate is not None:
                base = emissions[p] if np.isnan(self.cap[p]) else self.cap[p]
                self.cap[p] = base * (1.0 + rate)

    def _non_industrial_step(self, year: int) -> np.ndarray:
        """This year's change of emissions per resident from non-industrial rows (vehicle standards)."""
        step = np.zeros(P)
        for r in self.standards:
            if r.scope_sector == NON_INDUSTRIAL and int(r.start_year) <= year <= int(r.end_year):
                p = POLLUTANTS.index(r.pollutant)
                step[p] = min(step[p], float(r.intensity_change_per_year))
        return step

    def floors(
        self, p: int, sector: np.ndarray, unabated: np.ndarray, other: float, shared: bool = False
    ) -> tuple[np.ndarray, float]:
        """Each firm's abatement floor for pollutant ``p`` and the common share ``a`` of the cap.

        The floor is the firm's sector standard, raised to ``a`` where needed so that firm emissions
        plus ``other`` (non-firm sources) meet the cap. With ``shared`` the non-firm sources are cut
        by the same share ``a`` (municipal sewage works for COD and NH3-N: the plans' water targets
        were met by towns and industry together); without, they count against the cap as they are.
        """
        floor = 1.0 - self.allowed[p, sector]
        cap = self.cap[p]
        if np.isnan(cap):
            return floor, 0.0

        def excess(a: float) -> float:
            rest = other * (1.0 - a) if shared else other
            return float(unabated @ (1.0 - np.maximum(floor, a))) + rest - cap

        if excess(0.0) <= 0:
            return floor, 0.0
        top = 1.0 - 1e-12
        a = brentq(excess, 0.0, top, xtol=1e-12) if excess(top) < 0 else top
        return np.maximum(floor, a), a

    def note_pm25(self, year: int, pm25: np.ndarray) -> None:
        """Record each PM2.5 plan's anchor: the cities' levels in its base year (or the first year)."""
        for k, r in enumerate(self.pm25_rows):
            if k not in self.pm25_anchor and year == max(int(r.base_year), self.start):
                self.pm25_anchor[k] = (year, pm25.copy())

    def pm25_targets(self, year: int, n: int, standard: float) -> np.ndarray:
        """Each city's PM2.5 ceiling in ``year`` (inf where no plan holds it), the tightest plan."""
        out = np.full(n, np.inf)
        for k, r in enumerate(self.pm25_rows):
            if k not in self.pm25_anchor or year < int(r.start_year) or year <= self.pm25_anchor[k][0]:
                continue
            y0, level = self.pm25_anchor[k]
            rate = self._rate(r, yearly_rate(r))
            path = level * (1.0 + rate) ** (min(year, int(r.end_year)) - y0)
            out = np.minimum(out, np.where(level > standard, path, np.inf))
        return out


def concentration_cuts(
    target: np.ndarray, background: np.ndarray, kappa: np.ndarray, spill: np.ndarray,
    free: np.ndarray, firm: np.ndarray, area: np.ndarray, kept: np.ndarray, most: float = 0.95,
    rounds: int = 1000, damping: float = 0.5,
) -> np.ndarray:  # fmt: skip
    """Extra cut x_c of firms' PM2.5-forming emissions in each city held to a target, so that
    PM2.5_c <= target_c, each city cutting its own firms (the responsibility of the city's own
    government, 属地责任) given what the others cut.

    PM2.5_c = background_c + kappa_c * sum_j spill_cj (free_j + firm_j (1 - x_j)) / area_j, with
    ``free`` the sources firms do not control and ``firm`` the firms' PM2.5-weighted emissions (t).
    Cuts already ordered stay in force (``kept``: a standard is not undone); cities without a target
    cut nothing more. Solved by damped Jacobi rounds, x_c += damping * gap_c / (own effect of a full
    cut), each within [kept_c, most]; the neighbours' cuts help a city only through the spillover.
    """
    held = np.isfinite(target)
    x = kept.copy()
    if not held.any():
        return x
    own = kappa * np.diag(spill) * firm / area
    for _ in range(rounds):
        pm = background + kappa * (spill @ ((free + firm * (1 - x)) / area))
        gap = np.where(held, pm - target, 0.0)
        step = np.divide(gap, own, out=np.zeros_like(gap), where=own > 0)
        new = np.where(held, np.clip(x + damping * step, kept, most), kept)
        if np.max(np.abs(new - x)) < 1e-12:
            return new
        x = new
    return x
