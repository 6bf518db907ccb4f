"""Economy v2 mechanisms: each test plants a cause and checks its effect against the same seed."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.config import load_config
from simulation.model import HEAVY, MiddleYangtzeModel

MID = ["scale.talent_agents=20000", "scale.firm_agents=2000"]


def _cfg(years: int, extra: list[str] | None = None, region: str | None = None):
    sets = [*MID, f"run.end_year={2019 + years}", *(extra or [])]
    if region:
        sets.append(f'run.region="{region}"')
    return load_config(None, sets)


class CostShock(MiddleYangtzeModel):
    """Heavy industry pays 15% of its sales in new costs (a levy, abatement) from 2020 on."""

    def _reset_mods(self) -> None:
        super()._reset_mods()
        if self.year >= 2020:
            self._mods["cost_share"][:, HEAVY] = 0.15


class TradeCut(MiddleYangtzeModel):
    """Trade between cities 0 and 1 takes half the time from 2020 on (e.g. a freight corridor)."""

    def _reset_mods(self) -> None:
        super()._reset_mods()
        if self.year >= 2020:
            f = np.ones((self.n + 1, self.n + 1))
            f[0, 1] = f[1, 0] = 0.5
            self._mods["trade_cost_factor"] = f


def test_a_cost_shock_shrinks_its_sector_through_entry_and_exit():
    base = MiddleYangtzeModel(_cfg(6), rng=5).run()
    shock = CostShock(_cfg(6), rng=5).run()
    cb, cs = base.tables()["cities"], shock.tables()["cities"]
    mb, ms = base.tables()["model"].set_index("year"), shock.tables()["model"].set_index("year")
    last = 2025
    heavy_b = cb[cb.year == last].heavy_firms.sum()
    heavy_s = cs[cs.year == last].heavy_firms.sum()
    assert heavy_s < 0.95 * heavy_b  # fewer heavy firms
    assert cs[cs.year == last].heavy_output.sum() < cb[cb.year == last].heavy_output.sum()
    assert ms.loc[2021:, "firm_entries"].sum() < mb.loc[2021:, "firm_entries"].sum()  # less entry
    # and the firm count of the other sectors does not fall by as much
    other_b = (cb[cb.year == last].firms - cb[cb.year == last].heavy_firms).sum()
    other_s = (cs[cs.year == last].firms - cs[cs.year == last].heavy_firms).sum()
    assert other_s / other_b > heavy_s / heavy_b


def test_cheaper_trade_between_two_cities_raises_both_real_incomes_and_their_shares():
    cfg = _cfg(1, region="synthetic:3:4")
    base, cut = MiddleYangtzeModel(cfg, rng=2).run(), TradeCut(cfg, rng=2).run()
    rb = base.tables()["cities"].query("year == 2020").real_income_per_capita.to_numpy()
    rc = cut.tables()["cities"].query("year == 2020").real_income_per_capita.to_numpy()
    assert rc[0] > rb[0] and rc[1] > rb[1]
    fb, fc = base.production.flows(), cut.production.flows()  # (sector, origin, destination)
    goods = slice(0, 3)
    share = lambda f, i, j: f[goods, i, j].sum() / f[goods, :, j].sum()  # noqa: E731
    assert share(fc, 0, 1) > share(fb, 0, 1) and share(fc, 1, 0) > share(fb, 1, 0)
    # the third city loses market share in both
    assert share(fc, 2, 1) < share(fb, 2, 1) and share(fc, 2, 0) < share(fb, 2, 0)


def test_the_capitals_receive_commuters_and_pay_talent_above_the_median():
    m = MiddleYangtzeModel(_cfg(2), rng=1).run()
    c = m.tables()["cities"]
    y0 = c[c.year == 2019].set_index("city")
    last = c[c.year == 2021].set_index("city")
    for core in ("wuhan", "changsha", "nanchang"):
        assert y0.loc[core, "wage_talent"] > y0.wage_talent.median()
        assert last.loc[core, "net_commuters"] > 0, core
    assert last.loc["xiaogan", "net_commuters"] < 0  # Wuhan's satellites send commuters


def test_cluster_population_stays_about_flat_and_adds_up():
    m = MiddleYangtzeModel(_cfg(5), rng=1).run()
    mo = m.tables()["model"].set_index("year")
    g = (mo.population.loc[2024] / mo.population.loc[2019]) ** 0.2 - 1
    assert abs(g) < 0.003
    assert (mo.loc[2020:, "graduates"] > 0).all() and (mo.loc[2020:, "migration_in"] > 0).all()


def test_year_zero_is_a_rest_point_of_the_goods_market_and_factor_shares_are_the_targets():
    m = MiddleYangtzeModel(_cfg(1), rng=1)
    assert m.year_result.residual < 1e-10
    row = m.tables()["model"].iloc[0]
    assert row.labour_share == pytest.approx(0.5, rel=1e-9)
    assert row.land_share == pytest.approx(0.03, rel=1e-9)
    assert row.labour_share + row.capital_share + row.land_share + row.profit_share == pytest.approx(1.0)


def test_a_factor_with_exponent_zero_does_not_zero_the_composite():
    """x ** 0 = 1 also for x = 0: a city-sector without talent (b_h = 0) still produces."""
    from simulation.core.production import Shares, _composite

    sh = Shares(bh=np.array([[0.0, 0.3]]), bl=np.array([[0.5, 0.2]]), bk=np.array([0.3, 0.3]),
                bt=np.array([0.05, 0.05]), eta=0.9)  # fmt: skip
    ones = np.ones((1, 2))
    x0 = _composite(np.array([[0.0, 0.0]]), ones * 2, ones * 3, ones * 4, sh)
    x1 = _composite(np.array([[1.0, 0.0]]), ones * 2, ones * 3, ones * 4, sh)
    assert x0[0, 0] == x1[0, 0] > 0  # no talent needed, none used: same output
    assert x0[0, 1] == 0.0  # talent needed, none there: nothing
