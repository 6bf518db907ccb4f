"""Inputs from outside the cluster that follow an observed national series, then a trend: China's
real GDP growth drives the rest of China's spending (china_growth.csv), as China's mean PM2.5
drives the background of the cluster's air."""

from __future__ import annotations

import shutil

import pytest

from simulation.config import load_config
from simulation.core.observed_path import follow_index, levels_from_growth
from simulation.model import MiddleYangtzeModel
from simulation.region import BUILTIN_REGIONS_DIR, RegionError, load_region

SMALL = ["scale.talent_agents=2000", "scale.firm_agents=300", "run.end_year=2021"]


def test_levels_follow_the_observed_rates_then_the_trend():
    levels = levels_from_growth({2019: 6.1, 2020: 2.3, 2021: 8.1, 2023: 5.2}, 2019)
    assert levels == pytest.approx({2019: 1.0, 2020: 1.023, 2021: 1.023 * 1.081})  # 2022 missing ends it
    assert follow_index(levels, 2019, 2021, 0.05) == pytest.approx(1.023 * 1.081)
    assert follow_index(levels, 2019, 2024, 0.05) == pytest.approx(1.023 * 1.081 * 1.05**3)
    assert follow_index({}, 2019, 2024, 0.05) == pytest.approx(1.05**5)  # no series: the trend


def test_the_rest_of_china_spends_with_china_s_observed_growth():
    growth = load_region("middle_yangtze").china_growth
    assert growth[2020] == 2.3 and growth[2022] == 3.0  # first-published NBS figures
    on = MiddleYangtzeModel(load_config(None, SMALL), rng=1)
    off = MiddleYangtzeModel(load_config(None, [*SMALL, "production.outside_follows_china=false"]), rng=1)
    assert on.outside_index(2021) == pytest.approx(1.023 * 1.081)
    assert on.outside_index(2025) == pytest.approx(1.023 * 1.081 * 1.03 * 1.052 * 1.05**2)
    assert off.outside_index(2021) == pytest.approx(1.05**2)
    on.run()
    off.run()
    # 2020 demand from the rest of China grew 2.3% instead of 5%: the cluster sells and earns less
    g_on = on.tables()["model"].set_index("year").gdp
    g_off = off.tables()["model"].set_index("year").gdp
    assert g_on[2020] < g_off[2020]


def test_a_bad_growth_value_is_refused_with_file_and_column(tmp_path):
    folder = tmp_path / "region"
    shutil.copytree(BUILTIN_REGIONS_DIR / "middle_yangtze", folder)
    path = folder / "china_growth.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2020,2.3,", "2020,abc,"), encoding="utf-8")
    with pytest.raises(RegionError) as err:
        load_region(folder)
    assert "china_growth.csv" in str(err.value) and "gdp_real_growth" in str(err.value)
