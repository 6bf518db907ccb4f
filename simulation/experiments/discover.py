"""Scenario discovery over a sweep archive: PRIM boxes and a CART tree (issue 14).

The question is the one of Bryant & Lempert (2010): which ranges of the swept parameters lead to
the outcomes of interest, e.g. ``pm25_final > 35``? Each case is a run of the sweep (or, with
``cases="points"``, a point with its metrics averaged over the completed replicates); a case is *of
interest* when it meets the ``--where`` condition (:mod:`simulation.experiments.where`).

- **PRIM** (the EMA workbench's ``ema_workbench.analysis.prim.Prim``, Friedman & Fisher 1999, with
  the workbench's lenient objective): peel the input space down to a box dense in cases of interest.
  Every step of the peeling trajectory is kept with its coverage (share of all cases of interest
  inside the box), density (share of the box's cases that are of interest), mass, restricted
  dimensions and the box limits with their quasi-p values (a one-sided binomial test per limit).
  The box reported for each PRIM box is the step with the highest coverage whose density is at
  least ``min_density`` (ties: the denser); with ``boxes`` > 1, later boxes are sought among the
  cases outside the earlier ones (the covering approach).
- **CART** (scikit-learn's ``DecisionTreeClassifier``, Breiman et al. 1984): a classification tree of
  the same cases; every leaf is a box with the same statistics, and the leaves that predict
  "of interest" are the tree's scenarios.

Both are deterministic: PRIM has no random draw, and the tree's ``random_state`` (which only breaks
ties between equally good splits) is derived from the sweep's root seed.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.archive.errors import ArchiveError
from simulation.archive.files import sha256_file
from simulation.archive.manifest import checked_manifest
from simulation.experiments import outcomes
from simulation.experiments.sweep.store import INDEX, read_index, read_run_tables
from simulation.experiments.where import Condition

CASES = ("runs", "points")
CART_SEED_KEY = 0xCA27


@dataclass(frozen=True)
class Options:
    """Settings of one discovery (defaults as the EMA workbench's)."""

    cases: str = "runs"
    peel_alpha: float = 0.05
    paste_alpha: float = 0.05
    mass_min: float = 0.05
    min_density: float = 0.8
    boxes: int = 1
    max_depth: int = 4

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Cases:
    """The table that discovery works on.

    Attributes:
        table: one row per case: its ids (point, and for runs replicate and run_id), the swept
            parameters, the metrics of the condition, ``of_interest``.
        inputs: the swept parameters (the columns PRIM and CART may restrict).
        y: ``of_interest`` as a boolean array.
        thresholds: each comparison of the condition with its threshold (percentiles resolved).
        source: the sweep archive: path, name, sweep hash, manifest digest, runs.parquet sha256.
        seed: the sweep's root seed.
        config: the sweep's resolved base config.
    """

    table: pd.DataFrame
    inputs: list[str]
    y: np.ndarray
    thresholds: dict[str, float]
    source: dict[str, Any]
    seed: int
    config: dict[str, Any] = field(repr=False)


@dataclass
class Discovery:
    """PRIM and CART results as tables (what the archive stores and verify compares)."""

    trajectory: pd.DataFrame
    limits: pd.DataFrame
    leaves: pd.DataFrame
    leaf_limits: pd.DataFrame
    tree_text: str
    notes: list[str]


# ---------------------------------------------------------------------------- the cases
def _metric_column(index: pd.DataFrame, name: str) -> str | None:
    for cand in (name, outcomes.canonical(name)):
        if cand in index.columns:
            return cand
    return None


def load_cases(path: Path, condition: Condition, cases: str = "runs") -> Cases:
    """The cases of the sweep archive at ``path`` for ``condition``.

    Raises:
        ArchiveError: not a sweep archive or its files do not match its manifest, no completed run,
            a metric that neither runs.parquet nor the run files hold, a condition that every case
            or no case meets.
    """
    path = Path(path)
    m = checked_manifest(path, "sweep")
    params = [p["path"] for p in m["design"]["parameters"]]
    index = read_index(path)
    ok = index[index["status"] == "ok"].reset_index(drop=True)
    if ok.empty:
        raise ArchiveError(path, INDEX, "no completed run (allowed: a sweep archive with ok runs)")
    metrics = condition.names
    missing = [n for n in metrics if _metric_column(ok, n) is None]
    table = ok[["point", "replicate", "seed", "run_id", *params]].copy()
    for n in metrics:
        if n not in missing:
            table[n] = ok[_metric_column(ok, n)].to_numpy(float)
    if missing:
        for n in missing:
            outcomes.check_syntax("--where", n, n)
        ids = list(dict.fromkeys(ok["run_id"]))
        model = read_run_tables(path, "model", outcomes.needed_columns(missing), ids)
        vals = {str(r): outcomes.values(g, missing) for r, g in model.groupby("run_id", sort=True)}
        for n in missing:
            table[n] = [vals.get(str(r), {}).get(n, math.nan) for r in ok["run_id"]]
            if not np.isfinite(table[n].to_numpy(float)).any():
                raise ArchiveError(
                    "command line", "--where",
                    f"{n!r}: neither runs.parquet nor the run files hold it (allowed: a metric of "
                    f"runs.parquet, e.g. {', '.join(c for c in ok.columns if c[-6:] == '_final')[:200]}, "
                    "or <model column>_<final|cum|mean|total|max|min>)",
                )  # fmt: skip
    if cases == "points":
        first = table.groupby("point", sort=True)[params].first()
        means = table.groupby("point", sort=True)[metrics].mean()
        counts = table.groupby("point", sort=True).size().rename("runs")
        table = pd.concat([first, counts, means], axis=1).reset_index()
    y = condition.evaluate(table)
    k, n = int(y.sum()), len(y)
    if k == 0 or k == n:
        ranges = "; ".join(
            f"{x} ranges {np.nanmin(table[x]):.6g} to {np.nanmax(table[x]):.6g}" for x in metrics
        )
        raise ArchiveError(
            "command line", "--where",
            f"{condition.text()!r} holds for {k} of {n} cases ({ranges}) (allowed: a condition that "
            "some but not all cases meet)",
        )  # fmt: skip
    table["of_interest"] = y
    source = {
        "path": str(path),
        "name": m.get("name"),
        "sweep_hash": m.get("sweep_hash"),
        "manifest_sha256": m.get("manifest_sha256"),
        "runs_sha256": sha256_file(path / INDEX),
        "design": m["design"].get("kind"),
    }
    return Cases(table, params, y, condition.thresholds(table), source, int(m["seed"]), m["config"])


def _inputs(table: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """The swept parameters as PRIM wants them: numbers as float, true/false and text as categories."""
    x = pd.DataFrame(index=table.index)
    for p in params:
        col = table[p]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            x[p] = col.astype(str).astype(object)
        else:
            x[p] = col.astype(float)
    return x.reset_index(drop=True)


# ---------------------------------------------------------------------------- PRIM
def _limit_rows(box_id: int, step: int, lims: pd.DataFrame, init: pd.DataFrame, qp: dict) -> list[dict]:
    rows = []
    for p in init.columns:
        lo, hi = lims.loc[0, p], lims.loc[1, p]
        q = qp.get(p, [-1.0, -1.0])
        row: dict[str, Any] = {"box": box_id, "step": step, "parameter": p}
        if isinstance(lo, set):
            row.update(low=math.nan, high=math.nan, values="|".join(sorted(map(str, lo))))
            row["restricted"] = lo != init.loc[0, p]
        else:
            row.update(low=float(lo), high=float(hi), values=None)
            row["restricted"] = bool(lo != init.loc[0, p] or hi != init.loc[1, p])
        row["qp_low"] = float(q[0]) if q[0] != -1 else math.nan
        row["qp_high"] = float(q[1]) if q[1] != -1 else math.nan
        rows.append(row)
    return rows


def choose_step(trajectory: pd.DataFrame, min_density: float) -> tuple[int, bool]:
    """The step of a peeling trajectory to report: the highest coverage with density >=
    ``min_density`` (ties: the higher density, then the later step); if no step is that dense, the
    densest. Returns (step, whether ``min_density`` was reached)."""
    dense = trajectory[trajectory["density"] >= min_density]
    if dense.empty:
        best = trajectory.sort_values(["density", "coverage", "step"], kind="stable").iloc[-1]
        return int(best["step"]), False
    best = dense.sort_values(["coverage", "density", "step"], kind="stable").iloc[-1]
    return int(best["step"]), True


def run_prim(x: pd.DataFrame, y: np.ndarray, opts: Options) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """PRIM boxes: (trajectory: one row per box and step with coverage, density, mean, mass,
    res_dim, n, k, chosen; limits: one row per box, step and parameter), and notes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the workbench warns about optional extras (altair, ipyparallel)
        from ema_workbench.analysis.prim import Prim

        prim = Prim(x, y.astype(np.int64), peel_alpha=opts.peel_alpha, paste_alpha=opts.paste_alpha,
                    mass_min=opts.mass_min)  # fmt: skip
        traj, limits, notes = [], [], []
        for b in range(1, opts.boxes + 1):
            box = prim.find_box()
            if box is None or float(box.peeling_trajectory["k"].max()) == 0:
                notes.append(f"PRIM found {b - 1} box(es): no cases of interest are left outside them")
                break
            t = box.peeling_trajectory.rename(columns={"id": "step"})
            t = t[["step", "coverage", "density", "mean", "mass", "res_dim", "n", "k"]].astype(
                {"step": "int64", "res_dim": "int64", "n": "int64", "k": "int64"}
            )
            step, reached = choose_step(t, opts.min_density)
            if not reached:
                notes.append(
                    f"box {b}: no step reaches density {opts.min_density:g}; reported the densest "
                    f"(density {t.loc[t['step'] == step, 'density'].iloc[0]:.3f})"
                )
            t.insert(0, "box", b)
            t["chosen"] = t["step"] == step
            traj.append(t)
            for s, (lims, qp) in enumerate(zip(box.box_lims, box.p_values, strict=True)):
                limits += _limit_rows(b, s, lims, prim.box_init, qp)
    return pd.concat(traj, ignore_index=True), pd.DataFrame(limits), notes


# ---------------------------------------------------------------------------- CART
def _features(x: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, str | None]]]:
    """The tree's feature matrix: numbers as they are, each category of a text column as a 0/1
    column. Returns the matrix and, per feature, (parameter, category or None)."""
    cols, names = [], []
    for p in x.columns:
        if x[p].dtype == object:
            for cat in sorted(x[p].unique()):
                cols.append((x[p] == cat).to_numpy(float))
                names.append((p, cat))
        else:
            cols.append(x[p].to_numpy(float))
            names.append((p, None))
    return np.column_stack(cols), names


def _leaf_limits(x: pd.DataFrame, p: str, conds: list[tuple[tuple[str, str | None], str, float]]) -> dict:
    """One parameter's limits in a leaf from the splits on the way to it: low/high for a number,
    the categories left for text."""
    mine = [(cat, op, t) for (q, cat), op, t in conds if q == p]
    if x[p].dtype == object:
        every = set(x[p].unique())
        keep = set(every)
        for cat, op, _t in mine:
            keep = keep & {cat} if op == ">" else keep - {cat}
        return {"parameter": p, "low": math.nan, "high": math.nan, "values": "|".join(sorted(keep)),
                "restricted": keep != every}  # fmt: skip
    lo, hi = float(x[p].min()), float(x[p].max())
    for _cat, op, t in mine:
        lo, hi = (lo, min(hi, t)) if op == "<=" else (max(lo, t), hi)
    return {"parameter": p, "low": lo, "high": hi, "values": None, "restricted": bool(mine)}


def run_cart(
    x: pd.DataFrame, y: np.ndarray, opts: Options, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """A CART tree: (leaves: one row per leaf with coverage, density, mass, res_dim, n, k,
    predicts_interest, rule; leaf limits: one row per leaf and parameter; the tree as text)."""
    from sklearn.tree import DecisionTreeClassifier, export_text

    feats, names = _features(x)
    state = int(np.random.SeedSequence(seed, spawn_key=(CART_SEED_KEY,)).generate_state(1)[0] >> 1)
    clf = DecisionTreeClassifier(
        min_samples_leaf=max(1, math.ceil(opts.mass_min * len(y))), max_depth=opts.max_depth,
        random_state=state,
    )  # fmt: skip
    clf.fit(feats, y.astype(np.int64))
    tree = clf.tree_
    labels = [p if c is None else f"{p}=={c}" for p, c in names]
    leaf_of = clf.apply(feats)
    total = max(int(y.sum()), 1)
    found: list[tuple[int, list[tuple[int, str, float]]]] = []

    def walk(node: int, conds: list[tuple[int, str, float]]) -> None:
        if tree.children_left[node] == -1:
            found.append((node, conds))
            return
        f, t = int(tree.feature[node]), float(tree.threshold[node])
        walk(int(tree.children_left[node]), [*conds, (f, "<=", t)])
        walk(int(tree.children_right[node]), [*conds, (f, ">", t)])

    walk(0, [])
    leaves, limits = [], []
    for i, (node, conds) in enumerate(found, start=1):
        inside = leaf_of == node
        k, n = int(y[inside].sum()), int(inside.sum())
        rows = [_leaf_limits(x, p, [(names[f], op, t) for f, op, t in conds]) for p in x.columns]
        limits += [{"leaf": i, **r} for r in rows]
        rule = " and ".join(f"{labels[f]} {op} {t:.6g}" for f, op, t in conds) or "(all cases)"
        leaves.append({
            "leaf": i, "node": node, "coverage": k / total, "density": k / max(n, 1), "mass": n / len(y),
            "res_dim": sum(r["restricted"] for r in rows), "n": n, "k": k,
            "predicts_interest": bool(np.argmax(tree.value[node][0]) == 1), "rule": rule,
        })  # fmt: skip
    text = export_text(clf, feature_names=labels, show_weights=True, decimals=4)
    return pd.DataFrame(leaves), pd.DataFrame(limits), text


def discover(cases: Cases, opts: Options) -> Discovery:
    """PRIM and CART on ``cases``."""
    x = _inputs(cases.table, cases.inputs)
    trajectory, limits, notes = run_prim(x, cases.y, opts)
    leaves, leaf_limits, text = run_cart(x, cases.y, opts, cases.seed)
    return Discovery(trajectory, limits, leaves, leaf_limits, text, notes)
