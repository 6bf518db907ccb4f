"""Config sections of a run's frame: region and horizon, agent counts, the transport network.

Assembled with the other sections into ``simulation.config.Config``; every value carries its
meaning, unit and source (docs/parameters.md is generated from them).
"""

from __future__ import annotations

from pydantic import model_validator

from simulation.params import P, Section


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
