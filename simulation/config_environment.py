"""Config sections of the environment (pollutants, abatement, air and water) and public budgets.

Every value carries its meaning, unit and source; docs/parameters.md is generated from them and
docs/environment.md explains how each one enters the model. National figures are 2019 totals of
the Ministry of Ecology and Environment's statistical annual report (中国生态环境统计年报 2019) over
the NBS 2019 industrial value added (31.71 trillion yuan) or population (1,400 m); the region
folder's ``emissions_2019.csv`` and ``ENV_V2_NOTES.md`` give each figure's provenance.
"""

from __future__ import annotations

from simulation.params import (
    P,
    PerPollutant,
    PerSector,
    Section,
    WideSector,
    pollutants,
    sectors,
    wide_sectors,
)


class EnvironmentSection(Section):
    """Pollutants, abatement costs, air quality and river water quality."""

    industry_intensity: PerPollutant = pollutants(
        {"so2": 12.47, "nox": 17.28, "pm": 29.2, "co2": 25000.0, "cod": 2.43, "nh3n": 0.11},
        "National industrial emissions per unit of industrial value added, 2019 (provincial totals "
        "by pollutant were not found, so every city-sector uses the national intensity)",
        "t / 100m yuan",
        "MEE 2019 statistical annual report, industrial sources (SO2 3.954 Mt, NOx 5.481 Mt, "
        "particulate 9.259 Mt, COD 0.772 Mt, NH3-N 0.035 Mt; recalled, not checked against the "
        "document: emissions_2019.csv marks them memory) / NBS industrial VA 31.71 trn yuan; CO2: "
        "~7.9 Gt from industry and power of CEADs' 9.79 Gt 2019 total (share: estimate)",
    )
    weight_so2: PerSector = sectors(
        1.0, 0.12, 0.03, 0.02,
        "Relative SO2 intensity per unit of value added by sector (heavy industry = 1)",
        "-",
        "judgement: power, steel, cement and chemicals emit ~85% of industrial SO2 (MEIC sector "
        "shares) on ~35% of industrial value added",
    )  # fmt: skip
    weight_nox: PerSector = sectors(
        1.0, 0.15, 0.04, 0.03,
        "Relative NOx intensity per unit of value added by sector (heavy industry = 1)",
        "-",
        "judgement: as SO2; NOx is a little more spread over combustion in all industry",
    )  # fmt: skip
    weight_pm: PerSector = sectors(
        1.0, 0.15, 0.03, 0.02,
        "Relative primary-PM intensity per unit of value added by sector (heavy industry = 1)",
        "-",
        "judgement: cement, steel and power dominate industrial particulate",
    )  # fmt: skip
    weight_co2: PerSector = sectors(
        1.0, 0.2, 0.05, 0.05,
        "Relative CO2 intensity per unit of value added by sector (heavy industry = 1)",
        "-",
        "judgement: energy-intensive industries ~75% of industrial energy use",
    )  # fmt: skip
    weight_cod: PerSector = sectors(
        1.0, 0.6, 0.15, 0.05,
        "Relative industrial COD intensity per unit of value added by sector (heavy industry = 1)",
        "-",
        "judgement: paper, food, textiles and chemicals (spread over heavy and manufacturing)",
    )  # fmt: skip
    weight_nh3n: PerSector = sectors(
        1.0, 0.5, 0.1, 0.05,
        "Relative industrial NH3-N intensity per unit of value added by sector (heavy industry = 1)",
        "-",
        "judgement: fertiliser and chemicals, food processing",
    )  # fmt: skip
    life_per_capita: PerPollutant = pollutants(
        {"so2": 0.44, "nox": 4.9, "pm": 1.16, "co2": 930.0, "cod": 23.7, "nh3n": 2.9},
        "Non-industrial sources per resident: households, services and vehicles (air, emitted); "
        "domestic sewage generated before treatment (water)",
        "kg / person / yr",
        "air: MEE 2019 residential + mobile totals / 1,400 m residents (memory); CO2 residential and "
        "transport ~1.3 Gt (estimate); water: urban generation ~65 g COD and ~8 g NH3-N per person per "
        "day (pollution-census coefficients, memory)",
    )
    sewage_collection_default: float = P(
        0.85,
        "Share of domestic sewage collected where the data has no figure",
        "-",
        "judgement: treatment rates of ~95% count collected sewage; collection in these cities ~80-90%",
        ge=0,
        le=1,
    )
    sewage_cost: float = P(
        150.0,
        "Yearly cost of collecting and treating one more resident's sewage (operation plus annualised "
        "network and plant capital)",
        "yuan / person / yr",
        "judgement: treatment ~1 yuan/m3 at ~0.15-0.2 m3 per person a day (~60-70 yuan/yr) plus "
        "~60-100 yuan/yr of annualised pipes and plant",
        ge=0,
        le=1e5,
    )
    sewage_collection_max: float = P(
        0.98, "Highest sewage collection share a city can reach", "-", "judgement: 全收集 in practice",
        ge=0, le=1,
    )  # fmt: skip
    removal_cod: float = P(
        0.85, "Share of collected COD removed by treatment", "-",
        "typical removal of Grade 1A/1B municipal plants 80-90%", ge=0, le=1,
    )  # fmt: skip
    removal_nh3n: float = P(
        0.8, "Share of collected NH3-N removed by treatment", "-",
        "typical removal of municipal plants 75-90%", ge=0, le=1,
    )  # fmt: skip
    tech_progress: float = P(
        0.01,
        "Yearly fall in every emission intensity from technology, free of cost (the dated regulation "
        "path in the region's regulation.csv comes on top, and costs abatement)",
        "1/yr",
        "judgement: autonomous efficiency gains ~1%/yr",
        ge=0,
        le=0.5,
    )
    regulation: bool = P(
        True,
        "Apply the dated baseline regulation path (the region's regulation.csv): total-emission caps "
        "and sector standards that firms meet by abating, at a cost",
        "-",
        "Blue Sky plan 2018-2020, ultra-low emission retrofits, 13th/14th five-year-plan targets",
    )
    regulation_pace: float = P(
        2.261,
        "Realised pace of the air-pollution plans relative to their written targets: every yearly "
        "rate r of a plan's SO2, NOx or particulate total, of a sector standard and of a PM2.5 path "
        "(regulation.csv) becomes (1 + r) ** pace - 1; 1 = as written",
        "-",
        "fitted, calibrate archive 485bb1eec99d1a1e: 2.261 (se 0.79) to the 2019-2021 PM2.5 changes of the "
        "panel (Hunan, Yueyang; docs/calibration.md); realised cuts beat "
        "the written ones (China's PM2.5 fell 30% 2016-2020 against the 13th plan's -18% for "
        "non-attainment cities, panel.csv), and end-of-pipe control did most of it (Li et al. "
        "2023, ESSD 15:2279)",
        ge=0,
        le=5,
    )
    mac: WideSector = wide_sectors(
        8000.0, 10000.0, 12000.0, 12000.0,
        "Marginal abatement cost at 50% abatement of SO2 (other pollutants scaled by mac_pollutant)",
        "yuan/t",
        "Chinese SO2 abatement cost estimates 3,000-15,000 yuan/t; dearer where emissions are diffuse",
    )  # fmt: skip
    mac_pollutant: PerPollutant = pollutants(
        {"so2": 1.0, "nox": 1.5, "pm": 0.6, "co2": 0.03, "cod": 1.0, "nh3n": 2.5},
        "Marginal abatement cost relative to SO2",
        "-",
        "judgement from Chinese shadow-price studies: NOx dearer than SO2; CO2 ~200-400 yuan/t",
    )
    mac_spread: float = P(
        0.8,
        "Spread (sd of log) of abatement costs between firms",
        "-",
        "judgement: plant-level shadow prices vary by an order of magnitude",
        ge=0,
        le=3,
    )
    pm25_background_share: float = P(
        0.4,
        "Share of base-year PM2.5 that is background (not from cluster emissions)",
        "-",
        "source apportionment studies: regional transport 30-50%",
        ge=0,
        lt=1,
    )
    background_follows_china: bool = P(
        True,
        "Let the background PM2.5 follow the observed national mean (pm25_observed.csv); off: only "
        "background_trend moves it",
        "-",
        "MEE national 339-city means (ENV_V2_NOTES.md)",
    )
    background_trend: float = P(
        -0.01,
        "Yearly change of the background after the observed national series ends",
        "1/yr",
        "judgement: the 2023 action plan aims at -10% by 2025; flat after",
        ge=-0.2,
        le=0.2,
    )
    primary_pm25_share: float = P(
        0.4,
        "Share of the particulate matter in the emission statistics (颗粒物) that is PM2.5",
        "-",
        "judgement: the statistics count all particulate; PM2.5 is ~30-50% of it for controlled "
        "combustion and industrial sources",
        ge=0,
        le=1,
    )
    secondary_so2: float = P(
        0.4, "Secondary PM2.5 (sulfate) formed per tonne of SO2, relative to primary PM", "t/t",
        "judgement: ~1.5 t sulfate per t SO2 oxidised, ~25-40% oxidised before deposition", ge=0, le=5,
    )  # fmt: skip
    secondary_nox: float = P(
        0.25, "Secondary PM2.5 (nitrate) formed per tonne of NOx, relative to primary PM", "t/t",
        "judgement: ~1.35 t nitrate per t NO2 converted, ~15-25% converted", ge=0, le=5,
    )  # fmt: skip
    air_spillover_km: float = P(
        150.0, "Distance decay of air pollution spillovers between cities", "km",
        "regional transport of fine particles", gt=0, le=5000,
    )  # fmt: skip
    air_spillover_weight: float = P(
        0.3, "Weight of neighbours' emission densities relative to own", "-", "assumption", ge=0, le=10
    )
    decay_cod: float = P(
        0.1, "First-order decay of COD in rivers", "1/day", "river COD decay 0.05-0.3 /day", ge=0, le=5
    )
    decay_nh3n: float = P(
        0.1, "First-order decay of NH3-N in rivers", "1/day", "river NH3-N decay 0.05-0.3 /day", ge=0, le=5
    )
    river_speed: float = P(
        80.0, "Mean flow speed of water down the rivers", "km/day", "~1 m/s in the main rivers", gt=0, le=1000
    )
    river_sinuosity: float = P(
        1.3, "River distance over straight-line distance between cities", "-", "judgement", ge=1, le=5
    )
    default_discharge: float = P(
        300.0,
        "Mean discharge of a city's river where the data has none",
        "m3/s",
        "judgement: tributaries of the cluster's small cities",
        gt=0,
        le=1e5,
    )
    pm25_productivity: float = P(
        0.001,
        "Labour productivity lost per µg/m3 of PM2.5 above the base year (semi-elasticity), every sector",
        "1/(µg/m3)",
        "Fu, Viard & Zhang (2021, Economic Journal): a 1% nationwide PM2.5 cut raises GDP by 0.039% "
        "in general equilibrium, ~0.1% per µg/m3 at the cluster's ~43 µg/m3; their manufacturing "
        "estimates (GE elasticity -0.28, firm TFP -0.82% per µg/m3) bound the range",
        ge=0,
        le=0.01,
    )
    water_amenity: float = P(
        0.05,
        "Loss of amenity (utility) per unit of log water-quality index, for talent and residents",
        "-",
        "judgement; a tenth of the PM2.5 weight",
        ge=0,
        le=5,
    )


class BudgetSection(Section):
    """City and provincial public budgets: revenue, spending and lever spending."""

    revenue_share: float = P(
        0.085,
        "General budget revenue of a city as a share of its value added",
        "-",
        "general budget revenue 8-10% of GDP in Hubei, Hunan and Jiangxi, 2019 (provincial budget reports)",
        ge=0,
        le=0.5,
    )
    province_share: float = P(
        0.25,
        "Share of the cities' revenue that goes to the provincial budget",
        "-",
        "judgement: provincial level's share of revenue in the three provinces ~20-30%",
        ge=0,
        le=1,
    )
    transfer_share: float = P(
        0.08,
        "Central transfers to the province as a share of its cities' value added",
        "-",
        "central transfers ~8-10% of GDP in these provinces, 2019 (estimate)",
        ge=0,
        le=0.5,
    )
    service_cost: float = P(
        12000.0,
        "Public-service spending per resident (education, health, social security, housing)",
        "yuan / person / yr",
        "general budget expenditure per resident in the three provinces ~11,000-13,000 yuan, 2019 (estimate)",
        ge=0,
        le=1e6,
    )
    hukou_service_cost: float = P(
        0.3,
        "Extra public-service cost of a resident with local hukou over one without, as a share of "
        "service_cost",
        "-",
        "judgement: schooling, social insurance and housing subsidies follow hukou",
        ge=0,
        le=5,
    )


__all__ = ["BudgetSection", "EnvironmentSection"]
