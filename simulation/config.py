"""Model configuration: typed, range-checked, frozen, unknown keys rejected.

Every parameter carries its meaning, unit and source in its ``Field`` metadata; ``docs/parameters.md``
is generated from these definitions (``uv run python -m simulation.docs``), so the code and the
documentation cannot drift apart.

A configuration is read from TOML (``configs/baseline.toml``), may be changed by ``--set`` overrides
given as dotted paths (``scale.talent_agents=1000000``), and is always validated as a whole.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError, model_validator

from simulation.config_environment import BudgetSection, EnvironmentSection
from simulation.core.shocks import ShocksSection
from simulation.params import ConfigError, P, PerSector, Section, sectors
from simulation.policies.city_circle import CityCircleSection
from simulation.policies.eco_compensation import EcoCompensationSection
from simulation.policies.eco_fund import EcoFundSection
from simulation.policies.emission_trading import EmissionTradingSection
from simulation.policies.hukou_reform import HukouReformSection
from simulation.policies.industry_transfer import IndustryTransferSection
from simulation.policies.innovation_alliance import InnovationAllianceSection
from simulation.policies.red_lines import RedLinesSection
from simulation.policies.riverside_ban import RiversideBanSection
from simulation.policies.sponge_city import SpongeCitySection
from simulation.policies.talent_alliance import TalentAllianceSection

LEVER_SECTIONS = (
    "industry_transfer",
    "talent_alliance",
    "city_circle",
    "eco_compensation",
    "emission_trading",
    "red_lines",
    "sponge_city",
    "eco_fund",
    "hukou_reform",
    "riverside_ban",
    "innovation_alliance",
)


class RunSection(Section):
    region: str = P(
        "middle_yangtze",
        "Region folder: a built-in name under simulation/regions/ or a path holding cities.csv, "
        "links.csv, rivers.csv (and optionally city_economy.csv, city_environment.csv); "
        "'synthetic:N:SEED' builds a synthetic region of N cities",
        "-",
        "design brief §2",
    )
    start_year: int = P(
        2019, "Base year (year 0, the calibration year)", "year", "data vintage", ge=1990, le=2100
    )
    end_year: int = P(2035, "Last simulated year", "year", "2035 planning horizon", ge=1991, le=2200)
    seed: int = P(
        42, "Root random seed; every random stream of a run derives from it", "-", "-", ge=0, le=2**63 - 1
    )
    agent_reporters: bool = P(
        False,
        "Mesa DataCollector also records every talent and firm agent each year (agent-type reporters; "
        "off by default: at 50k talent and 5k firm agents a 2019-2035 run took 6.5 s with it, 2.2 s "
        "without, and holds about 1.2 million agent rows)",
        "-",
        "issue 14 (Mesa-native outputs)",
    )

    @model_validator(mode="after")
    def _years(self) -> RunSection:
        if self.end_year <= self.start_year:
            raise ValueError(f"end_year ({self.end_year}) must be after start_year ({self.start_year})")
        return self


class ScaleSection(Section):
    talent_agents: int = P(
        50_000,
        "Number of talent agents; each stands for (initial talent persons / this) persons",
        "agents",
        "design brief §7",
        ge=100,
        le=20_000_000,
    )
    firm_agents: int = P(
        5_000,
        "Number of firm agents at start; each stands for a fixed number of real firms",
        "agents",
        "design brief §7",
        ge=50,
        le=2_000_000,
    )


class TransportSection(Section):
    intra_city_min: float = P(
        25.0,
        "Travel time within a city (diagonal of the travel-time matrix)",
        "min",
        "assumption: typical urban trip",
        ge=1,
        le=180,
    )
    commute_limit_min: float = P(
        60.0,
        "Commuting zone: cities reachable within this time",
        "min",
        "1-hour city circle definition (seed essay, design §3)",
        ge=0,
        le=600,
    )
    ma_decay_min: float = P(
        90.0,
        "Market access decay: MA_i = sum_j GDP_j exp(-t_ij / decay)",
        "min",
        "assumption; gives half weight at ~62 min, in the range of Chinese market-potential studies",
        gt=0,
        le=2000,
    )
    commute_fixed_cost: float = P(
        4.5,
        "Talent utility cost of working in a city other than one's home city",
        "utils",
        "calibrated so intercity commuters are a few % of talent (Wuhan metropolitan area surveys)",
        ge=0,
        le=50,
    )
    commute_cost_per_hour: float = P(
        1.2,
        "Talent utility cost of one hour of one-way commute",
        "utils/h",
        "assumption; commuting beyond ~1 h is rare in Chinese cities",
        ge=0,
        le=20,
    )


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
        "Growth per year of the rest of China's spending (in its own prices, the numeraire)",
        "1/yr",
        "judgement: China's real growth path after 2019",
        ge=-0.2,
        le=0.3,
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
        0.03388,
        0.05081,
        0.08469,
        0.03388,
        "Exogenous productivity growth per year (capital deepening and talent add the rest)",
        "1/yr",
        "fitted, calibrate archive a92d2ea61e574ed3: the judgement ratios 1 : 1.5 : 2.5 : 1 scaled by 3.388 "
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
        3.159,
        "Fixed cost of changing home city",
        "utils",
        "fitted, calibrate archive a92d2ea61e574ed3: 3.159 (se 0.36) to the stated 1-3% of talent changing "
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
        "population moving a year (docs/calibration.md)",
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
        3.0,
        "Fixed cost of moving",
        "utils",
        "judgement; the ~1% moving a year is fitted through population.review_rate (calibrate archive "
        "a92d2ea61e574ed3: the screening found the two not identifiable apart)",
        ge=0,
        le=50,
    )
    time_elasticity: float = P(
        1.2, "Cost per unit of log travel time", "utils", "gravity literature", ge=0, le=10
    )
    border_cost: float = P(
        1.5, "Extra cost across provincial borders", "utils", "hukou-linked border effects", ge=0, le=50
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


class Config(Section):
    """The whole resolved configuration of one run."""

    run: RunSection = RunSection()
    scale: ScaleSection = ScaleSection()
    transport: TransportSection = TransportSection()
    production: ProductionSection = ProductionSection()
    talent: TalentSection = TalentSection()
    population: PopulationSection = PopulationSection()
    firms: FirmSection = FirmSection()
    capital: CapitalSection = CapitalSection()
    land: LandSection = LandSection()
    environment: EnvironmentSection = EnvironmentSection()
    budget: BudgetSection = BudgetSection()
    shocks: ShocksSection = ShocksSection()
    industry_transfer: IndustryTransferSection = IndustryTransferSection()
    talent_alliance: TalentAllianceSection = TalentAllianceSection()
    city_circle: CityCircleSection = CityCircleSection()
    eco_compensation: EcoCompensationSection = EcoCompensationSection()
    emission_trading: EmissionTradingSection = EmissionTradingSection()
    red_lines: RedLinesSection = RedLinesSection()
    sponge_city: SpongeCitySection = SpongeCitySection()
    eco_fund: EcoFundSection = EcoFundSection()
    hukou_reform: HukouReformSection = HukouReformSection()
    riverside_ban: RiversideBanSection = RiversideBanSection()
    innovation_alliance: InnovationAllianceSection = InnovationAllianceSection()

    def __iter__(self):  # raises: see below
        """A Config is one value, not a collection of its sections. ``mesa.batch_run`` iterates each
        parameter's value to find the values to sweep (a TypeError marks a single value), so without
        this ``parameters={"config": cfg}`` would hand the model pydantic's (section, value) pairs,
        one per run. Use ``model_dump()`` for the sections."""
        raise TypeError("a Config is a single value, not iterable (use cfg.model_dump() for its sections)")

    @model_validator(mode="after")
    def _lever_years(self) -> Config:
        for name in LEVER_SECTIONS:
            sec = getattr(self, name)
            if sec.enabled and not self.run.start_year < sec.start_year <= self.run.end_year:
                raise ValueError(
                    f"{name}.start_year {sec.start_year} is outside the horizon "
                    f"(allowed: {self.run.start_year + 1} to {self.run.end_year})"
                )
        return self

    @property
    def years(self) -> int:
        return self.run.end_year - self.run.start_year


def _valid_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _section_model(path: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Config
    for part in path:
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        else:
            return None
    return model


def _explain(err: ValidationError, file: str) -> ConfigError:
    e = err.errors()[0]
    loc = tuple(x for x in e["loc"] if x != "__root__")
    field = ".".join(str(x) for x in loc) or "(top level)"
    if e["type"] == "extra_forbidden":
        parent = _section_model(loc[:-1])
        valid = _valid_keys(parent) if parent else []
        where = f"[{'.'.join(map(str, loc[:-1]))}]" if loc[:-1] else "the top level"
        return ConfigError(file, field, f"unknown key in {where}; valid keys: {', '.join(valid)}")
    parent = _section_model(loc[:-1])
    hint = ""
    if parent is not None and loc and str(loc[-1]) in parent.model_fields:
        f = parent.model_fields[str(loc[-1])]
        bounds = [
            f"{k} {getattr(m, k)}"
            for m in f.metadata
            for k in ("ge", "gt", "le", "lt")
            if getattr(m, k, None) is not None
        ]
        ann = getattr(f.annotation, "__name__", str(f.annotation))
        hint = f" (allowed: {ann}{', ' + ', '.join(bounds) if bounds else ''})"
    from simulation.params import short  # a 50 MB value is echoed as one short line

    got = f"; got {short(e.get('input'))}" if loc else ""  # not the whole config again
    return ConfigError(file, field, f"{e['msg']}{got}{hint}")


def parse_value(text: str) -> Any:
    """Parse the right-hand side of ``--set key=value`` as a TOML value, else keep it a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(
    data: dict[str, Any], overrides: list[str] | dict[str, Any], file: str = "--set"
) -> dict[str, Any]:
    """Apply ``section.key=value`` overrides (strings or a dict of dotted path -> value) to a raw dict."""
    import copy

    out = copy.deepcopy(data)
    items: list[tuple[str, Any]]
    if isinstance(overrides, dict):
        items = list(overrides.items())
    else:
        items = []
        for item in overrides:
            if "=" not in item:
                raise ConfigError(file, item, "expected key=value, e.g. scale.talent_agents=1000000")
            key, value = item.split("=", 1)
            items.append((key.strip(), parse_value(value.strip())))
    for key, value in items:
        parts = key.split(".")
        if not all(parts):
            raise ConfigError(file, key, "empty part in dotted path")
        node = out
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise ConfigError(file, key, f"'{part}' is a value, not a section")
            node = nxt
        node[parts[-1]] = value
    return out


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config dict as {dotted path: value}."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _merge(base: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Overlay ``data`` on the defaults, so a partial section (one sector's value) keeps the rest."""
    out = dict(base)
    for k, v in data.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def validate(data: dict[str, Any], file: str = "<config>") -> Config:
    """Validate a raw dict into a Config (policies validated too) or raise ConfigError."""
    try:
        cfg = Config.model_validate(_merge(Config().model_dump(mode="json"), data))
    except ValidationError as err:
        raise _explain(err, file) from None
    return cfg


def read_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(str(path), "file", "no such config file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(str(path), "syntax", f"not valid TOML: {err}") from None


def load_config(
    path: str | Path | None = None, overrides: list[str] | dict[str, Any] | None = None
) -> Config:
    """Read a TOML config (or defaults when ``path`` is None), apply overrides, validate."""
    data = read_toml(path) if path is not None else {}
    file = str(path) if path is not None else "<defaults>"
    if overrides:
        data = apply_overrides(data, overrides)
        file = f"{file} (with --set)"
    return validate(data, file)


def to_toml(cfg: Config) -> str:
    """Serialise a resolved config as TOML that ``load_config`` reads back to an equal Config."""
    import tomli_w

    # TOML has no null: unset optional values (e.g. a corridor's factor) are simply left out
    return tomli_w.dumps(_drop_none(cfg.model_dump(mode="json")))


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value
