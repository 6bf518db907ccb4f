"""Figures of a paired comparison: the effects with their intervals, the paths over time and the
map of change by city (:func:`draw` makes the archive's three). They take the comparison's tables
and write PNG files with reproducible bytes (matplotlib runs headless).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from simulation.experiments.compare import CompareResult  # noqa: E402
from simulation.experiments.compare_archive import PLOTS  # noqa: E402
from simulation.region import Region  # noqa: E402

STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10}
DPI = 110
HIGHLIGHT = "#d81b60"
MUTED = "#9e9e9e"
BASE_COLOUR = "#546e7a"
SCEN_COLOUR = "#1565c0"


def draw(result: CompareResult, folder: Path) -> None:
    """The archive's figures (:data:`~simulation.experiments.compare_archive.PLOTS`) of ``result``,
    drawn into ``folder``."""
    effects, timeseries, map_change = (Path(folder) / rel for rel in PLOTS.values())
    plot_effects(result.effects, effects)
    plot_timeseries(result.yearly_effects, timeseries)
    plot_map_change(
        result.city_effects, result.region, result.edges_base, result.edges_scenario, map_change,
        result.last_year,
    )  # fmt: skip


def _save(fig: plt.Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata={"Software": None})  # no date/software: reproducible bytes
    plt.close(fig)
    return path


def plot_effects(effects: pd.DataFrame, path: Path) -> Path:
    """Each headline effect as a % difference with its 95% interval (horizontal error bars), the
    zero line, and the effects distinguishable from zero highlighted."""
    df = effects.reset_index(drop=True)
    n = len(df)
    y = np.arange(n)[::-1]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(10, 1.2 + 0.38 * max(n, 1)), layout="constrained")
        ax.axvline(0, color="black", lw=0.9, zorder=1)
        for yi, (_, r) in zip(y, df.iterrows(), strict=True):
            mean, lo, hi = r["mean_diff_pct"], r["ci_pct_low"], r["ci_pct_high"]
            colour = HIGHLIGHT if r["distinguishable"] else MUTED
            if math.isnan(mean):
                ax.text(0, yi, " n/a (base is zero)", va="center", fontsize=7, color=MUTED)
                continue
            err = None
            if not (math.isnan(lo) or math.isnan(hi)):
                err = [[max(mean - lo, 0.0)], [max(hi - mean, 0.0)]]
            ax.errorbar(
                mean, yi, xerr=err, fmt="o", color=colour, ecolor=colour, capsize=3, ms=5, lw=1.6, zorder=3,
            )  # fmt: skip
            ax.annotate(
                _interval_text(mean, lo, hi), (1.0, yi), xycoords=("axes fraction", "data"),
                xytext=(6, 0), textcoords="offset points", va="center", fontsize=7, color=colour,
            )  # fmt: skip
        bounds = df[["mean_diff_pct", "ci_pct_low", "ci_pct_high"]].to_numpy(float)
        span = float(np.nanmax(np.abs(bounds))) if np.isfinite(bounds).any() else 0.0
        if span > 25:  # one large effect would flatten the rest: linear within ±1%, log beyond
            ax.set_xscale("symlog", linthresh=1.0)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
            ax.set_xlabel("scenario − base, % of base (symmetric log scale beyond ±1%)")
        ax.set_yticks(y, [str(s) for s in df["label"]] if "label" in df else list(df["metric"]))
        ax.set_ylim(-0.8, n - 0.2)
        if ax.get_xscale() == "linear":
            ax.set_xlabel("scenario − base, % of base (mean over replicates, 95% CI)")
        ax.grid(axis="x", alpha=0.3)
        handles = [
            Line2D([], [], marker="o", color=HIGHLIGHT, label="distinguishable from zero"),
            Line2D([], [], marker="o", color=MUTED, label="not distinguishable"),
        ]
        ax.legend(handles=handles, loc="best", fontsize=7)
        ax.set_title(
            "Effects on the cluster: scenario − base, mean and 95% CI\n"
            "(PM2.5, water index, emissions and inequality: higher is worse)"
        )
        return _save(fig, path)


def _interval_text(mean: float, lo: float, hi: float) -> str:
    dec = 1 if abs(mean) >= 1 or mean == 0 else 2 if abs(mean) >= 0.1 else 3
    if math.isnan(lo) or math.isnan(hi):
        return f"{mean:+.{dec}f}%"
    return f"{mean:+.{dec}f}% [{lo:+.{dec}f}, {hi:+.{dec}f}]"


PANELS = (
    ("gdp", "GDP", "trillion yuan", 1e-4),
    ("emissions_air", "Air emissions", "kt SO2-eq", 1e-3),
    ("emissions_water", "Water emissions", "kt COD", 1e-3),
    ("talent", "Talent", "million persons", 1e-6),
)


def plot_timeseries(yearly: pd.DataFrame, path: Path) -> Path:
    """Top row: base and scenario mean paths of GDP, air and water emissions and talent; bottom
    row: the mean paired difference in % of the base with its 95% band."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, len(PANELS), figsize=(14, 6.5), sharex=True, layout="constrained")
        for j, (col, title, unit, scale) in enumerate(PANELS):
            top, bottom = axes[0, j], axes[1, j]
            d = yearly[yearly["metric"] == col].sort_values("year")
            if d.empty:
                top.set_axis_off()
                bottom.set_axis_off()
                continue
            yr = d["year"].to_numpy()
            top.plot(yr, d["mean_base"] * scale, color=BASE_COLOUR, marker="o", ms=3, label="base")
            top.plot(yr, d["mean_scenario"] * scale, color=SCEN_COLOUR, marker="o", ms=3, ls="--",
                     label="scenario")  # fmt: skip
            top.set(title=title, ylabel=unit)
            bottom.axhline(0, color="black", lw=0.8)
            bottom.fill_between(yr, d["ci_pct_low"], d["ci_pct_high"], color=SCEN_COLOUR, alpha=0.2,
                                lw=0, label="95% CI")  # fmt: skip
            bottom.plot(yr, d["mean_diff_pct"], color=SCEN_COLOUR, marker="o", ms=3, label="mean difference")
            bottom.set(ylabel="scenario − base, %", xlabel="year")
            for ax in (top, bottom):
                ax.grid(alpha=0.3)
                ax.xaxis.get_major_locator().set_params(integer=True)
            if j == 0:
                top.legend(fontsize=7)
                bottom.legend(fontsize=7)
        fig.suptitle("Base vs scenario: mean paths over the replicates (top) and paired difference (bottom)")
        return _save(fig, path)


def _links(ax: plt.Axes, geo: pd.DataFrame, edges: pd.DataFrame, **style: object) -> None:
    if edges is None or edges.empty:
        return
    sel = edges[edges["a"].isin(geo.index) & edges["b"].isin(geo.index)]
    pairs = sorted({tuple(sorted((str(a), str(b)))) for a, b in zip(sel["a"], sel["b"], strict=True)})
    for a, b in pairs:
        ax.plot([geo.at[a, "lon"], geo.at[b, "lon"]], [geo.at[a, "lat"], geo.at[b, "lat"]], **style)


def plot_map_change(
    city_effects: pd.DataFrame,
    region: Region,
    edges_base: pd.DataFrame,
    edges_scenario: pd.DataFrame,
    path: Path,
    year: int,
) -> Path:
    """Two map panels: per-city % change in GDP and in PM2.5 in ``year`` at the cities' coordinates
    (diverging colours centred on zero; black ring = distinguishable from zero), base links in grey
    and links only the scenario has in dashed black, English names."""
    geo = region.cities
    panels = (
        ("gdp_final", f"GDP, % change in {year}", "RdBu"),  # blue = gain
        ("air_quality_final", f"PM2.5, % change in {year}", "RdBu_r"),  # red = worse air
    )
    new_edges = None
    if edges_scenario is not None and not edges_scenario.empty:
        key = ["a", "b", "mode"]
        merged = edges_scenario.merge(edges_base[key].drop_duplicates(), on=key, how="left", indicator=True)
        new_edges = merged[merged["_merge"] == "left_only"]
    mean_lat = float(geo["lat"].mean()) if len(geo) else 30.0
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(16, 6.8), layout="constrained")
        for ax, (metric, title, cmap) in zip(axes, panels, strict=True):
            d = city_effects[city_effects["metric"] == metric].set_index("city")
            d = d.join(geo[["lat", "lon"]], how="inner")
            _links(ax, geo, edges_base, color="#b0b0b0", lw=1.0, alpha=0.8, zorder=1)
            if new_edges is not None and len(new_edges):
                _links(ax, geo, new_edges, color="black", lw=1.4, ls="--", zorder=2)
            vals = d["mean_diff_pct"].to_numpy(float)
            finite = np.abs(vals[np.isfinite(vals)])
            lim = float(finite.max()) if finite.size and finite.max() > 0 else 1e-6
            norm = TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim)
            rings = ["black" if x else "#cccccc" for x in d["distinguishable"]]
            pts = ax.scatter(
                d["lon"], d["lat"], c=np.nan_to_num(vals), cmap=cmap, norm=norm, s=150,
                edgecolors=rings, linewidths=1.4, zorder=3,
            )  # fmt: skip
            fig.colorbar(pts, ax=ax, shrink=0.75, label="scenario − base, % (mean over replicates)")
            for _, r in d.iterrows():
                ax.annotate(str(r["name_en"]), (r["lon"], r["lat"]), xytext=(6, 4),
                            textcoords="offset points", fontsize=7, zorder=4)  # fmt: skip
            ax.set_aspect(1 / math.cos(math.radians(mean_lat)))
            ax.set(xlabel="longitude, °E", ylabel="latitude, °N", title=title)
            ax.grid(alpha=0.2)
        handles = [
            Line2D([], [], color="#b0b0b0", lw=1.0, label="transport link (base)"),
            Line2D([], [], color="black", lw=1.4, ls="--", label="link only in the scenario"),
            Line2D([], [], ls="", marker="o", mfc="white", mec="black", mew=1.4,
                   label="distinguishable from zero"),
            Line2D([], [], ls="", marker="o", mfc="white", mec="#cccccc", mew=1.4,
                   label="not distinguishable"),
        ]  # fmt: skip
        axes[0].legend(handles=handles, loc="upper right", fontsize=7)
        fig.suptitle("Change by city: scenario vs base (same seeds)")
        return _save(fig, path)
