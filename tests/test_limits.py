"""Bad input refused before any work, and limits that protect the machine (issue 15, part).

Every case: exit code 2, exactly one line on stderr naming the file and the field, no traceback,
nothing written to ``--out`` (nor to the default results folder).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from simulation import cli, limits
from simulation.experiments.sweep import folder
from simulation.experiments.sweep.design import SweepParam, design_size
from simulation.experiments.sweep.spec import load_sweep
from simulation.params import ConfigError

SMALL_SET = """
[set]
"scale.talent_agents" = 1500
"scale.firm_agents" = 200
"run.end_year" = 2022
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(folder, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.delenv(limits.MEMORY_ENV, raising=False)


# Each case: (folder, monkeypatch) -> (argv, [texts the error line must contain]). ``OUT`` in argv
# is replaced by the --out folder that must stay absent.
Case = Callable[[Path, pytest.MonkeyPatch], tuple[list[str], list[str]]]


def _config(d: Path, body: str = "", name: str = "base.toml") -> str:
    return str(write(d, name, '[run]\nseed = 42\nregion = "middle_yangtze"\n' + body))


def huge_num(d, mp):
    f = write(
        d,
        "huge.toml",
        '[sweep]\n[parameters]\n"talent.border_cost" = {low = 0.5, high = 1.5, num = 1000000000}\n',
    )
    return ["sweep", str(f), "--dry-run", "--out", "OUT"], [
        "huge.toml",
        "parameters.talent.border_cost.num",
        "allowed",
    ]


def huge_grid(d, mp):
    f = write(
        d, "grid.toml",
        '[sweep]\n[parameters]\n"talent.border_cost" = {low = 0.5, high = 1.5, num = 1000}\n'
        '"talent.move_cost" = {low = 0.5, high = 1.5, num = 1000}\n',
    )  # fmt: skip
    return ["sweep", str(f), "--dry-run", "--out", "OUT"], ["grid.toml", "parameters", f"{limits.MAX_RUNS:,}"]


def huge_samples(d, mp):
    f = write(
        d,
        "sob.toml",
        '[sweep]\ndesign = "sobol"\nsamples = 1000000000\n'
        '[parameters]\n"talent.border_cost" = {low = 0.5, high = 1.5}\n',
    )
    return ["sweep", str(f), "--out", "OUT"], ["sob.toml", "sweep.samples", "allowed"]


def memory_run(d, mp):
    mp.setenv(limits.MEMORY_ENV, "6")
    return ["run", _config(d), "--set", "scale.talent_agents=20000000", "--out", "OUT"], [
        "--set", "scale.talent_agents", "16.8 GB", "6.0 GB", "allowed",
    ]  # fmt: skip


def memory_sweep(d, mp):
    mp.setenv(limits.MEMORY_ENV, "1")
    f = write(
        d,
        "big.toml",
        '[sweep]\n[set]\n"scale.talent_agents" = 2000000\n'
        '[parameters]\n"talent.border_cost" = {values = [1.0, 2.0]}\n',
    )
    return ["sweep", str(f), "--workers", "2", "--out", "OUT"], [
        "big.toml",
        "scale.talent_agents",
        "2 runs at once",
    ]


def huge_replicates(d, mp):
    c = _config(d)
    return ["compare", c, c, "--replicates", "1000000000", "--out", "OUT"], [
        "command line",
        "--replicates",
        "10,000",
    ]


def huge_workers(d, mp):
    f = write(
        d, "ok.toml", "[sweep]\n" + SMALL_SET + '[parameters]\n"talent.border_cost" = {values = [1.0, 2.0]}\n'
    )
    return ["sweep", str(f), "--workers", "100000", "--out", "OUT"], ["command line", "--workers", "allowed"]


def point_region(d, mp):
    f = write(
        d,
        "reg.toml",
        "[sweep]\n" + SMALL_SET + '[parameters]\n"run.region" = {values = ["middle_yangtze", "nowhere"]}\n',
    )
    return ["sweep", str(f), "--out", "OUT"], ["reg.toml", "parameters.run.region", "'nowhere'", "at point 1"]


def point_lever_city(d, mp):
    f = write(
        d, "lev.toml",
        "[sweep]\n" + SMALL_SET + '"industry_transfer.push_cities" = ["wuhan"]\n'
        '[parameters]\n"run.region" = {values = ["middle_yangtze", "synthetic:8:1"]}\n',
    )  # fmt: skip
    return ["sweep", str(f), "--out", "OUT"], [
        "lev.toml",
        "set.industry_transfer.push_cities",
        "'wuhan'",
        "at point 1",
    ]


def scheduler(d, mp):
    f = write(
        d, "ok.toml", "[sweep]\n" + SMALL_SET + '[parameters]\n"talent.border_cost" = {values = [1.0, 2.0]}\n'
    )
    return ["sweep", str(f), "--scheduler", "tcp://127.0.0.1:9", "--out", "OUT"], [
        "command line",
        "--scheduler",
        "cannot reach",
    ]


def long_region(d, mp):
    return ["run", _config(d), "--set", "run.region=" + "a" * 300, "--out", "OUT"], [
        "--set",
        "run.region",
        "300 characters",
    ]


def huge_region(d, mp):
    c = write(d, "big.toml", '[run]\nregion = "' + "b" * 50_000_000 + '"\n')
    return ["run", str(c), "--out", "OUT"], ["big.toml", "run.region", "50,000,000 characters"]


def lever_city_file(d, mp):
    c = _config(d, "[red_lines]\nprotected_share = { atlantis = 0.5 }\n")
    return ["run", c, "--out", "OUT"], ["base.toml", "red_lines.protected_share", "atlantis"]


def lever_city_set(d, mp):
    return ["run", _config(d), "--set", 'industry_transfer.receiving_zones=["atlantis"]', "--out", "OUT"], [
        "--set", "industry_transfer.receiving_zones", "atlantis",
    ]  # fmt: skip


def synthetic_spec(d, mp):
    c = write(d, "syn.toml", '[run]\nregion = "synthetic:many:1"\n')
    return ["run", str(c), "--out", "OUT"], ["syn.toml", "run.region", "synthetic:N:SEED"]


def synthetic_size(d, mp):
    return ["run", _config(d), "--set", 'run.region="synthetic:100000000:1"', "--out", "OUT"], [
        "--set", "run.region", f"{limits.MAX_SYNTHETIC_CITIES:,}",
    ]  # fmt: skip


def corridor_mode(d, mp):
    c = _config(
        d,
        "[city_circle]\nenabled = true\nstart_year = 2021\n"
        'corridors = [{a = "wuhan", b = "jian", mode = "intercity", factor = 0.5}]\n',
    )
    return ["run", c, "--out", "OUT"], ["base.toml", "city_circle.corridors[0].mode", "no intercity link"]


def self_corridor(d, mp):
    return [
        "run", _config(d), "--years", "3", "--set", "city_circle.enabled=true",
        "--set", "city_circle.start_year=2020",
        "--set", 'city_circle.corridors=[{a="wuhan",b="wuhan",time_min=30.0,km=10.0}]', "--out", "OUT",
    ], ["city_circle.corridors", "itself"]  # fmt: skip


def eco_same_city(d, mp):
    c = _config(
        d,
        '[eco_compensation]\nagreements = [{name = "x", upstream = ["wuhan", "ezhou"], '
        'downstream = ["ezhou"], amount = 1.0, standard = 1.0}]\n',
    )
    return ["run", c, "--out", "OUT"], ["base.toml", "eco_compensation.agreements", "'ezhou' is both"]


def sweep_metric(d, mp):
    f = write(
        d,
        "met.toml",
        '[sweep]\nmetrics = ["gdp_final", "nosuch_final"]\n'
        + SMALL_SET
        + '[parameters]\n"talent.border_cost" = {values = [1.0, 2.0]}\n',
    )
    return ["sweep", str(f), "--out", "OUT"], ["met.toml", "sweep.metrics", "'nosuch_final'", "allowed"]


CASES: dict[str, Case] = {
    # 1. design sizes, arithmetically
    "design-num": huge_num,
    "design-grid-1000x1000": huge_grid,
    "design-samples": huge_samples,
    # 2. resources
    "memory-run": memory_run,
    "memory-sweep": memory_sweep,
    "replicates": huge_replicates,
    "workers": huge_workers,
    # 3. every sweep point, the scheduler
    "point-region": point_region,
    "point-lever-city": point_lever_city,
    "scheduler": scheduler,
    # 4. long names
    "region-300-chars": long_region,
    "region-50-MB": huge_region,
    # 5. errors name the config file or --set
    "lever-city-file": lever_city_file,
    "lever-city-set": lever_city_set,
    "synthetic-spec": synthetic_spec,
    "synthetic-size": synthetic_size,
    "corridor-mode": corridor_mode,
    # 6. silently accepted before
    "self-corridor": self_corridor,
    "eco-same-city": eco_same_city,
    "sweep-metric": sweep_metric,
}


def _refused(argv: list[str], out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    argv = [str(out) if a == "OUT" else a for a in argv]
    start = time.perf_counter()
    rc = cli.main(argv)  # a traceback would raise here
    elapsed = time.perf_counter() - start
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert rc == 2, captured
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and len(lines[0]) < 4000, lines[0][:300]
    assert "Traceback" not in captured.err + captured.out and "<config>" not in lines[0]
    assert captured.out == "", captured.out  # not even a plan line before the refusal
    assert not out.exists(), sorted(out.rglob("*"))
    assert elapsed < 20, f"{elapsed:.1f} s"
    return lines[0]


@pytest.mark.parametrize("name", list(CASES))
def test_refused_before_work(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    argv, texts = CASES[name](tmp_path, monkeypatch)
    line = _refused(argv, tmp_path / "out", capsys)
    for text in texts:
        assert text in line, (text, line[:500])
    assert not (tmp_path / "results").exists()


def test_design_size_answers_at_once(tmp_path: Path) -> None:
    """A 1000 x 1000 grid (and 10^9 points on one axis) is refused without building an array."""
    argv, _ = huge_grid(tmp_path, None)
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="1,000,000 runs"):
        load_sweep(argv[1])
    argv, _ = huge_num(tmp_path, None)
    with pytest.raises(ConfigError, match="num"):
        load_sweep(argv[1])
    assert time.perf_counter() - start < 1.0


def test_design_size_arithmetic() -> None:
    grid = [SweepParam("a", low=0, high=1, num=10), SweepParam("b", values=(1, 2, 3))]
    assert design_size("grid", grid, None, False) == 30
    ints = [SweepParam("a", low=1, high=5, num=1000, integer=True)]
    assert design_size("grid", ints, None, False) <= 6
    d2 = [SweepParam("a", low=0, high=1), SweepParam("b", low=0, high=1)]
    assert design_size("sobol", d2, 64, False) == 64 * 5  # D = 2 parameters + the dummy
    assert design_size("sobol", d2, 64, True) == 64 * 8
    assert design_size("morris", d2, 10, False) == 40
    assert design_size("lhs", d2, 10, False) == 10


def test_memory_estimate_matches_the_benchmark() -> None:
    """docs/performance.md: 1M talent + 50k firm agents peak at 0.81-0.92 GB; the estimate may be
    cautious but not by more than a third."""
    from simulation.config import load_config

    cfg = load_config(None, ["scale.talent_agents=1000000", "scale.firm_agents=50000"])
    gb = limits.estimate_bytes(cfg) / 1e9
    assert 0.85 <= gb <= 1.25, gb


def test_available_memory_respects_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    have, where = limits.available_memory()
    assert have > 0 and where
    monkeypatch.setenv(limits.MEMORY_ENV, "2.5")
    assert limits.available_memory() == (2.5e9, f"{limits.MEMORY_ENV}=2.5")
    monkeypatch.setenv(limits.MEMORY_ENV, "lots")
    with pytest.raises(ConfigError, match=limits.MEMORY_ENV):
        limits.available_memory()


def test_short_echo() -> None:
    assert limits.short("abc") == "'abc'"
    text = limits.short("x" * 10_000_000)
    assert len(text) < 120 and "10,000,000 characters" in text


def test_source_of() -> None:
    assert limits.source_of("run.region", "a.toml", ["run.region=x"]) == "--set"
    assert limits.source_of("city_circle.corridors[0]", "a.toml", ["city_circle.corridors=[]"]) == "--set"
    assert limits.source_of("run.region", "a.toml", ["scale.talent_agents=5"]) == "a.toml"


def test_analyze_unknown_metric(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``analyze --metrics nosuch_final`` on a finished sweep: refused, nothing written."""
    f = write(
        tmp_path,
        "s.toml",
        "[sweep]\nreplicates = 2\n"
        + SMALL_SET
        + '[parameters]\n"talent.border_cost" = {values = [1.0, 2.0]}\n',
    )
    archive = tmp_path / "sw"
    assert cli.main(["sweep", str(f), "--executor", "serial", "--out", str(archive)]) == 0
    capsys.readouterr()
    line = _refused(
        ["analyze", str(archive), "--metrics", "gdp_final", "nosuch_final", "--out", "OUT"],
        tmp_path / "an",
        capsys,
    )
    assert "--metrics" in line and "'nosuch_final'" in line and "gdp" in line
    assert not (archive / "analysis").exists()
    line = _refused(
        ["analyze", str(archive), "--resamples", "1000000000", "--out", "OUT"], tmp_path / "an", capsys
    )
    assert "--resamples" in line


def test_good_input_still_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The checks accept what is fine: a small run with a corridor and a red line."""
    c = _config(
        tmp_path,
        "[scale]\ntalent_agents = 2000\nfirm_agents = 300\n"
        "[city_circle]\nenabled = true\nstart_year = 2020\n"
        'corridors = [{a = "wuhan", b = "ezhou", time_min = 30.0, km = 60.0}]\n'
        "[red_lines]\nenabled = true\nstart_year = 2020\nprotected_share = { wuhan = 0.2 }\n",
    )
    out = tmp_path / "ok"
    assert cli.main(["run", c, "--years", "2", "--out", str(out)]) == 0
    assert (out / "manifest.json").is_file()
