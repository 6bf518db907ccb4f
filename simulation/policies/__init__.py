"""Policy levers: each lever is a module with its own config section and a class with yearly hooks.

A lever acts only through these hooks, each called every year in this order:
``on_year`` (before anything else: set ``model.mods``, change the network), ``before_production``,
``before_emissions`` (abatement), ``after_emissions`` (payments that depend on pollution).
``city_columns`` and ``model_columns`` add the lever's own outputs to the tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from simulation.core.state import ModelState


class Lever:
    """Base class of policy levers: every hook does nothing by default."""

    name = "lever"

    def __init__(self, model: ModelState, section: Any) -> None:
        self.section = section

    def active(self, model: ModelState) -> bool:
        return bool(self.section.enabled) and model.year >= self.section.start_year

    def on_year(self, model: ModelState) -> None: ...

    def before_production(self, model: ModelState) -> None: ...

    def before_emissions(self, model: ModelState) -> None: ...

    def after_emissions(self, model: ModelState) -> None: ...

    def city_columns(self, model: ModelState) -> dict[str, np.ndarray]:
        return {}

    def model_columns(self, model: ModelState) -> dict[str, float]:
        return {}


LEVERS: dict[str, type[Lever]] = {}


def build_policies(model: ModelState) -> list[Lever]:
    """Instantiate every registered lever from its config section, in registry order."""
    if not LEVERS:
        _register()
    model._reset_mods()
    return [cls(model, getattr(model.config, name)) for name, cls in LEVERS.items()]


def _register() -> None:
    from simulation.policies.city_circle import CityCircle
    from simulation.policies.eco_compensation import EcoCompensation
    from simulation.policies.eco_fund import EcoFund
    from simulation.policies.emission_trading import EmissionTrading
    from simulation.policies.hukou_reform import HukouReform
    from simulation.policies.industry_transfer import IndustryTransfer
    from simulation.policies.innovation_alliance import InnovationAlliance
    from simulation.policies.red_lines import RedLines
    from simulation.policies.riverside_ban import RiversideBan
    from simulation.policies.sponge_city import SpongeCity
    from simulation.policies.talent_alliance import TalentAlliance

    for cls in (
        IndustryTransfer, TalentAlliance, CityCircle, EcoCompensation, EmissionTrading, RedLines,
        SpongeCity, EcoFund, HukouReform, RiversideBan, InnovationAlliance,
    ):  # fmt: skip
        LEVERS[cls.name] = cls
