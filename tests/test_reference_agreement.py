"""The array decision rules agree with the per-agent reference (benchmarks/reference.py).

Two levels:

* exactly, for one state: every sampled agent's probabilities of the N homes and the coast, and of
  each work city given a home, computed agent by agent, equal the rows the array code computes once
  per class (origin, hukou, skill bin), also for graduates and with lever factors on border and
  hukou costs;
* in distribution, over whole runs: with the same seeds and a small model (6000 talent agents,
  1500 firm agents so that relocations are frequent enough, 3 years, 6 seeds), the reference (which
  draws agent by agent, in another order) and the array model produce pooled counts (talent to the
  coast, inter-city and cross-province migration, graduates staying, retirements, firm exits, births
  and relocations) within 4 standard errors; destination counts of movers and of graduates that a
  chi-square test of homogeneity cannot tell apart (p > 1e-4); and the same selection: skill of
  those leaving for the coast, relative log profit of exiting firms, distance of firm relocations
  (means within 4 standard errors).

Runs use fixed seeds, so the outcome is deterministic, not flaky. Either level fails when a rule
differs (checked by mutating the reference): flipping the sign of the border cost fails the exact
tests and five statistical ones (cross-province moves 4319 vs 798 agents, z = -49); flipping the
skill weight of the coast fails the exact tests and the skill of coast leavers (z = 6.6); flipping
the sign of the exit sensitivity turns the mean relative log profit of exiting firms from -0.44 to
+0.43 (z = -25); dropping the distance cost of relocation lengthens moves from about 200 to 280 km
(z = -8). Without a mutation the largest |z| is 1.1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from agents import FirmAgent, TalentAgent
from benchmarks.reference import ReferenceModel
from simulation import talent as tal
from simulation.model import MiddleYangtzeModel

SEEDS = (11, 12, 13, 14, 15, 16)
SIZE = {"talent_agents": 6000, "firm_agents": 1500}
YEARS = 3


# ---------------------------------------------------------------------- exact, for one state
def _check_probabilities(m: ReferenceModel, lever_rng: np.random.Generator | None = None) -> None:
    if lever_rng is not None:  # lever factors by province pair, as the talent alliance sets them
        for key in ("border_factor", "hukou_city_factor", "hukou_province_factor"):
            m.mods[key] = lever_rng.uniform(0.0, 2.0, np.shape(m.mods[key]))
    m._year_inputs()
    t = m.talent
    live = t.living()
    # array: one row per class
    m._sbin = tal.skill_bins(t.skill[live], m.skill_edges)
    probs, inv, _ = m._class_probs(t.home[live], t.hukou[live])
    # reference: one agent at a time
    sample = live[:: max(1, len(live) // 400)]
    rows = np.searchsorted(live, sample)
    ref = np.array([m.home_probabilities(int(t.home[s]), int(t.hukou[s]), float(t.skill[s])) for s in sample])
    np.testing.assert_allclose(ref, probs[inv[rows]], rtol=1e-10, atol=1e-14)
    # graduates: stay bonus at the university city and a lever bonus by city
    bonus = np.linspace(-0.5, 0.5, m.n)
    sb = m.config.talent.graduate_stay_weight
    probs, inv, _ = m._class_probs(t.home[live], t.hukou[live], stay_bonus=sb, extra=bonus)
    ref = np.array(
        [m.home_probabilities(int(t.home[s]), int(t.hukou[s]), float(t.skill[s]), sb, bonus) for s in sample]
    )
    np.testing.assert_allclose(ref, probs[inv[rows]], rtol=1e-10, atol=1e-14)
    # work city given home
    work = np.diff(m._work_cdf, axis=1, prepend=0.0)
    for home in range(m.n):
        np.testing.assert_allclose(m.work_probabilities(home)[:-1], work[home, :-1], atol=1e-12)


def test_agent_probabilities_equal_class_probabilities_in_the_base_year():
    m = ReferenceModel(rng=5, **SIZE)
    m._reset_mods()
    _check_probabilities(m)


def test_agent_probabilities_equal_class_probabilities_later_and_with_lever_factors():
    m = ReferenceModel(rng=6, **SIZE, end_year=2021)
    m.run()
    _check_probabilities(m)
    _check_probabilities(m, np.random.default_rng(0))


# ---------------------------------------------------------------------- in distribution, over runs
class Recorder:
    """Records who left or moved each year, as seen from the agents (same for both implementations)."""

    def _talent_dynamics(self) -> None:
        t = self.talent
        before = {
            a: (float(np.log(t.skill[a.slot])), int(t.age[a.slot])) for a in self.agents_by_type[TalentAgent]
        }
        super()._talent_dynamics()
        alive = self.agents_by_type[TalentAgent]
        retire = self.config.talent.retirement_age
        self.rec["coast_logskill"] += [
            ls for a, (ls, age) in before.items() if a not in alive and age + 1 < retire
        ]

    def _firm_dynamics(self) -> None:
        f = self.firms
        before = {
            a: (int(f.city[a.slot]), int(f.sector[a.slot]), float(np.log(max(f.profit[a.slot], 1e-12))))
            for a in self.agents_by_type[FirmAgent]
        }
        super()._firm_dynamics()
        alive = self.agents_by_type[FirmAgent]
        snap = pd.DataFrame(before.values(), columns=["city", "sector", "lp"])
        g = snap.groupby("sector").lp
        snap["z"] = (snap.lp - g.transform("mean")) / g.transform("std", ddof=0).clip(lower=1e-9)
        gone = np.array([a not in alive for a in before])
        self.rec["exit_z"] += snap.z[gone].tolist()
        self.rec["move_km"] += [
            float(self.km[o, f.city[a.slot]])
            for a, (o, _, _) in before.items()
            if a in alive and f.city[a.slot] != o
        ]


class ArrayRecorder(Recorder, MiddleYangtzeModel):
    pass


class ReferenceRecorder(Recorder, ReferenceModel):
    pass


@pytest.fixture(scope="module")
def runs():
    out = {}
    for name, cls in (("array", ArrayRecorder), ("reference", ReferenceRecorder)):
        models, flows, rec = [], [], {"coast_logskill": [], "exit_z": [], "move_km": []}
        for seed in SEEDS:
            m = cls(rng=seed, end_year=2019 + YEARS, **SIZE)
            m.rec = rec
            m.run()
            t = m.tables()
            models.append(t["model"].assign(tpa=m.talent_per_agent, fpa=m.firms_per_agent))
            flows.append(t["flows"].assign(tpa=m.talent_per_agent, fpa=m.firms_per_agent))
        out[name] = (pd.concat(models, ignore_index=True), pd.concat(flows, ignore_index=True), rec)
    return out


# column, unit (agents = value / unit)
COUNTS = {
    "talent_to_coast": None,
    "talent_entries": None,
    "talent_retirements": None,
    "talent_migration": "tpa",
    "cross_province_migration": "tpa",
    "firm_exits": "fpa",
    "firm_births": "fpa",
    "relocations": "fpa",
}


def _agents(model: pd.DataFrame, col: str) -> float:
    unit = COUNTS[col]
    v = model[col] if unit is None else model[col] / model[unit]
    return float(v[model.year > 2019].sum())


@pytest.mark.parametrize("col", list(COUNTS))
def test_flows_agree_within_four_standard_errors(runs, col):
    a, b = _agents(runs["array"][0], col), _agents(runs["reference"][0], col)
    assert a + b > 30, f"too few {col} events to compare"
    z = (a - b) / np.sqrt(a + b)  # pooled counts of rare events: variance about the count
    assert abs(z) < 4, f"{col}: array {a:.0f} vs reference {b:.0f} agents (z = {z:.1f})"


@pytest.mark.parametrize("kind", ["migration", "graduate"])
def test_destinations_agree(runs, kind):
    counts = {}
    for name, (_, flows, _) in runs.items():
        f = flows[(flows.kind == kind) & (flows.year > 2019)]
        if kind == "migration":
            f = f[f.origin != f.destination]
        counts[name] = (f["count"] / f["tpa"]).round().groupby(f.destination).sum()
    table = pd.DataFrame(counts).fillna(0.0)
    assert table.to_numpy().sum() > 500
    # pool small destinations so that every expected count is at least 5
    total = table.sum(axis=1)
    small = total < 10
    table = pd.concat([table[~small], table[small].sum().to_frame("other").T])
    table = table[table.sum(axis=1) > 0]
    p = chi2_contingency(table.to_numpy().T).pvalue
    assert p > 1e-4, f"{kind} destinations differ (chi-square p = {p:.2g}):\n{table}"


def test_cross_province_share_of_movers_agrees(runs):
    cross = [_agents(runs[k][0], "cross_province_migration") for k in ("array", "reference")]
    moves = [_agents(runs[k][0], "talent_migration") for k in ("array", "reference")]
    share = [c / m for c, m in zip(cross, moves, strict=True)]
    pooled = sum(cross) / sum(moves)
    se = np.sqrt(pooled * (1 - pooled) * (1 / moves[0] + 1 / moves[1]))
    assert abs(share[0] - share[1]) < 4 * se, f"cross-province share {share[0]:.3f} vs {share[1]:.3f}"


@pytest.mark.parametrize(
    "key",
    [
        "coast_logskill",  # who leaves for the coast: skill (coast utility rises with skill)
        "exit_z",  # which firms exit: log profit relative to the sector (the hazard falls with it)
        "move_km",  # how far relocating firms move (moving costs rise with distance)
    ],
)
def test_who_leaves_or_moves_agrees(runs, key):
    a, b = (np.array(runs[k][2][key]) for k in ("array", "reference"))
    assert len(a) > 50 and len(b) > 50
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    z = (a.mean() - b.mean()) / se
    assert abs(z) < 4, (
        f"{key}: array mean {a.mean():.3f} (n={len(a)}) vs reference {b.mean():.3f} (n={len(b)})"
    )
