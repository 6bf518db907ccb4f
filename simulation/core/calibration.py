"""Year 0: agents from the census, and every inversion that makes 2019 reproduce the data exactly.

What is fitted here holds by construction at year 0 (and only there): each city-sector's output
(technology A and trade demand shifters a), the talent wage per efficiency unit (the city's talent
exponent, from the college premium times the observed average wage), capital stocks (every return
equal to the user cost), amenities (no net migration), the firms' fixed-cost scale (the target exit
rate) and entry constants (entry = exit). Everything after year 0 follows from behaviour and prices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents import FirmAgent, TalentAgent
from agents.batch import spawn
from simulation.core import choice as ch
from simulation.core import memo, trade
from simulation.core.capital import Capital
from simulation.core.config.economy import ProductionSection
from simulation.core.firms import KIND_INITIAL as FIRM_INITIAL
from simulation.core.land import Land
from simulation.core.production import Production, Shares, talent_exponents
from simulation.core.streams import stable_ids
from simulation.core.talent import KIND_INITIAL as TALENT_INITIAL

if TYPE_CHECKING:
    from simulation.core.state import ModelState

K = 4


def sector_targets(cities: pd.DataFrame, prod: ProductionSection) -> np.ndarray:
    """Base-year value added by (city, sector) in 100m yuan from GDP, secondary share and city traits.

    Secondary output is split into heavy industry (by the city's heavy-industry flag), high-tech (rising
    with the tertiary-educated share) and other manufacturing; services take the rest of GDP
    (primary output is folded into services: the data has no primary share).
    """
    gdp = cities.gdp_2019_100m_yuan.to_numpy(float)
    sec = gdp * cities.secondary_share_2019.to_numpy(float)
    heavy_by_flag = {
        "low": prod.heavy_share_of_secondary_low,
        "medium": prod.heavy_share_of_secondary_medium,
        "high": prod.heavy_share_of_secondary_high,
    }
    heavy = np.array([heavy_by_flag[f] for f in cities.heavy_industry_flag])
    tert = cities.tertiary_educated_share_2020.to_numpy(float)
    ht = np.clip(prod.hightech_share_base + prod.hightech_share_slope * (tert - 0.10), 0.0, 0.9 - heavy)
    ht = np.maximum(ht, 0.0)
    manuf = 1.0 - heavy - ht
    return np.column_stack([sec * heavy, sec * manuf, sec * ht, gdp - sec])


def largest_remainder(shares: np.ndarray, total: int, minimum: np.ndarray | None = None) -> np.ndarray:
    """Integer counts proportional to ``shares`` summing to ``total`` (at least ``minimum`` each)."""
    shares = np.asarray(shares, float)
    raw = shares / shares.sum() * total
    base = np.floor(raw).astype(np.int64)
    if minimum is not None:
        base = np.maximum(base, minimum)
    left = total - int(base.sum())
    if left > 0:
        order = np.argsort(-(raw - np.floor(raw)), kind="stable")
        base[order[:left]] += 1
    return base


def place_talent(m: ModelState) -> None:
    """Talent agents: tertiary-educated working-age persons, spread over cities by largest remainder."""
    cfg, c, n = m.config, m.region.cities, m.n
    tert = c.tertiary_educated_share_2020.to_numpy(float) * m.pop0 * cfg.talent.tertiary_working_share
    n_agents = cfg.scale.talent_agents
    m.talent_per_agent = float(tert.sum() / n_agents)
    per_city = largest_remainder(tert / tert.sum(), n_agents)
    t = m.talent
    slots = t.allocate(n_agents)
    uid = stable_ids(TALENT_INITIAL, 0, np.arange(n_agents))
    uu = m.streams.uniforms("init.talent", m.year, uid, 4)
    home = np.repeat(np.arange(n), per_city).astype(np.int32)
    other = ch.pick_by_weight(m.pop0, uu[:, 1])
    clash = other == home
    other[clash] = (other[clash] + 1 + np.floor(uu[clash, 2] * (n - 1)).astype(np.int32)) % n
    t.alive[slots], t.uid[slots], t.home[slots], t.work[slots] = True, uid, home, home
    t.hukou[slots] = np.where(uu[:, 0] < cfg.talent.nonlocal_hukou_share, other, home)
    sig = cfg.talent.skill_sigma
    t.skill[slots] = np.exp(-0.5 * sig**2 + sig * m.streams.normal("init.skill", m.year, uid))
    t.age[slots] = (22 + np.floor(uu[:, 3] * (cfg.talent.retirement_age - 22))).astype(np.int16)
    m.skill_edges = np.quantile(t.skill[slots], [0.25, 0.5, 0.75])
    m.bin_logskill = np.log(np.quantile(t.skill[slots], [0.125, 0.375, 0.625, 0.875]))
    spawn(TalentAgent, m, slots.tolist(), m.talent_agents)
    resident = np.bincount(home, minlength=n) * m.talent_per_agent
    m.city.general = m.pop0 - resident
    m.city.talent = resident
    m.city.population = m.pop0.copy()


def place_firms(m: ModelState) -> None:
    """Firm agents over city-sectors by output, at least one where output is positive."""
    cfg, c, n = m.config, m.region.cities, m.n
    share = (m.y0 / m.y0.sum()).ravel()
    counts = largest_remainder(share, cfg.scale.firm_agents, minimum=(share > 0).astype(int))
    f = m.firms
    slots = f.allocate(int(counts.sum()))
    cs = np.repeat(np.arange(n * K), counts)
    uid = stable_ids(FIRM_INITIAL, 0, np.arange(len(slots)))
    f.alive[slots], f.uid[slots] = True, uid
    f.city[slots], f.sector[slots] = cs // K, cs % K
    f.logq[slots] = cfg.firms.capacity_sigma * m.streams.normal("init.firm_size", m.year, uid)
    age_u = m.streams.uniform("init.firm_age", m.year, uid)
    f.age[slots] = np.minimum(np.floor(np.log1p(-age_u) / np.log(0.9)), 60).astype(np.int32)
    industrial = counts.reshape(n, K)[:, :3].sum()
    m.firms_per_agent = float(c.industrial_firms_above_scale_2019.sum() / max(industrial, 1))
    spawn(FirmAgent, m, slots.tolist(), m.firm_agents)


def land(m: ModelState) -> Land:
    """Capacity = building quota share x area (estimate); base-year use from 2019 built-up data where
    the region has it, else the capacity times the typical base-year use."""
    lc, c = m.config.land, m.region.cities
    cap = m.area * lc.construction_share
    built = c.built_up_area_km2.to_numpy(float)
    year = c.built_up_year.to_numpy(float)
    used0 = np.where(np.isfinite(built) & (year == 2019), built, cap * lc.initial_use)
    cap = np.maximum(cap, used0 / 0.95)  # data above the estimated quota: the quota is at least the use
    gdp = c.gdp_2019_100m_yuan.to_numpy(float)
    capital = np.zeros(m.n, bool)
    for p in np.unique(m.prov):
        members = np.flatnonzero(m.prov == p)
        capital[members[np.argmax(gdp[members])]] = True
    elasticity = np.where(capital, lc.capital_supply_elasticity, lc.supply_elasticity)
    return Land(cap, used0, elasticity, lc.production_share)


def trade_hours(m: ModelState) -> np.ndarray:
    """Travel hours between the cities and to the rest of China (via Shanghai), (n + 1, n + 1)."""
    n = m.n
    hours = np.zeros((n + 1, n + 1))
    hours[:n, :n] = m.transport.times / 60.0
    out = m.coast_km / m.config.production.outside_freight_kmh
    hours[:n, n] = hours[n, :n] = out
    return hours


def production(m: ModelState, h_work: np.ndarray, labour: np.ndarray) -> Production:
    """Technology, talent exponents, capital stocks, demand shares and trade shifters of year 0."""
    pc = m.config.production
    y0, n = m.y0, m.n
    eta = pc.span_of_control
    wage_target = pc.college_premium * m.region.cities.avg_wage_2019_yuan.to_numpy(float)
    base = np.array(pc.talent_share.as_tuple())
    bh = talent_exponents(y0, h_work, wage_target, base, eta, pc.labour_share)
    bl = pc.labour_share / eta - bh
    bt = np.full(K, pc.land_share / eta)
    bk = 1.0 - (pc.labour_share + pc.land_share) / eta
    if bk <= 0:
        from simulation.params import ConfigError

        raise ConfigError(
            "<config>",
            "production.labour_share",
            "labour and land shares leave no room for capital (allowed: sum < span_of_control)",
        )
    shares = Shares(bh=bh, bl=bl, bk=np.full(K, bk), bt=bt, eta=eta)
    user_cost = m.config.capital.depreciation + m.config.capital.required_return
    m.capital = Capital(
        Capital.base_year(y0, eta, shares.bk, user_cost),
        m.config.capital.depreciation,
        m.config.capital.savings_rate,
        m.config.capital.inflow_share,
        m.config.capital.return_elasticity,
        user_cost,
        m.config.capital.scrap_share,
    )
    a_prod = Production.technology(y0, h_work, labour, m.capital.stock, m.land.production_land(), shares)
    gdp0 = y0.sum(axis=1)
    mu = np.empty((n, K))
    mu[:, 3] = y0[:, 3] / gdp0
    goods = y0[:, :3].sum(axis=0) / y0[:, :3].sum()
    mu[:, :3] = (1 - mu[:, 3])[:, None] * goods[None, :]
    outside_total = pc.china_gdp_2019 - gdp0.sum()
    cluster_mix = y0.sum(axis=0) / y0.sum()
    m.outside_spending0 = outside_total * cluster_mix
    e0 = np.empty((K, n + 1))
    e0[:, :n] = (mu * gdp0[:, None]).T
    e0[:, n] = m.outside_spending0
    sigma = np.array(pc.trade_elasticity.as_tuple())
    m.trade_per_hour = np.array(pc.trade_cost_per_hour.as_tuple())
    tpow = trade.cost_powers(trade.trade_costs(trade_hours(m), m.trade_per_hour), sigma)
    shifters = memo.shared(trade.invert_shifters, y0.T, e0, tpow)  # no seed in it: the runs share it
    return Production(
        shares, a_prod, mu, shifters, sigma, tpow, y0, pc.solver_tolerance, pc.solver_iterations
    )


def initial_work(m: ModelState) -> None:
    """Work places of the base year, drawn from the commuting choice at base-year wages and jobs."""
    t = m.talent
    live = t.living()
    _, cdf = m.talent_stage.work_cdf(m)
    t.work[live] = ch.sample_rows(cdf, t.home[live], m.streams.uniform("init.work", m.year, t.uid[live]))
