"""Policy levers: each mechanism is connected (these fail if a lever is cut off) and validated."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.config import ConfigError, load_config
from simulation.model import MiddleYangtzeModel
from simulation.policies import LEVERS, _register

_register()

SMALL = ["scale.talent_agents=4000", "scale.firm_agents=600"]
SCEN = "configs/scenarios/{}.toml"


def run(path: str | None, seed: int, years: int = 6, extra: list[str] | None = None) -> MiddleYangtzeModel:
    cfg = load_config(path, [*SMALL, f"run.end_year={2019 + years}", *(extra or [])])
    return MiddleYangtzeModel(cfg, rng=seed).run()


def pair(name: str, seed: int, years: int = 6, extra: list[str] | None = None):
    return run(None, seed, years, extra), run(SCEN.format(name), seed, years, extra)


def test_city_circle_shortens_corridors_and_widens_zones_from_its_start_year():
    cfg = load_config(SCEN.format("city_circle"), [*SMALL, "run.end_year=2026"])
    m = MiddleYangtzeModel(cfg, rng=1)
    i = m.city_index
    before = {}
    while m.running:
        times, zone = m.transport.times.copy(), m.transport.commute_zone.copy()
        if m.year < 2021:
            before = {"times": times, "zone": zone}
        elif m.year >= 2021:
            assert times[i["wuhan"], i["xiaogan"]] < before["times"][i["wuhan"], i["xiaogan"]]
            assert zone.sum() > before["zone"].sum()
            new = zone & ~before["zone"]
            members = [
                i[c]
                for c in (
                    "wuhan",
                    "ezhou",
                    "huanggang",
                    "huangshi",
                    "xiaogan",
                    "xianning",
                    "changsha",
                    "zhuzhou",
                    "xiangtan",
                    "nanchang",
                    "jiujiang",
                    "fuzhou",
                    "yichun",
                )
            ]
            assert new[np.ix_(members, members)].any()  # circle members join each other's zones
        wn = times[i["wuhan"], i["nanchang"]] - m.transport.intra_city_min
        assert (wn <= 80.0) == (m.year >= 2025)
        m.step()


def test_talent_alliance_raises_cross_province_migration():
    diffs = []
    for seed in (1, 2, 3):
        base, scen = pair("talent_alliance", seed)
        b = base.tables()["model"].cross_province_migration.sum()
        s = scen.tables()["model"].cross_province_migration.sum()
        diffs.append(s / b - 1)
    assert min(diffs) > 0.1, diffs


def test_transfer_subsidies_move_heavy_industry_into_the_zones():
    zones = ["jingzhou", "hengyang", "jiujiang", "xiaogan"]
    totals = np.zeros((2, 2))
    for seed in (1, 2, 3):
        base, scen = pair("industry_transfer", seed, extra=["scale.firm_agents=4000"])
        for k, m in enumerate((base, scen)):
            last = m.tables()["cities"].query("year == 2025").set_index("city")
            totals[k] += last.loc[zones, "heavy_firms"].sum(), last.loc["wuhan", "heavy_firms"]
    assert totals[1, 0] > 1.1 * totals[0, 0]  # more heavy industry in the zones
    assert totals[1, 1] < 0.9 * totals[0, 1]  # less in Wuhan


@pytest.mark.parametrize(("standard", "upstream_receives"), [(5.0, True), (0.2, False)])
def test_compensation_follows_boundary_water_quality(standard, upstream_receives):
    sets = [
        f"eco_compensation.agreements=[{{name='Han', upstream=['xiangyang','jingmen'], downstream="
        "['qianjiang','tianmen','xiantao','xiaogan','wuhan'], amount=1.0, central_topup=0.0, "
        f"standard={standard}}}]",
        "eco_compensation.enabled=true",
    ]
    m = run(None, 1, years=4, extra=sets)
    c = m.tables()["cities"].query("year >= 2021").groupby("city").eco_payment_received.sum()
    up = c[["xiangyang", "jingmen"]].sum()
    down = c[["qianjiang", "tianmen", "xiantao", "xiaogan", "wuhan"]].sum()
    assert up == pytest.approx(-down)
    assert (up > 0) == upstream_receives and abs(up) == pytest.approx(3 * 1.0)  # 2021-2023


def test_compensation_stake_makes_the_upstream_clean_up_and_the_budgets_pay():
    base, scen = pair("eco_compensation", 1)
    up = ["xiangyang", "jingmen"]  # the Han river group: its standard needs effort
    last = "year == 2025"
    b = base.tables()["cities"].query(last).set_index("city")
    s = scen.tables()["cities"].query(last).set_index("city")
    assert (s.loc[up, "emissions_cod"] < b.loc[up, "emissions_cod"]).all()  # upstream water emissions fall
    assert (s.loc[up, "eco_abatement_paid"] > 0).all()  # paid by the upstream budgets
    model = scen.tables()["model"].set_index("year").loc[2021:]
    assert (model.spending_eco_compensation_sewage > 0).all()
    assert np.abs(model.budget_transfers_sum).max() < 1e-9  # payments move money, never make it
    # what the cities pay on net is raised from their firms the next year
    assert (s.loc[up, "fiscal_levy"] != b.loc[up, "fiscal_levy"]).all()
    assert s.gdp.sum() != b.gdp.sum()


def test_binding_cap_trades_at_a_positive_price_with_emissions_at_the_cap():
    m = run(SCEN.format("emission_trading"), 1, years=6)
    model = m.tables()["model"].set_index("year")
    on = model.loc[2021:]
    assert (on.permit_price > 0).all()
    np.testing.assert_allclose(on.capped_emissions, on.emission_cap, rtol=1e-6)  # emissions at the cap
    assert (on.permits_traded > 0).all()  # cheap abaters sell to dear ones
    assert (model.loc[:2020].permit_price == 0).all()
    assert on.emission_cap.is_monotonic_decreasing and on.permit_price.is_monotonic_increasing


def test_the_cap_costs_heavy_industry():
    base, scen = pair("emission_trading", 1, years=10)
    fin = "year == 2029"
    b = base.tables()["cities"].query(fin)
    s = scen.tables()["cities"].query(fin)
    assert s.heavy_output.sum() < b.heavy_output.sum()
    assert s.emissions_so2.sum() < 0.8 * b.emissions_so2.sum()


def test_red_lines_stop_construction_land_growth_where_they_apply():
    # a line tighter than what is built freezes building; a looser one caps it at the line
    sets = ["red_lines.enabled=true", "red_lines.protected_share={wuhan=0.65, yueyang=0.55}"]
    base, scen = run(None, 1, years=8), run(None, 1, years=8, extra=sets)
    land_b = base.tables()["cities"].pivot(index="year", columns="city", values="land_used_km2")
    land_s = scen.tables()["cities"].pivot(index="year", columns="city", values="land_used_km2")
    cap = scen.city.land_cap[[scen.city_index["wuhan"], scen.city_index["yueyang"]]]
    assert land_b.loc[2027, "wuhan"] > land_b.loc[2021, "wuhan"]  # grows without the line
    assert (land_s.loc[2021:, "wuhan"] <= land_s.loc[2020, "wuhan"] * (1 + 1e-12)).all()  # frozen
    assert land_b.loc[2027, "yueyang"] > 0.45 * cap[1]  # the unconstrained path crosses the line
    assert land_s.loc[2021:, "yueyang"].max() <= 0.45 * cap[1] * (1 + 1e-12)  # capped at the line
    assert land_s.loc[2027, "xiangyang"] > land_s.loc[2021, "xiangyang"]  # no line: still grows
    # the rent moves only where and when the line binds: Yueyang's first year is below its line
    rent_b = base.tables()["cities"].pivot(index="year", columns="city", values="rent_index")
    rent_s = scen.tables()["cities"].pivot(index="year", columns="city", values="rent_index")
    assert land_b.loc[2021, "yueyang"] < 0.45 * cap[1]
    # (general-equilibrium spillovers from Wuhan move it a little, not the capacity cut)
    assert rent_s.loc[2021, "yueyang"] == pytest.approx(rent_b.loc[2021, "yueyang"], rel=0.01)
    assert rent_s.loc[2027, "wuhan"] > rent_b.loc[2027, "wuhan"]  # frozen land: dearer


@pytest.mark.parametrize(
    ("sets", "field"),
    [
        (
            ["industry_transfer.enabled=true", "industry_transfer.receiving_zones=['atlantis']"],
            "industry_transfer.receiving_zones",
        ),
        (["talent_alliance.enabled=true", "talent_alliance.start_year=2050"], "talent_alliance.start_year"),
        (["industry_transfer.subsidy=-0.5"], "industry_transfer.subsidy"),
        (["emission_trading.scope='planet'"], "emission_trading.scope"),
        (
            ["red_lines.enabled=true", "red_lines.protected_share={wuhan=1.5}"],
            "red_lines.protected_share.wuhan",
        ),
        (
            ["city_circle.enabled=true", "city_circle.corridors=[{a='wuhan', b='nowhere', factor=0.5}]"],
            "city_circle.corridors",
        ),
    ],
)
def test_bad_lever_settings_name_the_field(sets, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.").replace("[", r"\[")):
        MiddleYangtzeModel(load_config(None, [*SMALL, *sets]), rng=1)


def test_levers_off_by_default_leave_the_baseline_unchanged():
    a = run(None, 5, years=3)
    cfg = load_config(SCEN.format("green_development"), [*SMALL, "run.end_year=2022"])
    off = cfg.model_copy(
        update={
            k: getattr(cfg, k).model_copy(update={"enabled": False})
            for k in LEVERS
        }
    )
    b = MiddleYangtzeModel(off, rng=5).run()
    np.testing.assert_array_equal(a.tables()["model"].gdp, b.tables()["model"].gdp)
