"""Riverside chemical ban and old-base relocation: listed firms move to parks or close, and it is paid for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.config import ConfigError, load_config
from simulation.core.environment import COD
from simulation.model import MiddleYangtzeModel
from simulation.policies.riverside_ban import PURPOSE

SMALL = ["scale.talent_agents=4000", "scale.firm_agents=2000", "run.end_year=2026"]
RIVERSIDE = [
    "ezhou",
    "huanggang",
    "huangshi",
    "jingzhou",
    "jiujiang",
    "wuhan",
    "xianning",
    "yichang",
    "yueyang",
]
PARKS = ["jingmen", "xiangyang", "xiaogan", "qianjiang", "changde", "hengyang", "nanchang", "xinyu"]
ON = [
    "riverside_ban.enabled=true",
    "riverside_ban.start_year=2021",
    "riverside_ban.deadline=2023",
    "riverside_ban.riverside_share=0.5",
    "riverside_ban.leave_share=1.0",
    f"riverside_ban.parks={PARKS!r}",
]


def run(sets: list[str], seed: int, path: str | None = None) -> MiddleYangtzeModel:
    return MiddleYangtzeModel(load_config(path, [*SMALL, *sets]), rng=seed).run()


def last_year(m: MiddleYangtzeModel) -> pd.DataFrame:
    return m.tables()["cities"].query("year == 2026").set_index("city")


def test_riverside_heavy_firms_fall_and_the_parks_gain_them_with_their_capital():
    heavy, capital, moved = np.zeros((2, 2)), np.zeros((2, 2)), 0.0
    for seed in (1, 2, 3):
        for k, m in enumerate((run([], seed), run(ON, seed))):
            c = last_year(m)
            heavy[k] += c.loc[RIVERSIDE, "heavy_firms"].sum(), c.loc[PARKS, "heavy_firms"].sum()
            idx = [m.city_index[p] for p in PARKS]
            capital[k] += (
                m.capital.stock[[m.city_index[r] for r in RIVERSIDE], 0].sum(),
                m.capital.stock[idx, 0].sum(),
            )
        moved += m.tables()["model"].riverside_relocated_firms.sum()
    assert moved > 0
    assert heavy[1, 0] < 0.85 * heavy[0, 0], heavy  # fewer heavy firms on the river
    assert heavy[1, 1] > 1.05 * heavy[0, 1], heavy  # more in the parks
    assert capital[1, 0] < capital[0, 0] and capital[1, 1] > capital[0, 1], capital


def test_moves_out_of_the_riverside_cities_arrive_in_the_parks_of_the_same_province():
    m = run(ON, 4)
    c = m.tables()["cities"]
    out = c.groupby("city").riverside_relocated_out.sum()
    into = c.groupby("city").riverside_relocated_in.sum()
    assert out.sum() > 0 and np.isclose(out.sum(), into.sum())
    assert set(out[out > 0].index) <= set(RIVERSIDE)
    assert set(into[into > 0].index) <= set(PARKS)  # no riverside city is a park here
    prov = dict(zip(m.city_ids, m.provinces_of, strict=True))
    for p in ("hubei", "hunan", "jiangxi"):  # every province's movers stay in it
        sent = sum(out[ci] for ci in out.index if prov[ci] == p)
        got = sum(into[ci] for ci in into.index if prov[ci] == p)
        assert np.isclose(sent, got), p


def test_riverside_water_emissions_fall():
    """The firms' COD in the riverside cities falls in every seed (the mechanism); the cities' total
    water emissions, domestic sewage included (most of the load in this model), fall too."""
    firm, total = [], []
    for seed in (1, 2, 3):
        b, s = run([], seed), run(ON, seed)
        idx = [b.city_index[c] for c in RIVERSIDE]
        firm.append(s.env.firm_emissions[COD][idx].sum() / b.env.firm_emissions[COD][idx].sum() - 1)
        bw, sw = (
            last_year(b).loc[RIVERSIDE, "emissions_water"],
            last_year(s).loc[RIVERSIDE, "emissions_water"],
        )
        total.append(sw.sum() / bw.sum() - 1)
    assert max(firm) < 0, firm
    assert max(total) < 0, total


def test_without_parks_every_listed_firm_closes_and_nothing_is_paid():
    m = run([*ON, "riverside_ban.parks=[]"], 1)
    t = m.tables()["model"]
    assert t.riverside_closed_firms.sum() > 0
    assert t.riverside_relocated_firms.sum() == 0
    assert t.spending_riverside_ban_relocation.sum() == 0


def test_costlier_moves_close_more_firms():
    cheap = ["riverside_ban.relocation_cost_share=0.0"]
    dear = [
        "riverside_ban.relocation_cost_share=1.0",
        "riverside_ban.payback_years=1",
        "riverside_ban.subsidy_per_firm=0",
    ]
    closed = [
        sum(run([*ON, *x], seed).tables()["model"].riverside_closed_firms.sum() for seed in (1, 2))
        for x in (cheap, dear)
    ]
    assert closed[1] > closed[0], closed


def test_entry_ban_keeps_new_heavy_firms_off_the_riverside():
    ban = ["riverside_ban.leave_share=0.0"]  # nobody listed: only new projects are barred
    totals = np.zeros(2)
    for seed in (1, 2, 3):
        for k, sets in enumerate(([*ON, *ban, "riverside_ban.entry_ban=false"], [*ON, *ban])):
            totals[k] += last_year(run(sets, seed)).loc[RIVERSIDE, "heavy_firms"].sum()
    assert totals[1] < totals[0], totals


def test_an_old_base_leaves_its_city_even_when_the_city_has_a_park():
    sets = [
        *ON,
        "riverside_ban.riverside_share=0.0",
        "riverside_ban.parks=['wuhan', 'jingmen', 'xiangyang', 'xiaogan']",
        "riverside_ban.old_bases=[{city='wuhan', sector='heavy', share=0.5, by_year=2024}]",
    ]
    base, m = run([], 2), run(sets, 2)
    c = m.tables()["cities"].groupby("city")
    assert c.riverside_relocated_out.sum()["wuhan"] > 0
    assert c.riverside_relocated_in.sum()["wuhan"] == 0  # the old base leaves the city
    assert last_year(m).loc["wuhan", "heavy_firms"] < 0.8 * last_year(base).loc["wuhan", "heavy_firms"]


def test_the_subsidy_is_paid_by_the_provinces_and_the_centre_from_the_start_year():
    m = MiddleYangtzeModel(load_config(None, [*SMALL, *ON, "riverside_ban.central_share=0.25"]), rng=1)
    payers = set()
    while m.running:
        m.step()
        payers |= {kind for kind, arr in m.budgets.spent.get(PURPOSE, {}).items() if arr.sum() > 0}
    assert payers == {"province", "central"}  # never the cities
    t = m.tables()["model"].set_index("year")
    paid = t.spending_riverside_ban_relocation
    assert (paid.loc[:2020] == 0).all()
    assert paid.loc[2021:].sum() > 0
    np.testing.assert_allclose(paid, t.riverside_subsidy)
    np.testing.assert_allclose(t.lever_net_province, -0.75 * paid, atol=1e-9)
    np.testing.assert_allclose(t.lever_net_central, -0.25 * paid, atol=1e-9)


def test_the_shipped_scenario_runs_and_moves_firms():
    t = run([], 1, "configs/scenarios/riverside_ban.toml").tables()["model"]
    assert t.riverside_relocated_firms.sum() + t.riverside_closed_firms.sum() > 0


@pytest.mark.parametrize(
    ("sets", "field"),
    [
        (["riverside_ban.riverside_share=1.5"], "riverside_ban.riverside_share"),
        (["riverside_ban.start_year=2024", "riverside_ban.deadline=2022"], "riverside_ban.deadline"),
        (["riverside_ban.parks=['atlantis']"], "riverside_ban.parks"),
        (["riverside_ban.enabled=true", "riverside_ban.rivers=['Nile']"], "riverside_ban.rivers"),
        (["riverside_ban.old_bases=[{city='wuhan', share=0.0, by_year=2030}]"], "riverside_ban.old_bases"),
        (
            ["riverside_ban.old_bases=[{city='wuhan', sector='steel', share=0.2, by_year=2030}]"],
            "riverside_ban.old_bases",
        ),
    ],
)
def test_bad_settings_name_the_field(sets, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        MiddleYangtzeModel(load_config(None, [*SMALL, *sets]), rng=1)


def test_the_lever_off_leaves_the_baseline_bit_identical():
    a = run([], 5)
    off = run(["riverside_ban.enabled=false"], 5, "configs/scenarios/riverside_ban.toml")
    for name in ("model", "cities", "flows"):
        pd.testing.assert_frame_equal(a.tables()[name], off.tables()[name])


def test_an_unknown_river_is_refused_before_any_work(tmp_path, capsys):
    from simulation import cli

    out = tmp_path / "out"
    rc = cli.main(["run", "configs/baseline.toml", "--set", "riverside_ban.enabled=true",
                   "--set", "riverside_ban.rivers=['Nile']", "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "riverside_ban.rivers" in err[0] and "Nile" in err[0]
    assert not out.exists()
