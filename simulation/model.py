"""The model: the Middle Yangtze city cluster as a Mesa model, one step per year.

This module builds the stages of ``simulation.core`` and sequences them; each stage owns its
arrays and its yearly step. Year 0 (the base year) reproduces each city's GDP, census population
and secondary share exactly (``core.calibration``). Every later year runs, in this order: network
changes and levers for the year, technology, firms (``core.firms``: shocks, exit, entry, coastal
arrivals, relocation), talent (``core.talent``: retirement, the review, graduates, entrants), the
general population (``core.population``), land supply (``core.land``), production with goods trade
(``core.production`` over ``core.trade``), investment (``core.capital``), the land market, the
environment, and the records (``core.records``). Decisions are computed over arrays; the agents are
Mesa agents whose state is their row of those arrays.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import mesa
import numpy as np
from mesa.agentset import _HardKeyAgentSet

from agents import CityAgent, FirmAgent, TalentAgent
from agents.batch import BySlot, retire, spawn
from simulation.config import Config, load_config
from simulation.core import calibration as cal
from simulation.core import choice as tal
from simulation.core import records, trade
from simulation.core.budget import Budgets
from simulation.core.environment import Environment
from simulation.core.firms import FirmStage
from simulation.core.firmtable import FirmTable
from simulation.core.indicators import GreenAccounts
from simulation.core.observed_path import follow_index, levels_from_growth
from simulation.core.population import Population
from simulation.core.shocks import shock_factor
from simulation.core.streams import Streams
from simulation.core.talent import TalentStage
from simulation.params import SECTORS
from simulation.region import Region, load_region, synthetic_region
from simulation.transport import Transport, great_circle_km

COAST = "coast"
SHANGHAI = (31.23, 121.47)
N_SECTORS = len(SECTORS)
HEAVY, MANUF, HIGHTECH, SERVICES = range(N_SECTORS)
CITY_FIELDS = ("gdp", "population", "general", "talent", "pm25", "water_index", "rent", "land_used",
               "land_cap", "wage_talent", "wage_general", "market_access", "emissions_air",
               "emissions_water", "talent_work", "amen_talent", "amen_pop", "jobs", "income",
               "price_index")  # fmt: skip


class CityState:
    """City-level arrays (one entry per city); the CityAgents read their row."""

    def __init__(self, n: int) -> None:
        for name in CITY_FIELDS:
            setattr(self, name, np.zeros(n))


def resolve_region(spec: str | Region) -> Region:
    if isinstance(spec, Region):
        return spec
    if spec.startswith("synthetic:"):
        try:
            _, n, seed = spec.split(":")
            return synthetic_region(int(n), int(seed))
        except ValueError:
            from simulation.params import ConfigError

            raise ConfigError("<config>", "run.region", f"'{spec}' is not synthetic:N:SEED") from None
    return load_region(spec)


class MiddleYangtzeModel(mesa.Model):
    """Cities, firms and talent on a transport network, under policy levers.

    Args:
        config: a validated Config (default: the built-in defaults).
        rng: the root seed (Mesa's convention); overrides ``config.run.seed``.
        region: a Region (overrides ``config.run.region``), e.g. from ``synthetic_region``.
        talent_agents, firm_agents, end_year: shortcuts for the matching config values.
        **overrides: any other parameter as ``section__key=value`` (e.g. ``talent__review_rate=0.2``),
            so that ``mesa.batch_run`` can sweep it.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        rng: int | None = None,
        region: Region | str | None = None,
        talent_agents: int | None = None,
        firm_agents: int | None = None,
        end_year: int | None = None,
        **overrides: Any,
    ) -> None:
        sets: dict[str, Any] = {k.replace("__", "."): v for k, v in overrides.items()}
        if talent_agents is not None:
            sets["scale.talent_agents"] = talent_agents
        if firm_agents is not None:
            sets["scale.firm_agents"] = firm_agents
        if end_year is not None:
            sets["run.end_year"] = end_year
        if config is None or sets:
            from simulation.config import apply_overrides, validate

            base = config.model_dump(mode="json") if config is not None else {}
            config = validate(apply_overrides(base, sets), "<model arguments>") if sets else load_config()
        seed = config.run.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.config = config
        self.seed = seed
        self.streams = Streams(seed)  # every random decision draws from here, keyed by agent identity
        self.region = resolve_region(region if region is not None else config.run.region)
        self.year = config.run.start_year
        self._build()
        self.recorder.record(self)
        agent_types = {TalentAgent: records.TALENT_REPORTERS, FirmAgent: records.FIRM_REPORTERS}
        self.datacollector = records.ModelCollector(self, agent_types if config.run.agent_reporters else None)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ agent registration
    def register_agent(self, agent: mesa.Agent) -> None:
        """Mesa's bookkeeping without its per-agent signal and debug message.

        Graduates and leavers make tens of thousands of agents come and go each year at research
        scale; Mesa's AGENT_ADDED / AGENT_REMOVED signals (nothing here observes them) and its debug
        log line cost about a third of creating an agent and half of removing one.
        """
        self._all_agents.add(agent)
        agent.unique_id = self.agent_id_counter
        self.agent_id_counter += 1
        by_type = self._agents_by_type.get(type(agent))
        if by_type is None:
            self._agents_by_type[type(agent)] = _HardKeyAgentSet([agent], random=self.random)
        else:
            by_type.add(agent)

    def deregister_agent(self, agent: mesa.Agent) -> None:
        """See ``register_agent``."""
        self._agents_by_type[type(agent)].remove(agent)
        self._all_agents.remove(agent)

    def register_agents(self, cls: type[mesa.Agent], agents: list[mesa.Agent]) -> None:
        """``register_agent`` for many new agents of one class whose ids count on from the counter."""
        self.agent_id_counter += len(agents)
        new = dict.fromkeys(agents)
        self._all_agents._agents.update(new)
        by_type = self._agents_by_type.get(cls)
        if by_type is None:
            self._agents_by_type[cls] = _HardKeyAgentSet(agents, random=self.random)
        else:
            by_type._agents.update(new)

    def deregister_agents(self, cls: type[mesa.Agent], agents: list[mesa.Agent]) -> None:
        """``deregister_agent`` for many agents of one class at once."""
        every, mine = self._all_agents._agents, self._agents_by_type[cls]._agents
        for a in agents:
            del mine[a]
            del every[a]

    # ------------------------------------------------------------------ build and calibrate
    def _build(self) -> None:
        cfg, reg = self.config, self.region
        c = reg.cities
        self.city_ids: list[str] = list(c.index)
        self.city_index = {cid: i for i, cid in enumerate(self.city_ids)}
        n = self.n = len(self.city_ids)
        self.provinces = sorted(c.province.unique())
        self.provinces_of = list(c.province)
        self.prov = np.array([self.provinces.index(p) for p in c.province])
        n_prov = len(self.provinces)
        self.cross_prov = 1.0 - np.eye(n_prov)
        self._cross_hukou = np.vstack([1.0 - np.eye(n_prov), np.ones((1, n_prov))])
        self.area = c.area_km2.to_numpy(float)
        lat, lon = c.lat.to_numpy(float), c.lon.to_numpy(float)
        self.km = great_circle_km(lat, lon)
        self.coast_km = great_circle_km(np.r_[lat, SHANGHAI[0]], np.r_[lon, SHANGHAI[1]])[:-1, -1]
        self.transport = Transport(
            self.city_ids, reg.links, lat, lon,
            intra_city_min=cfg.transport.intra_city_min,
            commute_limit_min=cfg.transport.commute_limit_min,
            ma_decay_min=cfg.transport.ma_decay_min,
            year=self.year,
        )  # fmt: skip
        if not self.transport.connected():
            from simulation.region import RegionError

            raise RegionError("links.csv", "graph", "transport graph is not connected in the base year")
        self.city = CityState(n)
        self.talent = tal.TalentTable(cfg.scale.talent_agents)
        self.firms = FirmTable(cfg.scale.firm_agents, cfg.production.span_of_control)
        self.talent_agents = BySlot()  # the TalentAgent in each talent-table row
        self.firm_agents = BySlot()
        self.city_agents = [
            CityAgent(self, i, cid, p)
            for i, (cid, p) in enumerate(zip(self.city_ids, c.province, strict=True))
        ]
        self.recorder = records.Recorder()
        self.year_counts: dict[str, float] = {}
        self.year_city_counts: dict[str, np.ndarray] = {}
        self.talent_stage = TalentStage(self)
        self.firm_stage = FirmStage(self)
        self.population_stage = Population(self)
        self.budgets = Budgets(cfg.budget, n, self.prov)
        self.green = GreenAccounts(self)
        self.policies = self._make_policies()
        self._calibrate()

    def _make_policies(self) -> list:
        from simulation.policies import build_policies

        return build_policies(self)

    def _calibrate(self) -> None:
        cfg, c, n = self.config, self.region.cities, self.n
        self.gdp0 = c.gdp_2019_100m_yuan.to_numpy(float)
        self.pop0 = c.population_2020_10k.to_numpy(float) * 1e4
        self.students = c.college_students_10k.to_numpy(float) * 1e4
        self.y0 = cal.sector_targets(c, cfg.production)
        cal.place_talent(self)
        cal.place_firms(self)
        self.tfp = np.ones(N_SECTORS)
        self.q0 = self.firms.capacity_sums(n, N_SECTORS)
        labour = cfg.production.employment_rate * self.city.general
        self.city.wage_talent = cfg.production.college_premium * c.avg_wage_2019_yuan.to_numpy(float)
        self.city.jobs = labour + self.city.talent
        self.city.rent = np.ones(n)
        self.city.pm25 = np.ones(n)  # placeholders for the choice pieces until the environment runs
        cal.initial_work(self)
        self.jobs0 = labour + self._talent_persons_by_work()
        self.city.jobs = self.jobs0.copy()
        self.land = cal.land(self)
        self._sync_land()
        self.production = cal.production(self, self._talent_efficiency_by_work(), labour)
        self.ma0 = self.transport.market_access(self.gdp0)
        self.city.market_access = self.ma0.copy()
        self._produce()
        self.cpi0 = self._cpi()
        self.income_pc0 = self.city.income / self.city.population
        # 2019's own investment is in place for 2020, as every later year's is for the next: without
        # it year 1 produced with the base stock alone and grew ~2.4 pp less than year 2
        # (docs/calibration.md §4)
        self.capital.invest(float(self.city.gdp.sum()), self.year_result.capital_return)
        self.land.clear(self.year_result.land_payments)
        self.firm_stage.calibrate(self)
        self.env = Environment(self)
        self.env.emit(self)
        self.fiscal = self._close_budgets()
        self.talent_stage.calibrate(self)
        self.population_stage.calibrate(self)
        self.city.market_access = self.transport.market_access(self.city.gdp)
        for p in self.policies:  # levers starting next year read the base year as their reference
            p.after_emissions(self)

    def _close_budgets(self) -> dict:
        if not hasattr(self, "wage_general0"):
            self.wage_general0 = self.city.wage_general.copy()
        return self.budgets.close(
            self.city.gdp, self.city.population, self.year_result.revenue.sum(axis=1),
            self.city.wage_general / self.wage_general0,
        )  # fmt: skip

    def _talent_efficiency_by_work(self) -> np.ndarray:
        t = self.talent
        live = t.living()
        return np.bincount(t.work[live], weights=t.skill[live], minlength=self.n) * self.talent_per_agent

    def _talent_persons_by_work(self) -> np.ndarray:
        t = self.talent
        live = t.living()
        return np.bincount(t.work[live], minlength=self.n) * self.talent_per_agent

    # ------------------------------------------------------------------ choice pieces and levers
    def choice_params(self) -> tal.ChoiceParams:
        tc, mod = self.config.talent, self.mods
        return tal.ChoiceParams(
            housing_weight=tc.housing_weight,
            pollution_weight=tc.pollution_weight,
            wage_weight=tc.wage_weight,
            commute_cost_per_hour=self.config.transport.commute_cost_per_hour,
            commute_fixed_cost=self.config.transport.commute_fixed_cost,
            move_cost=tc.move_cost,
            time_elasticity=tc.time_elasticity,
            border_cost=tc.border_cost * self.cross_prov * mod["border_factor"],
            hukou_cost_city=tc.hukou_cost_city * mod["hukou_city_factor"],
            hukou_cost_province=tc.hukou_cost_province * self._cross_hukou * mod["hukou_province_factor"],
            skill_coast_weight=tc.skill_coast_weight,
            commute_discount=mod["commute_discount"],
            destination_weight=tc.destination_weight,
            commute_elasticity=tc.commute_elasticity,
        )

    @property
    def mods(self) -> dict[str, Any]:
        """Lever-controlled modifiers in force this year (neutral values when no lever is on)."""
        return self._mods

    def _reset_mods(self) -> None:
        n, n_prov = self.n, len(self.provinces)
        ec = self.config.environment
        self._mods = {
            # provinces: P x P (origin x destination); hukou: (P + 1) x P, last row = outside hukou
            "border_factor": np.ones((n_prov, n_prov)),
            "hukou_city_factor": np.ones((n_prov + 1, n_prov)),
            "hukou_province_factor": np.ones((n_prov + 1, n_prov)),
            "commute_discount": None,  # N x N share of commuting cost waived (city circles)
            "graduate_bonus": np.zeros(n),  # utility bonus for graduates choosing a city
            "talent_pool_tfp": np.ones(n),  # productivity multiplier from shared talent pools
            "firm_subsidy": np.zeros((n, N_SECTORS)),  # utility for firms choosing a city
            "firm_push": np.zeros((n, N_SECTORS)),  # extra pressure on firms to leave a city
            # ad-valorem costs of sales: last year's abatement and permit spending, plus lever levies
            "cost_share": (self.env.cost_share + self.budgets.levy[:, None])
            if hasattr(self, "env")
            else np.zeros((n, N_SECTORS)),
            "coastal_inflow_factor": 1.0,
            "land_cap_factor": np.ones(n),
            "abatement_extra": np.zeros(n),  # extra water abatement share (eco compensation)
            "sewage_collection": np.zeros(n),  # collection share levers have built up to (sewage works)
            # share of collected COD and NH3-N that treatment removes (plant upgrades raise it)
            "sewage_removal": np.array([[ec.removal_cod], [ec.removal_nh3n]]) * np.ones((2, n)),
            "tfp_sector": np.ones((n, N_SECTORS)),  # productivity multiplier by city-sector (R&D)
            "trade_cost_factor": None,  # (N + 1) x (N + 1) multiplier of trade hours (last: rest of China)
        }

    def land_full(self) -> np.ndarray:
        cap = self.land.capacity * self.mods["land_cap_factor"] * self.config.land.max_use
        return self.land.used >= cap * 0.9999

    def _sync_land(self) -> None:
        self.city.land_cap = self.land.capacity
        self.city.land_used = self.land.used
        self.city.rent = self.land.rent

    # ------------------------------------------------------------------ production, emissions
    def _produce(self) -> None:
        cfg, n, f = self.config, self.n, self.firms
        q = f.capacity_sums(n, N_SECTORS)
        z = np.divide(q, self.q0, out=np.zeros_like(q), where=self.q0 > 0) ** (
            1 - cfg.production.span_of_control
        )
        labour = cfg.production.employment_rate * self.city.general
        t = self.talent
        live = t.living()
        work = t.work[live]
        h_eff = np.bincount(work, weights=t.skill[live], minlength=n) * self.talent_per_agent
        persons = np.bincount(work, minlength=n) * self.talent_per_agent
        jobs = labour + persons
        gamma = np.array(cfg.production.agglomeration.as_tuple())
        agg = (jobs / self.jobs0)[:, None] ** gamma[None, :]
        damage = 1.0
        if cfg.environment.pm25_productivity > 0 and hasattr(self, "env"):
            damage = np.exp(-cfg.environment.pm25_productivity * (self.city.pm25 - self.env.pm25_0))[:, None]
        mod = self.mods
        shock = shock_factor(cfg.shocks, self.year, self.city_ids, self.prov, self.provinces)
        shifter = z * agg * self.tfp[None, :] * damage * mod["talent_pool_tfp"][:, None] * mod["tfp_sector"]
        shifter = shifter * shock
        outside = self.outside_spending0 * self.outside_index(self.year)
        res = self.production.solve(
            shifter,
            h_eff,
            labour,
            self.capital.stock,
            self.land.production_land(),
            self.mods["cost_share"],
            outside,
        )
        self.year_result = res
        self.output = res.value_added
        rent = self.env.permit_share * res.revenue if hasattr(self, "env") else 0.0
        self.city.gdp = (res.value_added + rent).sum(axis=1)  # permit payments are part of GDP
        self.city.wage_talent = res.wage_talent
        self.city.wage_general = res.wage_general
        self.city.talent_work = h_eff
        self.city.jobs = jobs
        self.city.income = self._resident_income(res, live, h_eff)
        self.city.price_index = self._cpi() / getattr(self, "cpi0", self._cpi())
        live = f.living()
        cs = f.city[live] * N_SECTORS + f.sector[live]
        share = np.exp(f.logq[live]) / np.maximum(q.ravel()[cs], 1e-300)
        f.output[live] = res.value_added.ravel()[cs] * share
        f.employment[live] = (
            res.labour + res.talent / np.maximum(h_eff, 1e-12)[:, None] * persons[:, None]
        ).ravel()[cs] * share
        margin = res.profits.ravel()[cs] * share
        f.profit[live] = margin - f.fixed_cost[live] * self.city.wage_general[f.city[live]] / 1e8

    def outside_index(self, year: int) -> float:
        """The rest of China's spending relative to the first year: China's observed real growth
        while the region's series lasts (production.outside_follows_china), then outside_growth."""
        p, start = self.config.production, self.config.run.start_year
        return follow_index(self._outside_levels, start, year, p.outside_growth)

    @cached_property
    def _outside_levels(self) -> dict:
        """China's observed levels by year (empty if not followed): read once per run."""
        p, start = self.config.production, self.config.run.start_year
        series = getattr(self.region, "china_growth", None) if p.outside_follows_china else None
        return {} if series is None else levels_from_growth(series.to_dict(), start)

    def _resident_income(self, res, live: np.ndarray, h_eff: np.ndarray) -> np.ndarray:
        """Income of residents (yuan): value added less talent pay at work plus talent pay at home,
        less the return on capital owned on the coast (paid out of the cluster)."""
        t = self.talent
        pay = t.skill[live] * res.wage_talent[t.work[live]] * self.talent_per_agent
        at_home = np.bincount(t.home[live], weights=pay, minlength=self.n)
        abroad = (res.capital_return * self.capital.owned_outside).sum(axis=1) * 1e8
        return self.city.gdp * 1e8 - res.wage_talent * h_eff + at_home - abroad

    def _cpi(self) -> np.ndarray:
        h = self.config.land.housing_share
        return self.year_result.price_index ** (1 - h) * self.land.rent**h

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        """Advance one year."""
        if self.year >= self.config.run.end_year:
            self.running = False
            return
        self.year += 1
        self.year_counts, self.year_city_counts = {}, {}
        self._reset_mods()
        self.budgets.start_year()
        if self.transport.set_year(self.year):  # a link opened: new times, zones, trade costs
            self.city.market_access = self.transport.market_access(self.city.gdp)
            self._update_trade_costs()
        for p in self.policies:
            p.on_year(self)
        if self.mods["trade_cost_factor"] is not None or self._trade_factor_on:
            self._update_trade_costs()
        cfg = self.config
        self.tfp = self.tfp * (1 + np.array(cfg.production.tfp_growth.as_tuple()))
        self.capital.external = np.zeros(self.n)  # capital brought from the coast this year
        self.firm_stage.step(self)
        self.talent_stage.step(self)
        self.population_stage.step(self)
        self.land.supply(self.year_result.land_payments, self.mods["land_cap_factor"])
        self._sync_land()
        for p in self.policies:
            p.before_production(self)
        self._produce()
        self.capital.invest(float(self.city.gdp.sum()), self.year_result.capital_return)
        self.land.clear(self.year_result.land_payments)
        self._sync_land()
        for p in self.policies:
            p.before_emissions(self)
        self.env.emit(self)
        for p in self.policies:
            p.after_emissions(self)
        self.fiscal = self._close_budgets()
        self.city.market_access = self.transport.market_access(self.city.gdp)
        self.recorder.record(self)
        self.datacollector.collect(self)
        if self.year >= cfg.run.end_year:
            self.running = False

    _trade_factor_on = False

    def _update_trade_costs(self) -> None:
        factor = self.mods["trade_cost_factor"]
        self._trade_factor_on = factor is not None
        hours = cal.trade_hours(self) * (1.0 if factor is None else factor)
        tau = trade.trade_costs(hours, self.trade_per_hour)
        self.production.set_trade_costs(trade.cost_powers(tau, self.production.sigma))

    # ------------------------------------------------------------------ agents and bookkeeping
    def count(self, key: str, value: float, by_city: np.ndarray | None = None) -> None:
        """Add to this year's count ``key`` (persons or firms, never agents)."""
        self.year_counts[key] = self.year_counts.get(key, 0.0) + float(value)
        if by_city is not None:
            per = np.bincount(by_city, minlength=self.n) * self.firms_per_agent
            self.year_city_counts[key] = self.year_city_counts.get(key, 0.0) + per

    def add_firms(self, dest, sector, uid, kind: str) -> np.ndarray:
        f = self.firms
        dest, sector = np.asarray(dest, np.int32), np.asarray(sector, np.int32)
        slots = f.allocate(len(dest))
        f.alive[slots], f.city[slots], f.sector[slots], f.uid[slots] = True, dest, sector, uid
        fc = self.config.firms
        f.logq[slots] = fc.capacity_sigma * self.streams.normal("firm.size", self.year, uid)
        z = self.streams.normal("firm.fixed_cost", self.year, uid) * fc.fixed_cost_sigma
        f.fixed_cost[slots] = self.firm_stage.fixed_scale[sector] * np.exp(z)
        f.age[slots] = 0
        for name in ("abatement", "abatement_water", "abatement_cost", "output", "profit", "employment"):
            getattr(f, name)[slots] = 0.0
        spawn(FirmAgent, self, slots.tolist(), self.firm_agents)
        self.count(f"firm_{kind}s", len(slots) * self.firms_per_agent, by_city=dest)
        if kind != "coastal":
            self.count("firm_entries", len(slots) * self.firms_per_agent, by_city=dest)
        return slots

    def remove_firms(self, slots: np.ndarray) -> None:
        f = self.firms
        f.alive[slots] = False
        for name in (
            "output",
            "employment",
            "emissions_air",
            "emissions_water",
            "profit",
            "abatement",
            "abatement_water",
            "abatement_cost",
        ):
            getattr(f, name)[slots] = 0.0
        retire(FirmAgent, self, slots.tolist(), self.firm_agents)

    def remove_talent(self, slots: np.ndarray) -> None:
        t = self.talent
        t.alive[slots] = False
        t.home[slots] = -1
        t.work[slots] = -1
        retire(TalentAgent, self, slots.tolist(), self.talent_agents)

    def log_flows(self, kind: str, counts) -> None:
        self.recorder.log_flows(self.year, kind, counts)

    def log_flow_pairs(self, kind, origin, dest, o_names, d_names, scale) -> None:
        self.recorder.log_flows(self.year, kind, records.pair_counts(origin, dest, o_names, d_names, scale))

    # ------------------------------------------------------------------ results
    def run(self) -> MiddleYangtzeModel:
        while self.running and self.year < self.config.run.end_year:
            self.step()
        return self

    def tables(self):
        """The run's tables: model (one row a year), cities (city x year), flows."""
        return self.recorder.tables()
