"""Ecological compensation (生态补偿): a bet between two budgets on the water crossing a boundary,
plus a central top-up, and an upstream that abates because of the stake.

Stands for: horizontal basin compensation on the Xin'anjiang model (新安江, Anhui-Zhejiang, from
2012; first round: 100m yuan a year from each province and 300m from the centre): if the water
crossing the boundary meets the agreed standard the downstream pays the upstream, otherwise the
upstream pays the downstream. The seed essay proposes the same for the Han river and the Poyang
basin ("建立横向生态补偿机制").

In the model: each agreement names upstream and downstream cities. The boundary is the COD
concentration (mg/L) leaving the upstream group's outlet cities: their routed load over their
rivers' discharge. The standard is ``standard`` times its value in the year before the lever starts
(Xin'anjiang used a reference period). Each year, before emissions, the upstream group decides its
effort from last year's firms and loads: the smallest common extra abatement share x of its firms'
water pollution that would meet the standard, if that costs less than what meeting is worth
(``2 * amount``: receiving instead of paying); otherwise no extra effort. Its effort is sewage works
first (a common rise of the upstream cities' sewage collection, at ``environment.sewage_cost`` per
person a year, kept once built), then a common extra abatement share of its firms' water pollution.
The upstream cities' budgets pay both (the firms are compensated for the extra abatement). After
emissions the water test settles the bet: the downstream cities' budgets pay the upstream ones
``amount`` (by GDP shares), or the other way, and the central government pays ``central_topup`` to
the upstream. Every payment is a
ledger entry between real budgets (``simulation.core.budget``), and what a city pays or spends on
net is raised from its firms the next year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, model_validator

from simulation.core.budget import CENTRAL, CITY
from simulation.core.environment import COD, SECONDS_YEAR_L
from simulation.params import P, Section
from simulation.policies import Lever
from simulation.policies.base import LeverSection, check_cities

if TYPE_CHECKING:
    from simulation.core.state import ModelState


class Agreement(Section):
    """One basin agreement."""

    name: str = Field(description="Basin name, e.g. 'Han river'")
    upstream: list[str] = Field(description="Upstream city ids")
    downstream: list[str] = Field(description="Downstream city ids")
    amount: float = Field(ge=0, le=1e4, description="Sum paid either way each year, 100m yuan")
    central_topup: float = Field(
        0.0, ge=0, le=1e4, description="Central payment to the upstream each year, 100m yuan"
    )
    standard: float = Field(
        gt=0, le=100, description="Boundary COD concentration allowed, relative to the reference year"
    )

    @model_validator(mode="after")
    def _sides_apart(self) -> Agreement:
        both = [c for c in self.upstream if c in self.downstream]
        if both:
            raise ValueError(
                f"{both[0]!r} is both upstream and downstream (allowed: each city on one side only)"
            )
        return self


class EcoCompensationSection(LeverSection):
    """Ecological compensation: a water-quality bet between budgets; the upstream abates for the stake."""

    agreements: list[Agreement] = P(
        [],
        "Basin agreements (tables with name, upstream, downstream, amount, central_topup, standard)",
        "-",
        "Xin'anjiang pilot: 100m yuan each side + 300m central per year (2012-2014)",
    )
    max_extra_abatement: float = P(
        0.8, "Largest extra abatement share the upstream can order", "share", "technical limit", ge=0, le=1
    )


class EcoCompensation(Lever):
    name = "eco_compensation"

    def __init__(self, model: ModelState, section: EcoCompensationSection) -> None:
        super().__init__(model, section)
        self.groups = []
        for k, a in enumerate(section.agreements):
            up = check_cities(model, f"eco_compensation.agreements[{k}].upstream", a.upstream)
            down = check_cities(model, f"eco_compensation.agreements[{k}].downstream", a.downstream)
            self.groups.append((np.array(up), np.array(down), a))
        g = len(self.groups)
        self.net_received = np.zeros(model.n)  # payments this year (+ received, - paid), 100m yuan
        self.abatement_paid = np.zeros(model.n)
        self.boundary, self.reference = np.full(g, np.nan), np.full(g, np.nan)
        self.effort, self.met = np.zeros(g), np.zeros(g, bool)
        self.built = np.zeros(model.n)  # sewage collection share the upstream has built up to

    # ------------------------------------------------------------------ the boundary
    @staticmethod
    def outlets(env, up: np.ndarray) -> list[int]:
        return [int(u) for u in up if not set(env.downstream[u]) & set(up.tolist())]

    def concentration(self, env, up: np.ndarray, own: np.ndarray) -> float:
        """COD (mg/L) leaving the group's outlets when the cities emit ``own`` (t/yr)."""
        out = self.outlets(env, up)
        load = env.route(own, COD)[out].sum()
        return float(load / (SECONDS_YEAR_L * env.discharge[out].sum()))

    # ------------------------------------------------------------------ hooks
    def before_emissions(self, model: ModelState) -> None:
        if not self.active(model) or not hasattr(model.env, "last"):
            return
        for g, (up, _down, a) in enumerate(self.groups):
            self.effort[g] = self._decide(model, g, up, a)
            extra = model.mods["abatement_extra"]
            extra[up] = np.maximum(extra[up], self.effort[g])
        col = model.mods["sewage_collection"]
        np.maximum(col, self.built, out=col)

    def _decide(self, model: ModelState, g: int, up: np.ndarray, a: Agreement) -> float:
        """The upstream's effort: sewage works first, then firms' extra abatement, if worth the stake."""
        env, s = model.env, self.section
        target = a.standard * self.reference[g]
        own = env.emissions[COD].copy()  # last year's COD by city, all sources
        now = self.concentration(env, up, own)
        if not now > target:
            return 0.0
        # sewage: a common rise of collection in the upstream cities (each up to the most it can reach)
        have = np.maximum(env.collection, self.built)
        room = np.zeros(model.n)
        room[up] = np.maximum(env.cfg.sewage_collection_max - have[up], 0.0)
        per_person = env.life[COD] * env.cfg.removal_cod * model.city.population
        full = self.concentration(env, up, own - room * per_person)
        share = 1.0 if full > target else (now - target) / max(now - full, 1e-300)
        built = have + share * room
        cost = float((env.sewage_cost(model, built) - env.sewage_cost(model, have)).sum())
        now_after = self.concentration(env, up, own - share * room * per_person)
        x = 0.0
        if now_after > target:  # firms next: a common extra share of their water pollution
            firm = np.zeros(model.n)
            firm[up] = env.firm_water_load(model)[up]
            per_unit = now_after - self.concentration(env, up, own - share * room * per_person - firm)
            if per_unit <= 0 or (now_after - target) / per_unit > s.max_extra_abatement:
                return 0.0  # cannot be met: no point in spending
            x = (now_after - target) / per_unit
            cost += env.extra_cost(up, x)
        if cost > 2 * a.amount:  # meeting is worth receiving instead of paying
            return 0.0
        self.built[up] = built[up]
        return x

    def after_emissions(self, model: ModelState) -> None:
        env = model.env
        self.net_received = np.zeros(model.n)
        self.abatement_paid = np.zeros(model.n)
        if not self.section.enabled:
            return
        for g, (up, _down, _a) in enumerate(self.groups):
            self.boundary[g] = self.concentration(env, up, env.emissions[COD])
            if model.year == self.section.start_year - 1:
                self.reference[g] = self.boundary[g]
        if not self.active(model):
            return
        b = model.budgets
        bought = np.zeros(model.n)
        final = model.mods["abatement_extra"]
        for g, (up, _down, _a) in enumerate(self.groups):
            for c in up:  # its own part of what was bought there (another lever may buy more)
                whole = env.extra_cost(np.array([c]), final[c])
                own = env.extra_cost(np.array([c]), min(self.effort[g], final[c]))
                bought[c] = env.bought[c] * (own / whole if whole > 0 else 0.0)
        b.spend(CITY, np.flatnonzero(bought), bought[bought > 0], "eco_compensation_abatement")
        works = env.sewage_cost(model, np.maximum(env.collection, self.built))
        b.spend(CITY, np.flatnonzero(works), works[works > 0], "eco_compensation_sewage")
        self.abatement_paid = bought + works
        gdp = model.city.gdp
        for g, (up, down, a) in enumerate(self.groups):
            self.met[g] = self.boundary[g] <= a.standard * self.reference[g]
            sign = 1.0 if self.met[g] else -1.0  # + : downstream pays upstream
            w_up, w_down = gdp[up] / gdp[up].sum(), gdp[down] / gdp[down].sum()
            for d, wd in zip(down, w_down, strict=True):
                for u, wu in zip(up, w_up, strict=True):
                    b.transfer("eco_compensation", CITY, d, CITY, u, sign * a.amount * wd * wu)
            for u, wu in zip(up, w_up, strict=True):
                b.transfer("eco_compensation_topup", CENTRAL, 0, CITY, u, a.central_topup * wu)
            self.net_received[up] += sign * a.amount * w_up + a.central_topup * w_up
            self.net_received[down] -= sign * a.amount * w_down

    def city_columns(self, model: ModelState) -> dict[str, np.ndarray]:
        return {
            "eco_payment_received": self.net_received.copy(),
            "eco_abatement_paid": self.abatement_paid.copy(),
        }

    def model_columns(self, model: ModelState) -> dict[str, float]:
        on = self.active(model)
        out = {}
        for g, (_u, _d, a) in enumerate(self.groups):
            key = "".join(ch if ch.isalnum() else "_" for ch in a.name.lower())
            out[f"eco_{key}_boundary_cod"] = float(self.boundary[g])
            out[f"eco_{key}_met"] = float(self.met[g]) if on else 0.0
            out[f"eco_{key}_effort"] = float(self.effort[g]) if on else 0.0
        return out
