"""Figures of discover and optimise archives (headless, Agg): PRIM's coverage/density trade-off,
the limits of a box, and a Pareto front. Plotting takes tables only."""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10}
DPI = 100
FRONT, OTHER, CHOSEN = "#d81b60", "#9e9e9e", "#1565c0"


def _save(fig: plt.Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return path


def _short(text: str, n: int = 34) -> str:
    return text if len(text) <= n else "…" + text[-(n - 1) :]


def plot_tradeoff(trajectory: pd.DataFrame, path: Path, title: str) -> Path:
    """Coverage against density of every step of every PRIM box, coloured by the number of
    restricted dimensions; the reported step of each box ringed."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.0, 4.6))
        sc = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"],
                        cmap="viridis", s=18, zorder=2)  # fmt: skip
        chosen = trajectory[trajectory["chosen"]]
        ax.scatter(chosen["coverage"], chosen["density"], s=120, facecolors="none", edgecolors=FRONT,
                   linewidths=1.6, zorder=3, label="reported box")  # fmt: skip
        for _, r in chosen.iterrows():
            left = r["coverage"] > 0.7  # keep the label inside the axes
            ax.annotate(f"box {int(r['box'])}, step {int(r['step'])}", (r["coverage"], r["density"]),
                        textcoords="offset points", xytext=(-8 if left else 8, -14), fontsize=8,
                        ha="right" if left else "left")  # fmt: skip
        bar = fig.colorbar(sc, ax=ax, label="restricted dimensions")
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
        ax.set_xlabel("coverage (share of all cases of interest in the box)")
        ax.set_ylabel("density (share of the box's cases of interest)")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left")
        ax.set_title(title)
        fig.tight_layout()
        return _save(fig, path)


def plot_box(limits: pd.DataFrame, full: pd.DataFrame, path: Path, title: str) -> Path:
    """The limits of one box on each numeric parameter's full range (0 = lowest value in the
    sweep, 1 = highest); restricted parameters in colour, categories listed."""
    rows = limits.reset_index(drop=True)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.8, max(2.2, 0.9 + 0.42 * len(rows))))
        for i, r in rows.iterrows():
            y = len(rows) - 1 - i
            colour = CHOSEN if r["restricted"] else OTHER
            if isinstance(r["values"], str):
                ax.text(0.0, y, f"{{{r['values'].replace('|', ', ')}}}", va="center", color=colour)
                continue
            lo, hi = full.loc[r["parameter"], "low"], full.loc[r["parameter"], "high"]
            span = hi - lo if hi > lo else 1.0
            a, b = (r["low"] - lo) / span, (r["high"] - lo) / span
            ax.plot([0, 1], [y, y], color=OTHER, lw=1, alpha=0.5)
            ax.plot([a, b], [y, y], color=colour, lw=6, solid_capstyle="butt")
            ax.text(1.04, y, f"{r['low']:.4g} – {r['high']:.4g}", va="center", fontsize=8)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([_short(p) for p in rows["parameter"]][::-1])
        ax.set_xlim(-0.02, 1.4)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xticks([0, 0.5, 1])
        ax.set_xlabel("share of the parameter's range in the sweep")
        ax.set_title(title)
        fig.tight_layout()
        return _save(fig, path)


def plot_front(candidates: pd.DataFrame, objectives: list[tuple[str, str]], path: Path, title: str) -> Path:
    """Every candidate's objective values, pair by pair; the Pareto front in colour. ``objectives``:
    (column, label) pairs."""
    pairs = list(itertools.combinations(range(len(objectives)), 2)) or [(0, 0)]
    feasible = candidates[candidates["feasible"]]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(pairs), figsize=(4.4 * len(pairs), 4.0), squeeze=False)
        for ax, (i, j) in zip(axes[0], pairs, strict=True):
            (ci, li), (cj, lj) = objectives[i], objectives[j]
            rest = feasible[~feasible["on_front"]]
            front = feasible[feasible["on_front"]].sort_values(ci)
            ax.scatter(rest[ci], rest[cj], s=12, color=OTHER, alpha=0.6, label="evaluated")
            ax.plot(front[ci], front[cj], "o", color=FRONT, ms=5, label="Pareto front")
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.yaxis.set_major_locator(MaxNLocator(5))
            ax.set_xlabel(_short(li, 48))
            ax.set_ylabel(_short(lj, 48))
            ax.grid(alpha=0.3)
        axes[0][0].legend(loc="best")
        fig.suptitle(title)
        fig.tight_layout()
        return _save(fig, path)


def plot_progress(generations: pd.DataFrame, path: Path) -> Path:
    """Size of the Pareto front (over everything evaluated so far) by generation."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.0, 3.2))
        ax.plot(generations["generation"], generations["front_size"], "o-", color=FRONT)
        ax.set_xlabel("generation")
        ax.set_ylabel("candidates on the front so far")
        ax.set_xticks(np.arange(len(generations)))
        ax.grid(alpha=0.3)
        fig.tight_layout()
        return _save(fig, path)
