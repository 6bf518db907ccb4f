"""The observed panel of a region: sourced yearly values (GDP, growth, population, PM2.5, ...).

``panel.csv`` sits in the region folder next to ``cities.csv``. It is long: one row per
(scope, year, series, revision) with the value, its unit, the address it was read at, its kind
(official / compilation / estimate / memory) and a note. ``regions/middle_yangtze/PANEL_NOTES.md``
describes each series. This module only reads and checks the file and counts what is filled; it
never fills a gap. Every problem raises :class:`~simulation.region.RegionError` with one line
``'<file>: <field>: <what is wrong> (allowed: ...)'``; row numbers count data rows from 1.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from simulation.region import RegionError

PANEL = "panel.csv"
COLUMNS = ("scope", "year", "series", "value", "unit", "source", "kind", "revision", "note")
KINDS = ("official", "compilation", "estimate", "memory")
REVISIONS = ("first", "revised", "unknown")
PROVINCES = ("hubei", "hunan", "jiangxi")
NATION = "china"
FIRST_YEAR, LAST_YEAR = 2015, 2023
# series -> (unit, lowest allowed value, highest allowed value)
SERIES: dict[str, tuple[str, float, float]] = {
    "gdp": ("100m_yuan", 0.0, 2e6),
    "gdp_real_growth": ("pct", -50.0, 50.0),
    "secondary_share": ("pct", 0.0, 100.0),
    "population": ("10k_persons", 0.0, 2e5),
    "population_census": ("10k_persons", 0.0, 2e5),
    "floating_population_census": ("persons", 0.0, 1e9),
    "migration_census_2020": ("persons", 0.0, 1e9),
    "commute_share": ("pct", 0.0, 100.0),
    "pm25": ("ug_m3", 0.0, 500.0),
    "so2_industrial": ("t", 0.0, 1e8),
    "nox_industrial": ("t", 0.0, 1e8),
    "cod_industrial": ("t", 0.0, 1e8),
}
CENSUS_SERIES = ("population_census", "floating_population_census", "migration_census_2020")
CENSUS_YEAR = 2020
LEVELS = ("city", "province", "nation")
KEY = ["scope", "year", "series", "revision"]
NOTE_REQUIRED = ("estimate", "memory")  # the arithmetic / the admission must be written down
ADDRESS = re.compile(r"^(https?://\S+|[\w.-]+/[\w.-]+(/\S*)?)$")  # a URL or owner/repo/path


def _short(items: list[str], limit: int = 8) -> str:
    more = f", ... ({len(items)} in all)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _fail(path: str, field: str, bad: pd.Series, raw: pd.Series, what: str, allowed: str) -> None:
    """Raise for the rows flagged in ``bad`` (a boolean Series), naming up to three of them."""
    rows = [f"row {i + 1} ({raw.iloc[i]!r})" for i in bad.to_numpy().nonzero()[0][:3]]
    more = f" and {int(bad.sum()) - 3} more" if bad.sum() > 3 else ""
    raise RegionError(path, field, f"{what} at {', '.join(rows)}{more} (allowed: {allowed})")


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise RegionError(str(path), "file", "panel file is missing (allowed: a CSV with columns "
                          f"{', '.join(COLUMNS)})")  # fmt: skip
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise RegionError(str(path), "file", f"cannot read CSV: {' '.join(str(exc).split())}") from exc
    if tuple(df.columns) != COLUMNS:
        raise RegionError(str(path), "columns", f"header is {', '.join(map(str, df.columns))} "
                          f"(allowed: exactly {', '.join(COLUMNS)})")  # fmt: skip
    return df.apply(lambda col: col.str.strip())


def _city_ids(region_dir: Path) -> list[str]:
    path = region_dir / "cities.csv"
    try:
        ids = pd.read_csv(path, dtype=str, usecols=["id"])["id"].str.strip()
    except (FileNotFoundError, ValueError, pd.errors.ParserError) as exc:
        raise RegionError(str(path), "id", f"cannot read the city ids: {exc} (allowed: the region's "
                          "cities.csv with an id column)") from exc  # fmt: skip
    return list(ids)


def _check_text(df: pd.DataFrame, path: str, scopes: list[str]) -> None:
    for col in ("scope", "series", "unit", "source", "kind", "revision"):
        if (blank := df[col].eq("")).any():
            _fail(path, col, blank, df[col], "missing value", "non-empty text")
    choices = {"scope": scopes, "series": list(SERIES), "kind": list(KINDS), "revision": list(REVISIONS)}
    for col, allowed in choices.items():
        if (bad := ~df[col].isin(allowed)).any():
            _fail(path, col, bad, df[col], f"unknown {col}", _short(allowed))
    if (bad := ~df["source"].map(lambda v: bool(ADDRESS.match(v)))).any():
        _fail(path, "source", bad, df["source"], "source is not an address",
              "a URL (http://..., https://...) or a repository path owner/repo/path")  # fmt: skip
    expected = df["series"].map(lambda s: SERIES[s][0])
    if (bad := df["unit"].ne(expected)).any():
        pairs = ", ".join(f"{s} in {u}" for s, (u, _, _) in SERIES.items())
        _fail(path, "unit", bad, df["unit"], "wrong unit for the series", pairs)
    needs_note = df["kind"].isin(NOTE_REQUIRED) & df["note"].eq("")
    if needs_note.any():
        _fail(path, "note", needs_note, df["kind"], "an estimate or memory value without a note",
              "a note stating the arithmetic or the recollection")  # fmt: skip


def _check_numbers(df: pd.DataFrame, path: str) -> pd.DataFrame:
    out = df.copy()
    year = pd.to_numeric(df["year"], errors="coerce")
    bad = year.isna() | (year % 1 != 0) | (year < FIRST_YEAR) | (year > LAST_YEAR)
    if bad.any():
        _fail(path, "year", bad, df["year"], "bad year", f"a whole year {FIRST_YEAR} to {LAST_YEAR}")
    out["year"] = year.astype(int)
    value = pd.to_numeric(df["value"], errors="coerce")
    low = df["series"].map(lambda s: SERIES[s][1])
    high = df["series"].map(lambda s: SERIES[s][2])
    bad = value.isna() | ~value.map(math.isfinite) | (value < low) | (value > high)
    if bad.any():
        ranges = ", ".join(f"{s} {lo:g} to {hi:g}" for s, (_, lo, hi) in SERIES.items())
        _fail(path, "value", bad, df["value"], "non-numeric or out-of-range value", ranges)
    out["value"] = value.astype(float)
    return out


def load_panel(region_dir: str | Path) -> pd.DataFrame:
    """Read and check ``<region_dir>/panel.csv``; returns it with int ``year`` and float ``value``.

    Scopes must be a city id of the region's ``cities.csv``, a province (hubei, hunan, jiangxi)
    or ``china``. Raises RegionError naming the file, the field, the rows and the allowed values.
    """
    folder = Path(region_dir)
    path = folder / PANEL
    df = _read(path)
    scopes = [*_city_ids(folder), *PROVINCES, NATION]
    _check_text(df, str(path), scopes)
    out = _check_numbers(df, str(path))
    if (dup := out.duplicated(KEY, keep=False)).any():
        keys = out[KEY].astype(str).agg("/".join, axis=1)
        _fail(str(path), "scope", dup, keys, "duplicate scope/year/series/revision",
              "each (scope, year, series, revision) once")  # fmt: skip
    return out.reset_index(drop=True)


def level_of(scope: str) -> str:
    """'nation' for china, 'province' for the three provinces, otherwise 'city'."""
    return "nation" if scope == NATION else "province" if scope in PROVINCES else "city"


def coverage(panel: pd.DataFrame, n_cities: int = 31, first: int = FIRST_YEAR,
             last: int = LAST_YEAR) -> pd.DataFrame:  # fmt: skip
    """Cells filled and wanted per series and scope level, over the years ``first``..``last``.

    A cell is one (scope, year); it is filled when at least one row holds it (several revisions
    or sources count once). Wanted = scopes at the level (``n_cities``, 3 provinces, 1 nation) x
    years, except the census series, which are wanted for 2020 only. ``share`` is blank where
    nothing is wanted.
    """
    sizes = {"city": n_cities, "province": len(PROVINCES), "nation": 1}
    inside = panel[(panel["year"] >= first) & (panel["year"] <= last)]
    levels = inside["scope"].map(level_of)
    rows = []
    for series in SERIES:
        years = int(first <= CENSUS_YEAR <= last) if series in CENSUS_SERIES else last - first + 1
        for level in LEVELS:
            part = inside[(inside["series"] == series) & (levels == level)]
            filled = len(part[["scope", "year"]].drop_duplicates())
            wanted = sizes[level] * years
            rows.append({"series": series, "level": level, "filled": filled, "wanted": wanted})
    out = pd.DataFrame(rows)
    out["share"] = (out["filled"] / out["wanted"].where(out["wanted"] > 0)).round(3)
    return out
