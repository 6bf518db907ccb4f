"""Talent: ageing and retirement, the yearly location review, graduates, and entrants from outside.

Each year a share of talent agents reviews where to live and work (the nested logit of
``simulation.core.choice``; the coast is the outside option). Retirees rejoin their city's general
population; graduates of the region's universities leave the general population (they were counted
there as students) and choose a city or leave the cluster; a fixed pool of potential entrants from
the rest of China (returnees and migrants) chooses a city or stays away. The base year is a rest
point: amenities are inverted so that no city gains or loses by the review, and the entrants'
constant so that entries from outside equal departures to the coast. Every draw comes from a stream
keyed by the agent's identity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents import TalentAgent
from agents.batch import spawn
from simulation.core import choice as ch
from simulation.core.streams import stable_ids

if TYPE_CHECKING:
    from simulation.core.state import ModelState

KIND_INITIAL, KIND_GRADUATE, KIND_ENTRANT = 1, 2, 3
ENTRANT_AGES = (25, 40)


class TalentStage:
    def __init__(self, model: ModelState) -> None:
        self.choices: list = []
        self.cfg = model.config.talent
        self.entrant_const = 0.0
        self.pool = 0

    # ------------------------------------------------------------------ choice pieces
    def work_cdf(self, m: ModelState) -> tuple[np.ndarray, np.ndarray]:
        p = m.choice_params()
        invehicle_h = np.maximum(m.transport.times - m.transport.intra_city_min, 0.0) / 60.0
        with np.errstate(divide="ignore"):  # a city without talent pays no talent wage: log 0 = -inf,
            log_wage = np.log(m.city.wage_talent)  # a workplace nobody chooses (tiny runs only)
        return ch.work_part(log_wage, invehicle_h, m.transport.commute_zone, p, np.log(m.city.jobs))

    def home_base(self, m: ModelState) -> np.ndarray:
        p = m.choice_params()
        iv, self._work_cdf = self.work_cdf(m)
        return (
            m.city.amen_talent
            - p.housing_weight * np.log(m.city.rent)
            - p.pollution_weight * np.log(m.city.pm25)
            - m.config.environment.water_amenity * m.env.water_amenity()
            + iv
        )

    def class_probs(self, m: ModelState, origin, hukou, skill, stay_bonus=0.0, extra=None):
        n = m.n
        sbin = ch.skill_bins(skill, m.skill_edges)
        classes, inv = ch.class_codes(origin, hukou, sbin, n + 1)
        base = self.home_base(m)
        if extra is not None:
            base = base + extra
        o, h, sb = ch.decode(classes, n + 1)
        u = ch.home_utilities(
            o,
            h,
            m.bin_logskill[sb],
            base=base,
            prov=m.prov,
            hours=m.transport.times / 60.0,
            p=m.choice_params(),
            coast_const=m.coast_const,
            outside_hukou=n,
            stay_bonus=stay_bonus,
        )
        return ch.softmax_rows(u), inv, classes

    def entrant_utilities(self, m: ModelState) -> np.ndarray:
        """(skill bins, N + 1): utility of each city for a talent entrant from outside, and of staying
        away (last column; relative to the entrants' constant)."""
        tc, p = self.cfg, m.choice_params()
        n = m.n
        hours = np.maximum(m.coast_km / tc.entrant_speed_kmh, 1e-3)
        outside = len(m.provinces)  # hukou row of people from outside the cluster
        city = (
            self.home_base(m)
            - p.move_cost
            - p.time_elasticity * np.log(hours)
            - tc.border_cost
            - p.hukou_cost_city[outside][m.prov]
            - p.hukou_cost_province[outside][m.prov]
        )
        u = np.empty((len(m.bin_logskill), n + 1))
        u[:, :n] = city[None, :] + self.entrant_const
        u[:, n] = p.skill_coast_weight * m.bin_logskill
        return u

    # ------------------------------------------------------------------ year 0
    def calibrate(self, m: ModelState) -> None:
        """Amenities that make the base year a rest point, and the entrants' constant and pool."""
        n, t, tc = m.n, m.talent, self.cfg
        live = t.living()
        q = min(tc.coast_outflow_rate / tc.review_rate, 0.5)
        target = np.bincount(t.home[live], minlength=n).astype(float) * (1 - q)
        m.city.amen_talent = np.zeros(n)
        m.coast_const = 0.0
        probs, inv, classes = self.class_probs(m, t.home[live], t.hukou[live], t.skill[live])
        fixed = np.log(np.maximum(probs, 1e-300))
        fixed = fixed - fixed[:, [n]]
        base0 = self.home_base(m)
        fixed[:, :n] -= base0[None, :]
        weights = np.bincount(inv, minlength=len(classes)).astype(float)
        amen, const = _rest_point(fixed, base0, weights, target, q)
        m.city.amen_talent, m.coast_const = amen, const
        # entrants: a pool twice the base-year departures, half of whom enter at base-year values
        leavers = tc.coast_outflow_rate * len(live) * tc.entrant_balance
        self.pool = int(np.ceil(2 * leavers))
        if self.pool:
            u = self.entrant_utilities(m)
            inside = np.logaddexp.reduce(u[:, :n], axis=1)
            # mean over skill bins of P(enter) = leavers / pool; solve for the constant by bisection
            lo, hi = -60.0, 60.0
            for _ in range(200):
                mid = 0.5 * (lo + hi)
                p_in = 1 / (1 + np.exp(u[:, n] - inside - mid))
                lo, hi = (mid, hi) if p_in.mean() < leavers / self.pool else (lo, mid)
            self.entrant_const = 0.5 * (lo + hi)

    # ------------------------------------------------------------------ the year
    def step(self, m: ModelState) -> None:
        t, n, tc, yr = m.talent, m.n, self.cfg, m.year
        tpa = m.talent_per_agent
        self.choices = []  # this year's location choices, for levers that ask "what if" (the alliance)
        live = t.living()
        t.age[live] += 1
        retire = live[t.age[live] >= tc.retirement_age]
        m.city.general += np.bincount(t.home[retire], minlength=n) * tpa  # back to the general population
        m.remove_talent(retire)
        m.count("talent_retirements", len(retire) * tpa)
        live = t.living()
        # column 0 of the "talent.review" stream decides who reviews; columns 1-2 (drawn for the
        # reviewers only: a column depends on the agent and the column alone) pick home and work
        reviewers = live[m.streams.uniform("talent.review", yr, t.uid[live]) < tc.review_rate]
        uu = m.streams.uniforms("talent.review", yr, t.uid[reviewers], 3)
        u1, u2 = uu[:, 1], uu[:, 2]
        coast = 0
        if len(reviewers):
            args = (t.home[reviewers], t.hukou[reviewers], t.skill[reviewers], 0.0, None)
            probs, inv, _ = self.class_probs(m, *args)
            self.choices.append((args, probs, inv))
            cdf = np.cumsum(probs, axis=1)
            cdf[:, -1] = 1.0
            dest = ch.sample_rows(cdf, inv, u1)
            origin = t.home[reviewers].copy()
            to_coast = dest == n
            stay_in = ~to_coast
            t.home[reviewers[stay_in]] = dest[stay_in]
            t.work[reviewers[stay_in]] = ch.sample_rows(self._work_cdf, dest[stay_in], u2[stay_in])
            moved = dest != origin
            if moved.any():
                names = m.city_ids + ["coast"]
                m.log_flow_pairs("migration", origin[moved], dest[moved], names, names, tpa)
                inside = moved & stay_in
                cross = inside & (m.prov[origin] != m.prov[np.minimum(dest, n - 1)])
                m.count("cross_province_migration", float(cross.sum() * tpa))
                m.count("talent_migration", float(inside.sum() * tpa))
            coast = int(to_coast.sum())
            m.remove_talent(reviewers[to_coast])
        m.count("talent_to_coast", coast * tpa)
        m.count("migration_out", coast * tpa)
        grads = self._graduates(m)
        entrants = self._entrants(m)
        m.count("talent_entries", (grads + entrants) * tpa)
        m.count("talent_exits", (len(retire) + coast) * tpa)

    def _new_agents(self, m, uid, home, work, hukou, skill, age) -> None:
        t = m.talent
        slots = t.allocate(len(uid))
        t.alive[slots] = True
        t.uid[slots], t.home[slots], t.work[slots], t.hukou[slots] = uid, home, work, hukou
        t.skill[slots], t.age[slots] = skill, age
        spawn(TalentAgent, m, slots.tolist(), m.talent_agents)

    def graduate_hukou(self, m: ModelState, uni, u_kind, u_same, u_any) -> np.ndarray:
        """Hukou of graduates: outside the region, in the university's province, or anywhere in it."""
        tc, n = self.cfg, m.n
        anywhere = ch.pick_by_weight(m.pop0, u_any)
        same = np.empty(len(uni), np.int32)
        for p in np.unique(m.prov):
            members = np.flatnonzero(m.prov == p)
            sel = np.flatnonzero(m.prov[uni] == p)
            same[sel] = members[ch.pick_by_weight(m.pop0[members], u_same[sel])]
        local = tc.graduate_outside_share + tc.graduate_local_share
        return np.where(
            u_kind < tc.graduate_outside_share, n, np.where(u_kind < local, same, anywhere)
        ).astype(np.int32)

    def skill_draw(self, m, purpose: str, uid: np.ndarray) -> np.ndarray:
        sig = self.cfg.skill_sigma
        return np.exp(-0.5 * sig**2 + sig * m.streams.normal(purpose, m.year, uid))

    def _graduates(self, m: ModelState) -> int:
        n, tc, yr, tpa = m.n, self.cfg, m.year, m.talent_per_agent
        expected = m.students * tc.graduation_rate / tpa
        frac = m.streams.uniform("grad.count", yr, np.arange(n))
        k = (np.floor(expected) + (frac < expected - np.floor(expected))).astype(np.int64)
        total = int(k.sum())
        m.city.general -= k * tpa  # graduates were counted as students in the general population
        m.count("graduates", total * tpa)
        if total == 0:
            return 0
        uni = np.repeat(np.arange(n), k).astype(np.int32)
        idx = np.arange(total) - np.repeat(np.cumsum(k) - k, k)
        uid = stable_ids(KIND_GRADUATE, yr, uni, idx)
        uu = m.streams.uniforms("grad.draws", yr, uid, 6)
        hukou = self.graduate_hukou(m, uni, uu[:, 0], uu[:, 1], uu[:, 2])
        skill = self.skill_draw(m, "grad.skill", uid)
        age = (22 + np.floor(uu[:, 3] * 3)).astype(np.int16)
        args = (uni, hukou, skill, tc.graduate_stay_weight, m.mods["graduate_bonus"].copy())
        probs, inv, _ = self.class_probs(m, *args)
        self.choices.append((args, probs, inv))
        cdf = np.cumsum(probs, axis=1)
        cdf[:, -1] = 1.0
        dest = ch.sample_rows(cdf, inv, uu[:, 4])
        stay = dest < n
        m.count("migration_out", float((~stay).sum() * tpa))
        if not stay.any():
            return 0
        home = dest[stay].astype(np.int32)
        work = ch.sample_rows(self._work_cdf, home, uu[stay, 5])
        self._new_agents(m, uid[stay], home, work, hukou[stay], skill[stay], age[stay])
        m.log_flow_pairs("graduate", uni[stay], home, m.city_ids, m.city_ids, tpa)
        return int(stay.sum())

    def _entrants(self, m: ModelState) -> int:
        n, yr, tpa = m.n, m.year, m.talent_per_agent
        if self.pool == 0:
            return 0
        uid = stable_ids(KIND_ENTRANT, yr, np.arange(self.pool))
        uu = m.streams.uniforms("entrant.draws", yr, uid, 3)
        skill = self.skill_draw(m, "entrant.skill", uid)
        sbin = ch.skill_bins(skill, m.skill_edges)
        probs = ch.softmax_rows(self.entrant_utilities(m))
        cdf = np.cumsum(probs, axis=1)
        cdf[:, -1] = 1.0
        dest = ch.sample_rows(cdf, sbin, uu[:, 0])
        inside = dest < n
        k = int(inside.sum())
        m.count("migration_in", k * tpa)
        if k == 0:
            return 0
        home = dest[inside].astype(np.int32)
        work = ch.sample_rows(self._work_cdf, home, uu[inside, 1])
        lo, hi = ENTRANT_AGES
        age = (lo + np.floor(uu[inside, 2] * (hi - lo))).astype(np.int16)
        self._new_agents(m, uid[inside], home, work, np.full(k, n, np.int32), skill[inside], age)
        m.log_flow_pairs("migration", np.zeros(k, int), home, ["coast"], m.city_ids, tpa)
        return k


def _rest_point(fixed, base0, weights, target, q: float) -> tuple[np.ndarray, float]:
    """Amenities (n,) and the coast constant at which the classes' logit choices over
    ``fixed`` + (``base0`` + amenities, constant) bring each city its ``target`` and send a share
    ``q`` to the coast: the contraction amen <- amen + log(target / arrivals) (Berry 1994), with
    the constant set to the coast share's log odds each round.

    The utilities differ from ``fixed`` by a column shift only, so exp(u) = exp(fixed) x c with
    c = exp(column shift): an evaluation is two matrix-vector products, not an exponential of the
    whole (classes x options) table.
    """
    n = len(base0)
    rel = np.exp(fixed - fixed.max(axis=1, keepdims=True))  # (classes, n + 1), each row's max is 1
    amen, const = np.zeros(n), 0.0 if q > 0 else -50.0
    has = target > 0
    log_target = np.log(np.where(has, target, 1.0))
    for _ in range(2000):
        shift = np.r_[base0 + amen, const]
        c = np.exp(shift - shift.max())
        arrivals = c * (rel.T @ (weights / (rel @ c)))
        step = np.where(has, log_target - np.log(np.maximum(arrivals[:n], 1e-300)), 0.0)
        amen = amen + step
        share = arrivals[n] / weights.sum()
        if q > 0:
            const += np.log(q / max(share, 1e-300)) - np.log((1 - q) / max(1 - share, 1e-300))
        if np.max(np.abs(step)) < 1e-11:
            break
    return amen, const
