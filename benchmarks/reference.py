"""A straightforward per-agent implementation of the model's talent and firm decisions.

``ReferenceModel`` is ``MiddleYangtzeModel`` with ``_talent_dynamics`` and ``_firm_dynamics``
rewritten as loops over the Mesa agents (``model.agents_by_type[TalentAgent]`` and
``[FirmAgent]``): every agent computes its own utilities over the N home cities and the coast (or,
for a firm, over the N cities), draws its own choice with its own uniform draw from the same random
streams (``model.rng_talent``, ``rng_grad``, ``rng_firms``), and updates its own row of the agent
tables. Everything else (build, calibration, production, land, environment, records) is inherited,
so the two models start from the identical base year and differ only in how decisions are computed:
the reference is statistically equivalent to the array code, not bit-identical (the draws are
consumed in a different order).

It is deliberately written from the formulas in ``simulation/talent.py`` and ``simulation/firms.py``
and does not call the array helpers (``home_utilities``, ``work_part``, ``sample_rows``, ``choose``,
``_class_probs``, ``_home_base``), so that ``tests/test_reference_agreement.py`` checks one against
the other. It serves as the yardstick in ``benchmarks/bench.py``. City-level quantities that all
agents read alike (this year's home-city attractiveness, a firm's expected profit by city and
sector) are computed once a year, as a city would publish them; all agent-specific terms (moving,
border and hukou costs, the coast option, the work city, exit, moving and destination choices) are
computed per agent.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter

import numpy as np
import pandas as pd

from agents import FirmAgent, TalentAgent
from simulation.firms import FIELDS_FLOAT, stochastic_round
from simulation.model import COAST, HEAVY, MANUF, N_SECTORS, MiddleYangtzeModel
from simulation.talent import ChoiceParams


# ---------------------------------------------------------------------- one agent's choice pieces
def draw_index(probs: np.ndarray, u: float) -> int:
    """The option an agent with uniform draw u picks: the first whose cumulative probability exceeds u."""
    cdf = np.cumsum(probs)
    cdf[-1] = 1.0
    return min(int(np.searchsorted(cdf, u, side="right")), len(probs) - 1)


def softmax_one(u: np.ndarray) -> np.ndarray:
    """Logit probabilities of one agent's options; options at -inf get probability 0."""
    finite = u[np.isfinite(u)]
    if len(finite) == 0:
        return np.zeros_like(u)
    e = np.exp(u - finite.max())
    return e / e.sum()


def agent_home_utilities(
    origin: int,
    hukou: int,
    logskill: float,
    *,
    base: np.ndarray,
    prov: np.ndarray,
    hours: np.ndarray,
    p: ChoiceParams,
    coast_const: float,
    stay_bonus: float = 0.0,
) -> np.ndarray:
    """One talent agent's utilities of the N home cities and the coast (the last entry).

    ``base`` is this year's attractiveness of each home (amenity, rent, pollution and the inclusive
    value of the work choice); the agent adds its own moving, border and hukou costs. Border costs
    are by (origin province, home province) and hukou costs by (hukou province, home province), the
    last row of the hukou tables standing for a hukou outside the region (``hukou >= N``).
    """
    n = len(base)
    u = np.empty(n + 1)
    move = p.move_cost + p.time_elasticity * np.log(np.maximum(hours[origin], 1e-3))
    move = move + p.border_cost[prov[origin], prov]
    move[origin] = -stay_bonus  # staying costs nothing (graduates get a bonus for staying)
    u[:n] = base - move
    if hukou < n:
        hp = prov[hukou]
        other_city = np.arange(n) != hukou
    else:
        hp = p.hukou_cost_city.shape[0] - 1  # the row of an outside hukou
        other_city = np.ones(n, bool)
    u[:n] -= p.hukou_cost_city[hp, prov] * other_city + p.hukou_cost_province[hp, prov]
    u[n] = coast_const + p.skill_coast_weight * logskill
    return u


class ReferenceModel(MiddleYangtzeModel):
    """MiddleYangtzeModel whose talent and firm decisions are made agent by agent."""

    # ------------------------------------------------------------------ city-level inputs
    def _year_inputs(self) -> None:
        """What every talent agent reads this year: params, each home's attractiveness, work logits."""
        p = self.choice_params()
        if p.commute_discount is not None:
            raise NotImplementedError("the reference has no commuting-cost discount (city circles) yet")
        n = self.n
        self._p = p
        self._edges = [float(x) for x in self.skill_edges]
        self._hours = self.transport.times / 60.0
        self._log_wage = np.log(self.city.wage_talent)
        self._invehicle_h = np.maximum(self.transport.times - self.transport.intra_city_min, 0.0) / 60.0
        iv = np.empty(n)
        for i in range(n):
            v = self._work_utilities(i)
            vmax = v.max()
            iv[i] = vmax + math.log(np.exp(v - vmax).sum())
        self._city_base = (
            self.city.amen_talent
            - p.housing_weight * np.log(self.city.rent)
            - p.pollution_weight * np.log(self.city.pm25)
            + iv
        )

    def _work_utilities(self, home: int) -> np.ndarray:
        """Utility of each work city for someone living in ``home`` (-inf outside the commuting zone)."""
        p = self._p
        v = (
            p.wage_weight * self._log_wage
            - p.commute_cost_per_hour * self._invehicle_h[home]
            - p.commute_fixed_cost * (np.arange(self.n) != home)
        )
        return np.where(self.transport.commute_zone[home], v, -np.inf)

    def work_probabilities(self, home: int) -> np.ndarray:
        return softmax_one(self._work_utilities(home))

    def home_probabilities(self, origin: int, hukou: int, skill: float, stay_bonus=0.0, extra=None):
        """One agent's probabilities of the N homes and the coast (after ``_year_inputs``)."""
        sbin = bisect.bisect_left(self._edges, skill)
        base = self._city_base if extra is None else self._city_base + extra
        u = agent_home_utilities(
            origin,
            hukou,
            self.bin_logskill[sbin],
            base=base,
            prov=self.prov,
            hours=self._hours,
            p=self._p,
            coast_const=self.coast_const,
            stay_bonus=stay_bonus,
        )
        return softmax_one(u)

    # ------------------------------------------------------------------ talent, agent by agent
    def _drop_talent(self, agent: TalentAgent) -> None:
        t, s = self.talent, agent.slot
        t.alive[s] = False
        t.home[s] = -1
        t.work[s] = -1
        del self.talent_agents[s]
        agent.remove()

    def _talent_dynamics(self) -> None:
        t, n, rng, tc = self.talent, self.n, self.rng_talent, self.config.talent
        self._year_inputs()
        names = self.city_ids + [COAST]
        retirements = coast_exits = migrants = cross = 0
        flows: Counter = Counter()
        for agent in list(self.agents_by_type[TalentAgent]):
            s = agent.slot
            t.age[s] += 1
            if t.age[s] >= tc.retirement_age:
                self._drop_talent(agent)
                retirements += 1
                continue
            if rng.random() >= tc.review_rate:
                continue
            origin = int(t.home[s])
            probs = self.home_probabilities(origin, int(t.hukou[s]), float(t.skill[s]))
            choice = draw_index(probs, rng.random())
            u2 = rng.random()
            if choice != origin:
                flows[names[origin], names[choice]] += 1
            if choice == n:
                self._drop_talent(agent)
                coast_exits += 1
                continue
            t.home[s] = choice
            t.work[s] = draw_index(self.work_probabilities(choice), u2)
            if choice != origin:
                migrants += 1
                cross += int(self.prov[choice] != self.prov[origin])
        tpa = self.talent_per_agent
        if flows:
            self._log_flows("migration", _counts(flows) * tpa)
        grads = self._graduates()
        self.year_counts["cross_province_migration"] = float(cross * tpa)
        self.year_counts["talent_migration"] = float(migrants * tpa)
        self.year_counts["talent_retirements"] = float(retirements)
        self.year_counts["talent_to_coast"] = float(coast_exits)
        self.year_counts["talent_exits"] = float(retirements + coast_exits)
        self.year_counts["talent_entries"] = float(grads)

    def _graduates(self) -> int:
        c, n, rng, tc = self.region.cities, self.n, self.rng_grad, self.config.talent
        pop = self.pop0
        anywhere_cdf = np.cumsum(pop / pop.sum())
        expected = c.college_students_10k.to_numpy(float) * 1e4 * tc.graduation_rate / self.talent_per_agent
        k = stochastic_round(expected, rng)
        bonus = self.mods["graduate_bonus"]
        sigma = tc.skill_sigma
        new: list[tuple[int, int, int, float, int, int]] = []  # (university, home, hukou, skill, age, work)
        for uni in np.repeat(np.arange(n), k):
            uni = int(uni)
            # the graduate's hukou: outside the region, in the university's province, or anywhere
            u = rng.random()
            if u < tc.graduate_outside_share:
                hukou = n
            elif u < tc.graduate_outside_share + tc.graduate_local_share:
                members = np.flatnonzero(self.prov == self.prov[uni])
                cdf = np.cumsum(pop[members] / pop[members].sum())
                cdf[-1] = 1.0
                hukou = int(members[np.searchsorted(cdf, rng.random(), side="right")])
            else:
                hukou = min(int(np.searchsorted(anywhere_cdf, rng.random(), side="right")), n - 1)
            skill = math.exp(rng.normal(-0.5 * sigma**2, sigma))
            age = int(rng.integers(22, 25))
            probs = self.home_probabilities(
                uni, hukou, skill, stay_bonus=tc.graduate_stay_weight, extra=bonus
            )
            home = draw_index(probs, rng.random())
            u2 = rng.random()
            if home == n:
                continue  # leaves for the coast on graduating
            new.append((uni, home, hukou, skill, age, draw_index(self.work_probabilities(home), u2)))
        if not new:
            return 0
        t = self.talent
        flows: Counter = Counter()
        for slot, (uni, home, hukou, skill, age, work) in zip(
            t.allocate(len(new)).tolist(), new, strict=True
        ):
            t.alive[slot] = True
            t.home[slot], t.work[slot], t.hukou[slot] = home, work, hukou
            t.skill[slot], t.age[slot] = skill, age
            self.talent_agents[slot] = TalentAgent(self, slot)
            flows[self.city_ids[uni], self.city_ids[home]] += 1
        self._log_flows("graduate", _counts(flows) * self.talent_per_agent)
        return len(new)

    # ------------------------------------------------------------------ firms, agent by agent
    def _new_firm(self, city: int, sector: int, kind: str, rng: np.random.Generator) -> None:
        f = self.firms
        slot = int(f.allocate(1)[0])
        f.alive[slot] = True
        f.city[slot], f.sector[slot] = city, sector
        for field in FIELDS_FLOAT:
            getattr(f, field)[slot] = 0.0
        f.logq[slot] = rng.normal(0.0, self.logq_sigma)
        f.age[slot] = 0
        self.firm_agents[slot] = FirmAgent(self, slot)
        key = f"firm_{kind}s"
        self.year_counts[key] = self.year_counts.get(key, 0) + self.firms_per_agent

    def _drop_firm(self, agent: FirmAgent) -> None:
        f, s = self.firms, agent.slot
        f.alive[s] = False
        for field in FIELDS_FLOAT:
            if field != "logq":
                getattr(f, field)[s] = 0.0
        del self.firm_agents[s]
        agent.remove()

    def _firm_dynamics(self) -> None:
        fc, f, n, rng = self.config.firms, self.firms, self.n, self.rng_firms
        mods, fpa, names = self.mods, self.firms_per_agent, self.city_ids
        firms = list(self.agents_by_type[FirmAgent])
        # productivity shock and ageing, each firm on its own
        sd = min(fc.capacity_shock_sd, self.logq_sigma) if self.logq_sigma > 0 else 0.0
        rho = math.sqrt(1 - (sd / self.logq_sigma) ** 2) if self.logq_sigma > 0 else 0.0
        for a in firms:
            f.logq[a.slot] = rho * f.logq[a.slot] + sd * rng.normal()
            f.age[a.slot] += 1
        # exit: each firm compares its log profit with its sector's mean and spread
        lp = {a.slot: math.log(max(float(f.profit[a.slot]), 1e-12)) for a in firms}
        cnt, tot, sq = [0] * N_SECTORS, [0.0] * N_SECTORS, [0.0] * N_SECTORS
        for a in firms:
            k = int(f.sector[a.slot])
            cnt[k] += 1
            tot[k] += lp[a.slot]
        mu = [tot[k] / max(cnt[k], 1) for k in range(N_SECTORS)]
        for a in firms:
            k = int(f.sector[a.slot])
            sq[k] += (lp[a.slot] - mu[k]) ** 2
        sdev = [math.sqrt(sq[k] / max(cnt[k], 1)) for k in range(N_SECTORS)]
        exits = 0
        for a in firms:
            k = int(f.sector[a.slot])
            z = (lp[a.slot] - mu[k]) / max(sdev[k], 1e-9)
            p_exit = min(max(fc.exit_rate * 2.0 / (1.0 + _exp(fc.exit_sensitivity * z)), 0.0), 1.0)
            if rng.random() < p_exit:
                self._drop_firm(a)
                exits += 1
        self.year_counts["firm_exits"] = exits * fpa
        # births: each new firm picks a city, weighted by the sector's firms there and its profit
        v = self._profit_per_capacity()
        counts = np.zeros((n, N_SECTORS), int)
        for a in self.agents_by_type[FirmAgent]:
            counts[f.city[a.slot], f.sector[a.slot]] += 1
        for k in range(N_SECTORS):
            nb = int(stochastic_round(fc.birth_rate * counts[:, k].sum(), rng))
            if nb == 0:
                continue
            top = max([0.0] + [float(x) for x in v[:, k] if np.isfinite(x)])
            w = (counts[:, k] + 1) * np.exp(fc.birth_profit_weight * (v[:, k] - top))
            w = np.where(np.isfinite(w), w, 0.0)
            if w.sum() <= 0:
                continue
            for _ in range(nb):
                self._new_firm(draw_index(w / w.sum(), rng.random()), k, "birth", rng)
        # coastal arrivals: each arriving firm picks a city on profit, distance to the coast, subsidy
        n_in = int(stochastic_round(fc.coastal_inflow * mods["coastal_inflow_factor"] / fpa, rng))
        arrivals: Counter = Counter()
        for _ in range(n_in):
            k = HEAVY if rng.random() < fc.coastal_inflow_heavy_share else MANUF
            u = (
                fc.relocation_profit_weight * v[:, k]
                - fc.coast_distance_weight * self.coast_km / 100.0
                + mods["firm_subsidy"][:, k]
            )
            dest = draw_index(softmax_one(u), rng.random())
            self._new_firm(dest, k, "coastal", rng)
            arrivals[COAST, names[dest]] += 1
        if arrivals:
            self._log_flows("relocation", _counts(arrivals) * fpa)
        self.year_counts["coastal_arrivals"] = n_in * fpa
        # relocation: each firm considers moving (binary logit), then picks a destination
        firms = list(self.agents_by_type[FirmAgent])
        cnt, tot = [0] * N_SECTORS, [0.0] * N_SECTORS
        for a in firms:
            k = int(f.sector[a.slot])
            cnt[k] += 1
            tot[k] += float(f.logq[a.slot])
        mean_lq = [tot[k] / max(cnt[k], 1) for k in range(N_SECTORS)]
        rate = min(max(fc.consider_move_rate, 1e-12), 1 - 1e-12)
        base_x = math.log(rate / (1 - rate))
        moves: Counter = Counter()
        for a in firms:
            s = a.slot
            o, k = int(f.city[s]), int(f.sector[s])
            x = (
                base_x
                - fc.consider_size_elasticity * (float(f.logq[s]) - mean_lq[k])
                - fc.consider_age_per_decade * int(f.age[s]) / 10.0
                + mods["firm_push"][o, k]
            )
            p_consider = 1.0 / (1.0 + _exp(-x))
            if rng.random() >= p_consider:
                continue
            u = (
                fc.relocation_profit_weight * v[:, k]
                - fc.relocation_cost_per_100km * self.km[o] / 100.0
                - fc.relocation_fixed_cost * (np.arange(n) != o)
                + mods["firm_subsidy"][:, k]
            )
            if not np.isfinite(u[o]):  # staying needs no new land
                u[o] = fc.relocation_profit_weight * math.log(1e-300)
            u[o] -= mods["firm_push"][o, k]
            dest = draw_index(softmax_one(u), rng.random())
            if dest != o:
                f.city[s] = dest
                moves[names[o], names[dest]] += 1
        if moves:
            self._log_flows("relocation", _counts(moves) * fpa)
        self.year_counts["relocations"] = sum(moves.values()) * fpa


def _exp(x: float) -> float:
    return math.exp(x) if x < 700 else math.inf


def _counts(counter: Counter) -> pd.Series:
    keys = sorted(counter)
    return pd.Series(
        [float(counter[k]) for k in keys],
        index=pd.MultiIndex.from_tuples(keys, names=["origin", "destination"]),
    )
