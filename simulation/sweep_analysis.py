"""Sensitivity analysis of a sweep archive: ``uv run run.py analyze SWEEP_ARCHIVE``.

Reads ``runs.parquet`` (one row per run with its parameters and summary metrics; metrics it lacks
are computed from the run files with a pyarrow dataset scan), averages each metric over the
replicates of a point and, per metric:

- ``sobol`` designs: Sobol first-order (S1) and total-order (ST) indices with 95% bootstrap
  intervals (SALib ``sobol.analyze``; second-order S2 when the sweep sampled them). A Saltelli block
  (the D + 2 or 2D + 2 points built from one base sample) with a failed point is left out whole.
- ``morris`` designs: mu, mu* (with its 95% interval) and sigma of the elementary effects (SALib),
  per full parameter range (effects are computed on the unit cube); trajectories with a failed
  point are left out.
- ``random`` and ``lhs`` designs: the moment-independent delta and first-order S1 (SALib ``delta``).
- ``grid`` designs: each parameter's main-effect share of the variance across the grid,
  Var(E[Y | x_i]) / Var(Y), and the rest as interactions.

It also reports the share of each metric's run-to-run variance that is seed noise (variance within
points over total variance), which says how many replicates a design needs.

Writes ``<archive>/analysis/`` (replaced as a whole, atomically): ``indices.parquet``,
``metrics.parquet`` (per metric: mean, sd, noise share, points used), ``second_order.parquet``
(Sobol with second order), ``plots/`` (sensitivity bars per metric, an overview heatmap, outcome
against each parameter per metric, a heatmap per metric for a 2-parameter grid), ``summary.md`` and
``manifest.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import archive as arc
from simulation.limits import MAX_RESAMPLES
from simulation.sweep import (
    ANALYSIS,
    INDEX,
    SAMPLED,
    metric_values,
    read_index,
    read_run_tables,
)

METHODS = ("auto", "sobol", "morris", "delta", "grid")
CONFIDENCE = 0.95
ANALYZE_HELP = "sensitivity of a sweep's metrics to its parameters: Sobol or Morris indices, plots, summary"


@dataclass
class Analysis:
    """Result of :func:`analyze`.

    Attributes:
        method: sobol | morris | delta | grid.
        params: the swept parameters, in the sweep's order.
        metrics: the metrics analysed.
        indices: one row per (metric, parameter) with the method's indices and interval
            half-widths (``*_conf``); column ``rank`` (1 = most influential by ST, mu*, delta or S1).
        metric_stats: one row per metric: mean, sd, noise_share, points, points_used, runs_ok.
        second_order: Sobol S2 per (metric, parameter pair), when sampled; else None.
        point_means: one row per point: parameters and each metric averaged over ok replicates.
        runs: the ok runs (parameters and metrics).
        notes: things the reader must know (dropped blocks, constant metrics, ...).
    """

    method: str
    params: list[str]
    metrics: list[str]
    indices: pd.DataFrame
    metric_stats: pd.DataFrame
    second_order: pd.DataFrame | None
    point_means: pd.DataFrame
    runs: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)


def _key_column(method: str) -> str:
    return {"sobol": "ST", "morris": "mu_star", "delta": "delta", "grid": "S1"}[method]


def _problem(params: list[str]) -> dict[str, Any]:
    return {"num_vars": len(params), "names": params, "bounds": [[0.0, 1.0]] * len(params)}


def _blocks_ok(y: np.ndarray, size: int) -> np.ndarray:
    """Mask of rows in complete blocks of ``size`` consecutive rows (no NaN in the block)."""
    n = len(y) // size
    good = np.isfinite(y[: n * size].reshape(n, size)).all(axis=1)
    return np.repeat(good, size)


def _sobol(y: np.ndarray, params: list[str], second: bool, resamples: int, seed: int) -> tuple[dict, int]:
    from SALib.analyze import sobol

    d = len(params)
    size = 2 * d + 2 if second else d + 2
    mask = _blocks_ok(y, size)
    res = sobol.analyze(
        _problem(params),
        y[: len(mask)][mask],
        calc_second_order=second,
        num_resamples=resamples,
        conf_level=CONFIDENCE,
        seed=seed,
    )
    return res, int(mask.sum() // size)


def _morris(
    x: np.ndarray, y: np.ndarray, params: list[str], levels: int, resamples: int, seed: int
) -> tuple[dict, int]:
    from SALib.analyze import morris

    size = len(params) + 1
    mask = _blocks_ok(y, size)
    res = morris.analyze(
        _problem(params),
        x[: len(mask)][mask],
        y[: len(mask)][mask],
        num_resamples=resamples,
        conf_level=CONFIDENCE,
        num_levels=levels,
        seed=seed,
    )
    return res, int(mask.sum() // size)


def _delta(x: np.ndarray, y: np.ndarray, params: list[str], resamples: int, seed: int) -> tuple[dict, int]:
    from SALib.analyze import delta

    mask = np.isfinite(y)
    res = delta.analyze(
        _problem(params), x[mask], y[mask], num_resamples=resamples, conf_level=CONFIDENCE, seed=seed
    )
    out = dict(res)
    for src in ("delta", "delta_balanced", "delta_raw"):  # SALib >= 1.5 names several estimators
        if src in out:
            out["delta"], out["delta_conf"] = out[src], out[f"{src}_conf"]
            break
    return out, int(mask.sum())


def _grid(means: pd.DataFrame, params: list[str], metric: str) -> tuple[dict, int]:
    ok = means[np.isfinite(means[metric].to_numpy(float))]
    y = ok[metric].to_numpy(float)
    var = float(y.var())
    s1 = []
    for p in params:
        cond = ok.groupby(p, sort=True)[metric].mean()
        counts = ok.groupby(p, sort=True)[metric].size()
        s1.append(float(((cond - y.mean()) ** 2 * counts).sum() / len(y) / var) if var > 0 else math.nan)
    return {"S1": np.array(s1)}, len(ok)


def _metric_stats(runs: pd.DataFrame, means: pd.DataFrame, metric: str) -> dict[str, Any]:
    """Mean, sd and seed-noise share of one metric: the mean within-point variance over the total
    variance of the runs (both ddof 0, so that with equal replicates it lies in [0, 1])."""
    ok = runs[np.isfinite(runs[metric].to_numpy(float))]
    y = ok[metric].to_numpy(float)
    total = float(np.var(y)) if len(y) > 1 else math.nan
    within = ok.groupby("point")[metric].var(ddof=0)
    noise = math.nan
    if ok["point"].duplicated().any() and total > 0:
        noise = min(1.0, float(within.mean() / total))
    elif total == 0:
        noise = 0.0
    return {
        "metric": metric, "mean": float(y.mean()) if len(y) else math.nan,
        "sd": float(np.std(y, ddof=1)) if len(y) > 1 else math.nan, "noise_share": noise,
        "points": len(means), "runs_ok": len(y),
    }  # fmt: skip


def _run_columns(path: Path, run_ids: list[str]) -> list[str]:
    """The numeric columns of the model table in the run files (the first readable one)."""
    for rid in run_ids[:1]:
        f = Path(path) / "runs" / f"{rid}.parquet"
        if f.is_file():
            model = pd.read_parquet(f, filters=[("table", "==", "model")])
            skip = {"table", "year", "city"}
            return sorted(c for c in model.columns if c not in skip and model[c].notna().any())
    return []


def analyze(
    path: Path, method: str = "auto", metrics: list[str] | None = None, resamples: int = 500
) -> Analysis:
    """Sensitivity indices of every metric of the sweep archive at ``path``.

    Args:
        path: a sweep archive (with ``runs.parquet``).
        method: "auto" (the design's own: sobol -> sobol, morris -> morris, random/lhs -> delta,
            grid -> grid) or one of those.
        metrics: metric names (``<model column>_<agg>``); default: those of ``runs.parquet``.
        resamples: bootstrap resamples for the intervals.

    Raises:
        ArchiveError: not a sweep archive, no runs.parquet, no completed run, or a method that
            the design does not support.
    """
    path = Path(path)
    m = arc.checked_manifest(path, "sweep")  # every file as the manifest lists it, before reading any
    design = m["design"]
    kind = design["kind"]
    params = [p["path"] for p in design["parameters"]]
    if method not in METHODS:
        raise arc.ArchiveError("command line", "--method", f"{method!r} (allowed: {', '.join(METHODS)})")
    if method == "auto":
        method = {"sobol": "sobol", "morris": "morris", "grid": "grid"}.get(kind, "delta")
    allowed = {"sobol": ("sobol",), "morris": ("morris",), "grid": ("grid",), "delta": SAMPLED}[method]
    if kind not in allowed:
        raise arc.ArchiveError(
            path,
            "--method",
            f"{method} needs a {' or '.join(allowed)} design; this sweep is a {kind} design (allowed: auto)",
        )
    index = read_index(path)
    stored = list(design.get("metrics") or [])
    metrics = list(metrics or stored)
    notes: list[str] = []
    ok_runs = index[index["status"] == "ok"].copy()
    if ok_runs.empty:
        raise arc.ArchiveError(path, INDEX, "no completed run to analyse (run the sweep first)")
    extra = [x for x in metrics if x not in index.columns]
    if extra:  # metrics not in the index: computed from the run files
        for x in extra:
            col, _, agg = x.rpartition("_")
            if not col or agg not in ("final", "cum", "mean", "total", "max", "min"):
                raise arc.ArchiveError(
                    "command line",
                    "--metrics",
                    f"{x!r} (allowed: <model column>_<final|cum|mean|total|max|min>)",
                )
        columns = _run_columns(path, list(dict.fromkeys(ok_runs["run_id"])))
        for x in extra:
            if x.rpartition("_")[0] not in columns:
                raise arc.ArchiveError(
                    "command line",
                    "--metrics",
                    f"{x!r}: the runs' model table has no column {x.rpartition('_')[0]!r} (allowed: "
                    f"<column>_<final|cum|mean|total|max|min> with a column of: {', '.join(columns)})",
                )
        model = read_run_tables(
            path,
            "model",
            sorted({x.rpartition("_")[0] for x in extra}),
            list(dict.fromkeys(ok_runs["run_id"])),
        )
        vals = {str(r): metric_values(g, extra) for r, g in model.groupby("run_id", sort=True)}
        for x in extra:
            ok_runs[x] = [vals.get(r, {}).get(x, math.nan) for r in ok_runs["run_id"]]
    for x in list(metrics):
        if not np.isfinite(ok_runs[x].to_numpy(float)).any():
            notes.append(f"{x}: no values (the model table has no such column); left out")
            metrics.remove(x)
    counts = index["status"].value_counts().to_dict()
    if counts.get("failed", 0) or counts.get("pending", 0):
        notes.append(
            f"{counts.get('failed', 0)} failed and {counts.get('pending', 0)} pending runs are left out"
        )

    pts = pd.read_parquet(path / "design.parquet")
    ucols = [f"u:{p}" for p in params]
    points = pts.drop_duplicates("point").sort_values("point")[
        ["point", *params, *[c for c in ucols if c in pts]]
    ]
    means = ok_runs.groupby("point")[metrics].mean()
    point_means = points.set_index("point").join(means, how="left").reset_index()
    x_unit = point_means[ucols].to_numpy(float) if all(c in point_means for c in ucols) else None
    seed = int(m.get("seed", 0))

    rows, stats, second_rows = [], [], []
    for metric in metrics:
        y = point_means[metric].to_numpy(float)
        st = _metric_stats(ok_runs, point_means, metric)
        finite = y[np.isfinite(y)]
        if finite.size < 2 or float(np.var(finite)) == 0.0:
            notes.append(f"{metric}: constant across the sweep; no indices")
            st["points_used"] = int(finite.size)
            stats.append(st)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if method == "sobol":
                    res, used = _sobol(y, params, bool(design.get("second_order")), resamples, seed)
                elif method == "morris":
                    assert x_unit is not None
                    res, used = _morris(x_unit, y, params, int(design.get("levels") or 4), resamples, seed)
                elif method == "delta":
                    assert x_unit is not None
                    res, used = _delta(x_unit, y, params, resamples, seed)
                else:
                    res, used = _grid(point_means, params, metric)
            except (ValueError, ZeroDivisionError, IndexError, FloatingPointError) as err:
                notes.append(f"{metric}: {method} analysis failed: {' '.join(str(err).split())}")
                st["points_used"] = 0
                stats.append(st)
                continue
        st["points_used"] = used
        stats.append(st)
        keys = [
            k
            for k in (
                "S1",
                "S1_conf",
                "ST",
                "ST_conf",
                "mu",
                "mu_star",
                "mu_star_conf",
                "sigma",
                "delta",
                "delta_conf",
            )
            if k in res
        ]
        for i, p in enumerate(params):
            rows.append({"metric": metric, "parameter": p, **{k: float(np.asarray(res[k])[i]) for k in keys}})
        if method == "sobol" and design.get("second_order") and "S2" in res:
            for i in range(len(params)):
                for j in range(i + 1, len(params)):
                    second_rows.append(
                        {
                            "metric": metric,
                            "parameter_a": params[i],
                            "parameter_b": params[j],
                            "S2": float(res["S2"][i, j]),
                            "S2_conf": float(res["S2_conf"][i, j]),
                        }
                    )
    indices = pd.DataFrame(rows)
    if not indices.empty:
        key = _key_column(method)
        indices["rank"] = (
            indices.groupby("metric")[key]
            .rank(ascending=False, method="first")
            .fillna(len(params))
            .astype("int64")
        )
    return Analysis(
        method=method,
        params=params,
        metrics=metrics,
        indices=indices,
        metric_stats=pd.DataFrame(stats),
        second_order=pd.DataFrame(second_rows) if second_rows else None,
        point_means=point_means,
        runs=ok_runs,
        notes=notes,
        manifest=m,
    )


# ---------------------------------------------------------------------------- words and files
def _label(metric: str) -> str:
    from simulation.compare import METRIC_BY_NAME

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


def _fmt(x: float, conf: float | None = None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    if conf is None or not math.isfinite(conf):
        return f"{x:.3g}"
    return f"{x:.3f} ± {conf:.3f}"


def metric_sentence(a: Analysis, metric: str) -> str:
    """The most influential parameter of one metric in words."""
    sel = a.indices[a.indices["metric"] == metric].sort_values("rank") if not a.indices.empty else a.indices
    if sel.empty:
        return f"{_label(metric)}: no indices."
    top = sel.iloc[0]
    if a.method == "sobol":
        lo, hi = top["ST"] - top["ST_conf"], top["ST"] + top["ST_conf"]
        body = (
            f"most influential `{top['parameter']}` (total order ST {top['ST']:.2f}, 95% interval "
            f"{lo:.2f} to {hi:.2f}; first order S1 {top['S1']:.2f})"
        )
    elif a.method == "morris":
        body = f"most influential `{top['parameter']}` (mu* {top['mu_star']:.4g} ± {top['mu_star_conf']:.2g})"
    elif a.method == "delta":
        body = f"most influential `{top['parameter']}` (delta {top['delta']:.2f} ± {top['delta_conf']:.2f})"
    else:
        rest = 1 - float(sel["S1"].sum())
        body = (
            f"`{top['parameter']}` explains {top['S1']:.0%} of the variance across the grid "
            f"(interactions and noise {rest:.0%})"
        )
    return f"**{_label(metric)}** (`{metric}`): {body}."


def _table(a: Analysis, metric: str) -> list[str]:
    sel = a.indices[a.indices["metric"] == metric].sort_values("rank")
    head = {
        "sobol": ("S1 (± 95%)", "ST (± 95%)"),
        "morris": ("mu*", "sigma"),
        "delta": ("delta (± 95%)", "S1 (± 95%)"),
        "grid": ("main-effect share", ""),
    }[a.method]
    lines = [f"| parameter | {head[0]} | {head[1]} |", "|---|---|---|"]
    for _, r in sel.iterrows():
        if a.method == "sobol":
            c = (_fmt(r["S1"], r["S1_conf"]), _fmt(r["ST"], r["ST_conf"]))
        elif a.method == "morris":
            c = (_fmt(r["mu_star"], r["mu_star_conf"]), _fmt(r["sigma"]))
        elif a.method == "delta":
            c = (_fmt(r["delta"], r["delta_conf"]), _fmt(r["S1"], r["S1_conf"]))
        else:
            c = (_fmt(r["S1"]), "")
        lines.append(f"| `{r['parameter']}` | {c[0]} | {c[1]} |")
    return lines


def summary_markdown(a: Analysis, path: Path, plots: dict[str, list[str]]) -> str:
    """The analysis in words: the sweep, the method, per metric the ranking with intervals, plots."""
    m, d = a.manifest, a.manifest["design"]
    what = {
        "sobol": "Sobol indices (SALib, Saltelli sampling): S1 = share of the output variance due to the "
        "parameter alone; ST = including all its interactions. ± = half-width of the 95% bootstrap interval.",
        "morris": "Morris elementary effects (SALib) on the unit cube, i.e. per full parameter range: mu* = "
        "mean absolute effect (importance), sigma = their spread (interactions, non-linearity).",
        "delta": "Borgonovo's moment-independent delta and first-order S1 (SALib delta) from the sampled "
        "points; ± = half-width of the 95% bootstrap interval.",
        "grid": "Main-effect share: Var(E[Y | parameter]) / Var(Y) over the grid points (means over "
        "replicates); the rest is interactions (and leftover seed noise).",
    }[a.method]
    lines = [
        f"# Sensitivity analysis: sweep {m.get('name')}",
        "",
        f"- archive: `{path}`; design **{d['kind']}**, {d['points']} points x {d['replicates']} replicates, "
        f"root seed {m.get('seed')}; {len(a.runs)} completed runs used",
        f"- method: **{a.method}**. {what}",
        "- each point's value is the mean over its completed replicates; 'noise' = share of the run-to-run "
        "variance that is within points (seed noise): high noise asks for more replicates",
        *[f"- note: {n}" for n in a.notes],
        "",
        "## Most influential parameter per metric",
        "",
        *[f"- {metric_sentence(a, x)}" for x in a.metrics],
        "",
        "## Metrics",
        "",
        "| metric | mean | sd | noise share | points used |",
        "|---|---|---|---|---|",
    ]
    for _, r in a.metric_stats.iterrows():
        lines.append(
            f"| `{r['metric']}` | {_fmt(r['mean'])} | {_fmt(r['sd'])} | {_fmt(r['noise_share'])} | "
            f"{r['points_used']} of {r['points']} |"
        )
    if "overview" in plots:
        lines += ["", "## Overview", "", f"![overview]({plots['overview'][0]})"]
    lines += ["", "## Per metric", ""]
    for x in a.metrics:
        if a.indices.empty or (a.indices["metric"] == x).sum() == 0:
            continue
        lines += [f"### {_label(x)} (`{x}`)", "", *_table(a, x), ""]
        for rel in plots.get(x, []):
            lines += [f"![{x}]({rel})", ""]
    if a.second_order is not None:
        lines += [
            "## Second-order Sobol indices",
            "",
            "In `second_order.parquet` (S2 and its interval per pair of parameters).",
            "",
        ]
    lines += [
        "## Files",
        "",
        "`indices.parquet` (per metric and parameter), `metrics.parquet` (per metric), `point_means.parquet` "
        "(per point: parameters and metric means)"
        + (", `second_order.parquet`" if a.second_order is not None else "")
        + ", `plots/`.",
        "",
    ]
    return "\n".join(lines)


def write_analysis(
    a: Analysis, path: Path, out: Path | None = None, plots: bool = True, command: list[str] | None = None
) -> Path:
    """Write the analysis folder (default ``<archive>/analysis``), replacing an earlier one whole:
    it is built in a hidden sibling folder and renamed into place."""
    from simulation import sweep_plots as sp

    path = Path(path)
    final = Path(out) if out is not None else path / ANALYSIS
    if out is not None:
        arc.check_final(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    arc.clean_stale(final.parent)  # hidden folders of killed analyses
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        files = {"indices": a.indices, "metrics": a.metric_stats, "point_means": a.point_means}
        if a.second_order is not None:
            files["second_order"] = a.second_order
        for name, df in files.items():
            (tmp / f"{name}.parquet").write_bytes(arc.parquet_bytes(df.reset_index(drop=True)))
        made: dict[str, list[str]] = {}
        if plots:
            if not a.indices.empty and len(a.indices["metric"].unique()) > 1:
                key = _key_column(a.method)
                made["overview"] = [f"plots/overview_{key}.png"]
                sp.plot_overview(
                    a.indices, key, f"{key} by parameter and metric ({a.method})", tmp / made["overview"][0]
                )
            grid2 = a.manifest["design"]["kind"] == "grid" and len(a.params) == 2
            for x in a.metrics:
                rels = []
                sel = a.indices[a.indices["metric"] == x].sort_values("rank") if not a.indices.empty else None
                if sel is not None and len(sel):
                    rels.append(f"plots/sensitivity_{x}.png")
                    sp.plot_bars(sel, a.method, x, _label(x), tmp / rels[-1])
                if grid2:
                    rels.append(f"plots/grid_{x}.png")
                    sp.plot_grid(a.point_means, a.params[0], a.params[1], x, _label(x), tmp / rels[-1])
                rels.append(f"plots/outcome_{x}.png")
                sp.plot_outcome(a.runs, a.params, x, _label(x), tmp / rels[-1])
                made[x] = rels
        (tmp / "summary.md").write_text(summary_markdown(a, path, made), encoding="utf-8")
        manifest = {
            "schema_version": arc.SCHEMA_VERSION,
            "kind": "sweep-analysis",
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": list(sys.argv if command is None else command),
            "sweep": str(path),
            "sweep_hash": a.manifest.get("sweep_hash"),
            "runs_sha256": arc.sha256_file(path / INDEX),
            "method": a.method,
            "metrics": a.metrics,
            "seed": a.manifest.get("seed"),
            "code": arc.code_version(),
            "files": {
                p.relative_to(tmp).as_posix(): arc.sha256_file(p)
                for p in sorted(tmp.rglob("*"))
                if p.is_file()
            },
        }
        arc.write_manifest(tmp, manifest)
        old = final.parent / f".{final.name}.old-{os.getpid()}"
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


# ---------------------------------------------------------------------------- command line
def add_analyze_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``analyze``: SWEEP_ARCHIVE [--method ...] [--metrics M ...] [--resamples N]
    [--no-plots] [--out DIR]."""
    p.add_argument("archive", metavar="SWEEP_ARCHIVE", type=Path, help="a sweep archive folder")
    p.add_argument(
        "--method",
        choices=METHODS,
        default="auto",
        help="auto (default: the design's own), sobol, morris, delta (random/lhs) or grid",
    )
    p.add_argument(
        "--metrics",
        nargs="+",
        metavar="METRIC",
        default=None,
        help="metrics to analyse, e.g. gdp_final emissions_air_cum or any <model column>_<final|cum|"
        "mean|total|max|min> (default: those of runs.parquet)",
    )
    p.add_argument(
        "--resamples", type=int, default=500, help="bootstrap resamples for intervals (default 500)"
    )
    p.add_argument("--no-plots", action="store_true", help="tables and summary only")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="analysis folder (new or empty; default: SWEEP_ARCHIVE/analysis, replaced)",
    )


def cmd_analyze(args: argparse.Namespace) -> int:
    """Analyse a sweep archive, print the most influential parameter per metric and ``archive: PATH``
    (the analysis folder) last.

    Raises:
        ArchiveError: not a sweep archive, nothing to analyse, a bad option (exit code 2).
    """
    if not 10 <= args.resamples <= MAX_RESAMPLES:
        raise arc.ArchiveError(
            "command line", "--resamples", f"{args.resamples} (allowed: integer 10 to {MAX_RESAMPLES:,})"
        )
    t0 = time.perf_counter()
    a = analyze(args.archive, args.method, args.metrics, args.resamples)
    out = write_analysis(
        a, args.archive, args.out, plots=not args.no_plots, command=getattr(args, "argv", None)
    )
    print(
        f"analysed {args.archive}: {a.method}, {len(a.metrics)} metrics x {len(a.params)} parameters, "
        f"{len(a.runs)} runs, {time.perf_counter() - t0:.1f} s"
    )
    for note in a.notes:
        print(f"note: {note}")
    for x in a.metrics:
        print(f"- {metric_sentence(a, x).replace('**', '').replace('`', '')}")
    path = out.resolve()
    try:
        shown = str(path.relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    print(f"archive: {shown}")
    return 0
