"""Sensitivity analysis of a sweep archive: ``uv run run.py analyze SWEEP_ARCHIVE``.

Reads ``runs.parquet`` (metrics it lacks are computed from the run files), removes the seed blocks
of common random numbers, averages each metric over the replicates of a point and, per metric
(the steps live in the other modules of :mod:`simulation.experiments.sensitivity`):

- the indices of the design's method, every one with a 95% interval, the dummy parameter's
  (noise floor) among them: ``sobol`` S1/ST (S2), ``morris`` mu/mu*/sigma, ``delta`` (random, lhs)
  Borgonovo's delta and a binned S1, ``grid`` main-effect shares;
- convergence warnings and a headline that names a "most influential" parameter only when the
  intervals separate (else "not resolved: raise N to ~X");
- the seed-noise split (seed blocks, points, point x seed) and whether replicates would help;
- a least-squares fit with interactions (an ANOVA of the terms) and, with ``--surface P1,P2``,
  its response surface over two parameters.

Writes ``<archive>/analysis/`` (replaced as a whole, atomically): ``indices.parquet``,
``metrics.parquet``, ``regression.parquet``, ``point_means.parquet``, ``second_order.parquet``
(Sobol with second order), ``plots/``, ``summary.md`` and ``manifest.json``.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import archive as arc
from simulation.experiments.sensitivity import design as dsg
from simulation.experiments.sensitivity import estimators as est
from simulation.experiments.sensitivity import noise, regression, verdict
from simulation.experiments.sensitivity.result import Analysis
from simulation.experiments.sweep.design import SAMPLED
from simulation.experiments.sweep.metrics import metric_values
from simulation.experiments.sweep.store import INDEX, read_index, read_run_tables

ROUND_OFF = 1e-9  # a metric whose runs differ by less than this relative amount is constant
METHODS = ("auto", "sobol", "morris", "delta", "grid")
INDEX_KEYS = (
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


def _key_column(method: str) -> str:
    return verdict.KEY[method]


def _metric_seed(root: int, metric: str, step: int) -> int:
    """A seed for one metric's bootstrap: from the root seed and the metric's name, so that it
    does not depend on which other metrics are analysed."""
    key = int(hashlib.sha256(metric.encode()).hexdigest()[:8], 16)
    return est.child_seed(root, 0xA11A, key, step)


def resolve_surfaces(specs: list[str] | None, params: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``P1,P2`` pairs of swept parameters (a path or a unique last part of one, e.g. border_cost).

    Raises:
        ArchiveError: not two distinct swept numeric parameters (naming the allowed ones).
    """
    paths = [p["path"] for p in params]
    numeric = [p["path"] for p in params if dsg.is_numeric(p)]
    allowed = f"allowed: two of {', '.join(numeric)}, e.g. --surface {','.join(numeric[:2]) or 'P1,P2'}"
    out = []
    for text in specs or []:
        parts = [x.strip() for x in str(text).split(",")]
        if len(parts) != 2:
            raise arc.ArchiveError("command line", "--surface", f"{text!r} ({allowed})")
        pair = []
        for x in parts:
            hits = [p for p in paths if p == x] or [p for p in paths if p.endswith("." + x)]
            if len(hits) != 1 or hits[0] not in numeric:
                raise arc.ArchiveError("command line", "--surface", f"{x!r} in {text!r} ({allowed})")
            pair.append(hits[0])
        if pair[0] == pair[1]:
            raise arc.ArchiveError(
                "command line", "--surface", f"{text!r}: the same parameter twice ({allowed})"
            )
        out.append((pair[0], pair[1]))
    return out


def _method(path: Path, kind: str, method: str) -> str:
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
    return method


def _run_columns(path: Path, run_ids: list[str]) -> list[str]:
    """The numeric columns of the model table in the run files (the first run's)."""
    model = read_run_tables(path, "model", None, run_ids[:1])
    skip = {"run_id", "table", "year", "city"}
    return sorted(
        c for c in model.columns
        if c not in skip and pd.api.types.is_numeric_dtype(model[c]) and model[c].notna().any()
    )  # fmt: skip


def _add_metrics(path: Path, ok_runs: pd.DataFrame, extra: list[str]) -> None:
    """Compute metrics that ``runs.parquet`` lacks from the run files (in place)."""
    for x in extra:
        col, _, agg = x.rpartition("_")
        if not col or agg not in ("final", "cum", "mean", "total", "max", "min"):
            raise arc.ArchiveError(
                "command line", "--metrics", f"{x!r} (allowed: <model column>_<final|cum|mean|total|max|min>)"
            )
    ids = list(dict.fromkeys(ok_runs["run_id"]))
    columns = _run_columns(path, ids)
    for x in extra:
        if x.rpartition("_")[0] not in columns:
            raise arc.ArchiveError(
                "command line",
                "--metrics",
                f"{x!r}: the runs' model table has no column {x.rpartition('_')[0]!r} (allowed: "
                f"<column>_<final|cum|mean|total|max|min> with a column of: {', '.join(columns)})",
            )
    model = read_run_tables(path, "model", sorted({x.rpartition("_")[0] for x in extra}), ids)
    vals = {str(r): metric_values(g, extra) for r, g in model.groupby("run_id", sort=True)}
    for x in extra:
        ok_runs[x] = [vals.get(r, {}).get(x, math.nan) for r in ok_runs["run_id"]]


def _indices(
    method: str, ctx: dict[str, Any], metric: str, y: np.ndarray, resamples: int
) -> tuple[dict, int]:
    """The method's indices of one metric from its point means ``y``."""
    names, design = ctx["variables"], ctx["design"]
    seed = _metric_seed(ctx["seed"], metric, 1)
    if method == "sobol":
        return est.sobol(y, names, bool(design.get("second_order")), resamples, seed)
    if method == "morris":
        return est.morris(ctx["x_unit"], y, names, int(design.get("levels") or 4), resamples, seed)
    if method == "delta":
        return est.delta(ctx["x_unit"], y, resamples, np.random.default_rng(seed))
    wide = ctx["wide"][metric]
    return est.grid_shares(wide, ctx["codes"], ctx["crn"], resamples, np.random.default_rng(seed))


def _means(
    points: pd.DataFrame, ok_runs: pd.DataFrame, metrics: list[str], crn: bool
) -> tuple[pd.DataFrame, dict]:
    """Point means of every metric (seed blocks removed with crn) and the points x replicates
    matrix of each metric's adjusted values."""
    adj = ok_runs[["point", "replicate"]].copy()
    for x in metrics:
        adj[x] = noise.remove_seed_blocks(ok_runs, x, crn)
    means = adj.groupby("point")[metrics].mean()
    point_means = points.set_index("point").join(means, how="left").reset_index()
    reps = sorted(ok_runs["replicate"].unique())
    wide = {
        x: adj.pivot_table(index="point", columns="replicate", values=x, aggfunc="mean")
        .reindex(index=point_means["point"], columns=reps)
        .to_numpy(float)
        for x in metrics
    }
    return point_means, wide


def analyze(
    path: Path,
    method: str = "auto",
    metrics: list[str] | None = None,
    resamples: int = 500,
    surfaces: list[str] | None = None,
) -> Analysis:
    """Sensitivity indices, headlines, seed-noise split and regression of every metric of the
    sweep archive at ``path``.

    Args:
        path: a sweep archive (with ``runs.parquet``).
        method: "auto" (the design's own: sobol -> sobol, morris -> morris, random/lhs -> delta,
            grid -> grid) or one of those.
        metrics: metric names (``<model column>_<agg>``); default: those of ``runs.parquet``.
        resamples: bootstrap resamples for the intervals.
        surfaces: ``"P1,P2"`` pairs for response-surface plots.

    Raises:
        ArchiveError: not a sweep archive, no runs.parquet, no completed run, a method that the
            design does not support, a bad metric or surface.
    """
    path = Path(path)
    m = arc.checked_manifest(path, "sweep")  # every file as the manifest lists it, before reading any
    design = m["design"]
    specs = list(design["parameters"])
    params = [p["path"] for p in specs]
    method = _method(path, design["kind"], method)
    pairs = resolve_surfaces(surfaces, specs)
    index = read_index(path)
    metrics = list(metrics or design.get("metrics") or [])
    notes: list[str] = []
    ok_runs = index[index["status"] == "ok"].copy()
    if ok_runs.empty:
        raise arc.ArchiveError(path, INDEX, "no completed run to analyse (run the sweep first)")
    extra = [x for x in metrics if x not in index.columns]
    if extra:
        _add_metrics(path, ok_runs, extra)
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
    dummy = design.get("dummy") if f"u:{design.get('dummy')}" in pts else None
    variables = params + ([dummy] if dummy else [])
    ucols = [f"u:{p}" for p in variables]
    points = pts.drop_duplicates("point").sort_values("point")[
        ["point", *params, *[c for c in ucols if c in pts]]
    ]
    crn = noise.is_crn(index)
    point_means, wide = _means(points, ok_runs, metrics, crn)
    u_all = dsg.unit_coordinates(point_means, specs)
    if dummy:
        u_all = np.column_stack([u_all, point_means[f"u:{dummy}"].to_numpy(float)])
    ctx = {
        "variables": variables, "design": design, "seed": int(m.get("seed", 0)), "crn": crn, "wide": wide,
        "x_unit": point_means[ucols].to_numpy(float) if all(c in point_means for c in ucols) else None,
        "codes": est.level_codes(point_means, params) if method == "grid" else None,
    }  # fmt: skip
    a = Analysis(method, params, metrics, pd.DataFrame(), pd.DataFrame(), None, point_means, ok_runs,
                 notes, m, dummy=dummy, variables=variables, crn=crn, surfaces=pairs)  # fmt: skip
    rep = dsg.repeats(points, params, dummy)
    a.design_lines = dsg.describe(rep, dsg.max_correlation(u_all, variables), design["kind"], crn)
    rows, stats, second_rows, reg_rows = [], [], [], []
    for metric in metrics:
        st, new_rows, s2 = _one_metric(a, ctx, metric, point_means[metric].to_numpy(float), resamples)
        rows += new_rows
        second_rows += s2
        fit, table, note = regression.analyse(
            u_all, point_means[metric].to_numpy(float), variables, dummy, min(resamples, 500),
            np.random.default_rng(_metric_seed(ctx["seed"], metric, 2)),
        )  # fmt: skip
        a.regression_notes[metric] = note
        if fit is not None:
            a.fits[metric] = fit
            table.insert(0, "metric", metric)
            reg_rows.append(table)
        st.update(r2=fit.r2 if fit else math.nan, adj_r2=fit.adj_r2 if fit else math.nan)
        stats.append(st)
    a.indices = _ranked(pd.DataFrame(rows), method, len(variables))
    a.second_order = pd.DataFrame(second_rows) if second_rows else None
    a.regression = pd.concat(reg_rows, ignore_index=True) if reg_rows else pd.DataFrame()
    _headlines(a, stats)
    a.metric_stats = pd.DataFrame(stats)
    return a


def _one_metric(
    a: Analysis, ctx: dict[str, Any], metric: str, y: np.ndarray, resamples: int
) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """Stats, index rows and S2 rows of one metric."""
    ok = a.runs[np.isfinite(a.runs[metric].to_numpy(float))]
    vals = ok[metric].to_numpy(float)
    reps = int(a.manifest["design"].get("replicates") or 1)
    constant = len(vals) < 2 or float(np.ptp(vals)) <= ROUND_OFF * float(np.abs(vals).max())
    ns = (
        noise.split(a.runs, metric, a.crn)
        if not constant
        else noise.NoiseSplit(a.crn, 0, reps, *[math.nan] * 4)
    )
    st: dict[str, Any] = {
        "metric": metric, "mean": float(vals.mean()) if len(vals) else math.nan,
        "sd": float(np.std(vals, ddof=1)) if len(vals) > 1 else math.nan,
        "seed_share": ns.seed_share, "point_share": ns.point_share, "noise_share": ns.noise_share,
        "means_noise": ns.means_noise, "points": len(a.point_means), "runs_ok": len(vals),
        "advice": noise.advice(ns, reps, sampled=a.method != "grid") if not constant else "",
    }  # fmt: skip
    finite = y[np.isfinite(y)]
    if constant or finite.size < 2 or float(np.var(finite)) == 0.0:
        a.notes.append(f"{metric}: constant across the sweep (up to round-off); no indices")
        st["points_used"] = int(finite.size)
        return st, [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res, used = _indices(a.method, ctx, metric, y, resamples)
        except (ValueError, ZeroDivisionError, IndexError, FloatingPointError, np.linalg.LinAlgError) as err:
            a.notes.append(f"{metric}: {a.method} analysis failed: {' '.join(str(err).split())}")
            st["points_used"] = 0
            return st, [], []
    st["points_used"] = used
    keys = [k for k in INDEX_KEYS if k in res]
    rows = [
        {
            "metric": metric,
            "parameter": p,
            "dummy": p == a.dummy,
            **{k: float(np.asarray(res[k])[i]) for k in keys},
        }
        for i, p in enumerate(a.variables)
    ]
    s2 = []
    if a.method == "sobol" and a.manifest["design"].get("second_order") and "S2" in res:
        for i in range(len(a.variables)):
            for j in range(i + 1, len(a.variables)):
                s2.append({"metric": metric, "parameter_a": a.variables[i], "parameter_b": a.variables[j],
                           "S2": float(res["S2"][i, j]), "S2_conf": float(res["S2_conf"][i, j])})  # fmt: skip
    return st, rows, s2


def _ranked(indices: pd.DataFrame, method: str, n: int) -> pd.DataFrame:
    if not indices.empty:
        key = _key_column(method)
        indices["rank"] = (
            indices.groupby("metric")[key].rank(ascending=False, method="first").fillna(n).astype("int64")
        )
    return indices


def _headlines(a: Analysis, stats: list[dict[str, Any]]) -> None:
    """Verdict and warnings per metric, into ``a`` and the stats rows."""
    d = a.manifest["design"]
    key = _key_column(a.method)
    grid = a.method == "grid"
    n_now = int(d.get("replicates") or 1) if grid else int(d.get("samples") or len(a.point_means))
    unit = "sweep.replicates" if grid else "sweep.samples"
    for st in stats:
        x = st["metric"]
        sel = a.indices[a.indices["metric"] == x] if not a.indices.empty else a.indices
        if sel.empty:
            v = verdict.Verdict(False, None, "no indices", None)
        else:
            v = verdict.verdict(sel, key, n_now, unit, pow2=a.method == "sobol", dummy=a.dummy)
            a.warnings[x] = verdict.convergence_warnings(sel, a.method, a.dummy)
        a.verdicts[x] = v
        st.update(headline=v.text, resolved=v.resolved, top=v.top, suggested_n=v.suggest)
