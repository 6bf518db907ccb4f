"""Scenario discovery: PRIM and CART recover a box planted in a sweep archive (with and without
label noise), the --where grammar, the discover archive and its verify, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation import cli
from simulation.archive.files import parquet_bytes, sha256_file
from simulation.archive.manifest import checked_manifest, read_manifest, write_manifest
from simulation.experiments import discover as dc
from simulation.experiments.sweep.folder import create_archive
from simulation.experiments.sweep.run import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.experiments.where import ConditionError, parse

SMALL = '[set]\n"scale.talent_agents" = 1500\n"scale.firm_agents" = 200\n"run.end_year" = 2022\n'
A, B, C = "talent.border_cost", "talent.move_cost", "talent.pollution_weight"
PARAMS = (
    f'[parameters]\n"{A}" = {{ low = 0.5, high = 1.5 }}\n"{B}" = {{ low = 1.0, high = 3.0 }}\n'
    f'"{C}" = {{ low = 0.1, high = 1.0 }}\n'
)
# the planted box, in unit coordinates of (A, B); C plays no part
BOX = {A: (0.2, 0.6), B: (0.7, 1.0)}
LOW = {A: 0.5, B: 1.0, C: 0.1}
SPAN = {A: 1.0, B: 2.0, C: 0.9}
N = 400


def planted_archive(tmp: Path, name: str, flip: float) -> Path:
    """A sweep archive (LHS, ``N`` points, nothing simulated) whose metric ``gdp_final`` is 1 inside
    the planted box and 0 outside, with a share ``flip`` of the labels flipped at random."""
    body = f'[sweep]\ndesign = "lhs"\nsamples = {N}\nseed = 5\nmetrics = ["gdp_final"]\n' + SMALL + PARAMS
    file = tmp / f"{name}.toml"
    file.write_text(body, encoding="utf-8")
    sweep = load_sweep(file)
    path = create_archive(sweep, tmp / name, ["test"])
    u = sweep.points.set_index("point")[[f"u:{p}" for p in sweep.paths]]
    inside = np.ones(len(u), dtype=bool)
    for p, (lo, hi) in BOX.items():
        inside &= (u[f"u:{p}"] >= lo).to_numpy() & (u[f"u:{p}"] <= hi).to_numpy()
    flips = np.random.default_rng(11).random(len(u)) < flip
    idx = sweep.runs.copy()
    idx.insert(4, "status", "ok")
    idx.insert(5, "error", None)
    idx["gdp_final"] = (inside ^ flips)[idx["point"].to_numpy()].astype(float)
    (path / "runs.parquet").write_bytes(parquet_bytes(idx))
    m = read_manifest(path)
    m["files"]["runs.parquet"] = sha256_file(path / "runs.parquet")
    write_manifest(path, m)
    return path


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("planted")
    return {"exact": planted_archive(tmp, "exact", 0.0), "noisy": planted_archive(tmp, "noisy", 0.05)}


def _unit(p: str, x: float) -> float:
    return (x - LOW[p]) / SPAN[p]


def _chosen_limits(d: dc.Discovery, box: int = 1) -> pd.DataFrame:
    t = d.trajectory[(d.trajectory["box"] == box) & d.trajectory["chosen"]].iloc[0]
    lim = d.limits[(d.limits["box"] == box) & (d.limits["step"] == t["step"])]
    return lim.set_index("parameter")


# Tolerance on each recovered limit, in unit coordinates: two peeling steps. A PRIM step removes a
# share peel_alpha (0.05) of the box's cases along one side, i.e. about peel_alpha x the box's width
# in that dimension, so a limit can stop a step early or late; two steps = 2 x 0.05 x width
# (0.04 for A's 0.4-wide range, 0.03 for B's 0.3).
def _tolerance(p: str) -> float:
    lo, hi = BOX[p]
    return 2 * dc.Options().peel_alpha * (hi - lo)


@pytest.mark.parametrize("which", ["exact", "noisy"])
def test_prim_recovers_the_planted_box(archives, which):
    cases = dc.load_cases(archives[which], parse("gdp_final > 0.5"))
    assert len(cases.table) == N and set(cases.inputs) == {A, B, C}
    d = dc.discover(cases, dc.Options())
    lim = _chosen_limits(d)
    assert set(lim.index[lim["restricted"]]) == {A, B}  # C, which plays no part, is left free
    for p, (lo, hi) in BOX.items():
        got_lo, got_hi = _unit(p, lim.at[p, "low"]), _unit(p, lim.at[p, "high"])
        assert abs(got_lo - lo) <= _tolerance(p), (p, got_lo, lo)
        assert abs(got_hi - hi) <= _tolerance(p) or hi == 1.0, (p, got_hi, hi)
    # every restricted limit that is not the edge of the sweep is significant (quasi-p < 0.05)
    qps = lim.loc[[A, B], ["qp_low", "qp_high"]].to_numpy().ravel()
    assert np.nanmax(qps) < 0.05
    t = d.trajectory[d.trajectory["chosen"]].iloc[0]
    if which == "exact":  # every case of interest is inside; the box is nearly pure
        assert t["coverage"] == 1.0 and t["density"] >= 0.8
    else:  # 5% of labels flipped: the flips outside cannot be covered, but the box stays dense
        assert t["coverage"] >= 0.6 and t["density"] >= 0.8
    # the tree finds the same box: its leaves that predict the condition lie inside it
    good = d.leaves[d.leaves["predicts_interest"]]
    assert len(good) >= 1 and good["coverage"].sum() >= (0.9 if which == "exact" else 0.6)
    for leaf in good["leaf"]:
        ll = d.leaf_limits[d.leaf_limits["leaf"] == leaf].set_index("parameter")
        for p, (lo, hi) in BOX.items():
            assert _unit(p, ll.at[p, "low"]) >= lo - _tolerance(p)
            assert _unit(p, ll.at[p, "high"]) <= hi + _tolerance(p)


def test_more_boxes_search_the_cases_left_over(archives):
    cases = dc.load_cases(archives["noisy"], parse("gdp_final > 0.5"))
    d = dc.discover(cases, dc.Options(boxes=2))
    assert set(d.trajectory["box"]) <= {1, 2} and d.trajectory.groupby("box")["chosen"].sum().eq(1).all()
    assert dc.discover(cases, dc.Options(boxes=2)).trajectory.equals(d.trajectory)  # deterministic


def test_choose_step_takes_the_highest_coverage_at_the_density_asked():
    t = pd.DataFrame({"step": [0, 1, 2, 3], "coverage": [1.0, 1.0, 0.9, 0.5],
                      "density": [0.3, 0.85, 0.95, 1.0]})  # fmt: skip
    assert dc.choose_step(t, 0.8) == (1, True)
    assert dc.choose_step(t, 0.9) == (2, True)
    assert dc.choose_step(t.iloc[:2], 0.9) == (1, False)  # none dense enough: the densest


# ---------------------------------------------------------------------------- --where
def test_where_grammar():
    df = pd.DataFrame({"a_final": [1.0, 2.0, 3.0, 4.0, np.nan], "b_mean": [0.0, 1.0, 0.0, 1.0, 1.0]})
    assert parse("a_final > 2").evaluate(df).tolist() == [False, False, True, True, False]
    assert parse("a_final >= 2 and b_mean == 1").evaluate(df).tolist() == [False, True, False, True, False]
    # "and" binds tighter than "or"; parentheses and not
    assert parse("a_final < 2 or a_final > 3 and b_mean == 1").evaluate(df).tolist() == [
        True, False, False, True, False]  # fmt: skip
    assert parse("not (a_final < 2 or b_mean == 0)").evaluate(df).tolist() == [False, True, False, True, True]
    assert parse("a_final > p50").thresholds(df) == {"a_final > p50": 2.5}
    assert parse("x_final>-1e3").names == ["x_final"] and parse("A_final > 1 OR b_mean < 0").names == [
        "A_final", "b_mean"]  # fmt: skip
    for bad, why in [("", "empty"), ("a_final >", "expected a number"), ("a_final 3", "expected an operator"),
                     ("(a_final > 1", "without its"), ("a_final > 1 b_mean < 2", "unexpected"),
                     ("a_final > p150", "percentile"), ("a_final > 1; rm", "cannot read"),
                     ("__import__('os') > 1", "cannot read")]:  # fmt: skip
        with pytest.raises(ConditionError, match=why):
            parse(bad)


# ---------------------------------------------------------------------------- the command
def test_discover_writes_an_archive_that_verify_reruns_identically(archives, tmp_path, capsys):
    out = tmp_path / "disc"
    src = archives["noisy"]
    assert cli.main(["discover", str(src), "--where", "gdp_final > 0.5", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"archive: {out}" and any(s.startswith("- PRIM box 1: coverage") for s in lines)
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"manifest.json", "cases.parquet", "prim_trajectory.parquet", "prim_limits.parquet",
            "cart_leaves.parquet", "cart_limits.parquet", "cart_tree.txt", "summary.md",
            "plots/prim_tradeoff.png", "plots/prim_box_1.png"} <= names  # fmt: skip
    m = checked_manifest(out, "discover")
    assert m["source"]["sweep_hash"] == read_manifest(src)["sweep_hash"] and m["where"] == "gdp_final > 0.5"
    assert m["counts"]["cases"] == N and m["options"]["min_density"] == 0.8
    assert "ema_workbench" in m["packages"] and "scikit-learn" in m["packages"]
    assert "## PRIM" in (out / "summary.md").read_text()
    assert cli.main(["verify", str(out)]) == 0
    assert "re-ran bit-identical" in capsys.readouterr().out
    # a result edited after the fact is caught without re-running
    tree = out / "cart_tree.txt"
    tree.write_text(tree.read_text() + " ")
    assert cli.main(["verify", str(out)]) == 1
    assert "changed file: cart_tree.txt" in capsys.readouterr().out


def test_verify_falls_back_to_the_stored_cases_when_the_sweep_is_gone(archives, tmp_path, capsys):
    import shutil

    src = tmp_path / "copy"
    shutil.copytree(archives["exact"], src)
    out = tmp_path / "disc"
    assert cli.main(["discover", str(src), "--where", "gdp_final > 0.5", "--cases", "points", "--out",
                     str(out)]) == 0  # fmt: skip
    shutil.rmtree(src)
    capsys.readouterr()
    assert cli.main(["verify", str(out)]) == 0
    text = capsys.readouterr().out
    assert "stored cases.parquet" in text and "verified:" in text


def test_discover_bad_input_exits_2_and_writes_nothing(archives, tmp_path, capsys):
    src, out = str(archives["exact"]), tmp_path / "never"
    cases = [
        (["--where", "gdp_final >"], "--where"),
        (["--where", "gdp_final > 5"], "holds for 0 of 400 cases"),
        (["--where", "gdp_final > -1"], "holds for 400 of 400 cases"),
        (["--where", "nope_final > 1"], "nope_final"),
        (["--where", "gdp_median > 1"], "--where"),
        (["--where", "gdp_final > 0.5", "--mass-min", "0.9"], "--mass-min"),
        (["--where", "gdp_final > 0.5", "--boxes", "0"], "--boxes"),
        (["--where", "gdp_final > 0.5", "--min-density", "2"], "--min-density"),
        (["--where", "gdp_final > 0.5", "--cases", "all"], "--cases"),
    ]
    for extra, why in cases:
        assert cli.main(["discover", src, *extra, "--out", str(out)]) == 2, extra
        err = capsys.readouterr().err
        assert err.startswith("error: ") and why in err and len(err.strip().splitlines()) == 1, (extra, err)
    assert cli.main(["discover", str(tmp_path), "--where", "gdp_final > 0.5"]) == 2
    assert "manifest.json" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(["discover", "--help"]) == 0
    assert "--where" in capsys.readouterr().out
    assert json.loads((archives["exact"] / "manifest.json").read_text())["kind"] == "sweep"


def test_discover_on_a_simulated_sweep_reads_metrics_from_the_run_files(tmp_path, capsys):
    """A metric the sweep did not record (pm25_final, i.e. air_quality_final) comes from its run
    files; verify re-runs the discovery."""
    body = (
        '[sweep]\nreplicates = 2\nseed = 3\nmetrics = ["gdp_final"]\n'
        '[set]\n"scale.talent_agents" = 1000\n"scale.firm_agents" = 150\n"run.end_year" = 2021\n'
        '[parameters]\n"environment.tech_progress" = [0.0, 0.08]\n"talent.border_cost" = [0.5, 1.5]\n'
    )
    (tmp_path / "g.toml").write_text(body, encoding="utf-8")
    src = run_sweep(load_sweep(tmp_path / "g.toml"), tmp_path / "sweep", executor="serial").path
    out = tmp_path / "disc"
    assert cli.main(["discover", str(src), "--where", "pm25_final > p50", "--out", str(out)]) == 0
    cases = pd.read_parquet(out / "cases.parquet")
    assert len(cases) == 8 and cases["of_interest"].sum() == 4 and "pm25_final" in cases
    # slower cleaner technology (tech_progress 0) leaves PM2.5 higher: the box says so
    lim = pd.read_parquet(out / "prim_limits.parquet")
    traj = pd.read_parquet(out / "prim_trajectory.parquet")
    step = traj[traj["chosen"]]["step"].iloc[0]
    chosen = lim[(lim["step"] == step) & lim["restricted"]].set_index("parameter")
    assert list(chosen.index) == ["environment.tech_progress"]
    assert chosen.at["environment.tech_progress", "high"] < 0.08  # the fast-progress runs are out
    capsys.readouterr()
    assert cli.main(["verify", str(out)]) == 0
