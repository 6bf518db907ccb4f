"""Backtest: observed values chosen by kind and vintage; a planted model reproduces its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.experiments.backtest import backtest, observed, window

PROV = pd.Series({"a": "hubei", "b": "hubei", "c": "hunan", "d": "jiangxi", "e": "jiangxi"})


def _model(seed_shift: float) -> pd.DataFrame:
    rows = []
    for y in range(2019, 2024):
        for k, c in enumerate(PROV.index):
            gdp = (100.0 + 10 * k) * 1.05 ** (y - 2019)
            pm = (40.0 - k) * (1 - 0.03 * (y - 2019)) + seed_shift
            rows.append({"city": c, "year": y, "gdp": gdp, "population": 1e6 * (k + 1),
                         "air_quality": pm, "secondary_share": 0.4})  # fmt: skip
    return pd.DataFrame(rows)


def _panel(rows: list[tuple]) -> pd.DataFrame:
    cols = ["scope", "year", "series", "value", "unit", "source", "kind", "revision", "note"]
    return pd.DataFrame([(*r, "x", "https://example.org", *k, "") for *r, k in rows], columns=cols)


def test_observed_prefers_official_then_first_published_and_drops_memory() -> None:
    p = _panel([
        ("a", 2020, "pm25", 30.0, ("compilation", "first")),
        ("a", 2020, "pm25", 31.0, ("official", "revised")),
        ("a", 2020, "pm25", 32.0, ("official", "first")),
        ("b", 2020, "pm25", 33.0, ("memory", "first")),
    ])  # fmt: skip
    o = observed(p)
    assert o.set_index("scope").loc["a", "value"] == 32.0 and "b" not in set(o["scope"])


def test_planted_errors_come_back_with_windows_and_ranges() -> None:
    tables = [_model(0.0), _model(1.0)]  # two seeds: PM2.5 differs by 1 between them
    p = _panel([
        ("a", 2022, "pm25", 30.0, ("official", "first")),
        ("hubei", 2021, "gdp_real_growth", 7.0, ("official", "first")),
        ("hunan", 2021, "gdp_real_growth", 4.0, ("official", "first")),
        ("jiangxi", 2021, "gdp_real_growth", 5.0, ("official", "first")),
        ("a", 2023, "population", 100.0, ("official", "first")),
        ("hubei", 2023, "population", 9999.0, ("official", "first")),  # not comparable: skipped
        ("c", 2019, "pm25", 40.0, ("official", "first")),
        ("c", 2023, "pm25", 30.0, ("official", "first")),
    ])  # fmt: skip
    b = backtest(tables, p, PROV)
    r = b.rows.set_index(["series", "scope", "year"])
    model_pm = 40.0 * (1 - 0.09) + 0.5  # city a, 2022, mean of the two seeds
    assert r.loc[("pm25", "a", 2022), "model"] == pytest.approx(model_pm)
    assert r.loc[("pm25", "a", 2022), "error"] == pytest.approx(model_pm - 30.0)
    assert r.loc[("pm25", "a", 2022), "model_sd"] == pytest.approx(np.std([0.0, 1.0], ddof=1))
    assert r.loc[("pm25", "a", 2022), "window"] == "out-of-sample" and window(2021) == "fit window"
    assert r.loc[("gdp_real_growth", "hubei", 2021), "model"] == pytest.approx(5.0)
    assert r.loc[("population", "a", 2023), "model"] == pytest.approx(100.0)
    assert ("population", "hubei", 2023) not in r.index
    cl = b.cluster.set_index(["series", "year"])
    g = cl.loc[("gdp_real_growth", 2021)]
    assert (g.observed_low, g.observed_high) == (4.0, 7.0) and g.in_range  # model 5.0 inside
    pm = cl.loc[("pm25_change_since_2019", 2023)]
    assert pm.observed == pytest.approx(-25.0)
    assert pm.model == pytest.approx(100 * ((38 * 0.88 + 0.5) / (38 + 0.5) - 1), abs=0.05)
    assert not pm.in_range  # -12% in the model against an observed -25%
