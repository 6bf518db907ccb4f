"""The fault scenarios of issue 15 that had no test of their own, in real processes and with real
signals: SIGKILL of a run while it writes its archive, Ctrl-C (SIGINT) of a run mid-simulation and
Ctrl-C of a sweep (sent to the whole process group, as a terminal does). Each asserts that nothing
is half-written and that a rerun (or resume) completes and verifies.

The other three live beside the code they exercise: SIGKILL of a run mid-simulation
(tests/test_cli.py::test_a_killed_run_leaves_no_archive), SIGKILL of a sweep's main process then
resume and SIGKILL of one worker (tests/test_sweep_exec.py); the in-process Ctrl-C of a sweep is
tests/test_sweep.py::test_interrupted_sweep_is_closed_cleanly.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from simulation import cli
from simulation.archive.files import MANIFEST

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--set", "scale.talent_agents=1500", "--set", "scale.firm_agents=200"]

# Run the command line with a hook that prints a marker line and then waits, so that the test
# knows the process is at the point to be hit (no sleeps guessed from timings).
HOOKED = """
import sys, time
from simulation import cli, model, summary
where = sys.argv[1]
if where == "write":  # the tables are in the staging folder, the summary and manifest are not
    real = summary.summary_markdown
    def summary_markdown(*a, **k):
        print("MARK", flush=True); time.sleep(120); return real(*a, **k)
    summary.summary_markdown = summary_markdown
elif where == "step":  # the second simulated year
    real = model.MiddleYangtzeModel.step
    count = [0]
    def step(self):
        count[0] += 1
        if count[0] == 2:
            print("MARK", flush=True); time.sleep(120)
        return real(self)
    model.MiddleYangtzeModel.step = step
raise SystemExit(cli.main(sys.argv[2:]))
"""


def start(where: str, *argv: str, group: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOOKED, where, *argv], cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=group,
    )  # fmt: skip


def wait_for_mark(proc: subprocess.Popen[str], timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"ended before the mark: {proc.communicate()}")
        if select.select([proc.stdout], [], [], 0.2)[0]:
            line = proc.stdout.readline()
            if line.strip() == "MARK":
                return
    raise AssertionError("timed out waiting for the mark")


def verified(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> None:
    assert cli.main(["verify", str(path), *extra]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("verified: "), out


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "base.toml"
    path.write_text('[run]\nseed = 42\nregion = "middle_yangtze"\n')
    return path


def test_sigkill_while_writing_the_archive_leaves_only_a_hidden_leftover_that_a_rerun_cleans(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "archives"
    folder.mkdir()
    argv = ["run", str(config), *SMALL, "--years", "2", "--out", str(folder / "g")]
    proc = start("write", *argv)
    try:
        wait_for_mark(proc)
        partial = [p.name for p in folder.iterdir()]
        assert partial == [f".g.partial-{proc.pid}"], partial  # the tables are being written
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (folder / "g").exists()  # nothing half-written under the archive's name
    assert [p.name for p in folder.iterdir()] == [f".g.partial-{proc.pid}"]
    assert cli.main(["list", str(folder)]) == 0 and "no archives" in capsys.readouterr().out
    assert cli.main(argv) == 0  # the rerun writes the archive and removes the dead writer's leftover
    capsys.readouterr()
    assert [p.name for p in folder.iterdir()] == ["g"]
    verified(folder / "g", capsys)


def test_ctrl_c_of_a_run_mid_simulation_writes_nothing_and_a_rerun_verifies(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    argv = ["run", str(config), *SMALL, "--years", "3", "--out", str(out)]
    proc = start("step", *argv)
    try:
        wait_for_mark(proc)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (stdout, stderr)
    assert stderr.strip().splitlines() == ["error: interrupted: nothing written"], stderr
    assert "Traceback" not in stdout + stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.toml"]  # no archive, no leftover
    assert cli.main(argv) == 0
    capsys.readouterr()
    verified(out, capsys)


SWEEP = """
[sweep]
seed = 3
replicates = 2
[set]
"scale.talent_agents" = 1500
"scale.firm_agents" = 200
"run.end_year" = 2022
[parameters]
"talent.border_cost" = { values = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0] }
"""


def test_ctrl_c_of_a_sweep_closes_the_archive_and_the_resume_completes_and_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "s.toml"
    f.write_text(SWEEP)
    out = tmp_path / "s"
    argv = ["sweep", str(f), "--workers", "2", "--out", str(out)]
    proc = subprocess.Popen([sys.executable, "run.py", *argv], cwd=ROOT, text=True, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        end = time.monotonic() + 300
        while time.monotonic() < end and proc.poll() is None:
            if (out / "runs").is_dir() and len(list((out / "runs").rglob("*.parquet"))) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, f"the sweep ended before Ctrl-C: {proc.communicate()}"
        children = psutil.Process(proc.pid).children(recursive=True)
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C goes to the whole group
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stdout + stderr, stderr[-3000:]
    assert "interrupted:" in stdout and stdout.strip().splitlines()[-1] == f"archive: {out}"
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, "workers outlived the interrupted sweep"
    m = json.loads((out / MANIFEST).read_text())
    assert m["status"] == "incomplete" and m["sessions"][-1]["interrupted"]
    assert not list((out / "runs").rglob("*.tmp-*"))  # no half-written run file
    done = m["counts"]["ok"]
    assert 2 <= done < 12 and m["counts"]["pending"] == 12 - done
    assert cli.main(argv[:2] + ["--executor", "serial", "--out", str(out)]) == 0  # the resume
    text = capsys.readouterr().out
    assert f"skipped {done} complete" in text
    m = json.loads((out / MANIFEST).read_text())
    assert m["status"] == "complete" and m["counts"] == {"ok": 12, "failed": 0, "pending": 0}
    verified(out, capsys, "--sample", "2")
