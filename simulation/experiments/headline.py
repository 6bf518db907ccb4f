"""The cluster's headline metrics: ``<column>_<agg>`` of a run's model table (``gdp_final``,
``emissions_air_cum``, ``air_quality_mean``, ...), how each is worded and scaled, and the unit of
every column of the model and cities tables. ``compare`` reports them; sweeps name their metrics
after them.

Aggregates: "final" is the last simulated year; "cum" (a sum), "mean" and "total" run over the
simulated years ``start_year + 1 .. end_year`` (the base year is calibrated, identical in every run).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Metric:
    """A cluster headline metric: ``agg`` of column ``column`` of the model table.

    ``agg``: "final" (last year), "cum" (sum over the simulated years, for flows like GDP or
    emissions), "mean" (average over the simulated years, for levels like PM2.5) or "total"
    (sum of a yearly count, e.g. migrants). The tables keep the column's own unit
    (:data:`RAW_UNITS`); ``scale`` converts it into ``unit`` for the sentences of the summary.
    """

    column: str
    agg: str
    what: str
    unit: str
    scale: float
    decimals: int

    @property
    def name(self) -> str:
        return f"{self.column}_{self.agg}"

    def label(self, first: int, last: int) -> str:
        span = f"{first}–{last}"
        return {
            "final": f"{self.what} in {last}",
            "cum": f"{self.what}, cumulative {span}",
            "mean": f"{self.what}, mean {span}",
            "total": f"{self.what}, total {span}",
        }[self.agg]


def _m(column: str, aggs: Iterable[str], what: str, unit: str, scale: float, dec: int) -> list[Metric]:
    return [Metric(column, a, what, unit, scale, dec) for a in aggs]


# cluster headline metrics, in the order of the tables, the plot and the summary
METRICS: list[Metric] = [
    *_m("gdp", ("final", "cum"), "GDP", "trillion yuan", 1e-4, 3),
    *_m("gdp_per_capita", ("final",), "GDP per capita", "thousand yuan", 1e-3, 2),
    *_m("population", ("final",), "Population", "million", 1e-6, 3),
    *_m("talent", ("final", "mean"), "Talent", "million persons", 1e-6, 4),
    *_m("gep", ("final",), "Gross ecosystem product (GEP)", "100m yuan", 1.0, 1),
    *_m("green_index", ("final",), "Green-development index (population-weighted)", "index", 1.0, 3),
    *_m("emissions_air", ("final", "cum"), "Air pollutant emissions (SO2 + NOx + PM)", "kt", 1e-3, 2),
    *_m("emissions_water", ("final", "cum"), "Water pollutant emissions (COD + NH3-N)", "kt", 1e-3, 2),
    *_m("emissions_so2", ("final",), "SO2 emissions", "kt", 1e-3, 2),
    *_m("emissions_nox", ("final",), "NOx emissions", "kt", 1e-3, 2),
    *_m("emissions_co2", ("final",), "CO2 emissions", "Mt", 1e-6, 2),
    *_m("emissions_cod", ("final",), "COD emissions", "kt", 1e-3, 2),
    *_m("abatement_cost", ("cum",), "Abatement spending", "100m yuan", 1.0, 2),
    *_m("public_balance", ("cum",), "Public budget balance (cities + provinces)", "100m yuan", 1.0, 2),
    *_m("air_quality", ("final", "mean"), "PM2.5 (population-weighted)", "µg/m³", 1.0, 3),
    *_m("water_quality", ("final", "mean"), "Water index (population-weighted)", "index", 1.0, 4),
    *_m("inequality_cv", ("final", "mean"), "Inequality of GDP per capita (CV)", "CV", 1.0, 4),
    *_m("cross_province_migration", ("total",), "Cross-province talent migration", "thousand", 1e-3, 2),
    *_m("commuters", ("final",), "Intercity commuters", "thousand", 1e-3, 2),
]
METRIC_BY_NAME = {m.name: m for m in METRICS}

# units of the model and cities tables' columns: the unit of every value in the parquet tables
RAW_UNITS: dict[str, str] = {
    "gdp": "100m yuan",
    "gdp_per_capita": "yuan",
    "population": "persons",
    "talent": "persons",
    "emissions_air": "t (SO2 + NOx + primary PM)",
    "emissions_water": "t (COD + NH3-N)",
    "gep": "100m yuan (current prices)",
    "green_index": "index (80 = base-year median city)",
    **{f"emissions_{p}": "t" for p in ("so2", "nox", "pm", "co2", "cod", "nh3n")},
    "abatement_cost": "100m yuan",
    "public_balance": "100m yuan",
    "air_quality": "µg/m³ PM2.5",
    "water_quality": "index (1 = base-year median city)",
    "inequality_cv": "coefficient of variation",
    "cross_province_migration": "persons",
    "commuters": "persons",
}


def headline_values(model_df: pd.DataFrame, start_year: int) -> dict[str, float]:
    """The value of each headline metric (:data:`METRICS`) in one run's model table."""
    df = model_df.sort_values("year", kind="stable")
    final = df.iloc[-1]
    horizon = df[df["year"] > start_year]
    if horizon.empty:
        horizon = df
    out: dict[str, float] = {}
    for m in METRICS:
        if m.column not in df.columns:
            continue
        col = horizon[m.column].to_numpy(dtype=float)
        out[m.name] = {
            "final": float(final[m.column]),
            "cum": float(col.sum()),
            "mean": float(col.mean()),
            "total": float(col.sum()),
        }[m.agg]
    return out
