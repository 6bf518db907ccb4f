"""Emission cap and trade (排污权交易): a cap path over a scope, permits allocated to firms, a price
that clears, and firms that abate or buy.

Stands for: the paid use and trading of emission rights (排污权有偿使用和交易), piloted from 2007 with
Hubei and Hunan among the pilot provinces (SO2, COD, later NOx and NH3-N), and the seed essay's call
to cap the cluster's pollution with a market.

In the model: in each scope (the whole cluster, or each province) the cap is ``cap_start`` times the
firms' emissions of the pollutant in the year before the lever starts, falling by ``cap_decline`` of
that a year. Permits are either given free in proportion to each firm's emissions the year before
(grandfathered) or all sold at the clearing price (auction; the revenue goes to the provincial
budgets in proportion to their cities' emissions). Each firm has its own abatement cost curve
(``simulation.core.abatement``) and abates until its marginal cost meets the price; the price makes
the scope's emissions equal to the cap. Firms whose abatement is cheap abate more and sell permits
to the others. What each firm spends on abatement and on permits raises its city-sector's costs in
the next year's production (prices, market shares, factor demand) and, above or below its
city-sector's average, its own profit (entry, exit and relocation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from simulation.core import abatement as ab
from simulation.core.budget import PROVINCE
from simulation.params import POLLUTANTS, P
from simulation.policies import Lever
from simulation.policies.base import LeverSection

if TYPE_CHECKING:
    from simulation.core.state import ModelState


class EmissionTradingSection(LeverSection):
    """Emission cap and trade: a cap path, permits, a clearing price, abatement up to the price."""

    scope: Literal["cluster", "province"] = P(
        "cluster",
        "Market scope: one market for the cluster, or one per province",
        "-",
        "provincial pilots vs a cluster market",
    )
    pollutant: Literal["so2", "nox", "pm", "co2", "cod", "nh3n"] = P(
        "so2",
        "Pollutant capped",
        "-",
        "SO2 and COD were the first traded pollutants in the pilots; NOx and NH3-N followed",
    )
    allocation: Literal["grandfathered", "auction"] = P(
        "grandfathered",
        "Permits given free by last year's emissions, or all sold at the clearing price",
        "-",
        "pilots began with free allocation of existing sources and paid use for new ones",
    )
    cap_start: float = P(
        1.0,
        "Cap in the start year, as a share of the scope's firm emissions the year before",
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


class EmissionTrading(Lever):
    name = "emission_trading"

    def __init__(self, model: ModelState, section: EmissionTradingSection) -> None:
        super().__init__(model, section)
        self.pollutant = section.pollutant
        self.p = POLLUTANTS.index(section.pollutant)
        self.scope_of = model.prov.copy() if section.scope == "province" else np.zeros(model.n, int)
        self.n_scopes = int(self.scope_of.max()) + 1
        self.base: np.ndarray | None = None
        self.reset()
        self._history: dict[int, float] = {}  # firm uid -> last year's emissions (t)

    def reset(self) -> None:
        k = self.n_scopes
        self.price, self.cap, self.traded = np.zeros(k), np.zeros(k), np.zeros(k)
        self.emitted, self.revenue = np.zeros(k), 0.0
        self._firm_price = np.zeros(0)
        self._permits = np.zeros(0)

    # ------------------------------------------------------------------ hooks
    def after_emissions(self, model: ModelState) -> None:
        env = model.env
        if self not in env.markets and self.section.enabled:
            env.markets.append(self)
        if self.base is None and model.year >= self.section.start_year - 1:
            firm = env.firm_emissions[self.p]
            self.base = np.bincount(self.scope_of, weights=firm, minlength=self.n_scopes)
        f = model.firms
        live = f.living()
        self._history = dict(
            zip(f.uid[live].tolist(), env.firm_emission_by_firm[self.p].tolist(), strict=True)
        )

    def settle(self, m: ModelState, live, unabated, c, floor) -> np.ndarray:
        """Clear each scope's market; returns every live firm's abatement share."""
        s = self.section
        years = m.year - s.start_year
        self.cap = self.base * s.cap_start * max(1 - s.cap_decline * years, 0.0)
        scope = self.scope_of[m.firms.city[live]]
        hist = np.array([self._history.get(u, 0.0) for u in m.firms.uid[live].tolist()])
        permits = np.zeros(len(live))
        a = np.zeros(len(live))
        for k in range(self.n_scopes):
            sel = scope == k
            if s.allocation == "grandfathered":
                permits[sel] = ab.grandfather(hist[sel], self.cap[k])
            res = ab.clear(unabated[sel], c[sel], floor[sel], self.cap[k], permits[sel])
            self.price[k], self.traded[k], self.emitted[k] = res.price, res.traded, res.emissions
            a[sel] = ab.share_at(res.price, c[sel], floor[sel])
        self._firm_price = self.price[scope]
        self._permits = permits
        self.revenue = float(self.price @ self.cap) / 1e8 if s.allocation == "auction" else 0.0
        if self.revenue > 0:  # the issuing budgets: the provinces, by their cities' capped emissions
            e = unabated * (1 - a)
            prov = m.prov[m.firms.city[live]]
            pay = np.bincount(prov, weights=e * self._firm_price_of(scope), minlength=len(m.provinces)) / 1e8
            m.budgets.spend(PROVINCE, np.arange(len(m.provinces)), -pay, "permit_auction_revenue")
        return a

    def _firm_price_of(self, scope: np.ndarray) -> np.ndarray:
        return self.price[scope]

    def price_of(self, live) -> np.ndarray:
        return self._firm_price

    def allowance_value(self, live) -> np.ndarray:
        return self._firm_price * self._permits

    # ------------------------------------------------------------------ outputs
    def model_columns(self, model: ModelState) -> dict[str, float]:
        on = self.active(model)
        return {
            "permit_price": float(self.price.max()) if on else 0.0,
            "permits_traded": float(self.traded.sum()) if on else 0.0,
            "emission_cap": float(self.cap.sum()) if on else 0.0,
            "capped_emissions": float(self.emitted.sum()) if on else 0.0,
            "permit_revenue": self.revenue if on else 0.0,
        }
