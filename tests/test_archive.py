"""Tests for simulation.archive: contents, manifest, determinism, atomic writing, verify, list, show."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from simulation.archive.errors import ArchiveError
from simulation.archive.files import parquet_bytes, sha256_file
from simulation.archive.provenance import PACKAGES
from simulation.archive.run import list_archives, show_archive, verify_archive, write_archive
from simulation.config import load_config
from simulation.runner import RunResult, run_config

SMALL = ["scale.talent_agents=2000", "scale.firm_agents=300", "run.end_year=2022"]
REQUIRED = {
    "model.parquet": {"year", "gdp", "population", "talent", "firms", "emissions_air", "emissions_water"},
    "cities.parquet": {
        "year", "city", "gdp", "population", "talent", "firms", "emissions_air",
        "emissions_water", "air_quality", "water_quality",
    },
    "flows.parquet": {"year", "kind", "origin", "destination", "count"},
}  # fmt: skip


@pytest.fixture(scope="module")
def result() -> RunResult:
    return run_config(load_config(None, SMALL), seed=11)


@pytest.fixture(scope="module")
def archive(result: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("arc") / "run"
    return write_archive(result, out, config_source="small.toml", command=["test"])


def test_runner_sets_the_seed_it_used(result: RunResult) -> None:
    assert result.seed == 11 and result.config.run.seed == 11
    assert set(result.tables) == {"model", "cities", "flows"}
    assert list(result.tables["model"]["year"]) == [2019, 2020, 2021, 2022]
    assert {"a", "b", "mode"} <= set(result.edges.columns) and len(result.edges) > 0


def test_archive_has_every_file_with_the_minimum_columns(archive: Path) -> None:
    for name in ("manifest.json", "config.toml", "summary.md", *REQUIRED):
        assert (archive / name).is_file(), name
    assert {p.name for p in (archive / "plots").glob("*.png")} >= {"timeseries.png", "map.png"}
    for name, cols in REQUIRED.items():
        df = pd.read_parquet(archive / name)
        assert cols <= set(df.columns), (name, cols - set(df.columns))
        assert len(df) > 0
    cities = pd.read_parquet(archive / "cities.parquet")
    assert cities.groupby("year").size().eq(31).all()
    assert {"migration", "relocation", "commute"} <= set(pd.read_parquet(archive / "flows.parquet")["kind"])
    assert not list(archive.parent.glob(".*partial*"))


def test_manifest_describes_the_run_and_hashes_every_file(archive: Path, result: RunResult) -> None:
    m = json.loads((archive / "manifest.json").read_text())
    assert m["schema_version"] == 2 and m["seed"] == 11 and len(m["run_id"]) == 16
    assert m["config"] == result.config.model_dump(mode="json")
    assert m["command"] == ["test"] and m["config_source"] == "small.toml"
    assert {"git_commit", "git_dirty"} <= set(m["code"])
    assert set(m["packages"]) == set(PACKAGES) and m["packages"]["pandas"]
    assert m["region"]["files_sha256"]["cities.csv"]
    on_disk = {p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file()}
    assert set(m["files"]) == on_disk - {"manifest.json"}
    for rel, digest in m["files"].items():
        assert sha256_file(archive / rel) == digest, rel


def test_config_toml_reruns_as_is(archive: Path, result: RunResult) -> None:
    cfg = load_config(archive / "config.toml")
    assert cfg == result.config and cfg.run.seed == 11


def test_parquet_bytes_are_deterministic(result: RunResult) -> None:
    for df in result.tables.values():
        assert parquet_bytes(df) == parquet_bytes(df.copy())
    again = run_config(load_config(None, SMALL), seed=11)
    for name, df in result.tables.items():
        assert parquet_bytes(df) == parquet_bytes(again.tables[name]), name


def test_summary_names_the_run_and_embeds_the_plots(archive: Path) -> None:
    text = (archive / "summary.md").read_text()
    for needle in ("seed: 11", "2019", "2022", "GDP", "PM2.5", "Fastest", "Slowest", "plots/map.png"):
        assert needle in text, needle


def test_verify_accepts_a_fresh_archive(archive: Path) -> None:
    report = verify_archive(archive)
    assert report.ok, report.lines()


def test_verify_names_missing_extra_and_changed_files(archive: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(archive, copy)
    (copy / "summary.md").unlink()
    (copy / "extra.txt").write_text("x")
    data = bytearray((copy / "flows.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "flows.parquet").write_bytes(bytes(data))
    report = verify_archive(copy)
    assert not report.ok
    text = "\n".join(report.lines())
    assert "summary.md: missing" in text and "extra.txt: not listed" in text
    assert "flows.parquet" in text and report.rerun_differs == ["flows.parquet"]


def test_not_an_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="manifest.json"):
        verify_archive(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ArchiveError, match="unreadable"):
        show_archive(tmp_path)
    with pytest.raises(ArchiveError, match="no such folder"):
        verify_archive(tmp_path / "nope")


def test_out_new_or_empty_is_the_archive_else_holds_a_new_one(result: RunResult, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    inside = write_archive(result, busy, config_source=None)
    assert inside.parent == busy and (inside / "manifest.json").is_file()
    assert (busy / "keep.txt").read_text() == "mine"
    with pytest.raises(ArchiveError, match="is a file"):
        write_archive(result, busy / "keep.txt", config_source=None)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert write_archive(result, empty, config_source=None) == empty
    assert (empty / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy", "empty"]
    assert sorted(p.name for p in busy.iterdir()) == sorted(["keep.txt", inside.name])


def test_default_names_count_up(result: RunResult, tmp_path: Path) -> None:
    a = write_archive(result, None, config_source="configs/base.toml", results_dir=tmp_path)
    b = write_archive(result, None, config_source="configs/base.toml", results_dir=tmp_path)
    assert a.parent == tmp_path and a.name.endswith("-base-s11")
    if b.name[:15] == a.name[:15]:  # same second
        assert b.name == a.name + "-2"
    table = list_archives(tmp_path)
    assert list(table["name"]) == sorted([a.name, b.name])
    assert list(table.columns) == ["name", "created", "config", "seed", "years", "gdp_final"]
    assert table["seed"].tolist() == [11, 11] and table["years"].iloc[0] == "2019-2022"
    final_gdp = result.tables["model"]["gdp"].iloc[-1]
    assert table["gdp_final"].iloc[0] == pytest.approx(final_gdp)


def test_a_failure_while_writing_leaves_nothing(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulation import plots

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(plots, "plot_map", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_archive(result, tmp_path / "x", config_source=None)
    assert list(tmp_path.iterdir()) == []


def test_partial_folders_of_dead_writers_are_cleaned(result: RunResult, tmp_path: Path) -> None:
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    stale, mine = tmp_path / f".old.partial-{gone.pid}", tmp_path / f".new.partial-{os.getpid()}"
    for p in (stale, mine):
        p.mkdir()
    write_archive(result, tmp_path / "run", config_source=None)
    assert not stale.exists() and mine.exists()  # a live writer's folder is never touched
    assert list(list_archives(tmp_path)["name"]) == ["run"]


def test_show_archive(archive: Path) -> None:
    text = show_archive(archive)
    assert "run id:" in text and "seed: 11" in text and "# Run run" in text
