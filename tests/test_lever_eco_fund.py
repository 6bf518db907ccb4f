"""The ecological protection fund and the green guidance fund: money in, what it buys, who pays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.config import ConfigError, load_config
from simulation.model import MiddleYangtzeModel
from simulation.params import SECTORS

SMALL = ["scale.talent_agents=4000", "scale.firm_agents=600"]
SCEN = "configs/scenarios/eco_fund.toml"
ECO = ["xiangyang", "changde", "yiyang", "loudi", "hengyang", "jian", "fuzhou", "shangrao", "jingdezhen"]
GREEN = ["wuhan", "changsha", "nanchang"]
HIGHTECH = SECTORS.index("hightech")


def config(path: str | None, end: int = 2026, extra: list[str] | None = None):
    return load_config(path, [*SMALL, f"run.end_year={end}", *(extra or [])])


def run(
    path: str | None, seed: int = 1, end: int = 2026, extra: list[str] | None = None
) -> MiddleYangtzeModel:
    return MiddleYangtzeModel(config(path, end, extra), rng=seed).run()


@pytest.fixture(scope="module")
def pair():
    return run(None), run(SCEN)


def test_fund_money_comes_from_the_members_and_never_exceeds_the_balance():
    m = run(SCEN, extra=["eco_fund.eco_central=1.5", "eco_fund.eco_revenue_share=0.001"])
    t = m.tables()["model"].set_index("year")
    on = t.loc[2021:]
    # inflows are the provinces' fixed sums plus their revenue share plus the centre's payment
    np.testing.assert_allclose(on.spending_eco_fund_central, 1.5)
    assert (on.spending_eco_fund_contribution > 6.0).all()
    np.testing.assert_allclose(on.eco_fund_inflow, on.spending_eco_fund_contribution + 1.5)
    np.testing.assert_allclose(on.green_fund_inflow, on.spending_green_fund_contribution)
    np.testing.assert_allclose(on.green_fund_inflow, 30.0)
    for fund, spent in (("eco_fund", on.eco_fund_spent), ("green_fund", on.green_fund_invested)):
        bal = t[f"{fund}_balance"]
        before = bal.shift(1).loc[2021:]
        assert (spent <= before + on[f"{fund}_inflow"] + 1e-9).all()  # never spends more than it has
        np.testing.assert_allclose(bal.loc[2021:], before + on[f"{fund}_inflow"] - spent, atol=1e-9)
        assert (bal.loc[2021:] >= -1e-9).all() and (bal.loc[:2020] == 0).all()
    assert (t.loc[:2020, ["eco_fund_inflow", "green_fund_inflow"]] == 0).all().all()
    assert np.abs(t.budget_transfers_sum).max() < 1e-9  # contributions move money, never make it
    # the last year's provincial accounts: each province paid its sums in
    net = m.budgets.net["province"]
    prov_rev = m.fiscal["province_revenue"]
    for p in ("hubei", "hunan", "jiangxi"):
        i = m.provinces.index(p)
        # 2 + 10 fixed, plus 0.1% of last year's revenue (within a year's growth of this year's)
        assert 12.0 + 0.001 * prov_rev[i] * 0.8 < -net[i] < 12.0 + 0.001 * prov_rev[i] * 1.2


def test_ecological_fund_cuts_upstream_water_pollution_and_pays_for_it(pair):
    base, scen = pair
    b = base.tables()["cities"].query("year == 2025").set_index("city")
    s = scen.tables()["cities"].query("year == 2025").set_index("city")
    for p in ("cod", "nh3n"):
        assert (s.loc[ECO, f"emissions_{p}"] < b.loc[ECO, f"emissions_{p}"]).all(), p
    assert (s.loc[ECO, "eco_fund_paid"] > 0).all()
    assert (s.loc[ECO, "eco_fund_collection"] > 0).all()  # sewage works built by the fund
    others = [c for c in s.index if c not in ECO]
    assert (s.loc[others, "eco_fund_paid"] == 0).all() and (s.loc[others, "eco_fund_collection"] == 0).all()
    assert s.loc["xiangyang", "cod_mg_l"] < 0.95 * b.loc["xiangyang", "cod_mg_l"]  # the Han's head: cleaner
    # the firms' extra abatement is additional to the standards, so the cluster's water load falls
    # (the sewage part is not: a binding COD total cap relaxes the floor elsewhere, see the docs)
    assert s.emissions_water.sum() < b.emissions_water.sum()
    model = scen.tables()["model"].set_index("year").loc[2021:]
    assert (model.eco_fund_extra_abatement > 0).all()


def test_more_money_buys_more_abatement():
    poor = run(SCEN, end=2023, extra=["eco_fund.eco_contributions={hubei=0.1, hunan=0.1, jiangxi=0.1}"])
    rich = run(SCEN, end=2023)
    tp = poor.tables()["model"].set_index("year").loc[2021:]
    tr = rich.tables()["model"].set_index("year").loc[2021:]
    assert (tp.eco_fund_extra_abatement < tr.eco_fund_extra_abatement).all()
    assert (tp.eco_fund_spent < tr.eco_fund_spent).all()
    cp = poor.tables()["cities"].query("year == 2023").set_index("city")
    cr = rich.tables()["cities"].query("year == 2023").set_index("city")
    assert cr.loc[ECO, "emissions_cod"].sum() < cp.loc[ECO, "emissions_cod"].sum()


def test_guidance_fund_installs_levered_capital_in_its_city_sectors():
    m = MiddleYangtzeModel(config(SCEN, end=2022), rng=2)
    lever = next(p for p in m.policies if p.name == "eco_fund")
    seen = []
    invest = lever._invest

    def spy(model):
        before = model.capital.stock.copy()
        invest(model)
        seen.append((before, model.capital.stock.copy(), lever.invested, model.capital.investment.copy()))

    lever._invest = spy
    m.run()
    assert len(seen) == 2  # 2021 and 2022
    s = m.config.eco_fund
    target = np.zeros_like(seen[0][0], bool)
    target[[m.city_index[c] for c in GREEN], HIGHTECH] = True
    for before, after, public, inv in seen:
        assert public > 0
        d = after - before
        k = np.where(target, before, 0.0)
        np.testing.assert_allclose(d[target], (public * (1 + s.leverage) * k / k.sum())[target], rtol=1e-9)
        diverted = (1 - s.private_additionality) * s.leverage * public
        assert (d[~target] <= 0).all()
        np.testing.assert_allclose(-d[~target].sum(), diverted, rtol=1e-9)
        np.testing.assert_allclose(-d[~target], diverted * inv[~target] / inv[~target].sum(), atol=1e-9)


def test_guidance_fund_raises_hightech_capital_and_output_where_it_invests(pair):
    base, scen = pair
    idx = [scen.city_index[c] for c in GREEN]
    kb, ks = base.capital.stock[idx, HIGHTECH], scen.capital.stock[idx, HIGHTECH]
    assert (ks > kb).all()
    assert (scen.output[idx, HIGHTECH] > base.output[idx, HIGHTECH]).all()
    c = scen.tables()["cities"].query("year >= 2021").groupby("city").green_capital_added.sum()
    assert (c[GREEN] > 0).all() and (c.drop(GREEN) == 0).all()


def test_fiscal_cost_is_paid_through_the_budgets(pair):
    _, scen = pair
    t = scen.tables()["model"].set_index("year")
    cols = ["spending_eco_fund_contribution", "spending_eco_fund_sewage", "spending_eco_fund_abatement",
            "spending_green_fund_contribution", "spending_green_fund_investment"]  # fmt: skip
    assert (t.loc[2021:, cols] > 0).all().all()
    assert (t.loc[:2020, cols] == 0).all().all()
    assert (t.loc[2021:, "lever_net_province"] < 0).all()  # the provinces pay in


@pytest.mark.parametrize(
    ("sets", "field"),
    [
        (["eco_fund.leverage=-1"], "eco_fund.leverage"),
        (["eco_fund.sewage_share=1.5"], "eco_fund.sewage_share"),
        (["eco_fund.green_sectors=['mining']"], "eco_fund.green_sectors"),
        (["eco_fund.eco_contributions={hubei=-2}"], "eco_fund.eco_contributions.hubei"),
        (["eco_fund.enabled=true", "eco_fund.eco_cities=['atlantis']"], "eco_fund.eco_cities"),
        (
            ["eco_fund.enabled=true", "eco_fund.green_contributions={narnia=1.0}"],
            "eco_fund.green_contributions",
        ),
    ],
)
def test_bad_settings_name_the_field(sets, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        MiddleYangtzeModel(load_config(None, [*SMALL, *sets]), rng=1)


def test_lever_off_leaves_the_baseline_bit_identical():
    a = run(None, seed=5, end=2023)
    cfg = config(SCEN, end=2023)
    off = cfg.model_copy(update={"eco_fund": cfg.eco_fund.model_copy(update={"enabled": False})})
    b = MiddleYangtzeModel(off, rng=5).run()
    for name in ("model", "cities"):
        pd.testing.assert_frame_equal(a.tables()[name], b.tables()[name], check_exact=True)
    assert (b.tables()["model"].filter(like="_fund_") == 0).all().all()
