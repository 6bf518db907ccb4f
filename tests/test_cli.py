"""Tests for the command line: smoke runs in real processes, exit codes and one-line errors in-process."""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from simulation import cli
from simulation.cli import main
from simulation.region import BUILTIN_REGIONS_DIR

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--set", "scale.talent_agents=2000", "--set", "scale.firm_agents=300", "--years", "3"]
TABLES = ("model.parquet", "cities.parquet", "flows.parquet")


def run_py(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def archive_line(stdout: str) -> Path:
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("archive: "), stdout
    path = Path(last.removeprefix("archive: "))
    return path if path.is_absolute() else ROOT / path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "base.toml"
    path.write_text('[run]\nseed = 42\nregion = "middle_yangtze"\n')
    return path


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # default-named archives of in-process runs go to a temp folder, not the project's results/
    monkeypatch.setattr(cli, "RESULTS", tmp_path / "results")


# ---------------------------------------------------------------------------- real processes
def test_two_processes_same_seed_give_identical_tables(config: Path, tmp_path: Path) -> None:
    paths = []
    for name in ("a", "b"):
        done = run_py("run", str(config), "--seed", "5", *SMALL, "--out", str(tmp_path / name))
        assert done.returncode == 0, done.stderr
        paths.append(archive_line(done.stdout))
    assert paths == [tmp_path / "a", tmp_path / "b"]
    for name in TABLES:
        assert sha(paths[0] / name) == sha(paths[1] / name), name


def test_verify_passes_then_names_a_changed_byte(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "a"
    assert main(["run", str(config), *SMALL, "--out", str(out)]) == 0
    done = run_py("verify", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verified:" in done.stdout
    data = bytearray((out / "cities.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (out / "cities.parquet").write_bytes(bytes(data))
    done = run_py("verify", str(out))
    assert done.returncode == 1
    assert "cities.parquet" in done.stdout
    assert "model.parquet" not in done.stdout and "flows.parquet" not in done.stdout


def test_a_killed_run_leaves_no_archive(config: Path, tmp_path: Path) -> None:
    # stderr on a pseudo-terminal makes the run show its progress bar, which tells us when
    # the simulation (not the imports or the model build) is under way
    out = tmp_path / "killed"
    big = ["--set", "scale.talent_agents=400000", "--set", "scale.firm_agents=20000"]
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a bar needs columns
    proc = subprocess.Popen(
        [sys.executable, "run.py", "run", str(config), *big, "--out", str(out)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=slave,
    )  # fmt: skip
    os.close(slave)
    seen, deadline = b"", time.monotonic() + 60
    try:
        while b"simulating" not in seen and time.monotonic() < deadline and proc.poll() is None:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    seen += os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
        assert b"simulating" in seen, seen.decode(errors="replace")
        time.sleep(0.5)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["base.toml"]


def test_bad_input_in_a_real_process_is_one_line_exit_2(tmp_path: Path) -> None:
    done = run_py("run", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")
    assert "missing.toml" in done.stderr and not (tmp_path / "o").exists()


# ---------------------------------------------------------------------------- in-process
def test_run_prints_the_archive_last(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(config), *SMALL, "--seed", "9"]) == 0
    path = archive_line(capsys.readouterr().out)
    assert path.parent == tmp_path / "results" and path.name.endswith("-base-s9")
    model = pd.read_parquet(path / "model.parquet")
    assert model["year"].tolist() == [2019, 2020, 2021, 2022]
    assert "seed = 9" in (path / "config.toml").read_text()


def test_no_subcommand_runs_the_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not cli.BASELINE.is_file():
        pytest.skip("configs/baseline.toml not written yet")
    assert main([*SMALL, "--out", str(tmp_path / "base")]) == 0
    out = capsys.readouterr().out
    assert archive_line(out) == tmp_path / "base"
    assert "baseline.toml" in (tmp_path / "base" / "manifest.json").read_text()


def _corrupt(fname: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / fname
        change(pd.read_csv(path)).to_csv(path, index=False)

    return apply


def _unknown_city(df: pd.DataFrame) -> pd.DataFrame:
    df.loc[0, "a"] = "atlantis"
    return df


def _cut_off(df: pd.DataFrame) -> pd.DataFrame:
    return df[(df["a"] != "jingdezhen") & (df["b"] != "jingdezhen")]


BAD_REGIONS = {
    "unknown city": (_corrupt("links.csv", _unknown_city), "atlantis"),
    "disconnected": (_corrupt("links.csv", _cut_off), "graph"),
    "missing column": (_corrupt("cities.csv", lambda d: d.drop(columns=["lat"])), "lat"),
}
BAD_SETS = {
    "unknown key": (["--set", "scale.nope=1"], "scale.nope"),
    "wrong type": (["--set", 'scale.talent_agents="abc"'], "scale.talent_agents"),
    "out of range": (["--set", "run.end_year=1800"], "run.end_year"),
    "no equals sign": (["--set", "scale.talent_agents"], "scale.talent_agents"),
    "bad seed": (["--seed", "x"], "--seed"),
    "unknown flag": (["--bogus"], "--bogus"),
    "zero years": (["--years", "0"], "--years"),
}


def _assert_one_line_exit_2(code: int, err: str, field: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert field in lines[0], (field, lines[0])


@pytest.mark.parametrize("case", list(BAD_SETS))
def test_bad_options_exit_2_writing_nothing(
    case: str, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args, field = BAD_SETS[case]
    code = main(["run", str(config), *SMALL, *args, "--out", str(tmp_path / "o")])
    _assert_one_line_exit_2(code, capsys.readouterr().err, field)
    assert not (tmp_path / "o").exists() and not (tmp_path / "results").exists()


@pytest.mark.parametrize("case", list(BAD_REGIONS))
def test_bad_region_exits_2_writing_nothing(
    case: str, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt, field = BAD_REGIONS[case]
    region = tmp_path / "region"
    shutil.copytree(BUILTIN_REGIONS_DIR / "middle_yangtze", region)
    corrupt(region)
    args = ["run", str(config), *SMALL, "--set", f'run.region="{region}"', "--out", str(tmp_path / "o")]
    _assert_one_line_exit_2(main(args), capsys.readouterr().err, field)
    assert not (tmp_path / "o").exists()


def test_missing_config_and_out_a_file_exit_2(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _assert_one_line_exit_2(main(["run", str(tmp_path / "nope.toml")]), capsys.readouterr().err, "nope.toml")
    busy = tmp_path / "busy.txt"
    busy.write_text("keep")
    _assert_one_line_exit_2(
        main(["run", str(config), *SMALL, "--out", str(busy)]), capsys.readouterr().err, "--out"
    )
    assert busy.read_text() == "keep"
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["frobnicate"], "COMMAND"),
        (["run"], "CONFIG"),
        (["verify", "/no/such/archive"], "archive"),
        (["show", "."], "manifest.json"),
        (["list", "/no/such/folder"], "DIR"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], field: str, capsys: pytest.CaptureFixture[str]) -> None:
    _assert_one_line_exit_2(main(argv), capsys.readouterr().err, field)


def test_list_and_show(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    assert "no archives" in capsys.readouterr().out
    for seed in ("1", "2"):
        assert main(["run", str(config), *SMALL, "--seed", seed]) == 0
    capsys.readouterr()
    (tmp_path / "results" / ".x.partial-1").mkdir()
    assert main(["list"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == 3 and "seed" in rows[0] and "partial" not in "".join(rows)
    first = sorted((tmp_path / "results").glob("2*"))[0]
    assert main(["show", str(first)]) == 0
    text = capsys.readouterr().out
    assert "run id:" in text and "## Headline" in text


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def _bad_outs(tmp: Path) -> dict[str, Path]:
    archive = tmp / "old"
    archive.mkdir()
    (archive / "manifest.json").write_text("{}")
    (tmp / "file").write_text("x")
    return {
        "under a file": tmp / "file" / "x",
        "an existing archive": archive,
        "inside an archive": archive / "sub",
        "a name over 255 bytes": tmp / ("a" * 300),
    }


@pytest.mark.parametrize("case", ["under a file", "an existing archive", "inside an archive",
                                  "a name over 255 bytes"])  # fmt: skip
@pytest.mark.parametrize("command", ["run", "compare"])
def test_bad_out_is_refused_before_any_work(command, case, tmp_path, capsys, monkeypatch):
    def no_model(*_a, **_k):
        raise AssertionError("a model was built before the output path was checked")

    import simulation.experiments.compare
    import simulation.runner

    monkeypatch.setattr(simulation.runner, "MiddleYangtzeModel", no_model)
    monkeypatch.setattr(simulation.experiments.compare, "MiddleYangtzeModel", no_model)
    out = _bad_outs(tmp_path)[case]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    args = ["configs/baseline.toml"] if command == "run" else ["configs/baseline.toml"] * 2
    assert main([command, *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out" in err[0] and "Traceback" not in err[0]
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written
