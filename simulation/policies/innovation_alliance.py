"""Innovation alliance of the three high-tech zones (东湖/长沙/南昌 创新高地, 协同创新): joint R&D paid
by the member cities' budgets (and matched by their provinces), an R&D stock that depreciates, and
productivity that rises with the stock within reach, its own and its neighbours' discounted by distance.

Stands for: the seed essay's proposal that Wuhan's East Lake high-tech zone (东湖高新区, the second
national independent innovation demonstration zone), the Changsha high-tech zone and the Nanchang
national high-tech zone "共同组织实施一批重大关键技术研发项目, 共同打造长江中游城市群创新高地", i.e.
jointly fund key R&D projects and build shared innovation platforms.

In the model: from the start year each member city's budget spends ``rd_share`` of its GDP of the
year before on joint R&D (purpose ``innovation_alliance_rd``), and its province adds
``province_match`` yuan per yuan. What is spent, times ``additionality``, enters the city's
alliance R&D stock by the perpetual inventory method, E_t = (1 - δ) E_(t-1) + R_t, with δ =
``depreciation``. Production in year t uses the stock at the end of year t - 1 (a one-year lag).
Each city's R&D stock within reach is its own plus every other city's discounted by distance,
w_ij = ``spillover_weight`` * exp(-km_ij / ``decay_km``) (w_ii = 1; the form of Keller 2002). The
baseline stock of every city is the one its observed R&D intensity implies, S0_i =
intensity_i * GDP_i,2019 / (g0 + δ) (Griliches' initial stock, g0 = ``prior_growth``), growing at
``reference_growth`` a year; the alliance adds E to the stocks of its members. The productivity of
the chosen sectors (``sectors``) of every city is multiplied by ((B_i + X_i) / B_i) ** θ, with
B = w @ S_ref the baseline stock within reach, X = w @ E the alliance's and θ = ``elasticity``:
the elasticity of output to the R&D stock within reach. Non-members gain only through spillovers,
more when they are near a member. The cost is real: the member cities' outlays are raised from
their firms the next year (``simulation.core.budget``), the provinces' are borrowed and reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import field_validator

from simulation.core.budget import CITY, PROVINCE
from simulation.params import SECTORS, P
from simulation.policies import Lever
from simulation.policies.base import LeverSection, SectorList, check_cities

if TYPE_CHECKING:
    from simulation.core.state import ModelState

PURPOSE = "innovation_alliance_rd"


class InnovationAllianceSection(LeverSection):
    """Innovation alliance: joint R&D of member cities, an R&D stock, productivity with spillovers."""

    members: list[str] = P(
        ["wuhan", "changsha", "nanchang"],
        "Member cities (the high-tech zones' cities)",
        "city ids",
        "seed essay: 东湖高新区, 长沙高新区, 南昌高新区",
    )
    rd_share: float = P(
        0.002,
        "Joint R&D each member city's budget pays a year, as a share of its GDP the year before",
        "share of GDP",
        "scenario choice (judgement; range 0-0.005): 0.2% of GDP is ~6% of Wuhan's R&D intensity "
        "and, for Nanchang, ~11 (100m yuan) a year, against 195.7 of public S&T spending in all of "
        "Jiangxi in 2020 (Jiangxi statistics bureau)",
        ge=0,
        le=0.05,
    )
    province_match: float = P(
        0.5,
        "Provincial money added to the joint R&D per yuan a member city pays",
        "yuan per yuan",
        "scenario choice (judgement; range 0-1)",
        ge=0,
        le=5,
    )
    additionality: float = P(
        1.0,
        "Yuan of R&D stock added per yuan of alliance spending (<1: crowds out other R&D; >1: crowds in)",
        "yuan per yuan",
        "judgement (range 0.5-1.5); the evidence on public R&D crowding private R&D in or out is "
        "mixed (David, Hall & Toole 2000, Research Policy 29)",
        ge=0,
        le=3,
    )
    depreciation: float = P(
        0.15,
        "Yearly depreciation of the R&D stock (perpetual inventory)",
        "1/yr",
        "the literature's usual 15% (Griliches; Hall 2007, NBER w13473; Hall, Mairesse & Mohnen 2010); "
        "range 0.10-0.30 (Bernstein & Mamuneas 2005: ~25% for US manufacturing)",
        gt=0,
        le=1,
    )
    prior_growth: float = P(
        0.12,
        "Growth of R&D spending before the base year, for the base-year stock R_2019 / (g + δ)",
        "1/yr",
        "data: China's R&D spending grew 12.5% in 2019, the fourth double-digit year (NBS, 2019 "
        "national S&T funding communiqué); range 0.08-0.15",
        ge=0,
        le=0.5,
    )
    reference_growth: float = P(
        0.07,
        "Real growth of every city's baseline R&D stock after the base year",
        "1/yr",
        "judgement (range 0.04-0.10): national R&D intensity rose from 2.23% (2019) to 2.54% (2022, "
        "NBS communiqués), ~4%/yr on top of real GDP growth of ~4.5%/yr",
        ge=0,
        le=0.3,
    )
    base_intensity: dict[str, float] = P(
        {"wuhan": 0.032, "changsha": 0.028, "nanchang": 0.020},
        "Base-year R&D spending over GDP of named cities (others: other_intensity)",
        "share of GDP by city id",
        "judgement (+-0.005 each): approximate 2019 city values (Wuhan ~3.2%, Changsha ~2.8%, "
        "Nanchang ~2%), not verified against the city bulletins; for scale, Jiangxi 1.55% in 2019 "
        "(1.68% in 2020 less 0.13 points, Jiangxi statistics bureau) and China 2.23% (NBS)",
    )
    other_intensity: float = P(
        0.015,
        "Base-year R&D spending over GDP of every city not named in base_intensity",
        "share of GDP",
        "judgement (range 0.008-0.022): below the provincial averages (Jiangxi 1.55% in 2019), "
        "which include the capitals",
        gt=0,
        le=0.2,
    )
    elasticity: float = P(
        0.10,
        "Elasticity of the chosen sectors' productivity to the R&D stock within reach",
        "-",
        "judgement within the literature's range 0.05-0.15 (production-function estimates surveyed "
        "by Hall, Mairesse & Mohnen 2010; Chinese industry: Hu, Jefferson & Qian 2005, REStat 87)",
        ge=0,
        le=1,
    )
    decay_km: float = P(
        300.0,
        "Distance over which a city's R&D stock reaches another city by a factor 1/e",
        "km",
        "Bottazzi & Peri 2003 (EER 47): regional spillovers within ~300 km; range 150-1730 (Moreno, "
        "Paci & Usai 2005: <250 km; Keller 2002, AER 92: halved at 1,200 km between countries; "
        "Qiu, Liu & Ning 2018: within 1,000 km between Chinese provinces)",
        gt=0,
        le=1e5,
    )
    spillover_weight: float = P(
        0.25,
        "Weight of another city's R&D stock relative to a city's own, before the distance discount",
        "-",
        "judgement (range 0.05-1), in Keller's (2002) form own + γ Σ others e^(-d/decay): Bottazzi & "
        "Peri 2003 find a neighbour's R&D ~3% as potent as a region's own within 300 km (2-3% vs "
        "80-90% for a doubling), i.e. γ ~0.05 at 150 km; 1 = only distance discounts",
        ge=0,
        le=1,
    )
    sectors: SectorList = P(
        ["manufacturing", "hightech"],
        "Sectors whose productivity rises with the R&D stock",
        "sectors",
        "judgement: firms do ~3/4 of China's R&D (NBS 2019: 76.4%), most of it in manufacturing and "
        "high-tech; the elasticities are estimated on industrial firms",
    )

    @field_validator("members")
    @classmethod
    def _members(cls, v: list[str]) -> list[str]:
        twice = [c for c in v if v.count(c) > 1]
        if twice:
            raise ValueError(f"{twice[0]!r} is named twice (allowed: each city once)")
        return v

    @field_validator("base_intensity")
    @classmethod
    def _intensity(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [c for c, x in v.items() if not 0 < x <= 0.2]
        if bad:
            raise ValueError(f"{bad[0]}: {v[bad[0]]} is not an R&D intensity (allowed: 0 < share <= 0.2)")
        return v

    def references(self, name: str) -> list[tuple[str, str, list[str]]]:
        if not self.enabled:  # the defaults name the real cluster's cities
            return []
        return [(f"{name}.members", "city", list(self.members)),
                (f"{name}.base_intensity", "city", list(self.base_intensity))]  # fmt: skip


class InnovationAlliance(Lever):
    name = "innovation_alliance"

    def __init__(self, model: ModelState, section: InnovationAllianceSection) -> None:
        super().__init__(model, section)
        s, n = section, model.n
        known = model.city_index
        members = s.members if s.enabled else [c for c in s.members if c in known]
        named = list(s.base_intensity) if s.enabled else [c for c in s.base_intensity if c in known]
        self.members = np.array(check_cities(model, "innovation_alliance.members", members), int)
        self.intensity = np.full(n, s.other_intensity)
        for i, c in zip(check_cities(model, "innovation_alliance.base_intensity", named), named, strict=True):
            self.intensity[i] = s.base_intensity[c]
        self.sectors = [SECTORS.index(x) for x in s.sectors]
        self.weights = self.reach(model.km, s.decay_km, s.spillover_weight)
        self.stock = np.zeros(n)  # the alliance's R&D stock by city, end of year, 100m yuan
        self.spending, self.city_paid, self.gain = np.zeros(n), np.zeros(n), np.zeros(n)

    @staticmethod
    def reach(km: np.ndarray, decay_km: float, weight: float) -> np.ndarray:
        """w[i, j]: the share of city j's R&D stock within reach of city i (1 on the diagonal)."""
        w = weight * np.exp(-km / decay_km)
        np.fill_diagonal(w, 1.0)
        return w

    def reference_stock(self, model: ModelState) -> np.ndarray:
        """Every city's baseline R&D stock this year (100m yuan): its observed intensity's
        base-year stock, growing at ``reference_growth``."""
        s = self.section
        base = self.intensity * model.gdp0 / (s.prior_growth + s.depreciation)
        return base * (1 + s.reference_growth) ** (model.year - model.config.run.start_year)

    def productivity(self, model: ModelState) -> np.ndarray:
        """((B + X) / B) ** θ by city: B the baseline stock within reach, X the alliance's."""
        w = self.weights
        within = w @ self.reference_stock(model)
        extra = w @ self.stock
        return (1.0 + extra / within) ** self.section.elasticity

    # ------------------------------------------------------------------ hooks
    def on_year(self, model: ModelState) -> None:
        n = model.n
        self.spending, self.city_paid, self.gain = np.zeros(n), np.zeros(n), np.zeros(n)
        if not self.active(model):
            return
        s, mem = self.section, self.members
        factor = self.productivity(model)  # last year's stock: one year from spending to use
        self.gain = factor - 1.0
        tfp = model.mods["tfp_sector"]
        tfp[:, self.sectors] *= factor[:, None]
        paid = s.rd_share * model.city.gdp[mem]  # GDP of the year before (this year's not yet made)
        model.budgets.spend(CITY, mem, paid, PURPOSE)
        model.budgets.spend(PROVINCE, model.prov[mem], s.province_match * paid, PURPOSE)
        self.city_paid[mem] = paid
        self.spending[mem] = paid * (1 + s.province_match)
        self.stock = (1 - s.depreciation) * self.stock + s.additionality * self.spending

    # ------------------------------------------------------------------ outputs
    def city_columns(self, model: ModelState) -> dict[str, np.ndarray]:
        return {
            "innovation_rd_spending": self.spending.copy(),
            "innovation_rd_city_paid": self.city_paid.copy(),
            "innovation_rd_stock": self.stock.copy(),
            "innovation_tfp_gain": self.gain.copy(),
            "innovation_hightech_output": model.output[:, SECTORS.index("hightech")].copy(),
        }

    def model_columns(self, model: ModelState) -> dict[str, float]:
        member = np.zeros(model.n, bool)
        member[self.members] = True
        gdp = model.city.gdp

        def mean(sel: np.ndarray) -> float:
            return float(gdp[sel] @ self.gain[sel] / gdp[sel].sum()) if sel.any() else 0.0

        return {
            "innovation_rd_spending": float(self.spending.sum()),
            "innovation_rd_stock": float(self.stock.sum()),
            "innovation_tfp_gain_members": mean(member),
            "innovation_tfp_gain_others": mean(~member),
        }
