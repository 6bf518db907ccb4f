"""Ecological red lines (生态红线): protected land per city that caps construction land.

Stands for: the ecological protection red lines drawn by every province from 2017-2018 and, in the
seed essay's example, Wuhan's split of 8,000 km² into 3,000 km² protected, 3,000 km² of farmland and
2,000 km² for building, which leaves the lakes and wetlands out of reach of construction.

In the model: from the start year a city's construction-land capacity shrinks by its protected share,
but never below the land already built, so building stops wherever the line binds; rents then rise
as free land runs out, and firms outside services can no longer move into a city with no free land.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.params import P
from simulation.policies import Lever
from simulation.policies.base import LeverSection, check_cities

if TYPE_CHECKING:
    from simulation.core.state import ModelState


class RedLinesSection(LeverSection):
    """Ecological red lines: protected shares of construction-land capacity per city."""

    protected_share: dict[str, float] = P(
        {},
        "Share of each named city's construction-land capacity placed under red lines",
        "share by city id",
        "provincial red-line plans (lakes, wetlands, forests)",
    )


class RedLines(Lever):
    name = "red_lines"

    def __init__(self, model: ModelState, section: RedLinesSection) -> None:
        super().__init__(model, section)
        idx = check_cities(model, "red_lines.protected_share", list(section.protected_share))
        self.share = np.zeros(model.n)
        for i, (city, v) in zip(idx, section.protected_share.items(), strict=True):
            if not 0 <= v <= 1:
                from simulation.params import ConfigError

                raise ConfigError(
                    "<config>", f"red_lines.protected_share.{city}", f"{v} is not a share (allowed: 0 to 1)"
                )
            self.share[i] = v
        self.factor: np.ndarray | None = None

    def on_year(self, model: ModelState) -> None:
        if not self.active(model):
            return
        if self.factor is None:
            cap = model.city.land_cap
            allowed = np.maximum(cap * (1 - self.share), model.city.land_used)
            self.factor = np.minimum(allowed / cap, 1.0)
        model.mods["land_cap_factor"] = model.mods["land_cap_factor"] * self.factor
