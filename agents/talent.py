"""Talent agents: skilled workers who choose where to live and where to work."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from simulation.core.state import ModelState


class TalentAgent(mesa.Agent):
    """One talent agent, standing for ``model.talent_per_agent`` skilled persons.

    The agent's state is its row ``slot`` of the model's talent table (struct of arrays), so that the
    yearly decisions — reviewing home and work city, retiring — are computed for all agents at once
    over arrays (see ``simulation.talent``). Reading or writing an attribute here reads or writes
    that row, so per-agent code and array code always see the same state.
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
    def _t(self):  # the talent table
        return self.model.talent

    @property
    def home(self) -> str:
        """City where the agent lives."""
        return self.model.city_ids[self._t.home[self.slot]]

    @property
    def work(self) -> str:
        """City where the agent works (within the commuting zone of home)."""
        return self.model.city_ids[self._t.work[self.slot]]

    @property
    def hukou_city(self) -> str:
        """City of household registration; 'outside' for a hukou outside the region."""
        h = int(self._t.hukou[self.slot])
        return self.model.city_ids[h] if h < len(self.model.city_ids) else "outside"

    @property
    def hukou_province(self) -> str:
        h = int(self._t.hukou[self.slot])
        return self.model.provinces_of[h] if h < len(self.model.city_ids) else "outside"

    @property
    def skill(self) -> float:
        """Efficiency units of labour (log-normal, mean about 1)."""
        return float(self._t.skill[self.slot])

    @property
    def age(self) -> int:
        return int(self._t.age[self.slot])

    def move(self, home: str, work: str) -> None:
        """Set home and work city (per-agent entry point; the model's yearly review does this in bulk)."""
        idx = self.model.city_index
        if not self.model.transport.commute_zone[idx[home], idx[work]]:
            raise ValueError(f"{work} is outside the commuting zone of {home}")
        self._t.home[self.slot] = idx[home]
        self._t.work[self.slot] = idx[work]

    def __repr__(self) -> str:
        return f"TalentAgent({self.unique_id}, home={self.home}, work={self.work}, age={self.age})"
