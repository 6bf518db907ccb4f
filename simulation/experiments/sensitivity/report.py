"""The sensitivity analysis in words: ``summary.md`` of ``run.py analyze``.

Takes an :class:`~simulation.experiments.sensitivity.result.Analysis` and the plots written; returns
markdown.
Every headline comes from :mod:`.verdict` (a "most influential" parameter only where the intervals
separate), every piece of replicate advice from :mod:`.noise`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from simulation.experiments.sensitivity.result import Analysis

REGRESSION_ROWS = 8  # terms shown per metric (largest shares); all of them in regression.parquet

WHAT = {
    "sobol": "Sobol indices (SALib, Saltelli sampling): S1 = share of the output variance due to the "
    "parameter alone; ST = including all its interactions.",
    "morris": "Morris elementary effects (SALib) on the unit cube, i.e. per full parameter range: mu* = "
    "mean absolute effect (importance), sigma = their spread (interactions, non-linearity).",
    "delta": "Borgonovo's moment-independent delta (bias-reduced) and a binned first-order S1 from the "
    "sampled points.",
    "grid": "Main-effect share: Var(E[Y | parameter]) / Var(Y) over the grid points; the rest is "
    "interactions (and leftover seed noise).",
}
INTERVAL = {
    "sobol": "± = half-width of the 95% bootstrap interval (over base samples)",
    "morris": "± = half-width of the 95% bootstrap interval of mu* (over trajectories)",
    "delta": "± = half-width of the 95% bootstrap interval (over points, seeded)",
    "grid": "± = half-width of the 95% bootstrap interval (over replicates: whole seed blocks with "
    "common random numbers)",
}


def label(metric: str) -> str:
    """A metric in words: ``gdp_final`` -> "GDP, final year"."""
    from simulation.experiments.headline import METRIC_BY_NAME

    m = METRIC_BY_NAME.get(metric)
    if m is None:
        col, _, agg = metric.rpartition("_")
        return f"{col} ({agg})"
    return {
        "final": f"{m.what}, final year",
        "cum": f"{m.what}, cumulative",
        "mean": f"{m.what}, mean",
        "total": f"{m.what}, total",
    }[m.agg]


def fmt(x: Any, conf: Any = None) -> str:
    if x is None or not isinstance(x, int | float) or not math.isfinite(x):
        return "n/a"
    if conf is None or not math.isfinite(conf):
        return f"{x:.3g}"
    return f"{x:.3f} ± {conf:.3f}"


def metric_sentence(a: Analysis, metric: str) -> str:
    """One metric's headline (markdown): resolved or not, from the intervals."""
    v = a.verdicts.get(metric)
    body = v.text if v is not None else "no indices"
    return f"**{label(metric)}** (`{metric}`): {body}."


def _name(a: Analysis, p: str) -> str:
    return f"`{p}` — noise floor" if p == a.dummy else f"`{p}`"


def index_table(a: Analysis, metric: str) -> list[str]:
    sel = a.indices[a.indices["metric"] == metric].sort_values("rank")
    head = {
        "sobol": ("S1 (± 95%)", "ST (± 95%)"),
        "morris": ("mu* (± 95%)", "sigma"),
        "delta": ("delta (± 95%)", "S1 (± 95%)"),
        "grid": ("main-effect share (± 95%)", ""),
    }[a.method]
    lines = [f"| rank | parameter | {head[0]} | {head[1]} |", "|---|---|---|---|"]
    for _, r in sel.iterrows():
        if a.method == "sobol":
            c = (fmt(r["S1"], r["S1_conf"]), fmt(r["ST"], r["ST_conf"]))
        elif a.method == "morris":
            c = (fmt(r["mu_star"], r["mu_star_conf"]), fmt(r["sigma"]))
        elif a.method == "delta":
            c = (fmt(r["delta"], r["delta_conf"]), fmt(r["S1"], r["S1_conf"]))
        else:
            c = (fmt(r["S1"], r["S1_conf"]), "")
        lines.append(f"| {r['rank']} | {_name(a, r['parameter'])} | {c[0]} | {c[1]} |")
    return lines


def noise_table(a: Analysis) -> list[str]:
    crn = a.crn
    lines = [
        "| metric | mean | sd | "
        + ("seed blocks | points | point x seed" if crn else "points | within points")
        + " | noise in point means |",
        "|---|---|---|---|---|" + ("---|---|" if crn else "---|"),
    ]
    for _, r in a.metric_stats.iterrows():
        shares = [r.get("seed_share")] if crn else []
        shares += [r.get("point_share"), r.get("noise_share")]
        cells = " | ".join(fmt(x) for x in shares)
        lines.append(
            f"| `{r['metric']}` | {fmt(r['mean'])} | {fmt(r['sd'])} | {cells} | {fmt(r['means_noise'])} |"
        )
    return lines


def regression_lines(a: Analysis, metric: str) -> list[str]:
    fit = a.fits.get(metric)
    note = a.regression_notes.get(metric, "")
    if fit is None:
        return [f"- `{metric}`: {note or 'no regression'}"]
    sel = a.regression[(a.regression["metric"] == metric) & (a.regression["kind"] != "total")]
    sel = sel.sort_values("share", ascending=False, kind="stable")
    shown = pd.concat([sel.head(REGRESSION_ROWS), sel[sel["parameters"] == a.dummy]]).drop_duplicates("term")
    lines = [
        f"**{label(metric)}** (`{metric}`): R² {fit.r2:.3f}, adjusted {fmt(fit.adj_r2)}, {fit.n} points, "
        f"{len(fit.terms)} terms" + (f"; {note}" if note else ""),
        "",
        "| term | coefficient (± 95%) | share of variance (± 95%) |",
        "|---|---|---|",
    ]
    for _, r in shown.iterrows():
        lines.append(
            f"| {r['term']} | {fmt(r['coef'], r['coef_conf'])} | {fmt(r['share'], r['share_conf'])} |"
        )
    return [*lines, ""]


def second_order_lines(a: Analysis) -> list[str]:
    if a.second_order is None:
        return []
    lines = ["## Second-order Sobol indices", "", "S2 per pair (± 95%), the largest five per metric; all in "
             "`second_order.parquet`.", ""]  # fmt: skip
    for x in a.metrics:
        sel = a.second_order[a.second_order["metric"] == x].sort_values("S2", ascending=False).head(5)
        if sel.empty:
            continue
        lines += [f"**`{x}`**", "", "| pair | S2 (± 95%) |", "|---|---|"]
        lines += [f"| `{r['parameter_a']}` × `{r['parameter_b']}` | {fmt(r['S2'], r['S2_conf'])} |"
                  for _, r in sel.iterrows()]  # fmt: skip
        lines.append("")
    return lines


def summary_markdown(a: Analysis, path: Path, plots: dict[str, list[str]]) -> str:
    """The analysis in words: the sweep and its design, per metric the headline (resolved or not)
    with its warnings, the seed-noise split and its advice, the index tables, the regression."""
    m, d = a.manifest, a.manifest["design"]
    dummy = (
        f"The design carries a dummy parameter `{a.dummy}` that no run reads: its index is what a "
        "parameter without effect scores here (estimator bias and seed noise), the noise floor."
        if a.dummy
        else "This design has no dummy parameter (a grid, or an archive made before dummies were "
        "added): indices are judged against zero."
    )
    if a.dummy and a.crn and a.method in ("sobol", "morris"):
        dummy += (
            " With common random numbers a step of the dummy repeats a run exactly, so its index is 0 "
            "by construction: it shows the estimator's floor only, and the point x seed share below "
            "shows how much seed noise is left."
        )
    lines = [
        f"# Sensitivity analysis: sweep {m.get('name')}",
        "",
        f"- archive: `{path}`; design **{d['kind']}**, {d['points']} points x {d['replicates']} replicates, "
        f"root seed {m.get('seed')}; {len(a.runs)} completed runs used",
        *[f"- design: {x}" for x in a.design_lines],
        f"- method: **{a.method}**. {WHAT[a.method]} {INTERVAL[a.method]}.",
        f"- {dummy}",
        "- each point's value is the mean over its completed replicates"
        + (", after removing each seed block's effect (common random numbers)" if a.crn else ""),
        *[f"- note: {n}" for n in a.notes],
        "",
        "## Headline per metric",
        "",
        "A parameter is named most influential only when its 95% interval lies above the next "
        "parameter's and the dummy's; otherwise the line says how large the design would need to be "
        "(half-widths shrink about as 1/sqrt(N)).",
        "",
    ]
    for x in a.metrics:
        lines.append(f"- {metric_sentence(a, x)}")
        lines += [f"  - warning: {w}" for w in a.warnings.get(x, [])]
    lines += ["", "## Seed noise and replicates", "", *noise_table(a), ""]
    lines += [f"- `{r['metric']}`: {r['advice']}" for _, r in a.metric_stats.iterrows() if r.get("advice")]
    if "overview" in plots:
        lines += ["", "## Overview", "", f"![overview]({plots['overview'][0]})"]
    lines += ["", "## Per metric", ""]
    for x in a.metrics:
        if a.indices.empty or (a.indices["metric"] == x).sum() == 0:
            continue
        lines += [f"### {label(x)} (`{x}`)", "", *index_table(a, x), ""]
        lines += [f"![{x}]({rel})\n" for rel in plots.get(x, [])]
    lines += [
        "## Regression with interactions",
        "",
        "Least squares on the point means, each parameter centred on its range (z = 2u - 1): main "
        "effects (half the change over the range), squares and pairwise interactions; *share* = the "
        "part of the variance lost when the term is dropped (an ANOVA), ± over a bootstrap of points.",
        "",
    ]
    for x in a.metrics:
        lines += regression_lines(a, x)
    lines += [f"![surface]({rel})\n" for rel in plots.get("surfaces", [])]
    lines += second_order_lines(a)
    lines += [
        "## Files",
        "",
        "`indices.parquet` (per metric and parameter, the dummy's row flagged), `metrics.parquet` (per "
        "metric: variance split, advice, headline), `regression.parquet` (terms), `point_means.parquet`"
        + (", `second_order.parquet`" if a.second_order is not None else "")
        + ", `plots/`.",
        "",
    ]
    return "\n".join(lines)
