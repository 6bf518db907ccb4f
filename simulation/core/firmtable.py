"""Firms: the table of firm agents (struct of arrays) and the array helpers their decisions use.

A firm's capacity weight q_f = a_f ** (1 / (1 - eta)) sets its share of its city-sector's inputs and
output (the efficient allocation under span-of-control returns eta); the city-sector's productivity
rises with the sum of its firms' weights as (sum q) ** (1 - eta). Each firm also carries its own
fixed cost (in general-labour years of its city) and a stable identity that keys its random
streams. The decisions themselves live in ``simulation.core.firms``.
"""

from __future__ import annotations

import numpy as np

FIELDS_INT = ("city", "sector", "age")
FIELDS_U64 = ("uid",)
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


class FirmTable:
    """Struct of arrays, one row (slot) per firm agent; free slots are reused."""

    def __init__(self, capacity: int, eta: float) -> None:
        self.eta = eta
        self.alive = np.zeros(capacity, bool)
        for f in FIELDS_INT:
            setattr(self, f, np.full(capacity, -1 if f != "age" else 0, np.int32))
        for f in FIELDS_FLOAT:
            setattr(self, f, np.zeros(capacity, np.float64))
        self.uid = np.zeros(capacity, np.uint64)

    @property
    def capacity(self) -> int:
        return len(self.alive)

    def allocate(self, n: int) -> np.ndarray:
        free = np.flatnonzero(~self.alive)[:n]
        if len(free) < n:
            extra = n - len(free)
            old = self.capacity
            grow = max(extra, old // 4)
            self.alive = np.concatenate([self.alive, np.zeros(grow, bool)])
            for f in FIELDS_INT:
                arr = getattr(self, f)
                setattr(self, f, np.concatenate([arr, np.full(grow, -1 if f != "age" else 0, arr.dtype)]))
            for f in FIELDS_FLOAT + FIELDS_U64:
                arr = getattr(self, f)
                setattr(self, f, np.concatenate([arr, np.zeros(grow, arr.dtype)]))
            free = np.concatenate([free, np.arange(old, old + extra)])
        return free

    def living(self) -> np.ndarray:
        return np.flatnonzero(self.alive)

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
