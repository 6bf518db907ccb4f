"""The model as its stages, levers and agents see it: what they may read, write and call.

``MiddleYangtzeModel`` (``simulation.model``) builds the stages of this package, the levers of
``simulation.policies`` and the agents of ``agents``, and sequences them. They take the model they
act on as a ``ModelState``, so that none of them imports the module that builds them: the arrows
point from the model down to its parts, never back. A type-only view (a ``Protocol``): nothing here
runs, and ``MiddleYangtzeModel`` satisfies it without naming it.

Where a member's class lives in a module that takes a ``ModelState`` itself (a stage, a lever, the
environment, the records, the whole config), it is typed ``Any`` and the class is named beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import mesa
    import numpy as np

    from agents.batch import BySlot
    from simulation.core.budget import Budgets
    from simulation.core.capital import Capital
    from simulation.core.choice import ChoiceParams, TalentTable
    from simulation.core.firmtable import FirmTable
    from simulation.core.land import Land
    from simulation.core.production import Production, Year
    from simulation.core.streams import Streams
    from simulation.region import Region
    from simulation.transport import Transport


class ModelState(Protocol):
    """The members of ``MiddleYangtzeModel`` that the stages, levers and agents use."""

    # the run
    config: Any  # simulation.config.Config (it assembles the levers' sections, which read this view)
    year: int  # the year being simulated (the base year during calibration)
    streams: Streams  # every random draw, keyed by purpose, year and agent identity
    region: Region

    # cities and provinces (one entry per city unless said otherwise)
    n: int  # number of cities
    city_ids: list[str]
    city_index: dict[str, int]  # city id -> row
    provinces: list[str]  # sorted province names
    provinces_of: list[str]  # each city's province name
    prov: np.ndarray  # each city's province index
    cross_prov: np.ndarray  # P x P: 1 across a provincial border, 0 within
    area: np.ndarray  # km2
    km: np.ndarray  # N x N great-circle distances
    coast_km: np.ndarray  # distance to Shanghai
    transport: Transport
    city: Any  # simulation.model.CityState: one array per city field (gdp, population, pm25, ...)

    # agent tables and their Mesa agents
    talent: TalentTable
    firms: FirmTable
    talent_agents: BySlot  # the TalentAgent of each talent-table row
    firm_agents: BySlot
    talent_per_agent: float  # persons one talent agent stands for
    firms_per_agent: float  # real firms one firm agent stands for
    skill_edges: np.ndarray  # quartile edges of skill in the base year
    bin_logskill: np.ndarray  # log skill at the middle of each quartile
    coast_const: float  # the coast's option value in the talent choice (calibrated)

    # stages and the year's accounts
    talent_stage: Any  # simulation.core.talent.TalentStage
    firm_stage: Any  # simulation.core.firms.FirmStage
    population_stage: Any  # simulation.core.population.Population
    env: Any  # simulation.core.environment.Environment
    recorder: Any  # simulation.core.records.Recorder
    policies: list[Any]  # the levers (simulation.policies.Lever), in registry order
    budgets: Budgets
    capital: Capital
    land: Land
    fiscal: dict[str, np.ndarray]  # last closed year's public accounts (Budgets.close)
    year_result: Year  # this year's production solution
    output: np.ndarray  # N x S value added, 100m yuan
    year_counts: dict[str, float]  # this year's counts of persons and firms
    year_city_counts: dict[str, np.ndarray]  # the same by city, where counted by city
    production: Production  # the goods market: technology, trade costs, solver
    green: Any  # simulation.core.indicators.GreenAccounts

    # the base year (calibration targets and references)
    gdp0: np.ndarray  # 100m yuan, 2019
    pop0: np.ndarray  # persons, 2020 census
    students: np.ndarray  # college students
    y0: np.ndarray  # N x S value added targets, 100m yuan
    wage_general0: np.ndarray  # general wage of the base year
    income_pc0: np.ndarray  # resident income per person of the base year, yuan
    outside_spending0: np.ndarray  # the rest of China's spending by sector, base year
    trade_per_hour: np.ndarray  # ad-valorem trade cost per hour, by sector

    @property
    def mods(self) -> dict[str, Any]:
        """Lever-controlled modifiers in force this year."""
        ...

    def _reset_mods(self) -> None: ...

    def choice_params(self) -> ChoiceParams: ...

    def land_full(self) -> np.ndarray: ...

    def count(self, key: str, value: float, by_city: np.ndarray | None = None) -> None: ...

    def add_firms(self, dest, sector, uid, kind: str) -> np.ndarray: ...

    def remove_firms(self, slots: np.ndarray) -> None: ...

    def remove_talent(self, slots: np.ndarray) -> None: ...

    def log_flows(self, kind: str, counts) -> None: ...

    def log_flow_pairs(self, kind, origin, dest, o_names, d_names, scale) -> None: ...

    def deregister_agent(self, agent: mesa.Agent) -> None: ...
