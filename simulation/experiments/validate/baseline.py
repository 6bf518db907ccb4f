"""One baseline run and its per-seed estimates: migration gravity, the base-year fit, market access
and productivity, emission intensity and income, convergence.

Each ``*_rows`` function takes one :class:`BaselineRun` and returns plain rows (``estimate_key``,
``seed``, ``estimate``, ``se``, ``n``) that :mod:`.verdicts` pools over seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation.config import Config
from simulation.experiments.validate import estimators as est
from simulation.model import MiddleYangtzeModel


@dataclass
class BaselineRun:
    """One baseline run and the geometry the estimators need (base-year network)."""

    seed: int
    tables: dict[str, pd.DataFrame]
    ids: list[str]
    prov: np.ndarray
    times: np.ndarray
    km: np.ndarray
    area: np.ndarray
    industrial_firms0: np.ndarray
    employment_rate: float
    ma_decay_min: float


def run_baseline(cfg: Config, seed: int) -> BaselineRun:
    """Run the baseline config with ``seed``; keep the tables and the base-year geometry."""
    m = MiddleYangtzeModel(cfg, rng=seed)
    counts = m.firms.counts(m.n, 4)
    industrial0 = counts[:, :3].sum(axis=1) * m.firms_per_agent
    times = m.transport.times.copy()
    m.run()
    return BaselineRun(
        seed=int(seed),
        tables=m.tables(),
        ids=list(m.city_ids),
        prov=np.asarray(m.prov),
        times=times,
        km=np.asarray(m.km, float),
        area=np.asarray(m.area, float),
        industrial_firms0=np.asarray(industrial0, float),
        employment_rate=float(cfg.production.employment_rate),
        ma_decay_min=float(cfg.transport.ma_decay_min),
    )


# ---------------------------------------------------------------------------- baseline estimates
def pair_table(run: BaselineRun, kind: str) -> pd.DataFrame:
    """All ordered city pairs with the flow of ``kind`` summed over the simulated years (zeros
    included), log door-to-door time (hours), log great-circle km and the border dummy."""
    f = run.tables["flows"]
    sel = f[(f["kind"] == kind) & (f["origin"] != f["destination"])]
    agg = sel.groupby(["origin", "destination"])["count"].sum()
    n = len(run.ids)
    o, d = np.nonzero(~np.eye(n, dtype=bool))
    ids = np.array(run.ids)
    df = pd.DataFrame({"origin": ids[o], "destination": ids[d]})
    idx = pd.MultiIndex.from_arrays([df["origin"], df["destination"]])
    df["flow"] = agg.reindex(idx).fillna(0.0).to_numpy(float)
    df["log_time"] = np.log(run.times[o, d] / 60.0)
    df["log_km"] = np.log(np.maximum(run.km[o, d], 1e-6))
    df["border"] = (run.prov[o] != run.prov[d]).astype(float)
    return df


GRAVITY_KINDS = {
    "migration": "talent migration",
    "graduate": "graduates' first city",
    "population": "general population",
}


def gravity_rows(run: BaselineRun) -> list[dict[str, Any]]:
    """Every gravity variant of one run: flow kind x distance measure x PPML / log-OLS."""
    rows = []
    for kind in GRAVITY_KINDS:
        pairs = pair_table(run, kind)
        if kind == "migration":
            # how door-to-door time scales with distance, net of the same fixed effects and border
            t = est.gravity(pairs.assign(flow=np.exp(pairs["log_time"])), distance="log_km", method="ols")
            rows.append(
                {
                    "seed": run.seed,
                    "kind": "time_vs_distance",
                    "distance": "log_km",
                    "method": "ols",
                    "elasticity": t.elasticity,
                    "elasticity_se": t.elasticity_se,
                    "border": t.border,
                    "border_se": t.border_se,
                    "border_effect": t.border_effect,
                    "n": t.regression.n,
                    "zero_share": 0.0,
                    "converged": True,
                }
            )
        if pairs["flow"].sum() <= 0:
            continue
        for dist in ("log_km", "log_time"):
            for method in ("ppml", "ols"):
                try:
                    g = est.gravity(pairs, distance=dist, method=method)
                except (np.linalg.LinAlgError, ValueError):
                    continue
                rows.append(
                    {
                        "seed": run.seed,
                        "kind": kind,
                        "distance": dist,
                        "method": method,
                        "elasticity": g.elasticity,
                        "elasticity_se": g.elasticity_se,
                        "border": g.border,
                        "border_se": g.border_se,
                        "border_effect": g.border_effect,
                        "n": g.regression.n,
                        "zero_share": float((pairs["flow"] == 0).mean()),
                        "converged": g.regression.converged,
                    }
                )
    return rows


def _workers(c: pd.DataFrame, employment_rate: float) -> pd.Series:
    return c["talent"] + employment_rate * (c["population"] - c["talent"])


def base_fit_table(run: BaselineRun, region_cities: pd.DataFrame) -> pd.DataFrame:
    """Per city: observed base-year data beside the model's year 0 (GDP, population, secondary
    share, PM2.5 are targets; average wage and industrial firms are not)."""
    c = run.tables["cities"]
    y0 = int(c["year"].min())
    c0 = c[c["year"] == y0].set_index("city").reindex(run.ids)
    obs = region_cities.reindex(run.ids)
    workers = _workers(c0, run.employment_rate)
    wage = (c0["wage_talent"] * c0["talent"] + c0["wage_general"] * (workers - c0["talent"])) / workers
    return pd.DataFrame(
        {
            "seed": run.seed,
            "city": run.ids,
            "name_en": obs["name_en"].to_numpy() if "name_en" in obs else run.ids,
            "province": obs["province"].to_numpy(),
            "gdp_obs": obs["gdp_2019_100m_yuan"].to_numpy(float),
            "gdp_model": c0["gdp"].to_numpy(float),
            "population_obs": obs["population_2020_10k"].to_numpy(float) * 1e4,
            "population_model": c0["population"].to_numpy(float),
            "secondary_share_obs": obs["secondary_share_2019"].to_numpy(float),
            "secondary_share_model": c0["secondary_share"].to_numpy(float),
            "pm25_obs": obs["pm25_2019"].to_numpy(float),
            "pm25_model": c0["air_quality"].to_numpy(float),
            "wage_obs": obs["avg_wage_2019_yuan"].to_numpy(float),
            "wage_model": wage.to_numpy(float),
            "industrial_firms_obs": obs["industrial_firms_above_scale_2019"].to_numpy(float),
            "industrial_firms_model": run.industrial_firms0,
        }
    )


TARGETS = ("gdp", "population", "secondary_share", "pm25")


def max_target_error_pct(fit: pd.DataFrame) -> float:
    """Largest absolute % error over the cities and the calibration targets."""
    errs = [np.abs(fit[f"{t}_model"] / fit[f"{t}_obs"] - 1.0).max() for t in TARGETS]
    return float(np.max(errs) * 100.0)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    ra = pd.Series(np.asarray(a, float)).rank().to_numpy()
    rb = pd.Series(np.asarray(b, float)).rank().to_numpy()
    return float(np.corrcoef(ra, rb)[0, 1])


def cross_section(run: BaselineRun, year: int) -> pd.DataFrame:
    """The cities in ``year``: log GDP per worker, log market access (with and without the city's own
    GDP), log employment density and log wages."""
    c = run.tables["cities"]
    c = c[c["year"] == year].set_index("city").reindex(run.ids)
    workers = _workers(c, run.employment_rate)
    decay = np.exp(-run.times / run.ma_decay_min)
    np.fill_diagonal(decay, 0.0)
    return pd.DataFrame(
        {
            "city": run.ids,
            "province": run.prov,
            "log_gdp_per_worker": np.log(c["gdp"].to_numpy(float) * 1e8 / workers.to_numpy(float)),
            "log_ma": np.log(c["market_access"].to_numpy(float)),
            "log_ma_excl_own": np.log(decay @ c["gdp"].to_numpy(float)),
            "log_density": np.log(workers.to_numpy(float) / run.area),
            "log_wage_talent": np.log(c["wage_talent"].to_numpy(float)),
            "log_wage_general": np.log(c["wage_general"].to_numpy(float)),
        }
    )


def agglomeration_rows(run: BaselineRun) -> list[dict[str, Any]]:
    """Elasticities of GDP per worker (and wages) to market access (and density), province effects."""
    c = run.tables["cities"]
    y0, y1 = int(c["year"].min()), int(c["year"].max())
    rows = []
    for year, label in ((y1, "final"), (y0, "base")):
        cs = cross_section(run, year)
        for y, x, name in (
            ("log_gdp_per_worker", "log_ma", "ma_elasticity"),
            ("log_gdp_per_worker", "log_ma_excl_own", "ma_elasticity_excl_own"),
            ("log_wage_general", "log_ma", "ma_elasticity_wage_general"),
            ("log_wage_talent", "log_ma", "ma_elasticity_wage_talent"),
            ("log_gdp_per_worker", "log_density", "density_elasticity"),
        ):
            s = est.elasticity(cs[y].to_numpy(), cs[x].to_numpy(), cs["province"].to_numpy())
            key = name if label == "final" else f"{name}_base_year"
            rows.append({"estimate_key": key, "seed": run.seed, "estimate": s.coef, "se": s.se, "n": s.n})
    # within cities over time: city and year effects
    panel = c.assign(
        log_gdp_per_worker=np.log(c["gdp"] * 1e8 / _workers(c, run.employment_rate)),
        log_ma=np.log(c["market_access"]),
    )
    s = est.panel_elasticity(panel, "log_gdp_per_worker", "log_ma", unit_effects=True, time_effects=True)
    rows.append(
        {
            "estimate_key": "ma_elasticity_within_city",
            "seed": run.seed,
            "estimate": s.coef,
            "se": s.se,
            "n": s.n,
        }
    )
    return rows


def intensity_rows(run: BaselineRun) -> list[dict[str, Any]]:
    """Emission intensity (air emissions / GDP) on GDP per capita: across cities (year effects),
    within cities (city effects) and both."""
    c = run.tables["cities"]
    panel = c.assign(
        log_intensity=np.log(c["emissions_air"] / c["gdp"]), log_income=np.log(c["gdp_per_capita"])
    )
    rows = []
    for key, unit_fe, time_fe in (
        ("emission_intensity_income", False, True),
        ("emission_intensity_income_within_city", True, False),
        ("emission_intensity_income_two_way", True, True),
    ):
        s = est.panel_elasticity(
            panel, "log_intensity", "log_income", unit_effects=unit_fe, time_effects=time_fe
        )
        rows.append({"estimate_key": key, "seed": run.seed, "estimate": s.coef, "se": s.se, "n": s.n})
    for year, label in ((panel["year"].min(), "base_year"), (panel["year"].max(), "final_year")):
        cs = panel[panel["year"] == year]
        s = est.elasticity(cs["log_intensity"].to_numpy(), cs["log_income"].to_numpy())
        rows.append(
            {
                "estimate_key": f"emission_intensity_income_{label}",
                "seed": run.seed,
                "estimate": s.coef,
                "se": s.se,
                "n": s.n,
            }
        )
    return rows


def convergence_rows(run: BaselineRun) -> list[dict[str, Any]]:
    """Beta- and sigma-convergence of GDP per capita across cities over the run (baseline)."""
    c = run.tables["cities"]
    y0, y1 = int(c["year"].min()), int(c["year"].max())
    a = c[c["year"] == y0].set_index("city").reindex(run.ids)["gdp_per_capita"].to_numpy(float)
    b = c[c["year"] == y1].set_index("city").reindex(run.ids)["gdp_per_capita"].to_numpy(float)
    beta = est.beta_convergence(a, b, y1 - y0)
    return [
        {
            "estimate_key": "beta_convergence",
            "seed": run.seed,
            "estimate": beta.coef,
            "se": beta.se,
            "n": beta.n,
        },
        {
            "estimate_key": "sigma_convergence",
            "seed": run.seed,
            "estimate": est.sigma_convergence(a, b),
            "se": math.nan,
            "n": beta.n,
        },
    ]
