"""Ecological compensation (生态补偿): upstream-downstream payments decided by water quality at the
boundary, plus a central top-up, spent on upstream abatement.

Stands for: horizontal basin compensation on the Xin'anjiang model (Anhui-Zhejiang, from 2012):
each side puts up a fixed sum; if the water crossing the boundary meets the agreed standard the
downstream province pays the upstream one, otherwise the upstream pays the downstream; the central
government adds a top-up to the upstream. The seed essay proposes the same for the Han river and
the Poyang basin.

In the model: each agreement names upstream and downstream cities. Every year the boundary water
index is the load leaving the upstream group (after routing) over the catchment it drains,
relative to the base-year median city. At or below ``standard`` times its value in the year before
the lever starts (the reference period, as Xin'anjiang used its 2008-2010 average) the downstream group pays
``amount`` to the upstream group, above it the upstream pays the downstream. The upstream group's
net receipts plus the central top-up buy extra abatement of industrial COD in the upstream cities
the next year, at ``cost_per_tonne``, shared by their industrial loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from simulation.params import P, Section
from simulation.policies import Lever
from simulation.policies.base import LeverSection, check_cities

if TYPE_CHECKING:
    from simulation.model import MiddleYangtzeModel


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
        gt=0, le=100, description="Boundary water index at or below which the standard is met"
    )


class EcoCompensationSection(LeverSection):
    """Ecological compensation: payments follow boundary water quality; funds buy abatement."""

    agreements: list[Agreement] = P(
        [],
        "Basin agreements (tables with name, upstream, downstream, amount, central_topup, standard)",
        "-",
        "Xin'anjiang pilot: 100m yuan each side + 300m central per year (2012-2014)",
    )
    cost_per_tonne: float = P(
        15000.0,
        "Cost of abating one tonne of industrial COD",
        "yuan/t",
        "Chinese COD abatement costs ~5,000-30,000 yuan/t",
        gt=0,
        le=1e7,
    )
    max_extra_abatement: float = P(
        0.8, "Most of a city's industrial COD the funds can abate", "share", "technical limit", ge=0, le=1
    )


class EcoCompensation(Lever):
    name = "eco_compensation"

    def __init__(self, model: MiddleYangtzeModel, section: EcoCompensationSection) -> None:
        super().__init__(model, section)
        self.groups = []
        for k, a in enumerate(section.agreements):
            up = check_cities(model, f"eco_compensation.agreements[{k}].upstream", a.upstream)
            down = check_cities(model, f"eco_compensation.agreements[{k}].downstream", a.downstream)
            self.groups.append((np.array(up), np.array(down), a))
        n = model.n
        self.funds = np.zeros(n)  # 100m yuan available for abatement next year
        self.net_received = np.zeros(n)  # payments this year (+ received, - paid)
        self.boundary = np.full(len(self.groups), np.nan)
        self.reference = np.full(len(self.groups), np.nan)
        self.met = np.zeros(len(self.groups), bool)

    def before_emissions(self, model: MiddleYangtzeModel) -> None:
        if not self.active(model) or not self.funds.any():
            return
        s = self.section
        f = model.firms
        live = f.living()
        industrial = np.bincount(
            f.city[live], weights=f.output[live] * model.intensity_water[f.sector[live]], minlength=model.n
        )
        tonnes = np.maximum(self.funds, 0) * 1e8 / s.cost_per_tonne
        share = np.divide(tonnes, industrial, out=np.zeros(model.n), where=industrial > 0)
        model.mods["abatement_extra"] = np.maximum(
            model.mods["abatement_extra"], np.minimum(share, s.max_extra_abatement)
        )

    def after_emissions(self, model: MiddleYangtzeModel) -> None:
        self.net_received = np.zeros(model.n)
        self.funds = np.zeros(model.n)
        if not self.section.enabled:
            return
        env = model.env
        for g, (up, _down, _a) in enumerate(self.groups):
            # the boundary: what leaves the upstream group's outlets, over the area it drains
            outlets = [u for u in up if not set(env.downstream[u]) & set(up)]
            load = sum((1 - env.decay) * env.load[u] for u in outlets)
            area = sum(env.catchment[u] for u in outlets)
            self.boundary[g] = (load / area) / env.conc_ref
            if model.year == self.section.start_year - 1:
                self.reference[g] = self.boundary[g]
        if not self.active(model):
            return
        for g, (up, down, a) in enumerate(self.groups):
            self.met[g] = self.boundary[g] <= a.standard * self.reference[g]
            sign = 1.0 if self.met[g] else -1.0
            w_up = model.city.gdp[up] / model.city.gdp[up].sum()
            w_down = model.city.gdp[down] / model.city.gdp[down].sum()
            self.net_received[up] += sign * a.amount * w_up
            self.net_received[down] -= sign * a.amount * w_down
            self.funds[up] += np.maximum(sign * a.amount * w_up, 0) + a.central_topup * w_up

    def city_columns(self, model: MiddleYangtzeModel) -> dict[str, np.ndarray]:
        return {"eco_payment_received": self.net_received.copy()}

    def model_columns(self, model: MiddleYangtzeModel) -> dict[str, float]:
        out: dict[str, float] = {}
        for g, (_up, _down, a) in enumerate(self.groups):
            key = a.name.lower().replace(" ", "_")
            out[f"eco_{key}_boundary_index"] = (
                float(self.boundary[g]) if np.isfinite(self.boundary[g]) else 0.0
            )
            out[f"eco_{key}_standard_met"] = float(self.met[g])
        return out
