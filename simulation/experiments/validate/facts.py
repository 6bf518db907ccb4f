"""The stylized facts of the validation report: what the literature says and how the model's
number is tested against it (:data:`FACTS`, in report order)."""

from __future__ import annotations

import math
from dataclasses import dataclass

# the level of every interval of the report (t, Rubin and Fisher-z intervals alike)
CONFIDENCE = 0.95


@dataclass(frozen=True)
class FactSpec:
    """A stylized fact: what the literature says and how the model's number is tested against it.

    ``test``: "range" (point estimate in [low, high]), "sign+" / "sign-" (95% interval above /
    below zero), "not_below" (95% interval not wholly below ``low``). ``basis`` says what kind of
    benchmark it is (literature range, qualitative literature, base data). ``construction`` names
    what in the model builds the agreement in, if anything. ``why_out`` and ``change`` are the
    report's explanation when the fact is out of range (for a sign test: the interval lies on the
    wrong side); ``why_inconclusive`` and ``change_inconclusive`` when a sign test's interval spans
    zero (default: a generic statement about noise and replicates).
    """

    key: str
    section: str
    fact: str
    measure: str
    test: str
    low: float
    high: float
    unit: str
    citation: str
    basis: str
    construction: str = ""
    why_out: str = ""
    change: str = ""
    why_inconclusive: str = ""
    change_inconclusive: str = ""


INF = math.inf

FACTS: list[FactSpec] = [
    FactSpec(
        "base_fit_targets",
        "Base-year fit",
        "Year 0 reproduces each city's 2019 GDP, 2020 census population, 2019 secondary share and PM2.5",
        "largest absolute error over the 31 cities and the four targets",
        "range",
        0.0,
        0.1,
        "%",
        "city statistical bulletins 2019, 7th census 2020, city PM2.5 2019 "
        "(simulation/regions/middle_yangtze/*NOTES.md)",
        "base data (calibration targets)",
        construction="targeted: productivity levels, agent allocation and PM2.5 factors are solved to "
        "hit these numbers (docs/calibration.md), so agreement is by construction",
        why_out="the year-0 calibration no longer solves exactly (a numerical or data-loading fault)",
        change="fix the calibration; this is a bug check, not a finding",
    ),
    FactSpec(
        "base_fit_wages",
        "Base-year fit",
        "Partly targeted: average wages rank across cities as observed",
        "Spearman rank correlation of the model's average wage with the 2019 average wage, 31 cities",
        "range",
        0.5,
        1.0,
        "rho",
        "city_economy.csv avg_wage_2019_yuan (mostly estimates: used for ranks only); threshold 0.5 "
        "is a judgement",
        "base data (partly a calibration target)",
        construction="partly by construction: the talent wage per efficiency unit is set at year 0 to "
        "production.college_premium x the observed average wage (docs/economy.md); the model's average "
        "wage mixes it with the general-labour wage, the residual of labour's 0.5 share of value added",
        why_out="the general-labour wage is what is left of labour's share once talent is paid, so "
        "cities with many graduates relative to output (the capitals) have low general wages and a "
        "compressed average; observed wages (urban non-private units) cover formal jobs only, and most "
        "of the observed figures are estimates",
        change="calibrate labour's share per city to observed wage bills (or verified city wage "
        "statistics), or compare the formal-sector wage with the model's talent wage alone",
    ),
    FactSpec(
        "base_fit_firms",
        "Base-year fit",
        "Untargeted: industrial firm counts rank across cities as observed",
        "Spearman rank correlation of the model's industrial firms (above designated size) with "
        "the 2019 counts, 31 cities",
        "range",
        0.5,
        1.0,
        "rho",
        "city_economy.csv industrial_firms_above_scale_2019 (estimates, ±25%); threshold 0.5 is a judgement",
        "base data (only the cluster total is targeted)",
        why_out="firm agents are spread over cities in proportion to sector output, so cities with "
        "large but few firms (or many small ones) are misranked",
        change="allocate firm agents by observed firm counts and let firm size carry output",
    ),
    FactSpec(
        "gravity_distance",
        "Migration gravity",
        "Talent migration falls with distance",
        "PPML elasticity of city-pair talent migration (2020-end, summed) to great-circle "
        "distance, origin and destination fixed effects, border dummy",
        "range",
        -1.5,
        -0.6,
        "elasticity",
        "Chinese migration gravity estimates, about -0.6 to -1.5 (Poncet 2006; Bao, Bodvarsson, "
        "Hou & Zhao 2007/2009; Fan 2005)",
        "literature range",
        construction="migration cost is talent.time_elasticity (1.0) x ln(door-to-door travel time); "
        "distance enters only through travel time",
        why_out="the model's migration cost is a function of log door-to-door travel time, not "
        "distance. Door-to-door time grows less than proportionally with distance (a fixed "
        "25-minute intra-city leg at both ends, and fast HSR on the long links), so the flow "
        "elasticity to distance is roughly the time elasticity (1.0) times the elasticity of time "
        "to distance across the cluster's pairs (below). The literature's distance "
        "elasticities also come mostly from interprovincial flows over much longer distances than "
        "the 30-600 km of this cluster",
        change="a larger talent.time_elasticity (about 1.5-2 would bring the distance elasticity to "
        "about -0.8..-1.1, but the time elasticity would then sit at or beyond the range's edge), or a "
        "migration cost that "
        "also grows with distance (information and network costs that travel time does not "
        "capture). Either is a recalibration against migration data of this cluster (e.g. the 2020 "
        "census city-to-city tables), not against this report",
    ),
    FactSpec(
        "gravity_time",
        "Migration gravity",
        "Talent migration falls with travel time",
        "PPML elasticity of city-pair talent migration to door-to-door travel time, same fixed "
        "effects and border dummy",
        "range",
        -1.5,
        -0.6,
        "elasticity",
        "no direct travel-time estimate for China found; the distance range above applied to time",
        "literature range (for distance)",
        construction="largely by construction: the parameter talent.time_elasticity = 1.0 is the "
        "utility cost per log hour, and a logit location choice turns it into this flow elasticity",
        why_out="talent.time_elasticity no longer maps into the flow elasticity (e.g. hukou or "
        "commuting terms correlated with travel time)",
        change="talent.time_elasticity",
    ),
    FactSpec(
        "border_effect",
        "Migration gravity",
        "Provincial borders sharply reduce migration",
        "exp(b) - 1 of the border dummy in the distance specification: the proportional change in "
        "flows between cities in different provinces",
        "range",
        -0.98,
        -0.5,
        "share",
        "strong border effects in Chinese migration (Poncet 2006; Su, Tesfazion & Zhao 2018); "
        "'strong' read as at least halving flows (judgement)",
        "qualitative literature, bounds by judgement",
        construction="partly by construction: talent.border_cost (1.0) and the hukou-province cost "
        "are explicit provincial-border terms in the migration utility",
        why_out="the border and hukou-province costs are too weak (or too strong) against the other "
        "terms of the migration utility",
        change="talent.border_cost and talent.hukou_cost_province",
    ),
    FactSpec(
        "ma_elasticity",
        "Agglomeration",
        "A wage / productivity premium rising with market access",
        "elasticity of GDP per worker to market access across the 31 cities in the final year, "
        "province fixed effects",
        "range",
        0.02,
        0.19,
        "elasticity",
        "agglomeration elasticities 0.02-0.10 (Ciccone & Hall 1996; Combes, Duranton, Gobillon & "
        "Roux 2010); Chinese estimates up to 0.12-0.19; market access and wages in China: Hering & "
        "Poncet 2010",
        "literature range",
        construction="the base-year cross-section is data (each city's GDP per worker is its 2019 "
        "value); market access no longer enters productivity (agglomeration is on the city's own "
        "employment), so later changes come from trade prices, capital and factor flows",
        why_out="the cross-section of GDP per worker is mostly the 2019 data carried forward, so the "
        "estimate mostly measures how GDP per worker and market access co-vary in the data (market "
        "access includes a city's own GDP); the trade channel changes it little within 16 years",
        change="a cross-section with worker composition controls (the literature's wage "
        "regressions control for skills), or market access that excludes own GDP",
    ),
    FactSpec(
        "circle_satellites",
        "1-hour city circles",
        "1-hour circles help connected satellite cities",
        "GDP growth 2019-end of circle member cities (not the centres), scenario city_circle - "
        "baseline, mean over the satellites",
        "sign+",
        0.0,
        INF,
        "% of GDP",
        "satellites within reach of a megacity gain from faster links (Zheng & Kahn 2013); but "
        "connected peripheral counties lost growth to the metropolitan nodes in Faber 2014",
        "qualitative literature (sign; contested)",
        why_out="the wider commuting zones let talent live in a satellite and work in the centre, so "
        "a satellite gains residents but not necessarily workplace output, while the centre's "
        "larger market access draws firms (Faber's core-periphery effect)",
        change="production that uses the talent living in a city (home-based work), or firm "
        "relocation that responds to lower land rents in satellites; evidence on which effect "
        "dominates in Chinese metropolitan circles",
        why_inconclusive="the satellites' gain is smaller than the noise between replicates: a small "
        "city-sector holds a handful of firm agents, so single births, exits and moves, which differ "
        "between the paired runs once their paths diverge, move its GDP by a percent or more",
    ),
    FactSpec(
        "circle_bypassed",
        "1-hour city circles",
        "Some bypassed cities may lose",
        "GDP growth of the cities outside the circles and corridors, scenario - baseline, mean",
        "sign-",
        -INF,
        0.0,
        "% of GDP",
        "bypassed counties on upgraded lines lost about 3-5% of GDP (Qin 2017); the fact says 'may', "
        "tested here as a distinguishable mean loss",
        "qualitative literature (sign), magnitude Qin 2017",
        why_out="nothing gets worse for any city in the scenario: corridors only make links faster, "
        "and the Wuhan-Nanchang link also shortens paths for cities beyond its ends (see the travel-time "
        "changes below), so trade costs fall for everyone, and the bypassed cities do not distinguishably "
        "lose talent (group effects below). Qin's "
        "bypassed counties lost train service when fast trains stopped serving them; the model has no "
        "such loss of service (investment does chase returns, but the effect is small here)",
        change="scenarios that also worsen service somewhere (fewer stops, slower conventional "
        "trains on upgraded lines), and a capital or investment stock that moves toward "
        "better-connected places",
        why_inconclusive="the mean effect on bypassed cities is not distinguishable from zero: "
        "corridors only make links faster, so nothing gets worse for a bypassed city, and its gains "
        "or losses (cheaper trade, some talent, firms and capital drawn to the circles) are smaller "
        "than the noise between replicates. The model has no loss of train service at skipped "
        "stations (Qin's main channel)",
        change_inconclusive="more replicates (--replicates) to resolve the sign; to allow losses of "
        "Qin's kind: scenarios that also worsen service somewhere, and a capital or investment "
        "stock that moves toward better-connected places",
    ),
    FactSpec(
        "circle_did",
        "1-hour city circles",
        "Connected cities grow relative to bypassed ones",
        "difference in differences: GDP growth effect of connected cities (centres, members, corridor "
        "ends) minus that of bypassed cities",
        "sign+",
        0.0,
        INF,
        "log points x 100",
        "relative losses of bypassed places (Qin 2017); relative gains of connected nodes (Faber "
        "2014, for the metropolitan nodes)",
        "qualitative literature (sign)",
        why_out="the bypassed cities gain as much as the connected ones: faster links raise market "
        "access everywhere and no city loses service (see the row above)",
        change="as for the row above",
        why_inconclusive="the connected cities' gain over the bypassed ones is smaller than the noise "
        "between replicates: the bypassed cities gain too, since faster links raise market access "
        "everywhere and no city loses service",
        change_inconclusive="more replicates (--replicates) to resolve the sign; a model in which "
        "bypassed places can lose (see the row above) would widen the gap",
    ),
    FactSpec(
        "pollution_follows_industry",
        "Pollution havens",
        "Pollution follows relocated heavy industry when no cap applies",
        "slope across cities of the change in log air emissions on the change in log heavy-industry "
        "output, scenario industry_transfer - baseline, final year",
        "sign+",
        0.0,
        INF,
        "elasticity",
        "polluting firms move to laxer places and pollution moves with them (Wu, Guo, Zhang & Bu "
        "2017; Cai, Chen & Gong 2016; Chen, Kahn, Liu & Wang 2018)",
        "qualitative literature (sign)",
        construction="largely by construction: emissions are output x sector intensity, and heavy "
        "industry has the highest intensity; the test checks that relocation carries it along",
        why_out="abatement or sector shifts that offset the relocation",
        change="-",
    ),
    FactSpec(
        "integration_output",
        "Labour-market integration",
        "Labour-market integration raises output",
        "cluster GDP in the final year, labour-market integration (talent_alliance's border and hukou "
        "cost cuts, without its retention bonus and talent-pool spillover) - baseline",
        "sign+",
        0.0,
        INF,
        "% of GDP",
        "integrated labour markets give higher output (Dawid, Gemkow, Harting & Neugart 2012; "
        "Dawid, Harting & Neugart 2014, EURACE)",
        "qualitative literature (sign)",
        construction="not built in: the retention bonus and the talent-pool productivity spillover of "
        "the shipped scenario, which would raise output by construction, are switched off for this "
        "test (the shipped scenario is reported beside it)",
        why_out="lower border and hukou costs move talent between cities without raising its "
        "productivity, and can lose talent that would otherwise have stayed",
        change="agglomeration returns to talent (skill spillovers) large enough that better matching "
        "raises output; evidence on the alliance's effect on talent retention",
        why_inconclusive="lower border and hukou costs mainly reshuffle talent between cities; the "
        "output gain from better matching is smaller than the noise between replicates",
        change_inconclusive="more replicates (--replicates); agglomeration returns to talent large "
        "enough that better matching raises output",
    ),
    FactSpec(
        "integration_convergence",
        "Labour-market integration",
        "... but not always convergence",
        "coefficient of variation of GDP per capita across cities in the final year, labour-market "
        "integration - baseline (positive = less convergence)",
        "not_below",
        0.0,
        INF,
        "CV",
        "integrated labour markets gave higher output but lower convergence (Dawid et al. 2012); "
        "tested as: integration does not reliably narrow the gaps",
        "qualitative literature (not negative)",
        why_out="with lower border and hukou costs, activity spreads out from the three provincial "
        "capitals, which hold most of the talent and are among the richest cities, to the other cities "
        "(the capitals' GDP effects are below), which narrows GDP per capita gaps. Nothing in the model "
        "makes integration favour the big cities: the productivity gain from concentration is the small "
        "market-access elasticity, while rents and pollution rise with size",
        change="stronger agglomeration returns to talent (the skill complementarity of the EURACE "
        "model), which would let the big cities' advantage grow with integration",
    ),
    FactSpec(
        "emission_intensity_income",
        "Emissions and income",
        "Emission intensity falls as income rises",
        "elasticity of air emissions per unit of GDP to GDP per capita, city panel of all years, "
        "year fixed effects (variation across cities), SE clustered by city",
        "range",
        -1.5,
        -0.5,
        "elasticity",
        "EKC studies for SO2 in China (e.g. Brajer, Mead & Xiao 2011) put income elasticities of "
        "emissions near -0.5..+0.5, i.e. intensity elasticities of about -1.5..-0.5 (synthesis)",
        "literature range (synthesis)",
        construction="over time, intensities fall by environment.tech_progress (1%/yr) in every city "
        "and by the dated regulation path (five-year-plan caps, standards, PM2.5 targets): the "
        "within-city decline is mostly an input, so the test uses the cross-city variation",
        why_out="emission intensities are the same in every city for a given sector, so a city's "
        "intensity depends only on its sector mix, set in the base year by the heavy-industry flag "
        "and the tertiary-educated share of city_economy.csv; in this cluster that mix is hardly "
        "related to income (heavy-flagged cities are both rich and poor), and richer cities do not "
        "abate more: there is no income-dependent regulation or technology in the model. Within "
        "cities over time the intensity falls with income (see the within-city row), but that is "
        "the exogenous technology trend",
        change="city-specific base-year intensities calibrated to observed industrial SO2 by city "
        "(city_environment.csv has the columns, mostly blank), and abatement or technology adoption "
        "that rises with income (stricter enforcement in richer cities)",
    ),
]
FACT_BY_KEY = {f.key: f for f in FACTS}
