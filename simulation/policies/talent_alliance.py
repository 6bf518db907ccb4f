"""Talent alliance (人才联盟): mutual recognition of qualifications, hukou and public-service
portability, a shared talent pool and graduate-retention subsidies among member provinces.

Stands for: the three provinces' agreements on talent cooperation in the Middle Yangtze cluster
(mutual recognition of professional titles and qualifications, portable social insurance, joint
talent markets) and city schemes that keep graduates (e.g. Wuhan's "million graduates stay" policy).

In the model: the provincial-border cost of moving between member provinces falls by
border_cost_cut; the hukou costs of living in a member province with a hukou from another member
province fall by hukou_cost_cut; graduates of member cities get retention_bonus utility for any
member city (less pull of the coast); and productivity in member cities rises with the talent
stock of the whole alliance as (talent / base-year talent) ** pool_spillover.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.params import P
from simulation.policies import Lever
from simulation.policies.base import LeverSection, check_provinces

if TYPE_CHECKING:
    from simulation.model import MiddleYangtzeModel


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
        "Elasticity of member cities' productivity to the alliance's total talent",
        "-",
        "knowledge spillovers; Moretti (2004) 0.05-0.1 for college share",
        ge=0,
        le=1,
    )


class TalentAlliance(Lever):
    name = "talent_alliance"

    def __init__(self, model: MiddleYangtzeModel, section: TalentAllianceSection) -> None:
        super().__init__(model, section)
        # the default members are the real cluster's provinces: check them only when switched on
        members = (
            section.provinces if section.enabled else [p for p in section.provinces if p in model.provinces]
        )
        self.members = check_provinces(model, "talent_alliance.provinces", members)
        self.member_city = np.isin(model.prov, self.members)
        self.talent0: float | None = None

    def on_year(self, model: MiddleYangtzeModel) -> None:
        if self.talent0 is None:
            self.talent0 = float(model.city.talent[self.member_city].sum())
        if not self.active(model):
            return
        s, m = self.section, self.members
        mods = model.mods
        idx = np.ix_(m, m)
        mods["border_factor"][idx] *= 1 - s.border_cost_cut
        mods["hukou_city_factor"][idx] *= 1 - s.hukou_cost_cut
        mods["hukou_province_factor"][idx] *= 1 - s.hukou_cost_cut
        mods["graduate_bonus"][self.member_city] += s.retention_bonus
        if s.pool_spillover > 0 and self.talent0:
            pool = float(model.city.talent[self.member_city].sum()) / self.talent0
            mods["talent_pool_tfp"][self.member_city] *= pool**s.pool_spillover
