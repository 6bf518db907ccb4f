"""1-hour city circles (1小时城市圈): corridor upgrades that open in given years, metropolitan
circles around Wuhan, Chang-Zhu-Tan and Nanchang, and wider commuting zones within them.

Stands for: the Wuhan metropolitan-area intercity lines (Wuhan-Xianning, -Huangshi, -Huanggang,
-Xiaogan), the Chang-Zhu-Tan intercity, the Changjiu line and later high-speed links (e.g. a faster
Wuhan-Nanchang connection), together with the plans' aim of reaching the circle's cities within an
hour and integrating fares, ticketing and public services inside each circle.

In the model: each corridor adds a new link with its time (from its year) or multiplies the times
of the existing links of a mode between two cities by a factor; the travel-time matrix, market
access and commuting zones are rebuilt in that year. Inside a circle, pairs of member cities within
the circle's commute limit join each other's commuting zone, and a share of the commuting cost
between them is waived (integrated fares and services).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, model_validator

from simulation.params import P, Section
from simulation.policies import Lever
from simulation.policies.base import LeverSection, check_cities
from simulation.transport import TimeChange

if TYPE_CHECKING:
    from simulation.core.state import ModelState

MODES = ("hsr", "intercity", "rail", "expressway")


class Corridor(Section):
    """A corridor upgrade: a new link (time_min) or faster existing links (factor)."""

    a: str = Field(description="One end (city id)")
    b: str = Field(description="Other end (city id)")
    mode: str = Field("intercity", description="hsr, intercity, rail or expressway")
    time_min: float | None = Field(None, gt=0, le=2000, description="Travel time of a new link, minutes")
    factor: float | None = Field(None, gt=0, le=1, description="Multiplier on existing links' times")
    km: float | None = Field(None, gt=0, le=5000, description="Length of a new link, km")
    year: int | None = Field(
        None, ge=1990, le=2200, description="Opening year (default: the lever's start year)"
    )

    @model_validator(mode="after")
    def _one(self) -> Corridor:
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r} not allowed (allowed: {', '.join(MODES)})")
        if (self.time_min is None) == (self.factor is None):
            raise ValueError("give exactly one of time_min (a new link) or factor (faster existing links)")
        return self

    @model_validator(mode="after")
    def _two_cities(self) -> Corridor:
        if self.a == self.b:
            raise ValueError(f"a corridor from {self.a!r} to itself (allowed: two different cities a and b)")
        return self


class Circle(Section):
    """A metropolitan circle: a centre and member cities."""

    name: str = Field(description="Name, e.g. 'Wuhan'")
    center: str = Field(description="Centre city id")
    members: list[str] = Field(description="Member city ids (the centre included or not)")


class CityCircleSection(LeverSection):
    """1-hour city circles: corridor upgrades, circles with wider commuting zones."""

    corridors: list[Corridor] = P(
        [], "Corridor upgrades (tables with a, b, mode, time_min or factor, km, year)", "-", "scenario choice"
    )
    circles: list[Circle] = P(
        [], "Circles (tables with name, center, members)", "-", "metropolitan-area plans"
    )
    commute_limit_min: float = P(
        60.0,
        "In-vehicle time within which circle members join each other's commuting zone",
        "min",
        "the 1-hour circle",
        ge=0,
        le=600,
    )
    commute_discount: float = P(
        0.0,
        "Share of the commuting cost waived between members of the same circle",
        "share",
        "integrated fares and public services",
        ge=0,
        le=1,
    )


class CityCircle(Lever):
    name = "city_circle"

    def __init__(self, model: ModelState, section: CityCircleSection) -> None:
        super().__init__(model, section)
        self.pairs = np.zeros((model.n, model.n), bool)
        for k, c in enumerate(section.circles):
            members = check_cities(model, f"city_circle.circles[{k}].members", [c.center, *c.members])
            self.pairs[np.ix_(members, members)] = True
        np.fill_diagonal(self.pairs, False)
        for k, cor in enumerate(section.corridors):
            check_cities(model, f"city_circle.corridors[{k}]", [cor.a, cor.b])
            year = cor.year if cor.year is not None else section.start_year
            if year < section.start_year:
                from simulation.params import ConfigError

                raise ConfigError(
                    "<config>",
                    f"city_circle.corridors[{k}].year",
                    f"{year} is before start_year {section.start_year}",
                )
            if cor.factor is not None and not any(
                d["mode"] == cor.mode
                for d in model.transport.graph.get_edge_data(cor.a, cor.b, default={}).values()
            ):
                from simulation.params import ConfigError

                raise ConfigError(
                    "<config>",
                    f"city_circle.corridors[{k}].mode",
                    f"no {cor.mode} link between {cor.a} and {cor.b} to speed up "
                    "(give time_min for a new link)",
                )
            if section.enabled:
                # each corridor is a link closed until its opening year (or a speed-up from then)
                model.transport.add_change(
                    TimeChange(
                        cor.a,
                        cor.b,
                        cor.mode,
                        year,
                        time_min=cor.time_min,
                        km=cor.km,
                        factor=cor.factor,
                        line=f"city_circle corridor {k}",
                    )
                )

    def on_year(self, model: ModelState) -> None:
        s = self.section
        if not s.enabled:
            return
        if not self.active(model):
            return
        tr = model.transport
        invehicle = tr.times - tr.intra_city_min
        zone = self.pairs & (invehicle <= s.commute_limit_min)
        tr.set_extra_zone(zone)
        if s.commute_discount > 0:
            model.mods["commute_discount"] = np.where(self.pairs, s.commute_discount, 0.0)

    def model_columns(self, model: ModelState) -> dict[str, float]:
        t = model.talent
        live = t.living()
        h, w = t.home[live], t.work[live]
        inside = self.pairs[h, w]
        return {"circle_commuters": float(inside.sum() * model.talent_per_agent)}
