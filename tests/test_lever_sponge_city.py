"""Sponge cities and full sewage collection and treatment: the ramps, the loads they cut downstream,
the budgets that pay, validation, and a baseline left untouched when the lever is off."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.config import ConfigError, load_config
from simulation.model import MiddleYangtzeModel

SMALL = ["scale.talent_agents=4000", "scale.firm_agents=600", "run.end_year=2026"]
SCEN = "configs/scenarios/sponge_city.toml"
HAN_UP = ["xiangyang", "jingmen"]  # the Han river's upper cities
HAN_DOWN = ["qianjiang", "tianmen", "xiantao", "xiaogan"]  # below them, not named
ON = ["sponge_city.enabled=true", f"sponge_city.cities={HAN_UP}"]


def run(path: str | None, seed: int, extra: list[str] | None = None) -> MiddleYangtzeModel:
    return MiddleYangtzeModel(load_config(path, [*SMALL, *(extra or [])]), rng=seed).run()


def pivot(m: MiddleYangtzeModel, col: str) -> pd.DataFrame:
    return m.tables()["cities"].pivot(index="year", columns="city", values=col)


def test_collection_and_removal_rise_along_the_ramp_in_the_named_cities_only():
    m = run(None, 1, ON)
    env, ec, i = m.env, m.config.environment, m.city_index
    col, cod, nh3n = (pivot(m, c) for c in ("sponge_collection", "sponge_removal_cod", "sponge_removal_nh3n"))
    for city in HAN_UP:
        c0 = env.collection[i[city]]
        assert c0 < 0.98
        for year in range(2019, 2027):
            f = min(max(year - 2020, 0) / 5, 1.0)  # 2021: 1/5 of the way, 2025 on: there
            assert col.loc[year, city] == pytest.approx(c0 + f * (0.98 - c0))
            assert cod.loc[year, city] == pytest.approx(ec.removal_cod + f * (0.88 - ec.removal_cod))
            assert nh3n.loc[year, city] == pytest.approx(ec.removal_nh3n + f * (0.92 - ec.removal_nh3n))
    others = [c for c in m.city_ids if c not in HAN_UP]
    np.testing.assert_array_equal(
        col[others].to_numpy(), np.broadcast_to(env.collection[[i[c] for c in others]], (8, len(others)))
    )
    assert (cod[others] == ec.removal_cod).all().all() and (nh3n[others] == ec.removal_nh3n).all().all()


def test_domestic_loads_fall_in_the_named_cities_and_the_water_downstream_improves():
    base, scen = run(None, 2), run(None, 2, ON)
    b = base.tables()["cities"].query("year == 2026").set_index("city")
    s = scen.tables()["cities"].query("year == 2026").set_index("city")
    for load in ("domestic_cod", "domestic_nh3n"):
        per_b, per_s = b[load] / b.population, s[load] / s.population
        assert (per_s[HAN_UP] < 0.7 * per_b[HAN_UP]).all(), load  # 0.85 -> 0.98 collected, 1A plants
        far = ["changsha", "nanchang", "yichang"]  # not named, not on the Han
        # per resident unchanged there (the recorded residents are counted after the emissions)
        np.testing.assert_allclose(per_s[far], per_b[far], rtol=1e-2)
    assert (s.loc[HAN_UP, "emissions_cod"] < b.loc[HAN_UP, "emissions_cod"]).all()
    assert (s.loc[HAN_UP, "emissions_nh3n"] < b.loc[HAN_UP, "emissions_nh3n"]).all()
    for conc in ("cod_mg_l", "nh3n_mg_l"):  # the cut is carried down the river to cities that did nothing
        assert (s.loc[HAN_DOWN, conc] < b.loc[HAN_DOWN, conc]).all(), conc
    before = "year == 2020"
    pd.testing.assert_frame_equal(
        base.tables()["cities"].query(before), scen.tables()["cities"].query(before)
    )  # nothing moves before the start year


def test_the_city_budgets_pay_with_a_central_grant_for_three_years():
    m = MiddleYangtzeModel(load_config(SCEN, SMALL), rng=1)
    lever = next(p for p in m.policies if p.name == "sponge_city")
    served, pay = {}, lever.after_emissions

    def spy(model):  # the residents the lever pays for (the recorder recounts them after the year)
        served[model.year] = model.city.population.copy()
        pay(model)

    lever.after_emissions = spy
    m.run()
    model = m.tables()["model"].set_index("year")
    for p in ("sewage", "construction"):
        spend = model[f"spending_sponge_city_{p}"]
        assert (spend.loc[:2020] == 0).all() and (spend.loc[2021:] > 0).all(), p
    grant = pivot(m, "sponge_grant_received")
    demo = ["xiaogan", "yueyang", "yingtan"]
    assert (grant.loc[2021:2023, demo] == 3.33).all().all()
    assert (grant.drop(columns=demo) == 0).all().all() and (grant.loc[2024:] == 0).all().all()
    np.testing.assert_allclose(model.lever_net_central, -grant.sum(axis=1))  # the centre pays the grant
    paid = pivot(m, "sponge_sewage_paid") + pivot(m, "sponge_construction_paid")
    np.testing.assert_allclose(model.lever_net_city, -(paid - grant).sum(axis=1), atol=1e-9)
    assert np.abs(model.budget_transfers_sum).max() < 1e-9
    # each km² newly brought to the sponge standard costs 1.25 (100m yuan)
    area, cons = pivot(m, "sponge_area_km2"), pivot(m, "sponge_construction_paid")
    np.testing.assert_allclose(cons.loc[2022:], 1.25 * area.diff().loc[2022:], rtol=1e-12)
    # sewage works: 150 yuan per resident-point of collection, plus the 1A upgrade per m³ collected
    c = m.tables()["cities"].query("year == 2021").set_index("city").loc["wuhan"]
    w = m.city_index["wuhan"]
    c0, f, pop = m.env.collection[w], 1 / 5, served[2021][w]
    works = (c.sponge_collection - c0) * pop * 150.0 / 1e8
    upgrade = f * c.sponge_collection * pop * 0.18 * 365 * 0.3 / 1e8
    assert c.sponge_sewage_paid == pytest.approx(works + upgrade)
    # what the cities spend is raised from their firms the next year
    base = MiddleYangtzeModel(load_config(None, SMALL), rng=1).run()
    levy_b = pivot(base, "fiscal_levy").loc[2022]
    assert (pivot(m, "fiscal_levy").loc[2022] > levy_b).all()


@pytest.mark.parametrize(
    ("sets", "field"),
    [
        (["sponge_city.sewage_target_year=2020"], "sponge_city.sewage_target_year"),
        (["sponge_city.sponge_target_year=2019"], "sponge_city.sponge_target_year"),
        (["sponge_city.cities=['wuhan', 'atlantis']"], "sponge_city.cities"),
        (["sponge_city.central_grant={atlantis=4.0}"], "sponge_city.central_grant"),
        (["sponge_city.central_grant={wuhan=-1.0}"], "sponge_city.central_grant.wuhan"),
        (["sponge_city.collection_target=1.5"], "sponge_city.collection_target"),
        (["sponge_city.sponge_cost_per_km2=-1"], "sponge_city.sponge_cost_per_km2"),
    ],
)
def test_bad_settings_name_the_field(sets, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        MiddleYangtzeModel(load_config(None, [*SMALL, "sponge_city.enabled=true", *sets]), rng=1)


@pytest.mark.parametrize(
    "sets",
    [
        ["sponge_city.enabled=false", "sponge_city.collection_target=1.0",
         "sponge_city.central_grant={wuhan=5.0}"],
        ["sponge_city.enabled=true", "sponge_city.start_year=2026", "sponge_city.sewage_target_year=2030",
         "sponge_city.sponge_target_year=2030"],
    ],
)  # fmt: skip
def test_off_or_not_yet_started_leaves_the_baseline_bit_identical(sets):
    a, b = run(None, 5), run(None, 5, sets)
    for name in ("model", "cities", "flows"):  # up to the year before a start in the last year (2026)
        ta, tb = (t.tables()[name] for t in (a, b))
        ta, tb = (t[t["year"] < 2026].reset_index(drop=True) for t in (ta, tb))
        tb = tb[ta.columns]  # an enabled lever adds its own output columns; the rest must not move
        pd.testing.assert_frame_equal(ta, tb, check_exact=True)
