"""The words of the validation report: numbers, intervals and verdicts as text, the tables of the
report (facts, gravity variants, base-year fit, per-city effects) and the closing note on each fact.

Every function takes a :class:`simulation.experiments.validate.pipeline.ValidationResult` (or one of
its tables) and returns text; :mod:`simulation.report.validation` puts the report together.
"""

from __future__ import annotations

import math

import pandas as pd

from simulation.experiments.validate import estimators as est
from simulation.experiments.validate.baseline import GRAVITY_KINDS
from simulation.experiments.validate.facts import CONFIDENCE, FACT_BY_KEY, INF, FactSpec
from simulation.experiments.validate.pipeline import ValidationResult


def fmt(x: float | None, unit: str = "") -> str:
    """A number for the report: 3 decimals below 10, 1 above; a real minus sign; ∞ for bounds."""
    if x is None or not math.isfinite(x):
        return "−∞" if x == -INF else "∞" if x == INF else "n/a"
    ax = abs(x)
    s = f"{x:.3f}" if ax < 10 else f"{x:.1f}"
    if unit == "%" and 0 < ax < 0.001:
        s = f"{x:.1e}"
    return s.replace("-", "−")


def interval(value: tuple[float, float, float] | None) -> str:
    m, lo, hi = value if value is not None else (math.nan, math.nan, math.nan)
    return f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]"


def literature_text(row: pd.Series | dict) -> str:
    """The literature's range or sign prediction in words."""
    r = dict(row)
    test = r["test"]
    if test == "range":
        return f"{fmt(r['literature_low'])} to {fmt(r['literature_high'])}"
    if test == "sign+":
        return "> 0 (sign)"
    if test == "sign-":
        return "< 0 (sign)"
    return f"not below {fmt(r['literature_low'])}"


def estimate_text(row: pd.Series | dict) -> str:
    """The model's estimate with its 95% interval."""
    r = dict(row)
    return f"{fmt(r['estimate'], r['unit'])} [{fmt(r['ci_low'], r['unit'])}, {fmt(r['ci_high'], r['unit'])}]"


VERDICT_WORDS = {"in": "**in**", "out": "**OUT**", "inconclusive": "inconclusive (not in)"}


def facts_table_lines(facts: pd.DataFrame) -> list[str]:
    """The facts as a markdown table: fact, literature, model (95% interval), unit, verdict."""
    lines = [
        "| # | stylized fact | literature | model (95% interval) | unit | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for i, (_, r) in enumerate(facts.iterrows(), start=1):
        lines.append(
            f"| {i} | {r['description']} | {literature_text(r)} | {estimate_text(r)} | {r['unit']} | "
            f"{VERDICT_WORDS[r['verdict']]} |"
        )
    return lines


def summary_line(result: ValidationResult, key: str, label: str) -> str:
    """``label: estimate [low, high]`` of one pooled estimate."""
    return f"{label}: {interval(result.summaries.get(key))}"


def gravity_table(result: ValidationResult) -> list[str]:
    """Every gravity variant (flows x distance measure x method), pooled over seeds, as a markdown table."""
    g = result.gravity[result.gravity["kind"].isin(list(GRAVITY_KINDS))]
    lines = [
        "| flows | distance measure | method | elasticity (95% interval) "
        "| border effect exp(b)−1 (95% interval) | zero flows |",
        "|---|---|---|---|---|---|",
    ]
    for (kind, dist, method), sel in g.groupby(["kind", "distance", "method"], sort=False):
        m, lo, hi, _ = est.pooled_interval(sel["elasticity"], sel["elasticity_se"], CONFIDENCE)
        bm, blo, bhi, _ = est.pooled_interval(sel["border"], sel["border_se"], CONFIDENCE)
        lines.append(
            f"| {GRAVITY_KINDS[kind]} | {'distance (km)' if dist == 'log_km' else 'travel time'} | "
            f"{'PPML' if method == 'ppml' else 'log-OLS (positive flows)'} | "
            f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}] | "
            f"{fmt(math.expm1(bm))} [{fmt(math.expm1(blo))}, {fmt(math.expm1(bhi))}] | "
            f"{sel['zero_share'].mean():.1%} |"
        )
    return lines


def base_fit_lines(result: ValidationResult) -> list[str]:
    """Observed against model base-year values per city (first seed) as a markdown table."""
    fit = result.base_fit[result.base_fit["seed"] == result.seeds[0]]
    lines = [
        "| city | province | GDP obs → model (100m yuan) | population (m) | secondary share | PM2.5 | "
        "avg wage obs / model (k yuan) | industrial firms obs / model |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for _, r in fit.iterrows():
        lines.append(
            f"| {r['name_en']} | {r['province']} | {r['gdp_obs']:,.0f} → {r['gdp_model']:,.0f} | "
            f"{r['population_obs'] / 1e6:.2f} → {r['population_model'] / 1e6:.2f} | "
            f"{r['secondary_share_obs']:.3f} → {r['secondary_share_model']:.3f} | "
            f"{r['pm25_obs']:.0f} → {r['pm25_model']:.1f} | "
            f"{r['wage_obs'] / 1e3:.0f} / {r['wage_model'] / 1e3:.0f} | "
            f"{r['industrial_firms_obs']:,.0f} / {r['industrial_firms_model']:,.0f} |"
        )
    return lines


def city_names(result: ValidationResult) -> dict[str, str]:
    """City id -> English name (empty when the result holds no region)."""
    region = result.extra.get("region")
    return region.cities["name_en"].to_dict() if region is not None else {}


def cell(r: pd.Series) -> str:
    """A per-city effect with its interval; ``*`` when the interval excludes zero."""
    star = " *" if (r["ci_low"] > 0 or r["ci_high"] < 0) else ""
    return f"{fmt(r['mean_diff'])} [{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]{star}"


def city_effect_table(
    result: ValidationResult, scenario: str, metrics: dict[str, str], group_order: list[str]
) -> list[str]:
    """Per-city effects of one what-if as a markdown table (one column per metric)."""
    ce = result.scenario_cities
    ce = ce[ce["scenario"] == scenario]
    first = next(iter(metrics))
    base = ce[ce["metric"] == first].copy()
    if base.empty:
        return []
    base["o"] = base["group"].map({g: i for i, g in enumerate(group_order)}).fillna(len(group_order))
    base = base.sort_values(["o", "mean_diff"], ascending=[True, False])
    wide = {m: ce[ce["metric"] == m].set_index("city") for m in metrics}
    names = city_names(result)
    lines = ["| city | group | " + " | ".join(metrics.values()) + " |", "|---|---|" + "---|" * len(metrics)]
    for _, r in base.iterrows():
        cells = [cell(wide[m].loc[r["city"]]) if r["city"] in wide[m].index else "n/a" for m in metrics]
        lines.append(
            f"| {names.get(r['city'], r['city'])} | {r['group'] or '—'} | " + " | ".join(cells) + " |"
        )
    return lines


def fact_notes(result: ValidationResult) -> dict[str, list[str]]:
    """Numbers that qualify a verdict, by fact (computed from this result's own estimates)."""
    s = result.summaries
    f = result.facts.set_index("fact")
    notes: dict[str, list[str]] = {}

    def val(key: str) -> float:
        return s.get(key, (math.nan,) * 3)[0]

    tvd = val("gravity_time_vs_distance_log_km_ols")
    if math.isfinite(tvd):
        notes["gravity_distance"] = [
            f"Door-to-door travel time rises with distance with an elasticity of {fmt(tvd)} across the "
            f"cluster's city pairs (same fixed effects and border dummy), so a time elasticity of "
            f"{fmt(val('gravity_migration_log_time_ppml'))} implies a distance elasticity near "
            f"{fmt(val('gravity_migration_log_time_ppml') * tvd)}."
        ]
    if "ma_elasticity" in f.index:
        e = float(f.at["ma_elasticity", "estimate"])
        where = "above" if e > 0.10 else "inside" if e >= 0.02 else "below"
        notes["ma_elasticity"] = [
            f"The estimate is {where} the international core of 0.02–0.10 and the interval (31 cities) is "
            f"wide. The same regression on the 2019 data, before any model dynamics, gives "
            f"{interval(s.get('ma_elasticity_base_year'))}: the cross-section is mostly the calibration "
            f"data. With market access excluding the city's own GDP: "
            f"{interval(s.get('ma_elasticity_excl_own'))}."
        ]
    circle = [
        f"Group effects on talent (log points × 100, final year): satellites "
        f"{interval(s.get('circle_talent_satellite'))}, centres {interval(s.get('circle_talent_centre'))}, "
        f"bypassed {interval(s.get('circle_talent_bypassed'))}; on market access: satellites "
        f"{interval(s.get('circle_market_access_satellite'))}, bypassed "
        f"{interval(s.get('circle_market_access_bypassed'))}."
    ]
    tc = result.extra.get("circle", {}).get("time_change_min", {})
    if tc:
        faster = tc.get("bypassed", math.nan) < 0
        circle.append(
            "Mean change of door-to-door travel time to the other cities in the final year: "
            + ", ".join(f"{g} {fmt(v)} min" for g, v in tc.items())
            + (
                "; the 'bypassed' cities are not bypassed in Qin's sense, their trips get faster too."
                if faster
                else "."
            )
        )
    notes["circle_bypassed"] = circle
    transfer = result.extra.get("transfer", {})
    ce = transfer.get("cluster_emissions_pct")
    if ce:
        notes["pollution_follows_industry"] = [
            f"Cluster air emissions in the final year change by {fmt(ce[0])}% "
            f"[{fmt(ce[1])}, {fmt(ce[2])}]: "
            "the pollution moves with the industry; whether it also grows depends on where the industry "
            "goes (intensities are the same everywhere, so only the sector mix and the amount of output "
            "matter)."
        ]
    notes["integration_output"] = [
        f"The shipped scenario (with the retention bonus and the talent-pool spillover) raises cluster GDP "
        f"by {interval(s.get('alliance_output'))} %; the difference is what those two built-in terms add."
    ]
    if "integration_convergence" in f.index:
        e = float(f.at["integration_convergence", "estimate"])
        lo, hi = (
            float(f.at["integration_convergence", "ci_low"]),
            float(f.at["integration_convergence", "ci_high"]),
        )
        if e < 0 and hi >= 0:
            notes["integration_convergence"] = [
                "The point estimate is negative (slightly more convergence) but the interval includes zero: "
                "the "
                "model shows neither the lower convergence Dawid et al. found nor a reliable narrowing."
            ]
        elif lo > 0:
            notes["integration_convergence"] = [
                "Integration distinguishably widens the gaps, as in Dawid et al."
            ]
        centres = result.extra.get("circle", {}).get("groups", {}).get("centre", [])
        ce = result.scenario_cities
        integ = ce[ce["scenario"] == "talent_alliance_integration"]
        sel, others = integ[integ["city"].isin(centres)], integ[~integ["city"].isin(centres)]
        if len(sel) and len(others):
            names = city_names(result)
            caps = ", ".join(f"{names.get(r['city'], r['city'])} {cell(r)}" for _, r in sel.iterrows())
            n_up = int((others["mean_diff"] > 0).sum())
            notes.setdefault("integration_convergence", []).append(
                f"GDP effect of integration (% of GDP, final year): {caps}; {n_up} of {len(others)} other "
                "cities gain (* = 95% interval excludes zero)."
            )
    notes["emission_intensity_income"] = [
        f"Across cities by year: base year {interval(s.get('emission_intensity_income_base_year'))}, "
        "final year "
        f"{interval(s.get('emission_intensity_income_final_year'))} (HC1, 31 cities); within cities over "
        f"time {interval(s.get('emission_intensity_income_within_city'))}."
    ]
    return notes


def _why(spec: FactSpec, r: pd.Series, replicates: int) -> tuple[str, str]:
    """The explanation and the remedy of a fact that is not in range."""
    if r["verdict"] == "inconclusive":
        why = spec.why_inconclusive or (
            f"the 95% interval includes zero: with {replicates} replicates the effect, if any, is smaller "
            "than the noise between them"
        )
        change = spec.change_inconclusive or (
            "more replicates (--replicates) or more agents (scale.firm_agents, scale.talent_agents) to "
            "resolve the sign"
        )
        return why, change
    return spec.why_out, spec.change


def closing_note(result: ValidationResult) -> list[str]:
    """The closing note: each fact with its literature, estimate, verdict and, when not in, why and
    what would change it."""
    lines = ["## Closing note: each fact, in or out", ""]
    notes = fact_notes(result)
    for i, (_, r) in enumerate(result.facts.iterrows(), start=1):
        spec = FACT_BY_KEY[r["fact"]]
        lines.append(
            f"{i}. **{spec.fact}** — literature: {literature_text(r)} ({spec.basis}; {spec.citation}); "
            "model: "
            f"{estimate_text(r)} {r['unit']} — **{r['verdict'].upper()}**."
        )
        if spec.construction:
            lines.append(f"   - Construction: {spec.construction}.")
        if r["verdict"] != "in":
            why, change = _why(spec, r, result.replicates)
            lines.append(f"   - Why: {why}.")
            lines.append(f"   - What would change it: {change}.")
        elif r["test"] == "range" and r["ci_overlaps_range"] is not None:
            if not (r["literature_low"] <= r["ci_low"] and r["ci_high"] <= r["literature_high"]):
                lines.append("   - The point estimate is in range; the 95% interval reaches beyond it.")
        for note in notes.get(r["fact"], []):
            lines.append(f"   - {note}")
    lines.append("")
    n_in = int(result.facts["in_range"].sum())
    lines.append(
        f"{n_in} of {len(result.facts)} facts in range. No parameter was changed for this report: the model "
        "ran with the configs named above, whose values and sources are in docs/parameters.md and "
        "docs/calibration.md."
    )
    return lines
