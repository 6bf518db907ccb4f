"""From per-seed and per-replicate estimates to the facts table: pooling (Rubin's rules, t intervals,
Fisher's z) and each fact's verdict against the literature (:func:`verdict`, :func:`judge_facts`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from simulation.experiments.validate import estimators as est
from simulation.experiments.validate.baseline import max_target_error_pct, spearman
from simulation.experiments.validate.facts import CONFIDENCE, FACT_BY_KEY, FACTS, FactSpec
from simulation.experiments.validate.whatifs import ScenarioFindings


def _fisher_pool(rhos: np.ndarray, n: int) -> tuple[float, float, float]:
    """Pool Spearman correlations on Fisher's z scale (se 1.06 / sqrt(n - 3), Fieller et al. 1957)."""
    z = np.arctanh(np.clip(np.asarray(rhos, float), -0.999999, 0.999999))
    se = np.full(len(z), 1.06 / math.sqrt(max(n - 3, 1)))
    m, lo, hi, _ = est.pooled_interval(z, se, CONFIDENCE)
    return float(np.tanh(m)), float(np.tanh(lo)), float(np.tanh(hi))


def verdict(spec: FactSpec, estimate: float, lo: float, hi: float) -> str:
    """'in', 'out' or 'inconclusive' for a fact with the given estimate and interval."""
    if not math.isfinite(estimate):
        return "inconclusive"
    if spec.test == "range":
        return "in" if spec.low <= estimate <= spec.high else "out"
    if spec.test == "sign+":
        return "in" if lo > 0 else "out" if hi < 0 else "inconclusive"
    if spec.test == "sign-":
        return "in" if hi < 0 else "out" if lo > 0 else "inconclusive"
    if spec.test == "not_below":
        return "out" if hi < spec.low else "in"
    raise ValueError(f"unknown test {spec.test!r}")


def _fact_row(key: str, value: tuple[float, float, float], n: int, uncertainty: str) -> dict[str, Any]:
    spec = FACT_BY_KEY[key]
    e, lo, hi = value
    v = verdict(spec, e, lo, hi)
    ci_overlaps = (
        bool(hi >= spec.low and lo <= spec.high) if math.isfinite(lo) and math.isfinite(hi) else None
    )
    return {
        "fact": key,
        "section": spec.section,
        "description": spec.fact,
        "measure": spec.measure,
        "test": spec.test,
        "literature_low": spec.low,
        "literature_high": spec.high,
        "unit": spec.unit,
        "citation": spec.citation,
        "basis": spec.basis,
        "estimate": e,
        "ci_low": lo,
        "ci_high": hi,
        "in_range": v == "in",
        "verdict": v,
        "ci_overlaps_range": ci_overlaps,
        "n": n,
        "uncertainty": uncertainty,
        "by_construction": spec.construction,
    }


def pooled(estimates: pd.DataFrame, key: str) -> tuple[float, float, float]:
    """(estimate, low, high) of one estimate key: Rubin's rules when every row has a standard error,
    else the mean with a t interval; NaNs when the key is absent."""
    sel = estimates[estimates["estimate_key"] == key]
    if sel.empty:
        return math.nan, math.nan, math.nan
    if sel["se"].notna().all():
        m, lo, hi, _ = est.pooled_interval(sel["estimate"], sel["se"], CONFIDENCE)
        return m, lo, hi
    return est.t_interval(sel["estimate"].to_numpy(float), CONFIDENCE)


def pooled_summaries(estimates: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    """:func:`pooled` of every estimate key, sorted by key."""
    return {k: pooled(estimates, k) for k in sorted(estimates["estimate_key"].unique())}


def judge_facts(
    base_fit: pd.DataFrame,
    gravity_df: pd.DataFrame,
    estimates: pd.DataFrame,
    findings: dict[str, ScenarioFindings],
    n_seeds: int,
    replicates: int,
) -> pd.DataFrame:
    """One row per fact of :data:`FACTS`, in that order: the pooled estimate, its interval, how it
    was pooled (``uncertainty``) and the verdict (:func:`verdict`)."""
    rows = []
    per_seed = base_fit.groupby("seed")
    errs = np.array([max_target_error_pct(g) for _, g in per_seed])
    rows.append(
        _fact_row(
            "base_fit_targets",
            (float(errs.mean()), float(errs.min()), float(errs.max())),
            n_seeds,
            "min-max over seeds",
        )
    )
    n_cities = int(per_seed.size().iloc[0])
    for key, col in (("base_fit_wages", "wage"), ("base_fit_firms", "industrial_firms")):
        rhos = np.array([spearman(g[f"{col}_obs"], g[f"{col}_model"]) for _, g in per_seed])
        rows.append(
            _fact_row(
                key, _fisher_pool(rhos, n_cities), n_seeds, "Fisher-z interval (31 cities), pooled over seeds"
            )
        )
    prim = gravity_df[(gravity_df["kind"] == "migration") & (gravity_df["method"] == "ppml")]
    rubin = "robust SE within runs + between-seed variance (Rubin)"
    for key, dist in (("gravity_distance", "log_km"), ("gravity_time", "log_time")):
        sel = prim[prim["distance"] == dist]
        m, lo, hi, _ = est.pooled_interval(sel["elasticity"], sel["elasticity_se"], CONFIDENCE)
        rows.append(_fact_row(key, (m, lo, hi), len(sel), rubin))
    sel = prim[prim["distance"] == "log_km"]
    m, lo, hi, _ = est.pooled_interval(sel["border"], sel["border_se"], CONFIDENCE)
    rows.append(
        _fact_row(
            "border_effect",
            (math.expm1(m), math.expm1(lo), math.expm1(hi)),
            len(sel),
            rubin + "; exp(b) - 1 of the pooled coefficient",
        )
    )
    rows.append(
        _fact_row("ma_elasticity", pooled(estimates, "ma_elasticity"), n_seeds, rubin + " (HC1, 31 cities)")
    )
    tint = "mean over paired replicates, 95% t interval"
    c = findings["circle"].per_replicate
    for key in ("circle_satellites", "circle_bypassed", "circle_did"):
        value = est.t_interval(c[key], CONFIDENCE)
        if key != "circle_did":  # log points x 100 -> % of GDP
            value = tuple(float(np.expm1(v / 100.0) * 100.0) for v in value)  # type: ignore[assignment]
        rows.append(_fact_row(key, value, replicates, tint))  # type: ignore[arg-type]
    t = findings["transfer"].per_replicate
    m, lo, hi, _ = est.pooled_interval(
        t["pollution_follows_industry"], t["pollution_follows_industry_se"], CONFIDENCE
    )
    rows.append(
        _fact_row(
            "pollution_follows_industry",
            (m, lo, hi),
            replicates,
            "cross-city OLS SE within replicates + between-replicate variance (Rubin)",
        )
    )
    a = findings["integration"].per_replicate
    rows.append(
        _fact_row("integration_output", est.t_interval(a["integration_output"], CONFIDENCE), replicates, tint)
    )
    rows.append(
        _fact_row(
            "integration_convergence",
            est.t_interval(a["integration_convergence"], CONFIDENCE),
            replicates,
            tint,
        )
    )
    rows.append(
        _fact_row(
            "emission_intensity_income",
            pooled(estimates, "emission_intensity_income"),
            n_seeds,
            "SE clustered by city within runs + between-seed variance (Rubin)",
        )
    )
    order = {f.key: i for i, f in enumerate(FACTS)}
    df = pd.DataFrame(rows)
    return df.sort_values("fact", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
