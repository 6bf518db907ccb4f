"""City agents: the 31 cities, holding the city-level state of the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from simulation.core.state import ModelState


class CityAgent(mesa.Agent):
    """A city of the region. Its state is row ``index`` of the model's city arrays."""

    def __init__(self, model: ModelState, index: int, city_id: str, province: str) -> None:
        super().__init__(model)
        self.index = index
        self.city_id = city_id
        self.province = province

    def _get(self, name: str) -> float:
        return float(getattr(self.model.city, name)[self.index])

    @property
    def gdp(self) -> float:
        """GDP, 100m yuan (亿元) per year."""
        return self._get("gdp")

    @property
    def population(self) -> float:
        """Resident population, persons."""
        return self._get("population")

    @property
    def talent(self) -> float:
        """Talent persons living in the city."""
        return self._get("talent")

    @property
    def air_quality(self) -> float:
        """Annual mean PM2.5, µg/m³ (higher is worse)."""
        return self._get("pm25")

    @property
    def water_quality(self) -> float:
        """River COD concentration index (1 = the base-year median city; higher is worse)."""
        return self._get("water_index")

    @property
    def rent_index(self) -> float:
        return self._get("rent")

    def __repr__(self) -> str:
        return f"CityAgent({self.city_id}, gdp={self.gdp:.0f})"
