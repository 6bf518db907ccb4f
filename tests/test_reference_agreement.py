"""The array decision rules agree with the per-agent reference (benchmarks/reference.py), one for one.

Every random decision draws from a stream keyed by (seed, purpose, year, agent id), so the reference
(agents deciding one at a time, in the order of Mesa's agent sets) and the array model (decisions
per class of agents, over arrays) see the same uniforms for every decision and must make the same
choices, up to floating-point rounding at a boundary (a uniform at a cumulative probability, two
options' Gumbel-perturbed utilities within an ulp). Three levels:

* probabilities, for one state: each sampled agent's probabilities of the N homes and the coast
  (reviewers, graduates with their stay bonus and a lever bonus by city, an outside hukou), of
  each work city given a home, and of an entrant's cities equal the rows the array code computes
  once per class, to rtol 1e-10: in the base year, later (real and synthetic region), and with
  lever factors on border and hukou costs, a commuting-cost discount and extra commuting-zone pairs
  (what the talent alliance and city circles set);
* decisions, over runs (3000 talent and 500 firm agents, 4 years; the real region, a synthetic
  region, and the real region with talent_alliance, city_circle and industry_transfer on from
  2020): every multinomial choice of the array model (home, work, graduate, entrant; firm entry,
  coastal arrival and relocation destination), captured from ``sample_rows`` and ``gumbel_pick``,
  is matched by its (first) uniform with the reference's: at least 99.9% of all decisions must be
  made by both and agree, and their probabilities (the cumulative row a talent choice samples, the
  logit probabilities of a firm's utilities) must agree to rtol 1e-10;
* results, over the same runs: the cities and model tables agree to rtol 1e-9, the flows table
  (migration, graduates, commuting, relocations) likewise, and so do the final talent and firm
  agents matched by their ids (home, work, hukou, age, skill; city, sector, age, capacity); this
  also covers the binary decisions (review, retirement, exit, death, consider moving).

The reference must make its decisions itself: a run with every function of ``core.choice`` and
``core.firms`` and every method of the array stages (but calibration) replaced by a trap passes.
Mutations of the array rules each fail several of these tests (checked by hand, in a copy of the tree):
border-cost sign, no destination term in the work choice, exit on positive profit, no distance cost
of relocation, wrong review uniform, graduates' age range; circle discount raising costs and the
industry-transfer push raising the value of staying fail the lever tests.
"""

from __future__ import annotations

import inspect
from collections import Counter
from types import FunctionType
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax

from benchmarks.reference import ReferenceModel
from simulation.config import apply_overrides, read_toml, validate
from simulation.core import choice as ch
from simulation.core import firms as firms_mod
from simulation.core.firms import FirmStage
from simulation.core.talent import TalentStage
from simulation.model import MiddleYangtzeModel
from simulation.region import synthetic_region

SEED = 21
SIZE = {"talent_agents": 3000, "firm_agents": 500}
YEARS = 4
LEVERS = ("talent_alliance", "city_circle", "industry_transfer")
# fewest decisions of each kind a run must contain for the comparison to mean something
# entry: the pool is twice the base year's expected exits, ~3% of firms a year since the base-year
# firms are survivors (core.firms), so 500 firm agents make ~130 entry decisions in 4 years
MIN_DECISIONS = {"home": 1000, "work": 1000, "graduate": 300, "entrant": 100, "entry": 100,
                 "coastal": 4, "relocation": 10}  # fmt: skip


def lever_config():
    """The three scenario files together, every lever on from 2020 and the corridors open by 2021."""
    data: dict = {}
    for name in LEVERS:
        data.update(read_toml(f"configs/scenarios/{name}.toml"))
    for name in LEVERS:
        data[name]["start_year"] = 2020
    for c in data["city_circle"]["corridors"]:
        if "year" in c:
            c["year"] = 2021
    return validate(apply_overrides(data, []), "<levers>")


def build(cls, scenario: str, years: int = YEARS):
    cfg = lever_config() if scenario == "levers" else None
    region = synthetic_region(12, 3) if scenario == "synthetic" else None
    return cls(cfg, rng=SEED, region=region, end_year=2019 + years, **SIZE)


# ---------------------------------------------------------------------- probabilities, one state
def _sample(m) -> np.ndarray:
    live = m.talent.living()
    return live[:: max(1, len(live) // 300)]


def _check_probabilities(m: ReferenceModel) -> None:
    stage, t, n = m.talent_stage, m.talent, m.n
    stage.year_inputs(m)
    live = t.living()
    sample = _sample(m)
    rows = np.searchsorted(live, sample)
    args = [(int(t.home[s]), int(t.hukou[s]), float(t.skill[s])) for s in sample]
    # reviewers: the array code computes one row per (origin, hukou, skill bin)
    probs, inv, _ = TalentStage.class_probs(stage, m, t.home[live], t.hukou[live], t.skill[live])
    ref = np.array([stage.home_probabilities(*a) for a in args])
    np.testing.assert_allclose(ref, probs[inv[rows]], rtol=1e-10, atol=1e-300)
    # graduates: a stay bonus at the university city and a lever bonus by city
    bonus = np.linspace(-0.5, 0.5, n)
    sb = m.config.talent.graduate_stay_weight
    probs, inv, _ = TalentStage.class_probs(stage, m, t.home[live], t.hukou[live], t.skill[live], sb, bonus)
    ref = np.array([stage.home_probabilities(*a, sb, bonus) for a in args])
    np.testing.assert_allclose(ref, probs[inv[rows]], rtol=1e-10, atol=1e-300)
    # outside hukou (graduates from elsewhere, entrants' kind of hukou)
    probs, inv, _ = TalentStage.class_probs(stage, m, t.home[live], np.full(len(live), n), t.skill[live])
    ref = np.array([stage.home_probabilities(o, n, s) for o, _, s in args])
    np.testing.assert_allclose(ref, probs[inv[rows]], rtol=1e-10, atol=1e-300)
    # entrants from the rest of China, by skill bin
    ent = ch.softmax_rows(TalentStage.entrant_utilities(stage, m))
    sbin = ch.skill_bins(t.skill[sample], m.skill_edges)
    ref = np.array([stage.entrant_probabilities(s) for _, _, s in args])
    np.testing.assert_allclose(ref, ent[sbin], rtol=1e-10, atol=1e-300)
    # work city given home
    _, cdf = TalentStage.work_cdf(stage, m)
    for home in range(n):
        ref = np.cumsum(stage.work_probabilities(home))
        np.testing.assert_allclose(ref[:-1], cdf[home, :-1], rtol=1e-10, atol=1e-15)


def _set_lever_factors(m, rng: np.random.Generator) -> None:
    """Lever factors as the talent alliance and city circles set them, at random values."""
    for key in ("border_factor", "hukou_city_factor", "hukou_province_factor"):
        m.mods[key] = rng.uniform(0.0, 2.0, np.shape(m.mods[key]))
    m.mods["commute_discount"] = rng.uniform(0.0, 0.8, (m.n, m.n)) * (rng.random((m.n, m.n)) < 0.5)
    extra = rng.random((m.n, m.n)) < 0.1
    m.transport.set_extra_zone(extra | extra.T)


def test_agent_probabilities_equal_class_probabilities_in_the_base_year():
    m = build(ReferenceModel, "real")
    m._reset_mods()
    _check_probabilities(m)


@pytest.mark.parametrize("scenario", ["real", "synthetic"])
def test_agent_probabilities_equal_class_probabilities_later_and_with_lever_factors(scenario):
    m = build(ReferenceModel, scenario, years=2).run()
    _check_probabilities(m)
    _set_lever_factors(m, np.random.default_rng(0))
    assert m.choice_params().commute_discount is not None
    _check_probabilities(m)


# ---------------------------------------------------------------------- decisions and results, runs
class Capture:
    """Every multinomial choice of the array model, keyed by its (first) uniform: talent choices as
    the cumulative probabilities they sample, firm choices (Gumbel-max) as the logit probabilities of
    their utilities."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, str, np.ndarray, int]] = []

    def sample_rows(self, orig):
        def wrapped(cdf, rows, uniforms):
            out = orig(cdf, rows, uniforms)
            self.rows += [
                (float(u), "cdf", cdf[r].copy(), int(c)) for u, r, c in zip(uniforms, rows, out, strict=True)
            ]
            return out

        return wrapped

    def gumbel_pick(self, orig):
        def wrapped(u, rows, uniforms):
            out = orig(u, rows, uniforms)
            self.rows += [
                (float(e[0]), "logit", softmax(u[r]), int(c))
                for e, r, c in zip(uniforms, rows, out, strict=True)
            ]
            return out

        return wrapped


def _agents(m) -> tuple[pd.DataFrame, pd.DataFrame]:
    t, f = m.talent, m.firms
    lt, lf = t.living(), f.living()
    talent = pd.DataFrame({c: getattr(t, c)[lt] for c in ("home", "work", "hukou", "age", "skill")},
                          index=pd.Index(t.uid[lt], name="uid"))  # fmt: skip
    firms = pd.DataFrame({c: getattr(f, c)[lf] for c in ("city", "sector", "age", "logq")},
                         index=pd.Index(f.uid[lf], name="uid"))  # fmt: skip
    return talent, firms


@pytest.fixture(scope="module", params=["real", "synthetic", "levers"])
def runs(request):
    out = {}
    arr = build(MiddleYangtzeModel, request.param)
    cap = Capture()
    with (
        mock.patch.object(ch, "sample_rows", cap.sample_rows(ch.sample_rows)),
        mock.patch.object(firms_mod, "gumbel_pick", cap.gumbel_pick(firms_mod.gumbel_pick)),
    ):
        arr.run()
    ref = build(ReferenceModel, request.param)
    trace: list = []
    ref.talent_stage.trace = ref.firm_stage.trace = trace
    ref.run()
    out["array"] = {"tables": arr.tables(), "agents": _agents(arr), "decisions": cap.rows}
    out["reference"] = {"tables": ref.tables(), "agents": _agents(ref), "decisions": trace}
    out["scenario"] = request.param
    return out


def _decisions(runs):
    arr = {u: (rep, v, c) for u, rep, v, c in runs["array"]["decisions"]}
    assert len(arr) == len(runs["array"]["decisions"]), "two decisions drew the same uniform"
    ref = {}
    for kind, u, rep, probs, c in runs["reference"]["decisions"]:
        v = probs
        if rep == "cdf":
            v = np.cumsum(probs)
            v[-1] = 1.0
        ref[u] = (rep, v, c, kind)
    return arr, ref


def test_every_decision_is_made_alike(runs):
    arr, ref = _decisions(runs)
    kinds = Counter(r[3] for r in ref.values())
    for kind, least in MIN_DECISIONS.items():
        assert kinds[kind] >= least, (
            f"{runs['scenario']}: only {kinds[kind]} {kind} decisions ({dict(kinds)})"
        )
    both = arr.keys() & ref.keys()
    same = sum(arr[u][2] == ref[u][2] for u in both)
    total = len(arr.keys() | ref.keys())
    differ = Counter(ref[u][3] for u in both if arr[u][2] != ref[u][2])
    assert same >= 0.999 * total, (
        f"{runs['scenario']}: {same} of {total} decisions agree ({len(arr)} array, {len(ref)} reference;"
        f" differing by kind {dict(differ)}; made by one side only: {total - len(both)})"
    )


def test_decision_probabilities_agree(runs):
    """Every decision made by both: the cumulative probabilities it samples (talent) or the logit
    probabilities of its utilities (firms) agree to rtol 1e-10 (atol 1e-15)."""
    arr, ref = _decisions(runs)
    both = sorted(arr.keys() & ref.keys())
    assert len(both) >= 0.999 * len(ref)
    excess: dict[str, float] = {}
    for u in both:
        (rep_a, a, _), (rep_r, r, _, kind) = arr[u], ref[u]
        assert rep_a == rep_r, f"{kind}: drawn by {rep_r} in the reference, by {rep_a} in the array code"
        assert a.shape == r.shape, f"{kind}: {len(r)} options in the reference, {len(a)} in the array"
        excess[kind] = max(excess.get(kind, -1.0), float(np.max(np.abs(a - r) - 1e-10 * np.abs(a))))
    assert max(excess.values()) <= 1e-15, f"{runs['scenario']}: |a - r| - 1e-10 |a| by kind {excess}"


def _assert_frames_close(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    assert list(a.columns) == list(b.columns) and len(a) == len(b), what
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if x.dtype.kind in "fiu":
            scale = max(float(np.nanmax(np.abs(x))) if len(x) else 0.0, 1e-300)
            np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-12 * scale, err_msg=f"{what}.{col}")
        else:
            assert (x == y).all(), f"{what}.{col}"


@pytest.mark.parametrize("table", ["cities", "model"])
def test_tables_agree(runs, table):
    a, b = runs["array"]["tables"][table], runs["reference"]["tables"][table]
    assert len(a) == (YEARS + 1) * (1 if table == "model" else len(a.city.unique()))
    _assert_frames_close(a, b, f"{runs['scenario']} {table}")


def test_flows_agree(runs):
    keys = ["year", "kind", "origin", "destination"]
    a, b = (runs[k]["tables"]["flows"] for k in ("array", "reference"))
    assert {"migration", "graduate", "commute", "relocation"} <= set(a.kind)
    both = a.merge(b, on=keys, how="outer", suffixes=("_a", "_r"), indicator=True)
    one_side = both[both._merge != "both"]
    assert len(one_side) <= 0.001 * len(both), f"flows on one side only:\n{one_side.head(20)}"
    np.testing.assert_allclose(both.count_r, both.count_a, rtol=1e-9)


def test_agents_agree(runs):
    for i, what in enumerate(("talent", "firms")):
        a, b = runs["array"]["agents"][i], runs["reference"]["agents"][i]
        common = a.index.intersection(b.index)
        assert len(common) >= 0.999 * len(a.index.union(b.index)), f"{what}: different agents alive"
        a, b = a.loc[common], b.loc[common]
        exact = [c for c in a.columns if a[c].dtype.kind in "iu"]
        same = (a[exact] == b[exact]).all(axis=1)
        assert same.mean() >= 0.999, (
            f"{what}: {(~same).sum()} of {len(same)} agents differ\n{a[~same].head()}"
        )
        for c in a.columns.difference(exact):
            np.testing.assert_allclose(b[c], a[c], rtol=1e-9, err_msg=f"{what}.{c}")


# ---------------------------------------------------------------------- independence
def test_reference_decides_without_the_array_helpers():
    """The reference's steps run with the array decision helpers replaced by traps."""

    def trap(*_a, **_k):
        raise AssertionError("the reference called an array decision helper")

    m = build(ReferenceModel, "levers", years=2)
    traps = [
        mock.patch.object(module, name, trap)
        for module in (ch, firms_mod)
        for name, obj in vars(module).items()
        if inspect.isfunction(obj)
    ]
    traps += [
        mock.patch.object(stage, name, trap)
        for stage in (TalentStage, FirmStage)
        for name, obj in vars(stage).items()
        if name not in ("__init__", "calibrate") and isinstance(obj, FunctionType | staticmethod)
    ]
    for name in ("add_firms", "remove_firms", "remove_talent"):
        traps.append(mock.patch.object(MiddleYangtzeModel, name, trap))
    for t in traps:
        t.start()
    try:
        m.run()
    finally:
        for t in traps:
            t.stop()
    assert m.year == 2021
