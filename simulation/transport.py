"""The transport network: every link kept, travel times by shortest path, market access, commuting zones.

Links live in a ``networkx.MultiGraph`` keyed by (mode, line), so parallel links between two cities
(an HSR line beside an expressway) are all kept. A link whose opening year lies after the current year
is closed until then; ``set_year`` rebuilds the matrices when the set of open links changes.
Policy levers add links (``add_link``) or speed existing ones up (``scale_time``) with a start year.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0


def great_circle_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Pairwise great-circle distances (haversine) between points given in degrees."""
    la, lo = np.radians(lat), np.radians(lon)
    dla = la[:, None] - la[None, :]
    dlo = lo[:, None] - lo[None, :]
    h = np.sin(dla / 2) ** 2 + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin(dlo / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@dataclass(frozen=True)
class TimeChange:
    """A policy change to the network: a new link, or a time factor on existing links, from a year."""

    a: str
    b: str
    mode: str
    year: int
    time_min: float | None = None  # new link: its time
    km: float | None = None
    factor: float | None = None  # existing links of this mode between a and b: time *= factor
    line: str = "policy"


class Transport:
    """Travel times between cities for a given year, and what follows from them."""

    def __init__(
        self,
        city_ids: list[str],
        links: pd.DataFrame,
        lat: np.ndarray,
        lon: np.ndarray,
        *,
        intra_city_min: float,
        commute_limit_min: float,
        ma_decay_min: float,
        year: int,
    ) -> None:
        self.city_ids = list(city_ids)
        self.index = {c: i for i, c in enumerate(self.city_ids)}
        self.intra_city_min = float(intra_city_min)
        self.commute_limit_min = float(commute_limit_min)
        self.ma_decay_min = float(ma_decay_min)
        self.km = great_circle_km(np.asarray(lat, float), np.asarray(lon, float))
        self.graph = nx.MultiGraph()
        self.graph.add_nodes_from(self.city_ids)
        for row in links.itertuples(index=False):
            opened = getattr(row, "opened_year", np.nan)
            self.graph.add_edge(
                row.a,
                row.b,
                key=(row.mode, str(getattr(row, "line", ""))),
                mode=row.mode,
                line=str(getattr(row, "line", "")),
                km=float(row.km),
                base_time=float(row.time_min),
                time_min=float(row.time_min),
                opened_year=None if pd.isna(opened) else int(opened),
            )
        self.changes: list[TimeChange] = []
        self.year: int | None = None
        self._signature: tuple | None = None
        self.times = np.zeros((len(self.city_ids),) * 2)
        self.commute_zone = np.zeros_like(self.times, dtype=bool)
        self.decay = np.zeros_like(self.times)
        self.rebuilds = 0
        self.extra_zone: np.ndarray | None = None
        self.set_year(year)

    # --- policy hooks -------------------------------------------------------------------------
    def add_change(self, change: TimeChange) -> None:
        """Register a network change (a new link or a speed-up) that takes effect in ``change.year``."""
        for c in (change.a, change.b):
            if c not in self.index:
                raise KeyError(c)
        self.changes.append(change)
        if change.time_min is not None:
            self.graph.add_edge(
                change.a,
                change.b,
                key=(change.mode, change.line),
                mode=change.mode,
                line=change.line,
                km=float(
                    change.km
                    if change.km is not None
                    else self.km[self.index[change.a], self.index[change.b]] * 1.2
                ),
                base_time=float(change.time_min),
                time_min=float(change.time_min),
                opened_year=int(change.year),
            )
        year, self.year = self.year, None
        self.set_year(int(year))

    def set_extra_zone(self, zone: np.ndarray | None) -> None:
        """Pairs that belong to each other's commuting zone whatever the limit (city circles)."""
        self.extra_zone = None if zone is None else np.asarray(zone, bool)
        self._derive()

    # --- state for a year ---------------------------------------------------------------------
    def open_edges(self, year: int) -> list[tuple[str, str, tuple, dict]]:
        out = []
        for a, b, key, d in self.graph.edges(keys=True, data=True):
            if d["opened_year"] is None or d["opened_year"] <= year:
                out.append((a, b, key, d))
        return out

    def _edge_time(self, a: str, b: str, d: dict, year: int) -> float:
        t = d["base_time"]
        for ch in self.changes:
            if ch.factor is not None and ch.year <= year and ch.mode == d["mode"] and {ch.a, ch.b} == {a, b}:
                t *= ch.factor
        return t

    def set_year(self, year: int) -> bool:
        """Move the network to ``year``; returns True when the matrices were rebuilt."""
        edges = self.open_edges(year)
        timed = tuple(sorted((a, b, str(k), self._edge_time(a, b, d, year)) for a, b, k, d in edges))
        self.year = year
        if timed == self._signature:
            return False
        self._signature = timed
        best: dict[tuple[str, str], float] = {}
        for a, b, _k, t in timed:
            key = (a, b) if a <= b else (b, a)
            best[key] = min(best.get(key, np.inf), t)
        g = nx.Graph()
        g.add_nodes_from(self.city_ids)
        g.add_weighted_edges_from((a, b, t) for (a, b), t in best.items())
        n = len(self.city_ids)
        times = np.full((n, n), np.inf)
        for src, dist in nx.all_pairs_dijkstra_path_length(g, weight="weight"):
            i = self.index[src]
            for dst, t in dist.items():
                times[i, self.index[dst]] = t
        np.fill_diagonal(times, 0.0)
        # door to door: add the intra-city time at both ends, half each
        times = times + self.intra_city_min
        self.times = times
        self.fastest = g
        self.rebuilds += 1
        self._derive()
        return True

    def _derive(self) -> None:
        self.commute_zone = self.times <= self.commute_limit_min + self.intra_city_min
        if self.extra_zone is not None:
            self.commute_zone = self.commute_zone | self.extra_zone
        np.fill_diagonal(self.commute_zone, True)
        with np.errstate(over="ignore"):
            self.decay = np.exp(-self.times / self.ma_decay_min)

    def connected(self) -> bool:
        return bool(np.isfinite(self.times).all())

    def market_access(self, gdp: np.ndarray) -> np.ndarray:
        """MA_i = sum_j GDP_j exp(-t_ij / decay), own city included."""
        return self.decay @ np.asarray(gdp, float)

    def mode_edges(self, year: int | None = None) -> pd.DataFrame:
        """Open links of the given year (default: current) as a table, one row per link."""
        year = self.year if year is None else year
        rows = [
            dict(
                a=a,
                b=b,
                mode=d["mode"],
                line=d["line"],
                time_min=self._edge_time(a, b, d, year),
                km=d["km"],
                opened_year=d["opened_year"],
            )
            for a, b, _k, d in self.open_edges(year)
        ]
        return pd.DataFrame(rows, columns=["a", "b", "mode", "line", "time_min", "km", "opened_year"])
