"""The backtest's part of the validation report: markdown lines and one figure."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

PLOT = "plots/backtest.png"
UNITS = {
    "gdp_real_growth": "% y/y",
    "gdp_share": "% of the observed cities' GDP",
    "population": "10k residents",
    "pm25": "µg/m³",
    "secondary_share": "% of GDP",
    "pm25_change_since_2019": "% since 2019",
    "population_growth": "% y/y",
}


def _f(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):+.{digits}f}"


def _v(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):.{digits}f}"


def lines(rows: pd.DataFrame, summary: pd.DataFrame, cluster: pd.DataFrame) -> list[str]:
    """The report section: cluster paths, per-series errors, the misses, city rows."""
    out = ["## 8. Backtest: the baseline against the observed panel (out-of-sample 2022-2023)", ""]
    if rows is None or rows.empty:
        return [*out, "The region has no panel.csv: nothing to backtest.", ""]
    out += [
        "The model's baseline (all seeds; mean and standard deviation over them) against the region's "
        "observed panel (`panel.csv`, every value with its source; first-published official figures "
        "preferred). 2019-2021 is the fit window (what `calibrate` may use: in-sample); **2022-2023 is "
        "out of sample**: nothing in the model was set to match it. How each model number is made "
        "comparable is in `simulation/experiments/backtest.py`.",
        "",
        "**Cluster paths** (observed range = the span of the provinces' or observed cities' own values):",
        "",
        "| series | year | window | observed | observed range | model (sd) | error | in range |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in cluster.itertuples(index=False):
        out.append(
            f"| {r.series} ({UNITS.get(r.series, '')}) | {r.year} | {r.window} | {_v(r.observed)} | "
            f"{_v(r.observed_low)} to {_v(r.observed_high)} ({r.scopes}) | "
            f"{_v(r.model)} ({_v(r.model_sd)}) | "
            f"{_f(r.error)} | {'yes' if r.in_range else '**no**'} |"
        )
    out += [
        "",
        "**Errors by series** (model − observed; MAE = mean absolute error; rank = Spearman across "
        "scopes, mean over years with at least 5):",
        "",
        "| series | level | window | n | bias | MAE | MAE % | rank |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in summary.itertuples(index=False):
        out.append(
            f"| {r.series} ({UNITS.get(r.series, '')}) | {r.level} | {r.window} | {r.n} | {_f(r.bias)} | "
            f"{_v(r.mae)} | {_v(r.mape_pct, 1)} | {_v(r.spearman)} |"
        )
    out += ["", *_misses(rows, cluster), "", f"![Backtest]({PLOT})", ""]
    out += ["Province rows (the cluster's cities of the province against the whole province):", ""]
    out += _table(rows[rows["level"] == "province"])
    return out


def _misses(rows: pd.DataFrame, cluster: pd.DataFrame) -> list[str]:
    """Where the model misses, in words: cluster paths out of range, the largest out-of-sample errors."""
    out = ["**Where the model misses.**", ""]
    for r in cluster[~cluster["in_range"]].itertuples(index=False):
        out.append(
            f"- {r.series} {r.year} ({r.window}): model {_v(r.model)} vs observed {_v(r.observed)} "
            f"({r.scopes}), outside the observed range {_v(r.observed_low)} to {_v(r.observed_high)}."
        )
    oos = rows[rows["window"] == "out-of-sample"].copy()
    oos["abs_pct"] = oos["error_pct"].abs()
    for r in oos.sort_values("abs_pct", ascending=False).head(5).itertuples(index=False):
        out.append(
            f"- {r.series} {r.scope} {r.year}: model {_v(r.model)} vs observed {_v(r.observed)} "
            f"({_f(r.error_pct, 1)}%; {r.kind}, {r.revision})."
        )
    if len(out) == 2:
        out.append("- none: every cluster path is inside its observed range.")
    return out


def _table(rows: pd.DataFrame) -> list[str]:
    out = [
        "| series | scope | year | window | observed | model (sd) | error | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows.itertuples(index=False):
        out.append(
            f"| {r.series} | {r.scope} | {r.year} | {r.window} | {_v(r.observed)} | {_v(r.model)} "
            f"({_v(r.model_sd)}) | {_f(r.error)} | {r.kind}: {r.source} |"
        )
    return [*out, ""]


def plot(rows: pd.DataFrame, path: Path) -> Path:
    """Observed against model, one panel per series, fit window and out-of-sample in two colours."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    series = [s for s in UNITS if not rows.empty and s in set(rows["series"])]
    k = max(len(series), 1)
    fig, axes = plt.subplots(1, k, figsize=(3.2 * k, 3.4), layout="constrained")
    axes = [axes] if len(series) <= 1 else list(axes)
    for ax, s in zip(axes, series, strict=False):
        g = rows[rows["series"] == s]
        for win, colour in (("fit window", "#9e9e9e"), ("out-of-sample", "#d62728")):
            h = g[g["window"] == win]
            ax.errorbar(h["observed"], h["model"], yerr=h["model_sd"], fmt="o", ms=4, color=colour,
                        label=win, alpha=0.85)  # fmt: skip
        lo = float(min(g["observed"].min(), g["model"].min()))
        hi = float(max(g["observed"].max(), g["model"].max()))
        ax.plot([lo, hi], [lo, hi], color="black", lw=0.8)
        ax.set_title(f"{s}\n({UNITS[s]})", fontsize=9)
        ax.set_xlabel("observed")
        ax.set_ylabel("model")
    axes[0].legend(fontsize=7)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
