"""Capital: stocks by city and sector, depreciation, and investment allocated by expected return.

K_ik(t+1) = (1 - delta) K_ik(t) + I_ik(t). The cluster invests a savings rate s of its GDP plus a
net inflow from the rest of China (a share of that); the sum is spread over city-sectors by a logit
on gross returns: I_ik proportional to K_ik * (r_ik / r_0)^theta, so at the base year (every return
equal to the user cost r_0 = delta + rho) investment is spread in proportion to the stocks, and later
it chases returns with elasticity theta. Firms that relocate take their share of their city-sector's
capital with them; firms that arrive from the coast bring capital (counted as an external inflow)
that stays owned on the coast: ``owned_outside`` tracks it (depreciating, moving and scrapped like
the rest), and its return is paid out of the cluster (residents' income excludes it), which is the
price of the investment the coast brings; exiting firms' capital stays with the city-sector less a
scrapped share.
"""

from __future__ import annotations

import numpy as np


class Capital:
    def __init__(
        self,
        stock: np.ndarray,
        depreciation: float,
        savings_rate: float,
        inflow_share: float,
        elasticity: float,
        user_cost: float,
        scrap_share: float,
    ) -> None:
        self.stock = stock.astype(float).copy()
        self.depreciation, self.savings_rate = depreciation, savings_rate
        self.inflow_share, self.elasticity = inflow_share, elasticity
        self.user_cost, self.scrap_share = user_cost, scrap_share
        self.investment = np.zeros_like(self.stock)
        self.external = np.zeros(stock.shape[0])  # capital brought by firms from the coast, by city
        self.owned_outside = np.zeros_like(self.stock)  # part of the stock owned on the coast

    @staticmethod
    def base_year(y0: np.ndarray, eta: float, bk: np.ndarray, user_cost: float) -> np.ndarray:
        """Stocks at which every city-sector's gross return equals the user cost."""
        return eta * bk[None, :] * y0 / user_cost

    def invest(self, gdp_total: float, returns: np.ndarray) -> None:
        """Depreciate, then add this year's investment, allocated by expected return."""
        total = self.savings_rate * gdp_total * (1.0 + self.inflow_share)
        pos = self.stock > 0
        ratio = np.where(pos, np.maximum(returns, 1e-12) / self.user_cost, 0.0)
        w = np.where(pos, self.stock * ratio**self.elasticity, 0.0)
        self.investment = total * w / w.sum()
        self.stock = (1.0 - self.depreciation) * self.stock + self.investment
        self.owned_outside = (1.0 - self.depreciation) * self.owned_outside

    def move(self, origin: np.ndarray, dest: np.ndarray, sector: np.ndarray, share: np.ndarray) -> None:
        """Firms moving from origin to dest take ``share`` of their origin city-sector's stock."""
        k = self.stock.shape[1]
        for arr in ("stock", "owned_outside"):
            a = getattr(self, arr)
            amount = a[origin, sector] * share
            flat = a.ravel().copy()
            np.subtract.at(flat, origin * k + sector, amount)
            np.add.at(flat, dest * k + sector, amount)
            setattr(self, arr, np.maximum(flat.reshape(a.shape), 0.0))

    def arrive(self, city: np.ndarray, sector: np.ndarray, amount: np.ndarray) -> None:
        k = self.stock.shape[1]
        flat = self.stock.ravel()
        np.add.at(flat, city * k + sector, amount)
        self.stock = flat.reshape(self.stock.shape)
        owned = self.owned_outside.ravel().copy()
        np.add.at(owned, city * k + sector, amount)
        self.owned_outside = owned.reshape(self.stock.shape)
        self.external = self.external + np.bincount(city, weights=amount, minlength=self.stock.shape[0])

    def scrap(self, city: np.ndarray, sector: np.ndarray, share: np.ndarray) -> None:
        """Exiting firms: their share of the stock is scrapped in part."""
        k = self.stock.shape[1]
        for arr in ("stock", "owned_outside"):
            a = getattr(self, arr)
            flat = a.ravel().copy()
            np.subtract.at(flat, city * k + sector, self.scrap_share * flat[city * k + sector] * share)
            setattr(self, arr, np.maximum(flat.reshape(a.shape), 0.0))
