"""Running a sweep into its archive: create or find the archive, extend it, fill what other
archives hold, run the rest, and close each session (index, per-point statistics, report,
manifest). See :mod:`simulation.sweep` for the sweep file and the archive layout, and
:mod:`simulation.sweep_store` for the files.

A session holds the archive's lock (``.lock``, flock) throughout; every run file is written
atomically as its run finishes, so a killed session loses only the runs in flight, and the next
session with the same command resumes.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from simulation import archive as arc
from simulation import manifest as schema
from simulation import sweep_grow as grow
from simulation import sweep_metrics as sm
from simulation import sweep_report as rep
from simulation import sweep_store as st
from simulation.config import to_toml
from simulation.params import ConfigError
from simulation.sweep_exec import EXECUTORS, Outcome, execute, source_sha256
from simulation.sweep_grow import RunStore, fill_without_running
from simulation.sweep_store import (
    BASE_TOML,
    BASELINES,
    DESIGN,
    FAILED,
    FLOWS,
    INDEX,
    LOCK,
    PLOTS,
    POINTS,
    RUNS,
    STATUSES,
    SUMMARY,
    SWEEP_TOML,
)  # fmt: skip

if TYPE_CHECKING:
    from simulation.sweep import Sweep

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"
build_index = st.build_index  # module attributes, so that a test can stand in for them
_atomic_write = st.atomic_write
_archive_files = st.archive_files
_read_json = st.read_json
_clean_tmp = st.clean_tmp


def _version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_manifest(sweep: Sweep, command: list[str]) -> dict[str, Any]:
    """The manifest of a new sweep archive (status "running", no sessions yet)."""
    lock = arc.REPO_ROOT / "uv.lock"
    return {
        "schema_version": arc.SCHEMA_VERSION,
        "kind": "sweep",
        "layout": st.LAYOUT,
        "run_id": sweep.sweep_hash[:16],
        "sweep_hash": sweep.sweep_hash,
        "name": sweep.name,
        "description": sweep.description,
        "created": _now(),
        "updated": _now(),
        "status": "running",
        "command": command,
        "sweep_file": str(sweep.file),
        "config_source": str(sweep.base_file) if sweep.base_file else None,
        "sets": sweep.sets,
        "config": sweep.base_config.model_dump(mode="json"),
        "seed": sweep.seed,
        "design": sweep.design_info(),
        "counts": {s: 0 for s in STATUSES} | {"pending": len(sweep.tasks)},
        "code": arc.code_version(),
        "code_sha256": source_sha256(),
        "lock_sha256": arc.sha256_file(lock) if lock.is_file() else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {
            **arc.package_versions(),
            **{n: _version(n) for n in ("scipy", "SALib", "dask", "distributed")},
        },
        "sessions": [],
        "files": {},
    }


def default_sweep_path(results_dir: Path, stem: str) -> Path:
    """``results_dir/<UTC yyyymmdd-HHMMSS>-sweep-<stem>``, with -2, -3 ... if taken."""
    from simulation.archive import stamped_path

    return stamped_path(results_dir, f"sweep-{stem}")


def find_unfinished(parent: Path, sweep_hash: str) -> Path | None:
    """The most recently created sweep archive in ``parent`` of this sweep that is not complete."""
    found = []
    if Path(parent).is_dir():
        for p in Path(parent).iterdir():
            if p.name.startswith(".") or not p.is_dir():
                continue
            m = _read_json(p / arc.MANIFEST)
            if m and m.get("kind") == "sweep" and m.get("sweep_hash") == sweep_hash:
                if m.get("status") != "complete":
                    found.append((str(m.get("created") or ""), p.name, p))
    return max(found)[2] if found else None


def locate(sweep: Sweep, out: Path | None, results_dir: Path = RESULTS_DIR) -> tuple[Path, bool]:
    """Where the sweep's archive is, and whether it resumes an existing one.

    ``out`` holding a sweep archive: resume it if it is this sweep (else ArchiveError). ``out`` new
    or empty: a new archive there. ``out`` a folder of other things, or no ``out`` (then
    ``results_dir``): the most recent unfinished archive of this sweep in it, else a new one
    named ``<UTC time>-sweep-<file stem>``.
    """
    if out is not None:
        out = Path(out)
        arc.check_out(out, archive_ok=True)
        if (out / arc.MANIFEST).is_file():
            m = _read_json(out / arc.MANIFEST) or {}
            if m.get("kind") != "sweep":
                raise arc.ArchiveError(
                    out,
                    "--out",
                    f"holds a {m.get('kind') or 'run'} archive, not a sweep "
                    "(allowed: a sweep archive of the same sweep, or a new or empty folder)",
                )
            if m.get("sweep_hash") != sweep.sweep_hash:
                raise arc.ArchiveError(
                    out,
                    "--out",
                    f"holds a different sweep ({m.get('name')!r}, from "
                    f"{m.get('sweep_file')}) (allowed: the same sweep to resume it, --extend "
                    "ARCHIVE to add replicates or points to it, or a new or empty folder)",
                )
            return out, True
        if not out.exists() or not any(out.iterdir()):
            return out, False
        parent = out
    else:
        parent = Path(results_dir)
    found = find_unfinished(parent, sweep.sweep_hash)
    if found is not None:
        return found, True
    return default_sweep_path(parent, Path(sweep.file).stem), False


def design_bytes(sweep: Sweep) -> bytes:
    """``design.parquet``: the run rows (point, replicate, seed, run_id, parameters, the baseline's
    id for delta metrics) with the points' unit-cube coordinates."""
    design = sweep.runs.merge(sweep.points.drop(columns=sweep.paths), on="point", how="left")
    return arc.parquet_bytes(design)


def create_archive(sweep: Sweep, path: Path, command: list[str]) -> Path:
    """Create the archive folder with its fixed files, atomically (a hidden folder renamed into
    place), so that an archive with a manifest always has its design."""
    with arc.staging(path) as tmp:
        (tmp / RUNS).mkdir()
        (tmp / FAILED).mkdir()
        (tmp / SWEEP_TOML).write_text(sweep.text, encoding="utf-8")
        (tmp / BASE_TOML).write_text(to_toml(sweep.base_config), encoding="utf-8")
        (tmp / DESIGN).write_bytes(design_bytes(sweep))
        manifest = new_manifest(sweep, command)
        manifest["files"] = {rel: arc.sha256_file(tmp / rel) for rel in _archive_files(tmp)}
        arc.write_manifest(tmp, manifest)
    return path


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the archive's lock (``.lock``, flock) for the block: one sweep process per archive. The
    lock goes with the process, however it ends."""
    fd = os.open(Path(path) / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise arc.ArchiveError(
            path,
            "archive",
            "another sweep process is running it (allowed: wait for it to finish, or another --out)",
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


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


def summary_markdown(
    sweep: Sweep, path: Path, index: pd.DataFrame, manifest: dict[str, Any],
    stats: pd.DataFrame | None = None, fans: tuple[list[str], str] = ([], ""),
) -> str:  # fmt: skip
    """What ran, the counts, the failures, per-point results and fan charts (:mod:`sweep_report`)."""
    return rep.summary_markdown(sweep, path, index, manifest, stats, fans)


def _status(counts: dict[str, int]) -> str:
    if counts.get("pending", 0):
        return "incomplete"
    return "complete" if counts.get("failed", 0) == 0 else "failed-runs"


REWRITTEN = (INDEX, SUMMARY, FAILED, POINTS, PLOTS)
GROWING = (RUNS, BASELINES, FLOWS)


def _extend(sweep: Sweep, path: Path, manifest: dict[str, Any], command: list[str]) -> tuple[Sweep, int]:
    """The archive's design grown by ``sweep`` (its points keep their numbers); the new design,
    sweep file and manifest written when anything was added. Returns the sweep and the runs added."""
    from simulation.sweep import with_points

    grow.check_extendable(sweep, path, manifest)
    grown = with_points(sweep, grow.extended_points(sweep, path))
    old = pd.read_parquet(path / DESIGN, columns=["point", "replicate", "run_id"])
    mine = grown.runs[["point", "replicate", "run_id"]]
    kept = old.merge(mine, on=["point", "replicate", "run_id"], how="inner")
    if len(kept) != len(old):  # cannot happen for a design that passed the checks above
        raise ConfigError(
            str(sweep.file), "parameters", "the extension would change runs already in the archive"
        )
    if grown.sweep_hash == manifest.get("sweep_hash"):
        return grown, 0
    st.atomic_write(path / SWEEP_TOML, sweep.text.encode("utf-8"))
    st.atomic_write(path / DESIGN, design_bytes(grown))
    manifest.setdefault("extensions", []).append({
        "at": _now(), "sweep_file": str(sweep.file), "command": command,
        "sweep_hash_before": manifest.get("sweep_hash"), "points_before": int(old["point"].nunique()),
        "points_after": len(grown.points), "runs_before": len(old), "runs_after": len(grown.runs),
    })  # fmt: skip
    manifest.update(sweep_hash=grown.sweep_hash, design=grown.design_info(), sweep_file=str(sweep.file),
                    name=grown.name, description=grown.description)  # fmt: skip
    for rel in (SWEEP_TOML, DESIGN):
        manifest["files"][rel] = arc.sha256_file(path / rel)
    arc.write_manifest(path, manifest)
    return grown, len(grown.runs) - len(old)


def _check_layout(path: Path, manifest: dict[str, Any]) -> None:
    if manifest.get("layout") != st.LAYOUT:
        raise arc.ArchiveError(
            path,
            "layout",
            f"{manifest.get('layout')!r}: written by an earlier version of the sweep storage (one file "
            f"per run id, runs/<id>.parquet) (allowed: layout {st.LAYOUT}; run the sweep into a new archive)",
        )


def _open(sweep: Sweep, path: Path, extend: bool, command: list[str], report: SweepReport) -> Sweep:
    """Under the lock: check the archive can be continued (and extend it); the sweep to run."""
    _clean_tmp(path)
    manifest = arc.read_manifest(path, "sweep")  # schema and digest: an edited manifest is refused
    _check_layout(path, manifest)
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
        sweep, report.added = _extend(sweep, path, manifest, command)
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
    manifest["updated"] = _now()
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
    manifest.update(status=_status(counts), counts=counts, updated=_now())
    manifest.setdefault("sessions", []).append(session)
    manifest["wall_time_s"] = round(sum(x.get("wall_time_s") or 0 for x in manifest["sessions"]), 3)
    (path / SUMMARY).write_text(summary_markdown(sweep, path, index, manifest, stats, fans), encoding="utf-8")
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
        from simulation.sweep import preflight

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
    started, t0 = _now(), time.perf_counter()
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
            "started": started, "finished": _now(), "executor": executor,
            "workers": None if scheduler else workers, "scheduler": scheduler, "ran": report.ran,
            "failed": report.failed_now, "skipped": report.skipped, "copied": report.copied,
            "added": report.added, "wall_time_s": round(report.wall_time_s, 3),
            "interrupted": report.interrupted, "code": arc.code_version(), "code_sha256": local_code,
            "distributions_sha256": schema.distributions_sha256(env), "command": command,
        }  # fmt: skip
        _close(sweep, path, report, session, plots)
