"""Emission cap and trade (排污权交易): a cap path over a scope, permits cleared at a price, firms
abating up to that price.

Stands for: the provincial pilots in paid use and trading of emission rights (Hubei and Hunan
among the 2007 pilots; SO2 and COD permits), and the seed essay's call to use emission trading to
cap the cluster's pollution.

In the model: in each scope (the whole cluster, or each province) the cap is ``cap_start`` times the
scope's emissions of the pollutant in the year before the lever starts, falling by ``cap_decline``
a year. A firm's marginal abatement cost is mac_scale * a / (1 - a) yuan per tonne at abatement
share a, so at permit price p it abates a = p / (p + mac_scale); the price clears the market:
p = mac_scale * (E / cap - 1) when unabated emissions E exceed the cap, else 0 — so emissions equal
the cap whenever it binds. Abatement costs lower profits (and so feed exit and relocation);
permits are grandfathered, so permit payments net out within a scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from simulation.params import P
from simulation.policies import Lever
from simulation.policies.base import LeverSection

if TYPE_CHECKING:
    from simulation.model import MiddleYangtzeModel


class EmissionTradingSection(LeverSection):
    """Emission cap and trade: a cap path, a clearing permit price, abatement up to the price."""

    scope: Literal["cluster", "province"] = P(
        "cluster",
        "Market scope: one market for the cluster, or one per province",
        "-",
        "provincial pilots vs a cluster market",
    )
    pollutant: Literal["air", "water"] = P(
        "air",
        "Pollutant capped: air (SO2-eq) or water (COD)",
        "-",
        "SO2 and COD are the traded pollutants in the pilots",
    )
    cap_start: float = P(
        1.0,
        "Cap in the start year, as a share of the scope's emissions the year before",
        "share",
        "scenario choice",
        gt=0,
        le=2,
    )
    cap_decline: float = P(
        0.03,
        "Yearly fall of the cap, as a share of the starting cap",
        "1/yr",
        "five-year-plan reduction targets ~2-3%/yr",
        ge=0,
        le=0.2,
    )
    mac_scale: float = P(
        8000.0,
        "Marginal abatement cost at 50% abatement",
        "yuan/t",
        "Chinese SO2 abatement cost estimates 3,000-15,000 yuan/t",
        gt=0,
        le=1e7,
    )


class EmissionTrading(Lever):
    name = "emission_trading"

    def __init__(self, model: MiddleYangtzeModel, section: EmissionTradingSection) -> None:
        super().__init__(model, section)
        self.scope_of = model.prov.copy() if section.scope == "province" else np.zeros(model.n, int)
        self.n_scopes = int(self.scope_of.max()) + 1
        self.base: np.ndarray | None = None
        self.price = np.zeros(self.n_scopes)
        self.cap = np.full(self.n_scopes, np.nan)

    def _city_emissions(self, model: MiddleYangtzeModel) -> np.ndarray:
        return model.city.emissions_air if self.section.pollutant == "air" else model.city.emissions_water

    def after_emissions(self, model: MiddleYangtzeModel) -> None:
        if model.year == self.section.start_year - 1 or (
            self.base is None and model.year >= self.section.start_year - 1
        ):
            if self.base is None:
                self.base = np.bincount(
                    self.scope_of, weights=self._city_emissions(model), minlength=self.n_scopes
                )

    def before_emissions(self, model: MiddleYangtzeModel) -> None:
        f = model.firms
        live = f.living()
        field = "abatement" if self.section.pollutant == "air" else "abatement_water"
        if not self.active(model) or self.base is None:
            getattr(f, field)[live] = 0.0
            f.abatement_cost[live] = 0.0
            self.price[:] = 0.0
            return
        s = self.section
        years = model.year - s.start_year
        self.cap = self.base * s.cap_start * max(1 - s.cap_decline * years, 0.0)
        intensity = model.intensity_air if s.pollutant == "air" else model.intensity_water
        unabated = f.output[live] * intensity[f.sector[live]]
        scope = self.scope_of[f.city[live]]
        # other sources (untreated sewage) count against a water cap but do not trade
        other = np.zeros(self.n_scopes)
        if s.pollutant == "water":
            other = np.bincount(self.scope_of, weights=model.env.domestic_cod(model), minlength=self.n_scopes)
        e = np.bincount(scope, weights=unabated, minlength=self.n_scopes)
        room = np.maximum(self.cap - other, 1e-9)
        self.price = np.where(e > room, s.mac_scale * (e / room - 1), 0.0)
        p = self.price[scope]
        a = p / (p + s.mac_scale)
        getattr(f, field)[live] = a
        # cost of abating share a: integral of mac_scale * x / (1 - x) dx = mac_scale * (-ln(1 - a) - a)
        f.abatement_cost[live] = unabated * s.mac_scale * (-np.log1p(-a) - a) / 1e8

    def model_columns(self, model: MiddleYangtzeModel) -> dict[str, float]:
        return {
            "permit_price": float(self.price.max()) if self.active(model) else 0.0,
            "emission_cap": float(np.nansum(self.cap)) if self.active(model) else 0.0,
        }
