"""Goods trade between the cities and the rest of China: a CES (Armington) gravity system.

Each city-sector makes its own variety; region j spends E_jk on sector k and splits it over the
varieties by
    X_ijk = a_ik (p_ik tau_ijk)^(1 - sigma_k) / P_jk^(1 - sigma_k) * E_jk,
    P_jk^(1 - sigma_k) = sum_i a_ik (p_ik tau_ijk)^(1 - sigma_k),
with iceberg costs tau_ijk = 1 + c_k * hours_ij (Head & Mayer 2014 for sigma - 1 ~ 4-6; services
nearly non-traded through a large c_k). Region ``n`` (the last) is the rest of China: its price is
the numeraire (1) and its demand is exogenous. ``a`` are demand shifters (quality, taste, product
range) inverted at year 0 so that each city-sector sells exactly its 2019 value added at p = 1
(Allen & Arkolakis 2014; Redding & Rossi-Hansberg 2017).

Arrays are laid out sector-first: tau (K, R, R) origin x destination, a and p (K, R), E (K, R),
with R = n + 1 regions.
"""

from __future__ import annotations

import numpy as np


def cost_powers(tau: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """tau_ijk^(1 - sigma_k): the part of the trade shares that only changes with the network."""
    return tau ** (1.0 - sigma)[:, None, None]


def price_index(x: np.ndarray, tpow: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """P_jk (K, R) from x_ik = a_ik p_ik^(1 - sigma_k) (K, R) and tau^(1 - sigma) (K, R, R)."""
    s = np.einsum("ki,kij->kj", x, tpow)
    return s ** (1.0 / (1.0 - sigma))[:, None]


def revenues(x: np.ndarray, tpow: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sales R_ik (K, R) of every variety and P_jk^(1 - sigma) (K, R) given spending e (K, R)."""
    s = np.einsum("ki,kij->kj", x, tpow)
    return x * np.einsum("kij,kj->ki", tpow, e / s), s


def flows(x: np.ndarray, tpow: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Bilateral sales X_ijk (K, R, R), origin x destination."""
    s = np.einsum("ki,kij->kj", x, tpow)
    return x[:, :, None] * tpow * (e / s)[:, None, :]


def invert_shifters(
    y0: np.ndarray, e: np.ndarray, tpow: np.ndarray, tol: float = 1e-13, max_iter: int = 20_000
) -> np.ndarray:
    """Demand shifters a (K, R) with a[:, -1] = 1 such that sales at p = 1 equal ``y0`` (K, n).

    The fixed point a <- a * y0 / R(a) is a contraction in logs for gross substitutes (sigma > 1).
    Raises ValueError if the cities' target sales exceed what all regions spend on a sector.
    """
    if np.any(y0.sum(axis=1) >= e.sum(axis=1)):
        raise ValueError("target sales exceed total spending in some sector")
    k, n = y0.shape
    a = np.ones((k, n + 1))
    pos = y0 > 0
    a[:, :n] = np.where(pos, 1.0, 0.0)
    for _ in range(max_iter):
        r, _ = revenues(a, tpow, e)
        ratio = np.where(pos, y0 / np.where(pos, r[:, :n], 1.0), 1.0)
        a[:, :n] *= ratio
        if np.max(np.abs(np.log(ratio))) < tol:
            return a
    raise ValueError("trade shifters did not converge")


def trade_costs(hours: np.ndarray, per_hour: np.ndarray) -> np.ndarray:
    """Iceberg costs tau (K, R, R) = 1 + c_k * hours_ij, with tau_ii = 1."""
    tau = 1.0 + per_hour[:, None, None] * hours[None, :, :]
    idx = np.arange(hours.shape[0])
    tau[:, idx, idx] = 1.0
    return tau
