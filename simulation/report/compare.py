"""A paired comparison in words: each effect as a sentence with its uncertainty, the cities with the
largest distinguishable changes, a per-city table, and the archive's ``summary.md``. Takes a
:class:`~simulation.experiments.compare.CompareResult`, returns text; runs nothing."""

from __future__ import annotations

import math
import platform
from pathlib import Path

import pandas as pd

from simulation import decompose
from simulation.experiments.compare import CITY_METRICS, CONFIDENCE, WORSE_WHEN_HIGHER, CompareResult
from simulation.experiments.compare_archive import PLOTS
from simulation.experiments.headline import METRIC_BY_NAME


def _num(x: float, decimals: int) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:+,.{decimals}f}"


def _pct_decimals(pct: float) -> int:
    """Decimals that show the mean % difference with two significant digits (1 to 3)."""
    top = 0.0 if pct is None or math.isnan(pct) else abs(pct)
    return 1 if top >= 1 or top == 0 else 2 if top >= 0.1 else 3


def _verb(label: str) -> str:
    """'are' for plural subjects ('Air emissions in 2035 are ...'), else 'is'."""
    subject = label.split(",")[0].split(" in ")[0]
    return "are" if subject.endswith(("emissions", "commuters")) else "is"


def effect_sentence(label: str, row: pd.Series | dict, unit: str, scale: float, decimals: int) -> str:
    """One effect in words, e.g. 'GDP in 2035 is 1.8% higher (95% CI +1.2% to +2.4%; +0.21
    trillion yuan, 95% CI +0.14 to +0.28), distinguishable from zero.'"""
    r = dict(row)
    pct, plo, phi = r["mean_diff_pct"], r["ci_pct_low"], r["ci_pct_high"]
    d, lo, hi = r["mean_diff"] * scale, r["ci_low"] * scale, r["ci_high"] * scale
    verdict = "distinguishable from zero" if r["distinguishable"] else "not distinguishable from zero"
    absolute = f"{_num(d, decimals)} {unit}, 95% CI {_num(lo, decimals)} to {_num(hi, decimals)}"
    verb = _verb(label)
    if pct is None or math.isnan(pct):  # base is zero: only the absolute difference is defined
        direction = "higher" if d > 0 else "lower" if d < 0 else "unchanged"
        absolute = f"{_num(d, decimals)} {unit} (95% CI {_num(lo, decimals)} to {_num(hi, decimals)})"
        return f"{label} {verb} {direction} by {absolute}, {verdict}."
    pd_ = _pct_decimals(pct)
    if pct == 0 and d == 0:
        head = f"{verb} unchanged"
    else:
        head = f"{verb} {abs(pct):.{pd_}f}% {'higher' if pct > 0 else 'lower'}"
    ci = f"95% CI {_num(plo, pd_)}% to {_num(phi, pd_)}%"
    return f"{label} {head} ({ci}; {absolute}), {verdict}."


def cluster_sentences(result: CompareResult) -> list[str]:
    """Each cluster headline effect in words."""
    out = []
    for _, row in result.effects.iterrows():
        m = METRIC_BY_NAME[row["metric"]]
        out.append(effect_sentence(row["label"], row, m.unit, m.scale, m.decimals))
    return out


def _city_phrase(row: pd.Series) -> str:
    pd_ = _pct_decimals(row["mean_diff_pct"])
    return (
        f"{row['name_en']} {_num(row['mean_diff_pct'], pd_)}% "
        f"(95% CI {_num(row['ci_pct_low'], pd_)}% to {_num(row['ci_pct_high'], pd_)}%)"
    )


def city_sentences(result: CompareResult, top: int = 3) -> list[str]:
    """Per city metric: the cities with the largest distinguishable increases and decreases."""
    ce = result.city_effects
    n_cities = ce["city"].nunique()
    out = []
    for col, what in CITY_METRICS.items():
        sel = ce[ce["metric"] == f"{col}_final"]
        if sel.empty:
            continue
        dist = sel[sel["distinguishable"]]
        ups = dist[dist["mean_diff_pct"] > 0].sort_values(["mean_diff_pct", "city"], ascending=[False, True])
        downs = dist[dist["mean_diff_pct"] < 0].sort_values(["mean_diff_pct", "city"], ascending=[True, True])
        parts = [f"**{what} in {result.last_year}**: {len(dist)} of {n_cities} cities distinguishable"]
        worse_up = col in WORSE_WHEN_HIGHER
        up_word = "largest increases (worse)" if worse_up else "largest gains"
        down_word = "largest decreases (better)" if worse_up else "largest losses"
        if len(ups):
            parts.append(f"{up_word} " + ", ".join(_city_phrase(r) for _, r in ups.head(top).iterrows()))
        if len(downs):
            parts.append(f"{down_word} " + ", ".join(_city_phrase(r) for _, r in downs.head(top).iterrows()))
        out.append("; ".join(parts) + ".")
    return out


def _city_table(result: CompareResult) -> list[str]:
    ce = result.city_effects
    cols = ["gdp", "population", "talent", "air_quality", "emissions_air", "water_quality"]
    heads = [CITY_METRICS[c] for c in cols]
    lines = ["| city | " + " | ".join(heads) + " |", "|---|" + "---|" * len(cols)]
    wide = {c: ce[ce["metric"] == f"{c}_final"].set_index("city") for c in cols}
    for city in wide["gdp"].index:
        cells = []
        for c in cols:
            r = wide[c].loc[city]
            pct = r["mean_diff_pct"]
            cell = "n/a" if math.isnan(pct) else f"{pct:+.2f}%"
            cells.append(cell + (" *" if r["distinguishable"] else ""))
        lines.append(f"| {wide['gdp'].at[city, 'name_en']} | " + " | ".join(cells) + " |")
    return lines


def summary_markdown(
    result: CompareResult, archive_name: str, base_path: str | Path | None, scen_path: str | Path | None
) -> str:
    """The comparison in words: what ran, each cluster effect with its uncertainty, the cities with
    the largest distinguishable changes, a per-city table and the plots."""
    b, s = result.base_config, result.scenario_config
    y0, y1, last = b.run.start_year, result.first_year, result.last_year
    seeds = ", ".join(str(x) for x in result.seeds)
    diff_lines = [f"  - `{k}`: {a!r} → {v!r}" for k, a, v in result.config_diff] or [
        "  - (none: the scenario is identical to the base)"
    ]
    lines = [
        f"# Comparison {archive_name}",
        "",
        "## What ran",
        "",
        f"- base: `{base_path}` (resolved copy: `base.toml`)",
        f"- scenario: `{scen_path}` (resolved copy: `scenario.toml`)",
        "- scenario settings that differ from the base:",
        *diff_lines,
        f"- replicates: {result.replicates}, root seed {result.root_seed}; replicate seeds "
        f"(`SeedSequence(root).spawn(n)`), each shared by base and scenario (common random numbers): {seeds}",
        f"- region: `{b.run.region}` ({len(result.region.cities)} cities); years {y0} (calibrated base "
        f"year) to {last}",
        f"- agents: {b.scale.talent_agents:,} talent, {b.scale.firm_agents:,} firms at start "
        f"(scenario: {s.scale.talent_agents:,}, {s.scale.firm_agents:,})",
        f"- wall time: {result.wall_time_s:.1f} s with {result.workers} worker(s) "
        f"(Python {platform.python_version()})",
        "",
        "## Effects on the cluster (scenario − base)",
        "",
        f"Mean paired difference over {result.replicates} replicates with a {CONFIDENCE:.0%} t interval. "
        f"Cumulative and mean values run over {y1}–{last}. PM2.5, the water index, emissions and "
        "inequality: higher is worse. 'Distinguishable' = the interval excludes zero.",
        "",
        *[f"- {t}" for t in cluster_sentences(result)],
        "",
        "## Cities",
        "",
        *[f"- {t}" for t in city_sentences(result)],
        "",
        f"Change in {last} by city (mean % difference; * = distinguishable from zero):",
        "",
        *_city_table(result),
        "",
    ]
    if result.decomposition is not None:
        lines += decompose.summary_lines(result.decomposition)
    lines += [
        "## Plots",
        "",
    ]
    for caption, rel in PLOTS.items():
        lines += [f"![{caption}]({rel})", ""]
    lines += [
        "## Files",
        "",
        "`effects.parquet` (cluster effects), `paired.parquet` (per-replicate values and differences), "
        "`city_effects.parquet` (per city, final year), `yearly_effects.parquet` (per year), "
        "`runs_model.parquet` and `runs_cities.parquet` (every run's tables, with side, replicate, "
        "seed), `base.toml` and `scenario.toml` (the resolved configs; `run.seed` = the root seed).",
        "",
        "Units: GDP in 100 million yuan (亿元) at base-year prices; population and talent in persons; "
        "emissions in tonnes a year (air: SO2 + NOx + primary PM; water: COD + NH3-N; each pollutant "
        "also on its own); PM2.5 in µg/m³; water index 1 = the base-year median city; GEP in 100m "
        "yuan at current prices; green-development index 80 = the base-year median city.",
        "",
    ]
    return "\n".join(lines)
