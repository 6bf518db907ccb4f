"""Sweep executors: serial, process pool and Dask give the same bits; a killed sweep or worker loses
nothing and duplicates nothing; a failing run does not stop the others."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from simulation.experiments.sweep.run import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.experiments.sweep.verify import verify_sweep_archive

ROOT = Path(__file__).resolve().parents[1]
BODY = """
[sweep]
design = "grid"
replicates = {replicates}
seed = 11

[set]
"scale.talent_agents" = 1500
"scale.firm_agents" = 200
"run.end_year" = {end_year}

[parameters]
"talent.border_cost" = {{ low = 0.5, high = 1.5, num = {num} }}
"""
DRIVER = (
    "import sys; from simulation import cli; from simulation.experiments.sweep import cli as sweep; "
    "cli.COMMANDS['sweep'] = cli.Command(sweep.SWEEP_HELP, sweep.add_sweep_arguments, sweep.cmd_sweep); "
    "raise SystemExit(cli.main(sys.argv[1:]))"
)


def sweep_file(tmp: Path, num: int, replicates: int, end_year: int = 2022, name: str = "s.toml") -> Path:
    p = tmp / name
    p.write_text(BODY.format(num=num, replicates=replicates, end_year=end_year), encoding="utf-8")
    return p


def files(path: Path) -> dict[str, bytes]:
    """Every run file and the run table, by name."""
    out = {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted((path / "runs").rglob("*.parquet"))}
    out["runs.parquet"] = (path / "runs.parquet").read_bytes()
    out["design.parquet"] = (path / "design.parquet").read_bytes()
    return out


def assert_whole(path: Path, n_runs: int) -> None:
    """All runs ok, each once, no temporary or half-written file anywhere."""
    idx = pd.read_parquet(path / "runs.parquet")
    assert len(idx) == n_runs and not idx.duplicated(["point", "replicate"]).any()
    assert (idx["status"] == "ok").all(), idx[["run_id", "status", "error"]]
    names = [p.relative_to(path).as_posix() for p in (path / "runs").rglob("*.parquet")]
    cells = zip(idx["point"], idx["replicate"], strict=True)
    assert sorted(names) == sorted(f"runs/point={p}/replicate={r}/part.parquet" for p, r in cells)
    assert not [p for p in path.rglob("*") if ".tmp-" in p.name or ".partial" in p.name]
    for p in (path / "runs").rglob("*.parquet"):
        pd.read_parquet(p)  # readable: whole


@pytest.fixture(scope="module")
def executors(tmp_path_factory):
    """The same 3-point x 2-replicate sweep run serially, by a 2-process pool and by a Dask
    LocalCluster of 2 worker processes."""
    tmp = tmp_path_factory.mktemp("executors")
    sweep = load_sweep(sweep_file(tmp, num=3, replicates=2))
    out = {}
    for name, kw in {
        "serial": {"executor": "serial"},
        "process": {"executor": "process", "workers": 2},
        "dask": {"executor": "dask", "workers": 2},
    }.items():
        report = run_sweep(sweep, tmp / name, **kw)
        assert report.complete and report.ran == 6
        out[name] = report.path
    return out


@pytest.mark.parametrize("name", ["process", "dask"])
def test_executors_give_identical_run_tables(executors, name):
    ref, got = files(executors["serial"]), files(executors[name])
    assert set(got) == set(ref)
    for key in ref:
        assert got[key] == ref[key], key


def test_each_session_records_its_executor(executors):
    import json

    for name, path in executors.items():
        m = json.loads((path / "manifest.json").read_text())
        assert m["sessions"][-1]["executor"] == name and m["status"] == "complete"


def test_failing_run_is_recorded_while_others_complete_in_a_process_pool(tmp_path):
    # a bad region is refused before the sweep starts (tests/test_limits.py); a region folder that
    # goes away after the check makes its runs fail in the workers
    import shutil

    from simulation.region import BUILTIN_REGIONS_DIR

    gone = tmp_path / "nowhere"
    shutil.copytree(BUILTIN_REGIONS_DIR / "middle_yangtze", gone)
    body = BODY.format(num=2, replicates=1, end_year=2022) + f'"run.region" = ["middle_yangtze", "{gone}"]\n'
    p = tmp_path / "fail.toml"
    p.write_text(body, encoding="utf-8")
    sweep = load_sweep(p)
    shutil.rmtree(gone)
    report = run_sweep(sweep, tmp_path / "out", executor="process", workers=2)
    assert report.counts == {"ok": 2, "failed": 2, "pending": 0} and report.failed_now == 2
    idx = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    for rid in idx.loc[idx["status"] == "failed", "run_id"]:
        text = (tmp_path / "out" / "failed" / f"{rid}.txt").read_text()
        assert "RegionError" in text and "Traceback (most recent call last)" in text and "nowhere" in text


def _spawned_workers(pid: int, since: float = 0.0) -> list[psutil.Process]:
    """The pool's worker processes: spawned ones, or those forked from the forkserver (children of
    the server, which shares their command line). ``since`` (a ``time.time()``) leaves out
    processes started before it: in the full suite, pools of earlier tests (the dashboard's spawned
    pool, idle but alive) are children of the pytest process too."""
    out = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            line = " ".join(child.cmdline())
            parent = child.parent()
            forked = "forkserver" in line and parent is not None and parent.pid != pid
            if ("spawn_main" in line or forked) and child.create_time() >= since:
                out.append(child)
        except psutil.Error:
            pass
    return out


def _wait_for_runs(path: Path, n: int, proc: subprocess.Popen | None = None, timeout: float = 300) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        k = len(list((path / "runs").rglob("*.parquet"))) if (path / "runs").is_dir() else 0
        if k >= n:
            return k
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the sweep ended early: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError("timed out waiting for runs")


def test_sigkill_of_the_sweep_then_rerun_finishes_without_duplicates(tmp_path):
    n = 16
    p = sweep_file(tmp_path, num=8, replicates=2, end_year=2023)
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", DRIVER, "sweep", str(p), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_runs(out, 2, proc)
        workers = _spawned_workers(proc.pid)
        assert len(workers) == 2
        os.kill(proc.pid, signal.SIGKILL)
        _, alive = psutil.wait_procs(workers, timeout=30)
        for w in alive:
            w.kill()
        assert not alive, "orphaned workers must end on their own"
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    done_at_kill = len(list((out / "runs").rglob("*.parquet")))
    assert done_at_kill < n, "the sweep finished before it was killed: make it longer"
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    last = again.stdout.strip().splitlines()
    assert last[-1] == f"archive: {out}" and f"skipped {done_at_kill} complete" in last[-2]
    assert_whole(out, n)
    v = verify_sweep_archive(out, sample=2)
    assert v.ok, v.lines()


def test_sigkill_of_one_worker_does_not_stop_or_hang_the_sweep(tmp_path):
    n = 12
    sweep = load_sweep(sweep_file(tmp_path, num=6, replicates=2, end_year=2023))
    out = tmp_path / "out"
    killed: list[str] = []
    since = time.time() - 0.5  # create_time is rounded; this test's pool starts after this line

    def killer() -> None:
        try:
            _wait_for_runs(out, 1, timeout=300)
        except AssertionError:
            return
        for _ in range(200):
            workers = _spawned_workers(os.getpid(), since)
            if workers:
                done = len(list((out / "runs").rglob("*.parquet")))
                killed.append(f"pid {workers[0].pid} after {done} of {n} runs")
                workers[0].send_signal(signal.SIGKILL)
                return
            time.sleep(0.05)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    report = run_sweep(sweep, out, executor="process", workers=2)
    t.join(timeout=60)
    assert killed, "no worker was killed"
    assert report.complete and report.counts["ok"] == n
    assert any("worker process died" in note for note in report.notes), (killed, report.notes)
    assert_whole(out, n)
    v = verify_sweep_archive(out, sample=2)
    assert v.ok, v.lines()


def test_a_worker_dying_between_wait_and_submit_loses_no_run(tmp_path, monkeypatch):
    """The race behind a flaky SIGKILL test: a worker dies after ``wait`` returned a finished run
    and before the next submit, so ``submit`` itself raises BrokenProcessPool. The sweep must
    restart the pool, keep the task it was submitting and finish every run once."""
    from concurrent.futures.process import BrokenProcessPool

    from simulation.experiments.sweep import exec as sweep_exec

    real = sweep_exec.ProcessPoolExecutor
    state = {"submits": 0, "raised": False}

    class DiesOnThirdSubmit(real):
        def submit(self, fn, *args, **kwargs):
            state["submits"] += 1
            if state["submits"] == 4 and not state["raised"]:  # after the first runs finished
                state["raised"] = True
                raise BrokenProcessPool("planted: a worker died since the last wait")
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(sweep_exec, "ProcessPoolExecutor", DiesOnThirdSubmit)
    sweep = load_sweep(sweep_file(tmp_path, num=3, replicates=2))
    report = run_sweep(sweep, tmp_path / "out", executor="process", workers=2)
    assert state["raised"], "the planted failure never happened"
    assert report.complete and report.counts["ok"] == 6
    assert any("worker process died" in note for note in report.notes)
    assert_whole(tmp_path / "out", 6)


def test_a_running_dask_cluster_by_address(tmp_path, executors):
    """``--scheduler ADDR``: the runs go to an existing cluster and give the same bits."""
    from distributed import LocalCluster

    sweep = load_sweep(sweep_file(tmp_path, num=3, replicates=2))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:  # fmt: skip
        report = run_sweep(sweep, tmp_path / "out", executor="dask", scheduler=cluster.scheduler_address)
    assert report.complete and report.ran == 6
    assert any("Dask scheduler" in n for n in report.notes)
    assert files(tmp_path / "out") == files(executors["serial"])
