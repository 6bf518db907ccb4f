"""Config sections of the people: talent (college-educated workers) and the general population.

Assembled with the other sections into ``simulation.config.Config``; every value carries its
meaning, unit and source (docs/parameters.md is generated from them, docs/calibration.md says
which values were fitted).
"""

from __future__ import annotations

from simulation.params import P, Section


class TalentSection(Section):
    commute_elasticity: float = P(
        5.0,
        "Wage elasticity eps of the work-city choice given the home city (commuting gravity)",
        "-",
        "Ahlfeldt et al. (2015) 6.8; Monte, Redding & Rossi-Hansberg (2018) ~4.4; design brief 4-7",
        ge=0,
        le=50,
    )
    destination_weight: float = P(
        1.0,
        "Utility per log job at the work city in the commuting choice (destination size)",
        "utils",
        "gravity commuting: flows proportional to destination employment (Ahlfeldt et al. 2015)",
        ge=0,
        le=20,
    )
    entrant_speed_kmh: float = P(
        200.0,
        "Speed of the trip from the coast (Shanghai) for entrants from outside the cluster",
        "km/h",
        "judgement: HSR door to door",
        gt=1,
        le=1000,
    )
    entrant_balance: float = P(
        1.0,
        "Base-year talent entries from outside the cluster per departure to the coast",
        "-",
        "judgement: the base year is a rest point of talent migration with the rest of China",
        ge=0,
        le=10,
    )
    tertiary_working_share: float = P(
        0.75,
        "Share of the tertiary-educated population that is working-age talent",
        "-",
        "assumption from census age structure",
        gt=0,
        le=1,
    )
    review_rate: float = P(
        0.12,
        "Share of talent reviewing where to live and work each year",
        "1/yr",
        "assumption: ~10% of young professionals change job each year",
        gt=0,
        le=1,
    )
    wage_weight: float = P(
        2.0,
        "Utility weight on log wage (logit scale)",
        "utils",
        "assumption; with move costs gives migration elasticities near 1-2",
        ge=0,
        le=50,
    )
    housing_weight: float = P(
        0.6,
        "Utility weight on log housing cost (rent index)",
        "utils",
        "housing share ~0.3 of spending times the wage weight",
        ge=0,
        le=50,
    )
    pollution_weight: float = P(
        0.5,
        "Disutility per unit of log PM2.5",
        "utils",
        "Chinese evidence: +10% pollution cuts population a few % (Chen et al. 2022)",
        ge=0,
        le=50,
    )
    move_cost: float = P(
        3.139,
        "Fixed cost of changing home city",
        "utils",
        "fitted, calibrate archive 485bb1eec99d1a1e: 3.139 (se 0.36) to the stated 1-3% of talent changing "
        "city a year (docs/calibration.md)",
        ge=0,
        le=50,
    )
    time_elasticity: float = P(
        1.0,
        "Migration cost per unit of log travel time (hours)",
        "utils",
        "gravity distance elasticity -0.6..-1.5 in Chinese data",
        ge=0,
        le=10,
    )
    border_cost: float = P(
        1.0,
        "Extra cost of moving across a provincial border",
        "utils",
        "strong provincial border effects in Chinese migration gravity (Poncet 2006)",
        ge=0,
        le=50,
    )
    hukou_cost_city: float = P(
        0.3,
        "Yearly cost of living in a city other than one's hukou city",
        "utils",
        "assumption: access to local public services",
        ge=0,
        le=50,
    )
    hukou_cost_province: float = P(
        0.5,
        "Additional yearly cost when outside one's hukou province",
        "utils",
        "assumption: provincial social-insurance and school portability",
        ge=0,
        le=50,
    )
    coast_outflow_rate: float = P(
        0.008,
        "Share of talent leaving for the coast each year in the base year (calibrates the outside option)",
        "1/yr",
        "estimate: net out-migration of graduates from central China",
        ge=0,
        lt=0.5,
    )
    skill_sigma: float = P(
        0.35, "Standard deviation of log skill", "-", "Mincer wage dispersion among graduates", ge=0, le=3
    )
    skill_coast_weight: float = P(
        0.5,
        "Extra pull of the coast per unit of log skill",
        "utils",
        "assumption: high-skill graduates more mobile to coastal metros",
        ge=-10,
        le=10,
    )
    nonlocal_hukou_share: float = P(
        0.2,
        "Share of initial talent holding hukou in another cluster city",
        "-",
        "estimate of migrant share among skilled residents",
        ge=0,
        le=1,
    )
    retirement_age: int = P(
        60,
        "Talent retires (leaves) at this age",
        "years",
        "statutory male retirement age, 2019",
        ge=40,
        le=80,
    )
    graduation_rate: float = P(
        0.25,
        "Share of enrolled college students graduating each year",
        "1/yr",
        "four-year programmes",
        ge=0,
        le=1,
    )
    graduate_local_share: float = P(
        0.55,
        "Share of graduates whose hukou is in their university's province",
        "-",
        "estimate: provincial enrolment quotas favour local students",
        ge=0,
        le=1,
    )
    graduate_outside_share: float = P(
        0.25,
        "Share of graduates whose hukou is outside the region",
        "-",
        "estimate: Wuhan enrols many students from other provinces",
        ge=0,
        le=1,
    )
    graduate_stay_weight: float = P(
        1.0,
        "Utility bonus for graduates staying in their university city",
        "utils",
        "assumption: network effects of study place",
        ge=0,
        le=20,
    )


class PopulationSection(Section):
    natural_growth: float = P(
        0.001,
        "Natural growth of the general population",
        "1/yr",
        "Hubei/Hunan/Jiangxi 2019 natural growth 0.1-0.6%, falling",
        ge=-0.05,
        le=0.05,
    )
    review_rate: float = P(
        0.04232,
        "Share of the general population that may migrate each year",
        "1/yr",
        "fitted, calibrate archive a92d2ea61e574ed3: 0.0423 (se 0.010) to the stated ~1% of the general "
        "population moving a year; kept by archive 485bb1eec99d1a1e, which fits population.move_cost with it "
        "(docs/calibration.md)",
        ge=0,
        le=1,
    )
    wage_weight: float = P(
        1.5, "Utility weight on log wage of general labour", "utils", "assumption", ge=0, le=50
    )
    housing_weight: float = P(0.5, "Utility weight on log rent index", "utils", "assumption", ge=0, le=50)
    pollution_weight: float = P(
        0.3, "Disutility per unit of log PM2.5", "utils", "as for talent, smaller", ge=0, le=50
    )
    move_cost: float = P(
        3.041,
        "Fixed cost of moving",
        "utils",
        "fitted, calibrate archive 485bb1eec99d1a1e: 3.041 (se 0.37) to the stated ~1% of the "
        "general population moving a year, population.review_rate kept (the two are not "
        "identifiable apart)",
        ge=0,
        le=50,
    )
    time_elasticity: float = P(
        1.2, "Cost per unit of log travel time", "utils", "gravity literature", ge=0, le=10
    )
    border_cost: float = P(
        1.5, "Extra cost across provincial borders", "utils", "hukou-linked border effects", ge=0, le=50
    )
