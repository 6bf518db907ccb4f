"""Outcome metrics of the experiments: ``<column>_<agg>`` of a run's model table, as in sweeps.

A metric is :func:`simulation.experiments.sweep.metrics.metric_values` of the model table
(``gdp_final``, ``air_quality_mean``, ``emissions_air_cum``, ...), with two additions that the
objectives of lever optimisation need:

- ``fiscal_cost``: a derived column, the lever outlays net of lever receipts of every public budget
  (cities, provinces, the centre) in 100m yuan a year: ``-(lever_net_city + lever_net_province +
  lever_net_central)``. Fund contributions count at the paying budget, so a fund's own spending is
  not counted twice (see ``simulation.core.budget``). ``fiscal_cost_cum`` is its sum over the
  simulated years.
- ``pm25``: another name for the ``air_quality`` column (population-weighted PM2.5, µg/m³), so
  ``pm25_final`` is ``air_quality_final``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

import numpy as np
import pandas as pd

from simulation.config import Config
from simulation.experiments.sweep.metrics import AGGS, default_metrics, metric_values
from simulation.limits import model_columns
from simulation.params import ConfigError

ALIASES = {"pm25": "air_quality"}
DERIVED: dict[str, tuple[tuple[str, ...], Callable[[pd.DataFrame], np.ndarray]]] = {
    "fiscal_cost": (
        ("lever_net_city", "lever_net_province", "lever_net_central"),
        lambda m: (
            -(
                m["lever_net_city"].to_numpy(float)
                + m["lever_net_province"].to_numpy(float)
                + m["lever_net_central"].to_numpy(float)
            )
        ),
    ),
}
UNITS = {"fiscal_cost": "100m yuan / yr (lever outlays net of receipts, all public budgets)"}


def split(name: str) -> tuple[str, str]:
    """(model column, aggregation) of a metric name, the alias resolved: ``pm25_final`` ->
    (``air_quality``, ``final``)."""
    col, _, agg = name.rpartition("_")
    return ALIASES.get(col, col), agg


def canonical(name: str) -> str:
    col, agg = split(name)
    return f"{col}_{agg}"


def with_derived(model: pd.DataFrame) -> pd.DataFrame:
    """The model table with the derived columns added (where their inputs are present)."""
    extra = {
        col: fn(model)
        for col, (needs, fn) in DERIVED.items()
        if col not in model.columns and all(c in model.columns for c in needs)
    }
    return model.assign(**extra) if extra else model


def values(model: pd.DataFrame, names: list[str] | tuple[str, ...]) -> dict[str, float]:
    """Each metric of one run's model table, by the name as given (aliases and derived columns
    resolved); NaN where the table lacks the column."""
    table = with_derived(model)
    canon = {n: canonical(n) for n in names}
    got = metric_values(table, list(dict.fromkeys(canon.values())))
    return {n: got[c] for n, c in canon.items()}


def needed_columns(names: list[str] | tuple[str, ...]) -> list[str]:
    """The model-table columns the metrics are computed from (a derived column's inputs)."""
    cols: list[str] = []
    for n in names:
        col, _ = split(n)
        cols += list(DERIVED[col][0]) if col in DERIVED else [col]
    return sorted(set(cols))


def check_syntax(file: str, field: str, name: str) -> None:
    """ConfigError unless ``name`` is ``<column>_<agg>`` with a known aggregation."""
    col, agg = split(name)
    if not isinstance(name, str) or not col or agg not in AGGS:
        raise ConfigError(
            file, field, f"{name!r} (allowed: <model column>_<{'|'.join(AGGS)}>, e.g. gdp_final, pm25_mean)"
        )


def check_names(file: str, field: str, names: list[str], cfg: Config) -> None:
    """ConfigError naming the first metric whose column a run of ``cfg`` does not write (checked
    on a one-year probe run unless every column is one of the headline metrics')."""
    for n in names:
        check_syntax(file, field, n)
    known = {m.rpartition("_")[0] for m in default_metrics()} | set(DERIVED)
    if all(split(n)[0] in known for n in names):
        return
    columns = set(model_columns(cfg)) - {"year"}
    allowed = columns | set(DERIVED) | set(ALIASES)
    for n in names:
        col = n.rpartition("_")[0]
        if split(n)[0] not in columns | set(DERIVED):
            near = difflib.get_close_matches(col, sorted(allowed), n=3)
            hint = f"did you mean {', '.join(near)}? " if near else ""
            raise ConfigError(
                file, field,
                f"{n!r}: the model table has no column {col!r} ({hint}allowed: <column>_<{'|'.join(AGGS)}> "
                f"with a column of the model table, fiscal_cost or pm25; see docs/sweeps.md)",
            )  # fmt: skip
