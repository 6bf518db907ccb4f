"""Environment v2: abatement costs, the permit market, the regulation path, PM2.5, rivers, budgets.

Mechanism tests: each plants a cause and checks its effect, on the pieces alone and in the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.config import load_config
from simulation.core import abatement as ab
from simulation.core.budget import CENTRAL, CITY, PROVINCE, Budgets
from simulation.core.regulation import Regulation, concentration_cuts
from simulation.model import MiddleYangtzeModel

SMALL = ["scale.talent_agents=4000", "scale.firm_agents=600"]


def run(extra=(), years=6, path=None, seed=3):
    cfg = load_config(path, [*SMALL, f"run.end_year={2019 + years}", *extra])
    return MiddleYangtzeModel(cfg, rng=seed).run()


# ---------------------------------------------------------------------- abatement and trading
def test_the_market_clears_at_the_cap_and_cheap_abaters_sell_permits():
    unabated = np.array([100.0, 100.0, 100.0])
    c = np.array([1000.0, 4000.0, 16000.0])  # yuan/t at 50% abatement
    floor = np.zeros(3)
    permits = ab.grandfather(unabated, 150.0)
    res = ab.clear(unabated, c, floor, 150.0, permits)
    a = ab.share_at(res.price, c, floor)
    assert res.binding and res.price > 0
    assert res.emissions == pytest.approx(150.0, rel=1e-9)
    assert a[0] > a[1] > a[2]  # the cheapest abates most
    # marginal costs are equal across firms at the clearing price
    np.testing.assert_allclose(ab.marginal_cost(c, a), res.price, rtol=1e-9)
    emitted = unabated * (1 - a)
    assert res.traded == pytest.approx(np.maximum(permits - emitted, 0).sum())
    assert res.traded > 0
    # trading is cheaper than the same cut by a uniform standard
    uniform = ab.cost(unabated, c, np.full(3, 0.5)).sum()
    assert ab.cost(unabated, c, a).sum() < uniform


def test_a_slack_cap_has_no_price_and_standards_still_bind():
    unabated, c = np.array([10.0, 10.0]), np.array([5000.0, 5000.0])
    res = ab.clear(unabated, c, np.array([0.3, 0.3]), 100.0, np.zeros(2))
    assert res.price == 0 and not res.binding
    assert res.emissions == pytest.approx(14.0)


def test_abatement_cost_rises_convexly():
    c = np.array([8000.0])
    costs = [ab.cost(np.array([1.0]), c, np.array([a]))[0] for a in (0.2, 0.4, 0.6, 0.8)]
    steps = np.diff(costs)
    assert (steps > 0).all() and (np.diff(steps) > 0).all()


# ---------------------------------------------------------------------- regulation path
def _table(rows):
    cols = ["policy", "pollutant", "scope_sector", "start_year", "end_year", "target_kind",
            "target_change", "base_year", "intensity_change_per_year"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def test_total_targets_cap_emissions_with_a_uniform_standard():
    reg = Regulation(_table([("p", "so2", "all", 2020, 2024, "total", -0.2, 2019, np.nan)]), 2019)
    reg.advance(2020, np.array([100.0, 0, 0, 0, 0, 0]))
    rate = 0.8 ** (1 / 5) - 1
    assert reg.cap[0] == pytest.approx(100 * (1 + rate))
    unabated = np.array([60.0, 50.0])
    floor, share = reg.floors(0, np.array([0, 3]), unabated, other=10.0)
    assert floor[0] == pytest.approx(floor[1]) == pytest.approx(share)  # the same share for all
    assert unabated @ (1 - floor) + 10.0 == pytest.approx(reg.cap[0])
    # shared with non-firm sources (municipal sewage works): they are cut by the same share
    floor2, share2 = reg.floors(0, np.array([0, 3]), unabated, other=10.0, shared=True)
    assert share2 < share and unabated @ (1 - floor2) + 10.0 * (1 - share2) == pytest.approx(reg.cap[0])
    reg.advance(2021, np.zeros(6))  # the cap moves on from itself, not from emissions
    reg.advance(2030, np.zeros(6))  # after the plan: the cap stays where it ended
    assert reg.cap[0] == pytest.approx(100 * (1 + rate) ** 2)


def test_sector_standards_lower_allowed_intensity_only_where_they_apply():
    reg = Regulation(_table([("s", "pm", "heavy", 2020, 2021, "concentration", -0.5, 2012, -0.1)]), 2019)
    for y in (2020, 2021, 2022):
        reg.advance(y, np.zeros(6))
    floor, _ = reg.floors(2, np.array([0, 1]), np.ones(2), 0.0)
    assert floor[0] == pytest.approx(1 - 0.9**2) and floor[1] == 0.0


def test_non_industrial_rows_lower_residents_emissions_not_firms():
    reg = Regulation(
        _table([("v", "nox", "non_industrial", 2020, 2021, "intensity", -0.2, 2019, -0.05)]), 2019
    )
    for y in (2020, 2021, 2022, 2023):
        reg.advance(y, np.zeros(6))
    assert reg.non_industrial[1] == pytest.approx(0.95**2)  # two years in force, then held
    assert np.all(reg.non_industrial[[0, 2, 3, 4, 5]] == 1.0) and np.all(reg.allowed == 1.0)


def test_vehicle_path_lowers_residents_nox_in_the_model():
    sets = ["scale.talent_agents=2000", "scale.firm_agents=300", "run.end_year=2022"]
    m = MiddleYangtzeModel(load_config(None, sets), rng=1)
    m.run()
    per_head = m.env.emissions[1] - m.env.firm_emissions[1]  # residents' and vehicles' NOx
    expected = m.env.life[1] * m.env.reg.non_industrial[1] * m.city.population
    np.testing.assert_allclose(per_head, expected, rtol=0.03)  # residents move after emissions are set
    assert m.env.reg.non_industrial[1] < 0.9  # the realised 2020-2022 vehicle path (regulation.csv)


def test_regulation_pace_compounds_the_written_rates_of_air_rows_only():
    rows = [
        ("t", "so2", "all", 2020, 2024, "total", -0.2, 2019, np.nan),
        ("c", "cod", "all", 2020, 2024, "total", -0.2, 2019, np.nan),
        ("s", "pm", "heavy", 2020, 2021, "concentration", -0.5, 2012, -0.1),
        ("v", "nox", "non_industrial", 2020, 2021, "intensity", -0.2, 2019, -0.05),
        ("a", "pm25", "all", 2020, 2025, "concentration", -0.18, 2019, -0.039),
    ]
    plain, fast = Regulation(_table(rows), 2019), Regulation(_table(rows), 2019, pace=2.0)
    for reg in (plain, fast):
        reg.advance(2020, np.array([100.0, 0, 0, 0, 100.0, 0]))
        reg.note_pm25(2019, np.array([50.0, 30.0]))
    r = 0.8 ** (1 / 5) - 1
    assert plain.cap[0] == pytest.approx(100 * (1 + r)) and fast.cap[0] == pytest.approx(100 * (1 + r) ** 2)
    assert fast.cap[4] == pytest.approx(plain.cap[4])  # water rows keep their written pace
    assert fast.allowed[2, 0] == pytest.approx(0.9**2) and plain.allowed[2, 0] == pytest.approx(0.9)
    assert fast.non_industrial[1] == pytest.approx(plain.non_industrial[1])  # a realised path already
    q = 0.82 ** (1 / 6) - 1
    t_plain, t_fast = plain.pm25_targets(2021, 2, 35.0), fast.pm25_targets(2021, 2, 35.0)
    assert t_plain[0] == pytest.approx(50 * (1 + q) ** 2) and t_fast[0] == pytest.approx(50 * (1 + q) ** 4)
    assert np.isinf(t_fast[1])  # a city below the standard is still not held


def test_a_faster_regulation_pace_lowers_pm25_and_costs_abatement():
    def year(extra):
        m = run(extra, years=2)
        t = m.tables()["model"].set_index("year")
        return t.air_quality[2021], m.tables()["cities"].groupby("year").abatement_cost.sum()[2021]

    pm1, cost1 = year(["environment.regulation_pace=1"])
    pm2, cost2 = year(["environment.regulation_pace=2.5"])
    assert pm2 < pm1 - 0.5 and cost2 > cost1  # cleaner air, bought by more abatement


def test_pm25_targets_are_met_by_each_city_s_own_cuts_and_cuts_are_kept():
    n = 3
    spill = np.eye(n) + 0.2 * (1 - np.eye(n))
    kappa, area = np.ones(n), np.ones(n)
    bg, free, firm = np.full(n, 10.0), np.full(n, 5.0), np.array([30.0, 5.0, 30.0])
    target = np.array([40.0, np.inf, np.inf])  # only city 0 is held to a target
    x = concentration_cuts(target, bg, kappa, spill, free, firm, area, np.zeros(n))
    pm = bg + kappa * (spill @ ((free + firm * (1 - x)) / area))
    assert pm[0] == pytest.approx(40.0, abs=1e-6)
    assert x[0] > 0 and x[1] == 0 and x[2] == 0  # only the city held to a target cuts
    kept = concentration_cuts(np.full(n, np.inf), bg, kappa, spill, free, firm, area, x)
    np.testing.assert_array_equal(kept, x)  # a standard is not undone


def test_baseline_pm25_falls_2019_2023_and_regulation_is_the_cause():
    with_reg = run(years=4).tables()["model"].set_index("year").air_quality
    without = run(["environment.regulation=false"], years=4).tables()["model"].set_index("year").air_quality
    assert with_reg[2023] / with_reg[2019] - 1 < -0.08
    assert with_reg[2023] < without[2023]


# ---------------------------------------------------------------------- air, rivers, damages
def test_river_loads_decay_downstream_and_dilute_in_big_rivers():
    m = run(years=1)
    env = m.env
    own = np.zeros(m.n)
    up = m.city_index["xiangyang"]
    own[up] = 1000.0
    load = env.route(own, 4)
    down = [d for d in env.downstream[up]]
    assert down and (load[down] < 1000.0).all() and (load[down] > 0).all()
    conc = load / (31.5576 * env.discharge)
    assert conc[m.city_index["wuhan"]] < conc[up]  # the Yangtze dilutes the Han's load


def test_pm25_moves_productivity_when_damage_is_on():
    off = run(years=4)
    on = run(["environment.pm25_productivity=0.01"], years=4)
    last = "year == 2023"
    g_off = off.tables()["cities"].query(last).set_index("city").gdp
    g_on = on.tables()["cities"].query(last).set_index("city").gdp
    change = on.city.pm25 - on.env.pm25_0
    assert (change < 0).any()
    # cleaner than in 2019: more productive than without the damage term, and more so the cleaner
    ratio = (g_on / g_off).to_numpy()
    assert (ratio[change < -1] > 1).all()
    assert np.corrcoef(change, ratio)[0, 1] < -0.5


def test_dirtier_water_drives_people_away():
    # plant the cause: half the cities' water looks twice as dirty as in their base year, in a run
    # that weighs water quality and in one that does not (same emissions otherwise)
    def planted(weight: float):
        cfg = load_config(None, [*SMALL, "run.end_year=2024", f"environment.water_amenity={weight}"])
        m = MiddleYangtzeModel(cfg, rng=3)
        m.env.conc0[4][::2] *= 0.5
        return m.run()

    base, more = planted(0.0), planted(1.0)
    dirty = np.zeros(base.n, bool)
    dirty[::2] = True
    pop_b = base.tables()["cities"].query("year == 2024").population.to_numpy()
    pop_m = more.tables()["cities"].query("year == 2024").population.to_numpy()
    ratio = pop_m / pop_b
    assert ratio[dirty].mean() < 1 < ratio[~dirty].mean()


# ---------------------------------------------------------------------- budgets
def test_budget_transfers_balance_and_outlays_are_raised_from_firms_next_year():
    from simulation.config_environment import BudgetSection

    b = Budgets(BudgetSection(), 3, np.array([0, 0, 1]))
    b.transfer("bet", CITY, 0, CITY, 2, 1.5)
    b.transfer("topup", CENTRAL, 0, CITY, 2, 3.0)
    b.spend(CITY, [0, 1], [0.5, 0.25], "works")
    b.spend(PROVINCE, 1, 2.0, "fund")
    rows = b.close(
        np.array([100.0, 50.0, 80.0]), np.array([1e6, 5e5, 8e5]), np.array([200.0, 100.0, 150.0]), 1.0
    )
    assert b.transfers_sum == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(rows["city_lever_net"], [-2.0, -0.25, 4.5])
    assert b.levy[0] == pytest.approx(2.0 / 200) and b.levy[2] < 0  # payers tax, receivers relieve
    assert b.lever_spending() == {"bet": 1.5, "topup": 3.0, "works": 0.75, "fund": 2.0}
