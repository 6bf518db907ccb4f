"""Joint ecological protection fund and green guidance fund (生态保护基金, 联合产业基金/引导基金).

Stands for: the seed essay's call "建立联合产业基金、引导基金。沿江各省共同出资设立生态保护基金": the
riverside provinces pay into a joint fund for the ecological-function (upstream, water-source)
areas, as the three provinces of the Chishui river did in 2018 (2亿 a year, shares 1:5:4) and Anhui
and Zhejiang for the Xin'anjiang (2亿 each a year, 2018-2020); and government guidance funds that
put budget money into equity beside private investors (Hubei's Yangtze Economic Belt industry fund,
2015: 400亿 of provincial money for a 2000亿 fund; the National Green Development Fund, 2020: 100亿
central money in 885亿).

In the model, two accounts of their own (``Budgets.add_fund``) whose balances carry over:

(a) The ecological protection fund. Each member province pays in a fixed sum a year plus
``eco_revenue_share`` of its last year's budget revenue, and the centre ``eco_central`` (ledger
transfers PROVINCE/CENTRAL -> FUND). Each year the fund commits ``eco_spend_share`` of what it has
(balance plus this year's inflow) in the named ecological-function cities: ``sewage_share`` of it on
a common rise of their sewage collection towards the most a city can reach (at
``environment.sewage_cost`` per person a year, paid every year it is kept up), the rest on a common
extra abatement share x of the firms' water pollution (COD, NH3-N), chosen from last year's firms
and cost curves so that raising their abatement to x costs what is left (``env.extra_cost``), up to
``max_extra_abatement``; money the abatement cannot use goes to sewage works. After emissions the
fund pays what the abatement cost this year's firms (``env.bought``; the firms are compensated) and
the sewage works; if that exceeds what the fund has, the host cities' budgets pay the rest.

(b) The green guidance fund. Member provinces (and the centre) pay in; each year the fund invests
``green_deploy_share`` of what it has as equity in the named city-sectors (high-tech by default), in
proportion to their capital stocks, and private co-investors add ``leverage`` yuan per fund yuan.
One yuan invested is one yuan of capital (``m.capital.stock`` is in 100m yuan), installed after
this year's investment, so it produces from next year on (K(t+1) = (1-delta) K(t) + I(t)). Of the
private money, ``private_additionality`` is new to the cluster; the rest is drawn away from this
year's investment in the other city-sectors, in proportion to it. The fund's equity is booked at
cost less depreciation; its returns are not credited back (the fiscal cost is an upper bound).
Emergent, not assumed: the output and profits of the target sectors, the entry and relocation of
firms they draw, the return-chasing private investment they crowd out next year, and the GDP,
wages and migration that follow; for (a), the COD and NH3-N that reach the rivers downstream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from simulation.core.budget import CENTRAL, CITY, FUND, PROVINCE
from simulation.params import SECTORS, P
from simulation.policies import Lever
from simulation.policies.base import LeverSection, SectorList, check_cities, check_provinces

if TYPE_CHECKING:
    from simulation.core.state import ModelState

Amount = Annotated[float, Field(ge=0, le=1e4)]
ECO_CITIES = ["xiangyang", "changde", "yiyang", "loudi", "hengyang", "jian", "fuzhou", "shangrao",
              "jingdezhen"]  # fmt: skip
MEMBERS = {"hubei": 2.0, "hunan": 2.0, "jiangxi": 2.0}


class EcoFundSection(LeverSection):
    """Joint ecological protection fund and green guidance fund: who pays in, what each buys."""

    eco_contributions: dict[str, Amount] = P(
        MEMBERS,
        "Fixed yearly payment of each member province into the ecological protection fund",
        "100m yuan/yr by province id",
        "Xin'anjiang 2018-2020: each province 2亿/yr (People's Daily 2018-11-05); Chishui 2018: 2亿/yr "
        "from three provinces (Xinhua 2018-03-25)",
    )
    eco_revenue_share: float = P(
        0.0, "Share of each member province's last-year budget revenue paid in as well", "share",
        "scenario choice (0: fixed sums only, as in the pilots)", ge=0, le=0.1,
    )  # fmt: skip
    eco_central: float = P(
        0.0, "Central payment into the ecological protection fund each year", "100m yuan/yr",
        "scenario choice: the essay has the centre guide (中央引导), amount not given", ge=0, le=1e4,
    )  # fmt: skip
    eco_cities: list[str] = P(
        ECO_CITIES,
        "Ecological-function cities where the fund buys sewage works and abatement",
        "city ids",
        "upstream cities of the Han river, Dongting (Xiang, Zi, Yuan) and Poyang (Gan, Fu, Xin, Chang)",
    )
    eco_spend_share: float = P(
        0.9, "Share of the fund's money (balance + inflow) committed each year", "share",
        "judgement: a reserve, since this year's abatement cost is known only after production",
        ge=0, le=1,
    )  # fmt: skip
    sewage_share: float = P(
        0.5, "Share of the committed money for sewage works (the rest buys firm abatement)", "share",
        "judgement: the pilots' funds went to both town sewage works and industrial point sources",
        ge=0, le=1,
    )  # fmt: skip
    max_extra_abatement: float = P(
        0.8, "Largest extra water-abatement share the fund can buy", "share",
        "technical limit; as eco_compensation.max_extra_abatement", ge=0, le=0.99,
    )  # fmt: skip
    green_contributions: dict[str, Amount] = P(
        {"hubei": 10.0, "hunan": 10.0, "jiangxi": 10.0},
        "Yearly payment of each member province into the green guidance fund",
        "100m yuan/yr by province id",
        "scenario choice; scale: Hubei put 400亿 into its Yangtze industry guidance fund (2015, "
        "China News Service 2015-12-30), ~80亿/yr over five years",
    )
    green_central: float = P(
        0.0, "Central payment into the green guidance fund each year", "100m yuan/yr",
        "scenario choice (National Green Development Fund: 100亿 central money, 2020)", ge=0, le=1e4,
    )  # fmt: skip
    green_cities: list[str] = P(
        ["wuhan", "changsha", "nanchang"],
        "Cities whose target sectors the guidance fund invests in",
        "city ids",
        "the essay's three national high-tech zones (东湖, 长沙, 南昌)",
    )
    green_sectors: SectorList = P(
        ["hightech"], "Sectors the guidance fund invests in", "sectors",
        "guidance funds target strategic emerging industries; add manufacturing for clean industry",
    )  # fmt: skip
    green_deploy_share: float = P(
        0.5, "Share of the guidance fund's money (balance + inflow) invested each year", "share",
        "judgement: funds invest over several years; MoF 2020 notice (财预〔2020〕7号) on idle "
        "guidance-fund money", ge=0, le=1,
    )  # fmt: skip
    leverage: float = P(
        3.0, "Private co-investment per yuan of guidance-fund money", "yuan/yuan",
        "government share 20-30% of a guidance fund (1:2.3-1:4); Hubei 400亿 in 2000亿 (1:4)",
        ge=0, le=9,
    )  # fmt: skip
    private_additionality: float = P(
        0.5, "Share of the private co-investment that is new to the cluster (the rest is diverted "
        "from the cluster's other investment)", "share", "judgement: no estimate found", ge=0, le=1,
    )  # fmt: skip

    def references(self, name: str) -> list[tuple[str, str, list[str]]]:
        if not self.enabled:  # the defaults name the real cluster: checked only when switched on
            return []
        return [
            (f"{name}.eco_cities", "city", list(self.eco_cities)),
            (f"{name}.green_cities", "city", list(self.green_cities)),
            (f"{name}.eco_contributions", "province", list(self.eco_contributions)),
            (f"{name}.green_contributions", "province", list(self.green_contributions)),
        ]


class EcoFund(Lever):
    name = "eco_fund"

    def __init__(self, model: ModelState, section: EcoFundSection) -> None:
        super().__init__(model, section)
        s, n = section, model.n
        on = section.enabled
        eco = check_cities(model, "eco_fund.eco_cities", s.eco_cities if on else [])
        self.eco_cities = np.array(eco, int)
        self.green_cities = check_cities(model, "eco_fund.green_cities", s.green_cities if on else [])
        self.eco_members = self._members(model, "eco_contributions", s.eco_contributions if on else {})
        self.green_members = self._members(model, "green_contributions", s.green_contributions if on else {})
        self.target = np.zeros((n, len(SECTORS)), bool)
        self.target[np.ix_(self.green_cities, [SECTORS.index(k) for k in s.green_sectors])] = True
        self.eco_id = model.budgets.add_fund("ecological protection") if on else -1
        self.green_id = model.budgets.add_fund("green guidance") if on else -1
        self.equity = 0.0  # the guidance fund's holdings at cost less depreciation, 100m yuan
        self._clear(n)

    @staticmethod
    def _members(model, field: str, sums: dict[str, float]) -> list[tuple[int, float]]:
        idx = check_provinces(model, f"eco_fund.{field}", list(sums))
        return list(zip(idx, sums.values(), strict=True))

    def _clear(self, n: int) -> None:
        """This year's flows (zeros until the lever acts)."""
        self.eco_in = self.green_in = 0.0
        self.x, self.have, self.built = 0.0, np.zeros(n), np.zeros(n)
        self.attrib = np.zeros(n)  # share of each city's bought abatement that is the fund's
        self.paid_abatement, self.paid_sewage, self.overrun = np.zeros(n), np.zeros(n), np.zeros(n)
        self.invested = self.private = self.diverted = 0.0
        self.capital_added = np.zeros(n)

    # ------------------------------------------------------------------ money in
    def on_year(self, model: ModelState) -> None:
        self._clear(model.n)
        if not self.active(model):
            return
        s, b = self.section, model.budgets
        revenue = model.fiscal["province_revenue"]  # last year's
        for p, fixed in self.eco_members:
            amount = fixed + s.eco_revenue_share * float(revenue[p])
            b.transfer("eco_fund_contribution", PROVINCE, p, FUND, self.eco_id, amount)
            self.eco_in += amount
        for p, fixed in self.green_members:
            b.transfer("green_fund_contribution", PROVINCE, p, FUND, self.green_id, fixed)
            self.green_in += fixed
        if s.eco_central > 0:
            b.transfer("eco_fund_central", CENTRAL, 0, FUND, self.eco_id, s.eco_central)
        if s.green_central > 0:
            b.transfer("green_fund_central", CENTRAL, 0, FUND, self.green_id, s.green_central)
        self.eco_in += s.eco_central
        self.green_in += s.green_central
        self.equity *= 1.0 - model.capital.depreciation

    def _available(self, model, fid: int, inflow: float) -> float:
        return model.budgets.fund_balance[fid] + inflow

    # ------------------------------------------------------------------ what the funds buy
    def before_emissions(self, model: ModelState) -> None:
        if not self.active(model):
            return
        if len(self.eco_cities) and hasattr(model.env, "last"):
            self._plan_eco(model)
        if self.target.any():
            self._invest(model)

    def _plan_eco(self, m: ModelState) -> None:
        s, env, t = self.section, m.env, self.eco_cities
        plan = s.eco_spend_share * self._available(m, self.eco_id, self.eco_in)
        self.have = np.maximum(env.collection, m.mods["sewage_collection"])  # data plus other levers
        room = np.zeros(m.n)
        room[t] = np.maximum(env.cfg.sewage_collection_max - self.have[t], 0.0)
        full = float((env.sewage_cost(m, self.have + room) - env.sewage_cost(m, self.have)).sum())
        share = min(s.sewage_share * plan / full, 1.0) if full > 0 else 0.0
        floors = m.mods["abatement_extra"][t].copy()  # what other levers already buy there
        self.x, cost = self._abatement_for(env, t, floors, plan - share * full)
        if full > 0:  # what the abatement could not use goes to sewage works
            share = min((plan - cost) / full, 1.0)
        self.built = self.have + share * room
        col = m.mods["sewage_collection"]
        col[t] = np.maximum(col[t], self.built[t])
        extra = m.mods["abatement_extra"]
        extra[t] = np.maximum(extra[t], self.x)
        self.attrib[t] = [self._own_part(env, c, o, self.x) for c, o in zip(t, floors, strict=True)]

    def _abatement_for(self, env, t, floors, budget: float) -> tuple[float, float]:
        """The common extra abatement share whose cost (beyond other levers' floors) is ``budget``."""

        def cost(x: float) -> float:
            return sum(self._extra(env, c, o, x) for c, o in zip(t, floors, strict=True))

        hi = self.section.max_extra_abatement
        if budget <= 0 or hi <= 0:
            return 0.0, 0.0
        if cost(hi) <= budget:
            return hi, cost(hi)
        lo = 0.0
        for _ in range(40):  # cost rises with x
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if cost(mid) <= budget else (lo, mid)
        return lo, cost(lo)

    @staticmethod
    def _extra(env, c: int, other: float, x: float) -> float:
        if x <= other:
            return 0.0
        base = env.extra_cost(np.array([c]), other) if other > 0 else 0.0
        return env.extra_cost(np.array([c]), x) - base

    def _own_part(self, env, c: int, other: float, x: float) -> float:
        whole = env.extra_cost(np.array([c]), max(x, other))
        return self._extra(env, c, other, x) / whole if whole > 0 else 0.0

    def _invest(self, m: ModelState) -> None:
        """Equity into the target city-sectors, with private co-investment; productive next year."""
        s, cap = self.section, m.capital
        public = s.green_deploy_share * self._available(m, self.green_id, self.green_in)
        k = np.where(self.target, cap.stock, 0.0)
        if public <= 0 or k.sum() <= 0:
            return
        self.invested, self.private = public, s.leverage * public
        add = (public + self.private) * k / k.sum()
        others = np.where(self.target, 0.0, np.maximum(cap.investment, 0.0))
        self.diverted = min((1 - s.private_additionality) * self.private, float(others.sum()))
        take = self.diverted * others / others.sum() if others.sum() > 0 else 0.0
        cap.stock = cap.stock + add - take
        self.capital_added = add.sum(axis=1)
        self.equity += public
        m.budgets.spend(FUND, self.green_id, public, "green_fund_investment")

    # ------------------------------------------------------------------ paying the bills
    def after_emissions(self, model: ModelState) -> None:
        if not self.active(model) or model.year == model.config.run.start_year:
            return
        env, b = model.env, model.budgets
        sewage = np.maximum(env.sewage_cost(model, self.built) - env.sewage_cost(model, self.have), 0.0)
        abate = env.bought * self.attrib
        bill = float(sewage.sum() + abate.sum())
        if bill <= 0:
            return
        scale = min(1.0, max(self._available(model, self.eco_id, self.eco_in), 0.0) / bill)
        self.paid_sewage, self.paid_abatement = scale * sewage, scale * abate
        self.overrun = (1 - scale) * (sewage + abate)
        b.spend(FUND, self.eco_id, float(self.paid_sewage.sum()), "eco_fund_sewage")
        b.spend(FUND, self.eco_id, float(self.paid_abatement.sum()), "eco_fund_abatement")
        if self.overrun.any():
            b.spend(CITY, np.flatnonzero(self.overrun), self.overrun[self.overrun > 0], "eco_fund_overrun")

    # ------------------------------------------------------------------ outputs
    def city_columns(self, model: ModelState) -> dict[str, np.ndarray]:
        return {
            "eco_fund_paid": self.paid_sewage + self.paid_abatement,
            "eco_fund_collection": np.maximum(self.built - self.have, 0.0),
            "green_capital_added": self.capital_added.copy(),
        }

    def model_columns(self, model: ModelState) -> dict[str, float]:
        bal = model.budgets.fund_balance
        return {
            "eco_fund_inflow": self.eco_in,
            "eco_fund_spent": float(self.paid_sewage.sum() + self.paid_abatement.sum()),
            "eco_fund_balance": bal[self.eco_id] if self.eco_id >= 0 else 0.0,
            "eco_fund_extra_abatement": self.x,
            "green_fund_inflow": self.green_in,
            "green_fund_invested": self.invested,
            "green_private_invested": self.private,
            "green_private_diverted": self.diverted,
            "green_fund_balance": bal[self.green_id] if self.green_id >= 0 else 0.0,
            "green_fund_equity": self.equity,
        }
