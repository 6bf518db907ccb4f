"""Figures of one run: the time series and the map. Imported by the archive and the CLI only.

Matplotlib runs headless (Agg) and uses its bundled DejaVu Sans font, so the figures draw on any
machine; city labels use the English names, so no Chinese font is needed.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from simulation.region import MODES, Region  # noqa: E402

STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10}
# drawn in this order, so the fastest mode lies on top where several share a corridor
MODE_STYLE: dict[str, dict[str, object]] = {
    "expressway": {"color": "#9e9e9e", "lw": 3.2, "alpha": 0.55, "label": "expressway"},
    "rail": {"color": "#6d4c41", "lw": 2.0, "alpha": 0.7, "label": "conventional rail"},
    "intercity": {"color": "#1e88e5", "lw": 1.6, "alpha": 0.85, "label": "intercity rail"},
    "hsr": {"color": "#d81b60", "lw": 1.1, "alpha": 0.95, "label": "high-speed rail"},
}
PROVINCE_COLOURS = ("#2e7d32", "#1565c0", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037")
DPI = 110


def _save(fig: plt.Figure, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # no 'Software' or date metadata: the same run gives the same bytes
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)


def plot_timeseries(model_df: pd.DataFrame, path: Path) -> Path:
    """Four panels over the years: GDP, air pollution, water pollution, talent.

    ``model_df`` is the model table (one row a year); GDP is in 100m yuan, emissions in tonnes,
    ``air_quality`` the population-weighted mean PM2.5 and ``water_quality`` the mean water index.
    """
    df = model_df.sort_values("year")
    year = df["year"]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True, layout="constrained")
        (a_gdp, a_air), (a_water, a_tal) = axes

        a_gdp.plot(year, df["gdp"] / 1e4, color="#1565c0", marker="o", ms=3)
        a_gdp.set(title="GDP", ylabel="trillion yuan (base-year prices)")

        a_air.plot(year, df["emissions_air"] / 1e3, color="#6d4c41", marker="o", ms=3)
        a_air.set(title="Air: emissions and PM2.5", ylabel="emissions, kt SO2-eq")
        twin = a_air.twinx()
        twin.plot(year, df["air_quality"], color="#e53935", ls="--")
        twin.set_ylabel("mean PM2.5, µg/m³ (dashed)", color="#e53935")

        a_water.plot(year, df["emissions_water"] / 1e3, color="#00838f", marker="o", ms=3)
        a_water.set(title="Water: emissions and quality", ylabel="emissions, kt COD")
        twin = a_water.twinx()
        twin.plot(year, df["water_quality"], color="#3949ab", ls="--")
        twin.set_ylabel("mean water index, 1 = base median (dashed)", color="#3949ab")

        a_tal.plot(year, df["talent"] / 1e6, color="#2e7d32", marker="o", ms=3)
        a_tal.set(title="Talent (tertiary-educated workers)", ylabel="million persons")

        for ax in axes[1]:
            ax.set_xlabel("year")
        for ax in axes.flat:
            ax.grid(alpha=0.3)
            ax.xaxis.get_major_locator().set_params(integer=True)
        fig.suptitle("Middle Yangtze city cluster over time (higher PM2.5 / index = worse)")
        _save(fig, path)
    return Path(path)


def plot_map(cities_df: pd.DataFrame, region: Region, edges: pd.DataFrame, path: Path, title: str) -> Path:
    """The cluster at its coordinates: links by mode, node size = GDP, colour = PM2.5.

    Args:
        cities_df: the cities table of one year (columns city, gdp, air_quality).
        region: gives each city's lat, lon, English name and province.
        edges: open links (columns a, b, mode), e.g. ``Transport.mode_edges()``.
        path: PNG file to write.
        title: figure title.
    """
    geo = region.cities
    df = cities_df.set_index("city").join(geo[["lat", "lon", "name_en", "province"]], how="inner")
    provinces = sorted(geo["province"].unique())
    edge_of = {p: PROVINCE_COLOURS[i % len(PROVINCE_COLOURS)] for i, p in enumerate(provinces)}
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(10, 8.5), layout="constrained")
        for mode in (m for m in MODE_STYLE if m in MODES):
            st = MODE_STYLE[mode]
            sel = edges[(edges["mode"] == mode) & edges["a"].isin(geo.index) & edges["b"].isin(geo.index)]
            for a, b in zip(sel["a"], sel["b"], strict=True):
                ax.plot(
                    [geo.at[a, "lon"], geo.at[b, "lon"]],
                    [geo.at[a, "lat"], geo.at[b, "lat"]],
                    color=st["color"], lw=st["lw"], alpha=st["alpha"], zorder=1,
                    solid_capstyle="round",
                )  # fmt: skip
        size = 40 + 1400 * df["gdp"] / max(float(df["gdp"].max()), 1e-9)
        pts = ax.scatter(
            df["lon"], df["lat"], s=size, c=df["air_quality"], cmap="YlOrRd",
            edgecolors=[edge_of[p] for p in df["province"]], linewidths=1.6, zorder=3,
        )  # fmt: skip
        fig.colorbar(pts, ax=ax, shrink=0.7, label="PM2.5, µg/m³ (annual mean)")
        for _, row in df.iterrows():
            ax.annotate(
                row["name_en"], (row["lon"], row["lat"]), xytext=(5, 4),
                textcoords="offset points", fontsize=7, zorder=4,
            )  # fmt: skip
        mode_handles = [
            Line2D([], [], color=st["color"], lw=st["lw"], alpha=st["alpha"], label=st["label"])
            for st in MODE_STYLE.values()
        ]
        prov_handles = [
            Line2D([], [], ls="", marker="o", mfc="white", mec=edge_of[p], mew=1.6, label=str(p).title())
            for p in provinces
        ]
        first = ax.legend(handles=mode_handles, title="links", loc="lower left", fontsize=7)
        ax.add_artist(first)
        ax.legend(handles=prov_handles, title="province (ring)", loc="upper right", fontsize=7)
        mean_lat = float(df["lat"].mean()) if len(df) else 30.0
        ax.set_aspect(1 / math.cos(math.radians(mean_lat)))
        ax.set(xlabel="longitude, °E", ylabel="latitude, °N", title=title)
        ax.text(
            0.99, 0.01, "node area ∝ GDP", transform=ax.transAxes, ha="right", va="bottom",
            fontsize=7, color="#555555",
        )  # fmt: skip
        ax.grid(alpha=0.2)
        _save(fig, path)
    return Path(path)
