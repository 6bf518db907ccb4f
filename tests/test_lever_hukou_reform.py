"""Hukou reform: conversions change the agents' hukou, keep talent, and cost the budgets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.config import ConfigError, load_config
from simulation.model import MiddleYangtzeModel

SMALL = ["scale.talent_agents=4000", "scale.firm_agents=600", "run.end_year=2026"]
SCEN = "configs/scenarios/hukou_reform.toml"
CAPITALS = ["wuhan", "changsha", "nanchang"]
# a city-only reform has no entry-cost cut, so only the conversions act
CITY_ONLY = [
    "hukou_reform.enabled=true",
    f"hukou_reform.cities={CAPITALS!r}",
    "hukou_reform.conversion_rate=0.5",
]


def run(path: str | None, seed: int, extra: list[str] | None = None) -> MiddleYangtzeModel:
    return MiddleYangtzeModel(load_config(path, [*SMALL, *(extra or [])]), rng=seed).run()


def lever(m: MiddleYangtzeModel):
    return next(p for p in m.policies if p.name == "hukou_reform")


def test_converted_agents_hold_the_hukou_of_the_city_they_lived_in():
    m = MiddleYangtzeModel(load_config(None, [*SMALL, *CITY_ONLY]), rng=4)
    while m.year < 2020:
        m.step()
    t = m.talent
    live = t.living()
    cols = {"home": t.home[live], "hukou": t.hukou[live], "age": t.age[live]}
    before = pd.DataFrame(cols, index=t.uid[live])
    m.step()  # 2021: the first year of the reform
    converted = lever(m).converted
    assert len(converted) > 0
    was = before.loc[converted]
    reform = [m.city_index[c] for c in CAPITALS]
    assert was.home.isin(reform).all() and (was.hukou != was.home).all()  # only non-hukou residents
    eligible = before[before.home.isin(reform) & (before.hukou != before.home)]
    eligible = eligible[eligible.age + 1 < m.config.talent.retirement_age]
    assert 0.4 < len(converted) / len(eligible) < 0.6  # half of them, by their own draws
    live = t.living()
    now = pd.Series(t.hukou[live], index=t.uid[live])
    alive = was.index[was.index.isin(now.index)]
    np.testing.assert_array_equal(now.loc[alive].to_numpy(), was.loc[alive].home.to_numpy())
    others = before.index[~before.index.isin(converted) & before.index.isin(now.index)]
    np.testing.assert_array_equal(now.loc[others].to_numpy(), before.loc[others].hukou.to_numpy())


def test_conversion_keeps_talent_in_the_reform_cities():
    def departures(m: MiddleYangtzeModel) -> float:
        f = m.tables()["flows"]
        f = f[(f.kind == "migration") & (f.year >= 2021) & f.origin.isin(CAPITALS)]
        return float(f.loc[f.origin != f.destination, "count"].sum())

    for seed in (1, 2, 3):
        base, reform = run(None, seed), run(None, seed, CITY_ONLY)
        assert departures(reform) < departures(base), seed


def test_general_residents_convert_at_the_same_rate_from_the_census_share():
    m = MiddleYangtzeModel(load_config(None, [*SMALL, *CITY_ONLY, "run.end_year=2021"]), rng=2)
    m.step()  # 2020
    general = m.city.general.copy()
    m.step()  # 2021
    lv = lever(m)
    i = [m.city_index[c] for c in CAPITALS]
    share = np.array([0.320, 0.221, 0.221])  # Wuhan's own census share; the default elsewhere
    np.testing.assert_allclose(lv.new_general[i], 0.5 * share * general[i])
    assert lv.new_general.sum() == pytest.approx(lv.new_general[i].sum())  # nowhere else


def test_the_public_service_and_housing_cost_is_paid_through_the_budgets():
    m = run(SCEN, 3)
    model = m.tables()["model"].set_index("year")
    on = model.index >= 2021
    assert (model.loc[on, "spending_hukou_reform_housing"] > 0).all()
    assert (model.loc[~on, "spending_hukou_reform_housing"] == 0).all()
    assert (model.loc[on, "hukou_service_cost"] > 0).all() and (model.loc[~on, "hukou_stock"] == 0).all()
    assert model.hukou_stock.loc[2026] > model.hukou_stock.loc[2022]  # the stock accumulates
    lv, c = lever(m), m.config.budget
    np.testing.assert_allclose(m.budgets.hukou_holders, lv.stock())  # the budgets count every holder
    # the holders' extra services are a lever outlay of the cities and provinces (raised from the
    # cities' firms the next year), equal to the lever's own count of their cost
    spent = m.budgets.spent["hukou_services"]
    np.testing.assert_allclose(spent["city"], (1 - c.province_share) * lv.service_cost, rtol=1e-9, atol=1e-12)
    assert spent["province"].sum() == pytest.approx(c.province_share * lv.service_cost.sum(), rel=1e-9)
    assert (m.budgets.levy[lv.reform] > 0).any()


@pytest.mark.parametrize(
    ("sets", "field"),
    [
        (["hukou_reform.conversion_rate=1.5"], "hukou_reform.conversion_rate"),
        (["hukou_reform.enabled=true", "hukou_reform.cities=['atlantis']"], "hukou_reform.cities"),
        (["hukou_reform.provinces=['mars']"], "hukou_reform.provinces"),
        (["hukou_reform.city_nonlocal_share={wuhan=1.5}"], "hukou_reform.city_nonlocal_share.wuhan"),
        (["hukou_reform.persons_per_unit=0"], "hukou_reform.persons_per_unit"),
    ],
)
def test_bad_settings_name_the_field(sets, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        MiddleYangtzeModel(load_config(None, [*SMALL, *sets]), rng=1)


@pytest.mark.parametrize("off", [["hukou_reform.enabled=false"], ["hukou_reform.start_year=2026"]])
def test_off_or_not_yet_started_leaves_the_baseline_bit_identical(off):
    a, b = run(None, 5), run(SCEN, 5, off)
    for name in ("model", "cities", "flows"):  # up to the year before a start in the last year (2026)
        ta, tb = (t.tables()[name] for t in (a, b))
        ta, tb = (t[t["year"] < 2026].reset_index(drop=True) for t in (ta, tb))
        tb = tb[ta.columns]  # an enabled lever adds its own output columns; the rest must not move
        pd.testing.assert_frame_equal(ta, tb)
