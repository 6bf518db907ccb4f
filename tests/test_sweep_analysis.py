"""Sweep analysis: Sobol, Morris and delta recover known answers (the dummy scoring nothing), failures
are handled, the grid analysis of a real archive writes its tables, plots and summary, and the
command line. The headline, noise and regression rules have tests of their own in
test_sensitivity.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation import cli
from simulation.archive.errors import ArchiveError
from simulation.archive.files import parquet_bytes, sha256_file
from simulation.archive.manifest import read_manifest, write_manifest
from simulation.experiments.sensitivity.analyze import analyze
from simulation.experiments.sweep.cli import ANALYZE_HELP, add_analyze_arguments, cmd_analyze
from simulation.experiments.sweep.design import DUMMY
from simulation.experiments.sweep.folder import create_archive
from simulation.experiments.sweep.run import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.experiments.sweep.verify import verify_sweep_archive

SMALL = '[set]\n"scale.talent_agents" = 1500\n"scale.firm_agents" = 200\n"run.end_year" = 2022\n'
THREE = (
    '[parameters]\n"talent.border_cost" = { low = 0.5, high = 1.5 }\n'
    '"talent.move_cost" = { low = 1.0, high = 3.0 }\n'
    '"talent.pollution_weight" = { low = 0.1, high = 1.0 }\n'
)
A, B, C = "talent.border_cost", "talent.move_cost", "talent.pollution_weight"


def fake_archive(tmp: Path, design: str, extra: str, f, name: str = "fake", noise=None) -> Path:
    """A sweep archive whose runs were not simulated: metric ``gdp_final`` = f(unit coordinates of
    the parameters) (+ ``noise(runs)``, an array per run, when given). The dummy is in the design
    but, as in a real sweep, f never sees it."""
    body = f'[sweep]\ndesign = "{design}"\n{extra}\nseed = 1\nmetrics = ["gdp_final"]\n' + SMALL + THREE
    file = tmp / f"{name}.toml"
    file.write_text(body, encoding="utf-8")
    sweep = load_sweep(file)
    path = create_archive(sweep, tmp / name, ["test"])
    u = sweep.points.set_index("point")[[f"u:{p}" for p in sweep.paths]].to_numpy()
    idx = sweep.runs.copy()
    idx.insert(4, "status", "ok")
    idx.insert(5, "error", None)
    idx["gdp_final"] = f(u[idx["point"].to_numpy()]) + (0.0 if noise is None else noise(idx))
    write_index(path, idx)
    return path


def write_index(path: Path, idx: pd.DataFrame) -> None:
    """Write ``runs.parquet`` and list it in the manifest, as a finished session does (analyze
    checks the archive's hashes first)."""
    (path / "runs.parquet").write_bytes(parquet_bytes(idx))
    m = read_manifest(path)
    m["files"]["runs.parquet"] = sha256_file(path / "runs.parquet")
    write_manifest(path, m)


def ishigami(u: np.ndarray) -> np.ndarray:
    x = -np.pi + 2 * np.pi * u
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_recovers_the_ishigami_indices_and_the_dummy_scores_zero(tmp_path):
    path = fake_archive(tmp_path, "sobol", "samples = 512", ishigami)
    a = analyze(path, resamples=100)
    assert a.method == "sobol" and a.dummy == DUMMY and a.variables == [A, B, C, DUMMY]
    ix = a.indices.set_index("parameter")
    s1, st = ix.loc[[A, B, C], "S1"].to_numpy(), ix.loc[[A, B, C], "ST"].to_numpy()
    assert np.allclose(s1, [0.314, 0.442, 0.0], atol=0.06), s1
    assert np.allclose(st, [0.558, 0.442, 0.244], atol=0.06), st
    assert (ix.loc[[A, B, C], "ST_conf"] > 0).all()
    # a deterministic model never reads the dummy: its points repeat their base points exactly
    assert ix.at[DUMMY, "ST"] == 0 and ix.at[DUMMY, "S1"] == 0 and bool(ix.at[DUMMY, "dummy"])
    assert ix.at[A, "rank"] == 1 and ix.at[DUMMY, "rank"] == 4


def test_sobol_leaves_out_blocks_with_failed_points(tmp_path):
    path = fake_archive(tmp_path, "sobol", "samples = 64", ishigami)
    idx = pd.read_parquet(path / "runs.parquet")
    idx.loc[idx["point"].isin([3, 7]), "status"] = "failed"  # block 0 (points 0-5) and block 1 (6-11)
    idx.loc[idx["point"].isin([3, 7]), "gdp_final"] = np.nan
    write_index(path, idx)
    a = analyze(path, resamples=50)
    assert a.metric_stats.set_index("metric").at["gdp_final", "points_used"] == 62
    assert any("2 failed" in n for n in a.notes)
    assert np.isfinite(a.indices["ST"]).all()


def test_morris_ranks_a_linear_function(tmp_path):
    path = fake_archive(tmp_path, "morris", "samples = 20", lambda u: 5 * u[:, 0] + 0.5 * u[:, 1])
    a = analyze(path, resamples=50)
    ix = a.indices.set_index("parameter")
    assert a.method == "morris"
    assert ix.at[A, "mu_star"] == pytest.approx(5.0)
    assert ix.at[B, "mu_star"] == pytest.approx(0.5)
    assert ix.at[C, "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert ix.at[DUMMY, "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert list(ix.sort_values("rank").index[:2]) == [A, B]
    assert a.verdicts["gdp_final"].resolved and a.verdicts["gdp_final"].top == A


def test_delta_for_latin_hypercube(tmp_path):
    path = fake_archive(tmp_path, "lhs", "samples = 200", lambda u: np.exp(3 * u[:, 1]))
    a = analyze(path, resamples=20)
    assert a.method == "delta"
    assert a.indices.sort_values("rank")["parameter"].iloc[0] == B
    ix = a.indices.set_index("parameter")
    assert ix.at[B, "delta"] - ix.at[B, "delta_conf"] > ix.at[DUMMY, "delta"] + ix.at[DUMMY, "delta_conf"]
    assert a.verdicts["gdp_final"].resolved and a.verdicts["gdp_final"].top == B
    with pytest.raises(ArchiveError, match="--method"):
        analyze(path, method="sobol")


def test_the_analysis_is_reproducible_and_each_metric_has_its_own_stream(tmp_path):
    path = fake_archive(tmp_path, "lhs", "samples = 40", lambda u: u[:, 0] + u[:, 1] * u[:, 2],
                        noise=lambda idx: np.random.default_rng(5).normal(0, 0.2, len(idx)))  # fmt: skip
    idx = pd.read_parquet(path / "runs.parquet")
    idx["emissions_air_cum"] = idx["gdp_final"] * 2
    write_index(path, idx)
    one = analyze(path, metrics=["gdp_final"], resamples=30)
    two = analyze(path, metrics=["emissions_air_cum", "gdp_final"], resamples=30)
    pd.testing.assert_frame_equal(
        one.indices.reset_index(drop=True),
        two.indices[two.indices["metric"] == "gdp_final"].reset_index(drop=True),
    )


# ---------------------------------------------------------------------------- a real grid archive
@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grid")
    body = (
        "[sweep]\nreplicates = 2\nseed = 3\n"
        + SMALL
        + '[parameters]\n"transport.commute_limit_min" = [45.0, 90.0]\n'
        '"talent.border_cost" = { low = 0.5, high = 1.5, num = 3 }\n'
    )
    (tmp / "g.toml").write_text(body, encoding="utf-8")
    return run_sweep(load_sweep(tmp / "g.toml"), tmp / "archive", executor="serial").path


@pytest.fixture
def main(monkeypatch):
    monkeypatch.setitem(
        cli.COMMANDS, "analyze", cli.Command(ANALYZE_HELP, add_analyze_arguments, cmd_analyze)
    )
    return cli.main


def test_grid_analysis_writes_tables_plots_and_summary(grid, main, capsys):
    metrics = ["gdp_final", "commuters_final", "relocations_total"]  # the last is not in runs.parquet
    assert main(["analyze", str(grid), "--metrics", *metrics]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"archive: {grid / 'analysis'}"
    assert any(line.startswith("- Intercity commuters") for line in lines)
    out = grid / "analysis"
    ix = pd.read_parquet(out / "indices.parquet")
    assert set(ix["metric"]) == set(metrics) and set(ix["parameter"]) == {"transport.commute_limit_min",
                                                                          "talent.border_cost"}  # fmt: skip
    assert not ix["dummy"].any()  # a grid carries no dummy
    assert ix["S1"].between(0, 1).all() and (ix["S1_conf"] >= 0).all()  # intervals over replicates
    top = ix[ix["metric"] == "commuters_final"].sort_values("rank")["parameter"].iloc[0]
    assert top == "transport.commute_limit_min"
    stats = pd.read_parquet(out / "metrics.parquet").set_index("metric")
    shares = stats[["point_share", "noise_share", "means_noise"]]
    assert shares.stack().between(0, 1).all() and (stats["runs_ok"] == 12).all()
    assert np.allclose(stats["point_share"] + stats["noise_share"], 1.0)  # no crn: one-way split
    assert {"advice", "headline", "resolved", "r2"} <= set(stats.columns)
    plots = {p.name for p in (out / "plots").iterdir()}
    for x in metrics:
        assert {f"sensitivity_{x}.png", f"grid_{x}.png", f"outcome_{x}.png"} <= plots
    assert "overview_S1.png" in plots
    summary = (out / "summary.md").read_text()
    assert "## Headline per metric" in summary and "plots/grid_gdp_final.png" in summary
    assert "## Seed noise and replicates" in summary and "## Regression with interactions" in summary
    for x in metrics:  # each headline says either most influential or not resolved, as the stats say
        line = next(s for s in summary.splitlines() if s.startswith("- **") and f"(`{x}`)" in s)
        assert ("most influential" in line) == bool(stats.at[x, "resolved"])
        assert ("not resolved" in line) == (not stats.at[x, "resolved"])
    m = json.loads((out / "manifest.json").read_text())
    assert m["kind"] == "sweep-analysis" and set(m["files"]) >= {"indices.parquet", "summary.md",
                                                                 "regression.parquet"}  # fmt: skip
    # the sweep archive itself still verifies: the analysis folder is not part of it
    assert not verify_sweep_archive(grid, sample=0).file_problems
    # analysing again replaces the folder whole
    assert main(["analyze", str(grid), "--metrics", "gdp_final", "--no-plots"]) == 0
    assert not (out / "plots").exists() and not list(grid.glob(".analysis*"))


def test_analyze_bad_input_exits_2(main, tmp_path, capsys, grid):
    assert main(["analyze", str(tmp_path)]) == 2
    assert "manifest.json" in capsys.readouterr().err
    assert main(["analyze", str(grid), "--method", "sobol"]) == 2
    assert "--method" in capsys.readouterr().err
    assert main(["analyze", str(grid), "--metrics", "gdp_median"]) == 2
    assert "--metrics" in capsys.readouterr().err
    out = tmp_path / "never"
    for bad in ("border_cost", "border_cost,border_cost", "border_cost,nope", "a,b,c"):
        assert main(["analyze", str(grid), "--surface", bad, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "--surface" in err and "allowed: two of" in err, err
    assert main(["analyze", str(grid), "--surface", "border_cost,commute_limit_min", "--no-plots"]) == 2
    assert "--surface" in capsys.readouterr().err
    assert not out.exists()
