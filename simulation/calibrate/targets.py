"""Observed targets of the calibration: the region's panel first, ``targets.csv`` for what it lacks.

The region's ``panel.csv`` (read by :func:`simulation.panel.load_panel`) holds sourced yearly
values with their kind and vintage. Where it has no value for a target the calibration needs, the
small ``targets.csv`` beside this module supplies one, with its own source column: the figures the
calibration issue itself gives (provincial real growth 2019-2021, whose bulletin addresses are not
yet in the panel) and the project's stated aims for two migration rates (no observed series). Every
target in the moments table says which of the two it came from (``origin``), so a value that is not
in the panel is never passed off as panel data; once the panel gains a cell, it wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.region import BUILTIN_REGIONS_DIR, RegionError

FALLBACK = Path(__file__).with_name("targets.csv")
FALLBACK_COLUMNS = ("scope", "year", "series", "value", "unit", "source", "kind", "revision", "note")
# which of several rows of one cell to use: first-published before unknown before revised
# vintages (growth rates are published in the first vintage), official before compiled figures
KIND_ORDER = {"official": 0, "compilation": 1, "estimate": 2, "stated": 3, "memory": 4}
REVISION_ORDER = {"first": 0, "unknown": 1, "revised": 2}


@dataclass(frozen=True)
class Observed:
    """One target value and where it comes from."""

    value: float
    unit: str
    source: str
    kind: str
    origin: str  # "panel" or "targets.csv"
    note: str


def region_folder(spec: str) -> Path | None:
    """The folder of a region spec (a built-in name or a path); None for a synthetic region."""
    if spec.startswith("synthetic:"):
        return None
    builtin = BUILTIN_REGIONS_DIR / spec
    return builtin if "/" not in spec and builtin.is_dir() else Path(spec)


def _best(rows: pd.DataFrame) -> pd.Series | None:
    if rows.empty:
        return None
    order = rows.assign(
        _k=rows["kind"].map(KIND_ORDER).fillna(9), _r=rows["revision"].map(REVISION_ORDER).fillna(9)
    ).sort_values(["_r", "_k"], kind="stable")
    return order.iloc[0]


class Targets:
    """Looks up observed values: ``get(scope, year, series)``."""

    def __init__(self, panel: pd.DataFrame | None, fallback: pd.DataFrame, panel_status: str) -> None:
        self.panel = panel
        self.fallback = fallback
        self.panel_status = panel_status  # what was read, for the archive's summary

    @classmethod
    def load(cls, region_spec: str, fallback: Path = FALLBACK) -> Targets:
        """Read the region's panel (when the region has one) and the fallback table.

        Raises:
            RegionError: a panel or fallback file that exists but fails its checks.
        """
        folder = region_folder(region_spec)
        panel, status = None, "no panel: a synthetic region"
        if folder is not None:
            if (folder / "panel.csv").is_file():
                from simulation.panel import load_panel

                panel = load_panel(folder)
                status = f"{folder.name}/panel.csv ({len(panel)} rows)"
            else:
                status = f"no panel.csv in {folder}"
        return cls(panel, read_fallback(fallback), status)

    def get(self, scope: str, year: int, series: str) -> Observed | None:
        """The value of (scope, year, series): the panel's best row, else the fallback's; None if
        neither has it."""
        for origin, table in (("panel", self.panel), ("targets.csv", self.fallback)):
            if table is None:
                continue
            hit = _best(table[(table.scope == scope) & (table.year == year) & (table.series == series)])
            if hit is not None:
                return Observed(
                    float(hit["value"]), str(hit["unit"]), str(hit["source"]), str(hit["kind"]),
                    origin, str(hit["note"]),
                )  # fmt: skip
        return None

    def scopes_with(self, series: str, years: tuple[int, ...]) -> list[str]:
        """Scopes for which the panel has ``series`` in every one of ``years``, sorted."""
        if self.panel is None:
            return []
        p = self.panel[self.panel.series == series]
        sets = [set(p.loc[p.year == y, "scope"]) for y in years]
        return sorted(set.intersection(*sets)) if sets else []


def read_fallback(path: Path) -> pd.DataFrame:
    """The fallback targets table, checked: its columns, numeric finite values, years.

    Raises:
        RegionError: naming the file, the field and what is allowed.
    """
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise RegionError(str(path), "file", f"cannot read CSV: {err}") from None
    if tuple(df.columns) != FALLBACK_COLUMNS:
        raise RegionError(str(path), "columns", f"allowed: exactly {', '.join(FALLBACK_COLUMNS)}")
    out = df.apply(lambda col: col.str.strip())
    for col, cast in (("year", int), ("value", float)):
        try:
            out[col] = out[col].map(cast)
        except ValueError:
            raise RegionError(str(path), col, "not a number in every row (allowed: numbers)") from None
    if not out["value"].map(math.isfinite).all():
        raise RegionError(str(path), "value", "not finite (allowed: finite numbers)")
    return out
