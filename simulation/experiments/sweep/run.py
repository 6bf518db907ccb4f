"""Running a sweep into its archive: check what the machine offers, create or find the archive
(:mod:`simulation.experiments.sweep.folder`), extend it, fill what other archives hold
(:mod:`simulation.experiments.sweep.grow`), run the rest (:mod:`simulation.experiments.sweep.exec`),
and close each session: index, per-point statistics, fan charts and ``summary.md``
(:mod:`simulation.report.sweep`), manifest.

A session holds the archive's lock (``.lock``, flock) throughout; every run file is written
atomically as its run finishes, so a killed session loses only the runs in flight, and the next
session with the same command resumes. ``runs.parquet`` is rebuilt from the run files at the end of
every session, so it is the same bytes whatever the executor, worker count or interruptions.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulation import archive as arc
from simulation.archive import provenance as schema
from simulation.config import apply_overrides, validate
from simulation.experiments.sweep import metrics as sm
from simulation.experiments.sweep import store as st
from simulation.experiments.sweep.exec import EXECUTORS, Outcome, check_cluster, execute, source_sha256
from simulation.experiments.sweep.folder import RESULTS_DIR, check_layout, create_archive, locate, locked, now
from simulation.experiments.sweep.grow import RunStore, extend_archive, fill_without_running
from simulation.experiments.sweep.spec import Sweep
from simulation.experiments.sweep.store import (
    BASELINES,
    DESIGN,
    FAILED,
    FLOWS,
    INDEX,
    PLOTS,
    POINTS,
    RUNS,
    STATUSES,
    SUMMARY,
    SWEEP_TOML,
)
from simulation.limits import check_memory, check_scheduler
from simulation.params import ConfigError
from simulation.report import sweep as rep

build_index = st.build_index  # module attributes, so that a test can stand in for them
_atomic_write = st.atomic_write
_archive_files = st.archive_files
_clean_tmp = st.clean_tmp


# ---------------------------------------------------------------------------- running
@dataclass
class SweepReport:
    """Outcome of :func:`run_sweep`.

    Attributes:
        path: the archive.
        resumed: an existing archive was continued (or extended).
        counts: runs (rows of runs.parquet) by status: ok, failed, pending.
        ran: runs finished in this session (ok or failed).
        failed_now: runs that failed in this session.
        skipped: distinct runs already complete before this session.
        copied: distinct runs copied from other sweep archives (same content key) instead of run.
        added: runs the extension added to the design (``--extend``).
        wall_time_s: seconds of this session.
        executor, workers: how this session ran.
        notes: news worth a line (code changed since the archive began, restarted workers, ...).
        interrupted: the session was stopped by Ctrl-C (the archive is resumable).
    """

    path: Path
    resumed: bool
    counts: dict[str, int]
    ran: int = 0
    failed_now: int = 0
    skipped: int = 0
    copied: int = 0
    added: int = 0
    wall_time_s: float = 0.0
    executor: str = "process"
    workers: int = 1
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        return self.counts.get("failed", 0) == 0 and self.counts.get("pending", 0) == 0


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: the archive at ``path`` was closed cleanly and is resumable."""

    def __init__(self, report: SweepReport) -> None:
        super().__init__(str(report.path))
        self.report = report


def _status(counts: dict[str, int]) -> str:
    if counts.get("pending", 0):
        return "incomplete"
    return "complete" if counts.get("failed", 0) == 0 else "failed-runs"


REWRITTEN = (INDEX, SUMMARY, FAILED, POINTS, PLOTS)
GROWING = (RUNS, BASELINES, FLOWS)


def preflight(sweep: Sweep, executor: str, workers: int, scheduler: str | None) -> None:
    """What the machine must offer before the archive folder is created: a reachable Dask
    scheduler (short timeout) whose every worker imports this very code (``check_cluster``), and
    memory for the runs held at once (local executors only; a running cluster's workers have their
    own)."""
    if scheduler:
        check_scheduler(scheduler)
        check_cluster(scheduler)
        return
    concurrent = 1 if executor == "serial" else max(1, min(workers, len(sweep.tasks)))
    cfg, swept = sweep.base_config, {}
    for path in ("scale.talent_agents", "scale.firm_agents"):
        if path in sweep.paths:  # the largest value of each: an upper bound
            swept[path] = int(pd.to_numeric(sweep.points[path]).max())
    if swept:
        cfg = validate(apply_overrides(cfg.model_dump(mode="json"), swept), str(sweep.file))
    fld = "parameters.scale.talent_agents" if swept else "scale.talent_agents"
    check_memory(cfg, str(sweep.file), concurrent, fld)


def _open(sweep: Sweep, path: Path, extend: bool, command: list[str], report: SweepReport) -> Sweep:
    """Under the lock: check the archive can be continued (and extend it); the sweep to run."""
    _clean_tmp(path)
    manifest = arc.read_manifest(path, "sweep")  # schema and digest: an edited manifest is refused
    check_layout(path, manifest)
    fixed = (SWEEP_TOML, DESIGN) if extend else ()
    problems = arc.resume_problems(path, manifest, rewritten=REWRITTEN + fixed, growing=GROWING)
    for rel in fixed:  # an extension rewrites these: they must still be what the manifest says
        if (path / rel).is_file() and arc.sha256_file(path / rel) != manifest["files"].get(rel):
            problems.insert(0, f"{rel}: sha256 differs from the manifest")
    if problems:  # resuming would seal the edits into a new manifest
        raise arc.ArchiveError(
            path, "files", f"cannot resume: {'; '.join(problems[:3])} (allowed: an archive whose "
            "files match its manifest; verify lists every difference; or a new --out)",
        )  # fmt: skip
    if extend:
        sweep, report.added = extend_archive(sweep, path, manifest, command)
        manifest = arc.read_manifest(path, "sweep")
    if manifest.get("code_sha256") != source_sha256():
        report.notes.append(
            "the model code changed since this archive began: runs already in it were "
            "made by the earlier code (see manifest.sessions)"
        )
    drift = schema.drift(manifest.get("distributions") or {}, schema.installed_distributions())
    if manifest.get("distributions") is not None and drift:
        report.notes.append(
            f"the installed distributions changed since this archive began: {', '.join(drift)}"
        )
    manifest["status"] = "running"
    manifest["updated"] = now()
    arc.write_manifest(path, manifest)
    return sweep


def _close(sweep: Sweep, path: Path, report: SweepReport, session: dict[str, Any], plots: bool) -> None:
    """End of a session (also after Ctrl-C): the index, per-point statistics, fan charts, summary
    and manifest, rebuilt from the files."""
    manifest = arc.read_manifest(path, "sweep")
    index = build_index(path, sweep.runs, sweep.metrics)
    _atomic_write(path / INDEX, arc.parquet_bytes(index))
    stats = sm.point_stats(index, sweep.paths, list(sweep.metrics), sweep.percentiles)
    _atomic_write(path / POINTS, arc.parquet_bytes(stats))
    fans: tuple[list[str], str] = ([], "")
    for old in (path / PLOTS).glob("fan_*.png"):
        old.unlink()
    if plots:
        try:
            fans = rep.write_fans(path, sweep, sweep.runs)
        except Exception as err:  # noqa: BLE001 - a chart must not cost the archive its index
            report.notes.append(f"fan charts not drawn: {type(err).__name__}: {err}")
    counts = {s: int((index["status"] == s).sum()) for s in STATUSES}
    report.counts = counts
    manifest.update(status=_status(counts), counts=counts, updated=now())
    manifest.setdefault("sessions", []).append(session)
    manifest["wall_time_s"] = round(sum(x.get("wall_time_s") or 0 for x in manifest["sessions"]), 3)
    summary = rep.summary_markdown(sweep, path, index, manifest, stats, fans)
    (path / SUMMARY).write_text(summary, encoding="utf-8")
    manifest["files"] = {rel: arc.sha256_file(path / rel) for rel in _archive_files(path)}
    arc.write_manifest(path, manifest)


def run_sweep(
    sweep: Sweep,
    out: Path | None = None,
    *,
    results_dir: Path = RESULTS_DIR,
    executor: str = "process",
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = False,
    command: list[str] | None = None,
    on_note: Callable[[str], None] | None = None,
    checked: bool = False,
    extend: Path | None = None,
    reuse: bool = True,
    reuse_from: tuple[Path, ...] | list[Path] = (),
    plots: bool = True,
) -> SweepReport:
    """Run (or resume, or extend) a sweep into its archive and return the report.

    Runs already in the archive (their run files exist) are skipped; failed runs are tried again.
    A run that another sweep archive under ``results_dir`` (or in a folder of ``reuse_from``) holds
    under the same content key is copied from there. Each finished run is written at once
    (atomically), each failure with its traceback; at the end (also after Ctrl-C, then raising
    :class:`SweepInterrupted`) ``runs.parquet``, ``point_stats.parquet``, the fan charts,
    ``summary.md`` and the manifest are rewritten.

    Args:
        sweep: from :func:`load_sweep`.
        out: see :func:`locate`.
        results_dir: where default archives go.
        executor: "process" (default), "dask" or "serial".
        workers: worker processes (process pool, Dask LocalCluster).
        scheduler: a running Dask scheduler's address (executor "dask").
        progress: a tqdm bar on stderr (runs done, failed, time left).
        command: recorded in the manifest (default ``sys.argv``).
        on_note: called with lines of news (default: printed to stderr).
        checked: :func:`preflight` was already called (scheduler, memory).
        extend: an existing sweep archive to grow by ``sweep`` (more replicates or points; its runs
            are kept and not run again), instead of ``out``.
        reuse: copy runs held by other sweep archives (same run id, model source, distributions).
        reuse_from: more folders of sweep archives to copy runs from (besides ``results_dir``).
        plots: draw the fan charts.

    Raises:
        ArchiveError: ``out`` holds another sweep or another kind of archive; another process is
            running this archive; ``extend`` is not a sweep archive or its files changed.
        ConfigError: the Dask scheduler cannot be reached; the runs held at once would not fit in
            memory; ``sweep`` cannot extend the archive (another design, base config, fewer runs).
    """
    if executor not in EXECUTORS:
        raise ConfigError("command line", "--executor", f"{executor!r} (allowed: {', '.join(EXECUTORS)})")
    command = list(sys.argv if command is None else command)
    if not checked:
        preflight(sweep, executor, workers, scheduler)  # before the archive folder exists
    if extend is not None:
        path, resumed = Path(extend), True
        arc.read_manifest(path, "sweep")
    else:
        path, resumed = locate(sweep, out, results_dir)
        if not resumed:
            create_archive(sweep, path, command)
    report = SweepReport(path=path, resumed=resumed, counts={}, executor=executor, workers=workers)
    sources = [Path(results_dir), *map(Path, reuse_from)] if reuse else []
    with locked(path):
        sweep = _open(sweep, path, extend is not None, command, report)
        _session(sweep, path, report, command, (executor, workers, scheduler),
                 sources, progress, on_note, plots)  # fmt: skip
    if report.interrupted:
        raise SweepInterrupted(report)
    return report


def _session(
    sweep: Sweep, path: Path, report: SweepReport, command: list[str], how: tuple[str, int, str | None],
    reuse: list[Path], progress: bool, on_note: Callable[[str], None] | None, plots: bool,
) -> None:  # fmt: skip
    """Run what the archive lacks and close the session (index, report, manifest)."""
    from tqdm import tqdm

    executor, workers, scheduler = how
    started, t0 = now(), time.perf_counter()
    emit = on_note or (lambda line: print(line, file=sys.stderr))
    store = RunStore(sweep, path)
    todo, report.skipped, report.copied = fill_without_running(store, reuse)
    local_code = source_sha256()
    bar = tqdm(total=len(todo), desc="sweep", unit="run", file=sys.stderr, disable=not progress,
               dynamic_ncols=True)  # fmt: skip
    bar.set_postfix_str("failed 0")

    def note(line: str) -> None:
        report.notes.append(line)
        if progress:
            bar.write(line, file=sys.stderr)
        else:
            emit(line)

    def on_outcome(o: Outcome) -> None:
        # workers of a running cluster may hold other code: refuse their results (local workers
        # import this very tree, so there the check would only catch edits made mid-sweep)
        if scheduler and o.ok and o.code_sha256 not in (None, local_code):
            error = (
                f"CodeMismatch: the worker's model code (sha256 {str(o.code_sha256)[:12]}) "
                f"differs from this sweep's ({local_code[:12]})"
            )
            o = Outcome(o.run_id, False, error=error, traceback=error + "\n", code_sha256=o.code_sha256)
        fail_file = path / FAILED / f"{o.run_id}.txt"
        wants_flows = sweep.flows and o.run_id in sweep.tasks
        if o.ok and wants_flows and o.flows is None:
            error = "NoFlows: the worker returned no flows table (a worker of an earlier version?)"
            o = Outcome(o.run_id, False, error=error, traceback=error + "\n", code_sha256=o.code_sha256)
        if o.ok and o.data is not None:
            store.write(o.run_id, st.read_raw(o.data), flows=st.read_raw(o.flows) if wants_flows else None)
            fail_file.unlink(missing_ok=True)
        else:
            report.failed_now += 1
            _atomic_write(fail_file, f"error: {o.error}\nrun_id: {o.run_id}\n\n{o.traceback or ''}".encode())
        report.ran += 1
        bar.update(1)
        bar.set_postfix_str(f"failed {report.failed_now}")

    try:
        execute(todo, executor=executor, workers=workers, scheduler=scheduler, on_outcome=on_outcome,
                on_note=note)  # fmt: skip
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        bar.close()
        report.wall_time_s = time.perf_counter() - t0
        env = schema.installed_distributions()
        session = {
            "started": started, "finished": now(), "executor": executor,
            "workers": None if scheduler else workers, "scheduler": scheduler, "ran": report.ran,
            "failed": report.failed_now, "skipped": report.skipped, "copied": report.copied,
            "added": report.added, "wall_time_s": round(report.wall_time_s, 3),
            "interrupted": report.interrupted, "code": arc.code_version(), "code_sha256": local_code,
            "distributions_sha256": schema.distributions_sha256(env), "command": command,
        }  # fmt: skip
        _close(sweep, path, report, session, plots)
