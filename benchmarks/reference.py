"""A straightforward per-agent implementation of the model's talent and firm decisions.

``ReferenceModel`` is ``MiddleYangtzeModel`` whose talent and firm stages (``simulation.core.talent``
and ``simulation.core.firms``) are replaced by per-agent versions: ``ReferenceTalentStage`` and
``ReferenceFirmStage`` loop over the Mesa agents (``model.agents_by_type[TalentAgent]`` and
``[FirmAgent]``); every agent computes its own utilities over the N cities and the coast, draws its
choice with its own keyed uniforms from ``model.streams`` (the same purposes, years and agent ids as
the array code), and updates its own row of the agent tables. Build and calibration (year 0 is an
inversion, not a decision), production, land, capital, environment and records are inherited.

Since every draw is keyed by the agent's identity, the order in which agents decide does not matter
and the reference reproduces the array model's decisions one for one; they can differ only where
floating-point rounding puts a uniform on the other side of a cumulative probability, or two
options' Gumbel-perturbed utilities within an ulp of each other (about one decision in 10**15).
Bookkeeping that sums over agents (capital scrapped, moved or brought along, counts per city) is
tallied during the loop and applied once, in slot order, so that the sums are rounded as the array
code rounds them.

It is written from the formulas in ``simulation/core/choice.py``, ``talent.py`` and ``firms.py``
and does not call the array decision helpers (``home_utilities``, ``work_part``, ``sample_rows``,
``softmax_rows``, ``class_probs``, ``gumbel_pick``, ``graduate_hukou``, ``add_firms``, any method of
the array stages but their calibration), so that
``tests/test_reference_agreement.py`` checks one against the other; it is also the yardstick of
``benchmarks/bench.py``. City-level quantities that all agents read alike (each home city's
attractiveness this year, margins and entry values by city and sector) are computed once a year,
as a city would publish them; everything agent-specific (moving, border and hukou costs, the coast
option, the work city, review, exit, entry, consider-moving and destination choices) per agent.

Talent choices sample the inverse CDF of the logit at one uniform; firm choices (entry, coastal
arrivals' and relocating firms' destinations) take the Gumbel-max of the utilities with one uniform
per option, as the array code does. With ``stage.trace`` set to a list, every multinomial choice is
recorded as ``(kind, first uniform, "cdf" or "logit", probabilities, choice)``.
"""

from __future__ import annotations

import bisect
from collections import Counter

import numpy as np

from agents import FirmAgent, TalentAgent
from simulation.core.firms import HEAVY, KIND_COASTAL, MANUF, SERVICES, FirmStage
from simulation.core.firms import KIND_ENTRANT as FIRM_ENTRANT
from simulation.core.streams import stable_ids
from simulation.core.talent import ENTRANT_AGES, KIND_ENTRANT, KIND_GRADUATE, TalentStage
from simulation.model import COAST, N_SECTORS, MiddleYangtzeModel

FIRM_ZEROED = ("output", "employment", "emissions_air", "emissions_water", "profit", "abatement",
               "abatement_water", "abatement_cost")  # fmt: skip


# ---------------------------------------------------------------------- one agent's choice
def softmax_one(u: np.ndarray) -> np.ndarray:
    """Logit probabilities of one agent's options; options at -inf get probability 0 (all zero when
    no option is finite)."""
    finite = u[np.isfinite(u)]
    if len(finite) == 0:
        return np.zeros_like(u)
    e = np.exp(u - finite.max())
    return e / e.sum()


def draw_index(probs: np.ndarray, u: float) -> int:
    """The option an agent with uniform u picks: the first whose cumulative probability exceeds u."""
    cdf = np.cumsum(probs)
    cdf[-1] = 1.0
    return min(int(np.searchsorted(cdf, u, side="right")), len(probs) - 1)


def gumbel_index(u: np.ndarray, uniforms: np.ndarray) -> int:
    """Logit choice by Gumbel-max: the option with the largest utility plus its own Gumbel error
    -log(-log U), one uniform U per option."""
    return int(np.argmax(u - np.log(-np.log(uniforms))))


def _logistic(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.float64(x))))


def _pairs(counter: Counter, o_names: list[str], d_names: list[str], scale: float):
    """Flows (origin names, destination names, counts x scale) from a Counter of index pairs."""
    keys = sorted(counter)
    return (
        np.array([o_names[o] for o, _ in keys], object),
        np.array([d_names[d] for _, d in keys], object),
        np.array([counter[k] for k in keys], np.int64) * float(scale),
    )


class _Stage:
    trace: list | None = None

    @classmethod
    def adopt(cls, stage):
        """A per-agent stage carrying the calibrated state of the array stage ``stage``."""
        new = cls.__new__(cls)
        new.__dict__.update(stage.__dict__)
        new.trace = None
        return new

    def _draw(self, kind: str, probs: np.ndarray, u: float) -> int:
        """Choice by the inverse CDF of ``probs`` at the agent's uniform ``u``."""
        choice = draw_index(probs, u)
        if self.trace is not None:
            self.trace.append((kind, float(u), "cdf", probs, choice))
        return choice

    def _gumbel(self, kind: str, u: np.ndarray, uniforms: np.ndarray) -> int:
        """Choice by Gumbel-max over utilities ``u`` with the agent's uniforms, one per option."""
        choice = gumbel_index(u, uniforms)
        if self.trace is not None:
            self.trace.append((kind, float(uniforms[0]), "logit", softmax_one(u), choice))
        return choice


# ---------------------------------------------------------------------- talent, agent by agent
class ReferenceTalentStage(_Stage, TalentStage):
    """Retirement, review, graduates and entrants, one talent agent at a time."""

    # ------------------------------------------------------------------ what a city publishes
    def year_inputs(self, m: MiddleYangtzeModel) -> None:
        """This year's parameters and each home city's attractiveness (amenity, rent, pollution and
        the inclusive value of the work choice from there)."""
        p = self._p = m.choice_params()
        self._m = m
        self._edges = [float(x) for x in m.skill_edges]
        self._hours = m.transport.times / 60.0
        self._invehicle_h = np.maximum(m.transport.times - m.transport.intra_city_min, 0.0) / 60.0
        self._log_wage = np.log(m.city.wage_talent)
        self._log_jobs = np.log(m.city.jobs)
        self._zone = m.transport.commute_zone
        self._eps = p.wage_weight if p.commute_elasticity is None else p.commute_elasticity
        iv = np.empty(m.n)
        for i in range(m.n):
            v = self.work_utilities(i)
            vmax = v[np.isfinite(v)].max()
            iv[i] = vmax + np.log(np.exp(v - vmax).sum())
        # nested logit: the home choice values the work nest (wage elasticity eps) at its own wage weight
        eps = self._eps
        iv = iv * (p.wage_weight / eps if eps > 0 else 1.0)
        self._base = (
            m.city.amen_talent
            - p.housing_weight * np.log(m.city.rent)
            - p.pollution_weight * np.log(m.city.pm25)
            - m.config.environment.water_amenity * m.env.water_amenity()
            + iv
        )

    # ------------------------------------------------------------------ one agent's utilities
    def work_utilities(self, home: int) -> np.ndarray:
        """Utility of each work city for someone living in ``home`` (-inf outside its commuting zone):
        eps ln wage + destination_weight ln jobs - commuting cost (less the circles' discount)."""
        p, n = self._p, self._m.n
        cost = p.commute_cost_per_hour * self._invehicle_h[home] + p.commute_fixed_cost * (
            np.arange(n) != home
        )
        if p.commute_discount is not None:
            cost = cost * (1 - p.commute_discount[home])
        v = self._eps * self._log_wage - cost + p.destination_weight * self._log_jobs
        return np.where(self._zone[home], v, -np.inf)

    def work_probabilities(self, home: int) -> np.ndarray:
        return softmax_one(self.work_utilities(home))

    def home_utilities(self, origin: int, hukou: int, skill: float, stay_bonus=0.0, extra=None) -> np.ndarray:
        """One agent's utilities of the N homes and the coast (the last entry): this year's
        attractiveness less its own moving, border and hukou costs; ``hukou == N`` is a hukou from
        outside the region (the last row of the hukou tables)."""
        m, p = self._m, self._p
        n, prov = m.n, m.prov
        logskill = m.bin_logskill[bisect.bisect_left(self._edges, skill)]
        u = np.empty(n + 1)
        base = self._base if extra is None else self._base + extra
        move = p.move_cost + p.time_elasticity * np.log(np.maximum(self._hours[origin], 1e-3))
        move = move + p.border_cost[prov[origin], prov]
        move[origin] = -stay_bonus  # staying costs nothing (graduates get a bonus for staying)
        u[:n] = base - move
        if hukou < n:
            row, other_city = prov[hukou], np.arange(n) != hukou
        else:
            row, other_city = p.hukou_cost_city.shape[0] - 1, np.ones(n, bool)
        u[:n] -= p.hukou_cost_city[row, prov] * other_city + p.hukou_cost_province[row, prov]
        u[n] = m.coast_const + p.skill_coast_weight * logskill
        return u

    def home_probabilities(self, origin, hukou, skill, stay_bonus=0.0, extra=None) -> np.ndarray:
        return softmax_one(self.home_utilities(origin, hukou, skill, stay_bonus, extra))

    def entrant_probabilities(self, skill: float) -> np.ndarray:
        """An entrant from the rest of China: each city (travel from the coast, a provincial border,
        an outside hukou) or staying away (the last entry)."""
        m, p, tc = self._m, self._p, self.cfg
        n, out = m.n, len(m.provinces)
        logskill = m.bin_logskill[bisect.bisect_left(self._edges, skill)]
        hours = np.maximum(m.coast_km / tc.entrant_speed_kmh, 1e-3)
        u = np.empty(n + 1)
        u[:n] = (
            self._base
            - (p.move_cost + p.time_elasticity * np.log(hours) + tc.border_cost)
            - p.hukou_cost_city[out, m.prov]
            - p.hukou_cost_province[out, m.prov]
            + self.entrant_const
        )
        u[n] = p.skill_coast_weight * logskill
        return softmax_one(u)

    # ------------------------------------------------------------------ the year
    def _drop(self, m: MiddleYangtzeModel, agent: TalentAgent) -> None:
        t, s = m.talent, agent.slot
        t.alive[s] = False
        t.home[s] = -1
        t.work[s] = -1
        del m.talent_agents[s]
        agent.remove()

    def step(self, m: MiddleYangtzeModel) -> None:
        t, n, tc, yr, tpa = m.talent, m.n, self.cfg, m.year, m.talent_per_agent
        self.year_inputs(m)
        retired = np.zeros(n, np.int64)
        flows: Counter = Counter()
        coast = migrants = cross = 0
        self._asked: dict[str, list] = {"review": [], "graduate": []}  # for levers' what-ifs
        for agent in list(m.agents_by_type.get(TalentAgent, ())):
            s = agent.slot
            t.age[s] += 1
            if t.age[s] >= tc.retirement_age:  # back to the general population of the home city
                retired[t.home[s]] += 1
                self._drop(m, agent)
                continue
            u = m.streams.uniforms("talent.review", yr, t.uid[s], 3)
            if u[0] >= tc.review_rate:
                continue
            origin = int(t.home[s])
            probs = self.home_probabilities(origin, int(t.hukou[s]), float(t.skill[s]))
            self._asked["review"].append(((origin, int(t.hukou[s]), float(t.skill[s])), probs))
            dest = self._draw("home", probs, u[1])
            if dest != origin:
                flows[origin, dest] += 1
            if dest == n:
                coast += 1
                self._drop(m, agent)
                continue
            t.home[s] = dest
            t.work[s] = self._draw("work", self.work_probabilities(dest), u[2])
            if dest != origin:
                migrants += 1
                cross += int(m.prov[dest] != m.prov[origin])
        m.city.general += retired * tpa
        n_retired = int(retired.sum())
        m.count("talent_retirements", n_retired * tpa)
        if flows:
            names = m.city_ids + [COAST]
            m.log_flows("migration", _pairs(flows, names, names, tpa))
            m.count("cross_province_migration", float(cross * tpa))
            m.count("talent_migration", float(migrants * tpa))
        m.count("talent_to_coast", coast * tpa)
        m.count("migration_out", coast * tpa)
        grads = self._graduate_agents(m)
        entrants = self._entrant_agents(m)
        self._record_choices(m)
        m.count("talent_entries", (grads + entrants) * tpa)
        m.count("talent_exits", (n_retired + coast) * tpa)

    def _record_choices(self, m: MiddleYangtzeModel) -> None:
        """The year's choices in the array stage's form (``TalentStage.choices``: inputs, one row of
        probabilities per chooser), which levers read to ask what a choice would have been under
        other rules (the talent alliance's spillover)."""
        self.choices = []
        grad = (self.cfg.graduate_stay_weight, m.mods["graduate_bonus"])
        extras = {"review": (0.0, None), "graduate": grad}
        for kind, rows in self._asked.items():
            if not rows:
                continue
            o, h, sk = (np.array(c) for c in zip(*(r[0] for r in rows), strict=True))
            stay, extra = extras[kind]
            args = (o, h, sk, stay, None if extra is None else extra.copy())
            self.choices.append((args, np.array([r[1] for r in rows]), np.arange(len(rows))))

    def class_probs(self, m: MiddleYangtzeModel, origin, hukou, skill, stay_bonus=0.0, extra=None):
        """Per-chooser probabilities under the model's current rules (``TalentStage.class_probs``'s
        contract with one class per chooser), from this stage's own per-agent utilities."""
        self.year_inputs(m)
        probs = np.array(
            [self.home_probabilities(int(o), int(h), float(k), stay_bonus, extra)
             for o, h, k in zip(origin, hukou, skill, strict=True)]
        )  # fmt: skip
        return probs, np.arange(len(origin)), None

    def _skill(self, m, purpose: str, uid) -> float:
        sig = self.cfg.skill_sigma
        return float(np.exp(-0.5 * sig**2 + sig * m.streams.normal(purpose, m.year, uid)))

    def _create(self, m: MiddleYangtzeModel, new: list[tuple]) -> None:
        t = m.talent
        for slot, (uid, home, work, hukou, skill, age) in zip(
            t.allocate(len(new)).tolist(), new, strict=True
        ):
            t.alive[slot] = True
            t.uid[slot], t.home[slot], t.work[slot], t.hukou[slot] = uid, home, work, hukou
            t.skill[slot], t.age[slot] = skill, age
            m.talent_agents[slot] = TalentAgent(m, slot)

    @staticmethod
    def _by_weight(w: np.ndarray, u: float) -> int:
        return draw_index(w / w.sum(), u)

    def _graduate_agents(self, m: MiddleYangtzeModel) -> int:
        n, tc, yr, tpa = m.n, self.cfg, m.year, m.talent_per_agent
        # each university city rounds its expected number of graduate agents with its own draw
        k = np.zeros(n, np.int64)
        for i in range(n):
            expected = m.students[i] * tc.graduation_rate / tpa
            frac = float(m.streams.uniform("grad.count", yr, np.int64(i)))
            k[i] = int(np.floor(expected)) + int(frac < expected - np.floor(expected))
        total = int(k.sum())
        m.city.general -= k * tpa  # graduates were counted as students in the general population
        m.count("graduates", total * tpa)
        if total == 0:
            return 0
        bonus = m.mods["graduate_bonus"]
        local = tc.graduate_outside_share + tc.graduate_local_share
        new, flows, leave = [], Counter(), 0
        for uni in range(n):
            members = np.flatnonzero(m.prov == m.prov[uni])
            for idx in range(int(k[uni])):
                uid = stable_ids(KIND_GRADUATE, yr, uni, idx)[()]
                uu = m.streams.uniforms("grad.draws", yr, uid, 6)
                if uu[0] < tc.graduate_outside_share:  # hukou outside the region
                    hukou = n
                elif uu[0] < local:  # in the university's province
                    hukou = int(members[self._by_weight(m.pop0[members], uu[1])])
                else:  # anywhere in the region
                    hukou = self._by_weight(m.pop0, uu[2])
                skill = self._skill(m, "grad.skill", uid)
                age = 22 + int(np.floor(uu[3] * 3))
                probs = self.home_probabilities(uni, hukou, skill, tc.graduate_stay_weight, bonus)
                self._asked["graduate"].append(((uni, hukou, skill), probs))
                home = self._draw("graduate", probs, uu[4])
                if home == n:
                    leave += 1
                    continue
                work = self._draw("work", self.work_probabilities(home), uu[5])
                new.append((uid, home, work, hukou, skill, age))
                flows[uni, home] += 1
        m.count("migration_out", float(leave * tpa))
        if not new:
            return 0
        self._create(m, new)
        m.log_flows("graduate", _pairs(flows, m.city_ids, m.city_ids, tpa))
        return len(new)

    def _entrant_agents(self, m: MiddleYangtzeModel) -> int:
        n, yr, tpa = m.n, m.year, m.talent_per_agent
        if self.pool == 0:
            return 0
        lo, hi = ENTRANT_AGES
        new, flows = [], Counter()
        for j in range(self.pool):
            uid = stable_ids(KIND_ENTRANT, yr, j)[()]
            uu = m.streams.uniforms("entrant.draws", yr, uid, 3)
            skill = self._skill(m, "entrant.skill", uid)
            home = self._draw("entrant", self.entrant_probabilities(skill), uu[0])
            if home == n:
                continue  # stays away
            work = self._draw("work", self.work_probabilities(home), uu[1])
            new.append((uid, home, work, n, skill, lo + int(np.floor(uu[2] * (hi - lo)))))
            flows[0, home] += 1
        m.count("migration_in", len(new) * tpa)
        if not new:
            return 0
        self._create(m, new)
        m.log_flows("migration", _pairs(flows, [COAST], m.city_ids, tpa))
        return len(new)


# ---------------------------------------------------------------------- firms, agent by agent
class ReferenceFirmStage(_Stage, FirmStage):
    """Shocks, exit, entry, coastal arrivals and relocation, one firm agent at a time."""

    # ------------------------------------------------------------------ what a city-sector publishes
    @staticmethod
    def _margin_table(m: MiddleYangtzeModel) -> np.ndarray:
        """Operating surplus per unit of capacity weight by (city, sector); a city-sector without
        firms reads the median over the cities that have some."""
        q = m.firms.capacity_sums(m.n, N_SECTORS)
        prof = m.year_result.profits
        out = np.empty((m.n, N_SECTORS))
        for k in range(N_SECTORS):
            has = q[:, k] > 0
            avg = prof[has, k] / q[has, k]
            out[:, k] = np.median(avg) if has.any() else np.nan
            out[has, k] = avg
        return out

    def _log_values(self, m: MiddleYangtzeModel) -> np.ndarray:
        """Log margin by (city, sector), -inf for industry where no construction land is left."""
        v = np.log(np.maximum(self._margin_table(m), 1e-300))
        full = m.land_full()
        for k in range(N_SECTORS):
            if k != SERVICES:
                v[full, k] = -np.inf
        return v

    def _entry_values(self, m: MiddleYangtzeModel) -> np.ndarray:
        """Utility of entering each city-sector: the expected profit of an average entrant (in
        general-labour years of the city, floored at a tiny positive) relative to the base year."""
        fc = self.cfg
        eq = np.exp(0.5 * fc.capacity_sigma**2)
        ef = self.fixed_scale * np.exp(0.5 * fc.fixed_cost_sigma**2)
        wage = m.city.wage_general / 1e8
        v = self._margin_table(m) * eq / wage[:, None] - ef[None, :]
        v = np.maximum(v, 1e-9 * np.abs(v).max())
        u = fc.entry_elasticity * np.log(v / self.profit0) + self.entry_const + m.mods["firm_subsidy"]
        full = m.land_full()
        for k in range(N_SECTORS):
            if k != SERVICES:
                u[full, k] = -np.inf
        return u

    # ------------------------------------------------------------------ bookkeeping
    def _drop(self, m: MiddleYangtzeModel, agent: FirmAgent) -> None:
        f, s = m.firms, agent.slot
        f.alive[s] = False
        for name in FIRM_ZEROED:
            getattr(f, name)[s] = 0.0
        del m.firm_agents[s]
        agent.remove()

    def _create(self, m: MiddleYangtzeModel, new: list[tuple], kind: str) -> list[int]:
        """New firm agents (city, sector, uid), each drawing its own size and fixed cost."""
        f, fc, yr = m.firms, self.cfg, m.year
        slots = f.allocate(len(new)).tolist()
        for slot, (city, sector, uid) in zip(slots, new, strict=True):
            f.alive[slot], f.city[slot], f.sector[slot], f.uid[slot] = True, city, sector, uid
            f.logq[slot] = fc.capacity_sigma * m.streams.normal("firm.size", yr, uid)
            z = m.streams.normal("firm.fixed_cost", yr, uid) * fc.fixed_cost_sigma
            f.fixed_cost[slot] = self.fixed_scale[sector] * np.exp(z)
            f.age[slot] = 0
            for name in FIRM_ZEROED:
                getattr(f, name)[slot] = 0.0
            m.firm_agents[slot] = FirmAgent(m, slot)
        cities = np.array([c for c, _, _ in new], np.int64)
        m.count(f"firm_{kind}s", len(new) * m.firms_per_agent, by_city=cities)
        if kind != "coastal":
            m.count("firm_entries", len(new) * m.firms_per_agent, by_city=cities)
        self.arrived.append(np.array(slots, np.int64))
        return slots

    # ------------------------------------------------------------------ the year
    def step(self, m: MiddleYangtzeModel) -> None:
        f, yr = m.firms, m.year
        fc = self.cfg  # log capacity is AR(1) with a stationary sd of capacity_sigma
        sd = min(fc.capacity_shock_sd, fc.capacity_sigma)
        rho = float(np.sqrt(1 - (sd / fc.capacity_sigma) ** 2)) if fc.capacity_sigma > 0 else 0.0
        for a in m.agents_by_type.get(FirmAgent, ()):  # productivity shock and ageing
            s = a.slot
            f.logq[s] = rho * f.logq[s] + sd * m.streams.normal("firm.shock", yr, f.uid[s])
            f.age[s] += 1
        self.arrived = []  # slots of firms that set up in a new city this year (levers pay for some)
        self._exits(m)
        self._entries(m)
        self._coastal_arrivals(m)
        self._relocations(m)

    def _exits(self, m: MiddleYangtzeModel) -> None:
        f, fc, yr = m.firms, self.cfg, m.year
        margin = self._margin_table(m)
        q = m.firms.capacity_sums(m.n, N_SECTORS)
        wage = m.city.wage_general
        gone = []
        for a in list(m.agents_by_type.get(FirmAgent, ())):
            s = a.slot
            c, k = int(f.city[s]), int(f.sector[s])
            profit = margin[c, k] * np.exp(f.logq[s]) - f.fixed_cost[s] * wage[c] / 1e8
            f.profit[s] = profit
            if profit < 0 or m.streams.uniform("firm.death", yr, f.uid[s]) < fc.death_rate:
                gone.append((s, c, k, np.exp(f.logq[s]) / max(q[c, k], 1e-300), a))
        gone.sort(key=lambda g: g[0])  # the city-sectors scrap their exiting firms' capital in slot order
        if gone:
            m.capital.scrap(*(np.array([g[i] for g in gone]) for i in (1, 2, 3)))
        for g in gone:
            self._drop(m, g[4])
        cities = np.array([g[1] for g in gone], np.int64)
        m.count("firm_exits", len(gone) * m.firms_per_agent, by_city=cities if len(gone) else None)

    def _entries(self, m: MiddleYangtzeModel) -> None:
        n, yr = m.n, m.year
        u = self._entry_values(m)
        new = []
        for k in range(N_SECTORS):
            opts = np.r_[u[:, k], 0.0]  # the last option: stay out
            for j in range(int(self.pool[k])):
                uid = stable_ids(FIRM_ENTRANT, yr, k, j)[()]
                choice = self._gumbel("entry", opts, m.streams.uniforms("firm.entry", yr, uid, n + 1))
                if choice < n:
                    new.append((choice, k, uid))
        self._create(m, new, "birth")

    def _coastal_arrivals(self, m: MiddleYangtzeModel) -> None:
        fc, n, yr, fpa = self.cfg, m.n, m.year, m.firms_per_agent
        expected = fc.coastal_inflow * m.mods["coastal_inflow_factor"] / fpa
        base = int(np.floor(expected))
        frac = float(m.streams.uniform("firm.coastal_count", yr, np.uint64(0)))
        n_in = base + int(frac < expected - base)
        m.count("coastal_arrivals", n_in * fpa)
        if n_in == 0:
            return
        v = self._log_values(m)
        subsidy = m.mods["firm_subsidy"]
        new = []
        for j in range(n_in):
            uid = stable_ids(KIND_COASTAL, yr, j)[()]
            uu = m.streams.uniforms("firm.coastal", yr, uid, 1 + n)  # the sector, then one per city
            k = HEAVY if uu[0] < fc.coastal_inflow_heavy_share else MANUF
            u = (
                fc.relocation_profit_weight * v[:, k]
                - fc.coast_distance_weight * (m.coast_km / 100.0)
                + subsidy[:, k]
            )
            new.append((self._gumbel("coastal", u, uu[1:]), k, uid))
        slots = self._create(m, new, "coastal")
        # each arrival brings the capital of a typical firm of its size in its sector
        f = m.firms
        k_per_q = m.capital.stock.sum(axis=0) / np.maximum(f.capacity_sums(n, N_SECTORS).sum(axis=0), 1e-300)
        dest = np.array([c for c, _, _ in new], np.int64)
        sec = np.array([k for _, k, _ in new], np.int64)
        m.capital.arrive(
            dest,
            sec,
            np.array([k_per_q[k] * np.exp(f.logq[s]) for (_, k, _), s in zip(new, slots, strict=True)]),
        )
        m.log_flows("relocation", _pairs(Counter((0, c) for c in dest.tolist()), [COAST], m.city_ids, fpa))

    def _relocations(self, m: MiddleYangtzeModel) -> None:
        fc, f, n, yr = self.cfg, m.firms, m.n, m.year
        firms = list(m.agents_by_type.get(FirmAgent, ()))
        total, count = np.zeros(N_SECTORS), np.zeros(N_SECTORS, np.int64)
        for a in firms:
            total[f.sector[a.slot]] += f.logq[a.slot]
            count[f.sector[a.slot]] += 1
        mean_lq = total / np.maximum(count, 1)
        rate = min(max(fc.consider_move_rate, 1e-12), 1 - 1e-12)
        base_x = float(np.log(rate / (1 - rate)))
        push, subsidy = m.mods["firm_push"], m.mods["firm_subsidy"]
        v = None
        moves = []
        for a in firms:
            s = a.slot
            o, k = int(f.city[s]), int(f.sector[s])
            x = (
                base_x
                - fc.consider_size_elasticity * (f.logq[s] - mean_lq[k])
                - fc.consider_age_per_decade * f.age[s] / 10.0
                + push[o, k]
            )
            if m.streams.uniform("firm.relocate", yr, f.uid[s]) >= _logistic(x):
                continue
            if v is None:
                v = self._log_values(m)
            u = (
                fc.relocation_profit_weight * v[:, k]
                - fc.relocation_cost_per_100km * m.km[o] / 100.0
                - fc.relocation_fixed_cost * (np.arange(n) != o)
                + subsidy[:, k]
            )
            if not np.isfinite(u[o]):  # staying needs no new land
                u[o] = fc.relocation_profit_weight * np.log(1e-300)
            u[o] -= push[o, k]  # pushed firms value staying less
            dest = self._gumbel("relocation", u, m.streams.uniforms("firm.destination", yr, f.uid[s], n))
            if dest != o:
                moves.append((s, o, dest, k))
        if moves:
            moves.sort()  # the city-sectors hand over capital in slot order
            q = f.capacity_sums(n, N_SECTORS)
            share = np.array([np.exp(f.logq[s]) / max(q[o, k], 1e-300) for s, o, _, k in moves])
            o, d, k = (np.array([mv[i] for mv in moves], np.int64) for i in (1, 2, 3))
            m.capital.move(o, d, k, share)
            for s, _, dest, _ in moves:
                f.city[s] = dest
            self.arrived.append(np.array([mv[0] for mv in moves], np.int64))
            pairs = Counter(zip(o.tolist(), d.tolist(), strict=True))
            m.log_flows("relocation", _pairs(pairs, m.city_ids, m.city_ids, m.firms_per_agent))
        m.count("relocations", len(moves) * m.firms_per_agent)


class ReferenceModel(MiddleYangtzeModel):
    """MiddleYangtzeModel whose talent and firm decisions are made agent by agent."""

    def _build(self) -> None:
        super()._build()  # builds and calibrates the array stages; year 0 is not a decision
        self.talent_stage = ReferenceTalentStage.adopt(self.talent_stage)
        self.firm_stage = ReferenceFirmStage.adopt(self.firm_stage)
