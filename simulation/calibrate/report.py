"""Tables and the summary of a calibration: moments, parameters, identification.

Takes arrays from the pipeline and returns data frames (written as Parquet) and markdown; it runs
nothing. Column meanings are in docs/calibration.md ("The archive").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.calibrate.moments import WINDOW, Moment

if TYPE_CHECKING:
    from simulation.calibrate.parameters import Candidate
    from simulation.calibrate.result import CalibrationResult
    from simulation.calibrate.screening import Screening
    from simulation.calibrate.smm import Inference

WINDOW_TEXT = f"{WINDOW[0]}-{WINDOW[1]}"


def moments_table(moments: list[Moment], start_mean: np.ndarray, per_seed: np.ndarray,
                  weight: np.ndarray, region: Any, log: list[dict]) -> pd.DataFrame:  # fmt: skip
    """One row per moment: target and its source, the model at the start and at the estimate with
    its standard error over seeds, the weight, the standardised miss, and the by-construction flag."""
    mean, sd = per_seed.mean(axis=0), per_seed.std(axis=0, ddof=1)
    r = per_seed.shape[0]
    rows = []
    for j, m in enumerate(moments):
        t = m.target
        w = float(weight[j])
        miss = (mean[j] - t.value) * np.sqrt(w) if t is not None and w > 0 else np.nan
        rows.append({
            "moment": m.name, "description": m.description, "scope": m.scope,
            "years": f"{m.years[0]}-{m.years[1]}", "unit": m.unit,
            "target": np.nan if t is None else t.value, "target_sd": m.target_sd,
            "source": "no value in the panel or in targets.csv" if t is None else t.source,
            "source_kind": "" if t is None else t.kind, "origin": "missing" if t is None else t.origin,
            "model_start": float(start_mean[j]), "model": float(mean[j]),
            "model_se": float(sd[j] / np.sqrt(r)), "seed_sd": float(sd[j]), "weight": w,
            "z": float(miss), "fitted": w > 0, "in_sample_window": WINDOW_TEXT,
            "hit_by_construction": m.by_construction,
            "note": m.note if t is not None else f"{m.note}; not fitted: no sourced target",
        })  # fmt: skip
    return pd.DataFrame(rows)


def parameters_table(cands: tuple[Candidate, ...], theta0: np.ndarray, theta_hat: np.ndarray,
                     kept: list[int], inf: Inference | None, why: list[str], screen: Screening,
                     moment_sd: np.ndarray, moments: list[Moment]) -> pd.DataFrame:  # fmt: skip
    """One row per candidate: range, start, estimate, standard error, status and why, its influence
    in the screening and the moment that identifies it most."""
    sd = np.where(np.isfinite(moment_sd), moment_sd, np.inf)
    infl = (screen.mu_star / sd[:, None]).max(axis=0)
    rows = []
    for i, c in enumerate(cands):
        row = {
            "parameter": c.name, "unit": c.unit, "lower": c.lower, "upper": c.upper,
            "start": float(theta0[i]), "estimate": float(theta_hat[i]), "se": np.nan,
            "status": "fitted" if i in kept else "kept at start", "reason": why[i],
            "influence_sd": float(infl[i]), "main_moment": "", "main_moment_share": np.nan,
            "source_before": c.why,
        }  # fmt: skip
        if i in kept and inf is not None:
            a = kept.index(i)
            row["se"] = float(inf.se[a])
            eff = np.abs(inf.sensitivity[a]) * np.nan_to_num(moment_sd)
            if np.nansum(eff) > 0:
                j = int(np.nanargmax(eff))
                row["main_moment"] = moments[j].name
                row["main_moment_share"] = float(eff[j] / np.nansum(eff))
        rows.append(row)
    return pd.DataFrame(rows)


def jacobian_table(fitted: list[Candidate], moments: list[Moment], G: np.ndarray,
                   inf: Inference | None, moment_sd: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """Long table of the identification diagnostics: d moment / d parameter at the estimate, and
    d estimate / d target (the sensitivity), also per standard deviation of the target."""
    rows = []
    for a, c in enumerate(fitted):
        lam = inf.sensitivity[a] if inf is not None else np.full(len(moments), np.nan)
        eff = np.abs(lam) * np.nan_to_num(moment_sd)
        total = float(np.nansum(eff))
        for j, m in enumerate(moments):
            rows.append({
                "parameter": c.name, "moment": m.name, "derivative": float(G[j, a]),
                "derivative_per_range_sd": float(G[j, a] * (c.upper - c.lower) / moment_sd[j])
                if np.isfinite(moment_sd[j]) else np.nan,
                "sensitivity": float(lam[j]), "sensitivity_per_target_sd": float(lam[j] * moment_sd[j])
                if np.isfinite(moment_sd[j]) else 0.0,
                "share": float(eff[j] / total) if total > 0 else np.nan,
            })  # fmt: skip
    cols = ["parameter", "moment", "derivative", "derivative_per_range_sd", "sensitivity",
            "sensitivity_per_target_sd", "share"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _num(x: float, digits: int = 3) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}g}"


def summary_markdown(result: CalibrationResult, archive_name: str) -> str:
    """The archive's summary.md: the estimates, the moments, what was run."""
    t, s = result.tables, result.stats
    p = t["parameters"]
    lines = [
        f"# Calibration {archive_name}", "",
        f"Simulated method of moments over {WINDOW_TEXT}: {len(result.seeds)} seeds (common random "
        f"numbers), budget {result.budget} evaluations ({s['fit_evaluations']} used: "
        f"{result.fit_status}); Morris screening with {result.trajectories} trajectories. Targets: "
        f"{result.panel_status}, then simulation/calibrate/targets.csv.", "",
        f"Objective (sum of squared standardised misses): {s['objective_start']:.2f} at the start, "
        f"{s['objective_estimate']:.2f} at the estimate; J test p = {_num(s['j_p_value'])} "
        f"({s['j_dof']} degrees of freedom); condition of G'WG {_num(s['condition'])}.", "",
        "## Parameters", "",
        "| parameter | status | start | estimate | se | main moment (share) |", "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for _, r in p.iterrows():
        share = "" if not np.isfinite(r["main_moment_share"]) else f" ({r['main_moment_share']:.0%})"
        lines.append(f"| `{r['parameter']}` | {r['status']} | {r['start']:.4g} | {r['estimate']:.4g} | "
                     f"{_num(r['se'])} | {r['main_moment']}{share} |")  # fmt: skip
    lines += ["", "## Moments", "", "| moment | target (sd) | start | model (se) | z | origin |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for _, r in t["moments"].iterrows():
        flag = " (by construction)" if r["hit_by_construction"] else ""
        tgt = "missing" if not np.isfinite(r["target"]) else f"{r['target']:.2f} ({r['target_sd']:g})"
        lines.append(f"| {r['moment']}{flag} | {tgt} | {r['model_start']:.2f} | {r['model']:.2f} "
                     f"({r['model_se']:.2f}) | {_num(r['z'], 2)} | {r['origin']} |")  # fmt: skip
    c = result.counts
    lines += ["", f"Runs: start {c.get('start_runs', 0)}, screening {c.get('screening_runs', 0)}, "
              f"fit {c.get('fit_runs', 0)}, Jacobian {c.get('jacobian_runs', 0)}; "
              f"{result.wall_time_s:.0f} s.", ""]  # fmt: skip
    return "\n".join(lines)
