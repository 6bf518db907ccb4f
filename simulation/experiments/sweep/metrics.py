"""Sweep metrics: their names, their checks and their values (docs/sweeps.md, "Metrics").

A metric names one number per run, computed from the run's own tables::

    gdp_final              a model-table column aggregated over the years: final (the last year),
                           cum / total (sum over the simulated years), mean, max, min (over them)
    gdp@wuhan_final        the same for one city's row of the cities table
    pm25@2030              a column's value in one year (model table)
    gdp@wuhan@2030         ... of one city
    delta:gdp_final        any of the above minus its value in the run's lever-off baseline: the
                           same config with every lever switched off and the same seed (common
                           random numbers), so the difference is the levers' effect in that run

``pm25`` is another name for ``air_quality`` (population-weighted PM2.5, µg/m³). Names are checked
strictly before any run (:func:`check_metrics`): an unknown column, city, year, aggregate or a delta
that no lever could make is refused with the allowed values.

Per point, :func:`point_stats` gives the number of completed replicates, the mean, the standard
deviation, a 95% interval of the mean (Student t) and percentiles over the replicates.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation import limits
from simulation.config import Config, validate
from simulation.params import ConfigError

AGGS = ("final", "cum", "mean", "total", "max", "min")
DELTA = "delta:"
ALIASES = {"pm25": "air_quality"}
DEFAULT_PERCENTILES = (5.0, 50.0, 95.0)
MAX_PERCENTILES = 9
_YEAR = re.compile(r"^(?P<rest>.+)@(?P<year>\d{4})$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CITY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Metric:
    """One parsed metric name (see the module docstring)."""

    name: str
    column: str
    city: str | None = None
    year: int | None = None
    agg: str | None = None
    delta: bool = False

    @property
    def table(self) -> str:
        return "cities" if self.city is not None else "model"

    @property
    def plain(self) -> str:
        """The name without ``delta:``: the value in each of the run and its baseline."""
        return self.name.removeprefix(DELTA)


SYNTAX = (
    "<column>_<agg>, <column>@<city>_<agg>, <column>@<year>, <column>@<city>@<year>, each optionally "
    f"prefixed with delta:; agg one of {', '.join(AGGS)}"
)


def parse_metric(name: str) -> Metric:
    """The parts of a metric name.

    Raises:
        ValueError: the name does not follow :data:`SYNTAX` (the message says which part).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"{name!r} (allowed: {SYNTAX})")
    delta = name.startswith(DELTA)
    body = name.removeprefix(DELTA)
    year: int | None = None
    agg: str | None = None
    m = _YEAR.match(body)
    if m:
        body, year = m.group("rest"), int(m.group("year"))
    else:
        body, _, agg = body.rpartition("_")
        if not body or agg not in AGGS:
            raise ValueError(f"{name!r}: no aggregate or year at the end (allowed: {SYNTAX})")
    column, _, city = body.partition("@")
    if not _NAME.match(column):
        raise ValueError(f"{name!r}: {column!r} is not a column name (allowed: {SYNTAX})")
    if _ and not _CITY.match(city):
        raise ValueError(f"{name!r}: {city!r} is not a city name (allowed: {SYNTAX})")
    return Metric(name, ALIASES.get(column, column), city or None, year, agg, delta)


def default_metrics() -> tuple[str, ...]:
    """The cluster headline metrics of ``compare`` (``gdp_final``, ``emissions_air_cum``, ...)."""
    from simulation.experiments.headline import METRICS

    return tuple(m.name for m in METRICS)


# ---------------------------------------------------------------------------- checks
table_columns = limits.table_columns  # the columns a run of a config writes (cached)


def lever_names() -> tuple[str, ...]:
    """The config sections of the policy levers (the registry of :mod:`simulation.policies`)."""
    from simulation import policies

    if not policies.LEVERS:
        policies._register()
    return tuple(policies.LEVERS)


def lever_off(data: dict[str, Any]) -> dict[str, Any]:
    """A resolved config (as plain data) with every lever off: each lever's section at its defaults
    (all off), since a lever that is off reads none of its settings. Runs that differ only in the
    settings of levers that are off then share one content address."""
    defaults = Config().model_dump(mode="json")
    out = dict(data)
    for name in lever_names():
        if name in out:
            out[name] = {**defaults[name], "enabled": False}
    return out


def any_lever_on(data: dict[str, Any]) -> bool:
    return lever_off(data) != data


def _allowed(name: str, what: str, value: str, choices: Iterable[str]) -> str:
    choices = sorted(choices)
    near = difflib.get_close_matches(value, choices, n=3)
    hint = f"did you mean {', '.join(near)}? " if near else ""
    return f"{name!r}: unknown {what} {value!r} ({hint}allowed: {', '.join(choices)})"


def check_metrics(
    names: list[str],
    cfg: Config,
    file: str,
    *,
    years: tuple[int, int] | None = None,
    levers_on: bool | None = None,
    fld: str = "sweep.metrics",
) -> tuple[Metric, ...]:
    """Parse and check every metric against what a run of ``cfg`` records.

    Args:
        names: the metric names.
        cfg: the base config (its region names the cities; its tables the columns).
        file: the file named in errors.
        years: the years every run covers (default: ``cfg``'s start to end year).
        levers_on: whether any run has a lever on (delta metrics need one); default: ``cfg``'s.
        fld: the field named in errors.

    Raises:
        ConfigError: naming ``fld``: bad syntax, a name given twice, an unknown column (with the
            columns of that table), city (with the region's cities), year (with the range), or a
            delta metric when no lever is on or the lever-off baseline lacks the column.
    """
    metrics: list[Metric] = []
    for name in names:
        try:
            metrics.append(parse_metric(name))
        except ValueError as err:
            raise ConfigError(file, fld, str(err)) from None
    dup = next((m.name for i, m in enumerate(metrics) if m.name in [x.name for x in metrics[:i]]), None)
    if dup:
        raise ConfigError(file, fld, f"{dup!r} given twice (allowed: each metric once)")
    first, last = years or (cfg.run.start_year, cfg.run.end_year)
    for m in metrics:
        if m.year is not None and not first <= m.year <= last:
            raise ConfigError(file, fld, f"{m.name!r}: year {m.year} (allowed: {first} to {last})")
    if any(m.city for m in metrics):
        from simulation.limits import check_region

        cities = list(check_region(cfg.run.region, file).cities.index)
        for m in metrics:
            if m.city is not None and m.city not in cities:
                raise ConfigError(file, fld, _allowed(m.name, "city", m.city, cities))
    data = cfg.model_dump(mode="json")
    if any(m.delta for m in metrics) and not (any_lever_on(data) if levers_on is None else levers_on):
        raise ConfigError(
            file,
            fld,
            f"{next(m.name for m in metrics if m.delta)!r}: no lever is on in this sweep, so every run is "
            "its own lever-off baseline (allowed: delta metrics when a lever is enabled in [set], "
            "the base config or a swept parameter)",
        )
    _check_columns(metrics, cfg, data, file, fld)
    return tuple(metrics)


def _check_columns(metrics: list[Metric], cfg: Config, data: dict[str, Any], file: str, fld: str) -> None:
    from simulation.experiments.headline import METRICS

    known = {m.column for m in METRICS}
    if all(m.table == "model" and m.column in known and not m.delta for m in metrics):
        return  # the headline columns exist in every run: no probe run needed
    model, cities = table_columns(cfg)
    off = table_columns(validate(lever_off(data), file)) if any(m.delta for m in metrics) else None
    for m in metrics:
        have = (cities if m.city else model) - {"year", "city"}
        if m.column not in have:
            raise ConfigError(file, fld, _allowed(m.name, f"column of the {m.table} table", m.column, have))
        if off is not None and m.delta and m.column not in (off[1] if m.city else off[0]):
            raise ConfigError(
                file,
                fld,
                f"{m.name!r}: the lever-off baseline has no column {m.column!r} (a lever's own output) "
                "(allowed: delta of a column that runs with the levers off also write)",
            )


def check_percentiles(file: str, value: Any, fld: str = "sweep.percentiles") -> tuple[float, ...]:
    """``[sweep] percentiles``: 1 to 9 distinct numbers in [0, 100], returned sorted."""
    allowed = f"a list of 1 to {MAX_PERCENTILES} distinct numbers from 0 to 100, e.g. [5, 50, 95]"
    ok = isinstance(value, list) and 0 < len(value) <= MAX_PERCENTILES
    ok = ok and all(isinstance(q, int | float) and not isinstance(q, bool) for q in value)
    if not ok or not all(0 <= q <= 100 for q in value) or len(set(value)) != len(value):
        raise ConfigError(file, fld, f"{value!r} (allowed: {allowed})")
    return tuple(sorted(float(q) for q in value))


# ---------------------------------------------------------------------------- values
def _aggregate(years: np.ndarray, values: np.ndarray, m: Metric, start: int) -> float:
    if len(values) == 0:
        return math.nan
    if m.year is not None:
        hit = values[years == m.year]
        return float(hit[0]) if len(hit) else math.nan
    if m.agg == "final":
        return float(values[-1])
    horizon = values[years > start] if (years > start).any() else values
    fn = {"cum": np.sum, "total": np.sum, "mean": np.mean, "max": np.max, "min": np.min}[str(m.agg)]
    return float(fn(horizon))


def table_values(
    model: pd.DataFrame, cities: pd.DataFrame | None, metrics: Iterable[Metric]
) -> dict[str, float]:
    """Each metric's value (without ``delta:``, keyed by :attr:`Metric.plain`) in one run's model
    and cities tables; NaN where the column, the city or the year is missing."""
    model = model.sort_values("year", kind="stable")
    start = int(model["year"].min()) if len(model) else 0
    out: dict[str, float] = {}
    for m in metrics:
        if m.city is None:
            df = model
        else:
            df = (
                cities[cities["city"] == m.city].sort_values("year", kind="stable")
                if cities is not None
                else None
            )
        if df is None or m.column not in df.columns:
            out[m.plain] = math.nan
            continue
        out[m.plain] = _aggregate(df["year"].to_numpy(), df[m.column].to_numpy(dtype=float), m, start)
    return out


def metric_values(model: pd.DataFrame, names: tuple[str, ...] | list[str]) -> dict[str, float]:
    """Summary metrics of one run's model table (cluster metrics, no ``delta:``): ``<column>_<agg>``
    or ``<column>@<year>``; "final" is the last year, "cum"/"total" a sum, "mean", "max", "min" over
    the simulated years (after the base year), as in ``compare``. A column the table lacks gives NaN."""
    return table_values(model, None, [parse_metric(n) for n in names])


def frame_values(frame: pd.DataFrame, metrics: Iterable[Metric]) -> dict[str, float]:
    """:func:`table_values` of a run file's frame (rows with ``table`` == model | cities)."""
    model = frame[frame["table"] == "model"]
    cities = frame[frame["table"] == "cities"]
    return table_values(model, cities, metrics)


def run_values(
    own: dict[str, float], baseline: dict[str, float] | None, metrics: Iterable[Metric]
) -> dict[str, float]:
    """Every metric of a run from the plain values of the run and of its baseline."""
    out = {}
    for m in metrics:
        value = own.get(m.plain, math.nan)
        if m.delta:
            value = value - (baseline or {}).get(m.plain, math.nan)
        out[m.name] = value
    return out


def needed_columns(metrics: Iterable[Metric]) -> list[str]:
    return sorted({m.column for m in metrics})


# ---------------------------------------------------------------------------- per point
def percentile_column(q: float) -> str:
    """``p5``, ``p50``, ``p97_5``: the column of percentile ``q`` (SQL-safe)."""
    return "p" + f"{q:g}".replace(".", "_")


def _t975(dof: int) -> float:
    """Student's t 97.5% quantile (``scipy.stats.t.ppf`` computes it with the same special
    function; importing scipy.special alone saves a second at the end of every sweep session)."""
    from scipy.special import stdtrit

    return float(stdtrit(dof, 0.975))


def point_stats(
    index: pd.DataFrame,
    paths: list[str],
    metrics: list[str],
    percentiles: Iterable[float] = DEFAULT_PERCENTILES,
) -> pd.DataFrame:
    """One row per point and metric over the point's completed replicates: ``n``, ``mean``, ``sd``
    (n - 1 in the denominator), ``ci95_low`` / ``ci95_high`` (mean +- t(0.975, n - 1) sd / sqrt n),
    and one column per percentile (linear interpolation). sd and the interval need n >= 2."""
    qs = tuple(percentiles)
    ok = index[index["status"] == "ok"]
    points = index.drop_duplicates("point").sort_values("point")[["point", *paths]]
    rows = []
    for metric in metrics:
        groups = {p: g[metric].to_numpy(float) for p, g in ok.groupby("point", sort=True)}
        for point in points["point"]:
            y = groups.get(point, np.array([]))
            y = y[np.isfinite(y)]
            n = len(y)
            mean = float(y.mean()) if n else math.nan
            sd = float(y.std(ddof=1)) if n > 1 else math.nan
            half = _t975(n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
            row = {"point": int(point), "metric": metric, "n": n, "mean": mean, "sd": sd,
                   "ci95_low": mean - half, "ci95_high": mean + half}  # fmt: skip
            for q in qs:
                row[percentile_column(q)] = float(np.percentile(y, q)) if n else math.nan
            rows.append(row)
    cols = ["point", "metric", "n", "mean", "sd", "ci95_low", "ci95_high", *map(percentile_column, qs)]
    out = pd.DataFrame(rows, columns=cols)
    out = points.merge(out, on="point", how="right", sort=False)
    out["metric"] = out["metric"].astype("string")
    out = out.astype({"point": "int64", "n": "int64"})
    return out[["point", "metric", *paths, *cols[2:]]].reset_index(drop=True)
