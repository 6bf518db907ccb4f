"""Decomposition of the talent alliance's GDP effect into its parts: border, hukou, retention, spillover.

A compare whose scenario switches the alliance on also runs, on the same replicate seeds, the
scenario with the alliance's pool spillover off, and with only one of its other parts on (border
cost cut, hukou cost cut, retention bonus). Every other setting stays as in the scenario. Paired
against the base:

    spillover    = scenario - scenario without the spillover
    border, hukou, retention = each part alone
    interaction  = scenario without the spillover - (border + hukou + retention)

so the parts add up to the scenario's effect. The spillover's bound is what the alliance's own talent
gain implies: members' GDP share times ((T / (T - A)) ** pool_spillover - 1), with A the talent the
alliance added and T the members' talent in the final year (``alliance_talent_added``; see
``simulation.policies.talent_alliance``); the spillover part cannot exceed it by more than the
general-equilibrium reallocation it sets off.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulation.config import Config, apply_overrides, validate
from simulation.experiments.validate.estimators import t_summary

PARTS = {"border": "border_cost_cut", "hukou": "hukou_cost_cut", "retention": "retention_bonus"}


def arms(scen_cfg: Config) -> dict[str, Config]:
    """The extra configurations to run, by name (none if the scenario has no alliance)."""
    ta = scen_cfg.talent_alliance
    if not ta.enabled:
        return {}
    raw = scen_cfg.model_dump(mode="json")
    out = {"no_spillover": validate(apply_overrides(raw, {"talent_alliance.pool_spillover": 0.0}), "<arm>")}
    for part, key in PARTS.items():
        sets = {f"talent_alliance.{k}": (getattr(ta, k) if k == key else 0.0) for k in PARTS.values()}
        sets["talent_alliance.pool_spillover"] = 0.0
        out[part] = validate(apply_overrides(raw, sets), "<arm>")
    return out


def _final_gdp(run: dict[str, Any]) -> float:
    model = run["model"]
    return float(model.loc[model.year == model.year.max(), "gdp"].iloc[0])


def _bound(run: dict[str, Any], scen_cfg: Config, member_cities: list[str]) -> float:
    """Spillover bound (% of cluster GDP) from the scenario run's alliance-added talent."""
    model, cities = run["model"], run["cities"]
    last = model.year.max()
    added = float(model.loc[model.year == last, "alliance_talent_added"].iloc[0])
    fin = cities[cities.year == last]
    members = fin.city.isin(member_cities)
    talent = float(fin.loc[members, "talent"].sum())
    if talent <= added or added <= 0:
        return 0.0
    factor = (talent / (talent - added)) ** scen_cfg.talent_alliance.pool_spillover - 1.0
    return 100.0 * factor * float(fin.loc[members, "gdp"].sum() / fin.gdp.sum())


def table(
    base_runs: list[dict], scen_runs: list[dict], arm_runs: dict[str, list[dict]], scen_cfg: Config,
    member_cities: list[str],
) -> pd.DataFrame:  # fmt: skip
    """One row per part: the mean and 95% t interval of its final-year GDP effect (% of base)."""
    base = np.array([_final_gdp(r) for r in base_runs])
    pct = {
        name: 100.0 * (np.array([_final_gdp(r) for r in runs]) - base) / base
        for name, runs in arm_runs.items()
    }
    full = 100.0 * (np.array([_final_gdp(r) for r in scen_runs]) - base) / base
    parts = {
        "border": pct["border"],
        "hukou": pct["hukou"],
        "retention": pct["retention"],
        "interaction": pct["no_spillover"] - pct["border"] - pct["hukou"] - pct["retention"],
        "spillover": full - pct["no_spillover"],
        "total": full,
    }
    bound = np.array([_bound(r, scen_cfg, member_cities) for r in scen_runs])
    rows = []
    for part, values in parts.items():
        mean, lo, hi, sd, n = t_summary(values)
        cap = float(bound.mean()) if part == "spillover" else np.nan
        rows.append(
            {"part": part, "gdp_effect_pct": mean, "ci_low": lo, "ci_high": hi, "sd": sd, "n": n,
             "spillover_bound_pct": cap}
        )  # fmt: skip
    return pd.DataFrame(rows)


def summary_lines(dec: pd.DataFrame) -> list[str]:
    lines = [
        "## Talent alliance: parts of the GDP effect (final year, % of base GDP)",
        "",
        "Each part run on the same seeds (see `simulation/decompose.py`); the parts add up to the total.",
        "",
        "| part | effect | 95% interval |",
        "|---|---|---|",
    ]
    for r in dec.itertuples(index=False):
        lines.append(f"| {r.part} | {r.gdp_effect_pct:+.3f}% | {r.ci_low:+.3f}% to {r.ci_high:+.3f}% |")
    sp = dec.set_index("part").loc["spillover"]
    lines += [
        "",
        f"The spillover part is bounded by the alliance's own talent gain: {sp.spillover_bound_pct:+.3f}% of "
        "cluster GDP (members' GDP share x ((T / (T - A)) ** pool_spillover - 1)).",
        "",
    ]
    return lines
