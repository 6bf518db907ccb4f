"""Struct-of-arrays tables of agents: one row (slot) per agent, free slots reused.

The talent and firm tables declare their columns (dtype and the fill of an empty slot); this base
class creates the arrays, hands out slots (free ones first, lowest first, then growth by at least a
quarter) and lists the living rows.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np


class AgentTable:
    COLUMNS: ClassVar[dict[str, tuple[type, float]]] = {}  # name -> (dtype, fill of an empty slot)

    def __init__(self, capacity: int) -> None:
        self.alive = np.zeros(capacity, bool)
        for name, (dtype, fill) in self.COLUMNS.items():
            setattr(self, name, np.full(capacity, fill, dtype))

    @property
    def capacity(self) -> int:
        return len(self.alive)

    def allocate(self, n: int) -> np.ndarray:
        """Slots for n new agents: free slots first (lowest first), then growth of the arrays."""
        free = np.flatnonzero(~self.alive)[:n]
        if len(free) < n:
            extra = n - len(free)
            old = self.capacity
            grow = max(extra, old // 4)
            self.alive = np.concatenate([self.alive, np.zeros(grow, bool)])
            for name, (dtype, fill) in self.COLUMNS.items():
                setattr(self, name, np.concatenate([getattr(self, name), np.full(grow, fill, dtype)]))
            free = np.concatenate([free, np.arange(old, old + extra)])
        return free

    def living(self) -> np.ndarray:
        return np.flatnonzero(self.alive)
