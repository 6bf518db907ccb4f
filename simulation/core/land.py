"""Land: construction land in use, its capacity, and the rent that clears the land market.

Each city has a construction-land capacity (its building quota: a share of its area, the seed
essay's Wuhan ratio, an estimate) and uses part of it in the base year (built-up area from the
region's city_land.csv where it has a 2019 figure, else a typical share of the capacity). Land spending
grows with the city's value added (Cobb-Douglas: a constant share goes to land); supply follows
U = U_0 (V / V_0)^(e / (1 + e)) with supply elasticity e until it reaches the capacity, so the rent
index (V / V_0) / (U / U_0) rises with income at 1 / (1 + e) while land is free, and one for one
with income once the capacity binds. A cut in capacity (red lines) therefore moves the rent only
where and when used land reaches the new capacity. Supply is set from last year's spending, so the
year's production takes the land market as given.
"""

from __future__ import annotations

import numpy as np


class Land:
    def __init__(
        self, capacity: np.ndarray, used0: np.ndarray, elasticity: np.ndarray, production_share: float
    ) -> None:
        self.capacity = capacity.astype(float).copy()
        self.used0 = used0.astype(float).copy()
        self.used = self.used0.copy()
        self.elasticity = np.broadcast_to(np.asarray(elasticity, float), capacity.shape).copy()
        self.production_share = production_share
        self.rent = np.ones_like(self.capacity)
        self.spending0: np.ndarray | None = None

    def production_land(self) -> np.ndarray:
        """km² of construction land available to firms (the rest houses residents)."""
        return self.production_share * self.used

    def supply(self, spending: np.ndarray, cap_factor: np.ndarray) -> None:
        """Land in use this year, from last year's land spending (100m yuan per year)."""
        if self.spending0 is None:
            self.spending0 = spending.copy()
        e = self.elasticity
        want = self.used0 * (spending / self.spending0) ** (e / (1.0 + e))
        self.used = np.minimum(
            np.maximum(want, np.minimum(self.used, self.capacity * cap_factor)), self.capacity * cap_factor
        )

    def clear(self, spending: np.ndarray) -> None:
        """Rent index (1 in the base year) from this year's land spending and land in use."""
        if self.spending0 is None:
            self.spending0 = spending.copy()
        self.rent = (spending / self.spending0) / (self.used / self.used0)
