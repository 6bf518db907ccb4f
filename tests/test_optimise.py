"""Lever optimisation: the Pareto front of a 2-lever, 2-objective problem with a known front, the
robust statistics, determinism from the root seed, strict spec validation, and a tiny run on the
real model whose archive verify re-runs bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation import cli
from simulation.archive.files import parquet_bytes
from simulation.archive.manifest import checked_manifest
from simulation.experiments import optimise as op
from simulation.experiments.optimise_spec import load_spec
from simulation.params import ConfigError

ROOT = Path(__file__).resolve().parents[1]
X1, X2 = "talent_alliance.border_cost_cut", "city_circle.commute_discount"
ZDT = f"""
[optimise]
seed = {{seed}}
population = 40
generations = 60
[levers]
"{X1}" = {{{{ low = 0.0, high = 1.0 }}}}
"{X2}" = {{{{ low = 0.0, high = 1.0 }}}}
[objectives]
gdp_final = "max"
air_quality_final = "min"
"""


def zdt1(generation, first, candidates):
    """ZDT1 with two variables (Zitzler, Deb & Thiele 2000): f1 = x1, g = 1 + 9 x2,
    f2 = g (1 - sqrt(f1 / g)); its Pareto front is f2 = 1 - sqrt(f1), f1 in [0, 1] (x2 = 0). The
    first objective is handed over as gdp_final = -f1 to be maximised, so that the senses matter."""
    x = np.array([[c[X1], c[X2]] for c in candidates])
    f1, g = x[:, 0], 1 + 9 * x[:, 1]
    f2 = g * (1 - np.sqrt(f1 / g))
    return np.stack([-f1, f2], axis=1)[:, None, None, :], []


def _spec(tmp: Path, text: str, name: str = "s") -> Path:
    f = tmp / f"{name}.toml"
    f.write_text(text, encoding="utf-8")
    return f


def _igd(points: np.ndarray, reference: np.ndarray) -> float:
    """Inverted generational distance: mean distance from each reference point to the nearest point."""
    d = np.sqrt(((reference[:, None, :] - points[None, :, :]) ** 2).sum(axis=-1))
    return float(d.min(axis=1).mean())


def test_the_front_of_zdt1_matches_its_analytic_front(tmp_path):
    spec = load_spec(_spec(tmp_path, ZDT.format(seed=3)))
    result = op.search(spec, zdt1)
    assert len(result.candidates) == 40 * 60
    front = result.front
    f1, f2 = -front["gdp_final"].to_numpy(), front["air_quality_final"].to_numpy()
    # 1. every point of the front lies on the analytic front: |f2 - (1 - sqrt f1)| <= 0.01, one
    #    hundredth of f2's range on the front ([0, 1]); off the front by x2 = e, f2 rises by ~9e, so
    #    this allows x2 up to ~1e-3 of its range
    assert np.abs(f2 - (1 - np.sqrt(f1))).max() <= 0.01
    # 2. it spans the whole front: both ends reached within 1% of the range
    assert f1.min() <= 0.01 and f1.max() >= 0.99
    # 3. and covers it evenly. The front is the non-dominated set of all 2,400 candidates, so it
    #    must do at least as well as one perfect population: its IGD (mean distance from 2,001
    #    points of the true front to the nearest found point) at most that of 40 points spaced
    #    evenly in f1 on the true front, and no hole between neighbours wider than the spacing of 40
    #    points spread evenly along the front's length
    reference = np.c_[np.linspace(0, 1, 2001), 1 - np.sqrt(np.linspace(0, 1, 2001))]
    ideal = np.linspace(0, 1, 40)
    assert _igd(np.c_[f1, f2], reference) <= _igd(np.c_[ideal, 1 - np.sqrt(ideal)], reference)
    length = np.sqrt((np.diff(reference, axis=0) ** 2).sum(axis=1)).sum()
    order = np.argsort(f1)
    gaps = np.sqrt(np.diff(f1[order]) ** 2 + np.diff(f2[order]) ** 2)
    assert gaps.max() <= length / 39
    # the front holds no dominated, infeasible or repeated candidate
    assert front["candidate"].is_unique and len(front) >= 40
    cand = result.candidates.set_index("candidate")
    assert (
        cand.loc[front["candidate"], "feasible"].all()
        and (cand.loc[front["candidate"], "duplicate_of"] < 0).all()
    )
    gens = result.generations
    assert gens["generation"].tolist() == list(range(60)) and gens["front_size"].iloc[-1] == len(front)


def test_same_spec_and_seed_give_the_same_front_bit_for_bit(tmp_path):
    a = op.search(
        load_spec(_spec(tmp_path, ZDT.format(seed=9).replace("generations = 60", "generations = 5"))), zdt1
    )
    b = op.search(
        load_spec(_spec(tmp_path, ZDT.format(seed=9).replace("generations = 60", "generations = 5"))), zdt1
    )
    c = op.search(
        load_spec(_spec(tmp_path, ZDT.format(seed=10).replace("generations = 60", "generations = 5"))), zdt1
    )
    for name in ("candidates", "front", "generations"):
        assert parquet_bytes(getattr(a, name)) == parquet_bytes(getattr(b, name))
    assert parquet_bytes(a.candidates) != parquet_bytes(c.candidates)  # the seed matters


def test_failed_candidates_are_infeasible_and_stay_off_the_front(tmp_path):
    spec = load_spec(_spec(tmp_path, ZDT.format(seed=1).replace("generations = 60", "generations = 3")))

    def flaky(generation, first, candidates):
        values, rows = zdt1(generation, first, candidates)
        values[::3] = np.nan  # every third candidate's run failed
        return values, rows

    r = op.search(spec, flaky)
    failed = r.candidates[~r.candidates["feasible"]]
    assert len(failed) >= 30 and not failed["on_front"].any()
    assert set(r.front["candidate"]).isdisjoint(failed["candidate"]) and r.notes


def test_robust_statistics_average_replicates_then_summarise_scenarios():
    # 1 candidate, 4 scenarios, 2 replicates, 2 objectives
    m = np.arange(16, dtype=float).reshape(1, 4, 2, 2)
    objs = (op.Objective("a_final", "max", "mean"), op.Objective("b_final", "min", "p90"))
    got = op.aggregate(m, objs)
    per_scenario = m.mean(axis=2)[0]  # [[1, 2], [5, 6], [9, 10], [13, 14]]
    assert got[0, 0] == per_scenario[:, 0].mean() == 7.0
    assert got[0, 1] == pytest.approx(np.percentile(per_scenario[:, 1], 90))
    assert op.statistic(np.array([1.0, np.nan]), "mean") != op.statistic(np.array([1.0, np.nan]), "mean")
    assert op.statistic(np.array([3.0, 1.0, 2.0]), "median") == 2.0


# ---------------------------------------------------------------------------- the spec
GOOD = f"""
[optimise]
population = 4
generations = 2
[set]
"scale.talent_agents" = 1000
[levers]
"{X1}" = {{ low = 0.0, high = 1.0 }}
[objectives]
gdp_final = "max"
"""


@pytest.mark.parametrize(
    "edit, field, why",
    [
        (("[levers]", "[lever]"), "lever", "unknown section"),
        (("population = 4", "population = 4\npopsize = 3"), "optimise.popsize", "unknown key"),
        (("population = 4", "population = 2"), "optimise.population", "allowed: an integer 4 to 1,000"),
        (("generations = 2", "generations = 0"), "optimise.generations", "allowed: an integer 1"),
        (("population = 4", 'population = 4\nalgorithm = "moead"'), "optimise.algorithm", "nsga2"),
        ((f'"{X1}"', '"talent_alliance.border_kost_cut"'), "levers.talent_alliance.border_kost_cut",
         "did you mean talent_alliance.border_cost_cut"),
        (("low = 0.0, high = 1.0", "low = 1.0, high = 0.0"), f"levers.{X1}.low", "lower > upper"),
        (("low = 0.0, high = 1.0", "low = 0.0, high = 1.5"), f"levers.{X1}.high", "less than or equal to 1"),
        (("low = 0.0, high = 1.0", "low = 0.0, high = 1.0, num = 3"), f"levers.{X1}.num", "not used here"),
        ((f'"{X1}"', '"scale.talent_agents"'), "levers.scale.talent_agents", "already fixed in [set]"),
        ((f'"{X1}"', '"run.seed"'), "levers.run.seed", "seeds come from optimise.seed"),
        (('gdp_final = "max"', 'gdp_final = "up"'), "objectives.gdp_final", "allowed: max, min"),
        (('gdp_final = "max"', "gdp_median = \"max\""), "objectives.gdp_median", "allowed: <model column>"),
        (('gdp_final = "max"', 'gdpp_final = "max"'), "objectives.gdpp_final", "no column 'gdpp'"),
        (('gdp_final = "max"', 'gdp_final = { sense = "max", statistic = "p90" }'),
         "objectives.gdp_final.statistic", "only with [uncertainties]"),
        (('gdp_final = "max"', 'gdp_final = "max"\n[robust]\nscenarios = 4'), "robust",
         "without [uncertainties]"),
        (('gdp_final = "max"', 'gdp_final = "max"\n[uncertainties]\n"talent.border_cost" = [1.0]\n'
          "[robust]\nscenarios = 1"), "robust.scenarios", "an integer 2"),
        (('gdp_final = "max"', 'gdp_final = "max"\n[uncertainties]\n"talent.border_cost" = [1.0]\n'
          '[robust]\nstatistic = "worst"'), "robust.statistic", "pNN"),
        (('gdp_final = "max"', ""), "objectives", "missing"),
    ],
)  # fmt: skip
def test_bad_specs_name_the_field(tmp_path, edit, field, why):
    f = _spec(tmp_path, GOOD.replace(*edit))
    with pytest.raises(ConfigError) as err:
        load_spec(f)
    assert err.value.file == str(f) and err.value.field == field and why in err.value.message, str(err.value)


def test_a_budget_over_the_run_limit_is_refused(tmp_path):
    text = GOOD.replace("population = 4", "population = 1000").replace(
        "generations = 2", "generations = 1000"
    )
    with pytest.raises(ConfigError, match="1,000,000 runs at most") as err:
        load_spec(_spec(tmp_path, text))
    assert err.value.field == "optimise.population"


def test_optimise_bad_input_exits_2_before_any_work(tmp_path, capsys):
    f = _spec(tmp_path, GOOD.replace('"max"', '"most"'))
    out = tmp_path / "never"
    assert cli.main(["optimise", str(f), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {f}: objectives.gdp_final: ") and len(err.strip().splitlines()) == 1
    assert cli.main(["optimise", str(_spec(tmp_path, GOOD, "ok")), "--workers", "0", "--out", str(out)]) == 2
    assert "--workers" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(["optimise", "--help"]) == 0
    assert "--dry-run" in capsys.readouterr().out
    assert cli.main(["optimise", str(ROOT / "configs/optimise/growth_air_fiscal.toml"), "--dry-run"]) == 0
    assert "at most 240 runs" in capsys.readouterr().out


# ---------------------------------------------------------------------------- the real model
def test_a_tiny_robust_optimisation_on_the_model_verifies_bit_for_bit(tmp_path, capsys):
    spec = ROOT / "configs/optimise/smoke.toml"
    out = tmp_path / "opt"
    assert cli.main(["optimise", str(spec), "--executor", "serial", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"archive: {out}"
    m = checked_manifest(out, "optimise")
    assert m["spec"]["scenarios"] == 2 and m["runs"] <= 16 and m["seed"] == 7 and "pymoo" in m["packages"]
    cand = pd.read_parquet(out / "candidates.parquet")
    ev = pd.read_parquet(out / "evaluations.parquet")
    front = pd.read_parquet(out / "front.parquet")
    assert len(cand) == 8 and (ev["status"] == "ok").all() and len(ev) == 8 * 2
    # each candidate's objective is the mean over its two scenarios of its runs' metric
    mean = ev.groupby("candidate")["gdp_final"].mean()
    assert np.allclose(cand.set_index("candidate")["gdp_final"], mean)
    # every scenario holds the same seed for every candidate (common random numbers)
    assert (ev.groupby("scenario")["seed"].nunique() == 1).all()
    scen = pd.read_parquet(out / "scenarios.parquet")
    assert scen["talent.border_cost"].between(0.5, 1.5).all() and len(scen) == 2
    # the front: candidates that no other candidate beats on both objectives
    f = cand[cand["feasible"]][["gdp_final", "fiscal_cost_cum"]].to_numpy()
    for _, row in front.iterrows():
        beaten = (f[:, 0] >= row["gdp_final"]) & (f[:, 1] <= row["fiscal_cost_cum"]) & (
            (f[:, 0] > row["gdp_final"]) | (f[:, 1] < row["fiscal_cost_cum"]))  # fmt: skip
        assert not beaten.any()
    assert {"front.png", "progress.png"} <= {p.name for p in (out / "plots").iterdir()}
    assert cli.main(["verify", str(out)]) == 0
    assert "re-ran bit-identical" in capsys.readouterr().out
    # an edited table is caught
    front.loc[0, "gdp_final"] += 1.0
    (out / "front.parquet").write_bytes(parquet_bytes(front))
    assert cli.main(["verify", str(out)]) == 1
    assert "changed file: front.parquet" in capsys.readouterr().out
    assert json.loads((out / "manifest.json").read_text())["kind"] == "optimise"
