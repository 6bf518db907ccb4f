"""Growing sweeps (--extend, runs shared across archives, --set), metrics (city, year, delta,
per-point statistics), tidy run files read by DuckDB in one statement, fan charts."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation import cli
from simulation.archive.errors import ArchiveError
from simulation.archive.files import parquet_bytes
from simulation.archive.manifest import write_manifest
from simulation.config import load_config
from simulation.experiments.sweep import folder
from simulation.experiments.sweep import metrics as sm
from simulation.experiments.sweep import store as st
from simulation.experiments.sweep.folder import create_archive
from simulation.experiments.sweep.run import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.experiments.sweep.verify import verify_sweep_archive
from simulation.model import MiddleYangtzeModel
from simulation.params import ConfigError

SMALL = """
[set]
"scale.talent_agents" = 1500
"scale.firm_agents" = 200
"run.end_year" = 2021
"""


def body(replicates: int = 1, values: str = "[0.5, 1.5]", extra: str = "", params: str = "") -> str:
    return (
        f'[sweep]\ndesign = "grid"\nreplicates = {replicates}\nseed = 9\n{extra}\n{SMALL}\n'
        f'[parameters]\n"talent.border_cost" = {values}\n{params}'
    )


def write(folder: Path, text: str, name: str = "s.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def model_runs(monkeypatch):
    """Counts the model runs made in this process (the serial executor runs in-process)."""
    calls = []
    real = MiddleYangtzeModel.run

    def run(self):
        if self.config.scale.talent_agents == 1500:  # the sweeps' runs, not the metric checks' probes
            calls.append((self.seed, self.config.talent.border_cost))
        return real(self)

    monkeypatch.setattr(MiddleYangtzeModel, "run", run)
    return calls


@pytest.fixture
def main(monkeypatch, tmp_path):
    monkeypatch.setattr(folder, "RESULTS_DIR", tmp_path / "results")
    return cli.main


def files(path: Path) -> dict[str, bytes]:
    return {
        p.relative_to(path).as_posix(): p.read_bytes() for p in sorted((path / "runs").rglob("*.parquet"))
    }


# ---------------------------------------------------------------------------- --extend
def test_extend_adds_replicates_without_rerunning_existing_runs(tmp_path, model_runs, main, capsys):
    one = load_sweep(write(tmp_path, body(replicates=1)))
    out = tmp_path / "a"
    run_sweep(one, out, executor="serial", reuse=False, plots=False)
    assert len(model_runs) == 2
    before = files(out)
    two = write(tmp_path, body(replicates=3), "more.toml")
    model_runs.clear()
    argv = ["sweep", str(two), "--extend", str(out), "--executor", "serial", "--no-reuse", "--no-plots"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert len(model_runs) == 4  # 2 points x 2 new replicates; the 2 existing runs not run again
    assert "extended archive: 6 ok" in text and "skipped 2 complete" in text and "added 4 runs" in text
    after = files(out)
    assert {k: after[k] for k in before} == before  # the old run files untouched
    assert len(after) == 6
    m = json.loads((out / "manifest.json").read_text())
    assert m["design"]["replicates"] == 3 and m["extensions"][-1]["runs_before"] == 2
    assert m["sweep_hash"] == load_sweep(two).sweep_hash  # replicates: same point numbers
    assert verify_sweep_archive(out, sample=6).ok
    model_runs.clear()
    assert main(argv) == 0 and not model_runs  # extending again with the same file: nothing to do
    capsys.readouterr()


def test_extend_adds_grid_points_keeping_the_old_numbers(tmp_path, model_runs):
    out = tmp_path / "a"
    run_sweep(load_sweep(write(tmp_path, body())), out, executor="serial", reuse=False, plots=False)
    old = pd.read_parquet(out / "runs.parquet")
    model_runs.clear()
    wider = load_sweep(write(tmp_path, body(values="[0.25, 0.5, 1.0, 1.5]"), "w.toml"))
    report = run_sweep(wider, extend=out, executor="serial", reuse=False, plots=False)
    assert report.added == 2 and report.skipped == 2 and len(model_runs) == 2
    assert sorted(v for _, v in model_runs) == [0.25, 1.0]
    new = pd.read_parquet(out / "runs.parquet")
    kept = new[new["point"] < 2][["point", "talent.border_cost", "run_id", "gdp_final"]].reset_index(
        drop=True
    )
    pd.testing.assert_frame_equal(kept, old[["point", "talent.border_cost", "run_id", "gdp_final"]])
    assert list(new["talent.border_cost"]) == [0.5, 1.5, 0.25, 1.0]  # old points first, then the new
    assert verify_sweep_archive(out, sample=4).ok


@pytest.mark.parametrize(
    ("change", "fld"),
    [
        (lambda t: t.replace("replicates = 2", "replicates = 1"), "sweep.replicates"),
        (lambda t: t.replace('"run.end_year" = 2021', '"run.end_year" = 2022'), "set"),
        (lambda t: t.replace("seed = 9", "seed = 10"), "sweep.seed"),
        (lambda t: t.replace("[0.5, 1.5]", "[0.5, 2.0]"), "parameters"),
        (lambda t: t.replace('"talent.border_cost"', '"talent.move_cost"'), "parameters"),
    ],
)
def test_extend_refuses_what_would_change_existing_runs(tmp_path, change, fld, main, capsys):
    out = tmp_path / "a"
    base = body(replicates=2)
    run_sweep(load_sweep(write(tmp_path, base)), out, executor="serial", reuse=False, plots=False)
    before = files(out) | {"manifest.json": (out / "manifest.json").read_bytes()}
    bad = write(tmp_path, change(base), "bad.toml")
    assert main(["sweep", str(bad), "--extend", str(out), "--executor", "serial"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f": {fld}" in err[0], err
    assert files(out) | {"manifest.json": (out / "manifest.json").read_bytes()} == before


def test_a_latin_hypercube_grows_by_replicates_only(tmp_path):
    lhs = (
        f'[sweep]\ndesign = "lhs"\nsamples = 3\nseed = 2\n{SMALL}\n'
        '[parameters]\n"talent.border_cost" = { low = 0.5, high = 1.5 }\n'
    )
    out = tmp_path / "a"
    create_archive(load_sweep(write(tmp_path, lhs)), out, ["test"])
    bigger = load_sweep(write(tmp_path, lhs.replace("samples = 3", "samples = 4"), "b.toml"))
    with pytest.raises(ConfigError, match="not nested") as info:
        run_sweep(bigger, extend=out, executor="serial")
    assert info.value.field == "sweep.samples"


def test_extend_and_out_together_are_refused(tmp_path, main, capsys):
    path = write(tmp_path, body())
    assert main(["sweep", str(path), "--extend", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "--extend" in capsys.readouterr().err


# ---------------------------------------------------------------------------- shared runs
def test_runs_are_shared_by_content_address_across_archives(tmp_path, model_runs):
    """A second sweep (its own archive beside the first) copies the runs the first already holds
    under the same content key, and runs only the rest; the copies are bit-identical to a fresh run."""
    crn = "\ncrn = true"
    first = tmp_path / "results" / "a"
    res = tmp_path / "results"
    run_sweep(
        load_sweep(write(tmp_path, body(extra=crn))),
        first,
        executor="serial",
        plots=False,
        results_dir=res,
    )
    model_runs.clear()
    other = load_sweep(write(tmp_path, body(extra=crn, values="[1.5, 2.5]"), "b.toml"))
    second = tmp_path / "results" / "b"
    report = run_sweep(other, second, executor="serial", plots=False, results_dir=res)
    assert report.copied == 1 and report.ran == 1 and [v for _, v in model_runs] == [2.5]
    shared = pd.read_parquet(second / "runs.parquet").set_index("talent.border_cost")
    mine = pd.read_parquet(first / "runs.parquet").set_index("talent.border_cost")
    assert shared.loc[1.5, "run_id"] == mine.loc[1.5, "run_id"]
    assert shared.loc[1.5, "gdp_final"] == mine.loc[1.5, "gdp_final"]
    v = verify_sweep_archive(second, sample=2)  # re-runs the copied run too: same bits
    assert v.ok, v.lines()
    # --no-reuse (reuse=False) runs it again
    model_runs.clear()
    third = tmp_path / "results" / "c"
    run_sweep(other, third, executor="serial", plots=False, reuse=False, results_dir=res)
    assert len(model_runs) == 2 and files(third) == files(second)


def test_a_changed_source_file_is_not_shared(tmp_path, model_runs):
    first = tmp_path / "results" / "a"
    spec = write(tmp_path, body())
    res = tmp_path / "results"
    run_sweep(load_sweep(spec), first, executor="serial", plots=False, results_dir=res)
    rel = st.cell_rel(0, 0)
    df = pd.read_parquet(first / rel)
    df.loc[0, "gdp"] += 1.0
    (first / rel).write_bytes(parquet_bytes(df))  # no longer the bytes its manifest lists
    model_runs.clear()
    report = run_sweep(load_sweep(spec), res / "b", executor="serial", plots=False, results_dir=res)
    assert report.copied == 1 and len(model_runs) == 1  # the intact run copied, the edited one run


# ---------------------------------------------------------------------------- --set
def test_sweep_set_overrides_the_base_like_run_set(tmp_path, main, capsys):
    path = write(tmp_path, body())
    s = load_sweep(path, ["scale.talent_agents=1600", "talent.move_cost=2.0"])
    assert s.base_config.scale.talent_agents == 1600 and s.base_config.talent.move_cost == 2.0
    assert s.sets["scale.talent_agents"] == 1600  # over the file's [set]
    assert "talent_agents = 1600" in next(iter(s.tasks.values())).config_toml
    cases = {
        "scale.talent_agent=3": "(with --set): scale.talent_agent: unknown key",
        "scale.talent_agents=3": "(with --set): scale.talent_agents: Input should be greater",
        "scale.talent_agents": "--set: scale.talent_agents: expected key=value",
        "talent.border_cost=1.0": "--set: talent.border_cost: also swept",
    }
    for option, needle in cases.items():
        out = tmp_path / "out"
        assert main(["sweep", str(path), "--set", option, "--out", str(out), "--executor", "serial"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and needle in err[0], err
        assert not out.exists()


# ---------------------------------------------------------------------------- metrics
METRICS = (
    '\nmetrics = ["gdp_final", "gdp@wuhan_final", "pm25@2020", "delta:gdp_final", "delta:pm25@wuhan_mean"]'
)
LEVER = '"talent_alliance.enabled" = true\n"talent_alliance.start_year" = 2020\n'


@pytest.fixture(scope="module")
def metric_archive(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("metrics")
    text = body(replicates=2, extra=METRICS + "\ncrn = true\npercentiles = [10, 50, 90]").replace(
        '"run.end_year" = 2021\n', '"run.end_year" = 2021\n' + LEVER
    )
    text = text.replace('"talent.border_cost" = [0.5, 1.5]', '"talent_alliance.border_cost_cut" = [0.2, 0.9]')
    sweep = load_sweep(write(tmp, text))
    report = run_sweep(sweep, tmp / "a", executor="serial", reuse=False)
    return sweep, report.path


def test_city_year_and_delta_metrics_are_the_tables_values(metric_archive):
    sweep, path = metric_archive
    idx = pd.read_parquet(path / "runs.parquet")
    assert (idx["status"] == "ok").all() and len(sweep.baselines) == 2  # crn: one baseline a seed
    row = idx.iloc[3]
    cfg = load_config(
        None, [*_sets(sweep), f"talent_alliance.border_cost_cut={row['talent_alliance.border_cost_cut']}"]
    )
    run = MiddleYangtzeModel(cfg, rng=int(row["seed"])).run().tables()
    off = load_config(None, [*_sets(sweep, levers=False)])
    base = MiddleYangtzeModel(off, rng=int(row["seed"])).run().tables()
    wuhan = run["cities"][run["cities"]["city"] == "wuhan"]
    assert row["gdp@wuhan_final"] == wuhan["gdp"].iloc[-1]
    assert row["pm25@2020"] == run["model"].set_index("year").loc[2020, "air_quality"]
    assert row["delta:gdp_final"] == run["model"]["gdp"].iloc[-1] - base["model"]["gdp"].iloc[-1]
    b_wuhan = base["cities"][base["cities"]["city"] == "wuhan"]
    expect = wuhan["air_quality"].iloc[1:].mean() - b_wuhan["air_quality"].iloc[1:].mean()
    assert row["delta:pm25@wuhan_mean"] == pytest.approx(expect, rel=1e-12)
    assert row["delta:gdp_final"] != 0.0  # the lever moves GDP


def _sets(sweep, levers: bool = True) -> list[str]:
    out = [
        f"{k}={json.dumps(v)}" for k, v in sweep.sets.items() if levers or not k.startswith("talent_alliance")
    ]
    return out


def test_point_stats_are_mean_sd_t_interval_and_percentiles(metric_archive):
    from scipy import stats

    sweep, path = metric_archive
    idx = pd.read_parquet(path / "runs.parquet")
    table = pd.read_parquet(path / "point_stats.parquet")
    assert list(table.columns) == [
        "point", "metric", "talent_alliance.border_cost_cut", "n", "mean", "sd", "ci95_low", "ci95_high",
        "p10", "p50", "p90",
    ]  # fmt: skip
    assert len(table) == 2 * len(sweep.metrics)
    for r in table.to_dict("records"):
        y = idx.loc[idx["point"] == r["point"], r["metric"]].to_numpy(float)
        half = stats.t.ppf(0.975, len(y) - 1) * y.std(ddof=1) / math.sqrt(len(y))
        assert r["n"] == 2 and r["mean"] == pytest.approx(y.mean(), rel=1e-12)
        assert r["sd"] == pytest.approx(y.std(ddof=1), rel=1e-12)
        assert r["ci95_low"] == pytest.approx(y.mean() - half, rel=1e-9, abs=1e-9)
        assert r["p90"] == pytest.approx(np.percentile(y, 90), rel=1e-12)
    summary = (path / "summary.md").read_text()
    assert "## Per-point results" in summary and "**delta:gdp_final**" in summary


@pytest.mark.parametrize(
    ("metric", "needle"),
    [
        ("gdp@wuhn_final", "unknown city 'wuhn' (did you mean wuhan"),
        ("gdp@wuhn_final", "allowed: changde, changsha, ezhou"),
        ("pm25@2040", "year 2040 (allowed: 2019 to 2021)"),
        ("gdp_totl", "no aggregate or year at the end"),
        ("gpd_final", "unknown column of the model table 'gpd' (did you mean gep, gdp?"),
        ("delta:gdp_final", "no lever is on in this sweep"),
        ('gdp@wuhan_final", "gdp@wuhan_final', "given twice"),
    ],
)
def test_bad_metrics_exit_2_naming_the_allowed_values_before_any_run(
    tmp_path, metric, needle, main, capsys, model_runs
):
    path = write(tmp_path, body(extra=f'metrics = ["{metric}"]'))
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}: sweep.metrics: ") and needle in err[0], err
    assert not out.exists() and not model_runs


def test_bad_percentiles_are_refused(tmp_path):
    for bad in ("[]", "[101]", "[5, 5]", '["x"]'):
        with pytest.raises(ConfigError, match="sweep.percentiles"):
            load_sweep(write(tmp_path, body(extra=f"percentiles = {bad}")))


def test_metric_names_parse():
    m = sm.parse_metric("delta:gdp@wuhan@2030")
    assert (m.column, m.city, m.year, m.agg, m.delta, m.plain) == (
        "gdp",
        "wuhan",
        2030,
        None,
        True,
        "gdp@wuhan@2030",
    )
    assert sm.parse_metric("pm25_final").column == "air_quality"
    assert sm.parse_metric("gdp_per_capita_max").column == "gdp_per_capita"


# ---------------------------------------------------------------------------- tidy data
def test_duckdb_reads_per_point_means_in_one_statement(metric_archive):
    """The example of docs/sweeps.md: one statement over the hive-partitioned run files."""
    import duckdb

    sweep, path = metric_archive
    sql = (
        f"SELECT point, avg(gdp) AS gdp_final, count(*) AS runs "
        f"FROM read_parquet('{path}/runs/**/*.parquet', hive_partitioning=true) "
        "WHERE \"table\" = 'model' AND year = 2021 GROUP BY point ORDER BY point"
    )
    got = duckdb.sql(sql).df()
    want = pd.read_parquet(path / "runs.parquet").groupby("point")["gdp_final"].mean()
    assert list(got["point"]) == [0, 1] and list(got["runs"]) == [2, 2]
    assert np.allclose(got["gdp_final"].to_numpy(), want.to_numpy(), rtol=1e-12, atol=0)
    cols = duckdb.sql(
        f"DESCRIBE SELECT * FROM read_parquet('{path}/runs/**/*.parquet', hive_partitioning=true)"
    ).df()
    names = list(cols["column_name"])
    assert names[:5] == ["run_id", "point", "replicate", "seed", "talent_alliance__border_cost_cut"]
    assert all(n.isidentifier() for n in names if n != "table")


def test_a_copied_run_file_has_the_bytes_of_a_fresh_one(metric_archive):
    sweep, path = metric_archive
    f = path / st.cell_rel(1, 1)
    raw = st.strip(f)
    row = sweep.runs[(sweep.runs["point"] == 1) & (sweep.runs["replicate"] == 1)].to_dict("records")[0]
    assert st.tidy_bytes(raw, st.cell_front(row, sweep.paths)) == f.read_bytes()


def test_fan_charts_are_in_the_report(metric_archive):
    sweep, path = metric_archive
    summary = (path / "summary.md").read_text()
    for name in ("fan_gdp.png", "fan_gdp@wuhan.png", "fan_air_quality.png"):
        assert (path / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"](plots/{name})" in summary
    m = json.loads((path / "manifest.json").read_text())
    assert "plots/fan_gdp.png" in m["files"]


def test_an_archive_of_the_earlier_layout_is_refused_with_a_reason(metric_archive, tmp_path):
    sweep, path = metric_archive
    copy = tmp_path / "old"
    shutil.copytree(path, copy)
    m = json.loads((copy / "manifest.json").read_text())
    del m["layout"]
    write_manifest(copy, m)
    with pytest.raises(ArchiveError, match="earlier version of the sweep storage"):
        verify_sweep_archive(copy, sample=0)


def test_flows_are_kept_on_request(tmp_path):
    import duckdb

    spec = write(tmp_path, body(replicates=2, extra="flows = true"))
    sweep = load_sweep(spec)
    assert all(t.flows for t in sweep.tasks.values())
    out = tmp_path / "a"
    run_sweep(sweep, out, executor="serial", reuse=False, plots=False)
    flows = sorted((out / "flows").rglob("*.parquet"))
    assert len(flows) == 4
    f = pd.read_parquet(flows[0])
    assert list(f.columns[:5]) == ["run_id", "point", "replicate", "seed", "talent__border_cost"]
    assert {"kind", "origin", "destination", "count"} <= set(f.columns) and len(f)
    got = duckdb.sql(
        f"SELECT point, kind, sum(count) / count(DISTINCT replicate) AS persons FROM "
        f"read_parquet('{out}/flows/**/*.parquet', hive_partitioning=true) WHERE year = 2021 "
        "GROUP BY ALL ORDER BY ALL"
    ).df()
    assert set(got["point"]) == {0, 1} and "migration" in set(got["kind"])
    v = verify_sweep_archive(out, sample=2)
    assert v.ok, v.lines()
    (flows[0]).unlink()  # a lost flows file: its run is done again on resume
    again = run_sweep(sweep, out, executor="serial", reuse=False, plots=False)
    assert again.ran == 1 and len(list((out / "flows").rglob("*.parquet"))) == 4
