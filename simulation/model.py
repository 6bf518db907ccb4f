"""The model: the Middle Yangtze city cluster as a Mesa model, one step per year.

Year 0 (the base year) reproduces each city's GDP, census population and secondary share exactly;
every later year runs, in this order: network changes and levers for the year, technology, firms
(productivity shocks, exit, birth, coastal arrivals, relocation), talent (ageing, retirement, the
location review, graduates), the general population, production and wages, land and rents, the
environment, and the records. Decisions are computed over arrays; the agents are Mesa agents whose
state is their row of those arrays.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.agentset import _HardKeyAgentSet

from agents import CityAgent, FirmAgent, TalentAgent
from simulation import economy, environment
from simulation import talent as tal
from simulation.config import Config, load_config
from simulation.firms import FirmTable, choose, logistic, logit, softmax, stochastic_round
from simulation.params import SECTORS
from simulation.region import Region, load_region, synthetic_region
from simulation.transport import Transport, great_circle_km

COAST = "coast"
SHANGHAI = (31.23, 121.47)
N_SECTORS = len(SECTORS)
HEAVY, MANUF, HIGHTECH, SERVICES = range(N_SECTORS)


def pair_counts(origin, dest, o_names, d_names, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agents per (origin, destination) pair times ``scale``: (origin names, destination names, counts)."""
    k = len(d_names)
    c = np.bincount(np.asarray(origin, np.int64) * k + np.asarray(dest, np.int64), minlength=len(o_names) * k)
    nz = np.flatnonzero(c)
    return np.asarray(o_names, object)[nz // k], np.asarray(d_names, object)[nz % k], c[nz] * float(scale)


class CityState:
    """City-level arrays (one entry per city); the CityAgents read their row."""

    def __init__(self, n: int) -> None:
        for name in (
            "gdp",
            "population",
            "general",
            "talent",
            "pm25",
            "water_index",
            "rent",
            "land_used",
            "land_cap",
            "wage_talent",
            "wage_general",
            "market_access",
            "emissions_air",
            "emissions_water",
            "talent_work",
            "amen_talent",
            "amen_pop",
        ):
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
        streams = np.random.SeedSequence(seed).spawn(6)
        self.rng_init, self.rng_talent, self.rng_firms, self.rng_grad, self.rng_pop, self.rng_policy = (
            np.random.default_rng(s) for s in streams
        )
        self.region = resolve_region(region if region is not None else config.run.region)
        self.year = config.run.start_year
        self._build()
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "year": "year",
                "gdp": lambda m: float(m.city.gdp.sum()),
                "population": lambda m: float(m.city.population.sum()),
                "talent": lambda m: float(m.city.talent.sum()),
                "emissions_air": lambda m: float(m.city.emissions_air.sum()),
                "emissions_water": lambda m: float(m.city.emissions_water.sum()),
            }
        )
        self._record()
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

    # ------------------------------------------------------------------ build and calibrate
    def _build(self) -> None:
        cfg, reg = self.config, self.region
        c = reg.cities
        self.city_ids: list[str] = list(c.index)
        self.city_index = {cid: i for i, cid in enumerate(self.city_ids)}
        n = self.n = len(self.city_ids)
        provinces = sorted(c.province.unique())
        self.provinces = provinces
        self.provinces_of = list(c.province)
        self.prov = np.array([provinces.index(p) for p in c.province])
        n_prov = len(provinces)
        self._cross_prov = 1.0 - np.eye(n_prov)
        self._cross_hukou = np.vstack([1.0 - np.eye(n_prov), np.ones((1, n_prov))])
        self.area = c.area_km2.to_numpy(float)
        self.km = great_circle_km(c.lat.to_numpy(float), c.lon.to_numpy(float))
        self.coast_km = great_circle_km(
            np.r_[c.lat.to_numpy(float), SHANGHAI[0]], np.r_[c.lon.to_numpy(float), SHANGHAI[1]]
        )[:-1, -1]
        self.transport = Transport(
            self.city_ids,
            reg.links,
            c.lat.to_numpy(float),
            c.lon.to_numpy(float),
            intra_city_min=cfg.transport.intra_city_min,
            commute_limit_min=cfg.transport.commute_limit_min,
            ma_decay_min=cfg.transport.ma_decay_min,
            year=self.year,
        )
        if not self.transport.connected():
            from simulation.region import RegionError

            raise RegionError("links.csv", "graph", "transport graph is not connected in the base year")
        self.city = CityState(n)
        self.talent = tal.TalentTable(cfg.scale.talent_agents)
        self.firms = FirmTable(cfg.scale.firm_agents, cfg.production.span_of_control)
        self.talent_agents: dict[int, TalentAgent] = {}
        self.firm_agents: dict[int, FirmAgent] = {}
        self.city_agents = [
            CityAgent(self, i, cid, p)
            for i, (cid, p) in enumerate(zip(self.city_ids, c.province, strict=True))
        ]
        self.flows_log: list[tuple] = []  # (year, kind, origins, destinations, counts)
        self.rows_cities: list[dict[str, np.ndarray]] = []
        self.rows_model: list[dict[str, float]] = []
        self.year_counts: dict[str, float] = {}
        self.policies = self._make_policies()
        self._calibrate()

    def _make_policies(self) -> list:
        from simulation.policies import build_policies

        return build_policies(self)

    def _calibrate(self) -> None:
        cfg, c, n = self.config, self.region.cities, self.n
        rng = self.rng_init
        gdp0 = c.gdp_2019_100m_yuan.to_numpy(float)
        pop0 = c.population_2020_10k.to_numpy(float) * 1e4
        self.gdp0, self.pop0 = gdp0, pop0
        self.y0 = economy.sector_targets(c, cfg.production)  # (n, 4)

        # talent agents: tertiary-educated working-age persons, spread by largest remainder
        tert = c.tertiary_educated_share_2020.to_numpy(float) * pop0 * cfg.talent.tertiary_working_share
        n_agents = cfg.scale.talent_agents
        self.talent_per_agent = float(tert.sum() / n_agents)
        per_city = economy.largest_remainder(tert / tert.sum(), n_agents)
        slots = self.talent.allocate(n_agents)
        home = np.repeat(np.arange(n), per_city).astype(np.int32)
        t = self.talent
        t.alive[slots] = True
        t.home[slots] = home
        t.work[slots] = home
        nonlocal_ = rng.random(n_agents) < cfg.talent.nonlocal_hukou_share
        other = economy.draw_other_city(home, pop0, rng)
        t.hukou[slots] = np.where(nonlocal_, other, home)
        t.skill[slots] = np.exp(
            rng.normal(-0.5 * cfg.talent.skill_sigma**2, cfg.talent.skill_sigma, n_agents)
        )
        t.age[slots] = rng.integers(22, cfg.talent.retirement_age, n_agents)
        self.skill_edges = np.quantile(t.skill[slots], [0.25, 0.5, 0.75])
        mids = np.quantile(t.skill[slots], [0.125, 0.375, 0.625, 0.875])
        self.bin_logskill = np.log(mids)
        for s in slots.tolist():
            self.talent_agents[s] = TalentAgent(self, s)

        # general population and labour
        resident_talent = np.bincount(home, minlength=n) * self.talent_per_agent
        self.city.general = pop0 - resident_talent
        self.city.talent = resident_talent
        self.city.population = pop0.copy()

        # firms: agents over city-sectors by output, at least one where output is positive
        share = (self.y0 / self.y0.sum()).ravel()
        counts = economy.largest_remainder(share, cfg.scale.firm_agents, minimum=(share > 0).astype(int))
        fslots = self.firms.allocate(int(counts.sum()))
        cs = np.repeat(np.arange(n * N_SECTORS), counts)
        f = self.firms
        f.alive[fslots] = True
        f.city[fslots] = cs // N_SECTORS
        f.sector[fslots] = cs % N_SECTORS
        sig = cfg.firms.capacity_sigma
        f.logq[fslots] = rng.normal(0.0, sig, len(fslots))
        f.age[fslots] = np.minimum(rng.geometric(0.1, len(fslots)) - 1, 60)
        self.logq_sigma = sig
        industrial = counts.reshape(n, N_SECTORS)[:, :SERVICES].sum()
        self.firms_per_agent = float(c.industrial_firms_above_scale_2019.sum() / max(industrial, 1))
        for s in fslots.tolist():
            self.firm_agents[s] = FirmAgent(self, s)

        # production: calibrate city-sector productivity so that year 0 hits the targets exactly
        self.tfp = np.ones(N_SECTORS)
        self.ma0 = self.transport.market_access(gdp0)
        self.city.market_access = self.ma0.copy()
        self.q0 = f.capacity_sums(n, N_SECTORS)
        h_eff = self._talent_efficiency_by_work()
        labour = cfg.production.employment_rate * self.city.general
        self.econ = economy.Economy.calibrate(self.y0, h_eff, labour, cfg.production)
        self.city.wage_talent = np.exp(self.econ.log_wh)
        # initial work places: commuting as the base-year wages and network imply, then recalibrate
        p = self.choice_params()
        invehicle_h = np.maximum(self.transport.times - self.transport.intra_city_min, 0.0) / 60.0
        _, cdf = tal.work_part(np.log(self.city.wage_talent), invehicle_h, self.transport.commute_zone, p)
        t.work[slots] = tal.sample_rows(cdf, home, rng.random(n_agents))
        h_eff = self._talent_efficiency_by_work()
        self.econ = economy.Economy.calibrate(self.y0, h_eff, labour, cfg.production)
        self._produce(first=True)

        # land
        self.city.land_cap = self.area * cfg.land.construction_share
        self.land_used0 = self.city.land_cap * cfg.land.initial_use
        self.city.land_used = self.land_used0.copy()
        self.city.rent = np.ones(n)

        # environment
        self.intensity_air = np.array(cfg.environment.air_intensity.as_tuple())
        self.intensity_water = np.array(cfg.environment.water_intensity.as_tuple())
        self.env = environment.Environment(self, c)
        self._emit()
        self.env.update(self)

        # amenities: year 0 is a rest point of talent and population migration
        self._calibrate_amenities()
        self.city.market_access = self.transport.market_access(self.city.gdp)
        for p in self.policies:  # levers starting next year read the base year as their reference
            p.after_emissions(self)

    def _talent_efficiency_by_work(self) -> np.ndarray:
        t = self.talent
        live = t.living()
        return np.bincount(t.work[live], weights=t.skill[live], minlength=self.n) * self.talent_per_agent

    # ------------------------------------------------------------------ talent choice pieces
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
            border_cost=tc.border_cost * self._cross_prov * mod["border_factor"],
            hukou_cost_city=tc.hukou_cost_city * mod["hukou_city_factor"],
            hukou_cost_province=tc.hukou_cost_province * self._cross_hukou * mod["hukou_province_factor"],
            skill_coast_weight=tc.skill_coast_weight,
            commute_discount=mod["commute_discount"],
        )

    @property
    def mods(self) -> dict[str, Any]:
        """Lever-controlled modifiers in force this year (neutral values when no lever is on)."""
        return self._mods

    def _reset_mods(self) -> None:
        n = self.n
        n_prov = len(self.provinces)
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
            "coastal_inflow_factor": 1.0,
            "land_cap_factor": np.ones(n),
            "abatement_extra": np.zeros(n),  # extra water abatement share (eco compensation)
        }

    def _home_base(self) -> np.ndarray:
        p = self.choice_params()
        invehicle_h = np.maximum(self.transport.times - self.transport.intra_city_min, 0.0) / 60.0
        iv, self._work_cdf = tal.work_part(
            np.log(self.city.wage_talent), invehicle_h, self.transport.commute_zone, p
        )
        return (
            self.city.amen_talent
            - p.housing_weight * np.log(self.city.rent)
            - p.pollution_weight * np.log(self.city.pm25)
            + iv
        )

    def _class_probs(self, origin, hukou, stay_bonus=0.0, extra=None):
        n = self.n
        classes, inv = tal.class_codes(origin, hukou, self._sbin, n + 1)
        base = self._home_base()
        if extra is not None:
            base = base + extra
        o, h, sb = tal.decode(classes, n + 1)
        u = tal.home_utilities(
            o,
            h,
            self.bin_logskill[sb],
            base=base,
            prov=self.prov,
            hours=self.transport.times / 60.0,
            p=self.choice_params(),
            coast_const=self.coast_const,
            outside_hukou=n,
            stay_bonus=stay_bonus,
        )
        return tal.softmax_rows(u), inv, classes

    def _calibrate_amenities(self) -> None:
        """Set amenities so that the base year is a rest point of migration (zero net flows).

        The contraction amenity += ln(target / predicted arrivals) is the standard inversion of a
        logit location choice (Berry 1994; Redding & Rossi-Hansberg 2017); the coast constant is
        set jointly so that the share of reviewers leaving equals the base-year outflow rate.
        """
        n, t = self.n, self.talent
        live = t.living()
        self._sbin = tal.skill_bins(t.skill[live], self.skill_edges)
        q = min(self.config.talent.coast_outflow_rate / self.config.talent.review_rate, 0.5)
        target = np.bincount(t.home[live], minlength=n).astype(float) * (1 - q)
        self.city.amen_talent = np.zeros(n)
        self.coast_const = 0.0
        # utilities are additive in the home-city base and the coast constant: fix the rest once
        probs, inv, classes = self._class_probs(t.home[live], t.hukou[live])
        fixed = np.log(np.maximum(probs, 1e-300))
        fixed = fixed - fixed[:, [n]]  # relative to the coast (whose constant is 0 here)
        base0 = self._home_base()
        fixed[:, :n] -= base0[None, :]
        weights = np.bincount(inv, minlength=len(classes)).astype(float)
        amen = np.zeros(n)
        const = 0.0
        for _ in range(2000):
            u = fixed.copy()
            u[:, :n] += (base0 + amen)[None, :]
            u[:, n] += const
            p = tal.softmax_rows(u)
            arrivals = weights @ p
            step = np.where(
                target > 0, np.log(np.maximum(target, 1e-300) / np.maximum(arrivals[:n], 1e-300)), 0.0
            )
            amen += step
            share = arrivals[n] / weights.sum()
            if q > 0:
                const += np.log(q / max(share, 1e-300)) - np.log((1 - q) / max(1 - share, 1e-300))
            else:
                const = -50.0
            if np.max(np.abs(step)) < 1e-11:
                break
        self.city.amen_talent = amen
        self.coast_const = const
        # general population: zero net migration in the base year
        self.city.amen_pop = np.zeros(n)
        g = self.city.general
        for _ in range(500):
            probs = self._pop_probs()
            arrivals = g @ probs
            step = np.log(g / arrivals)
            self.city.amen_pop += step
            if np.max(np.abs(step)) < 1e-10:
                break

    def _pop_probs(self) -> np.ndarray:
        pc = self.config.population
        v = (
            self.city.amen_pop
            + pc.wage_weight * np.log(self.city.wage_general)
            - pc.housing_weight * np.log(self.city.rent)
            - pc.pollution_weight * np.log(self.city.pm25)
        )
        hours = self.transport.times / 60.0
        cost = (
            pc.move_cost
            + pc.time_elasticity * np.log(np.maximum(hours, 1e-3))
            + pc.border_cost * (self._cross_prov * self.mods["border_factor"])[self.prov][:, self.prov]
        )
        np.fill_diagonal(cost, 0.0)
        return softmax(v[None, :] - cost, axis=1)

    # ------------------------------------------------------------------ production, emissions
    def _produce(self, first: bool = False) -> None:
        cfg, n = self.config, self.n
        f = self.firms
        q = f.capacity_sums(n, N_SECTORS)
        z = np.divide(q, self.q0, out=np.zeros_like(q), where=self.q0 > 0) ** (
            1 - cfg.production.span_of_control
        )
        ma = self.city.market_access / self.ma0
        gamma = np.array(cfg.production.agglomeration.as_tuple())
        damage = 1.0
        if cfg.production.pollution_damage > 0 and not first:
            damage = np.exp(-cfg.production.pollution_damage * np.log(self.city.pm25 / self.env.pm25_0))[
                :, None
            ]
        shifter = (
            z
            * ma[:, None] ** gamma[None, :]
            * self.tfp[None, :]
            * damage
            * self.mods["talent_pool_tfp"][:, None]
        )
        h_eff = self._talent_efficiency_by_work()
        labour = cfg.production.employment_rate * self.city.general
        res = self.econ.solve(shifter, h_eff, labour)
        self.output = res.output  # (n, 4)
        self.city.gdp = res.output.sum(axis=1)
        self.city.wage_talent = res.wage_talent
        self.city.wage_general = res.wage_general
        self.city.talent_work = h_eff
        # firm-level output and employment, by capacity share within their city-sector
        live = f.living()
        cs = f.city[live] * N_SECTORS + f.sector[live]
        qf = np.exp(f.logq[live])
        share = qf / np.maximum(q.ravel()[cs], 1e-300)
        f.output[live] = res.output.ravel()[cs] * share
        emp = res.talent_persons(h_eff, self._talent_persons_by_work()) + res.labour
        f.employment[live] = emp.ravel()[cs] * share
        margin = (1 - cfg.production.span_of_control) - cfg.land.land_cost_share * (
            self.city.rent[f.city[live]] - 1.0
        )
        f.profit[live] = f.output[live] * margin - f.abatement_cost[live]

    def _talent_persons_by_work(self) -> np.ndarray:
        t = self.talent
        live = t.living()
        return np.bincount(t.work[live], minlength=self.n) * self.talent_per_agent

    def _emit(self) -> None:
        f, n = self.firms, self.n
        live = f.living()
        sec, city = f.sector[live], f.city[live]
        f.emissions_air[live] = f.output[live] * self.intensity_air[sec] * (1 - f.abatement[live])
        water_abate = np.clip(f.abatement_water[live] + self.mods["abatement_extra"][city], 0, 1)
        f.emissions_water[live] = f.output[live] * self.intensity_water[sec] * (1 - water_abate)
        self.city.emissions_air = np.bincount(city, weights=f.emissions_air[live], minlength=n)
        self.city.emissions_water = np.bincount(
            city, weights=f.emissions_water[live], minlength=n
        ) + self.env.domestic_cod(self)

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        """Advance one year."""
        if self.year >= self.config.run.end_year:
            self.running = False
            return
        self.year += 1
        self.year_counts = {}
        self._reset_mods()
        if self.transport.set_year(self.year):  # a link opened: new times, market access, zones
            self.city.market_access = self.transport.market_access(self.city.gdp)
        for p in self.policies:
            p.on_year(self)
        cfg = self.config
        self.tfp = self.tfp * (1 + np.array(cfg.production.tfp_growth.as_tuple()))
        self.intensity_air = self.intensity_air * (1 - cfg.environment.tech_progress)
        self.intensity_water = self.intensity_water * (1 - cfg.environment.tech_progress)
        self._firm_dynamics()
        self._talent_dynamics()
        self._population_dynamics()
        for p in self.policies:
            p.before_production(self)
        self._produce()
        self._land()
        for p in self.policies:
            p.before_emissions(self)
        self._emit()
        self.env.update(self)
        for p in self.policies:
            p.after_emissions(self)
        self.city.market_access = self.transport.market_access(self.city.gdp)
        self._record()
        self.datacollector.collect(self)
        if self.year >= cfg.run.end_year:
            self.running = False

    # ------------------------------------------------------------------ firms
    def _profit_per_capacity(self) -> np.ndarray:
        """Log expected profit of a unit-capacity firm by (city, sector), -inf where no land is free."""
        q = self.firms.capacity_sums(self.n, N_SECTORS)
        eta = self.config.production.span_of_control
        # a unit of capacity earns the sector's average output per capacity in that city
        avg = np.divide(self.output, q, out=np.full_like(q, np.nan), where=q > 0)
        fallback = np.nanmedian(np.where(np.isfinite(avg), avg, np.nan), axis=0)
        avg = np.where(np.isfinite(avg), avg, fallback[None, :])
        margin = (1 - eta) - self.config.land.land_cost_share * (self.city.rent[:, None] - 1.0)
        v = np.log(np.maximum(avg * np.maximum(margin, 1e-6), 1e-300))
        full = (
            self.city.land_used
            >= self.config.land.max_use * self.city.land_cap * self.mods["land_cap_factor"] * 0.9999
        )
        v[full, :SERVICES] = -np.inf
        return v

    def _firm_dynamics(self) -> None:
        fc, f, n, rng = self.config.firms, self.firms, self.n, self.rng_firms
        live = f.living()
        # productivity: AR(1) in log capacity, stationary at the entry distribution
        sd = min(fc.capacity_shock_sd, self.logq_sigma) if self.logq_sigma > 0 else 0.0
        rho = np.sqrt(1 - (sd / self.logq_sigma) ** 2) if self.logq_sigma > 0 else 0.0
        shock = rng.normal(0.0, 1.0, len(live))
        f.logq[live] = rho * f.logq[live] + sd * shock
        f.age[live] += 1
        # exit: hazard falls with log profit relative to the sector (standardised), so that a
        # sector's average exit rate is exit_rate whatever the spread of firm sizes
        lp = np.log(np.maximum(f.profit[live], 1e-12))
        sec = f.sector[live]
        cnt = np.maximum(np.bincount(sec, minlength=N_SECTORS), 1)
        mu = np.bincount(sec, weights=lp, minlength=N_SECTORS) / cnt
        sd = np.sqrt(np.bincount(sec, weights=(lp - mu[sec]) ** 2, minlength=N_SECTORS) / cnt)
        z = (lp - mu[sec]) / np.maximum(sd[sec], 1e-9)
        p_exit = np.clip(fc.exit_rate * 2.0 / (1.0 + np.exp(fc.exit_sensitivity * z)), 0, 1)
        exits = live[rng.random(len(live)) < p_exit]
        self._remove_firms(exits)
        self.year_counts["firm_exits"] = len(exits) * self.firms_per_agent
        # births: proportional to the existing base, tilted to profitable cities
        v = self._profit_per_capacity()
        counts = f.counts(n, N_SECTORS)
        births = []
        for k in range(N_SECTORS):
            nk = counts[:, k].sum()
            nb = int(stochastic_round(fc.birth_rate * nk, rng))
            if nb == 0:
                continue
            vk = fc.birth_profit_weight * v[:, k] + self.mods["firm_subsidy"][:, k]
            w = (counts[:, k] + 1) * np.exp(vk - np.nanmax(vk[np.isfinite(vk)], initial=0))
            w = np.where(np.isfinite(w), w, 0)
            if w.sum() <= 0:
                continue
            dest = choose((w / w.sum())[None, :], np.zeros(nb, int), rng)
            births.append((dest, np.full(nb, k)))
        self._add_firms(births, rng, kind="birth")
        # coastal arrivals (industry transfer from the coast)
        n_in = int(
            stochastic_round(
                fc.coastal_inflow * self.mods["coastal_inflow_factor"] / self.firms_per_agent, rng
            )
        )
        if n_in > 0:
            sec_in = np.where(rng.random(n_in) < fc.coastal_inflow_heavy_share, HEAVY, MANUF)
            u = (
                fc.relocation_profit_weight * v[:, [HEAVY, MANUF]]
                - fc.coast_distance_weight * (self.coast_km / 100.0)[:, None]
                + self.mods["firm_subsidy"][:, [HEAVY, MANUF]]
            ).T  # (2, n)
            probs = softmax(u, axis=1)
            dest = choose(probs, (sec_in == MANUF).astype(int), rng)
            self._add_firms([(dest, sec_in)], rng, kind="coastal")
            self._log_flows(
                "relocation",
                pair_counts(np.zeros(len(dest), int), dest, [COAST], self.city_ids, self.firms_per_agent),
            )
        self.year_counts["coastal_arrivals"] = n_in * self.firms_per_agent
        # relocation: consider, then choose a destination
        live = f.living()
        sec, city = f.sector[live], f.city[live]
        lq = f.logq[live]
        mean_lq = np.bincount(sec, weights=lq, minlength=N_SECTORS) / np.maximum(
            np.bincount(sec, minlength=N_SECTORS), 1
        )
        x = (
            logit(fc.consider_move_rate)
            - fc.consider_size_elasticity * (lq - mean_lq[sec])
            - fc.consider_age_per_decade * f.age[live] / 10.0
            + self.mods["firm_push"][city, sec]
        )
        p_consider = logistic(x)
        movers = np.flatnonzero(rng.random(len(live)) < p_consider)
        moved = 0
        if len(movers):
            o, k = city[movers], sec[movers]
            group = o * N_SECTORS + k
            uniq, inv = np.unique(group, return_inverse=True)
            go, gk = uniq // N_SECTORS, uniq % N_SECTORS
            u = (
                fc.relocation_profit_weight * v[:, gk].T
                - fc.relocation_cost_per_100km * self.km[go] / 100.0
                - fc.relocation_fixed_cost * (np.arange(n)[None, :] != go[:, None])
                + self.mods["firm_subsidy"][:, gk].T
            )
            # staying needs no new land; pushed firms value staying less
            u[np.arange(len(uniq)), go] = np.where(
                np.isfinite(u[np.arange(len(uniq)), go]),
                u[np.arange(len(uniq)), go],
                fc.relocation_profit_weight * np.log(1e-300),
            )
            u[np.arange(len(uniq)), go] -= self.mods["firm_push"][go, gk]
            dest = choose(softmax(u, axis=1), inv, rng)
            slots = live[movers]
            change = dest != o
            if change.any():
                f.city[slots[change]] = dest[change]
                moved = int(change.sum())
                self._log_flows(
                    "relocation",
                    pair_counts(o[change], dest[change], self.city_ids, self.city_ids, self.firms_per_agent),
                )
        self.year_counts["relocations"] = moved * self.firms_per_agent

    def _add_firms(self, groups, rng, kind: str) -> None:
        if not groups:
            return
        dest = np.concatenate([g[0] for g in groups]).astype(np.int32)
        sec = np.concatenate([g[1] for g in groups]).astype(np.int32)
        slots = self.firms.allocate(len(dest))
        f = self.firms
        f.alive[slots] = True
        f.city[slots] = dest
        f.sector[slots] = sec
        f.logq[slots] = rng.normal(0.0, self.logq_sigma, len(slots))
        f.age[slots] = 0
        f.abatement[slots] = 0.0
        f.abatement_water[slots] = 0.0
        f.abatement_cost[slots] = 0.0
        f.output[slots] = 0.0
        f.profit[slots] = 0.0
        for s in slots.tolist():
            self.firm_agents[s] = FirmAgent(self, s)
        self.year_counts[f"firm_{kind}s"] = (
            self.year_counts.get(f"firm_{kind}s", 0) + len(slots) * self.firms_per_agent
        )

    def _remove_firms(self, slots: np.ndarray) -> None:
        f = self.firms
        f.alive[slots] = False
        for field in (
            "output",
            "employment",
            "emissions_air",
            "emissions_water",
            "profit",
            "abatement",
            "abatement_water",
            "abatement_cost",
        ):
            getattr(f, field)[slots] = 0.0
        for s in slots.tolist():
            self.firm_agents.pop(s).remove()

    # ------------------------------------------------------------------ talent
    def _talent_dynamics(self) -> None:
        t, n, rng, tc = self.talent, self.n, self.rng_talent, self.config.talent
        tpa = self.talent_per_agent
        live = t.living()
        t.age[live] += 1
        retire = live[t.age[live] >= tc.retirement_age]
        self._remove_talent(retire)
        live = t.living()
        reviewers = live[rng.random(len(live)) < tc.review_rate]
        u1 = rng.random(len(reviewers))
        u2 = rng.random(len(reviewers))
        coast_exits = 0
        if len(reviewers):
            self._sbin = tal.skill_bins(t.skill[reviewers], self.skill_edges)
            probs, inv, _ = self._class_probs(t.home[reviewers], t.hukou[reviewers])
            cdf = np.cumsum(probs, axis=1)
            cdf[:, -1] = 1.0
            choice = tal.sample_rows(cdf, inv, u1)
            origin = t.home[reviewers].copy()
            to_coast = choice == n
            stay_in = ~to_coast
            new_home = choice[stay_in]
            new_work = tal.sample_rows(self._work_cdf, new_home, u2[stay_in])
            t.home[reviewers[stay_in]] = new_home
            t.work[reviewers[stay_in]] = new_work
            dest = np.where(to_coast, n, choice)
            moved = dest != origin
            if moved.any():
                names = self.city_ids + [COAST]
                self._log_flows("migration", pair_counts(origin[moved], dest[moved], names, names, tpa))
                cross = moved & ~to_coast & (self.prov[origin] != self.prov[np.minimum(dest, n - 1)])
                self.year_counts["cross_province_migration"] = float(cross.sum() * tpa)
                self.year_counts["talent_migration"] = float((moved & ~to_coast).sum() * tpa)
            coast_exits = int(to_coast.sum())
            self._remove_talent(reviewers[to_coast])
        # graduates of the region's universities choose where to start
        grads = self._graduates()
        self.year_counts["talent_retirements"] = float(len(retire))
        self.year_counts["talent_to_coast"] = float(coast_exits)
        self.year_counts["talent_exits"] = float(len(retire) + coast_exits)
        self.year_counts["talent_entries"] = float(grads)
        self.year_counts.setdefault("cross_province_migration", 0.0)
        self.year_counts.setdefault("talent_migration", 0.0)

    def _graduates(self) -> int:
        c, n, rng, tc = self.region.cities, self.n, self.rng_grad, self.config.talent
        students = c.college_students_10k.to_numpy(float) * 1e4
        expected = students * tc.graduation_rate / self.talent_per_agent
        k = stochastic_round(expected, rng)
        total = int(k.sum())
        if total == 0:
            return 0
        uni = np.repeat(np.arange(n), k).astype(np.int32)
        hukou = economy.draw_hukou_for_graduates(
            uni, self.pop0, self.prov, rng, tc.graduate_local_share, tc.graduate_outside_share
        )
        skill = np.exp(rng.normal(-0.5 * tc.skill_sigma**2, tc.skill_sigma, total))
        age = rng.integers(22, 25, total)
        u1, u2 = rng.random(total), rng.random(total)
        self._sbin = tal.skill_bins(skill, self.skill_edges)
        probs, inv, _ = self._class_probs(
            uni, hukou, stay_bonus=tc.graduate_stay_weight, extra=self.mods["graduate_bonus"]
        )
        cdf = np.cumsum(probs, axis=1)
        cdf[:, -1] = 1.0
        choice = tal.sample_rows(cdf, inv, u1)
        stay = choice < n
        m = int(stay.sum())
        if m == 0:
            return 0
        home = choice[stay].astype(np.int32)
        work = tal.sample_rows(self._work_cdf, home, u2[stay])
        slots = self.talent.allocate(m)
        t = self.talent
        t.alive[slots] = True
        t.home[slots], t.work[slots], t.hukou[slots] = home, work, hukou[stay]
        t.skill[slots], t.age[slots] = skill[stay], age[stay]
        for s in slots.tolist():
            self.talent_agents[s] = TalentAgent(self, s)
        self._log_flows(
            "graduate", pair_counts(uni[stay], home, self.city_ids, self.city_ids, self.talent_per_agent)
        )
        return m

    def _remove_talent(self, slots: np.ndarray) -> None:
        t = self.talent
        t.alive[slots] = False
        t.home[slots] = -1
        t.work[slots] = -1
        for s in slots.tolist():
            self.talent_agents.pop(s).remove()

    # ------------------------------------------------------------------ population, land
    def _population_dynamics(self) -> None:
        pc = self.config.population
        g = self.city.general * (1 + pc.natural_growth)
        probs = self._pop_probs()
        movers = g * pc.review_rate
        flow = movers[:, None] * probs
        g = g - movers + flow.sum(axis=0)
        self.city.general = g
        off = flow.copy()
        np.fill_diagonal(off, 0.0)
        o, d = np.nonzero(off > 0)
        names = np.asarray(self.city_ids, object)
        self._log_flows("population", (names[o], names[d], off[o, d]))
        self.year_counts["population_migration"] = float(off.sum())

    def _land(self) -> None:
        lc = self.config.land
        demand = (
            self.land_used0
            * (self.city.gdp / self.gdp0) ** lc.land_output_elasticity
            * (self.city.population / self.pop0) ** lc.land_population_elasticity
        )
        cap = self.city.land_cap * self.mods["land_cap_factor"]
        used = np.minimum(np.maximum(demand, np.minimum(self.city.land_used, cap)), lc.max_use * cap)
        self.city.land_used = used
        u0 = self.land_used0 / self.city.land_cap
        u = used / cap
        c = lc.rent_softening
        self.city.rent = ((1 - u0 + c) / np.maximum(1 - u + c, 1e-9)) ** lc.rent_elasticity

    # ------------------------------------------------------------------ records
    def _log_flows(self, kind: str, counts: pd.Series | tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        """Record flows of one kind this year: a Series indexed by (origin, destination), or arrays.

        Kept as arrays until ``tables()``: building a small DataFrame per kind and year costs more
        than the decisions themselves at research scale."""
        if isinstance(counts, pd.Series):
            idx = counts.index
            counts = (
                np.asarray(idx.get_level_values(0), object),
                np.asarray(idx.get_level_values(1), object),
                counts.to_numpy(dtype=float),
            )
        origin, destination, count = counts
        if len(count) == 0:
            return
        self.flows_log.append((self.year, kind, origin, destination, np.asarray(count, float)))

    def _record(self) -> None:
        t, n = self.talent, self.n
        live = t.living()
        tpa = self.talent_per_agent
        resident = np.bincount(t.home[live], minlength=n) * tpa
        self.city.talent = resident
        self.city.population = self.city.general + resident
        commuters = np.bincount(t.home[live][t.home[live] != t.work[live]], minlength=n) * tpa
        if self.year > self.config.run.start_year:
            h, w = t.home[live], t.work[live]
            sel = h != w
            if sel.any():
                self._log_flows("commute", pair_counts(h[sel], w[sel], self.city_ids, self.city_ids, tpa))
        fcounts = self.firms.counts(n, N_SECTORS)
        rows = {
            "year": np.full(n, self.year),
            "city": np.array(self.city_ids),
            "gdp": self.city.gdp.copy(),
            "population": self.city.population.copy(),
            "talent": resident,
            "firms": fcounts.sum(axis=1) * self.firms_per_agent,
            "emissions_air": self.city.emissions_air.copy(),
            "emissions_water": self.city.emissions_water.copy(),
            "air_quality": self.city.pm25.copy(),
            "water_quality": self.city.water_index.copy(),
            "gdp_per_capita": self.city.gdp * 1e8 / self.city.population,
            "secondary_share": np.divide(
                self.output[:, :SERVICES].sum(axis=1),
                self.city.gdp,
                out=np.zeros(n),
                where=self.city.gdp > 0,
            ),  # fmt: skip
            "heavy_output": self.output[:, HEAVY].copy(),
            "heavy_firms": fcounts[:, HEAVY] * self.firms_per_agent,
            "wage_talent": self.city.wage_talent.copy(),
            "wage_general": self.city.wage_general.copy(),
            "market_access": self.city.market_access.copy(),
            "rent_index": self.city.rent.copy(),
            "land_used_km2": self.city.land_used.copy(),
            "commuters_out": commuters,
            "talent_agents": np.bincount(t.home[live], minlength=n),
        }
        for p in self.policies:
            rows.update(p.city_columns(self))
        self.rows_cities.append(rows)
        gdp_pc = rows["gdp_per_capita"]
        wpop = self.city.population / self.city.population.sum()
        mean = float(wpop @ gdp_pc)
        model_row = {
            "year": self.year,
            "gdp": float(self.city.gdp.sum()),
            "population": float(self.city.population.sum()),
            "talent": float(resident.sum()),
            "firms": float(rows["firms"].sum()),
            "emissions_air": float(self.city.emissions_air.sum()),
            "emissions_water": float(self.city.emissions_water.sum()),
            "air_quality": float(wpop @ self.city.pm25),
            "water_quality": float(wpop @ self.city.water_index),
            "gdp_per_capita": float(self.city.gdp.sum() * 1e8 / self.city.population.sum()),
            "inequality_cv": float(np.sqrt(wpop @ (gdp_pc - mean) ** 2) / mean),
            "commuters": float(commuters.sum()),
            "talent_agents": int(len(live)),
            "firm_agents": int(len(self.firms.living())),
        }
        for key in (
            "talent_entries",
            "talent_exits",
            "talent_retirements",
            "talent_to_coast",
            "talent_migration",
            "cross_province_migration",
            "population_migration",
            "firm_births",
            "firm_exits",
            "firm_coastals",
            "relocations",
            "coastal_arrivals",
        ):
            model_row[key] = float(self.year_counts.get(key, 0.0))
        for p in self.policies:
            model_row.update(p.model_columns(self))
        self.rows_model.append(model_row)

    # ------------------------------------------------------------------ results
    def run(self) -> MiddleYangtzeModel:
        while self.running and self.year < self.config.run.end_year:
            self.step()
        return self

    def tables(self) -> dict[str, pd.DataFrame]:
        """The run's tables: model (one row a year), cities (city x year), flows."""
        model = pd.DataFrame(self.rows_model)
        cities = pd.concat([pd.DataFrame(r) for r in self.rows_cities], ignore_index=True)
        log = self.flows_log
        sizes = [len(e[4]) for e in log]
        flows = pd.DataFrame(
            {
                "year": np.repeat(np.array([e[0] for e in log], np.int64), sizes),
                "kind": np.repeat(np.array([e[1] for e in log], object), sizes),
                "origin": np.concatenate([e[2] for e in log]) if log else np.array([], object),
                "destination": np.concatenate([e[3] for e in log]) if log else np.array([], object),
                "count": np.concatenate([e[4] for e in log]) if log else np.array([], float),
            }
        )
        flows = flows.astype({"year": "int64", "count": "float64"})
        flows = flows.sort_values(["year", "kind", "origin", "destination"], kind="stable").reset_index(
            drop=True
        )
        return {"model": model, "cities": cities, "flows": flows}
