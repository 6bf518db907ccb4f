"""Sweeps: sweep files and their errors, designs, seeds, run ids, the resumable archive, verify."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from simulation import cli
from simulation.archive.errors import ArchiveError
from simulation.archive.files import parquet_bytes
from simulation.archive.manifest import run_id
from simulation.experiments.sweep import folder
from simulation.experiments.sweep.cli import (
    SWEEP_HELP,
    _display,
    add_sweep_arguments,
    add_verify_sample_argument,
    cmd_sweep,
    cmd_verify_sweep,
)
from simulation.experiments.sweep.design import run_seed
from simulation.experiments.sweep.folder import create_archive, default_sweep_path, find_unfinished, locked
from simulation.experiments.sweep.metrics import metric_values
from simulation.experiments.sweep.run import SweepInterrupted, run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.experiments.sweep.store import archive_files, read_run_tables
from simulation.experiments.sweep.verify import verify_sweep_archive
from simulation.params import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SMALL = """
[set]
"scale.talent_agents" = 1500
"scale.firm_agents" = 200
"run.end_year" = 2022
"""
GRID = (
    """
[sweep]
design = "grid"
replicates = 2
seed = 5
"""
    + SMALL
    + """
[parameters]
"transport.commute_limit_min" = { values = [45.0, 75.0] }
"talent.border_cost" = { low = 0.5, high = 1.5, num = 2 }
"""
)


def write(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


@pytest.fixture
def main(monkeypatch, tmp_path):
    """``cli.main`` with sweep and analyze registered and results/ in a temporary folder."""
    from simulation.experiments.sweep.cli import ANALYZE_HELP, add_analyze_arguments, cmd_analyze

    monkeypatch.setitem(cli.COMMANDS, "sweep", cli.Command(SWEEP_HELP, add_sweep_arguments, cmd_sweep))
    monkeypatch.setitem(
        cli.COMMANDS, "analyze", cli.Command(ANALYZE_HELP, add_analyze_arguments, cmd_analyze)
    )
    monkeypatch.setattr(folder, "RESULTS_DIR", tmp_path / "results")
    return cli.main


@pytest.fixture(scope="module")
def grid_archive(tmp_path_factory):
    """A finished 4-point x 2-replicate grid sweep (serial) and its sweep."""
    tmp = tmp_path_factory.mktemp("grid")
    sweep = load_sweep(write(tmp, GRID))
    report = run_sweep(sweep, tmp / "archive", executor="serial", command=["test"])
    return sweep, report


# ---------------------------------------------------------------------------- shipped sweeps
def test_shipped_sweeps_load_and_fit_their_purpose():
    files = sorted((ROOT / "configs" / "sweeps").glob("*.toml"))
    sweeps = {f.stem: load_sweep(f) for f in files}
    assert {"smoke", "circle_alliance_grid", "sobol_key"} <= set(sweeps)
    assert len(sweeps["smoke"].runs) <= 8
    assert sweeps["smoke"].base_config.run.end_year - sweeps["smoke"].base_config.run.start_year <= 5
    grid = sweeps["circle_alliance_grid"]
    assert grid.design == "grid" and grid.paths == [
        "city_circle.commute_limit_min",
        "talent_alliance.border_cost_cut",
    ]
    assert grid.base_config.city_circle.enabled and grid.base_config.talent_alliance.enabled
    sobol = sweeps["sobol_key"]
    assert sobol.design == "sobol" and 5 <= len(sobol.parameters) <= 7
    assert len(sobol.points) == sobol.samples * (len(sobol.parameters) + 3)  # + the dummy


# ---------------------------------------------------------------------------- designs and seeds
def test_grid_is_the_product_in_parameter_order_and_seeds_follow_point_and_replicate(tmp_path):
    s = load_sweep(write(tmp_path, GRID))
    assert list(s.points["transport.commute_limit_min"]) == [45.0, 45.0, 75.0, 75.0]
    assert list(s.points["talent.border_cost"]) == [0.5, 1.5, 0.5, 1.5]
    assert len(s.runs) == 8 and len(s.tasks) == 8
    for row in s.runs.itertuples():
        assert row.seed == run_seed(5, row.point, row.replicate)
    assert s.runs["seed"].nunique() == 8
    # more replicates: the first replicates keep their seeds and run ids
    more = load_sweep(write(tmp_path, GRID.replace("replicates = 2", "replicates = 3"), "more.toml"))
    merged = s.runs.merge(more.runs, on=["point", "replicate"])
    assert len(merged) == 8 and (merged["run_id_x"] == merged["run_id_y"]).all()
    assert s.sweep_hash != more.sweep_hash


def test_run_ids_are_content_addressed(tmp_path):
    """The same config and seed give the same id in any sweep (crn: seeds shared across points)."""
    a = GRID.replace("replicates = 2", "replicates = 1\ncrn = true")
    b = a.replace("values = [45.0, 75.0]", "values = [75.0, 90.0]")
    sa, sb = load_sweep(write(tmp_path, a, "a.toml")), load_sweep(write(tmp_path, b, "b.toml"))
    ida = set(sa.runs.loc[sa.runs["transport.commute_limit_min"] == 75.0, "run_id"])
    idb = set(sb.runs.loc[sb.runs["transport.commute_limit_min"] == 75.0, "run_id"])
    assert ida == idb and len(ida) == 2
    task = sa.tasks[next(iter(ida))]
    assert run_id(task.config_toml, task.seed) == task.run_id


@pytest.mark.parametrize(
    ("design", "extra", "points"),
    [("random", "samples = 7", 7), ("lhs", "samples = 6", 6), ("sobol", "samples = 4", 4 * 6),
     ("sobol", "samples = 4\nsecond_order = true", 4 * 10), ("morris", "samples = 3", 3 * 5)],
)  # fmt: skip
def test_sampled_designs(tmp_path, design, extra, points):
    body = f"""
[sweep]
design = "{design}"
{extra}
seed = 3
{SMALL}
[parameters]
"talent.border_cost" = {{ low = 0.5, high = 1.5 }}
"talent.retirement_age" = {{ low = 55, high = 65 }}
"firms.coastal_inflow" = {{ low = 50.0, high = 800.0, log = true }}
"""
    s = load_sweep(write(tmp_path, body))
    assert len(s.points) == points
    u = s.points[[f"u:{p}" for p in s.paths]].to_numpy()
    assert ((u >= 0) & (u <= 1)).all()
    assert s.points["talent.retirement_age"].map(type).eq(int).all()  # integer field: rounded
    assert s.points["talent.border_cost"].between(0.5, 1.5).all()
    assert s.points["firms.coastal_inflow"].between(50, 800).all()
    if design == "lhs":  # one point in each of the n strata of every dimension
        for j in range(u.shape[1]):
            assert sorted(np.floor(u[:, j] * points).astype(int)) == list(range(points))
    again = load_sweep(write(tmp_path, body, "again.toml"))
    pd.testing.assert_frame_equal(s.points, again.points)  # the design depends on the root seed only


def test_nested_and_array_parameter_forms(tmp_path):
    nested = (
        SMALL + "[parameters.talent]\nborder_cost = [1.0, 2.0]\nmove_cost = { low = 1, high = 2, num = 2 }\n"
    )
    s = load_sweep(write(tmp_path, nested))
    assert s.paths == ["talent.border_cost", "talent.move_cost"] and len(s.points) == 4
    arr = SMALL + '[[parameters]]\npath = "talent.retirement_age"\nlow = 55\nhigh = 65\nnum = 3\n'
    s = load_sweep(write(tmp_path, arr, "arr.toml"))
    assert list(s.points["talent.retirement_age"]) == [55, 60, 65]


def test_base_config_and_levers(tmp_path):
    body = (
        '[sweep]\nbase = "configs/scenarios/city_circle.toml"\n'
        + SMALL
        + '"talent_alliance.enabled" = true\n[parameters]\n'
        + '"city_circle.commute_limit_min" = [60.0, 90.0]\n"talent_alliance.border_cost_cut" = [0.0, 0.5]\n'
    )
    s = load_sweep(write(tmp_path, body))
    assert s.base_config.city_circle.enabled and len(s.base_config.city_circle.circles) == 3
    assert "commute_limit_min = 90.0" in s.tasks[s.runs["run_id"].iloc[-1]].config_toml


# ---------------------------------------------------------------------------- bad sweep files
PAR = "[parameters]\n"
BC = '"talent.border_cost"'
ONE = f"{PAR}{BC} = [1.0]"
FLD = "parameters.talent.border_cost"
BAD = {
    "unknown path": (f'{PAR}"talent.border_kost" = {{ low = 0.1, high = 1, num = 2 }}',
                     "parameters.talent.border_kost"),
    "empty values": (f"{PAR}{BC} = {{ values = [] }}", f"{FLD}.values"),
    "empty range": (f"{PAR}{BC} = {{ low = 1, high = 1, num = 2 }}", f"{FLD}.high"),
    "lower > upper": (f"{PAR}{BC} = {{ low = 2, high = 1, num = 2 }}", f"{FLD}.low"),
    "sobol count": (f'[sweep]\ndesign = "sobol"\nsamples = 100\n{PAR}{BC} = {{ low = 0.5, high = 1 }}',
                    "sweep.samples"),
    "out of bounds": (f'{PAR}"talent_alliance.border_cost_cut" = {{ low = 0.5, high = 1.5, num = 3 }}',
                      "parameters.talent_alliance.border_cost_cut.high"),
    "a section": (f'{PAR}"talent" = [1, 2]', "parameters.talent"),
    "grid without num": (f"{PAR}{BC} = {{ low = 0.5, high = 1.5 }}", f"{FLD}.num"),
    "unknown sweep key": (f'[sweep]\ndesing = "grid"\n{ONE}', "sweep.desing"),
    "unknown design": (f'[sweep]\ndesign = "taguchi"\n{ONE}', "sweep.design"),
    "unknown section": (f'[params]\n{BC} = [1.0]', "params"),
    "no parameters": ("[sweep]\nseed = 1", "parameters"),
    "bad set": (f'[set]\n"scale.talent_agent" = 3\n{ONE}', "set.scale.talent_agent"),
    "zero replicates": (f"[sweep]\nreplicates = 0\n{ONE}", "sweep.replicates"),
    "missing base": (f'[sweep]\nbase = "nope.toml"\n{ONE}', "sweep.base"),
    "bad point": ('[set]\n"run.end_year" = 2022\n[parameters]\n"talent_alliance.start_year" = [2021, 2030]\n'
                  '"talent_alliance.enabled" = [true]', "parameters"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_bad_sweep_files_raise_naming_the_field(tmp_path, case):
    body, fld = BAD[case]
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_sweep(path)
    assert info.value.field == fld
    assert str(info.value).startswith(f"{path}: {fld}: ")


@pytest.mark.parametrize(
    "case", ["unknown path", "empty range", "lower > upper", "sobol count", "empty values"]
)
def test_bad_sweep_files_exit_2_with_one_line_and_write_nothing(main, tmp_path, capsys, case):
    body, fld = BAD[case]
    path = write(tmp_path, body)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}: {fld}: ")
    assert not out.exists() and not (tmp_path / "results").exists()


def test_bad_command_lines_exit_2(main, tmp_path, capsys):
    path = write(tmp_path, GRID)
    assert main(["sweep", str(path), "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err
    assert main(["sweep", str(path), "--executor", "serial", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "--scheduler" in capsys.readouterr().err
    assert main(["sweep", str(path), "--executor", "threads"]) == 2
    assert "--executor" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2
    assert "no such config file" in capsys.readouterr().err


def test_dry_run_prints_the_design_and_writes_nothing(main, tmp_path, capsys):
    path = write(tmp_path, GRID)
    assert main(["sweep", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "4 points x 2 replicates = 8 runs" in out and "talent.border_cost" in out
    assert not (tmp_path / "results").exists()


# ---------------------------------------------------------------------------- the archive
def test_archive_layout(grid_archive):
    sweep, report = grid_archive
    path = report.path
    assert report.complete and report.counts == {"ok": 8, "failed": 0, "pending": 0}
    names = {p.name for p in path.iterdir()}
    expected = {"manifest.json", "sweep.toml", "base.toml", "design.parquet", "runs.parquet", "summary.md"}
    assert expected | {"runs", "failed"} <= names
    m = json.loads((path / "manifest.json").read_text())
    assert m["kind"] == "sweep" and m["status"] == "complete" and m["seed"] == 5
    assert m["sweep_hash"] == sweep.sweep_hash and m["design"]["kind"] == "grid"
    assert m["design"]["runs"] == 8 and [p["path"] for p in m["design"]["parameters"]] == sweep.paths
    for key in ("code", "code_sha256", "lock_sha256", "python", "packages", "sessions", "files"):
        assert key in m
    assert m["packages"]["SALib"] and m["packages"]["distributed"]
    assert set(m["files"]) == set(archive_files(path)) and "runs.parquet" in m["files"]
    runs = sorted((path / "runs").rglob("*.parquet"))
    assert len(runs) == 8 and all(p.name == "part.parquet" for p in runs)
    assert {p.relative_to(path).parent.as_posix() for p in runs} == {
        f"runs/point={p}/replicate={r}" for p in range(4) for r in range(2)
    }
    idx = pd.read_parquet(path / "runs.parquet")
    assert list(idx.columns[:6]) == ["point", "replicate", "seed", "run_id", "status", "error"]
    assert set(sweep.paths) <= set(idx.columns) and set(sweep.metrics) <= set(idx.columns)
    assert (idx["status"] == "ok").all() and idx["gdp_final"].notna().all()
    assert not idx.duplicated(["point", "replicate"]).any()


def test_run_files_hold_the_model_and_cities_tables(grid_archive):
    sweep, report = grid_archive
    rid = sweep.runs["run_id"].iloc[0]
    table = pq.read_table(report.path / "runs" / "point=0" / "replicate=0" / "part.parquet").to_pandas()
    front = ["run_id", "point", "replicate", "seed", "transport__commute_limit_min", "talent__border_cost"]
    assert list(table.columns[:7]) == [*front, "table"]  # who the run is, then its rows
    row = sweep.runs.iloc[0]
    assert (table["run_id"] == rid).all() and (table["point"] == 0).all() and (table["replicate"] == 0).all()
    assert (table["seed"] == row["seed"]).all()
    assert (table["talent__border_cost"] == row["talent.border_cost"]).all()
    model = table[table["table"] == "model"]
    cities = table[table["table"] == "cities"]
    assert list(model["year"]) == [2019, 2020, 2021, 2022] and model["city"].isna().all()
    assert len(cities) == 31 * 4 and cities["city"].notna().all()
    both = read_run_tables(report.path, "cities", ["gdp", "air_quality"])
    assert both["run_id"].nunique() == 8 and len(both) == 8 * 31 * 4
    m = read_run_tables(report.path, "model", ["gdp"])
    idx = pd.read_parquet(report.path / "runs.parquet").set_index("run_id")
    last = m[m["year"] == 2022].set_index("run_id")["gdp"]
    assert np.array_equal(last.loc[idx.index].to_numpy(), idx["gdp_final"].to_numpy())


def test_same_command_resumes_and_skips_complete_runs(grid_archive, tmp_path):
    sweep, report = grid_archive
    before = {p: p.stat().st_mtime_ns for p in (report.path / "runs").rglob("*.parquet")}
    index_bytes = (report.path / "runs.parquet").read_bytes()
    again = run_sweep(sweep, report.path, executor="serial")
    assert again.resumed and again.ran == 0 and again.skipped == 8
    assert {p: p.stat().st_mtime_ns for p in (report.path / "runs").rglob("*.parquet")} == before
    assert (report.path / "runs.parquet").read_bytes() == index_bytes
    other = load_sweep(write(tmp_path, GRID.replace("seed = 5", "seed = 6")))
    with pytest.raises(ArchiveError, match="different sweep"):
        run_sweep(other, report.path, executor="serial")


def test_a_second_process_cannot_run_the_same_archive(grid_archive):
    sweep, report = grid_archive
    with locked(report.path):
        with pytest.raises(ArchiveError, match="another sweep process"):
            run_sweep(sweep, report.path, executor="serial")


def test_resume_without_out_finds_the_unfinished_archive(main, tmp_path, capsys):
    """Without --out the sweep continues its latest unfinished archive under results/; once it is
    complete, the same command starts a new one."""
    body = GRID.replace("replicates = 2", "replicates = 1")
    path = write(tmp_path, body)
    sweep = load_sweep(path)
    results = tmp_path / "results"
    first = default_sweep_path(results, "s")
    create_archive(sweep, first, ["test"])  # as if killed before any run finished
    assert find_unfinished(results, sweep.sweep_hash) == first
    assert main(["sweep", str(path), "--executor", "serial"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == f"archive: {_display(first)}" and "resumed archive: 4 ok" in out[-2]
    assert main(["sweep", str(path), "--executor", "serial"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("archive: ") and Path(last.removeprefix("archive: ")).resolve() != first.resolve()


def test_out_holding_another_archive_kind_is_refused(main, tmp_path, capsys):
    other = tmp_path / "run"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"schema_version": 1, "seed": 1, "files": {}}))
    assert main(["sweep", str(write(tmp_path, GRID)), "--out", str(other), "--executor", "serial"]) == 2
    assert "not a sweep" in capsys.readouterr().err


def test_failed_runs_keep_their_traceback_and_the_sweep_goes_on(main, tmp_path, capsys, monkeypatch):
    # a bad region is refused before the sweep starts (tests/test_limits.py); here a run that fails
    # while running: the model raises for one parameter value
    from simulation.model import MiddleYangtzeModel

    real_run = MiddleYangtzeModel.run

    def run(self):
        if self.config.talent.border_cost == 2.0:
            raise RuntimeError("border_cost_two exploded")
        return real_run(self)

    monkeypatch.setattr(MiddleYangtzeModel, "run", run)
    body = (
        SMALL
        + '[parameters]\n"transport.commute_limit_min" = [45.0, 75.0]\n'
        + '"talent.border_cost" = [1.0, 2.0]\n'
    )
    path = write(tmp_path, body)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 1
    text = capsys.readouterr().out
    assert "2 ok, 2 failed" in text and text.strip().splitlines()[-1] == f"archive: {_display(out)}"
    idx = pd.read_parquet(out / "runs.parquet")
    bad = idx[idx["talent.border_cost"] == 2.0]
    assert (bad["status"] == "failed").all() and bad["error"].str.contains("border_cost_two").all()
    assert bad["gdp_final"].isna().all()
    assert (idx.loc[idx["talent.border_cost"] == 1.0, "status"] == "ok").all()
    for rid in bad["run_id"]:
        tb = (out / "failed" / f"{rid}.txt").read_text()
        assert tb.startswith("error: ") and "Traceback (most recent call last)" in tb
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "failed-runs" and m["counts"] == {"ok": 2, "failed": 2, "pending": 0}
    assert "## Failed runs" in (out / "summary.md").read_text()
    # the same command retries the failed runs only
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 1
    assert "this session ran 2 (2 failed), skipped 2 complete" in capsys.readouterr().out
    assert len(list((out / "runs").rglob("*.parquet"))) == 2 and len(list((out / "failed").iterdir())) == 2


def test_interrupted_sweep_is_closed_cleanly(tmp_path, monkeypatch):
    """Ctrl-C: the finished runs stay, runs.parquet marks the rest pending, the archive resumes."""
    sweep = load_sweep(write(tmp_path, GRID))
    calls = {"n": 0}
    from simulation.experiments.sweep import run as sweep_run

    real = sweep_run.execute

    def stop_after_three(tasks, **kw):
        def on_outcome(o):
            kw["on_outcome"](o)
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt

        real(tasks, **{**kw, "on_outcome": on_outcome})

    monkeypatch.setattr(sweep_run, "execute", stop_after_three)
    with pytest.raises(SweepInterrupted) as info:
        run_sweep(sweep, tmp_path / "out", executor="serial")
    r = info.value.report
    assert r.counts == {"ok": 3, "failed": 0, "pending": 5}
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert m["status"] == "incomplete" and m["sessions"][-1]["interrupted"]
    monkeypatch.setattr(sweep_run, "execute", real)
    done = run_sweep(sweep, tmp_path / "out", executor="serial")
    assert done.complete and done.ran == 5 and done.skipped == 3


def test_stale_temporary_files_are_removed_on_resume(grid_archive):
    sweep, report = grid_archive
    junk = report.path / "runs" / "point=0" / "replicate=0" / "part.parquet.tmp-99999"
    junk.write_bytes(b"half a run")
    run_sweep(sweep, report.path, executor="serial")
    assert not junk.exists()


# ---------------------------------------------------------------------------- verify
def test_verify_reruns_a_sample_bit_for_bit(grid_archive, tmp_path):
    sweep, report = grid_archive
    v = verify_sweep_archive(report.path, sample=2)
    assert v.ok, v.lines()
    assert any("re-ran 2 of 8" in n for n in v.notes)
    # a copy with one run file changed (a column of the model table) is caught
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(report.path, copy)
    rel = "runs/point=0/replicate=0/part.parquet"
    f = copy / rel
    df = pd.read_parquet(f)
    df.loc[0, "gdp"] = df.loc[0, "gdp"] * 1.0000001
    f.write_bytes(parquet_bytes(df))
    v = verify_sweep_archive(copy, sample=8)
    assert not v.ok
    assert f"{rel}: sha256 differs from the manifest" in v.file_problems
    assert rel in v.rerun_differs


def test_verify_cli_helpers(grid_archive, capsys):
    import argparse

    sweep, report = grid_archive
    p = argparse.ArgumentParser()
    p.add_argument("archive", type=Path)
    add_verify_sample_argument(p)
    assert cmd_verify_sweep(p.parse_args([str(report.path), "--sample", "1"])) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("verified: ")


def test_metric_values_match_compare_headlines(grid_archive):
    from simulation.experiments.headline import headline_values

    sweep, report = grid_archive
    rid = sweep.runs["run_id"].iloc[0]
    model = read_run_tables(report.path, "model", run_ids=[rid]).drop(columns="run_id")
    ours = metric_values(model, sweep.metrics)
    theirs = headline_values(model, 2019)
    assert {k: ours[k] for k in theirs} == theirs
    assert os.path.basename(str(report.path)) == "archive"
