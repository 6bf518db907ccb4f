"""The model: base-year calibration, invariants every step, determinism, Mesa interop."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from agents import CityAgent, FirmAgent, TalentAgent
from simulation.config import load_config
from simulation.model import MiddleYangtzeModel
from simulation.region import load_region
from tests.conftest import small_model

DATA = load_region("middle_yangtze").cities


def test_year0_reproduces_gdp_population_and_secondary_share(real_run):
    c = real_run.tables()["cities"]
    y0 = c[c.year == 2019].set_index("city").reindex(DATA.index)
    assert len(y0) == 31
    gdp_err = (y0.gdp / DATA.gdp_2019_100m_yuan - 1).abs().max()
    pop_err = (y0.population / (DATA.population_2020_10k * 1e4) - 1).abs().max()
    sec_err = (y0.secondary_share - DATA.secondary_share_2019).abs().max()
    assert gdp_err < 1e-9 and pop_err < 1e-9 and sec_err < 1e-9


def test_year0_reproduces_observed_pm25(real_run):
    c = real_run.tables()["cities"]
    y0 = c[c.year == 2019].set_index("city").reindex(DATA.index)
    np.testing.assert_allclose(y0.air_quality, DATA.pm25_2019, rtol=1e-9)


def _check_invariants(m: MiddleYangtzeModel) -> None:
    tables = m.tables()
    for name, df in tables.items():
        num = df.select_dtypes("number")
        assert np.isfinite(num.to_numpy(float)).all(), f"non-finite value in {name}"
    for col in ("gdp", "population", "talent", "firms", "emissions_air", "emissions_water", "air_quality"):
        assert (tables["cities"][col] >= 0).all(), col
    assert (tables["flows"]["count"] > 0).all()
    model = tables["model"]
    # talent accounted for: stock(t+1) = stock(t) + entries - exits (counts in persons)
    stock = model.talent_agents.to_numpy()
    entries = model.talent_entries.to_numpy()[1:]
    exits = model.talent_exits.to_numpy()[1:]
    np.testing.assert_allclose(
        stock[1:] * m.talent_per_agent, stock[:-1] * m.talent_per_agent + entries - exits, rtol=1e-12
    )
    # population: P(t) = P(t-1) + natural increase + migration in - migration out, every year
    pop = model.population.to_numpy()
    change = (model.natural_increase + model.migration_in - model.migration_out).to_numpy()[1:]
    np.testing.assert_allclose(pop[1:], pop[:-1] + change, rtol=1e-12)
    # the Mesa agent sets hold exactly the living agents
    assert len(m.agents_by_type[TalentAgent]) == int(m.talent.alive.sum()) == stock[-1]
    assert len(m.agents_by_type[FirmAgent]) == int(m.firms.alive.sum())
    # population = general + resident talent; talent persons = agents x persons per agent
    last = tables["cities"][tables["cities"].year == m.year]
    np.testing.assert_allclose(last.talent.sum(), stock[-1] * m.talent_per_agent, rtol=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("region", [None, "synthetic:24:7"])
def test_invariants_every_step(seed, region):
    m = small_model(seed=seed, years=5, region=region)
    while m.running:
        m.step()
        _check_invariants(m)
    assert m.year == 2024


def test_same_seed_same_tables_different_seed_differs():
    a = small_model(seed=11, years=3).run().tables()
    b = small_model(seed=11, years=3).run().tables()
    c = small_model(seed=12, years=3).run().tables()
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])
    assert not a["model"].equals(c["model"])


def test_agents_are_mesa_agents_whose_state_is_their_row(real_run):
    m = real_run
    cities = m.agents_by_type[CityAgent]
    assert len(cities) == 31
    wuhan = next(a for a in cities if a.city_id == "wuhan")
    assert wuhan.gdp == pytest.approx(m.city.gdp[m.city_index["wuhan"]])
    agent = next(iter(m.agents_by_type[TalentAgent]))
    assert agent.home in m.city_ids and agent.work in m.city_ids
    assert m.transport.commute_zone[m.city_index[agent.home], m.city_index[agent.work]]
    assert 22 <= agent.age < 60 and agent.skill > 0
    firm = next(iter(m.agents_by_type[FirmAgent]))
    assert firm.sector in ("heavy", "manufacturing", "hightech", "services")
    assert firm.output >= 0 and firm.employment >= 0


def test_talent_move_respects_commuting_zone(real_run):
    m = real_run
    agent = next(iter(m.agents_by_type[TalentAgent]))
    agent.move("wuhan", "ezhou")
    assert (agent.home, agent.work) == ("wuhan", "ezhou")
    with pytest.raises(ValueError, match="commuting zone"):
        agent.move("wuhan", "jian")


def test_scale_sets_agent_counts_and_persons_per_agent():
    a = MiddleYangtzeModel(rng=1, talent_agents=2000, firm_agents=300, end_year=2020)
    b = MiddleYangtzeModel(rng=1, talent_agents=4000, firm_agents=300, end_year=2020)
    assert int(a.talent.alive.sum()) == 2000 and int(b.talent.alive.sum()) == 4000
    assert a.talent_per_agent == pytest.approx(2 * b.talent_per_agent)


def test_mesa_batch_run_drives_the_model():
    results = mesa.batch_run(
        MiddleYangtzeModel,
        parameters={"talent_agents": 1000, "firm_agents": 200, "talent__review_rate": [0.1, 0.2]},
        rng=[1, 2],
        max_steps=3,
        data_collection_period=1,
        number_processes=1,
        display_progress=False,
    )
    df = pd.DataFrame(results)
    assert len(df) == 2 * 2 * 4  # 2 settings x 2 seeds x (year 0 + 3 steps)
    assert {"gdp", "talent", "emissions_air"} <= set(df.columns)
    assert df.groupby(["talent__review_rate", "rng"]).year.max().eq(2022).all()


def test_model_keyword_overrides_are_validated():
    with pytest.raises(ValueError, match="talent.review_rate"):
        MiddleYangtzeModel(rng=1, talent__review_rate=5.0)
    with pytest.raises(ValueError, match="unknown key"):
        MiddleYangtzeModel(rng=1, talent__nope=1)


def test_growth_and_pollution_move_in_plausible_ranges(real_run):
    model = real_run.tables()["model"].set_index("year")
    growth = (model.gdp.iloc[-1] / model.gdp.iloc[0]) ** (1 / (len(model) - 1)) - 1
    assert 0.01 < growth < 0.10  # the cluster grew ~7% a year in the 2010s, ~5% after 2019
    assert model.population.pct_change().abs().max() < 0.02
    assert model.air_quality.between(10, 100).all()


def test_horizon_from_config():
    cfg = load_config(None, ["scale.talent_agents=1000", "scale.firm_agents=200", "run.end_year=2021"])
    m = MiddleYangtzeModel(cfg, rng=5).run()
    assert m.tables()["model"].year.tolist() == [2019, 2020, 2021]
    assert not m.running


def test_agents_built_in_bulk_look_like_agents_built_one_by_one():
    m = small_model(seed=1, years=2).run()
    one = TalentAgent(m, 0)  # Mesa's own constructor
    bulk = next(iter(m.agents_by_type[TalentAgent]))
    assert set(vars(bulk)) == set(vars(one)) and bulk.model is m and bulk.pos is None
    ids = [a.unique_id for a in m.agents]
    assert len(set(ids)) == len(ids) and max(ids) < m.agent_id_counter
    assert len(m.agents_by_type[TalentAgent]) == int(m.talent.alive.sum()) + 1  # plus `one`
