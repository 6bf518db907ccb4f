"""Shocks as data: the factor's algebra, a planted shock's effect, the 2020 replay, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.core.shocks import Shock, ShocksSection, shock_factor
from tests.conftest import small_model

CITIES = ["a", "b", "c"]
PROV = np.array([0, 0, 1])


def test_factor_decays_geometrically_and_multiplies() -> None:
    sec = ShocksSection(
        events=[
            Shock(year=2020, scope="p0", size=-0.2, persistence=0.5),
            Shock(year=2021, scope="c", sector="heavy", size=0.1),
        ]
    )
    f = {y: shock_factor(sec, y, CITIES, PROV, ["p0", "p1"]) for y in (2019, 2020, 2021, 2022)}
    assert np.all(f[2019] == 1.0)
    np.testing.assert_allclose(f[2020][:2], 0.8)
    np.testing.assert_allclose(f[2021][:2], 0.8**0.5)
    np.testing.assert_allclose(f[2022][:2], 0.8**0.25)
    assert f[2021][2, 0] == pytest.approx(1.1) and np.all(f[2021][2, 1:] == 1.0)
    assert np.all(f[2022][2] == 1.0)  # a one-year shock is fully undone
    off = ShocksSection(enabled=False, events=sec.events)
    assert np.all(shock_factor(off, 2020, CITIES, PROV, ["p0", "p1"]) == 1.0)


def _gdp(extra: list[str]) -> np.ndarray:
    m = small_model(seed=5, years=2, extra=["shocks.enabled=false", *extra])
    m.run()
    c = m.tables()["cities"]
    return c.pivot(index="year", columns="city", values="gdp")


def test_planted_city_shock_lowers_that_city_most() -> None:
    base = _gdp([])
    m = small_model(seed=5, years=2)
    d = m.config.model_dump()
    d["shocks"] = {"enabled": True, "events": [{"year": 2020, "scope": "xiaogan", "size": -0.1}]}
    from simulation.config import validate
    from simulation.model import MiddleYangtzeModel

    m = MiddleYangtzeModel(validate(d), rng=5)
    m.run()
    hit = m.tables()["cities"].pivot(index="year", columns="city", values="gdp")
    rel = hit / base - 1
    assert rel.loc[2019].abs().max() == 0.0  # nothing before the shock
    assert rel.loc[2020, "xiaogan"] < -0.05  # the city takes most of the hit
    others = rel.loc[2020].drop("xiaogan")
    assert others.abs().max() < abs(rel.loc[2020, "xiaogan"]) / 3
    assert rel.loc[2021, "xiaogan"] > rel.loc[2020, "xiaogan"]  # a one-year shock rebounds


def test_default_baseline_replays_2020() -> None:
    m = small_model(seed=2, years=2)
    m.run()
    c = m.tables()["cities"]
    c = c.assign(prov=c.city.map(m.region.cities.province))
    g = c.pivot_table(index="prov", columns="year", values="gdp", aggfunc="sum")
    r = g[2020] / g[2019] - 1
    assert r["hubei"] < 0 < min(r["hunan"], r["jiangxi"])
    assert (g[2021] / g[2020] - 1)["hubei"] > 0.05  # and rebounds in 2021
