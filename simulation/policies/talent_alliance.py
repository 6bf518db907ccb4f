"""Talent alliance (人才联盟): mutual recognition of qualifications, hukou and public-service
portability, a shared talent pool and graduate-retention subsidies among member provinces.

Stands for: the three provinces' agreements on talent cooperation in the Middle Yangtze cluster
(mutual recognition of professional titles and qualifications, portable social insurance, joint
talent markets) and city schemes that keep graduates (e.g. Wuhan's "million graduates stay" policy).

In the model: the provincial-border cost of moving between member provinces falls by
border_cost_cut; the hukou costs of living in a member province with a hukou from another member
province fall by hukou_cost_cut; graduates of member cities get retention_bonus utility for any
member city (less pull of the coast); and a shared talent pool raises productivity in member
cities, but only on the talent the alliance itself brought or kept there.

The pool spillover. Each year the lever asks, for every talent location choice the year made
(reviews and graduates), how likely the chooser was to pick a member city with the alliance's rules
and without them (the same utilities with the border, hukou and retention terms undone): the
difference, summed over choosers, is the expected number of persons in member cities the alliance
added that year. Those persons accumulate into a stock A (less the share of talent that retires or
leaves each year), and member cities' productivity is multiplied by (T / (T - A)) ** pool_spillover,
with T the members' talent: the productivity of the alliance's own talent gain at the elasticity
``pool_spillover``. The baseline's talent growth never enters, so with no border, hukou or
retention change there is no spillover at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.params import P
from simulation.policies import Lever
from simulation.policies.base import LeverSection, check_provinces

if TYPE_CHECKING:
    from simulation.core.state import ModelState


class TalentAllianceSection(LeverSection):
    """Talent alliance: lower border and hukou costs between member provinces, a shared pool."""

    provinces: list[str] = P(
        ["hubei", "hunan", "jiangxi"],
        "Member provinces",
        "province ids",
        "three-province cooperation agreements",
    )
    border_cost_cut: float = P(
        0.0,
        "Share of the provincial-border migration cost removed between members",
        "share",
        "mutual recognition of qualifications",
        ge=0,
        le=1,
    )
    hukou_cost_cut: float = P(
        0.0,
        "Share of hukou costs removed for member-province hukou holders living in member cities",
        "share",
        "portable social insurance and school access",
        ge=0,
        le=1,
    )
    retention_bonus: float = P(
        0.0,
        "Utility bonus for graduates choosing a member city",
        "utils",
        "graduate housing and cash subsidies",
        ge=0,
        le=20,
    )
    pool_spillover: float = P(
        0.0,
        "Elasticity of member cities' productivity to the talent the alliance itself added",
        "-",
        "knowledge spillovers; Moretti (2004) 0.05-0.1 for college share",
        ge=0,
        le=1,
    )


class TalentAlliance(Lever):
    name = "talent_alliance"

    def __init__(self, model: ModelState, section: TalentAllianceSection) -> None:
        super().__init__(model, section)
        # the default members are the real cluster's provinces: check them only when switched on
        members = (
            section.provinces if section.enabled else [p for p in section.provinces if p in model.provinces]
        )
        self.members = check_provinces(model, "talent_alliance.provinces", members)
        self.member_city = np.isin(model.prov, self.members)
        self.added = 0.0  # talent persons in member cities the alliance brought or kept (stock)
        self.added_year = 0.0

    def _factors(self, model: ModelState) -> dict[str, np.ndarray]:
        """The alliance's own multipliers of the choice terms (neutral outside the member block)."""
        s, m, n_prov = self.section, self.members, len(model.provinces)
        idx = np.ix_(m, m)
        border = np.ones((n_prov, n_prov))
        border[idx] = 1 - s.border_cost_cut
        hukou = np.ones((n_prov + 1, n_prov))
        hukou[idx] = 1 - s.hukou_cost_cut
        return {"border_factor": border, "hukou_city_factor": hukou, "hukou_province_factor": hukou}

    def on_year(self, model: ModelState) -> None:
        if not self.active(model):
            return
        s, mods = self.section, model.mods
        for key, f in self._factors(model).items():
            mods[key] *= f
        mods["graduate_bonus"][self.member_city] += s.retention_bonus
        talent = float(model.city.talent[self.member_city].sum())
        if s.pool_spillover > 0 and talent > self.added > 0:
            mods["talent_pool_tfp"][self.member_city] *= (talent / (talent - self.added)) ** s.pool_spillover

    def before_production(self, model: ModelState) -> None:
        """Count the talent the alliance added this year: member-city choice mass with - without it."""
        if not self.active(model) or self.section.pool_spillover == 0:
            return
        stage, mods = model.talent_stage, model.mods
        saved = {k: mods[k].copy() for k in ("border_factor", "hukou_city_factor", "hukou_province_factor")}
        for key, f in self._factors(model).items():
            mods[key] = np.divide(mods[key], f, out=np.ones_like(f), where=f > 0)
        gain = 0.0
        try:
            for (origin, hukou, skill, stay, extra), probs, inv in stage.choices:
                if extra is not None:
                    extra = extra.copy()
                    extra[self.member_city] -= self.section.retention_bonus
                without, _, _ = stage.class_probs(model, origin, hukou, skill, stay, extra)
                w = np.bincount(inv, minlength=len(probs)).astype(float)
                members = self.member_city
                gain += float(
                    w @ (probs[:, :-1][:, members].sum(axis=1) - without[:, :-1][:, members].sum(axis=1))
                )
        finally:
            mods.update(saved)
        tpa = model.talent_per_agent
        talent = float(model.city.talent.sum())
        exits = model.year_counts.get("talent_exits", 0.0)
        kept = 1.0 - min(exits / talent, 1.0) if talent > 0 else 0.0
        # rounded to a thousandth of a person: the per-agent reference sums the same probabilities
        # in another order, and the last bits must not decide anything
        self.added_year = round(gain * tpa, 3)
        self.added = max(self.added * kept + self.added_year, 0.0)

    def model_columns(self, model: ModelState) -> dict[str, float]:
        on = self.active(model)
        return {
            "alliance_talent_added": self.added if on else 0.0,
            "alliance_talent_added_year": self.added_year if on else 0.0,
        }
