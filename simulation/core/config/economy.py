"""Config sections of the economy: production and goods trade, firms, capital, land.

Assembled with the other sections into ``simulation.config.Config``; every value carries its
meaning, unit and source (docs/parameters.md is generated from them, docs/calibration.md says
which values were fitted).
"""

from __future__ import annotations

from simulation.params import P, PerSector, Section, sectors


class ProductionSection(Section):
    span_of_control: float = P(
        0.9,
        "Returns to scale eta of a firm's variable inputs (1 - eta goes to profit)",
        "-",
        "Lucas (1978) span-of-control; Hsieh & Klenow (2009) use 0.85-0.9",
        gt=0.3,
        lt=1.0,
    )
    agglomeration: PerSector = sectors(
        0.03,
        0.04,
        0.06,
        0.05,
        "Elasticity gamma of productivity to the city's employment (local agglomeration)",
        "-",
        "Ciccone & Hall (1996) 0.04-0.06 for density; Combes & Gobillon (2015) 0.02-0.05",
    )
    labour_share: float = P(
        0.5,
        "Labour's share of value added (talent and general labour together)",
        "-",
        "China's income-approach provincial accounts ~0.47-0.52 in 2015-2019 (method: Bai & Qian 2010)",
        gt=0.1,
        lt=0.85,
    )
    land_share: float = P(
        0.03,
        "Land's share of value added",
        "-",
        "industrial land costs in Chinese firm surveys, 2-5% of output (judgement)",
        gt=0,
        lt=0.2,
    )
    college_premium: float = P(
        1.5,
        "Talent wage per efficiency unit relative to the city's average wage (base year)",
        "-",
        "urban China college wage premium 0.4-0.6 log points in the 2000s-2010s (judgement within it)",
        gt=0.5,
        le=5,
    )
    trade_elasticity: PerSector = sectors(
        5.0,
        5.0,
        5.0,
        5.0,
        "Elasticity of substitution sigma between city varieties (trade elasticity sigma - 1)",
        "-",
        "Head & Mayer (2014): trade elasticity ~4-6 (sigma 5-7)",
    )
    trade_cost_per_hour: PerSector = sectors(
        0.08,
        0.04,
        0.02,
        0.6,
        "Ad-valorem trade cost per hour of travel time, tau = 1 + c * hours",
        "1/h",
        "judgement: heavy goods costly to ship, services nearly non-traded",
    )
    china_gdp_2019: float = P(
        990865.0,
        "China's GDP in 2019; the rest of China spends it less the cluster's GDP",
        "100m yuan",
        "NBS 2019 Statistical Communique (first published; later revised to 986,515)",
        gt=0,
    )
    outside_growth: float = P(
        0.05,
        "Growth per year of the rest of China's spending (in its own prices, the numeraire); with "
        "outside_follows_china, only after the observed series ends",
        "1/yr",
        "judgement: China's real growth path after the observed years",
        ge=-0.2,
        le=0.3,
    )
    outside_follows_china: bool = P(
        True,
        "Let the rest of China's spending grow with China's observed real GDP growth (the region's "
        "china_growth.csv, first-published figures) while the series lasts, then at outside_growth",
        "-",
        "NBS statistical communiques 2019-2023 (china_growth.csv)",
    )
    outside_freight_kmh: float = P(
        60.0,
        "Freight speed to the rest of China (hours = km to Shanghai / this)",
        "km/h",
        "judgement: road and rail freight door to door",
        gt=1,
        le=1000,
    )
    talent_share: PerSector = sectors(
        0.15,
        0.25,
        0.55,
        0.40,
        "Relative talent intensity by sector (scaled per city to the base-year talent wage)",
        "-",
        "assumption from skill intensity by sector (Chinese census wage bills)",
    )
    tfp_growth: PerSector = sectors(
        0.03192,
        0.04787,
        0.07979,
        0.03192,
        "Exogenous productivity growth per year (capital deepening and talent add the rest)",
        "1/yr",
        "fitted, calibrate archive 485bb1eec99d1a1e: the judgement ratios 1 : 1.5 : 2.5 : 1 scaled by 3.192 "
        "(se 0.22) to provincial real growth 2019-2021 (docs/calibration.md)",
    )
    heavy_share_of_secondary_low: float = P(
        0.2,
        "Heavy industry's share of secondary output in cities flagged 'low'",
        "-",
        "estimate from city_economy.csv heavy_industry_flag",
        ge=0,
        le=1,
    )
    heavy_share_of_secondary_medium: float = P(0.35, "Same, flag 'medium'", "-", "estimate", ge=0, le=1)
    heavy_share_of_secondary_high: float = P(0.5, "Same, flag 'high'", "-", "estimate", ge=0, le=1)
    hightech_share_base: float = P(
        0.06,
        "High-tech share of secondary output at a tertiary-educated share of 0.10",
        "-",
        "estimate",
        ge=0,
        le=1,
    )
    hightech_share_slope: float = P(
        0.8,
        "Rise of the high-tech share of secondary output per unit of tertiary-educated share above 0.10",
        "-",
        "estimate; Wuhan, Changsha, Nanchang get about a quarter",
        ge=0,
        le=10,
    )
    employment_rate: float = P(
        0.55,
        "Employed share of the general (non-talent) population",
        "-",
        "China's employment-to-population ratio ~0.53-0.57",
        gt=0,
        le=1,
    )
    solver_tolerance: float = P(
        1e-10,
        "Largest log gap between demand and supply of any variety at the solution",
        "-",
        "numerical",
        gt=0,
        le=1e-3,
    )
    solver_iterations: int = P(
        2000, "Most price iterations of the goods-market solver per year", "-", "numerical", ge=1, le=100000
    )


class FirmSection(Section):
    capacity_sigma: float = P(
        0.7,
        "Standard deviation of log capacity q of a firm agent "
        "(its size weight; productivity a = q ** (1 - eta))",
        "-",
        "an agent aggregates ~17 real firms, whose log sizes spread ~1.3-1.5 (Chinese industrial census)",
        ge=0,
        le=5,
    )
    capacity_shock_sd: float = P(
        0.1,
        "Yearly shock to log capacity of a firm agent (AR(1) whose spread stays capacity_sigma)",
        "-",
        "firm growth-rate dispersion ~0.35 averaged over ~17 firms",
        ge=0,
        le=5,
    )
    exit_rate: float = P(
        0.07,
        "Target exit rate of the base year: sets the scale of fixed costs (a target, not a rule)",
        "1/yr",
        "Chinese manufacturing exit rates 5-10%/yr (Brandt et al. 2012)",
        gt=0,
        lt=1,
    )
    death_rate: float = P(
        0.02,
        "Exogenous exit per year whatever the profit (owner retirement, accidents)",
        "1/yr",
        "judgement: a floor under the exit rate",
        ge=0,
        lt=1,
    )
    fixed_cost_sigma: float = P(
        0.5, "Spread (sd of log) of firm-specific fixed costs", "-", "judgement", ge=0, le=5
    )
    entry_elasticity: float = P(
        2.0,
        "Elasticity of a city-sector's entry odds to its entrants' expected profit",
        "-",
        "judgement; Brandt et al. (2012) entry rates 5-10%/yr are the target at the base year",
        ge=0,
        le=50,
    )
    consider_move_rate: float = P(
        0.02,
        "Share of average-size young firms considering relocation each year",
        "1/yr",
        "relocation surveys: 1-3% of firms move per year",
        ge=0,
        le=1,
    )
    consider_size_elasticity: float = P(
        0.4,
        "Fall in the log-odds of considering a move per unit of log relative size",
        "-",
        "large firms move less",
        ge=0,
        le=10,
    )
    consider_age_per_decade: float = P(
        0.3,
        "Fall in the log-odds of considering a move per decade of firm age",
        "-",
        "old firms move less",
        ge=0,
        le=10,
    )
    relocation_profit_weight: float = P(
        2.0, "Logit weight of log expected profit in choosing a destination", "-", "assumption", ge=0, le=50
    )
    relocation_cost_per_100km: float = P(
        0.6,
        "Relocation cost per 100 km moved",
        "utils",
        "assumption: supplier and staff loss with distance",
        ge=0,
        le=50,
    )
    relocation_fixed_cost: float = P(1.0, "Fixed cost of any move", "utils", "assumption", ge=0, le=50)
    coastal_inflow: float = P(
        200.0,
        "Real firms arriving each year from the coast (industry transfer)",
        "firms/yr",
        "estimate: central China received thousands of transferred projects 2010-2019",
        ge=0,
        le=1e6,
    )
    coastal_inflow_heavy_share: float = P(
        0.3,
        "Share of coastal arrivals in heavy industry (rest manufacturing)",
        "-",
        "assumption: pollution-haven literature",
        ge=0,
        le=1,
    )
    coast_distance_weight: float = P(
        0.3,
        "Preference of coastal arrivals for eastern cities per 100 km closer to the coast",
        "utils",
        "assumption",
        ge=0,
        le=50,
    )


class CapitalSection(Section):
    depreciation: float = P(
        0.07, "Depreciation rate of capital", "1/yr", "China estimates 5-10% (Holz 2006; PWT)", ge=0, lt=1
    )
    required_return: float = P(
        0.05,
        "Real return on capital net of depreciation in the base year (user cost = this + depreciation)",
        "1/yr",
        "judgement; gives a capital-output ratio of ~3 (PWT China)",
        gt=0,
        lt=1,
    )
    savings_rate: float = P(
        0.42,
        "Gross investment as a share of the cluster's GDP",
        "-",
        "China's gross capital formation ~43% of GDP in 2019 (NBS)",
        ge=0,
        lt=1,
    )
    inflow_share: float = P(
        0.0,
        "Net investment from the rest of China, as a share of the cluster's own investment",
        "-",
        "judgement: none in the base case",
        ge=-0.9,
        le=2,
    )
    return_elasticity: float = P(
        2.0,
        "Elasticity of a city-sector's investment share to its gross return relative to the user cost",
        "-",
        "judgement",
        ge=0,
        le=50,
    )
    scrap_share: float = P(
        0.5,
        "Share of an exiting firm's capital that is scrapped (the rest stays with its city-sector)",
        "-",
        "judgement",
        ge=0,
        le=1,
    )


class LandSection(Section):
    construction_share: float = P(
        0.233,
        "Construction land capacity (building quota) as a share of city area",
        "-",
        "seed essay: Wuhan 2,000 of 8,569 km2 for urban construction; applied to every city (estimate)",
        gt=0,
        le=1,
    )
    initial_use: float = P(
        0.41,
        "Share of the capacity built up in the base year where the region has no built-up area",
        "-",
        "Wuhan 2019: 812 km2 built up (city_land.csv) of the 2,000 km2 quota (estimate for others)",
        gt=0,
        lt=1,
    )
    supply_elasticity: float = P(
        1.0,
        "Elasticity of land brought into use to land spending (until the capacity binds)",
        "-",
        "Chinese housing supply elasticities 0.5-5.6 (Chow & Niu 2015; Wang, Chan & Xu 2012); judgement",
        gt=0,
        le=20,
    )
    capital_supply_elasticity: float = P(
        0.3,
        "Land supply elasticity in the provincial capitals (the largest city of each province by GDP)",
        "-",
        "supply is least elastic in the largest Chinese cities (Wang, Chan & Xu 2012; housing-stock "
        "estimates 0-0.8, Chow & Niu 2015); judgement within that range",
        gt=0,
        le=20,
    )
    production_share: float = P(
        0.3,
        "Share of construction land used by firms (industrial, commercial); the rest houses residents",
        "-",
        "Chinese urban land standard GB 50137-2011: industrial 15-30%, commercial ~5-10%",
        gt=0,
        lt=1,
    )
    housing_share: float = P(
        0.23,
        "Share of residents' spending on housing (weight of rent in the consumer price index)",
        "-",
        "NBS 2019: residence 5,055 of 21,559 yuan consumption per person",
        ge=0,
        lt=1,
    )
    max_use: float = P(
        1.0, "Construction land cannot exceed this share of capacity", "-", "capacity is binding", gt=0, le=1
    )
