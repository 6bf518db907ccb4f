"""Production, factor payments and the goods-market equilibrium of one year.

City-sector ik produces its variety with

    Q_ik = A_ik * S_ik * (H_ik^bH_ik  L_ik^bL_ik  K_ik^bK  T_ik^bT)^eta

talent H (efficiency units), general labour L (persons), capital K (100m yuan) and production
land T (km²); S_ik collects the year's shifters (TFP, local agglomeration, the firm composite,
lever and damage factors). The exponents sum to one, so eta is the return to the variable inputs
(Lucas span of control) and 1 - eta is the firms' operating surplus. The talent exponent varies by
city: it is set at year 0 so that the talent wage per efficiency unit equals the college premium
times the city's observed average wage, which makes the urban skill premium rise with the wage
data's ranks. Labour's share of value added eta * (bH + bL) and land's eta * bT are the national
accounts' figures; capital takes the rest.

Within a city talent, labour and land move between sectors until their value marginal products are
equal (Cobb-Douglas: each sector gets the factor in proportion to its net revenue times the
exponent); capital is installed where it is. Prices clear every variety's market under the CES
trade system of ``simulation.core.trade``, each city spending its revenue on sectors with fixed
shares (services mostly at home).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.core import trade

YUAN = 1e8  # value tables are in 100m yuan (亿元), wages in yuan


@dataclass
class Shares:
    """Production exponents: bh, bl (n, K) by city and sector; bk, bt (K,); eta a scalar."""

    bh: np.ndarray
    bl: np.ndarray
    bk: np.ndarray
    bt: np.ndarray
    eta: float


@dataclass
class Year:
    """The goods-market equilibrium of one year (value arrays in 100m yuan, (n, K) unless noted)."""

    revenue: np.ndarray  # gross sales
    value_added: np.ndarray  # sales less ad-valorem costs (abatement, levies)
    quantity: np.ndarray
    price: np.ndarray
    talent: np.ndarray  # efficiency units by sector
    labour: np.ndarray  # persons by sector
    land: np.ndarray  # km² by sector
    wage_talent: np.ndarray  # (n,) yuan per efficiency unit
    wage_general: np.ndarray  # (n,) yuan per worker
    capital_return: np.ndarray  # gross return per yuan of capital
    land_payments: np.ndarray  # (n,)
    profits: np.ndarray  # operating surplus (1 - eta) x value added
    price_index: np.ndarray  # (n,) consumer price index of goods (rest of China = 1)
    residual: float
    iterations: int


def talent_exponents(
    y0: np.ndarray, h: np.ndarray, wage_target: np.ndarray, base: np.ndarray, eta: float, labour_share: float
) -> np.ndarray:
    """bH (n, K) proportional to the sector intensities ``base`` and scaled per city so that the
    talent wage bill equals ``wage_target`` x ``h`` (capped at 90% of labour's exponent)."""
    scale = wage_target * h / (YUAN * eta * (base[None, :] * y0).sum(axis=1))
    return np.minimum(scale[:, None] * base[None, :], 0.9 * labour_share / eta)


class Production:
    """Calibrated technology, demand and trade system; ``solve`` clears one year's markets."""

    def __init__(
        self,
        shares: Shares,
        a_prod: np.ndarray,
        demand_shares: np.ndarray,
        shifters: np.ndarray,
        sigma: np.ndarray,
        tpow: np.ndarray,
        revenue0: np.ndarray,
        tol: float,
        max_iter: int,
    ) -> None:
        self.shares, self.a_prod, self.mu = shares, a_prod, demand_shares
        self.demand_shifters, self.sigma, self.tpow = shifters, sigma, tpow
        self.tol, self.max_iter = tol, max_iter
        self.log_p = np.zeros_like(a_prod)
        self.last_revenue = revenue0.copy()  # warm start: spending from last year's sales

    @staticmethod
    def technology(y0, h, labour, capital, land, shares: Shares) -> np.ndarray:
        """A_ik such that the base-year factors produce the base-year output at price 1."""
        alloc = _allocate(y0, h, labour, land, shares)
        x = _composite(alloc[0], alloc[1], capital, alloc[2], shares)
        return np.divide(y0, x, out=np.zeros_like(y0), where=x > 0)

    def set_trade_costs(self, tpow: np.ndarray) -> None:
        self.tpow = tpow

    def flows(self) -> np.ndarray:
        """Last solution's bilateral sales X_ijk (K, R, R) in 100m yuan, origin x destination."""
        return trade.flows(self.last_x, self.tpow, self.last_e)

    def solve(self, shifter, h, labour, capital, land, cost_share, outside_spending) -> Year:
        """Prices that clear every variety's market, given this year's factors and shifters.

        ``cost_share`` (n, K) is the ad-valorem share of sales spent on abatement or levies;
        ``outside_spending`` (K,) is the rest of China's spending on each sector.

        Each iteration moves log prices by the log gap between sales and the value of output over
        that gap's own-price derivative (a diagonal Newton step, fixed at the first iteration):
        about 1 / sigma for a traded variety, about 1 for a nearly non-traded one, whose sales are
        its home city's spending whatever its price. See :class:`_Gap` for the cost of one step.
        """
        g = _Gap(self, shifter, h, labour, capital, land, 1.0 - cost_share, outside_spending)
        for newton in (True, False):  # the plain 1 / sigma step if the Newton step ever diverged
            lp, rev = self.log_p.copy(), self.last_revenue
            step = None if newton else 1.0 / self.sigma[None, :]
            resid, it = np.inf, 0
            for it in range(1, self.max_iter + 1):  # noqa: B007 - the count is reported
                gap, rev, q = g(lp, rev)
                resid = float(np.max(np.abs(gap)))
                if resid < self.tol or not np.isfinite(resid):
                    break
                if step is None:
                    step = g.newton_step(rev)
                lp = lp + gap * step
            if resid < self.tol:
                break
        self.log_p = lp
        self.last_revenue = rev
        self.last_x, self.last_e = g.x.copy(), g.e.copy()
        return self._year(g, rev, q, lp, h, labour, capital, land, resid, it)

    def _year(self, g: _Gap, rev, q, lp, h, labour, capital, land, resid: float, it: int) -> Year:
        sh, n = self.shares, rev.shape[0]
        va = rev * g.keep
        hk, lk, tk = _allocate(va, h, labour, land, sh)
        eta = sh.eta
        hsum, lsum = np.maximum(h, 1e-12), np.maximum(labour, 1e-12)
        cap = np.maximum(capital, 1e-12)
        goods = trade.price_index(g.x, self.tpow, self.sigma)[:, :n].T  # (n, K)
        return Year(
            revenue=rev,
            value_added=va,
            quantity=q,
            price=np.exp(lp),
            talent=hk,
            labour=lk,
            land=tk,
            wage_talent=YUAN * eta * (sh.bh * va).sum(axis=1) / hsum,
            wage_general=YUAN * eta * (sh.bl * va).sum(axis=1) / lsum,
            capital_return=np.where(capital > 0, eta * sh.bk[None, :] * va / cap, 0.0),
            land_payments=eta * (sh.bt[None, :] * va).sum(axis=1),
            profits=(1 - eta) * va,
            price_index=np.exp((self.mu * np.log(goods)).sum(axis=1)),
            residual=resid,
            iterations=it,
        )


class _Gap:
    """The log gap between sales and the value of output, log R - log p - log Q, at given prices.

    With Cobb-Douglas factor shares a city's talent, labour and land go to its sectors in
    proportion to b_f,ik x net revenue_ik, so

        log Q_ik = log A_ik S_ik + eta * (C_ik + sum_f b_f,ik (log NR_ik - log sum_l b_f,il NR_il)),

    where C_ik = sum_f b_f,ik log(F_i b_f,ik) + b_K,k log K_ik holds everything that does not move
    with prices: one evaluation is a handful of array operations on (n, K) arrays. Spending in each
    city is the previous evaluation's sales (the solver's second state), the rest of China's is
    given. Cells that cannot produce (a zero shifter, a zero factor they use, no demand for their
    variety) have no gap; anywhere else a gap that is not finite ends the attempt (the solver
    falls back to its plain step).
    """

    def __init__(self, pr: Production, shifter, h, labour, capital, land, keep, outside) -> None:
        sh = pr.shares
        n, k = shifter.shape
        self.n, self.keep, self.mu, self.tpow, self.eta = n, keep, pr.mu, pr.tpow, sh.eta
        self.one_m_sig = (1.0 - pr.sigma)[:, None]
        self.e = np.empty((k, n + 1))
        self.e[:, n] = outside
        self.x = np.empty((k, n + 1))
        self.x[:, n] = pr.demand_shifters[:, n]
        self.a = pr.demand_shifters[:, :n]
        self.w = np.stack([sh.bh, sh.bl, np.broadcast_to(sh.bt[None, :], (n, k))])  # (3, n, K)
        self.on = self.w > 0
        tot = np.stack([h, labour, land])[:, :, None]
        bk = np.broadcast_to(sh.bk[None, :], (n, k))
        with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = -inf: that cell cannot produce
            fixed = np.where(self.on, self.w * np.log(tot * self.w), 0.0).sum(axis=0)
            fixed = fixed + np.where(bk > 0, bk * np.log(capital), 0.0)
            self.log_a = np.log(pr.a_prod * shifter) + self.eta * fixed
        # which cells can produce is structural (a shifter, every factor it uses, a buyer), never
        # read off an iterate: a diverging step must not pass for a solution of zero output
        self.can = np.isfinite(self.log_a) & (self.a.T > 0)

    def __call__(self, lp, rev) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(gap, sales, quantity) at log prices ``lp`` (n, K), spending from sales ``rev``."""
        n, x, e = self.n, self.x, self.e
        x[:, :n] = self.a * np.exp(lp).T ** self.one_m_sig
        e[:, :n] = (self.mu * rev.sum(axis=1, keepdims=True)).T
        s = np.einsum("ki,kij->kj", x, self.tpow)
        rev = (x[:, :n] * np.einsum("kij,kj->ki", self.tpow[:, :n, :], e / s)).T
        nr = rev * self.keep
        self._s, self._nr = s, nr
        with np.errstate(divide="ignore", invalid="ignore"):
            lognr = np.log(nr)
            within = lognr[None] - np.log(np.einsum("fik,ik->fi", self.w, nr))[:, :, None]
            logq = self.log_a + self.eta * np.where(self.on, self.w * within, 0.0).sum(axis=0)
            gap = np.log(rev) - lp - logq
        q = np.where(self.can, np.exp(logq), 0.0)
        return np.where(self.can, gap, 0.0), rev, q

    def newton_step(self, rev) -> np.ndarray:
        """-1 / d gap_ik / d log p_ik at the last evaluation, own-price effects only: the variety's
        sales fall with (1 - sigma)(1 - lambda), lambda its sales-weighted share of its own
        markets, and its output follows its net revenue through the factors it draws from the
        city's other sectors."""
        n, x, s, nr = self.n, self.x, self._s, self._nr
        sq = np.einsum("kij,kj->ki", self.tpow[:, :n, :] ** 2, self.e / s**2)
        lam = (x[:, :n] ** 2 * sq).T / np.where(rev > 0, rev, 1.0)
        d_rev = self.one_m_sig.T * (1.0 - lam)
        tot = np.einsum("fik,ik->fi", self.w, nr)[:, :, None]
        own = (self.w * self.w * nr[None] / np.where(tot > 0, tot, 1.0)).sum(axis=0)
        d_gap = d_rev * (1.0 - self.eta * (self.w.sum(axis=0) - own)) - 1.0
        return -1.0 / np.minimum(d_gap, -1.0)


def _allocate(net_revenue, h, labour, land, sh: Shares):
    """Mobile factors split over a city's sectors in proportion to exponent x net revenue."""
    out = []
    for total, b in ((h, sh.bh), (labour, sh.bl), (land, sh.bt[None, :])):
        w = b * net_revenue
        s = w.sum(axis=1, keepdims=True)
        out.append(total[:, None] * np.divide(w, s, out=np.zeros_like(w), where=s > 0))
    return out


def _term(b, x) -> np.ndarray:
    """b * log(x), with a factor of exponent 0 contributing nothing (x ** 0 = 1, also for x = 0)."""
    b = np.broadcast_to(b, np.shape(x))
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 * log(0) is masked just below
        return np.where(b == 0, 0.0, b * np.log(x))


def _composite(hk, lk, kk, tk, sh: Shares) -> np.ndarray:
    logx = _term(sh.bh, hk) + _term(sh.bl, lk) + _term(sh.bk[None, :], kk) + _term(sh.bt[None, :], tk)
    return np.exp(sh.eta * np.where(np.isfinite(logx), logx, -np.inf))
