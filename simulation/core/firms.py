"""Firm demography and location: productivity shocks, exit, free entry, coastal arrivals, relocation.

Hopenhayn-style demography over the firm table. A firm earns the operating surplus of its share of
its city-sector, margin_ck * q_f with margin_ck = (1 - eta) x value added / sum q, and pays its own
fixed cost F_f (in general-labour years of its city, so it grows with local wages). It exits when
profit turns negative, or by an exogenous death shock. Each year a fixed pool of potential entrants
per sector either enters a city-sector, by a logit (Gumbel-max) on the expected profit of an average
entrant there relative to the base year, or stays out; entrants then draw their own productivity
and fixed cost. The fixed-cost scale is set so that an unselected draw (an entrant's) loses money
next year with the target probability; the base-year firms are survivors (their fixed costs are
drawn given that they cover them in 2019), and the base year is a rest point of the demography
(expected entry = their expected exit in every city-sector), so year 1 has no one-off wave of
exits; later, counts follow profits, so a cost shock shrinks a sector. Relocation is two-stage
(consider moving; then a logit over destinations net of distance costs plus subsidies, for industry
only where free construction land is left).
Every draw comes from a stream keyed by the firm's identity (``simulation.core.streams``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr, ndtri

from simulation.core.firmtable import logistic, logit
from simulation.core.streams import stable_ids

if TYPE_CHECKING:
    from simulation.core.state import ModelState

HEAVY, MANUF, HIGHTECH, SERVICES = range(4)
KIND_INITIAL, KIND_ENTRANT, KIND_COASTAL = 11, 12, 13


def gumbel_pick(u: np.ndarray, rows: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Logit choice by Gumbel-max: option argmax_j u[row, j] + e_j with e_j = -log(-log U_j) from each
    chooser's own uniforms (one per option). Same choice probabilities as the logit of ``u``; with
    per-agent keyed uniforms a change in one option's utility only moves choosers to or from that
    option, which keeps paired (common-random-number) comparisons tight."""
    if len(rows) == 0:
        return np.zeros(0, np.int32)
    return np.argmax(u[rows] - np.log(-np.log(uniforms)), axis=1).astype(np.int32)


class FirmStage:
    """Owns the firms' yearly step; the firm table itself is ``model.firms``."""

    def __init__(self, model: ModelState) -> None:
        self.cfg = model.config.firms
        self.entry_const = np.zeros((model.n, 4))
        self.pool = np.zeros(4, np.int64)
        self.profit0 = np.ones((model.n, 4))

    # ------------------------------------------------------------------ year 0
    def calibrate(self, m: ModelState) -> None:
        """Fixed-cost scale per sector so that the expected exit rate of an unselected draw (what an
        entrant faces) is the target; the base-year firms' own fixed costs drawn given that they
        cover them in 2019 (they are survivors); entry constants so that expected entry equals
        the base-year firms' expected exit in every city-sector."""
        fc, f = self.cfg, m.firms
        live = f.living()
        sec, city = f.sector[live], f.city[live]
        margin, wage = self.margins(m), m.city.wage_general / 1e8
        q_next = np.exp(self._rho() * f.logq[live])  # median next-year capacity
        u = m.streams.uniform("firm.fixed_cost", m.year, f.uid[live])
        rev_next = margin[city, sec] * q_next / wage[city]
        self.fixed_scale = self._fixed_scales(sec, rev_next, ndtri(u) * fc.fixed_cost_sigma)
        rev_now = margin[city, sec] * np.exp(f.logq[live]) / wage[city]
        z = self._survivor_z(u, rev_now, np.log(self.fixed_scale[sec]))
        f.fixed_cost[live] = self.fixed_scale[sec] * np.exp(z)
        p_neg = self._p_negative(rev_next, f.fixed_cost[live], self._shock_sd())
        p_exit = fc.death_rate + (1 - fc.death_rate) * p_neg
        exits = np.bincount(city * 4 + sec, weights=p_exit, minlength=m.n * 4).reshape(m.n, 4)
        base = np.bincount(sec, minlength=4)
        self.pool = np.ceil(2.0 * exits.sum(axis=0)).astype(np.int64) + (base > 0)
        self.entry_const = np.log(np.maximum(exits, 1e-3) / (self.pool - exits.sum(axis=0))[None, :])
        self.profit0 = self.entrant_profit(m)

    def _fixed_scales(self, sec: np.ndarray, rev_next: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Per sector, S_k with mean P(margin q' < S_k exp(z)) = exit_rate - death_rate (bisection
        on log S_k), ``z`` = sigma_F x the firms' unselected normal draws."""
        target = max(self.cfg.exit_rate - self.cfg.death_rate, 1e-6)
        sd = self._shock_sd()
        scale = np.zeros(4)
        for k in range(4):
            sel = sec == k
            if not sel.any():
                continue
            lo, hi = -30.0, 30.0
            for _ in range(100):
                mid = 0.5 * (lo + hi)
                p = self._p_negative(rev_next[sel], np.exp(mid + z[sel]), sd).mean()
                lo, hi = (mid, hi) if p < target else (lo, mid)
            scale[k] = np.exp(0.5 * (lo + hi))
        return scale

    def _survivor_z(self, u: np.ndarray, rev_now: np.ndarray, log_scale: float) -> np.ndarray:
        """sigma_F x z of base-year firms: their log fixed cost drawn from its distribution given
        that the firm covers it today (F <= margin x q), by inverse CDF from each firm's own uniform.
        The base-year firms are survivors, as in the data: an unselected draw would put firms that
        already lose money into 2019 and make year 1's exits a one-off wave."""
        sig = self.cfg.fixed_cost_sigma
        if sig == 0:
            return np.zeros_like(u)
        top = ndtr((np.log(np.maximum(rev_now, 1e-300)) - log_scale) / sig)
        return sig * ndtri(np.clip(u * top, 1e-300, 1.0 - 1e-16))

    def _rho(self) -> float:
        sig = self.cfg.capacity_sigma
        return float(np.sqrt(1 - (self._shock_sd() / sig) ** 2)) if sig > 0 else 0.0

    def _shock_sd(self) -> float:
        return min(self.cfg.capacity_shock_sd, self.cfg.capacity_sigma)

    @staticmethod
    def _p_negative(rev_over_wage, fixed, sd) -> np.ndarray:
        """P(margin * q' < F) when log q' is normal around its median with sd ``sd``."""
        x = np.log(np.maximum(fixed, 1e-300) / np.maximum(rev_over_wage, 1e-300))
        return ndtr(x / sd) if sd > 0 else (x > 0).astype(float)

    # ------------------------------------------------------------------ values
    def margins(self, m: ModelState) -> np.ndarray:
        """Operating surplus per unit of capacity weight by (city, sector), 100m yuan."""
        q = m.firms.capacity_sums(m.n, 4)
        prof = m.year_result.profits
        avg = np.divide(prof, q, out=np.full_like(q, np.nan), where=q > 0)
        ok = np.isfinite(avg)
        if ok.all():
            return avg
        # a sector's median over the cities that have it (np.nanmedian per column, without its
        # masked-array path for small arrays); NaN where no city has the sector
        cols = zip(avg.T, ok.T, strict=True)
        fallback = np.array([np.median(c[k]) if k.any() else np.nan for c, k in cols])
        return np.where(ok, avg, fallback[None, :])

    def entrant_profit(self, m: ModelState) -> np.ndarray:
        """Expected profit of an average entrant by (city, sector) in general-labour years of its
        city (so that nominal growth alone does not draw entry), floored at a tiny positive."""
        fc = self.cfg
        eq = np.exp(0.5 * fc.capacity_sigma**2)
        ef = self.fixed_scale * np.exp(0.5 * fc.fixed_cost_sigma**2)
        v = self.margins(m) * eq / (m.city.wage_general / 1e8)[:, None] - ef[None, :]
        return np.maximum(v, 1e-9 * np.abs(v).max())

    def location_values(self, m: ModelState) -> np.ndarray:
        """Log profitability of a unit of capacity by (city, sector); -inf where no land is free."""
        v = np.log(np.maximum(self.margins(m), 1e-300))
        v[m.land_full(), :SERVICES] = -np.inf
        return v

    # ------------------------------------------------------------------ the year
    def step(self, m: ModelState) -> None:
        f, yr = m.firms, m.year
        live = f.living()
        sd, rho = self._shock_sd(), self._rho()
        f.logq[live] = rho * f.logq[live] + sd * m.streams.normal("firm.shock", yr, f.uid[live])
        f.age[live] += 1
        self.arrived: list[np.ndarray] = []  # slots of firms that set up in a new city this year
        self._exit(m, live)
        self._enter(m)
        self._coastal(m)
        self._relocate(m)

    def _exit(self, m: ModelState, live: np.ndarray) -> None:
        f, fc = m.firms, self.cfg
        sec, city = f.sector[live], f.city[live]
        q = m.firms.capacity_sums(m.n, 4)
        margin = self.margins(m)
        profit = (
            margin[city, sec] * np.exp(f.logq[live]) - f.fixed_cost[live] * m.city.wage_general[city] / 1e8
        )
        f.profit[live] = profit
        dead = m.streams.uniform("firm.death", m.year, f.uid[live]) < fc.death_rate
        out = (profit < 0) | dead
        slots = live[out]
        share = np.exp(f.logq[slots]) / np.maximum(q[f.city[slots], f.sector[slots]], 1e-300)
        m.capital.scrap(f.city[slots], f.sector[slots], share)
        m.remove_firms(slots)
        m.count("firm_exits", len(slots) * m.firms_per_agent, by_city=f.city[slots] if len(slots) else None)

    def _enter(self, m: ModelState) -> None:
        fc, n = self.cfg, m.n
        ratio = self.entrant_profit(m) / self.profit0
        u = fc.entry_elasticity * np.log(ratio) + self.entry_const + m.mods["firm_subsidy"]
        u[m.land_full(), :SERVICES] = -np.inf
        dest, sec, uid = [], [], []
        for k in range(4):
            if self.pool[k] == 0:
                continue
            ids = stable_ids(KIND_ENTRANT, m.year, k, np.arange(self.pool[k]))
            opts = np.r_[u[:, k], 0.0][None, :]  # last option: stay out
            draws = m.streams.uniforms("firm.entry", m.year, ids, n + 1)
            choice = gumbel_pick(opts, np.zeros(len(ids), np.int64), draws)
            inside = choice < n
            dest.append(choice[inside])
            sec.append(np.full(int(inside.sum()), k))
            uid.append(ids[inside])
        self.arrived.append(
            m.add_firms(np.concatenate(dest), np.concatenate(sec), np.concatenate(uid), kind="birth")
        )

    def _coastal(self, m: ModelState) -> None:
        fc, n = self.cfg, m.n
        expected = fc.coastal_inflow * m.mods["coastal_inflow_factor"] / m.firms_per_agent
        base = int(np.floor(expected))
        frac = m.streams.uniform("firm.coastal_count", m.year, np.zeros(1, np.uint64))[0]
        n_in = base + int(frac < expected - base)
        m.count("coastal_arrivals", n_in * m.firms_per_agent)
        if n_in == 0:
            return
        ids = stable_ids(KIND_COASTAL, m.year, np.arange(n_in))
        uu = m.streams.uniforms("firm.coastal", m.year, ids, 1 + n)
        sec_in = np.where(uu[:, 0] < fc.coastal_inflow_heavy_share, HEAVY, MANUF)
        v = self.location_values(m)
        u = (
            fc.relocation_profit_weight * v[:, [HEAVY, MANUF]]
            - fc.coast_distance_weight * (m.coast_km / 100.0)[:, None]
            + m.mods["firm_subsidy"][:, [HEAVY, MANUF]]
        ).T
        dest = gumbel_pick(u, (sec_in == MANUF).astype(int), uu[:, 1:])
        slots = m.add_firms(dest, sec_in, ids, kind="coastal")
        self.arrived.append(slots)
        # each arrival brings the capital of a typical firm of its size in its sector
        k_per_q = m.capital.stock.sum(axis=0) / np.maximum(m.firms.capacity_sums(n, 4).sum(axis=0), 1e-300)
        m.capital.arrive(dest, sec_in, k_per_q[sec_in] * np.exp(m.firms.logq[slots]))
        m.log_flow_pairs(
            "relocation", np.zeros(len(dest), int), dest, ["coast"], m.city_ids, m.firms_per_agent
        )

    def _relocate(self, m: ModelState) -> None:
        fc, f, n = self.cfg, m.firms, m.n
        live = f.living()
        sec, city, lq = f.sector[live], f.city[live], f.logq[live]
        mean_lq = np.bincount(sec, weights=lq, minlength=4) / np.maximum(np.bincount(sec, minlength=4), 1)
        x = (
            logit(fc.consider_move_rate)
            - fc.consider_size_elasticity * (lq - mean_lq[sec])
            - fc.consider_age_per_decade * f.age[live] / 10.0
            + m.mods["firm_push"][city, sec]
        )
        consider = m.streams.uniform("firm.relocate", m.year, f.uid[live])
        movers = np.flatnonzero(consider < logistic(x))
        moved = 0
        if len(movers):
            v = self.location_values(m)
            o, k = city[movers], sec[movers]
            uniq, inv = np.unique(o * 4 + k, return_inverse=True)
            go, gk = uniq // 4, uniq % 4
            rows = np.arange(len(uniq))
            u = (
                fc.relocation_profit_weight * v[:, gk].T
                - fc.relocation_cost_per_100km * m.km[go] / 100.0
                - fc.relocation_fixed_cost * (np.arange(n)[None, :] != go[:, None])
                + m.mods["firm_subsidy"][:, gk].T
            )
            stay = u[rows, go]  # staying needs no new land; pushed firms value staying less
            u[rows, go] = np.where(np.isfinite(stay), stay, fc.relocation_profit_weight * np.log(1e-300))
            u[rows, go] -= m.mods["firm_push"][go, gk]
            draws = m.streams.uniforms("firm.destination", m.year, f.uid[live][movers], n)
            dest = gumbel_pick(u, inv, draws)
            change = dest != o
            if change.any():
                slots = live[movers][change]
                q = f.capacity_sums(n, 4)
                share = np.exp(f.logq[slots]) / np.maximum(q[o[change], k[change]], 1e-300)
                m.capital.move(o[change], dest[change], k[change], share)
                f.city[slots] = dest[change]
                self.arrived.append(slots)
                moved = int(change.sum())
                m.log_flow_pairs(
                    "relocation", o[change], dest[change], m.city_ids, m.city_ids, m.firms_per_agent
                )
        m.count("relocations", moved * m.firms_per_agent)
