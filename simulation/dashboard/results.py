"""Honest what-if results for the page: a scenario paired with its baseline over several seeds.

``run_paired(cfg, seeds, scale)`` runs, for every seed, the baseline (``cfg`` with every lever
section back to its default, i.e. off) and the scenario with that same seed (common random
numbers), at ``scale`` times the config's agent counts. It returns a :class:`PairedResult`: every
run's yearly model table and a few city columns as numpy arrays, from which the page reads the mean
effect of each metric, year by year and aggregated, with a 95% t interval over the seeds (the same
statistics as ``run.py compare``, ``simulation.experiments.compare``).

Pure and picklable: no Solara import, inputs a pydantic ``Config`` and ints, outputs a dataclass of
numpy arrays and small pandas frames, so a worker pool can run it in other processes. The page calls
it through the module-level hook :data:`RUNNER`, which a pool may replace (``RUNNER = run_paired``
here). The parts are public so a pool can cache each side run by content: :func:`run_side` (one
config, one seed, one scale) and :func:`pair` (side runs -> result); ``run_paired`` is just both.

Seeds: the page uses :func:`simulation.experiments.compare.replicate_seeds` of the root seed, so its full
result is the one ``run.py compare BASE SCENARIO --replicates N`` gives with the same root seed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation.config import Config, validate
from simulation.experiments.validate.estimators import t_summary
from simulation.model import MiddleYangtzeModel
from simulation.workers import shared_region

CONFIDENCE = 0.95
CORRIDOR_LINE = "city_circle corridor"
# city-table columns kept per run (year x city): what the map and the city table show
CITY_COLUMNS = (
    "gdp", "population", "talent", "air_quality", "water_quality", "emissions_air",
    "emissions_water", "emissions_cod", "real_income_per_capita", "commuters_out", "commuters_in",
    "rent_index", "land_used_km2", "land_capacity_km2", "budget_lever_net", "heavy_firms",
)  # fmt: skip
# derived model columns: name -> (columns summed, sign). Fiscal cost = the levers' net outlay of
# every public budget (cities, provinces, centre), 100m yuan a year; zero in the baseline.
DERIVED = {"fiscal_cost": (("lever_net_city", "lever_net_province", "lever_net_central"), -1.0)}


def lever_sections() -> tuple[str, ...]:
    """Every lever's config section, in the registry's order (all eleven, not only the first six)."""
    from simulation.policies import LEVERS, _register

    if not LEVERS:
        _register()
    return tuple(LEVERS)


def lever_defaults() -> dict[str, Any]:
    """The default (off) raw section of every lever."""
    d = Config().model_dump(mode="json")
    return {k: d[k] for k in lever_sections()}


def baseline_of(cfg: Config) -> Config:
    """The scenario's baseline: the same config with every lever section at its default (off)."""
    raw = cfg.model_dump(mode="json")
    raw.update(lever_defaults())
    return validate(raw, "<baseline>")


def scaled(cfg: Config, scale: float) -> Config:
    """``cfg`` with ``scale`` times its talent and firm agents (at least the allowed minimum)."""
    if scale == 1.0:
        return cfg
    if not 0 < scale <= 1:
        raise ValueError(f"scale {scale!r} (allowed: 0 < scale <= 1)")
    fields = type(cfg.scale).model_fields
    lo_t = _lower(fields["talent_agents"])
    lo_f = _lower(fields["firm_agents"])
    raw = cfg.model_dump(mode="json")
    raw["scale"]["talent_agents"] = max(lo_t, round(cfg.scale.talent_agents * scale))
    raw["scale"]["firm_agents"] = max(lo_f, round(cfg.scale.firm_agents * scale))
    return validate(raw, "<scaled>")


def _lower(f) -> int:
    for m in f.metadata:
        if getattr(m, "ge", None) is not None:
            return int(m.ge)
    return 1


# ---------------------------------------------------------------------------- one side, one seed
@dataclass(frozen=True)
class SideRun:
    """One run's outputs, trimmed to what the page reads."""

    seed: int
    years: np.ndarray  # (n_years,) int
    model: dict[str, np.ndarray]  # model-table column -> (n_years,)
    city_ids: tuple[str, ...]
    cities: dict[str, np.ndarray]  # CITY_COLUMNS -> (n_years, n_cities)
    edges: pd.DataFrame  # links open in the last year, with a 'highlight' flag for lever corridors
    wall_s: float
    commute: np.ndarray | None = None  # (n_cities, n_cities) home x work commuters of the last year


def run_side(cfg: Config, seed: int, scale: float = 1.0) -> SideRun:
    """Run ``cfg`` with ``seed`` at ``scale`` to its last year."""
    t0 = time.perf_counter()
    region = shared_region(cfg.run.region)  # read once per process, a private copy each run
    model = MiddleYangtzeModel(scaled(cfg, scale), rng=int(seed), region=region).run()
    tables = model.tables()
    m, c = tables["model"], tables["cities"]
    years = m["year"].to_numpy(int)
    cols = {k: m[k].to_numpy(float) for k in m.columns if k != "year" and _numeric(m[k])}
    for name, (parts, sign) in DERIVED.items():
        cols[name] = sign * sum(cols.get(p, np.zeros(len(years))) for p in parts)
    ids = tuple(str(x) for x in c.loc[c["year"] == years[0], "city"])
    stacked = _year_by_year(c, years, ids)
    per_city = {k: _wide(c, k, years, ids, stacked) for k in CITY_COLUMNS if k in c.columns}
    commute = commute_matrix(tables["flows"], ids, int(years[-1]))
    return SideRun(int(seed), years, cols, ids, per_city, edges_of(model), time.perf_counter() - t0, commute)


def _year_by_year(c: pd.DataFrame, years: np.ndarray, ids: tuple[str, ...]) -> bool:
    """Whether the cities table holds every year in turn, each with the cities in ``ids`` order
    (as the model writes it)."""
    n_y, n_c = len(years), len(ids)
    if len(c) != n_y * n_c:
        return False
    city = c["city"].to_numpy(object)
    return np.array_equal(c["year"].to_numpy(), np.repeat(years, n_c)) and bool(
        (city == np.array(ids * n_y, object)).all()
    )


def _wide(c: pd.DataFrame, column: str, years: np.ndarray, ids: tuple[str, ...], stacked: bool) -> np.ndarray:
    """(years, cities) of one city column: a reshape where the table is ``stacked`` year by year,
    else pandas' pivot."""
    if stacked:
        return c[column].to_numpy(float).reshape(len(years), len(ids))
    wide = c.pivot(index="year", columns="city", values=column).reindex(index=years, columns=list(ids))
    return wide.to_numpy(float)


def commute_matrix(flows: pd.DataFrame, ids: Sequence[str], year: int) -> np.ndarray:
    """Commuters from home city (row) to work city (column) in ``year``, persons (zeros if none)."""
    out = np.zeros((len(ids), len(ids)))
    f = flows[(flows["kind"] == "commute") & (flows["year"] == year)]
    pos = {c: i for i, c in enumerate(ids)}
    for o, d, n in zip(f["origin"], f["destination"], f["count"], strict=True):
        if o in pos and d in pos:
            out[pos[o], pos[d]] += float(n)
    return out


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def edges_of(model: MiddleYangtzeModel) -> pd.DataFrame:
    """Links open in the model's current year, flagged where the circle lever built or sped them."""
    tr = model.transport
    year = model.year
    e = tr.mode_edges(year)
    sped = {
        (frozenset((ch.a, ch.b)), ch.mode) for ch in tr.changes if ch.factor is not None and ch.year <= year
    }
    e["highlight"] = [
        str(line).startswith(CORRIDOR_LINE) or (frozenset((a, b)), mode) in sped
        for a, b, mode, line in zip(e["a"], e["b"], e["mode"], e["line"], strict=True)
    ]
    return e


# ---------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Effect:
    """Mean paired effect of one metric with its 95% t interval over the seeds."""

    base: float  # mean baseline level
    scen: float  # mean scenario level
    diff: float  # mean of scenario - baseline
    lo: float
    hi: float
    pct: float  # mean of the per-seed % change (NaN where the baseline is 0)
    pct_lo: float
    pct_hi: float
    n: int

    @property
    def significant(self) -> bool:
        """The interval of the difference (and of the % change, where defined) excludes zero."""
        return _excludes_zero(self.lo, self.hi) and (
            math.isnan(self.pct) or _excludes_zero(self.pct_lo, self.pct_hi)
        )


def _excludes_zero(lo: float, hi: float) -> bool:
    return not (math.isnan(lo) or math.isnan(hi)) and (lo > 0 or hi < 0)


def effect(base: np.ndarray, scen: np.ndarray, confidence: float = CONFIDENCE) -> Effect:
    """Paired statistics of per-seed values ``base`` and ``scen`` (aligned by seed)."""
    base, scen = np.asarray(base, float), np.asarray(scen, float)
    d, lo, hi, _sd, n = t_summary(scen - base, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(base != 0, (scen - base) / np.abs(base) * 100.0, np.nan)
    if np.isfinite(pct).any():
        p, plo, phi, _, _ = t_summary(pct, confidence)
    else:
        p = plo = phi = math.nan
    return Effect(float(base.mean()), float(scen.mean()), d, lo, hi, p, plo, phi, n)


AGGS = ("final", "cum", "mean")


@dataclass(frozen=True)
class PairedResult:
    """Paired runs of a scenario and its baseline over ``seeds`` (index 0 of every array)."""

    seeds: tuple[int, ...]
    scale: float
    years: np.ndarray  # (n_years,)
    columns: tuple[str, ...]
    base: np.ndarray  # (n_seeds, n_years, n_columns)
    scen: np.ndarray
    city_ids: tuple[str, ...]
    city_columns: tuple[str, ...]
    base_cities: np.ndarray  # (n_seeds, n_years, n_cities, n_city_columns)
    scen_cities: np.ndarray
    edges_base: pd.DataFrame
    edges_scen: pd.DataFrame
    wall_s: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    commute_base: np.ndarray | None = None  # (n_seeds, n_cities, n_cities) last-year home x work
    commute_scen: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.seeds)

    @property
    def start_year(self) -> int:
        return int(self.years[0])

    @property
    def end_year(self) -> int:
        return int(self.years[-1])

    def has(self, column: str) -> bool:
        return column in self.columns

    def paths(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(baseline, scenario) values of a model column: arrays (n_seeds, n_years)."""
        j = self.columns.index(column)
        return self.base[:, :, j], self.scen[:, :, j]

    def yearly(self, column: str) -> list[Effect]:
        """The effect in every year (the base year included: identical sides, no effect)."""
        b, s = self.paths(column)
        return [effect(b[:, t], s[:, t]) for t in range(len(self.years))]

    def summary(self, column: str, agg: str = "final") -> Effect:
        """The effect of the last year (``final``), of the sum over the simulated years 2020-end
        (``cum``) or of their mean (``mean``); the base year is calibrated and left out."""
        b, s = self.paths(column)
        if agg == "final":
            return effect(b[:, -1], s[:, -1])
        if agg not in AGGS:
            raise ValueError(f"agg {agg!r} (allowed: {', '.join(AGGS)})")
        sel = slice(1, None) if len(self.years) > 1 else slice(None)
        f = np.sum if agg == "cum" else np.mean
        return effect(f(b[:, sel], axis=1), f(s[:, sel], axis=1))

    def city_paths(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(baseline, scenario) of a city column: arrays (n_seeds, n_years, n_cities)."""
        j = self.city_columns.index(column)
        return self.base_cities[:, :, :, j], self.scen_cities[:, :, :, j]

    def city_effects(self, column: str, year: int | None = None) -> pd.DataFrame:
        """Per city (index: city id) the effect in ``year`` (default: the last): base, scen, diff,
        lo, hi, pct, pct_lo, pct_hi, significant."""
        t = -1 if year is None else int(np.flatnonzero(self.years == year)[0])
        b, s = self.city_paths(column)
        rows = []
        for i in range(len(self.city_ids)):
            e = effect(b[:, t, i], s[:, t, i])
            rows.append({**e.__dict__, "significant": e.significant})
        return pd.DataFrame(rows, index=pd.Index(self.city_ids, name="city"))

    def commute_means(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Mean last-year commuters home x work (baseline, scenario) over the seeds, if recorded."""
        if self.commute_base is None or self.commute_scen is None:
            return None
        return self.commute_base.mean(axis=0), self.commute_scen.mean(axis=0)

    def yearly_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per (metric, year): the mean levels, the effect and its interval (for CSV)."""
        rows = []
        for c in columns if columns is not None else self.columns:
            if not self.has(c):
                continue
            for y, e in zip(self.years, self.yearly(c), strict=True):
                rows.append({"metric": c, "year": int(y), **e.__dict__, "significant": e.significant})
        return pd.DataFrame(rows)


def pair(
    cfg: Config,
    seeds: Sequence[int],
    scale: float,
    base_runs: Sequence[SideRun],
    scen_runs: Sequence[SideRun],
    wall_s: float = 0.0,
) -> PairedResult:
    """Stack side runs (aligned by seed) into a :class:`PairedResult`."""
    if len(base_runs) != len(scen_runs) or len(base_runs) != len(seeds) or not seeds:
        raise ValueError("pair: one baseline and one scenario run per seed are needed")
    for sd, b, s in zip(seeds, base_runs, scen_runs, strict=True):
        if not (b.seed == s.seed == int(sd)) or not np.array_equal(b.years, s.years):
            raise ValueError(f"pair: runs of seed {sd} are not paired (seeds or years differ)")
    runs = [*base_runs, *scen_runs]
    names: list[str] = []
    for r in runs:
        names.extend(k for k in r.model if k not in names)
    n_years = len(base_runs[0].years)

    def stack(side: Sequence[SideRun]) -> np.ndarray:
        zeros = np.zeros(n_years)  # a column a run did not write (e.g. no spending on a purpose)
        return np.stack([np.stack([r.model.get(k, zeros) for k in names], axis=1) for r in side])

    ccols = tuple(k for k in CITY_COLUMNS if all(k in r.cities for r in runs))

    def stack_c(side: Sequence[SideRun]) -> np.ndarray:
        return np.stack([np.stack([r.cities[k] for k in ccols], axis=2) for r in side])

    meta = {
        "config": cfg.model_dump(mode="json"),
        "run_s": [r.wall_s for r in runs],
    }
    has_commute = all(getattr(r, "commute", None) is not None for r in runs)
    sides = (base_runs, scen_runs)
    commute = [np.stack([r.commute for r in side]) if has_commute else None for side in sides]
    return PairedResult(
        tuple(int(s) for s in seeds), float(scale), base_runs[0].years.copy(), tuple(names),
        stack(base_runs), stack(scen_runs), base_runs[0].city_ids, ccols, stack_c(base_runs),
        stack_c(scen_runs), base_runs[0].edges, scen_runs[0].edges, wall_s, meta, *commute,
    )  # fmt: skip


def run_paired(cfg: Config, seeds: Sequence[int], scale: float = 1.0) -> PairedResult:
    """Baseline and scenario for every seed (common random numbers), at ``scale``; see the module."""
    t0 = time.perf_counter()
    base_cfg = baseline_of(cfg)
    base = [run_side(base_cfg, s, scale) for s in seeds]
    scen = [run_side(cfg, s, scale) for s in seeds]
    return pair(cfg, seeds, scale, base, scen, time.perf_counter() - t0)


# the page calls ``results.RUNNER(cfg, seeds, scale)``; a worker pool may put its own here
RUNNER = run_paired

__all__ = [
    "CITY_COLUMNS", "DERIVED", "Effect", "PairedResult", "RUNNER", "SideRun",
    "baseline_of", "effect", "lever_defaults", "lever_sections", "pair", "run_paired", "run_side",
    "scaled",
]  # fmt: skip
