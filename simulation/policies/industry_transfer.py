"""Industry transfer (产业转移): relocation subsidies into receiving zones, pressure on heavy industry
in core cities, and the pace of firms arriving from the coast.

Stands for: the cluster's plans to take over industry moving inland from the coast into designated
transfer zones (承接产业转移示范区, e.g. the Jingzhou and Xiangnan zones), paid for with land and tax
incentives, and the Yangtze protection rules that move chemical plants away from the river
(no new chemical projects within 1 km of the Yangtze main stem; relocation of riverside plants in
Wuhan, Yichang and elsewhere after 2017).

In the model: a subsidy raises the value of a receiving-zone city in the destination logit of
relocating firms, newborn firms' location choice and coastal arrivals by
relocation_profit_weight * ln(1 + subsidy); the push adds to the log-odds that a heavy firm in a
core city considers moving and lowers the value of staying by the same amount; the coastal inflow
factor scales the yearly number of firms arriving from the coast.

What it costs: the receiving cities' budgets pay the subsidy, ``subsidy`` times the first-year
profit of every firm that sets up in a zone in an eligible sector (moved in, born there, or arrived
from the coast; purpose "industry_transfer_subsidy"). Relocating firms take their share of their
city-sector's capital with them; coastal arrivals bring capital that stays owned on the coast, so
its return leaves the cluster (``simulation.core.capital``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.core.budget import CITY
from simulation.params import SECTORS, P
from simulation.policies import Lever
from simulation.policies.base import LeverSection, SectorList, check_cities

if TYPE_CHECKING:
    from simulation.core.state import ModelState


class IndustryTransferSection(LeverSection):
    """Industry transfer: subsidies into receiving zones, pushing heavy industry out of core cities."""

    receiving_zones: list[str] = P(
        [], "Cities holding designated transfer zones", "city ids", "scenario choice"
    )
    subsidy: float = P(
        0.0,
        "Relocation subsidy into a zone, as a share of a year's profit",
        "share",
        "land/tax packages of transfer zones, often 20-50% of first-year costs",
        ge=0,
        le=10,
    )
    subsidy_sectors: SectorList = P(
        ["heavy", "manufacturing"],
        "Sectors eligible for the subsidy",
        "sectors",
        "transfer-zone catalogues target industry",
    )
    push_cities: list[str] = P(
        [],
        "Core cities pushing heavy industry out (riverside rules, rents)",
        "city ids",
        "Yangtze protection: no chemical plants within 1 km of the river",
    )
    push_strength: float = P(
        0.0,
        "Added log-odds of a heavy firm in a push city considering a move, and loss in the value of staying",
        "-",
        "scenario choice",
        ge=0,
        le=20,
    )
    coastal_inflow_factor: float = P(
        1.0,
        "Multiplier on the yearly number of firms arriving from the coast",
        "-",
        "scenario choice",
        ge=0,
        le=100,
    )


class IndustryTransfer(Lever):
    name = "industry_transfer"

    def __init__(self, model: ModelState, section: IndustryTransferSection) -> None:
        super().__init__(model, section)
        self.zones = check_cities(model, "industry_transfer.receiving_zones", section.receiving_zones)
        self.push = check_cities(model, "industry_transfer.push_cities", section.push_cities)
        self.sectors = [SECTORS.index(s) for s in section.subsidy_sectors]

    def on_year(self, model: ModelState) -> None:
        if not self.active(model):
            return
        s, fc = self.section, model.config.firms
        bonus = fc.relocation_profit_weight * np.log1p(s.subsidy)
        for z in self.zones:
            model.mods["firm_subsidy"][z, self.sectors] += bonus
        for c in self.push:
            model.mods["firm_push"][c, SECTORS.index("heavy")] += s.push_strength
        model.mods["coastal_inflow_factor"] *= s.coastal_inflow_factor

    def after_emissions(self, model: ModelState) -> None:
        self.paid = np.zeros(model.n)
        if not self.active(model) or self.section.subsidy == 0 or not self.zones:
            return
        f = model.firms
        arrived = [a for a in getattr(model.firm_stage, "arrived", []) if len(a)]
        if not arrived:
            return
        slots = np.unique(np.concatenate(arrived))
        slots = slots[f.alive[slots]]
        eligible = np.isin(f.city[slots], self.zones) & np.isin(f.sector[slots], self.sectors)
        s = slots[eligible]
        cost = self.section.subsidy * np.maximum(f.profit[s], 0.0)  # an agent's profit is its firms' total
        self.paid = np.bincount(f.city[s], weights=cost, minlength=model.n)
        idx = np.flatnonzero(self.paid)
        model.budgets.spend(CITY, idx, self.paid[idx], "industry_transfer_subsidy")

    def city_columns(self, model: ModelState) -> dict[str, np.ndarray]:
        return {"transfer_subsidy_paid": getattr(self, "paid", np.zeros(model.n)).copy()}

    def model_columns(self, model: ModelState) -> dict[str, float]:
        f = model.firms
        live = f.living()
        in_zone = np.isin(f.city[live], self.zones) & (f.sector[live] == SECTORS.index("heavy"))
        return {
            "heavy_firms_in_zones": float(in_zone.sum() * model.firms_per_agent),
            "capital_owned_outside": float(model.capital.owned_outside.sum()),
        }
