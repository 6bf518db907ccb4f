"""Mesa's DataCollector: every model-table column, and opt-in agent reporters for talent and firms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents import FirmAgent, TalentAgent
from simulation.core import records
from tests.conftest import small_model


@pytest.fixture(scope="module")
def with_agents():
    return small_model(seed=4, years=3, extra=["run.agent_reporters=true"]).run()


def test_model_reporters_are_the_model_table(real_run):
    dc = real_run.datacollector.get_model_vars_dataframe()
    table = real_run.tables()["model"]
    assert len(dc.columns) == len(table.columns) > 90  # every column, not a handful
    pd.testing.assert_frame_equal(dc, table)


def test_a_column_appearing_later_is_filled_like_the_table():
    """A lever's column (or a spending purpose) that first appears in a later year joins the
    collector then, its earlier years filled as tables() fills them."""
    m = small_model(seed=2, years=3, extra=["sponge_city.enabled=true", "sponge_city.start_year=2021"])
    m.run()
    dc = m.datacollector.get_model_vars_dataframe()
    table = m.tables()["model"]
    late = [c for c in table.columns if c not in m.recorder.rows_model[0]]
    assert late, "expected a column that the first year did not record"
    pd.testing.assert_frame_equal(dc, table)
    assert records.missing_value("spending_x") == 0.0 and np.isnan(records.missing_value("permit_price"))


def test_agent_reporters_are_off_by_default(real_run):
    assert not real_run.config.run.agent_reporters
    assert real_run.datacollector.agenttype_reporters == {}


def test_agent_reporters_record_every_talent_and_firm_each_year(with_agents):
    m = with_agents
    dc = m.datacollector
    talent = dc.get_agenttype_vars_dataframe(TalentAgent)
    firms = dc.get_agenttype_vars_dataframe(FirmAgent)
    assert list(talent.columns) == list(records.TALENT_REPORTERS)
    assert list(firms.columns) == list(records.FIRM_REPORTERS)
    steps = sorted(talent.index.get_level_values("Step").unique())
    assert len(steps) == 4  # the base year and 3 simulated years
    last = talent.xs(steps[-1], level="Step")
    assert len(last) == len(m.agents_by_type[TalentAgent])
    assert set(last["home"]) <= set(m.city_ids)
    # the agent rows add up to the model's own tables: residents per city in the final year
    resident = last["home"].value_counts() * m.talent_per_agent
    cities = m.tables()["cities"]
    final = cities[cities["year"] == cities["year"].max()].set_index("city")["talent"]
    assert np.allclose(resident.reindex(final.index, fill_value=0).to_numpy(), final.to_numpy())
    f_last = firms.xs(steps[-1], level="Step")
    assert len(f_last) == len(m.agents_by_type[FirmAgent])
    assert set(f_last["sector"]) <= {"heavy", "manufacturing", "hightech", "services"}
