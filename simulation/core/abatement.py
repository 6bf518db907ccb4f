"""Abatement: firm-specific marginal cost curves, standards, and a permit market that clears.

Firm f abating a share a of its unabated emissions E_f of one pollutant has marginal cost

    MAC_f(a) = c_f * a / (1 - a)          yuan per tonne,   c_f = c_k * exp(s * z_f - s**2 / 2)

where c_k is the sector's cost at 50% abatement, z_f the firm's own standard-normal draw (a fixed
trait, keyed by its identity) and s the spread of costs between firms. The cost of abating share a
is the area under that curve, E_f * c_f * (-ln(1 - a) - a).

A firm abates at least what the standards in force require (a floor a_std from the baseline
regulation path) and, where it must hold permits, up to where its marginal cost meets the permit
price p: a_f(p) = max(a_std, p / (p + c_f)). The price clears the market of a scope (the cluster or a
province): sum_f E_f (1 - a_f(p)) = cap. Emissions are then at the cap whenever it binds, firms with
cheap abatement abate more and sell permits to those with dear abatement, and the volume traded is
what sellers sell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq


def firm_costs(c_sector: np.ndarray, z: np.ndarray, spread: float) -> np.ndarray:
    """Each firm's cost at 50% abatement, c_f (yuan/t), from its sector's cost and its own draw."""
    return c_sector * np.exp(spread * z - 0.5 * spread**2)


def share_at(price: float | np.ndarray, c: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Abatement share of each firm at permit price ``price`` with the standards' floor."""
    return np.maximum(floor, price / (price + c))


def cost(unabated: np.ndarray, c: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Cost (yuan) of abating share ``a`` of ``unabated`` tonnes on the curve c * a / (1 - a)."""
    a = np.clip(a, 0.0, 1.0 - 1e-12)
    return unabated * c * (-np.log1p(-a) - a)


def marginal_cost(c: np.ndarray, a: np.ndarray) -> np.ndarray:
    a = np.clip(a, 0.0, 1.0 - 1e-12)
    return c * a / (1.0 - a)


@dataclass(frozen=True)
class Clearing:
    """One scope's market in one year."""

    price: float  # yuan/t
    emissions: float  # t, after abatement
    cap: float  # t
    traded: float  # t of permits sold by firms holding more than they emit
    binding: bool


def clear(
    unabated: np.ndarray, c: np.ndarray, floor: np.ndarray, cap: float, permits: np.ndarray
) -> Clearing:
    """The price at which the scope's firms emit ``cap`` (0 if the standards alone keep them below it).

    ``permits`` is each firm's allocation (zeros when all permits are auctioned); the traded volume
    is the permits sold by firms whose allocation exceeds their emissions at the clearing price.
    """

    def excess(p: float) -> float:
        return float(unabated @ (1.0 - share_at(p, c, floor))) - cap

    if unabated.size == 0 or excess(0.0) <= 0:
        price = 0.0
    else:
        hi = float(np.max(c)) if c.size else 1.0
        while excess(hi) > 0:  # at price p every firm abates at least p / (p + max c)
            hi *= 4.0
        price = brentq(excess, 0.0, hi, xtol=1e-9, rtol=1e-13)
    emitted = unabated * (1.0 - share_at(price, c, floor))
    traded = float(np.maximum(permits - emitted, 0.0).sum()) if permits.any() else 0.0
    return Clearing(price, float(emitted.sum()), float(cap), traded, price > 0)


def grandfather(history: np.ndarray, cap: float) -> np.ndarray:
    """Free allocation of ``cap`` in proportion to each firm's emissions the year before."""
    total = float(history.sum())
    return history * (cap / total) if total > 0 else np.zeros_like(history)
