"""The human-readable summary of one run (``summary.md`` in its archive).

Units: GDP in 100 million yuan (亿元, base-year prices), GDP per capita in yuan, people in persons,
emissions in tonnes (air: SO2-equivalent; water: COD), PM2.5 in µg/m³ (population-weighted mean
over cities), water index 1 = the base-year median city (population-weighted mean; higher is worse).
"""

from __future__ import annotations

import platform
from collections.abc import Callable

import pandas as pd

from simulation.runner import RunResult

# the figures an archive holds, relative to the archive folder (written by simulation.plots)
PLOTS: dict[str, str] = {
    "GDP and pollution over time": "plots/timeseries.png",
    "The cluster in the final year": "plots/map.png",
}

# (label, column of the model table, unit shown, scale applied, decimals)
HEADLINE: list[tuple[str, str, str, float, int]] = [
    ("GDP", "gdp", "trillion yuan", 1e-4, 2),
    ("GDP per capita", "gdp_per_capita", "thousand yuan", 1e-3, 1),
    ("Population", "population", "million", 1e-6, 2),
    ("Talent (tertiary-educated workers)", "talent", "million", 1e-6, 3),
    ("Firms (above designated size)", "firms", "thousand", 1e-3, 2),
    ("Air emissions", "emissions_air", "kt SO2-eq", 1e-3, 1),
    ("Water emissions", "emissions_water", "kt COD", 1e-3, 1),
    ("Mean PM2.5 (population-weighted)", "air_quality", "µg/m³", 1.0, 1),
    ("Mean water index (1 = base median)", "water_quality", "index", 1.0, 3),
    ("Intercity commuters", "commuters", "thousand", 1e-3, 1),
]


def _fmt(x: float, decimals: int) -> str:
    return "n/a" if pd.isna(x) else f"{x:,.{decimals}f}"


def _change(a: float, b: float) -> str:
    if pd.isna(a) or pd.isna(b) or a == 0:
        return "n/a"
    return f"{(b / a - 1) * 100:+.1f}%"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def headline_rows(model: pd.DataFrame) -> list[list[str]]:
    """Base year, final year and change for each headline indicator present in ``model``."""
    model = model.sort_values("year")
    first, last = model.iloc[0], model.iloc[-1]
    rows = []
    for label, col, unit, scale, dec in HEADLINE:
        if col not in model.columns:
            continue
        a, b = float(first[col]), float(last[col])
        rows.append([label, unit, _fmt(a * scale, dec), _fmt(b * scale, dec), _change(a, b)])
    return rows


def city_growth(cities: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """GDP of each city in the first and last year, total and yearly growth, sorted fastest first."""
    y0, y1 = int(cities["year"].min()), int(cities["year"].max())
    gdp = cities.pivot_table(index="city", columns="year", values="gdp", aggfunc="sum")
    out = pd.DataFrame({"gdp0": gdp[y0], "gdp1": gdp[y1]})
    out["total"] = out["gdp1"] / out["gdp0"] - 1
    out["yearly"] = (out["gdp1"] / out["gdp0"]) ** (1 / max(y1 - y0, 1)) - 1
    out["name"] = [names.get(c, c) for c in out.index]
    return out.sort_values(["total", "name"], ascending=[False, True], kind="stable")


def _city_rows(df: pd.DataFrame) -> list[list[str]]:
    return [
        [str(r.name), _fmt(r.gdp0, 0), _fmt(r.gdp1, 0), f"{r.total * 100:+.1f}%", f"{r.yearly * 100:+.2f}%"]
        for r in df.itertuples()
    ]


def summary_markdown(
    result: RunResult,
    archive_name: str,
    config_source: str | None,
    plots: dict[str, str] | None = None,
) -> str:
    """Markdown summary: what ran, headline numbers (base vs final year), the fastest- and
    slowest-growing cities by GDP, and the plots (links relative to the archive folder)."""
    cfg, t = result.config, result.tables
    model, cities = t["model"], t["cities"]
    y0, y1 = int(model["year"].min()), int(model["year"].max())
    names = result.region.cities["name_en"] if "name_en" in result.region.cities else pd.Series()
    lines = [
        f"# Run {archive_name}",
        "",
        "## What ran",
        "",
        f"- config: `{config_source or '<defaults>'}` (resolved copy: `config.toml`)",
        f"- seed: {result.seed}",
        f"- region: `{cfg.run.region}` ({len(result.region.cities)} cities, "
        f"{len(result.edges)} open links in {y1})",
        f"- years: {y0} (base, calibrated) to {y1}, {y1 - y0} steps",
        f"- agents: {cfg.scale.talent_agents:,} talent, {cfg.scale.firm_agents:,} firms at start",
        f"- wall time: {result.wall_time_s:.1f} s (Python {platform.python_version()})",
        "",
        f"## Headline: {y0} vs {y1}",
        "",
    ]
    lines += _table(["indicator", "unit", str(y0), str(y1), "change"], headline_rows(model))
    lines += [
        "",
        "GDP in base-year prices; PM2.5 and the water index: higher is worse.",
        "",
    ]
    growth = city_growth(cities, names)
    header = ["city", f"GDP {y0} (100m yuan)", f"GDP {y1}", "change", "per year"]
    pick: list[tuple[str, Callable[[pd.DataFrame], pd.DataFrame]]] = [
        ("Fastest-growing cities (GDP)", lambda d: d.head(5)),
        ("Slowest-growing cities (GDP)", lambda d: d.tail(5).iloc[::-1]),
    ]
    for title, select in pick:
        lines += [f"## {title}", ""] + _table(header, _city_rows(select(growth))) + [""]
    lines += ["## Plots", ""]
    for caption, rel in (plots if plots is not None else PLOTS).items():
        lines += [f"![{caption}]({rel})", ""]
    lines += [
        "## Units",
        "",
        "GDP: 100 million yuan (亿元) at base-year prices; population and talent: persons; "
        "emissions: tonnes per year (air SO2-equivalent, water COD); PM2.5: µg/m³ annual mean; "
        "water index: 1 = the base-year median city. Tables: `model.parquet` (one row a year), "
        "`cities.parquet` (city x year), `flows.parquet` (migration, relocation, commute counts).",
        "",
    ]
    return "\n".join(lines)
