"""A real Dask cluster: ``dask scheduler`` and ``dask worker`` started as separate processes from
the project folder (the recipe of docs/sweeps.md), without PYTHONPATH, so that the worker finds the
model through the installed package alone.

- a small sweep on it gives run files bit-identical to the process pool's;
- a worker whose code differs (a patched copy of the sources first on its path) or that cannot
  import the model is refused by the pre-flight: exit 2, one line naming the worker and both code
  identities, no archive folder, no run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulation.experiments.sweep.run import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.workers import code_identity, identity_text

ROOT = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).with_name("dask")
START_TIMEOUT_S = 90
SWEEP = """
[sweep]
name = "cluster"
design = "grid"
replicates = 2
seed = 5

[set]
"scale.talent_agents" = 1500
"scale.firm_agents" = 200
"run.end_year" = 2021

[parameters]
"talent.border_cost" = { values = [0.6, 1.4] }
"""

pytestmark = pytest.mark.skipif(not DASK.exists(), reason="the dask command is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without PYTHONPATH (the package must import on its own), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return env | extra


def stop(proc: subprocess.Popen) -> None:
    """End a process this test started (and its children: ``dask worker`` runs a nanny)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)
            proc.wait(timeout=20)


def wait_for_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dask scheduler exited ({proc.returncode}): {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    pytest.fail(f"dask scheduler did not listen on {port} within {START_TIMEOUT_S} s")


def wait_for_workers(address: str, n: int, procs: list[subprocess.Popen], log: Path) -> None:
    from distributed import Client

    with Client(address, timeout="30s") as client:
        deadline = time.monotonic() + START_TIMEOUT_S
        while len(client.nthreads()) < n:
            if any(p.poll() is not None for p in procs):
                pytest.fail(f"dask worker exited: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no dask worker joined within {START_TIMEOUT_S} s: {log.read_text()[-2000:]}")
            time.sleep(0.2)


@contextlib.contextmanager
def cluster(tmp: Path, worker_env: dict[str, str] | None = None) -> Iterator[str]:
    """``dask scheduler`` and one ``dask worker`` (1 process, 1 thread) started in the project
    folder on free loopback ports; yields the scheduler's address; both are ended afterwards."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    slog, wlog = tmp / "scheduler.log", tmp / "worker.log"
    try:
        with slog.open("wb") as out:
            procs.append(subprocess.Popen(
                [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                cwd=ROOT, env=clean_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            ))  # fmt: skip
        wait_for_port(port, procs[0], slog)
        with wlog.open("wb") as out:
            procs.append(subprocess.Popen(
                [str(DASK), "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                 "--host", "127.0.0.1"],
                cwd=ROOT, env=worker_env or clean_env(), stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            ))  # fmt: skip
        wait_for_workers(address, 1, procs, wlog)
        yield address
    finally:
        for p in reversed(procs):
            stop(p)


def run_files(path: Path) -> dict[str, bytes]:
    """Every Parquet file of a sweep archive but its run table and indexes, by relative path (the
    selection of ../shared/checks/12-research)."""
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*.parquet"))
        if p.name != "runs.parquet" and not p.name.startswith("index")
    }


def sweep_cli(sweep_file: Path, address: str, out: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "run.py", "sweep", str(sweep_file), "--executor", "dask", "--scheduler", address,
           "--out", str(out)]  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=300)


def patched_copy(tmp: Path, file: str, text: str) -> Path:
    """A copy of the packages (and uv.lock) with ``text`` appended to ``file``, for PYTHONPATH."""
    copy = tmp / "copy"
    for top in ("simulation", "agents"):
        shutil.copytree(ROOT / top, copy / top, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "uv.lock", copy / "uv.lock")
    with (copy / file).open("a", encoding="utf-8") as f:
        f.write(text)
    return copy


def test_a_real_cluster_runs_a_sweep_bit_identical_to_the_process_pool(tmp_path):
    f = tmp_path / "cluster.toml"
    f.write_text(SWEEP, encoding="utf-8")
    sweep = load_sweep(f)
    with cluster(tmp_path) as address:  # first: the code identity is taken as the worker takes its
        report = run_sweep(sweep, tmp_path / "dask", executor="dask", scheduler=address, reuse=False)
    assert report.complete and report.ran == 4, report
    pool = run_sweep(sweep, tmp_path / "pool", executor="process", workers=2, reuse=False)
    assert pool.complete and pool.ran == 4
    ref, got = run_files(tmp_path / "pool"), run_files(tmp_path / "dask")
    assert len(ref) >= 4 and got == ref
    table = "runs.parquet"
    assert (tmp_path / "dask" / table).read_bytes() == (tmp_path / "pool" / table).read_bytes()


@pytest.mark.parametrize(
    "file, text, expect",
    [
        ("simulation/params.py", "\n# a patched copy: other code\n", "runs other code"),
        ("simulation/model.py", "\nraise ImportError('broken on purpose')\n", "cannot import the model"),
        ("simulation/__init__.py", "\nraise ImportError('broken on purpose')\n", "cannot import the model"),
    ],
    ids=["other-code", "model-import-fails", "package-import-fails"],
)
def test_a_worker_with_other_code_is_refused_before_any_run(tmp_path, file, text, expect):
    f = tmp_path / "cluster.toml"
    f.write_text(SWEEP, encoding="utf-8")
    copy = patched_copy(tmp_path, file, text)
    out = tmp_path / "out"
    with cluster(tmp_path, worker_env=clean_env(PYTHONPATH=str(copy))) as address:
        done = sweep_cli(f, address, out)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expect in lines[0] and "tcp://127.0.0.1:" in lines[0] and "--scheduler" in lines[0]
    if expect == "runs other code":
        assert identity_text(code_identity()) in lines[0]  # ours, and the worker's beside it
        assert lines[0].count("code ") >= 3
    else:
        assert "broken on purpose" in lines[0]
    assert not out.exists()  # nothing written, not even an empty archive
    assert "archive:" not in done.stdout
