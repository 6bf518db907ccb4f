"""Innovation alliance: joint R&D builds a stock that raises the members' (and, by distance, their
neighbours') productivity, paid by the budgets; off, the baseline is untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.config import ConfigError, load_config
from simulation.model import MiddleYangtzeModel
from simulation.policies.innovation_alliance import InnovationAlliance

SMALL = ["scale.talent_agents=4000", "scale.firm_agents=600", "run.end_year=2026"]
SCEN = "configs/scenarios/innovation_alliance.toml"
MEMBERS = ["wuhan", "changsha", "nanchang"]


def run(path: str | None, seed: int, extra: list[str] | None = None) -> MiddleYangtzeModel:
    return MiddleYangtzeModel(load_config(path, [*SMALL, *(extra or [])]), rng=seed).run()


def last(m: MiddleYangtzeModel, year: int = 2026) -> pd.DataFrame:
    return m.tables()["cities"].query(f"year == {year}").set_index("city")


@pytest.mark.parametrize("seed", [1, 2])
def test_more_joint_rd_raises_the_members_high_tech_output(seed):
    base = last(run(None, seed))
    small = last(run(SCEN, seed))
    big = last(run(SCEN, seed, ["innovation_alliance.rd_share=0.01"]))
    for city in MEMBERS:  # a planted cause: five times the spending, a larger stock and gain
        assert big.loc[city, "innovation_rd_stock"] > 4 * small.loc[city, "innovation_rd_stock"] > 0
        assert big.loc[city, "innovation_tfp_gain"] > 4 * small.loc[city, "innovation_tfp_gain"] > 0
        assert big.loc[city, "innovation_hightech_output"] > base.loc[city, "innovation_hightech_output"]
    out = "innovation_hightech_output"
    assert big.loc[MEMBERS, out].sum() > small.loc[MEMBERS, out].sum() > base.loc[MEMBERS, out].sum()


def test_the_stock_follows_the_perpetual_inventory_and_acts_a_year_later():
    m = run(SCEN, 1, ["innovation_alliance.depreciation=0.2"])
    c = m.tables()["cities"]
    stock = c.pivot(index="year", columns="city", values="innovation_rd_stock")[MEMBERS]
    spend = c.pivot(index="year", columns="city", values="innovation_rd_spending")[MEMBERS]
    gain = c.pivot(index="year", columns="city", values="innovation_tfp_gain")
    np.testing.assert_allclose(stock.loc[2022:].to_numpy(), 0.8 * stock.loc[2021:2025].to_numpy()
                               + spend.loc[2022:].to_numpy(), rtol=1e-12)  # fmt: skip
    assert (spend.loc[2021:] > 0).all().all() and (stock.loc[:2020] == 0).all().all()
    assert (gain.loc[:2021] == 0).all().all()  # the start year's spending is used from the next year
    assert (gain.loc[2022:, MEMBERS] > 0).all().all()
    assert gain.loc[2026, "wuhan"] > gain.loc[2023, "wuhan"]  # the stock accumulates


def test_spillovers_reach_a_near_non_member_more_than_a_far_one():
    m = run(SCEN, 1)
    c = last(m)
    near, far = "ezhou", "xiangyang"  # 60 km and 262 km from Wuhan, farther from the others
    assert c.loc[[near, far], "innovation_rd_stock"].eq(0).all()  # no R&D of their own
    assert c.loc[near, "innovation_tfp_gain"] > c.loc[far, "innovation_tfp_gain"] > 0
    # a short reach keeps the gains at home: relative to Wuhan's, the far city's gain shrinks by
    # about exp(-262/50) / exp(-262/300) ~ 1/80, the near city's by less
    short = last(run(SCEN, 1, ["innovation_alliance.decay_km=50"]))

    def share(t: pd.DataFrame, city: str) -> float:
        return t.loc[city, "innovation_tfp_gain"] / t.loc["wuhan", "innovation_tfp_gain"]

    assert share(short, far) < 0.1 * share(c, far)
    assert 0.1 * share(c, near) < share(short, near) < share(c, near)
    assert short.loc[near, "innovation_tfp_gain"] < c.loc[near, "innovation_tfp_gain"]
    none = last(run(SCEN, 1, ["innovation_alliance.spillover_weight=0"]))
    assert (none.drop(index=MEMBERS).innovation_tfp_gain == 0).all()


def test_reach_discounts_by_distance_and_keeps_the_own_stock_whole():
    km = np.array([[0.0, 100.0, 400.0], [100.0, 0.0, 300.0], [400.0, 300.0, 0.0]])
    w = InnovationAlliance.reach(km, 200.0, 0.5)
    np.testing.assert_allclose(np.diag(w), 1.0)
    assert w[0, 1] == pytest.approx(0.5 * np.exp(-0.5)) and w[0, 2] == pytest.approx(0.5 * np.exp(-2.0))


def test_the_cost_is_paid_by_the_budgets_and_raises_the_members_levies():
    base, scen = run(None, 1), run(SCEN, 1)
    model = scen.tables()["model"].set_index("year")
    assert (model.loc[2021:, "spending_innovation_alliance_rd"] > 0).all()
    assert (model.loc[:2020, "spending_innovation_alliance_rd"] == 0).all()
    paid = scen.tables()["cities"].groupby("year").innovation_rd_city_paid.sum()
    np.testing.assert_allclose(model.spending_innovation_alliance_rd, 1.5 * paid, rtol=1e-12)
    np.testing.assert_allclose(model.lever_net_city, -paid, rtol=1e-12)  # the cities pay theirs
    np.testing.assert_allclose(model.lever_net_province, -0.5 * paid, rtol=1e-12)  # the match
    b, s = last(base), last(scen)
    assert (s.loc[MEMBERS, "fiscal_levy"] > b.loc[MEMBERS, "fiscal_levy"]).all()  # raised from firms
    others = s.index.difference(MEMBERS)
    np.testing.assert_array_equal(s.loc[others, "fiscal_levy"], b.loc[others, "fiscal_levy"])


@pytest.mark.parametrize(
    ("sets", "field"),
    [
        (["innovation_alliance.rd_share=-0.1"], "innovation_alliance.rd_share"),
        (["innovation_alliance.enabled=true", "innovation_alliance.members=['atlantis']"],
         "innovation_alliance.members"),
        (["innovation_alliance.base_intensity={wuhan=0.5}"], "innovation_alliance.base_intensity"),
        (["innovation_alliance.sectors=['farming']"], "innovation_alliance.sectors"),
        (["innovation_alliance.members=['wuhan', 'wuhan']"], "innovation_alliance.members"),
        (["innovation_alliance.decay_km=0"], "innovation_alliance.decay_km"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_field(sets, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        MiddleYangtzeModel(load_config(None, [*SMALL, *sets]), rng=1)


def test_off_or_without_money_the_baseline_is_bit_identical():
    base = run(None, 3).tables()
    cfg = load_config(SCEN, SMALL)
    off = cfg.model_copy(update={"innovation_alliance": cfg.innovation_alliance.model_copy(
        update={"enabled": False})})  # fmt: skip
    zero = run(SCEN, 3, ["innovation_alliance.rd_share=0"]).tables()
    for other in (MiddleYangtzeModel(off, rng=3).run().tables(), zero):
        for name in ("model", "cities"):
            cols = [c for c in base[name].columns if not c.startswith("spending_innovation")]
            pd.testing.assert_frame_equal(other[name][cols], base[name][cols], check_exact=True)
    assert (zero["model"].innovation_tfp_gain_members == 0).all()
