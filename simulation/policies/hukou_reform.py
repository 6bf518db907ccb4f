"""Hukou reform with its public-service cost (户籍制度改革, 公租房, 基本公共服务均等化): residents
without a local hukou are given one, the city pays for their services and houses some of them.

Stands for: the settlement reforms of the new-type urbanisation plan (国家新型城镇化规划 2014-2020:
about 100 million rural migrants and other residents to settle in towns and cities by 2020, about a
third of the 300 million expected then), the lifting of settlement limits in cities under 3 million
urban residents and their relaxing above, and the seed essay's call to "加快推进户籍制度改革,
降低新市民的居住成本,提高城市周边公租房公共福利待遇,促进基本公共服务均等化".

In the model: the reform cities are the named ``cities`` plus every city of the named
``provinces``. Each year from the start year a share ``conversion_rate`` of the talent living in a
reform city with a hukou elsewhere (another city, or outside the cluster) is given that city's
hukou, each agent chosen by its own keyed draw; the talent choice already prices the hukou
(``simulation.core.choice``: a cost of living away from one's hukou city and province), so a
converted agent no longer pays to stay and now pays to leave. The general population's residents
without a local hukou (a census share of each reform city's general population) are converted at
the same rate, as a city-level count. In the named provinces the hukou costs of living there
without its hukou fall by ``entry_cost_cut`` (residence-permit access to basic services; the model's
hukou costs are set by province, so a city-only reform has no such cut). A converted person stays
in the count while living in the city: talent agents who move away leave it; those who retire
there join the general count (they keep the hukou); the general count grows with natural increase
and loses the general population's movers out of the city. Every person counted is added to
``budgets.hukou_holders``, whose extra public-service cost (``budget.service_cost`` times
``budget.hukou_service_cost`` per person, wage-indexed) the budgets charge to the city and its
province; a share ``housing_share`` of them is housed in public rental housing (公租房) whose yearly
net cost per unit the city budget pays (purpose ``hukou_reform_housing``); units once built stay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from simulation.core.budget import CITY
from simulation.params import P
from simulation.policies import Lever
from simulation.policies.base import LeverSection, check_cities, check_provinces

if TYPE_CHECKING:
    from simulation.core.state import ModelState

Share = Annotated[float, Field(ge=0, le=1)]


class HukouReformSection(LeverSection):
    """Hukou reform: conversions of non-hukou residents, their public-service and housing cost."""

    cities: list[str] = P(
        [],
        "Reform cities (settlement opened to their residents)",
        "city ids",
        "scenario choice",
    )
    provinces: list[str] = P(
        [],
        "Reform provinces: all their cities convert, and the hukou costs of living there fall",
        "province ids",
        "scenario choice",
    )
    conversion_rate: float = P(
        0.056,
        "Yearly share of a reform city's residents without its hukou who are given it",
        "1/yr",
        "derived: the 2014-2020 urbanisation plan settles ~1/3 of ~300m migrants in ~7 years "
        "(NDRC, 19 March 2014), 1 - (2/3)^(1/7) = 0.056; range 0.02-0.15 (judgement)",
        ge=0,
        le=1,
    )
    entry_cost_cut: float = P(
        0.25,
        "Share of the hukou costs removed for residents of a reform province without its hukou",
        "share",
        "judgement (range 0-0.5): residence permits (居住证) open part of the basic services",
        ge=0,
        le=1,
    )
    general_nonlocal_share: float = P(
        0.221,
        "Share of a reform city's general population without a local hukou (流动人口)",
        "share",
        "2020 census, Hubei: 12.7642m floating of 57.7526m residents; applied to every reform city "
        "without its own figure (judgement; range 0.10-0.35)",
        ge=0,
        le=1,
    )
    city_nonlocal_share: dict[str, Share] = P(
        {"wuhan": 0.320},
        "Own census share without a local hukou, for named cities",
        "share by city id",
        "2020 census, Wuhan: 3.9454m floating of 12.3265m residents",
    )
    housing_share: float = P(
        0.10,
        "Share of converted persons housed in public rental housing (公租房)",
        "share",
        "judgement (range 0-0.3): public rental housing targets new employees and migrant workers",
        ge=0,
        le=1,
    )
    persons_per_unit: float = P(
        2.65,
        "Persons per public rental housing unit (one household)",
        "persons",
        "2020 census, Hubei: 2.65 persons per family household (range 2.47 Wuhan - 2.94 Jiangxi)",
        ge=1,
        le=10,
    )
    unit_cost: float = P(
        8000.0,
        "Net yearly cost to the city of one public rental housing unit",
        "yuan / unit / yr",
        "judgement (range 3,000-20,000): a ~50 m2 unit at ~3,000 yuan/m2, land allotted free, "
        "annuitised at 4% over 50 years (~7,000) plus upkeep, less below-market rent",
        ge=0,
        le=1e6,
    )

    def references(self, name: str) -> list[tuple[str, str, list[str]]]:
        refs = [(f"{name}.cities", "city", list(self.cities))]
        refs.append((f"{name}.provinces", "province", list(self.provinces)))
        if self.enabled:  # the default names the real cluster's Wuhan
            refs.append((f"{name}.city_nonlocal_share", "city", list(self.city_nonlocal_share)))
        return refs


class HukouReform(Lever):
    name = "hukou_reform"

    def __init__(self, model: ModelState, section: HukouReformSection) -> None:
        super().__init__(model, section)
        n = model.n
        idx = check_cities(model, "hukou_reform.cities", section.cities)
        self.provinces = np.array(
            check_provinces(model, "hukou_reform.provinces", section.provinces), dtype=np.int64
        )
        self.reform = np.zeros(n, bool)
        self.reform[idx] = True
        self.reform |= np.isin(model.prov, self.provinces)
        own = section.city_nonlocal_share
        named = own if section.enabled else {c: v for c, v in own.items() if c in model.city_index}
        self.share = np.full(n, section.general_nonlocal_share)
        own_idx = check_cities(model, "hukou_reform.city_nonlocal_share", list(named))
        self.share[own_idx] = list(named.values())
        self.converted = np.zeros(0, np.uint64)  # uids of talent agents given a hukou by the reform
        self.general = np.zeros(n)  # converted persons counted in the general population
        self.units = np.zeros(n)  # public rental housing units built for converted persons
        self._clear_year(n)

    def _clear_year(self, n: int) -> None:
        self.new_talent, self.new_general = np.zeros(n), np.zeros(n)
        self.stock_talent = np.zeros(n)
        self.service_cost, self.housing_cost = np.zeros(n), np.zeros(n)

    # ------------------------------------------------------------------ hooks
    def on_year(self, model: ModelState) -> None:
        self._clear_year(model.n)
        if not self.active(model):
            return
        cut = self.section.entry_cost_cut
        if len(self.provinces):
            model.mods["hukou_city_factor"][:, self.provinces] *= 1 - cut
            model.mods["hukou_province_factor"][:, self.provinces] *= 1 - cut
        retired = self._convert_talent(model)
        self._convert_general(model, retired)

    def _convert_talent(self, m: ModelState) -> np.ndarray:
        """Give this year's share of eligible talent its home city's hukou; returns, by city, the
        converted holders who retire there this year (they move to the general count)."""
        t, n, tpa = m.talent, m.n, m.talent_per_agent
        live = t.living()
        self.converted = np.intersect1d(self.converted, t.uid[live])  # forget the departed
        home, hukou = t.home[live], t.hukou[live]
        retiring = t.age[live] + 1 >= m.config.talent.retirement_age  # the talent step retires them
        held = np.isin(t.uid[live], self.converted) & (home == hukou)
        retired = np.bincount(home[held & retiring], minlength=n) * tpa
        eligible = live[self.reform[home] & (hukou != home) & ~retiring]
        u = m.streams.uniform("hukou_reform", m.year, t.uid[eligible])
        chosen = eligible[u < self.section.conversion_rate]
        t.hukou[chosen] = t.home[chosen]
        self.converted = np.union1d(self.converted, t.uid[chosen])
        self.new_talent = np.bincount(t.home[chosen], minlength=n) * tpa
        return retired

    def _convert_general(self, m: ModelState, retired: np.ndarray) -> None:
        """The general count: natural increase, movers out at the general population's rate this
        year, retired holders in, and this year's conversions of the residents still without."""
        pc = m.config.population
        stay = np.diag(m.population_stage.probs(m))
        self.general *= (1 + pc.natural_growth) * (1 - pc.review_rate * (1 - stay))
        self.general += retired
        pool = np.where(self.reform, self.share * m.city.general - self.general, 0.0)
        self.new_general = self.section.conversion_rate * np.maximum(pool, 0.0)
        self.general += self.new_general

    def after_emissions(self, model: ModelState) -> None:
        if not self.active(model) or model.year == model.config.run.start_year:
            return
        s, t, n = self.section, model.talent, model.n
        live = t.living()
        held = np.isin(t.uid[live], self.converted) & (t.home[live] == t.hukou[live])
        self.stock_talent = np.bincount(t.home[live][held], minlength=n) * model.talent_per_agent
        stock = self.stock_talent + self.general
        b = model.budgets
        b.hukou_holders += stock  # the budgets charge their extra public services
        c = model.config.budget
        wage_index = model.city.wage_general / model.wage_general0
        self.service_cost = c.service_cost * c.hukou_service_cost * wage_index * stock / 1e8
        self.units = np.maximum(self.units, s.housing_share * stock / s.persons_per_unit)
        self.housing_cost = self.units * s.unit_cost / 1e8
        idx = np.flatnonzero(self.reform)
        b.spend(CITY, idx, self.housing_cost[idx], "hukou_reform_housing")

    # ------------------------------------------------------------------ outputs
    def stock(self) -> np.ndarray:
        return self.stock_talent + self.general

    def city_columns(self, model: ModelState) -> dict[str, np.ndarray]:
        on = self.active(model)
        z = np.zeros(model.n)
        return {
            "hukou_converted": (self.new_talent + self.new_general) if on else z,
            "hukou_stock": self.stock() if on else z.copy(),
            "hukou_service_cost": self.service_cost.copy() if on else z.copy(),
            "hukou_housing_cost": self.housing_cost.copy() if on else z.copy(),
        }

    def model_columns(self, model: ModelState) -> dict[str, float]:
        on = self.active(model)
        out = {
            "hukou_converted": float((self.new_talent + self.new_general).sum()),
            "hukou_converted_talent": float(self.new_talent.sum()),
            "hukou_stock": float(self.stock().sum()),
            "hukou_stock_talent": float(self.stock_talent.sum()),
            "hukou_service_cost": float(self.service_cost.sum()),
            "hukou_housing_units": float(self.units.sum()),
            "hukou_housing_cost": float(self.housing_cost.sum()),
        }
        return out if on else dict.fromkeys(out, 0.0)
