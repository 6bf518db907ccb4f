"""Environment: six pollutants from firms and residents, abatement at a cost, PM2.5 and river quality.

Emissions. A firm's unabated emissions of pollutant p are its value added times the city-sector
intensity I_pck(t) = I_pck(2019) * (1 - tech_progress)^t; residents and vehicles emit
``life_per_capita`` each (air), and domestic sewage carries its generated load times
(1 - collection * removal) (water). The dated regulation path (the region's regulation.csv) sets a
floor on every firm's abatement share; a permit market (the emission-trading lever) can push it
higher. Abatement costs follow ``simulation.core.abatement``; they and the permit payments are a
share of each city-sector's sales that the next year's production pays (``cost_share``).

Air. PM2.5_c = B_c * b(t) + kappa_c * sum_j S_cj (f PM_j + a_s SO2_j + a_n NOx_j) / area_j: a
background that follows the rest of China's observed mean (b(2019) = 1), plus primary particles and
secondary sulfate and nitrate from the cluster's own precursors, carried between cities with
distance decay S_cj. kappa_c is set so that 2019 reproduces each city's observed PM2.5.

Water. COD and NH3-N loads flow down the river network (rivers.csv): the load leaving city c is its
own plus what arrives from upstream, decayed by exp(-k * river_km / speed). Concentration (mg/L) is
the load over the river's mean discharge at c (load t/yr / (31.56 * Q m3/s)): the cluster's own
increment over what enters from upstream of the region.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from simulation.core import abatement as ab
from simulation.core.observed_path import follow_index
from simulation.core.regulation import Regulation, concentration_cuts
from simulation.params import POLLUTANTS

if TYPE_CHECKING:
    from simulation.core.state import ModelState

P = len(POLLUTANTS)
SO2, NOX, PM, CO2, COD, NH3N = range(P)
AIR, WATER = (SO2, NOX, PM, CO2), (COD, NH3N)
SCOPES = ("heavy", "manufacturing", "hightech", "services")
PM25_STANDARD = 35.0  # µg/m3, Grade II annual limit of GB 3095-2012
SECONDS_YEAR_L = 31.5576  # (t/yr) / (m3/s) -> mg/L: 1e9 mg/t / (3.15576e7 s * 1e3 L/m3)


class Environment:
    """Owns the emission intensities, the standards path, the permit markets and pollution fields."""

    def __init__(self, m: ModelState) -> None:
        ec, reg = m.config.environment, m.region
        self.cfg = ec
        self.start = m.config.run.start_year
        self.reg = Regulation(
            getattr(reg, "regulation", None) if ec.regulation else None, self.start, ec.regulation_pace
        )
        self.intensity = self._base_intensity(m)  # (P, n, K) t / 100m yuan
        self.life = np.array(ec.life_per_capita.as_tuple()) / 1000.0  # t / person / yr
        self.mac = np.outer(np.array(ec.mac_pollutant.as_tuple()), np.array(ec.mac.as_tuple()))  # (P, K)
        self.markets: list = []  # permit markets registered by levers (emission trading)
        self._air(m)
        self._water(m)
        self.cost_share = np.zeros((m.n, 4))  # abatement + permit payments, share of sales
        self.permit_share = np.zeros((m.n, 4))  # the permit payments alone (a transfer, in GDP)
        self.collection = self._collection(m)
        self.abatement_cost = np.zeros(m.n)  # 100m yuan, this year
        self.permit_payments = np.zeros(m.n)
        self.emissions = np.zeros((P, m.n))
        self.kappa = None
        self.bought = np.zeros(m.n)
        self.pm25_cut = np.zeros(m.n)  # extra cuts ordered to meet PM2.5 targets (kept once ordered)

    # ------------------------------------------------------------------ year 0
    def _base_intensity(self, m) -> np.ndarray:
        """Intensities I_pck: the national industrial intensity spread over sectors by weight."""
        ec = self.cfg
        va = m.y0  # (n, K) 100m yuan
        nat = np.array(ec.industry_intensity.as_tuple())
        out = np.empty((P, m.n, 4))
        for p, name in enumerate(POLLUTANTS):
            w = np.array(getattr(ec, f"weight_{name}").as_tuple())
            industrial = va[:, :3].sum()
            scale = nat[p] * industrial / max(float((va[:, :3] * w[:3]).sum()), 1e-12)
            out[p] = scale * np.broadcast_to(w, (m.n, 4))
        return out

    def _collection(self, m) -> np.ndarray:
        rate = m.region.cities.sewage_treatment_rate.to_numpy(float) / 100.0
        return np.where(np.isfinite(rate), rate, self.cfg.sewage_collection_default)

    def _air(self, m) -> None:
        ec, c = self.cfg, m.region.cities
        self.pm25_obs = c.pm25_2019.to_numpy(float)
        spill = ec.air_spillover_weight * np.exp(-m.km / ec.air_spillover_km)
        np.fill_diagonal(spill, 0.0)
        self.spill = spill + np.eye(m.n)
        self.background0 = ec.pm25_background_share * self.pm25_obs
        series = getattr(m.region, "pm25_national", None)
        follow = series is not None and ec.background_follows_china
        self.national = {int(y): float(v) for y, v in series.items()} if follow else {}

    def background_index(self, year: int) -> float:
        """Background relative to 2019: the observed national mean while it lasts, then a trend."""
        return follow_index(self.national, self.start, year, self.cfg.background_trend)

    def _water(self, m) -> None:
        ec, idx = self.cfg, m.city_index
        g = nx.DiGraph()
        g.add_nodes_from(range(m.n))
        riv = m.region.rivers
        g.add_edges_from((idx[u], idx[d]) for u, d in zip(riv.upstream, riv.downstream, strict=True))
        self.order = list(nx.topological_sort(g))
        self.upstream = [sorted(g.predecessors(c)) for c in range(m.n)]
        self.downstream = [sorted(g.successors(c)) for c in range(m.n)]
        km = m.km * ec.river_sinuosity
        days = km / ec.river_speed
        self.survive = {p: np.exp(-k * days) for p, k in ((COD, ec.decay_cod), (NH3N, ec.decay_nh3n))}
        flow = getattr(m.region, "river_flow", None)
        q = np.full(m.n, ec.default_discharge)
        if flow is not None:
            for cid, v in flow.items():
                if cid in idx and np.isfinite(v) and v > 0:
                    q[idx[cid]] = float(v)
        self.discharge = q

    # ------------------------------------------------------------------ the year
    def collection_now(self, m) -> np.ndarray:
        """Sewage collection share this year: the data's, raised where levers build sewage works."""
        return np.maximum(self.collection, m.mods["sewage_collection"])

    def domestic(self, m, collection: np.ndarray | None = None) -> np.ndarray:
        """Domestic sewage load reaching the rivers, t/yr, (2, n) for COD and NH3-N."""
        pop = m.city.population
        col = self.collection_now(m) if collection is None else collection
        removal = m.mods["sewage_removal"]
        return self.life[[COD, NH3N], None] * pop[None, :] * (1 - col[None, :] * removal)

    def sewage_cost(self, m, collection: np.ndarray) -> np.ndarray:
        """Yearly cost (100m yuan) by city of raising collection from the data's rate to ``collection``."""
        extra = np.maximum(collection - self.collection, 0.0)
        return extra * m.city.population * self.cfg.sewage_cost / 1e8

    def emit(self, m) -> None:
        """Firms' emissions and abatement for the year, then city totals and pollution fields."""
        f, n = m.firms, m.n
        live = f.living()
        city, sec = f.city[live], f.sector[live]
        if m.year > self.start:
            self.reg.advance(m.year, self.emissions.sum(axis=1))
        life = np.zeros((P, n))
        life[list(AIR)] = (self.life * self.reg.non_industrial)[list(AIR), None] * m.city.population[None, :]
        life[[COD, NH3N]] = self.domestic(m)
        dom = life[list(WATER)].copy()
        unabated, c, a, markets, a_own = self._abatement(m, live, city, sec, life)
        self._municipal_works(m, dom)
        x = self._pm25_cuts(m, city, unabated, a, life)
        for p in (SO2, NOX, PM):  # ordered by the city to meet its PM2.5 target: the firms' own cost
            a[p] = 1.0 - (1.0 - a[p]) * (1.0 - x[city])
            a_own[p] = a[p]
        e = unabated * (1.0 - a)
        cost = ab.cost(unabated, c, a).sum(axis=0)
        # abatement beyond what firms must do themselves, bought by eco-compensation budgets
        bought = cost - ab.cost(unabated, c, np.where(a_own < a, a_own, a)).sum(axis=0)
        self.bought = np.bincount(city, weights=bought, minlength=n) / 1e8
        self.last = {
            "city": city,
            "unabated": unabated[list(WATER)],
            "c": c[list(WATER)],
            "a": a_own[list(WATER)],
        }
        cost = cost - bought
        pay, allowance = np.zeros(len(live)), np.zeros(len(live))
        for p, mk in markets.items():
            pay += mk.price_of(live) * e[p]
            allowance += mk.allowance_value(live)
            f.abatement[live] = a[p]
        self.pm25_cut = x
        em = np.stack([np.bincount(city, weights=e[p], minlength=n) for p in range(P)])
        self.firm_emissions = em.copy()  # (P, n) firms only, t
        self.firm_emission_by_firm = e  # (P, live firms) t
        self.emissions = em + life
        f.emissions_air[live], f.emissions_water[live] = (
            e[[SO2, NOX, PM]].sum(axis=0),
            e[list(WATER)].sum(axis=0),
        )
        f.abatement_cost[live] = cost / 1e8
        self.abatement_cost = np.bincount(city, weights=cost, minlength=n) / 1e8
        self.permit_payments = np.bincount(city, weights=pay, minlength=n) / 1e8
        self._firm_profits(m, live, city, sec, cost + pay, allowance)
        self.cost_share = self._shares(m, city, sec, cost + pay)
        self.permit_share = self._shares(m, city, sec, pay)
        m.city.emissions_air = self.emissions[[SO2, NOX, PM]].sum(axis=0)
        m.city.emissions_water = self.emissions[list(WATER)].sum(axis=0)
        self.update(m)

    def _abatement(self, m, live, city, sec, life):
        """Unabated emissions, cost curves and abatement shares (P, firms) under standards and markets."""
        ec = self.cfg
        tech = (1 - ec.tech_progress) ** (m.year - self.start)
        z = m.streams.normal("firm.mac", 0, m.firms.uid[live])
        out = m.firms.output[live]
        unabated = out[None, :] * self.intensity[:, city, sec] * tech
        c = np.stack([ab.firm_costs(self.mac[p, sec], z, ec.mac_spread) for p in range(P)])
        markets = {POLLUTANTS.index(mk.pollutant): mk for mk in self.markets if mk.active(m)}
        a = np.empty_like(unabated)
        own = np.empty_like(unabated)  # what firms must abate at their own cost
        self.plan_share = np.zeros(P)  # common share of the caps (municipal sewage works for water)
        base_dom = self.domestic(m, self.collection)  # at the data's collection: the plan's reference
        for p in range(P):
            if p in WATER:
                other = float(base_dom[p - COD].sum())
                floor, share = self.reg.floors(p, sec, unabated[p], other, shared=True)
                life[p] = life[p] * (1.0 - share)
            else:
                floor, share = self.reg.floors(p, sec, unabated[p], float(life[p].sum()))
            self.plan_share[p] = share
            own[p] = floor
            if p in WATER:  # upstream abatement bought by eco-compensation stakes and funds
                floor = np.maximum(floor, m.mods["abatement_extra"][city])
            mk = markets.get(p)
            a[p] = mk.settle(m, live, unabated[p], c[p], floor) if mk is not None else floor
            if mk is not None:
                own[p] = a[p]
        return unabated, c, a, markets, own

    def _municipal_works(self, m, dom: np.ndarray) -> None:
        """The cities' own sewage works that cut domestic COD and NH3-N by the plan's common share:
        their yearly cost, as the persons whose sewage must be newly collected and treated."""
        ec = self.cfg
        removal = np.array([ec.removal_cod, ec.removal_nh3n])[:, None]
        per_person = self.life[list(WATER), None] * removal  # t removed per person connected
        persons = (dom * self.plan_share[list(WATER), None] / per_person).max(axis=0)
        self.municipal_cost = persons * ec.sewage_cost / 1e8
        idx = np.flatnonzero(self.municipal_cost > 0)
        if len(idx):
            m.budgets.public_works(idx, self.municipal_cost[idx], "plan_sewage_works")

    def extra_cost(self, cities: np.ndarray, x: float) -> float:
        """Cost (100m yuan) of raising last year's water abatement of the firms in ``cities`` to x."""
        if not hasattr(self, "last"):
            return 0.0
        last = self.last
        sel = np.isin(last["city"], cities)
        u, c, a = last["unabated"][:, sel], last["c"][:, sel], last["a"][:, sel]
        return float((ab.cost(u, c, np.maximum(a, x)) - ab.cost(u, c, a)).sum()) / 1e8

    def firm_water_load(self, m) -> np.ndarray:
        """Last year's firms' COD load by city after their own abatement (t)."""
        last = self.last
        e = last["unabated"][0] * (1 - last["a"][0])
        return np.bincount(last["city"], weights=e, minlength=m.n)

    def _pm25_cuts(self, m, city, unabated, a, life) -> np.ndarray:
        """Common extra cut of firms' SO2, NOx and PM in cities held to a PM2.5 target this year."""
        target = self.reg.pm25_targets(m.year, m.n, PM25_STANDARD)
        if self.kappa is None or not np.isfinite(target).any():
            return self.pm25_cut
        ec, n = self.cfg, m.n
        w = {PM: ec.primary_pm25_share, SO2: ec.secondary_so2, NOX: ec.secondary_nox}
        firm = sum(
            wt * np.bincount(city, weights=unabated[p] * (1 - a[p]), minlength=n) for p, wt in w.items()
        )
        free = sum(wt * life[p] for p, wt in w.items())
        bg = self.background0 * self.background_index(m.year)
        return concentration_cuts(target, bg, self.kappa, self.spill, free, firm, m.area, self.pm25_cut)

    @staticmethod
    def _firm_profits(m, live, city, sec, spend, allowance) -> None:
        """A firm's own abatement and permit spending, less its city-sector's average (which the cost
        wedge already charges), and its free permits' value, move its profit (entry, exit, relocation)."""
        f, cs = m.firms, city * 4 + sec
        out = f.output[live]
        tot_out = np.bincount(cs, weights=out, minlength=m.n * 4)
        tot_spend = np.bincount(cs, weights=spend, minlength=m.n * 4)
        avg = np.divide(tot_spend, tot_out, out=np.zeros_like(tot_out), where=tot_out > 0)[cs] * out
        f.profit[live] += (allowance - (spend - avg)) / 1e8

    @staticmethod
    def _shares(m, city, sec, spend) -> np.ndarray:
        """Spending (yuan per firm) over sales, per city-sector: next year's cost wedge."""
        spent = np.bincount(city * 4 + sec, weights=spend / 1e8, minlength=m.n * 4).reshape(m.n, 4)
        sales = m.year_result.revenue
        return np.clip(np.divide(spent, sales, out=np.zeros_like(spent), where=sales > 0), 0, 0.9)

    def update(self, m) -> None:
        em, ec = self.emissions, self.cfg
        dens = (
            ec.primary_pm25_share * em[PM] + ec.secondary_so2 * em[SO2] + ec.secondary_nox * em[NOX]
        ) / m.area
        x = self.spill @ dens
        if self.kappa is None:
            self.kappa = (self.pm25_obs - self.background0) / np.maximum(x, 1e-12)
        m.city.pm25 = self.background0 * self.background_index(m.year) + self.kappa * x
        self.reg.note_pm25(m.year, m.city.pm25)
        if not hasattr(self, "pm25_0"):
            self.pm25_0 = m.city.pm25.copy()
        self.conc = {p: self.route(em[p], p) / (SECONDS_YEAR_L * self.discharge) for p in WATER}
        if not hasattr(self, "conc0"):
            self.conc0 = {p: v.copy() for p, v in self.conc.items()}
            self.conc_ref = float(np.median(self.conc[COD]))
        m.city.water_index = self.conc[COD] / self.conc_ref

    def route(self, own: np.ndarray, p: int) -> np.ndarray:
        """Load leaving each city: its own plus the decayed loads arriving from upstream."""
        load = own.astype(float).copy()
        surv = self.survive[p]
        for c in self.order:
            for u in self.upstream[c]:
                load[c] += surv[u, c] * load[u]
        return load

    def water_amenity(self) -> np.ndarray:
        """Log change of each city's COD concentration since 2019 (0 in the base year)."""
        return np.log(np.maximum(self.conc[COD], 1e-300) / np.maximum(self.conc0[COD], 1e-300))
