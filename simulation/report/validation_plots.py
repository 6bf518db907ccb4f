"""Figures of the validation report. Imported only by the validation archive writer (headless Agg).

Each function takes the :class:`simulation.experiments.validate.pipeline.ValidationResult` and a
path; figures carry no date or software metadata, so the same result gives the same bytes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from simulation.experiments.validate import estimators as est  # noqa: E402
from simulation.experiments.validate.baseline import cross_section, pair_table, spearman  # noqa: E402

if TYPE_CHECKING:
    from simulation.experiments.validate.pipeline import ValidationResult

STYLE = {"font.family": "DejaVu Sans", "font.size": 8, "axes.titlesize": 9}
DPI = 110
VERDICT_COLOUR = {"in": "#2e7d32", "out": "#c62828", "inconclusive": "#ef6c00"}
BAND = "#b0bec5"
GROUP_COLOUR = {
    "centre": "#6a1b9a",
    "satellite": "#1565c0",
    "bypassed": "#9e9e9e",
    "receiving zone": "#2e7d32",
    "push city": "#c62828",
    "": "#757575",
}
PROVINCE_COLOUR = {"hubei": "#2e7d32", "hunan": "#1565c0", "jiangxi": "#6a1b9a"}


def _save(fig: plt.Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return path


def plot_all(result: ValidationResult, folder: Path, plots: dict[str, str]) -> None:
    """Draw every figure of :data:`simulation.report.validation.PLOTS` into ``folder``."""
    paths = {k: Path(folder) / v for k, v in plots.items()}
    makers = [
        plot_facts,
        plot_base_fit,
        plot_gravity,
        plot_market_access,
        plot_circle,
        plot_pollution,
        plot_emission_intensity,
    ]
    for maker, path in zip(makers, paths.values(), strict=True):
        maker(result, path)


# ---------------------------------------------------------------------------- facts
def _limits(low: float, high: float, e: float, lo: float, hi: float) -> tuple[float, float]:
    vals = [v for v in (low, high, e, lo, hi, 0.0) if v is not None and math.isfinite(v)]
    a, b = min(vals), max(vals)
    pad = 0.15 * (b - a) if b > a else 1.0
    return a - pad, b + pad


def plot_facts(result: ValidationResult, path: Path) -> Path:
    """One row per fact: the literature range (grey band; a half-line for sign tests), the model's
    estimate with its 95% interval, coloured by the verdict; each row on its own scale."""
    facts = result.facts.reset_index(drop=True)
    n = len(facts)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(n, 1, figsize=(9, 0.62 * n + 0.8), layout="constrained")
        axes = np.atleast_1d(axes)
        for i, (ax, (_, r)) in enumerate(zip(axes, facts.iterrows(), strict=True)):
            low, high = float(r["literature_low"]), float(r["literature_high"])
            e, lo, hi = float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])
            x0, x1 = _limits(low, high, e, lo, hi)
            ax.axvspan(max(low, x0), min(high, x1), color=BAND, alpha=0.6, lw=0)
            if r["test"] != "range":
                ax.axvline(0.0 if r["test"] != "not_below" else low, color="black", lw=0.7)
            colour = VERDICT_COLOUR[r["verdict"]]
            if math.isfinite(e):
                err = None
                if math.isfinite(lo) and math.isfinite(hi):
                    err = [[max(e - lo, 0.0)], [max(hi - e, 0.0)]]
                ax.errorbar(e, 0, xerr=err, fmt="o", color=colour, ecolor=colour, capsize=3, ms=5, lw=1.5)
            ax.set_xlim(x0, x1)
            ax.set_ylim(-1, 1)
            ax.set_yticks([])
            ax.tick_params(axis="x", labelsize=7, pad=1)
            for side in ("left", "right", "top"):
                ax.spines[side].set_visible(False)
            ax.set_title(
                f"{i + 1}. {r['description']} [{r['unit']}] — {r['verdict']}",
                loc="left",
                fontsize=8,
                color=colour,
                pad=2,
            )
        handles = [
            Line2D([], [], color=BAND, lw=8, alpha=0.6, label="literature range / predicted sign"),
            *[Line2D([], [], marker="o", color=c, label=f"model: {v}") for v, c in VERDICT_COLOUR.items()],
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=7, frameon=False)
        fig.suptitle("Stylized facts: model estimate (95% interval) against the literature", fontsize=10)
    return _save(fig, path)


# ---------------------------------------------------------------------------- base-year fit
def plot_base_fit(result: ValidationResult, path: Path) -> Path:
    """Observed against model values in the base year (first seed): the four calibration targets
    on the 45-degree line, and the untargeted wages and firm counts."""
    fit = result.base_fit[result.base_fit["seed"] == result.seeds[0]]
    panels = [
        ("gdp", "GDP 2019 (100m yuan)", True, "target"),
        ("population", "population (persons)", True, "target"),
        ("secondary_share", "secondary share", False, "target"),
        ("pm25", "PM2.5 (µg/m³)", False, "target"),
        ("wage", "average wage (yuan; model = value added per worker)", True, "not targeted"),
        ("industrial_firms", "industrial firms above designated size", True, "not targeted"),
    ]
    colours = [PROVINCE_COLOUR.get(p, "#757575") for p in fit["province"]]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 3, figsize=(12, 7.5), layout="constrained")
        for ax, (col, label, log, kind) in zip(axes.ravel(), panels, strict=True):
            x, y = fit[f"{col}_obs"].to_numpy(float), fit[f"{col}_model"].to_numpy(float)
            ax.scatter(x, y, c=colours, s=18, zorder=3)
            lo, hi = np.nanmin(np.r_[x, y]), np.nanmax(np.r_[x, y])
            if kind == "target":
                ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, ls="--", label="45°")
            else:
                rho = spearman(x, y)
                ax.text(0.03, 0.95, f"Spearman ρ = {rho:.2f}", transform=ax.transAxes, va="top")
            if log:
                ax.set_xscale("log")
                ax.set_yscale("log")
            for xi, yi, name in zip(x, y, fit["name_en"], strict=True):
                if kind != "target" or col == "gdp":
                    ax.annotate(name, (xi, yi), fontsize=5.5, xytext=(2, 2), textcoords="offset points")
            ax.set(title=f"{label} — {kind}", xlabel="observed", ylabel="model, year 0")
            ax.grid(alpha=0.3)
        handles = [Line2D([], [], marker="o", ls="", color=c, label=p) for p, c in PROVINCE_COLOUR.items()]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
        fig.suptitle("Base-year fit per city (first seed)", fontsize=10)
    return _save(fig, path)


# ---------------------------------------------------------------------------- gravity
def plot_gravity(result: ValidationResult, path: Path) -> Path:
    """Talent migration (first seed) net of origin and destination fixed effects against log distance
    and log travel time, within and across provinces, with the PPML slope and the literature's."""
    run = result.first_run
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
        if run is None or not run.tables:
            for ax in axes:
                ax.text(0.5, 0.5, "no run kept", ha="center")
            return _save(fig, path)
        pairs = pair_table(run, "migration")
        for ax, dist, label in (
            (axes[0], "log_km", "ln distance (km)"),
            (axes[1], "log_time", "ln travel time (hours, door to door)"),
        ):
            g = est.gravity(pairs, distance=dist, method="ppml")
            reg = g.regression
            coef = dict(zip(reg.names, reg.coef, strict=True))
            fe = np.array(
                [
                    coef.get(f"fe:origin:{o}", np.nan) + coef.get(f"fe:destination:{d}", 0.0)
                    for o, d in zip(pairs["origin"], pairs["destination"], strict=True)
                ]
            )
            pos = (pairs["flow"] > 0).to_numpy() & np.isfinite(fe)
            xv = pairs[dist].to_numpy(float)
            adj = np.log(pairs["flow"].to_numpy(float)[pos]) - fe[pos]
            border = pairs["border"].to_numpy(float)[pos] > 0
            ax.scatter(xv[pos][~border], adj[~border], s=7, alpha=0.5, color="#1565c0", label="same province")
            ax.scatter(xv[pos][border], adj[border], s=7, alpha=0.5, color="#c62828", label="across a border")
            xs = np.linspace(xv.min(), xv.max(), 50)
            xm = float(np.mean(xv[pos][~border])) if (~border).any() else float(np.mean(xv[pos]))
            ym = float(np.mean(adj[~border])) if (~border).any() else 0.0
            ax.plot(
                xs,
                ym + g.elasticity * (xs - xm),
                color="black",
                lw=1.3,
                label=f"PPML slope {g.elasticity:.2f}",
            )
            for slope in (-0.6, -1.5):
                ax.plot(xs, ym + slope * (xs - xm), color="#757575", lw=0.9, ls="--")
            ax.plot([], [], color="#757575", ls="--", label="literature −0.6 / −1.5 (distance)")
            ax.set(
                xlabel=label,
                ylabel="ln flow − origin and destination effects",
                title=f"Talent migration, seed {run.seed}: border effect {g.border_effect:+.0%}",
            )
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    return _save(fig, path)


# ---------------------------------------------------------------------------- market access
def plot_market_access(result: ValidationResult, path: Path) -> Path:
    """ln GDP per worker against ln market access, both net of province means (first seed), in the
    base and the final year, with the pooled slope and the literature range."""
    run = result.first_run
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained", sharey=True)
        if run is None or not run.tables:
            return _save(fig, path)
        years = sorted(run.tables["cities"]["year"].unique())
        for ax, year, key in (
            (axes[0], years[0], "ma_elasticity_base_year"),
            (axes[1], years[-1], "ma_elasticity"),
        ):
            cs = cross_section(run, int(year))
            dm = cs.groupby("province")[["log_gdp_per_worker", "log_ma"]].transform("mean")
            x = (cs["log_ma"] - dm["log_ma"]).to_numpy()
            y = (cs["log_gdp_per_worker"] - dm["log_gdp_per_worker"]).to_numpy()
            ax.scatter(x, y, c=[PROVINCE_COLOUR.get(p, "#757575") for p in _province_names(result, cs)], s=20)
            names = result.extra["region"].cities["name_en"].to_dict() if "region" in result.extra else {}
            for xi, yi, c in zip(x, y, cs["city"], strict=True):
                ax.annotate(
                    names.get(c, c), (xi, yi), fontsize=5.5, xytext=(2, 2), textcoords="offset points"
                )
            xs = np.linspace(x.min(), x.max(), 20)
            m, lo, hi = result.summaries.get(key, (math.nan,) * 3)
            if math.isfinite(m):
                ax.plot(xs, m * xs, color="black", lw=1.3, label=f"slope {m:.3f} [{lo:.3f}, {hi:.3f}]")
            ax.fill_between(xs, 0.02 * xs, 0.19 * xs, color=BAND, alpha=0.5, label="literature 0.02–0.19")
            ax.set(
                title=f"{int(year)}",
                xlabel="ln market access (net of province mean)",
                ylabel="ln GDP per worker (net of province mean)",
            )
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.suptitle(f"Productivity and market access (seed {run.seed})", fontsize=10)
    return _save(fig, path)


def _province_names(result: ValidationResult, cs: pd.DataFrame) -> list[str]:
    if "region" in result.extra:
        prov = result.extra["region"].cities["province"].to_dict()
        return [prov.get(c, "") for c in cs["city"]]
    return [""] * len(cs)


# ---------------------------------------------------------------------------- what-ifs
def _effects_bar(ax: plt.Axes, sel: pd.DataFrame, names: dict[str, str], xlabel: str) -> None:
    sel = sel.reset_index(drop=True)
    y = np.arange(len(sel))[::-1]
    for yi, (_, r) in zip(y, sel.iterrows(), strict=True):
        colour = GROUP_COLOUR.get(r["group"], "#757575")
        err = None
        if math.isfinite(r["ci_low"]) and math.isfinite(r["ci_high"]):
            err = [[max(r["mean_diff"] - r["ci_low"], 0)], [max(r["ci_high"] - r["mean_diff"], 0)]]
        ax.errorbar(r["mean_diff"], yi, xerr=err, fmt="o", color=colour, ecolor=colour, ms=4, capsize=2)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, [names.get(c, c) for c in sel["city"]], fontsize=6.5)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)


def plot_circle(result: ValidationResult, path: Path) -> Path:
    """GDP growth effect of the city circles by city (mean and 95% interval over replicates),
    grouped into centres, satellites and bypassed cities."""
    ce = result.scenario_cities
    sel = ce[(ce["scenario"] == "city_circle") & (ce["metric"] == "gdp_growth_x100")].copy()
    order = {"centre": 0, "satellite": 1, "bypassed": 2}
    sel["o"] = sel["group"].map(order)
    sel = sel.sort_values(["o", "mean_diff"], ascending=[True, False])
    names = result.extra["region"].cities["name_en"].to_dict() if "region" in result.extra else {}
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 0.2 * max(len(sel), 5) + 1.2), layout="constrained")
        _effects_bar(ax, sel, names, "GDP growth effect, log points × 100 (city_circle − baseline)")
        handles = [Line2D([], [], marker="o", ls="", color=GROUP_COLOUR[g], label=g) for g in order]
        ax.legend(handles=handles, fontsize=7, loc="lower right")
        ax.set_title("1-hour city circles: effect on GDP growth by city (95% interval over replicates)")
    return _save(fig, path)


def plot_pollution(result: ValidationResult, path: Path) -> Path:
    """Per city: change in heavy output against change in air emissions (industry transfer −
    baseline, final year, mean over replicates), with the pooled cross-city slope."""
    ce = result.scenario_cities
    t = ce[ce["scenario"] == "industry_transfer"]
    h = t[t["metric"] == "heavy_output_pct"].set_index("city")
    e = t[t["metric"] == "emissions_air_pct"].set_index("city").reindex(h.index)
    names = result.extra["region"].cities["name_en"].to_dict() if "region" in result.extra else {}
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.5, 5.5), layout="constrained")
        for city in h.index:
            g = h.at[city, "group"]
            ax.errorbar(
                h.at[city, "mean_diff"],
                e.at[city, "mean_diff"],
                xerr=[
                    [max(h.at[city, "mean_diff"] - h.at[city, "ci_low"], 0)],
                    [max(h.at[city, "ci_high"] - h.at[city, "mean_diff"], 0)],
                ],
                yerr=[
                    [max(e.at[city, "mean_diff"] - e.at[city, "ci_low"], 0)],
                    [max(e.at[city, "ci_high"] - e.at[city, "mean_diff"], 0)],
                ],
                fmt="o",
                color=GROUP_COLOUR.get(g, "#757575"),
                ms=4,
                lw=0.8,
                capsize=1.5,
            )
            ax.annotate(
                names.get(city, city),
                (h.at[city, "mean_diff"], e.at[city, "mean_diff"]),
                fontsize=6,
                xytext=(3, 2),
                textcoords="offset points",
            )
        f = result.facts.set_index("fact")
        if "pollution_follows_industry" in f.index:
            m = float(f.at["pollution_follows_industry", "estimate"])
            if math.isfinite(m):
                xs = np.linspace(np.nanmin(h["mean_diff"]), np.nanmax(h["mean_diff"]), 30)
                lx = np.log1p(xs / 100.0)
                ax.plot(
                    xs,
                    np.expm1(m * lx) * 100.0,
                    color="black",
                    lw=1,
                    ls="--",
                    label=f"pooled slope (log changes) {m:.2f}",
                )
        ax.axhline(0, color="black", lw=0.6)
        ax.axvline(0, color="black", lw=0.6)
        handles = [
            Line2D([], [], marker="o", ls="", color=GROUP_COLOUR[g], label=g or "other city")
            for g in ("receiving zone", "push city", "")
        ]
        ax.legend(handles=[*handles, *ax.get_legend_handles_labels()[0]], fontsize=7)
        ax.set(
            xlabel="heavy-industry output, % change (industry_transfer − baseline, final year)",
            ylabel="air emissions, % change",
            title="Does pollution follow relocated heavy industry?",
        )
        ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_emission_intensity(result: ValidationResult, path: Path) -> Path:
    """ln emission intensity against ln GDP per capita in the base and the final year (first seed),
    with each year's cross-city OLS line."""
    run = result.first_run
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.5, 5.2), layout="constrained")
        if run is None or not run.tables:
            return _save(fig, path)
        c = run.tables["cities"]
        years = sorted(c["year"].unique())
        names = result.extra["region"].cities["name_en"].to_dict() if "region" in result.extra else {}
        for year, colour in ((years[0], "#6d4c41"), (years[-1], "#1565c0")):
            s = c[c["year"] == year]
            x = np.log(s["gdp_per_capita"].to_numpy(float))
            y = np.log((s["emissions_air"] / s["gdp"]).to_numpy(float))
            ok = np.isfinite(x) & np.isfinite(y)
            ax.scatter(x[ok], y[ok], s=16, color=colour, label=str(int(year)))
            if ok.sum() > 2:
                fit = est.elasticity(y[ok], x[ok])
                xs = np.linspace(x[ok].min(), x[ok].max(), 20)
                ax.plot(
                    xs,
                    y[ok].mean() + fit.coef * (xs - x[ok].mean()),
                    color=colour,
                    lw=1,
                    label=f"{int(year)} across cities: slope {fit.coef:.2f}",
                )
            if year == years[0]:
                for xi, yi, cty in zip(x, y, s["city"], strict=True):
                    ax.annotate(
                        names.get(cty, cty), (xi, yi), fontsize=5.5, xytext=(2, 2), textcoords="offset points"
                    )
        ax.set(
            xlabel="ln GDP per capita (yuan)",
            ylabel="ln air emissions per 100m yuan of GDP (t)",
            title=f"Emission intensity and income (seed {run.seed}); literature −1.5 to −0.5",
        )
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return _save(fig, path)
