"""The ``sweep`` command line and ``verify`` of sweep archives: parse -> call -> print."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from simulation import archive as arc
from simulation import sweep_grow as grow
from simulation.params import ConfigError
from simulation.sweep_exec import EXECUTORS
from simulation.sweep_run import SweepInterrupted, _check_layout, run_sweep
from simulation.sweep_store import DESIGN, FAILED
from simulation.sweep_verify import verify_sweep_archive

if TYPE_CHECKING:
    from simulation.sweep import Sweep

SWEEP_HELP = "run a parameter sweep (grid, random, LHS, Sobol, Morris) into a resumable archive"
VERIFY_SAMPLE_DEFAULT = 5


def _display(path: Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``sweep``: FILE [--executor process|dask|serial] [--workers N] [--scheduler ADDR]
    [--out DIR] [--dry-run]."""
    p.add_argument("sweep", metavar="FILE", help="sweep file (TOML), e.g. configs/sweeps/smoke.toml")
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default=None,
        help="process pool (default), dask (a LocalCluster, or --scheduler) or serial",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"worker processes (default: the CPU count, {os.cpu_count()})",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDR",
        default=None,
        help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the archive: resumed if it holds this sweep; default: the latest unfinished "
        "archive of this sweep under results/, else a new one",
    )
    p.add_argument(
        "--extend",
        type=Path,
        metavar="ARCHIVE",
        default=None,
        help="grow this sweep archive by the sweep file: more replicates, or more points (grid, random, "
        "sobol); its runs are kept and not run again",
    )
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a base config value by dotted path, over the file's [set], e.g. "
        "--set scale.talent_agents=20000 (TOML values; repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--reuse",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also copy runs from the sweep archives in DIR (default: those under results/ only; repeatable)",
    )
    p.add_argument(
        "--no-reuse",
        action="store_true",
        help="run every missing run here instead of copying runs that other sweep archives hold",
    )
    p.add_argument("--no-plots", action="store_true", help="no fan charts in the archive's report")
    p.add_argument(
        "--dry-run", action="store_true", help="check the sweep file, print the design, run nothing"
    )


def _extension_preview(sweep: Sweep, archive: Path) -> Sweep:
    """The grown sweep ``--extend ARCHIVE`` would run (read-only checks, before anything is written)."""
    manifest = arc.checked_manifest(archive, "sweep")
    _check_layout(archive, manifest)
    grow.check_extendable(sweep, archive, manifest)
    from simulation.sweep import with_points

    return with_points(sweep, grow.extended_points(sweep, archive))


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run or resume a sweep; print the counts and ``archive: PATH`` last. Exit 0 when every run is
    ok, 1 when some failed (the archive keeps their tracebacks; re-running retries them).

    Raises:
        ConfigError, ArchiveError, RegionError: bad input (the CLI: exit code 2).
    """
    from simulation import sweep as sw

    executor, workers = sw._executor(args)
    extend = getattr(args, "extend", None)
    if extend is not None and args.out is not None:
        raise ConfigError("command line", "--extend", "given with --out (allowed: one of them)")
    sweep = sw.load_sweep(args.sweep, getattr(args, "set", None))
    for folder in getattr(args, "reuse", None) or ():
        if not Path(folder).is_dir():
            raise arc.ArchiveError(folder, "--reuse", "no such folder (allowed: a folder of sweep archives)")
    if args.out is not None:
        arc.check_out(Path(args.out), archive_ok=True)
    grown = _extension_preview(sweep, Path(extend)) if extend is not None else None
    sw.preflight(grown or sweep, executor, workers, args.scheduler)  # before anything is printed or created
    if grown is not None and args.dry_run:
        old = pd.read_parquet(Path(extend) / DESIGN, columns=["point"])
        print(f"extend {_display(Path(extend))}: {old['point'].nunique()} -> {len(grown.points)} points, "
              f"{len(old)} -> {len(grown.runs)} runs")  # fmt: skip
        sweep = grown
    if args.dry_run:
        print(sweep.plan())
        for p in sweep.parameters:
            print(f"  {p.path}: {p.describe()}")
        show = sweep.runs.drop(columns=["run_id"]).head(10)
        print(show.to_string(index=False))
        if len(sweep.runs) > 10:
            print(f"  ... {len(sweep.runs) - 10} more runs")
        return 0
    where = (
        f"Dask scheduler {args.scheduler}"
        if args.scheduler
        else "serial"
        if executor == "serial"
        else f"{executor}, {workers} worker(s)"
    )
    print(f"{sweep.plan()}; {where}", flush=True)
    progress = sys.stderr.isatty()
    try:
        report = run_sweep(
            sweep,
            args.out,
            results_dir=sw.RESULTS_DIR,
            executor=executor,
            workers=workers,
            scheduler=args.scheduler,
            progress=progress,
            command=getattr(args, "argv", None),
            checked=True,
            extend=extend,
            reuse=not getattr(args, "no_reuse", False),
            reuse_from=tuple(getattr(args, "reuse", None) or ()),
            plots=not getattr(args, "no_plots", False),
        )
    except SweepInterrupted as stop:
        r = stop.report
        print(
            f"interrupted: {r.counts.get('ok', 0)} ok, {r.counts.get('failed', 0)} failed, "
            f"{r.counts.get('pending', 0)} pending; run the same command again to resume"
        )
        print(f"archive: {_display(r.path)}")
        return 130
    for line in report.notes:
        print(f"note: {line}")
    c = report.counts
    rate = report.ran / report.wall_time_s if report.wall_time_s > 0 else 0.0
    kind = "extended" if extend is not None else "resumed" if report.resumed else "new"
    print(
        f"{kind} archive: {c['ok']} ok, {c['failed']} failed, "
        f"{c['pending']} pending of {sum(c.values())} runs; this session ran {report.ran} "
        f"({report.failed_now} failed), "
        f"skipped {report.skipped} complete, copied {report.copied} from other archives"
        + (f", added {report.added} runs to the design" if extend is not None else "")
        + f", {report.wall_time_s:.1f} s ({rate:.2f} runs/s)"
    )
    if c["failed"]:
        print(f"failed runs: tracebacks in {_display(report.path / FAILED)}; run the same command to retry")
    print(f"archive: {_display(report.path)}")
    return 0 if report.complete else 1


def add_verify_sample_argument(p: argparse.ArgumentParser) -> None:
    """``--sample N`` for ``verify`` on a sweep archive."""
    p.add_argument(
        "--sample",
        type=int,
        default=VERIFY_SAMPLE_DEFAULT,
        help=f"sweep archives: re-run N random completed runs (default {VERIFY_SAMPLE_DEFAULT})",
    )


def cmd_verify_sweep(args: argparse.Namespace) -> int:
    """``verify`` for a sweep archive: print notes, problems and the verdict; exit 1 on any difference."""
    sample = getattr(args, "sample", None)
    report = verify_sweep_archive(
        Path(args.archive),
        VERIFY_SAMPLE_DEFAULT if sample is None else int(sample),
        progress=sys.stderr.isatty(),
    )
    for line in report.notes:
        print(f"note: {line}")
    if report.ok:
        print(
            f"verified: {_display(args.archive)} (files match the manifest; runs.parquet matches the run "
            f"files; sampled runs re-ran bit-identical in {report.wall_time_s:.1f} s)"
        )
        return 0
    for line in report.lines():
        print(line)
    print(f"NOT verified: {_display(args.archive)}")
    return 1
