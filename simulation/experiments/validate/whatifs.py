"""The paired what-ifs of the validation report: from a :class:`simulation.experiments.compare.CompareResult`
(scenario against baseline, common random numbers) to per-replicate effects and per-city tables.

One ``analyse_*`` function per role of :data:`simulation.experiments.validate.pipeline.SCENARIOS`;
each returns a :class:`ScenarioFindings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation.config import Config
from simulation.experiments.compare import CompareResult
from simulation.experiments.validate import estimators as est
from simulation.experiments.validate.facts import CONFIDENCE
from simulation.model import MiddleYangtzeModel


def _growth(runs_cities: pd.DataFrame) -> pd.DataFrame:
    """Per side, replicate and city: log growth of GDP (and other columns) from the first to the
    last year, and final-year levels."""
    y0, y1 = int(runs_cities["year"].min()), int(runs_cities["year"].max())
    first = runs_cities[runs_cities["year"] == y0].set_index(["side", "replicate", "city"])
    last = runs_cities[runs_cities["year"] == y1].set_index(["side", "replicate", "city"])
    out = pd.DataFrame(index=last.index)
    out["gdp_growth"] = np.log(last["gdp"] / first["gdp"])
    for col in ("gdp", "heavy_output", "emissions_air", "gdp_per_capita", "talent", "market_access"):
        out[col] = last[col]
    out["gdp_per_capita0"] = first["gdp_per_capita"]
    return out.reset_index()


def _paired(growth: pd.DataFrame, col: str, log: bool) -> pd.DataFrame:
    """Scenario - base per replicate and city (in logs when ``log``): columns replicate, city, diff."""
    wide = growth.pivot_table(index=["replicate", "city"], columns="side", values=col)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            diff = np.log(wide["scenario"] / wide["base"])
    else:
        diff = wide["scenario"] - wide["base"]
    return diff.rename("diff").reset_index()


def circle_groups(cfg: Config, ids: list[str]) -> dict[str, list[str]]:
    """Connected cities (circle centres and members, corridor ends), satellites (connected but not
    a centre) and bypassed cities (all others), from the scenario's city_circle section."""
    cc = cfg.city_circle
    centres = {c.center for c in cc.circles}
    members = {m for c in cc.circles for m in c.members}
    ends = {x for cor in cc.corridors for x in (cor.a, cor.b)}
    connected = centres | members | ends
    return {
        "centre": [c for c in ids if c in centres],
        "satellite": [c for c in ids if c in connected and c not in centres],
        "connected": [c for c in ids if c in connected],
        "bypassed": [c for c in ids if c not in connected],
    }


@dataclass
class ScenarioFindings:
    """Per-replicate estimates (key -> list over replicates; with ``_se`` lists for regressions)
    and per-city effects of one what-if."""

    name: str
    per_replicate: dict[str, list[float]] = field(default_factory=dict)
    cities: pd.DataFrame = field(default_factory=pd.DataFrame)
    extra: dict[str, Any] = field(default_factory=dict)


def _city_effects(diff: pd.DataFrame, metric: str, scenario: str, groups: dict[str, str]) -> pd.DataFrame:
    rows = []
    for city, sel in diff.groupby("city", sort=False):
        mean, lo, hi = est.t_interval(sel["diff"].to_numpy(float), CONFIDENCE)
        rows.append(
            {
                "scenario": scenario,
                "city": city,
                "group": groups.get(city, ""),
                "metric": metric,
                "mean_diff": mean,
                "ci_low": lo,
                "ci_high": hi,
                "n": int(sel["diff"].notna().sum()),
            }
        )
    return pd.DataFrame(rows)


def network_times(cfg: Config, year: int) -> np.ndarray:
    """Door-to-door travel times (minutes) of ``cfg``'s network in ``year``, levers' corridors included
    (read from a minimal model: the network does not depend on the agents)."""
    from simulation.config import apply_overrides, validate

    small = validate(
        apply_overrides(cfg.model_dump(mode="json"), {"scale.talent_agents": 100, "scale.firm_agents": 50}),
        "<validation>",
    )
    m = MiddleYangtzeModel(small, rng=0)
    m.transport.set_year(int(year))
    return m.transport.times.copy()


def analyse_circle(res: CompareResult, scen_cfg: Config) -> ScenarioFindings:
    """City-circle what-if: GDP growth effects (log points x 100) of satellites, bypassed cities,
    connected minus bypassed, and per city."""
    ids = list(res.region.cities.index)
    groups = circle_groups(scen_cfg, ids)
    growth = _growth(res.runs_cities)
    diff = _paired(growth, "gdp_growth", log=False)
    diff["diff"] *= 100.0
    out = ScenarioFindings("circle", extra={"groups": groups})
    last = int(res.runs_cities["year"].max())
    dt_min = network_times(scen_cfg, last) - network_times(res.base_config, last)
    idx = {c: i for i, c in enumerate(ids)}
    out.extra["time_change_min"] = {
        g: float(dt_min[[idx[c] for c in groups[g]]].mean()) if groups[g] else math.nan
        for g in ("centre", "satellite", "bypassed")
    }
    for _rep, sel in diff.groupby("replicate"):
        s = sel.set_index("city")["diff"]
        sat, byp, con = (
            s.reindex(groups["satellite"]),
            s.reindex(groups["bypassed"]),
            s.reindex(groups["connected"]),
        )
        out.per_replicate.setdefault("circle_satellites", []).append(float(sat.mean()))
        out.per_replicate.setdefault("circle_bypassed", []).append(float(byp.mean()))
        out.per_replicate.setdefault("circle_centres", []).append(float(s.reindex(groups["centre"]).mean()))
        out.per_replicate.setdefault("circle_did", []).append(float(con.mean() - byp.mean()))
    for col in ("talent", "market_access"):
        d = _paired(growth, col, log=True)
        for _rep, sel in d.groupby("replicate"):
            s = sel.set_index("city")["diff"] * 100.0
            for g in ("centre", "satellite", "bypassed"):
                out.per_replicate.setdefault(f"circle_{col}_{g}", []).append(
                    float(s.reindex(groups[g]).mean())
                )
    label = {c: "centre" for c in groups["centre"]}
    label.update({c: "satellite" for c in groups["satellite"]})
    label.update({c: "bypassed" for c in groups["bypassed"]})
    out.cities = _city_effects(diff, "gdp_growth_x100", "city_circle", label)
    _integration(res, out, "circle")
    return out


def analyse_transfer(res: CompareResult, scen_cfg: Config) -> ScenarioFindings:
    """Industry-transfer what-if: per replicate, the cross-city slope of the change in log air
    emissions on the change in log heavy output (final year), and per-city changes."""
    growth = _growth(res.runs_cities)
    dh = _paired(growth, "heavy_output", log=True)
    de = _paired(growth, "emissions_air", log=True)
    both = dh.merge(de, on=["replicate", "city"], suffixes=("_heavy", "_air"))
    out = ScenarioFindings("transfer")
    for _rep, sel in both.groupby("replicate"):
        ok = np.isfinite(sel["diff_heavy"]) & np.isfinite(sel["diff_air"])
        if ok.sum() < 3 or np.ptp(sel["diff_heavy"][ok]) == 0:
            out.per_replicate.setdefault("pollution_follows_industry", []).append(math.nan)
            out.per_replicate.setdefault("pollution_follows_industry_se", []).append(math.nan)
            continue
        s = est.elasticity(sel["diff_air"][ok].to_numpy(), sel["diff_heavy"][ok].to_numpy())
        out.per_replicate.setdefault("pollution_follows_industry", []).append(s.coef)
        out.per_replicate.setdefault("pollution_follows_industry_se", []).append(s.se)
        r = np.corrcoef(sel["diff_heavy"][ok], sel["diff_air"][ok])[0, 1]
        out.per_replicate.setdefault("pollution_industry_correlation", []).append(float(r))
    it = scen_cfg.industry_transfer
    label = {c: "receiving zone" for c in it.receiving_zones}
    label.update({c: "push city" for c in it.push_cities})
    dh_pct = dh.assign(diff=np.expm1(dh["diff"]) * 100.0)
    de_pct = de.assign(diff=np.expm1(de["diff"]) * 100.0)
    out.cities = pd.concat(
        [
            _city_effects(dh_pct, "heavy_output_pct", "industry_transfer", label),
            _city_effects(de_pct, "emissions_air_pct", "industry_transfer", label),
        ],
        ignore_index=True,
    )
    eff = res.effects.set_index("metric")
    if "emissions_air_final" in eff.index:
        r = eff.loc["emissions_air_final"]
        out.extra["cluster_emissions_pct"] = (r["mean_diff_pct"], r["ci_pct_low"], r["ci_pct_high"])
    out.extra["labels"] = label
    return out


def _integration(res: CompareResult, out: ScenarioFindings, prefix: str) -> None:
    """GDP and inequality effects and the change in beta-convergence of one what-if."""
    paired = res.paired
    for metric, key, pct in (("gdp_final", "output", True), ("inequality_cv_final", "convergence", False)):
        sel = paired[paired["metric"] == metric].sort_values("replicate")
        vals = sel["diff_pct"] if pct else sel["diff"]
        out.per_replicate[f"{prefix}_{key}"] = [float(v) for v in vals]
    growth = _growth(res.runs_cities)
    years = int(res.runs_cities["year"].max()) - int(res.runs_cities["year"].min())
    betas: dict[str, dict[int, float]] = {"base": {}, "scenario": {}}
    for (side, rep), sel in growth.groupby(["side", "replicate"]):
        b = est.beta_convergence(sel["gdp_per_capita0"].to_numpy(), sel["gdp_per_capita"].to_numpy(), years)
        betas[str(side)][int(rep)] = b.coef
    reps = sorted(betas["base"])
    out.per_replicate[f"{prefix}_beta_change"] = [betas["scenario"][r] - betas["base"][r] for r in reps]


def analyse_integration(res: CompareResult, scen_cfg: Config) -> ScenarioFindings:
    """Labour-market integration what-if: cluster GDP effect (%), inequality (CV) effect, beta
    change, and the GDP effect by city (%)."""
    out = ScenarioFindings("integration")
    _integration(res, out, "integration")
    growth = _growth(res.runs_cities)
    diff = _paired(growth, "gdp", log=True)
    diff["diff"] = np.expm1(diff["diff"]) * 100.0
    out.cities = _city_effects(diff, "gdp_pct", "talent_alliance_integration", {})
    return out


def analyse_alliance(res: CompareResult, scen_cfg: Config) -> ScenarioFindings:
    """The shipped talent-alliance scenario: the same statistics under the prefix "alliance"."""
    out = ScenarioFindings("alliance")
    _integration(res, out, "alliance")
    growth = _growth(res.runs_cities)
    diff = _paired(growth, "gdp", log=True)
    diff["diff"] = np.expm1(diff["diff"]) * 100.0
    out.cities = _city_effects(diff, "gdp_pct", "talent_alliance", {})
    return out
