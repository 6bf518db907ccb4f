"""Firm agents: producers in one of four sectors, located in a city."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from simulation.params import SECTORS

if TYPE_CHECKING:
    from simulation.core.state import ModelState


class FirmAgent(mesa.Agent):
    """One firm agent, standing for ``model.firms_per_agent`` real firms.

    Its state is row ``slot`` of the model's firm table; births, exits, relocation, output and
    emissions are decided for all firms at once over arrays (``simulation.firms``).
    """

    def __init__(self, model: ModelState, slot: int) -> None:
        super().__init__(model)
        self.slot = slot

    def remove(self) -> None:
        """Deregister from the model (Mesa's ``remove`` less its dataset loop when no dataset
        tracks this class, as is the case here: thousands of agents leave every year)."""
        if self._datasets:
            super().remove()
        else:
            self.model.deregister_agent(self)

    @property
    def _f(self):
        return self.model.firms

    @property
    def city(self) -> str:
        return self.model.city_ids[self._f.city[self.slot]]

    @property
    def sector(self) -> str:
        return SECTORS[self._f.sector[self.slot]]

    @property
    def productivity(self) -> float:
        """Firm productivity a_f; its capacity weight is a_f ** (1 / (1 - eta))."""
        return float(self._f.productivity(self.slot))

    @property
    def output(self) -> float:
        """Value added, 100m yuan per year (for the real firms the agent stands for)."""
        return float(self._f.output[self.slot])

    @property
    def employment(self) -> float:
        """Persons employed (talent and general labour)."""
        return float(self._f.employment[self.slot])

    @property
    def emissions_air(self) -> float:
        """Air emissions, tonnes SO2-equivalent per year."""
        return float(self._f.emissions_air[self.slot])

    @property
    def emissions_water(self) -> float:
        """Water emissions, tonnes COD per year."""
        return float(self._f.emissions_water[self.slot])

    @property
    def abatement(self) -> float:
        """Share of emissions abated (0..1)."""
        return float(self._f.abatement[self.slot])

    @property
    def age(self) -> int:
        return int(self._f.age[self.slot])

    def __repr__(self) -> str:
        return f"FirmAgent({self.unique_id}, {self.sector} in {self.city}, age={self.age})"
