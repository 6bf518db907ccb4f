"""Firms: the table of firm agents (struct of arrays) and the array helpers their decisions use.

A firm's capacity weight q_f = a_f ** (1 / (1 - eta)) sets its share of its city-sector's inputs and
output (the efficient allocation under span-of-control returns eta); the city-sector's productivity
rises with the sum of its firms' weights as (sum q) ** (1 - eta). Each firm also carries its own
fixed cost (in general-labour years of its city) and a stable identity that keys its random
streams. The decisions themselves live in ``simulation.core.firms``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from simulation.core.table import AgentTable

FIELDS_INT = ("city", "sector", "age")
FIELDS_FLOAT = (
    "logq",
    "abatement",
    "abatement_water",
    "abatement_cost",
    "output",
    "employment",
    "emissions_air",
    "emissions_water",
    "profit",
    "fixed_cost",
)


class FirmTable(AgentTable):
    """One row (slot) per firm agent; ``uid`` is its stable identity, keying its random streams."""

    COLUMNS: ClassVar[dict[str, tuple[type, float]]] = {
        **{f: (np.int32, 0 if f == "age" else -1) for f in FIELDS_INT},
        **dict.fromkeys(FIELDS_FLOAT, (np.float64, 0)),
        "uid": (np.uint64, 0),
    }

    def __init__(self, capacity: int, eta: float) -> None:
        super().__init__(capacity)
        self.eta = eta

    def productivity(self, slot: int) -> float:
        return float(np.exp(self.logq[slot] * (1 - self.eta)))

    def capacity_sums(self, n_cities: int, n_sectors: int) -> np.ndarray:
        """Sum of capacity weights q per (city, sector)."""
        live = self.living()
        idx = self.city[live] * n_sectors + self.sector[live]
        q = np.exp(self.logq[live])
        return np.bincount(idx, weights=q, minlength=n_cities * n_sectors).reshape(n_cities, n_sectors)

    def counts(self, n_cities: int, n_sectors: int) -> np.ndarray:
        live = self.living()
        idx = self.city[live] * n_sectors + self.sector[live]
        return np.bincount(idx, minlength=n_cities * n_sectors).reshape(n_cities, n_sectors)


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return float(np.log(p / (1 - p)))


def softmax(u: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(np.where(np.isfinite(u), u, -np.inf), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(u - m)
    s = e.sum(axis=axis, keepdims=True)
    return np.divide(e, s, out=np.zeros_like(e), where=s > 0)
