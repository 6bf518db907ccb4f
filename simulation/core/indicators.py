"""Green accounts of each city and year: GEP and the green-development index (``core.green``).

GEP is valued on each city's land (area, forest cover from the data, construction land in use from
the land market), its air and water quality and its price level. The green-development index scores
the indicators the model supplies against the base year's cluster medians (so 80 is the 2019
median city in every run, and two runs compare on one yardstick). Growth of GDP per capita is left
out: it has no base-year value, and an index whose indicator set changed after year 0 would not
compare over time.
"""

from __future__ import annotations

import numpy as np

from simulation.core import green
from simulation.core.environment import CO2, COD, NH3N, NOX, SO2

INDEX_INPUTS = ("co2_intensity", "so2_intensity", "nox_intensity", "cod_intensity", "nh3n_intensity",
                "sewage_treatment", "pm25", "water_index", "forest_share", "gep_per_km2")  # fmt: skip


class GreenAccounts:
    def __init__(self, m) -> None:
        self.coef = green.GepCoefficients.default()
        self.forest = m.region.cities.forest_cover.to_numpy(float) / 100.0
        self.base: dict[str, float] | None = None

    def indicators(self, m, gep: np.ndarray) -> dict[str, np.ndarray]:
        em, gdp10k = m.env.emissions, np.maximum(m.city.gdp * 1e4, 1e-12)  # 10k yuan
        return {
            "co2_intensity": em[CO2] / gdp10k,
            "so2_intensity": em[SO2] / gdp10k,
            "nox_intensity": em[NOX] / gdp10k,
            "cod_intensity": em[COD] / gdp10k,
            "nh3n_intensity": em[NH3N] / gdp10k,
            "sewage_treatment": m.env.collection_now(m),
            "pm25": m.city.pm25,
            "water_index": m.city.water_index,
            "forest_share": self.forest,
            "gep_per_km2": gep / m.area,
        }

    def city_columns(self, m) -> dict[str, np.ndarray]:
        price = getattr(m.city, "price_index", 1.0)
        value = green.gep(m.area, self.forest, m.land.used, m.city.pm25, m.city.water_index, self.coef, price)
        ind = self.indicators(m, value)
        if self.base is None:
            self.base = green.cluster_base(ind)
        return {"gep": value / 1e8, "green_index": green.green_index(ind, self.base)}
