"""Sponge cities and full sewage collection and treatment (海绵城市, 污水全收集全处理).

Stands for: the seed essay's call to "开展海绵城市建设, 加强排水设施建设" and to copy the national
pilots (Wuhan built a 38.5 km² sponge demonstration zone in 3 years; Pingxiang and Changde were
first-batch pilots, 2015-2017, funded by the centre at 400-600m yuan a year each for 3 years), and
Wuhan's plan to collect and treat all industrial-park sewage (污水全收集、全处理) by the end of 2021.
Nationally: 80% of built-up area to meet the sponge standard by 2030 (国办发〔2015〕75号), and the
14th five-year urban sewage plan's push to close collection gaps and bring plants in sensitive
waters to Grade 1A (GB 18918-2002 一级A).

In the model, in the named cities (or all), from ``start_year``:
- Collection. The share of domestic sewage collected rises on a straight line from the data's rate
  (``environment.collection``) to ``collection_target`` (at most ``environment.sewage_collection_max``),
  reached in ``sewage_target_year``. The city budget pays ``environment.sewage_cost`` per resident
  a year for every point above the data's rate (only the part above what other levers have built).
- Treatment. The share of collected COD and NH3-N that plants remove rises on the same ramp from
  the environment's ``removal_cod``/``removal_nh3n`` to ``removal_cod_target``/``removal_nh3n_target``
  (the Grade 1A upgrade). The city pays ``upgrade_cost`` per m³ of collected sewage, times the share
  of the upgrade done (one upgrade serves both pollutants, so the larger of the two shares).
  Domestic COD and NH3-N loads, life * population * (1 - collection * removal), fall; the river
  routing carries the cut downstream, and water quality enters amenity and migration.
- Sponge construction. The share of the built-up area (the region's figure where it has one, else
  ``built_up_per_10k`` times the 2020 residents; growing with construction land in use, ``land.used``)
  meeting the sponge standard rises on a straight line from
  ``sponge_share_start`` to ``sponge_share_target`` by ``sponge_target_year``; each km² newly built
  costs ``sponge_cost_per_km2`` from the city budget. Its effect on runoff pollution is NOT
  modelled: the environment has no urban non-point (stormwater) load to cut, so this part is a cost
  only (its flood and amenity benefits are not in the model either).
- Central grant. ``central_grant`` names cities the centre pays each year for ``grant_years``
  years (a transfer CENTRAL -> CITY), at most what the city spends on the lever that year.
What a city spends on net is raised from its firms the next year (``simulation.core.budget``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from simulation.core.budget import CENTRAL, CITY
from simulation.params import ConfigError, P
from simulation.policies import Lever
from simulation.policies.base import LeverSection, check_cities

if TYPE_CHECKING:
    from simulation.core.state import ModelState

Grant = Annotated[float, Field(ge=0, le=1000)]


class SpongeCitySection(LeverSection):
    """Sponge cities and full sewage collection and treatment, paid by the city budgets."""

    cities: list[str] | Literal["all"] = P(
        "all", "Cities that act: a list of city ids, or 'all'", "-", "scenario choice"
    )
    collection_target: float = P(
        0.98,
        "Sewage collection share reached in sewage_target_year (capped at environment.sewage_collection_max)",
        "share",
        "全收集 (seed essay); the model counts collection as the data's treatment rate",
        ge=0,
        le=1,
    )
    removal_cod_target: float = P(
        0.88,
        "Share of collected COD removed after the Grade 1A upgrade",
        "share",
        "judgement: 1A plants discharge ~20-30 mg/L COD (limit 50) on influent ~150-250 mg/L (memory); "
        "Chinese sewage is low in COD (Cao et al., Water Practice & Technology 15(1):160); range 0.8-0.95",
        ge=0,
        le=1,
    )
    removal_nh3n_target: float = P(
        0.92,
        "Share of collected NH3-N removed after the Grade 1A upgrade",
        "share",
        "judgement: 1A limit 5 (8) mg/L, typical 1A effluent ~1-2 mg/L on influent ~20-30 mg/L; "
        "range 0.85-0.97",
        ge=0,
        le=1,
    )
    sewage_target_year: int = P(
        2025, "Year collection and treatment reach their targets", "year",
        "14th five-year urban sewage plan horizon (2021-2025)", ge=1990, le=2200,
    )  # fmt: skip
    upgrade_cost: float = P(
        0.3,
        "Extra cost of treating one m³ to Grade 1A instead of 1B (operation plus annualised capital)",
        "yuan / m³",
        "judgement (memory, not sourced here): deep-treatment capital ~500-1,500 yuan per m³/d "
        "(0.1-0.3 yuan/m³ over 20 years) plus ~0.1-0.2 yuan/m³ operation; range 0.1-1.0",
        ge=0,
        le=100,
    )
    sewage_per_person: float = P(
        0.18, "Domestic sewage collected per resident", "m³ / person / day",
        "judgement: 0.15-0.2, as in environment.sewage_cost", ge=0, le=2,
    )  # fmt: skip
    built_up_per_10k: float = P(
        0.4,
        "Built-up area per 10,000 residents where the region has no built-up figure",
        "km² / 10k residents",
        "judgement: the six cities with data (city_land.csv) have 0.28 (Fuzhou) to 0.66 (Wuhan), median "
        "0.54, the high values all capitals or large cities; range 0.2-0.7",
        gt=0,
        le=10,
    )
    sponge_share_start: float = P(
        0.2,
        "Share of the built-up area meeting the sponge standard before the lever",
        "share",
        "judgement: the 2020 national target of 国办发〔2015〕75号 (20% of built-up area) taken as met; "
        "Wuhan's 38.5 km² pilot was ~5% of its 812 km²; range 0-0.5",
        ge=0,
        le=1,
    )
    sponge_share_target: float = P(
        0.8, "Share of the built-up area meeting the sponge standard in sponge_target_year",
        "share", "国办发〔2015〕75号: 80% of built-up area by 2030", ge=0, le=1,
    )  # fmt: skip
    sponge_target_year: int = P(
        2030, "Year the sponge share reaches its target", "year", "国办发〔2015〕75号", ge=1990, le=2200
    )
    sponge_cost_per_km2: float = P(
        1.25,
        "Investment per km² brought to the sponge standard",
        "100m yuan / km²",
        "preliminary national estimates 100-150m yuan/km² (quoted at autocase.com/sponge-cities); the "
        "16 first pilots covered 449 km² with CNY 20.7bn central money 2015-2017 (Water Policy 21(1), "
        "2019), ~0.46 per km² from the centre alone",
        ge=0,
        le=100,
    )
    central_grant: dict[str, Grant] = P(
        {},
        "Central grant per named city and year while the grant lasts (at most its outlay that year)",
        "100m yuan / yr by city id",
        "pilots 2015-2017: 6 (municipalities), 5 (provincial capitals), 4 (others) a year for 3 years "
        "(MOF/MOHURD/MWR 2014 notice, as reported)",
    )
    grant_years: int = P(
        3, "Years the central grant is paid, from start_year", "years", "pilot programme: 3 years",
        ge=0, le=100,
    )  # fmt: skip

    def references(self, name: str) -> list[tuple[str, str, list[str]]]:
        named = [] if self.cities == "all" else list(self.cities)
        return [
            (f"{name}.cities", "city", named),
            (f"{name}.central_grant", "city", list(self.central_grant)),
        ]


def ramp(year: int, start: int, target_year: int) -> float:
    """Share of the way from the start value to the target: 1/N in the start year, 1 from target_year."""
    if year < start:
        return 0.0
    return min((year - start + 1) / (target_year - start + 1), 1.0)


class SpongeCity(Lever):
    name = "sponge_city"

    def __init__(self, model: ModelState, section: SpongeCitySection) -> None:
        super().__init__(model, section)
        s, n = section, model.n
        for fld in ("sewage_target_year", "sponge_target_year"):
            if getattr(s, fld) < s.start_year:
                year = getattr(s, fld)
                raise ConfigError(
                    "<config>", f"sponge_city.{fld}",
                    f"{year} is before start_year {s.start_year} (allowed: {s.start_year} or later)",
                )  # fmt: skip
        idx = range(n) if s.cities == "all" else check_cities(model, "sponge_city.cities", s.cities)
        self.member = np.zeros(n, bool)
        self.member[list(idx)] = True
        self.grant = np.zeros(n)
        gidx = check_cities(model, "sponge_city.central_grant", list(s.central_grant))
        self.grant[gidx] = list(s.central_grant.values())
        c = model.region.cities
        data = c.built_up_area_km2.to_numpy(float)
        self.built_up0 = np.where(
            np.isfinite(data), data, s.built_up_per_10k * c.population_2020_10k.to_numpy(float)
        )  # km², the base year's; it grows with construction land in use
        self.sponge_area = np.zeros(n)  # km² meeting the sponge standard (0 until the lever starts)
        self.removal_gain = np.zeros(n)  # share of the Grade 1A upgrade this lever has done
        self.sewage_paid, self.construction_paid, self.grant_paid = np.zeros(n), np.zeros(n), np.zeros(n)
        self.others_collection, self.collection = np.zeros(n), np.zeros(n)  # built by others / with mine
        self.domestic = np.zeros((2, n))

    # ------------------------------------------------------------------ hooks
    def before_emissions(self, model: ModelState) -> None:
        # set here rather than in on_year so that the collection other levers build this year (eco
        # compensation, also before emissions and earlier in the registry) is known and not paid twice
        if not self.active(model):
            return
        s, env, mods = self.section, model.env, model.mods
        f = ramp(model.year, s.start_year, s.sewage_target_year)
        target = min(s.collection_target, env.cfg.sewage_collection_max)
        mine = np.where(self.member, env.collection + f * np.maximum(target - env.collection, 0.0), 0.0)
        self.others_collection = mods["sewage_collection"].copy()
        self.collection = np.maximum(self.others_collection, mine)
        np.maximum(mods["sewage_collection"], mine, out=mods["sewage_collection"])
        base = np.array([env.cfg.removal_cod, env.cfg.removal_nh3n])
        goal = np.maximum(np.array([s.removal_cod_target, s.removal_nh3n_target]), base)
        want = base[:, None] + f * (goal - base)[:, None] * self.member[None, :]
        removal = mods["sewage_removal"]
        span = np.maximum(goal - base, 1e-12)[:, None]
        self.removal_gain = np.clip((want - removal) / span, 0.0, 1.0).max(axis=0)  # beyond others' upgrades
        np.maximum(removal, want, out=removal)

    def after_emissions(self, model: ModelState) -> None:
        env = model.env
        self.domestic = env.domestic(model)
        n = model.n
        self.sewage_paid, self.construction_paid, self.grant_paid = np.zeros(n), np.zeros(n), np.zeros(n)
        if not self.active(model):
            return
        s, b = self.section, model.budgets
        col = env.collection_now(model)
        works = env.sewage_cost(model, self.collection) - env.sewage_cost(model, self.others_collection)
        volume = col * model.city.population * s.sewage_per_person * 365.0  # m³ / yr collected
        upgrade = self.removal_gain * volume * s.upgrade_cost / 1e8
        self.sewage_paid = np.where(self.member, np.maximum(works, 0.0) + upgrade, 0.0)
        self.construction_paid = self._build(model) * s.sponge_cost_per_km2
        for purpose, paid in (("sponge_city_sewage", self.sewage_paid),
                              ("sponge_city_construction", self.construction_paid)):  # fmt: skip
            b.spend(CITY, np.flatnonzero(paid), paid[paid > 0], purpose)
        if model.year - s.start_year < s.grant_years:
            self.grant_paid = np.minimum(self.grant, self.sewage_paid + self.construction_paid)
            for i in np.flatnonzero(self.grant_paid):
                b.transfer("sponge_city_grant", CENTRAL, 0, CITY, i, float(self.grant_paid[i]))

    def _build(self, model: ModelState) -> np.ndarray:
        """km² brought to the sponge standard this year in the member cities."""
        s, land = self.section, model.land
        used = self.built_up0 * land.used / land.used0  # built-up area this year, km²
        if model.year == s.start_year:
            self.sponge_area = np.where(self.member, s.sponge_share_start * used, 0.0)
        g = ramp(model.year, s.start_year, s.sponge_target_year)
        share = s.sponge_share_start + g * max(s.sponge_share_target - s.sponge_share_start, 0.0)
        area = np.where(self.member, np.maximum(share * used, self.sponge_area), 0.0)
        built, self.sponge_area = area - self.sponge_area, area
        return built

    # ------------------------------------------------------------------ outputs
    def city_columns(self, model: ModelState) -> dict[str, np.ndarray]:
        """Collection and removal in force (the data's and the environment's when off), the lever's
        sponge area and payments, and the domestic loads reaching the rivers (t/yr)."""
        removal = model.mods["sewage_removal"]
        return {
            "sponge_collection": model.env.collection_now(model).copy(),
            "sponge_removal_cod": removal[0].copy(),
            "sponge_removal_nh3n": removal[1].copy(),
            "sponge_area_km2": self.sponge_area.copy(),
            "sponge_sewage_paid": self.sewage_paid.copy(),
            "sponge_construction_paid": self.construction_paid.copy(),
            "sponge_grant_received": self.grant_paid.copy(),
            "domestic_cod": self.domestic[0].copy(),
            "domestic_nh3n": self.domestic[1].copy(),
        }

    def model_columns(self, model: ModelState) -> dict[str, float]:
        pop = model.city.population
        return {
            "sponge_collection": float(pop @ model.env.collection_now(model) / pop.sum()),
            "sponge_area_km2": float(self.sponge_area.sum()),
            "domestic_cod": float(self.domestic[0].sum()),
            "domestic_nh3n": float(self.domestic[1].sum()),
        }
