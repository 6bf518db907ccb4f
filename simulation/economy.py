"""Production, factor markets and the base-year calibration, over arrays of (city, sector).

Sector k in city c produces Y = B_kc * (H^b_k * L^(1-b_k))^eta with talent H (efficiency units) and
general labour L; B_kc = A_kc * firm composite * market access^gamma_k * TFP_k. Within a city both
factors move freely between sectors at one wage each; wages adjust to excess demand
(tatonnement on log wages) until the city's talent and labour markets clear, while relative sector
prices fall where the cluster's output of a sector outgrows the others (demand elasticity sigma),
so that sector shares move with demand rather than jump with small productivity differences. At
base-year factor supplies and shifters of one, A_kc is set so that output equals the data exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.config import ProductionSection


def sector_targets(cities: pd.DataFrame, prod: ProductionSection) -> np.ndarray:
    """Base-year value added by (city, sector) in 100m yuan from GDP, secondary share and city traits.

    Secondary output is split into heavy industry (by the city's heavy-industry flag), high-tech (rising
    with the tertiary-educated share) and other manufacturing; services take the rest of GDP
    (primary output is folded into services: the data has no primary share).
    """
    gdp = cities.gdp_2019_100m_yuan.to_numpy(float)
    sec = gdp * cities.secondary_share_2019.to_numpy(float)
    heavy_by_flag = {
        "low": prod.heavy_share_of_secondary_low,
        "medium": prod.heavy_share_of_secondary_medium,
        "high": prod.heavy_share_of_secondary_high,
    }
    heavy = np.array([heavy_by_flag[f] for f in cities.heavy_industry_flag])
    tert = cities.tertiary_educated_share_2020.to_numpy(float)
    ht = np.clip(prod.hightech_share_base + prod.hightech_share_slope * (tert - 0.10), 0.0, 0.9 - heavy)
    ht = np.maximum(ht, 0.0)
    manuf = 1.0 - heavy - ht
    return np.column_stack([sec * heavy, sec * manuf, sec * ht, gdp - sec])


def largest_remainder(shares: np.ndarray, total: int, minimum: np.ndarray | None = None) -> np.ndarray:
    """Integer counts proportional to ``shares`` summing to ``total`` (at least ``minimum`` each)."""
    shares = np.asarray(shares, float)
    raw = shares / shares.sum() * total
    base = np.floor(raw).astype(np.int64)
    if minimum is not None:
        base = np.maximum(base, minimum)
    left = total - int(base.sum())
    if left > 0:
        order = np.argsort(-(raw - np.floor(raw)), kind="stable")
        base[order[:left]] += 1
    return base


def draw_other_city(home: np.ndarray, pop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A city other than ``home`` for each entry, drawn in proportion to population."""
    cdf = np.cumsum(pop / pop.sum())
    cdf[-1] = 1.0
    out = np.searchsorted(cdf, rng.random(len(home)), side="right").astype(np.int32)
    for _ in range(20):
        clash = np.flatnonzero(out == home)
        if len(clash) == 0:
            break
        out[clash] = np.searchsorted(cdf, rng.random(len(clash)), side="right")
    return out


def draw_hukou_for_graduates(
    uni: np.ndarray,
    pop: np.ndarray,
    prov: np.ndarray,
    rng: np.random.Generator,
    local_share: float,
    outside_share: float,
) -> np.ndarray:
    """Hukou of graduates: outside the region, in the university's province, or anywhere in the region."""
    n = len(pop)
    u = rng.random(len(uni))
    anywhere = np.searchsorted(np.cumsum(pop / pop.sum()), rng.random(len(uni)), side="right")
    anywhere = np.minimum(anywhere, n - 1)
    # within the university's province: draw by population among that province's cities
    same = np.empty(len(uni), np.int64)
    r = rng.random(len(uni))
    for p in np.unique(prov):
        members = np.flatnonzero(prov == p)
        sel = np.flatnonzero(prov[uni] == p)
        cdf = np.cumsum(pop[members] / pop[members].sum())
        cdf[-1] = 1.0
        same[sel] = members[np.searchsorted(cdf, r[sel], side="right")]
    out = np.where(u < outside_share, n, np.where(u < outside_share + local_share, same, anywhere))
    return out.astype(np.int32)


@dataclass
class Solution:
    output: np.ndarray  # (n, k) 100m yuan
    talent: np.ndarray  # (n, k) efficiency units
    labour: np.ndarray  # (n, k) persons
    wage_talent: np.ndarray  # (n,) yuan per efficiency unit per year
    wage_general: np.ndarray  # (n,) yuan per worker per year

    def talent_persons(self, h_eff: np.ndarray, persons: np.ndarray) -> np.ndarray:
        share = np.divide(
            self.talent, h_eff[:, None], out=np.zeros_like(self.talent), where=h_eff[:, None] > 0
        )
        return share * persons[:, None]


class Economy:
    """City-sector production with calibrated productivity levels ``A`` and wage-clearing markets."""

    def __init__(
        self, a, beta, eta: float, sigma: float, iterations: int, wages: tuple, y0: np.ndarray
    ) -> None:
        self.a, self.beta, self.eta, self.sigma, self.iterations = a, beta, eta, sigma, iterations
        self.log_wh, self.log_wl = np.log(wages[0]), np.log(wages[1])
        self.y0_sector = y0.sum(axis=0)
        self.share0 = self.y0_sector / self.y0_sector.sum()
        self.log_p = np.zeros(y0.shape[1])
        self.residual = 0.0

    @classmethod
    def calibrate(cls, y0: np.ndarray, h: np.ndarray, labour: np.ndarray, prod: ProductionSection) -> Economy:
        b = np.array(prod.talent_share.as_tuple())[None, :]
        eta = prod.span_of_control
        h = np.maximum(h, 1e-9)
        hk = h[:, None] * (b * y0) / (b * y0).sum(axis=1, keepdims=True)
        lk = labour[:, None] * ((1 - b) * y0) / ((1 - b) * y0).sum(axis=1, keepdims=True)
        x = hk**b * lk ** (1 - b)
        a = np.divide(y0, x**eta, out=np.zeros_like(y0), where=x > 0)
        wh = eta * (b * y0).sum(axis=1) / h
        wl = eta * ((1 - b) * y0).sum(axis=1) / labour
        return cls(a, b, eta, prod.sector_substitution, prod.wage_iterations, (wh, wl), y0)

    def solve(self, shifter: np.ndarray, h: np.ndarray, labour: np.ndarray) -> Solution:
        """Clear each city's talent and labour markets and the cluster's sector product markets.

        Wages adjust to excess factor demand city by city; relative sector prices adjust so that
        sector outputs move against demand with elasticity ``sigma`` (the price index, weighted by
        base-year sector shares, stays 1). Returns outputs at the year's prices, allocations, wages.
        """
        b, eta, sigma = self.beta, self.eta, self.sigma
        big_b = self.a * shifter
        h = np.maximum(h, 1e-9)
        labour = np.maximum(labour, 1e-9)
        lwh, lwl, lp = self.log_wh.copy(), self.log_wl.copy(), self.log_p.copy()
        lam = 0.8 * (1 - eta)
        # output responds to its price with elasticity ~1/(1-eta): damp the price step like Newton's
        damp = 0.8 / (1 + 1 / ((1 - eta) * sigma))
        for _ in range(self.iterations):
            y, hd, ld = self._demand(big_b * np.exp(lp)[None, :], lwh, lwl)
            ok = (hd.sum(axis=1) > 0) & (ld.sum(axis=1) > 0)
            lwh = np.where(ok, lwh + lam * np.log(np.where(ok, hd.sum(axis=1), 1) / h), lwh)
            lwl = np.where(ok, lwl + lam * np.log(np.where(ok, ld.sum(axis=1), 1) / labour), lwl)
            growth = np.log(np.maximum(y.sum(axis=0), 1e-300) / self.y0_sector)
            target = -(growth - self.share0 @ growth) / sigma
            lp = lp + damp * (target - lp)
        price = np.exp(lp)[None, :]
        _, hd, ld = self._demand(big_b * price, lwh, lwl)
        # allocate the actual supplies in proportion to demand: factor markets clear exactly
        hk = h[:, None] * hd / np.maximum(hd.sum(axis=1, keepdims=True), 1e-300)
        lk = labour[:, None] * ld / np.maximum(ld.sum(axis=1, keepdims=True), 1e-300)
        y = price * big_b * (hk**b * lk ** (1 - b)) ** eta
        self.log_wh, self.log_wl, self.log_p = lwh, lwl, lp
        growth = np.log(np.maximum(y.sum(axis=0), 1e-300) / self.y0_sector)
        self.residual = max(
            float(np.max(np.abs(np.log(np.maximum(hd.sum(axis=1), 1e-300) / h)))),
            float(np.max(np.abs(lp + (growth - self.share0 @ growth) / sigma))),
        )
        return Solution(
            output=y,
            talent=hk,
            labour=lk,
            wage_talent=1e8 * eta * (b * y).sum(axis=1) / h,
            wage_general=1e8 * eta * ((1 - b) * y).sum(axis=1) / labour,
        )

    def _demand(self, value_b: np.ndarray, lwh: np.ndarray, lwl: np.ndarray):
        b, eta = self.beta, self.eta
        wh, wl = np.exp(lwh)[:, None], np.exp(lwl)[:, None]
        cost = (wh / b) ** b * (wl / (1 - b)) ** (1 - b)
        x = (eta * value_b / cost) ** (1 / (1 - eta))
        return value_b * x**eta, b * cost * x / wh, (1 - b) * cost * x / wl
