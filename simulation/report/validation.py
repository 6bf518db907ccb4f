"""The validation report in markdown: ``report.md`` (what ran, the facts table, a section per fact
group, the backtest, the closing note, files and references) and ``summary.md``.

It takes a :class:`simulation.experiments.validate.pipeline.ValidationResult` and returns text; the
words are in :mod:`simulation.report.validation_text`, the figures that :data:`PLOTS` names are drawn
by :mod:`simulation.report.validation_plots`.
"""

from __future__ import annotations

import platform
from collections.abc import Callable

from simulation import pm25_sources
from simulation.archive.paths import display
from simulation.experiments.validate.pipeline import BASELINE, ValidationResult
from simulation.report import backtest as backtest_report
from simulation.report.validation_text import (
    base_fit_lines,
    city_effect_table,
    city_names,
    closing_note,
    estimate_text,
    facts_table_lines,
    fmt,
    gravity_table,
    interval,
    summary_line,
)

PLOTS: dict[str, str] = {
    "Facts against the literature": "plots/facts.png",
    "Base-year fit per city": "plots/base_fit.png",
    "Migration gravity": "plots/gravity.png",
    "GDP per worker and market access": "plots/market_access.png",
    "City circles: GDP growth effect by city": "plots/circle.png",
    "Industry transfer: heavy output and air emissions by city": "plots/pollution.png",
    "Emission intensity and income": "plots/emission_intensity.png",
}


POLLUTION_PLOT = "Industry transfer: heavy output and air emissions by city"


def report_markdown(result: ValidationResult, archive_name: str) -> str:
    """The full report: what ran, the facts table, a section per fact group, the closing note."""
    lines = [
        *_opening(result, archive_name),
        *_base_fit_section(result),
        *_gravity_section(result),
        *_market_access_section(result),
        *_circle_section(result),
        *_pollution_section(result),
        *_integration_section(result),
        *_intensity_section(result),
        *backtest_report.lines(result.backtest, result.backtest_summary, result.backtest_cluster),
        *closing_note(result),
        *_files_and_references(),
    ]
    return "\n".join(lines)


def _fact_words(result: ValidationResult) -> Callable[[str], str]:
    """fact(key) -> that fact's estimate, interval, unit and verdict in words, or "n/a"."""
    f = result.facts.set_index("fact")

    def fact(key: str) -> str:
        if key not in f.index:
            return "n/a"
        return f"{estimate_text(f.loc[key])} {f.at[key, 'unit']} ({f.at[key, 'verdict']})"

    return fact


def _nm(names: dict[str, str], ids: list[str]) -> str:
    return ", ".join(names.get(c, c) for c in ids)


def _opening(result: ValidationResult, archive_name: str) -> list[str]:
    """What ran, how uncertainty and verdicts are read, and the facts table."""
    b = result.base_config
    src = result.scenario_sources
    return [
        f"# Validation report {archive_name}",
        "",
        "The model's stylized facts (DESIGN §8) against what is known about Chinese regional economies. "
        "Every number below comes from the runs listed under *What ran*; no parameter was tuned for this "
        "report. Where the model's construction builds a fact in, the closing note says so.",
        "",
        "## What ran",
        "",
        f"- baseline: `{display(BASELINE)}` (resolved: `base.toml`); region `{b.run.region}`, years "
        f"{b.run.start_year}–{b.run.end_year}; {b.scale.talent_agents:,} talent and {b.scale.firm_agents:,} "
        "firm agents",
        f"- {len(result.seeds)} baseline seeds from root seed {result.root_seed} "
        f"(`SeedSequence(root).spawn(n)`): {', '.join(str(x) for x in result.seeds)}",
        f"- what-ifs, each against the baseline with {result.replicates} paired replicates (common random "
        f"numbers; replicate seeds {', '.join(str(x) for x in result.replicate_seeds)}):",
        *[f"  - {role}: `{label}` (resolved: `scenario-{role}.toml`)" for role, label in src.items()],
        f"- wall time {result.wall_time_s:.0f} s; Python {platform.python_version()}",
        "",
        "Uncertainty: a regression estimated on every seed is pooled by Rubin's rules (mean estimate; "
        "variance = mean robust sampling variance within runs + (1 + 1/m) × variance between seeds), so "
        "its interval covers both the cross-city sampling error and the model's randomness. Policy "
        "effects are means over paired replicates with a 95% t interval. Rank correlations are pooled on "
        "Fisher's z scale.",
        "",
        "Verdicts: *range* — the point estimate lies in the literature range; *sign* — the 95% interval "
        "lies on the predicted side of zero (an interval across zero is *inconclusive*, not counted as "
        "in); *not below* — the interval is not wholly below the bound.",
        "",
        "## The facts",
        "",
        *facts_table_lines(result.facts),
        "",
        f"![Facts against the literature]({PLOTS['Facts against the literature']})",
        "",
    ]


def _base_fit_section(result: ValidationResult) -> list[str]:
    """1. Base-year fit per city."""
    f = result.facts.set_index("fact")
    fact = _fact_words(result)
    return [
        "## 1. Base-year fit per city",
        "",
        "GDP, population, secondary share and PM2.5 are calibration targets: the largest error over cities "
        f"and targets is {fmt(float(f.at['base_fit_targets', 'estimate']), '%')}% (by construction). "
        "Average wages and industrial firm counts are not targeted; their observed values are mostly "
        f"estimates, good for ranks. Spearman correlations: wages {fact('base_fit_wages')}, firms "
        f"{fact('base_fit_firms')}. The model's average wage is (talent wage × talent + general wage × "
        "employed general population) / workers, by place of residence; it is value added per worker, not "
        "the observed wage of urban units, so only ranks are compared.",
        "",
        f"![Base-year fit]({PLOTS['Base-year fit per city']})",
        "",
        "<details><summary>Per city (first seed)</summary>",
        "",
        *base_fit_lines(result),
        "",
        "</details>",
        "",
    ]


def _gravity_section(result: ValidationResult) -> list[str]:
    """2. Migration gravity."""
    b = result.base_config
    fact = _fact_words(result)
    s = result.summaries
    return [
        "## 2. Migration gravity",
        "",
        "Talent migration between the 31 cities (agents changing home city, summed over "
        f"{b.run.start_year + 1}–{b.run.end_year}; moves to the coast excluded), every ordered pair with "
        "zeros, on log distance or log door-to-door travel time and a provincial-border dummy, with origin "
        "and destination fixed effects: PPML (Santos Silva & Tenreyro 2006; robust SE) and log-OLS on the "
        "positive flows. Graduates' first city and the general population's migration (a deterministic "
        "city-level logit) for comparison. Facts: distance elasticity "
        f"{fact('gravity_distance')}, travel-time elasticity {fact('gravity_time')}, border effect "
        f"{fact('border_effect')}.",
        "",
        *gravity_table(result),
        "",
        "The model's migration cost is `talent.time_elasticity` × ln(travel time) + `talent.border_cost` at "
        "provincial borders (+ hukou costs), so the travel-time elasticity and part of the border effect are "
        "built in; the distance elasticity is not. Elasticity of door-to-door time to distance across the "
        f"pairs (OLS, same fixed effects): {interval(s.get('gravity_time_vs_distance_log_km_ols'))}.",
        "",
        f"![Gravity]({PLOTS['Migration gravity']})",
        "",
    ]


def _market_access_section(result: ValidationResult) -> list[str]:
    """3. Market access and productivity."""
    b = result.base_config
    return [
        "## 3. Market access and productivity",
        "",
        "ln(GDP per worker) on ln(market access) across the 31 cities, province fixed effects, HC1 SE, "
        "pooled "
        "over seeds. Workers = talent + employment rate × general population; market access "
        "MA_i = Σ_j GDP_j exp(−t_ij / 90 min), own city included.",
        "",
        "- " + summary_line(result, "ma_elasticity", f"final year {b.run.end_year} (the fact)"),
        "- "
        + summary_line(
            result,
            "ma_elasticity_base_year",
            f"base year {b.run.start_year} (the data the model is calibrated to, before any model dynamics)",
        ),
        "- "
        + summary_line(
            result, "ma_elasticity_excl_own", "final year, market access without the city's own GDP"
        ),
        "- "
        + summary_line(
            result,
            "ma_elasticity_within_city",
            "within cities over time (city and year "
            "effects, SE clustered by city; own GDP is in both sides, so partly mechanical)",
        ),
        "- "
        + summary_line(
            result,
            "density_elasticity",
            "GDP per worker on employment density, final year (Ciccone & Hall's measure)",
        ),
        "- " + summary_line(result, "ma_elasticity_wage_general", "general-labour wage on market access"),
        "- "
        + summary_line(
            result, "ma_elasticity_wage_talent", "talent wage (per efficiency unit) on market access"
        ),
        "",
        "Productivity does not depend on market access in the model: agglomeration is on the city's "
        "own employment (elasticities 0.03-0.06 by sector, `production.agglomeration`), and market "
        "access acts through goods trade (prices and market shares, docs/economy.md).",
        "",
        f"![Market access]({PLOTS['GDP per worker and market access']})",
        "",
    ]


def _circle_section(result: ValidationResult) -> list[str]:
    """4. The city circles: connected and bypassed cities."""
    b = result.base_config
    fact = _fact_words(result)
    s = result.summaries
    groups = result.extra.get("circle", {}).get("groups", {})
    names = city_names(result)
    src = result.scenario_sources
    return [
        "## 4. 1-hour city circles: connected and bypassed cities",
        "",
        f"`{src.get('circle')}` against the baseline. Connected: the circle centres "
        f"({_nm(names, groups.get('centre', []))}) and the members and corridor ends "
        f"({_nm(names, groups.get('satellite', []))}); bypassed: every other city "
        f"({_nm(names, groups.get('bypassed', []))}). "
        f"Effects on GDP growth {b.run.start_year}–{b.run.end_year}, scenario − base per replicate (group "
        "means in % of GDP; the DiD and the per-city table in log points × 100).",
        "",
        f"- satellites: {fact('circle_satellites')}",
        f"- centres: {interval(s.get('circle_centres'))} log points × 100",
        f"- bypassed: {fact('circle_bypassed')}",
        f"- connected − bypassed (DiD): {fact('circle_did')}",
        f"- talent (log points × 100): satellites {interval(s.get('circle_talent_satellite'))}, centres "
        f"{interval(s.get('circle_talent_centre'))}, bypassed {interval(s.get('circle_talent_bypassed'))}",
        "- market access (log points × 100): satellites "
        f"{interval(s.get('circle_market_access_satellite'))}, "
        f"centres {interval(s.get('circle_market_access_centre'))}, bypassed "
        f"{interval(s.get('circle_market_access_bypassed'))}",
        "- door-to-door travel time to the other cities in the final year, mean change: "
        + ", ".join(
            f"{g} {fmt(v)} min" for g, v in result.extra.get("circle", {}).get("time_change_min", {}).items()
        ),
        f"- the circles as labour-market integration: cluster GDP {interval(s.get('circle_output'))} %, "
        f"inequality CV {interval(s.get('circle_convergence'))}",
        "",
        f"![City circles]({PLOTS['City circles: GDP growth effect by city']})",
        "",
        "<details><summary>Per city (* = 95% interval excludes zero)</summary>",
        "",
        *city_effect_table(
            result,
            "city_circle",
            {"gdp_growth_x100": "GDP growth, log points × 100"},
            ["centre", "satellite", "bypassed"],
        ),
        "",
        "</details>",
        "",
    ]


def _pollution_section(result: ValidationResult) -> list[str]:
    """5. Pollution following relocated heavy industry."""
    fact = _fact_words(result)
    s = result.summaries
    src = result.scenario_sources
    return [
        "## 5. Pollution following relocated heavy industry (no cap)",
        "",
        f"`{src.get('transfer')}` against the baseline (no emission cap on either side). Across cities, the "
        "final-year change in ln(air emissions) regressed on the change in ln(heavy-industry output), per "
        f"replicate: slope {fact('pollution_follows_industry')}; correlation "
        f"{interval(s.get('pollution_industry_correlation'))}.",
        "",
        f"![Pollution follows industry]({PLOTS[POLLUTION_PLOT]})",
        "",
        "<details><summary>Per city, % change in the final year (* = 95% interval excludes zero)</summary>",
        "",
        *city_effect_table(
            result,
            "industry_transfer",
            {"heavy_output_pct": "heavy-industry output, %", "emissions_air_pct": "air emissions, %"},
            ["receiving zone", "push city", ""],
        ),
        "",
        "</details>",
        "",
    ]


def _integration_section(result: ValidationResult) -> list[str]:
    """6. Labour-market integration: output and convergence."""
    b = result.base_config
    fact = _fact_words(result)
    s = result.summaries
    src = result.scenario_sources
    return [
        "## 6. Labour-market integration: output and convergence",
        "",
        f"Labour-market integration, `{src.get('integration')}`, against the baseline: cluster GDP in "
        f"{b.run.end_year} {fact('integration_output')}; change in the coefficient of variation of GDP per "
        f"capita across cities {fact('integration_convergence')}; change in the beta-convergence coefficient "
        "(annual growth on initial log GDP per capita; more negative = faster convergence) "
        f"{interval(s.get('integration_beta_change'))}.",
        "",
        f"The shipped scenario `{src.get('alliance')}` (adds a graduate-retention bonus and a talent-pool "
        f"productivity spillover): cluster GDP {interval(s.get('alliance_output'))} %, CV "
        f"{interval(s.get('alliance_convergence'))}, beta change "
        f"{interval(s.get('alliance_beta_change'))}.",
        "",
        "Baseline convergence across the 31 cities: "
        + summary_line(result, "beta_convergence", "beta (per year)")
        + "; "
        + summary_line(result, "sigma_convergence", "change in the s.d. of log GDP per capita")
        + ".",
        "",
    ]


def _intensity_section(result: ValidationResult) -> list[str]:
    """7. Emission intensity and income (and the PM2.5 sources, when computed)."""
    b = result.base_config
    return [
        "## 7. Emission intensity and income",
        "",
        "ln(air emissions / GDP) on ln(GDP per capita), city panel of all years, SE clustered by city:",
        "",
        "- " + summary_line(result, "emission_intensity_income", "year effects: across cities (the fact)"),
        "- "
        + summary_line(
            result, "emission_intensity_income_base_year", f"across cities, {b.run.start_year} only"
        ),
        "- "
        + summary_line(
            result, "emission_intensity_income_final_year", f"across cities, {b.run.end_year} only"
        ),
        "- "
        + summary_line(
            result,
            "emission_intensity_income_within_city",
            "city effects: within cities over time (includes the exogenous technology trend of 3.5%/yr)",
        ),
        "- " + summary_line(result, "emission_intensity_income_two_way", "city and year effects"),
        "",
        f"![Emission intensity]({PLOTS['Emission intensity and income']})",
        "",
        *(
            pm25_sources.lines(result.extra["pm25"], result.extra.get("pm25_observed", "n/a"))
            + [
                "Where cities are held to the plans' PM2.5 targets, the targets fix their level: a "
                "part switched off then changes how much abatement the targets need (and what it "
                "costs), not the level, so its share of the change is small.",
                "",
            ]
            if "pm25" in result.extra
            else []
        ),
    ]


def _files_and_references() -> list[str]:
    """The files of the archive and the references."""
    return [
        "",
        "## Files",
        "",
        "`facts.parquet` (the facts table), `estimates.parquet` (every per-seed and per-replicate estimate), "
        "`base_fit.parquet`, `gravity.parquet`, `scenario_cities.parquet`, `backtest*.parquet` (the backtest "
        "rows, summaries and cluster paths), `plots/*.png`, the resolved "
        "configs `base.toml` and `scenario-*.toml`, `manifest.json`.",
        "",
        "## References",
        "",
        *[f"- {ref}" for ref in REFERENCES],
        "",
    ]


REFERENCES = [
    "Bao, S., Bodvarsson, Ö. B., Hou, J. W. & Zhao, Y. (2007). Interprovincial migration in China: the "
    "effects of investment and migrant networks. IZA DP 2924.",
    "Brajer, V., Mead, R. W. & Xiao, F. (2011). Searching for an Environmental Kuznets Curve in China's "
    "air pollution. China Economic Review 22(3), 383–397.",
    "Cai, H., Chen, Y. & Gong, Q. (2016). Polluting thy neighbor: unintended consequences of China's "
    "pollution reduction mandates. J. Environmental Economics and Management 76, 86–104.",
    "Chen, Z., Kahn, M. E., Liu, Y. & Wang, Z. (2018). The consequences of spatially differentiated water "
    "pollution regulation in China. J. Environmental Economics and Management 88, 468–485.",
    "Ciccone, A. & Hall, R. E. (1996). Productivity and the density of economic activity. American "
    "Economic Review 86(1), 54–70.",
    "Combes, P.-P., Duranton, G., Gobillon, L. & Roux, S. (2010). Estimating agglomeration economies "
    "with history, geology, and worker effects. In Glaeser (ed.), Agglomeration Economics, 15–66.",
    "Dawid, H., Gemkow, S., Harting, P. & Neugart, M. (2012). Labor market integration policies and the "
    "convergence of regions: the role of skills and technology diffusion. J. Evolutionary Economics 22(3), "
    "543–562.",
    "Dawid, H., Harting, P. & Neugart, M. (2014). Economic convergence: policy implications from a "
    "heterogeneous agent model. J. Economic Dynamics and Control 44, 54–80.",
    "Faber, B. (2014). Trade integration, market size, and industrialization: evidence from China's "
    "National Trunk Highway System. Review of Economic Studies 81(3), 1046–1070.",
    "Fan, C. C. (2005). Modeling interprovincial migration in China, 1985–2000. Eurasian Geography and "
    "Economics.",
    "Hering, L. & Poncet, S. (2010). Market access and individual wages: evidence from China. Review of "
    "Economics and Statistics 92(1), 145–159.",
    "Poncet, S. (2006). Provincial migration dynamics in China: borders, costs and economic motivations. "
    "Regional Science and Urban Economics 36(3), 385–398.",
    "Qin, Y. (2017). 'No county left behind?' The distributional impact of high-speed rail upgrades in "
    "China. J. Economic Geography 17(3), 489–520.",
    "Santos Silva, J. M. C. & Tenreyro, S. (2006). The log of gravity. Review of Economics and Statistics "
    "88(4), 641–658.",
    "Su, Y., Tesfazion, P. & Zhao, Z. (2018). Where are the migrants from? Inter- vs. intra-provincial "
    "rural-urban migration in China. China Economic Review.",
    "Wu, H., Guo, H., Zhang, B. & Bu, M. (2017). Westward movement of new polluting firms in China: "
    "pollution reduction mandates and location choice. J. Comparative Economics 45(1), 119–138.",
    "Zheng, S. & Kahn, M. E. (2013). China's bullet trains facilitate market integration and mitigate "
    "the cost of megacity growth. PNAS 110(14), E1248–E1253.",
]


def summary_markdown(result: ValidationResult, archive_name: str) -> str:
    """A short summary: the facts table and a pointer to the report."""
    n_in = int(result.facts["in_range"].sum())
    return "\n".join(
        [
            f"# Validation {archive_name}",
            "",
            f"{len(result.seeds)} baseline seeds, {result.replicates} paired replicates per what-if; "
            f"{n_in} of {len(result.facts)} stylized facts in range. The full report with the reasons for "
            "each fact out of range: [report.md](report.md).",
            "",
            *facts_table_lines(result.facts),
            "",
            f"![Facts against the literature]({PLOTS['Facts against the literature']})",
            "",
        ]
    )
