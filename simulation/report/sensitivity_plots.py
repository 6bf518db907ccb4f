"""Figures of a sweep analysis: sensitivity bars per metric (the dummy's noise floor marked), an
overview heatmap of the indices, outcome against each parameter, the outcome over a 2-parameter
grid, and the response surface of the fitted regression over two parameters. Headless (Agg)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10}
DPI = 100
FIRST, TOTAL, MUTED = "#1565c0", "#d81b60", "#9e9e9e"


def _save(fig: plt.Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata={"Software": None})  # no date/software: reproducible bytes
    plt.close(fig)
    return path


def _short(path: str) -> str:
    return path if len(path) <= 34 else "…" + path[-33:]


def plot_bars(
    rows: pd.DataFrame, method: str, metric: str, label: str, path: Path, dummy: str | None = None
) -> Path:
    """Sensitivity of one metric to each parameter: paired horizontal bars with 95% intervals
    (Sobol S1 and ST; Morris mu* and sigma; delta and S1; grid main-effect share); the dummy's
    bars grey and the upper end of its key index's interval a dashed line (the noise floor)."""
    bars = {
        "sobol": [("S1", "S1_conf", "first order S1", FIRST), ("ST", "ST_conf", "total order ST", TOTAL)],
        "morris": [
            ("mu_star", "mu_star_conf", "mu* (mean |elementary effect|)", FIRST),
            ("sigma", None, "sigma (interactions, non-linearity)", TOTAL),
        ],
        "delta": [("S1", "S1_conf", "first order S1", FIRST), ("delta", "delta_conf", "delta", TOTAL)],
        "grid": [("S1", "S1_conf", "main-effect share of variance", FIRST)],
    }[method]
    rows = rows.iloc[::-1]
    y = np.arange(len(rows))
    h = 0.8 / len(bars)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7, 1.2 + 0.45 * len(rows) * len(bars)), layout="constrained")
        for k, (col, conf, name, colour) in enumerate(bars):
            vals = rows[col].to_numpy(float)
            err = rows[conf].to_numpy(float) if conf and conf in rows else None
            colours = [MUTED if p == dummy else colour for p in rows["parameter"]]
            ax.barh(
                y + (k - (len(bars) - 1) / 2) * h,
                np.nan_to_num(vals),
                height=h,
                color=colours,
                xerr=None if err is None else np.nan_to_num(err),
                capsize=2,
                label=name,
            )
        floor = rows[rows["parameter"] == dummy] if dummy is not None else rows.iloc[0:0]
        key, key_conf = bars[-1][0], bars[-1][1]
        if method == "morris":
            key, key_conf = bars[0][0], bars[0][1]
        if len(floor) and key_conf and math.isfinite(float(floor[key].iloc[0])):
            top = float(floor[key].iloc[0]) + float(np.nan_to_num(floor[key_conf].iloc[0]))
            ax.axvline(top, color=MUTED, ls="--", lw=1, label=f"noise floor (dummy {key}, upper end)")
        handles = [Patch(color=colour, label=name) for _, _, name, colour in bars]
        if len(floor):
            handles.append(Patch(color=MUTED, label="the dummy (no effect by design)"))
        handles += [h for h in ax.get_legend_handles_labels()[0] if isinstance(h, Line2D)]
        ax.set_yticks(y, [_short(p) for p in rows["parameter"]])
        ax.axvline(0, color="black", lw=0.6)
        ax.set_title(f"{label} — {method}")
        ax.set_xlabel("index (95% interval)" if method != "morris" else "per full parameter range")
        ax.legend(handles=handles, loc="lower right", fontsize=8)
        return _save(fig, path)


def plot_overview(table: pd.DataFrame, value: str, title: str, path: Path) -> Path:
    """Metrics (rows) by parameters (columns), coloured and labelled by one index (e.g. ST)."""
    wide = table.pivot(index="metric", columns="parameter", values=value)
    wide = wide.reindex(
        index=list(dict.fromkeys(table["metric"])), columns=list(dict.fromkeys(table["parameter"]))
    )
    data = wide.to_numpy(float)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(
            figsize=(3.5 + 1.1 * data.shape[1], 2.2 + 0.3 * data.shape[0]), layout="constrained"
        )
        vmax = float(np.nanmax(np.abs(data))) if np.isfinite(data).any() else 1.0
        im = ax.imshow(data, cmap="viridis", vmin=0, vmax=max(vmax, 1e-12), aspect="auto")
        ax.set_xticks(range(data.shape[1]), [_short(p) for p in wide.columns], rotation=30, ha="right")
        ax.set_yticks(range(data.shape[0]), list(wide.index))
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                if math.isfinite(data[i, j]):
                    ax.text(
                        j,
                        i,
                        f"{data[i, j]:.2f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if data[i, j] < 0.6 * vmax else "black",
                    )
        fig.colorbar(im, ax=ax, shrink=0.8)
        ax.set_title(title)
        return _save(fig, path)


def plot_outcome(runs: pd.DataFrame, params: list[str], metric: str, label: str, path: Path) -> Path:
    """The metric of every completed run against each parameter (one panel each), with the mean
    per distinct parameter value where values repeat (grids)."""
    n = len(params)
    cols = min(n, 3)
    rows_n = math.ceil(n / cols)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            rows_n, cols, figsize=(3.6 * cols, 2.9 * rows_n), squeeze=False, layout="constrained"
        )
        for k, p in enumerate(params):
            ax = axes[k // cols][k % cols]
            x, yv = runs[p], runs[metric].to_numpy(float)
            numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
            xs = x.to_numpy(float) if numeric else pd.Categorical(x.astype(str)).codes.astype(float)
            ax.scatter(xs, yv, s=9, alpha=0.5, color=FIRST, lw=0)
            if x.nunique() <= 12:
                means = pd.Series(yv).groupby(xs).mean()
                ax.plot(means.index, means.to_numpy(), color=TOTAL, marker="o", ms=4, lw=1.2)
            if not numeric:
                cats = pd.Categorical(x.astype(str)).categories
                ax.set_xticks(range(len(cats)), list(cats), rotation=30)
            ax.set_xlabel(_short(p))
            ax.set_ylabel(metric if k % cols == 0 else "")
        for k in range(n, rows_n * cols):
            axes[k // cols][k % cols].axis("off")
        fig.suptitle(label)
        return _save(fig, path)


def plot_grid(means: pd.DataFrame, px: str, py: str, metric: str, label: str, path: Path) -> Path:
    """Mean outcome over a 2-parameter grid (a heatmap with the values written in)."""
    wide = means.pivot_table(index=py, columns=px, values=metric, aggfunc="mean")
    data = wide.to_numpy(float)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(
            figsize=(1.8 + 0.9 * data.shape[1], 1.6 + 0.6 * data.shape[0]), layout="constrained"
        )
        im = ax.imshow(data, cmap="viridis", origin="lower", aspect="auto")
        ax.set_xticks(
            range(data.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in wide.columns]
        )
        ax.set_yticks(
            range(data.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in wide.index]
        )
        finite = data[np.isfinite(data)]
        mid = (finite.min() + finite.max()) / 2 if finite.size else 0
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                if math.isfinite(data[i, j]):
                    ax.text(
                        j,
                        i,
                        f"{data[i, j]:.4g}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if data[i, j] < mid else "black",
                    )
        ax.set_xlabel(px)
        ax.set_ylabel(py)
        fig.colorbar(im, ax=ax, shrink=0.85)
        ax.set_title(f"{label}\n(mean over replicates)")
        return _save(fig, path)


def plot_surface(
    fit, means: pd.DataFrame, px: tuple[str, dict], py: tuple[str, dict], metric: str, label: str, path: Path
) -> Path:
    """The regression's fitted mean of ``metric`` over two parameters (filled contours; every other
    parameter at the centre of its range) with the point means on top, coloured alike.

    Args:
        fit: a :class:`~simulation.experiments.sensitivity.regression.Fit`.
        px, py: (path, spec) of the two parameters.
    """
    from simulation.experiments.sensitivity.design import unit_coordinates, value_at
    from simulation.experiments.sensitivity.regression import surface

    i, j = fit.names.index(px[0]), fit.names.index(py[0])
    gu, gv, z = surface(fit, i, j)
    xs, ys = value_at(px[1], gu), value_at(py[1], gv)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.2, 4.8), layout="constrained")
        vals = means[metric].to_numpy(float)
        finite = vals[np.isfinite(vals)]
        lo = float(min(z.min(), finite.min())) if finite.size else float(z.min())
        hi = float(max(z.max(), finite.max())) if finite.size else float(z.max())
        levels = np.linspace(lo, hi if hi > lo else lo + 1e-12, 15)
        cs = ax.contourf(xs, ys, z, levels=levels, cmap="viridis")
        ax.contour(xs, ys, z, levels=levels[::2], colors="white", linewidths=0.4)
        u = unit_coordinates(means, [px[1], py[1]])
        ax.scatter(value_at(px[1], u[:, 0]), value_at(py[1], u[:, 1]), c=vals, cmap="viridis",
                   vmin=levels[0], vmax=levels[-1], s=16, edgecolors="black", linewidths=0.4)  # fmt: skip
        if px[1].get("log"):
            ax.set_xscale("log")
        if py[1].get("log"):
            ax.set_yscale("log")
        ax.set_xlabel(px[0])
        ax.set_ylabel(py[0])
        fig.colorbar(cs, ax=ax, shrink=0.85, label=metric)
        ax.set_title(
            f"{label}: fitted response surface (R² {fit.r2:.2f})\n"
            "other parameters at mid-range; dots: point means"
        )
        return _save(fig, path)
