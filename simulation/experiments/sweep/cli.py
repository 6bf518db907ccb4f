"""The command line of sweeps: ``sweep``, ``verify`` of a sweep archive and ``analyze`` (parse ->
call one function -> print), and the executor options that ``optimise`` shares."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

from simulation import archive as arc
from simulation.experiments.sensitivity.analyze import METHODS, analyze
from simulation.experiments.sensitivity.output import write_analysis
from simulation.experiments.sensitivity.report import metric_sentence
from simulation.experiments.sweep import folder, grow
from simulation.experiments.sweep.exec import EXECUTORS
from simulation.experiments.sweep.folder import check_layout
from simulation.experiments.sweep.run import SweepInterrupted, preflight, run_sweep
from simulation.experiments.sweep.spec import Sweep, load_sweep, with_points
from simulation.experiments.sweep.store import DESIGN, FAILED
from simulation.experiments.sweep.verify import verify_sweep_archive
from simulation.limits import MAX_RESAMPLES, check_workers
from simulation.params import ConfigError

SWEEP_HELP = "run a parameter sweep (grid, random, LHS, Sobol, Morris) into a resumable archive"
ANALYZE_HELP = "sensitivity of a sweep's metrics to its parameters: Sobol or Morris indices, plots, summary"
VERIFY_SAMPLE_DEFAULT = 5


def _display(path: Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------- executor options
def add_executor_arguments(p: argparse.ArgumentParser) -> None:
    """``--executor process|dask|serial``, ``--workers N`` and ``--scheduler ADDR`` (``sweep``,
    ``optimise``); :func:`executor_choice` reads them."""
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


def executor_choice(args: argparse.Namespace) -> tuple[str, int]:
    """The executor and worker count the options name (default: a process pool, dask with
    ``--scheduler``; one worker per CPU); ConfigError for ``--scheduler`` with another executor."""
    executor = args.executor or ("dask" if args.scheduler else "process")
    if args.scheduler and executor != "dask":
        raise ConfigError(
            "command line",
            "--scheduler",
            f"given with --executor {executor} (allowed: only with --executor dask)",
        )
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    return executor, check_workers(workers)


# ---------------------------------------------------------------------------- sweep
def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``sweep``: FILE [--executor process|dask|serial] [--workers N] [--scheduler ADDR]
    [--out DIR] [--dry-run]."""
    p.add_argument("sweep", metavar="FILE", help="sweep file (TOML), e.g. configs/sweeps/smoke.toml")
    add_executor_arguments(p)
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
    check_layout(archive, manifest)
    grow.check_extendable(sweep, archive, manifest)
    return with_points(sweep, grow.extended_points(sweep, archive))


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run or resume a sweep; print the counts and ``archive: PATH`` last. Exit 0 when every run is
    ok, 1 when some failed (the archive keeps their tracebacks; re-running retries them).

    Raises:
        ConfigError, ArchiveError, RegionError: bad input (the CLI: exit code 2).
    """
    executor, workers = executor_choice(args)
    extend = getattr(args, "extend", None)
    if extend is not None and args.out is not None:
        raise ConfigError("command line", "--extend", "given with --out (allowed: one of them)")
    sweep = load_sweep(args.sweep, getattr(args, "set", None))
    for other in getattr(args, "reuse", None) or ():
        if not Path(other).is_dir():
            raise arc.ArchiveError(other, "--reuse", "no such folder (allowed: a folder of sweep archives)")
    if args.out is not None:
        arc.check_out(Path(args.out), archive_ok=True)
    grown = _extension_preview(sweep, Path(extend)) if extend is not None else None
    preflight(grown or sweep, executor, workers, args.scheduler)  # before anything is printed or created
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
            results_dir=folder.RESULTS_DIR,
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


# ---------------------------------------------------------------------------- verify
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


# ---------------------------------------------------------------------------- analyze
def add_analyze_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``analyze``: SWEEP_ARCHIVE [--method ...] [--metrics M ...] [--resamples N]
    [--surface P1,P2 ...] [--no-plots] [--out DIR]."""
    p.add_argument("archive", metavar="SWEEP_ARCHIVE", type=Path, help="a sweep archive folder")
    p.add_argument(
        "--method", choices=METHODS, default="auto",
        help="auto (default: the design's own), sobol, morris, delta (random/lhs) or grid",
    )  # fmt: skip
    p.add_argument(
        "--metrics", nargs="+", metavar="METRIC", default=None,
        help="metrics to analyse, e.g. gdp_final emissions_air_cum or any <model column>_<final|cum|"
        "mean|total|max|min> (default: those of runs.parquet)",
    )  # fmt: skip
    p.add_argument(
        "--resamples", type=int, default=500, help="bootstrap resamples for intervals (default 500)"
    )
    p.add_argument(
        "--surface", action="append", metavar="P1,P2", default=None,
        help="a response-surface plot of the fitted regression over two swept parameters (a path or its "
        "last part, e.g. border_cost,move_cost); repeatable",
    )  # fmt: skip
    p.add_argument("--no-plots", action="store_true", help="tables and summary only")
    p.add_argument(
        "--out", type=Path, default=None,
        help="analysis folder (new or empty; default: SWEEP_ARCHIVE/analysis, replaced)",
    )  # fmt: skip


def cmd_analyze(args: argparse.Namespace) -> int:
    """Analyse a sweep archive, print each metric's headline and ``archive: PATH`` (the analysis
    folder) last.

    Raises:
        ArchiveError: not a sweep archive, nothing to analyse, a bad option (exit code 2).
    """
    if not 10 <= args.resamples <= MAX_RESAMPLES:
        raise arc.ArchiveError(
            "command line", "--resamples", f"{args.resamples} (allowed: integer 10 to {MAX_RESAMPLES:,})"
        )
    if args.surface and args.no_plots:
        raise arc.ArchiveError("command line", "--surface", "draws a plot (allowed: without --no-plots)")
    t0 = time.perf_counter()
    a = analyze(args.archive, args.method, args.metrics, args.resamples, getattr(args, "surface", None))
    out = write_analysis(
        a, args.archive, args.out, plots=not args.no_plots, command=getattr(args, "argv", None)
    )
    print(
        f"analysed {args.archive}: {a.method}, {len(a.metrics)} metrics x {len(a.params)} parameters"
        f"{' + the dummy' if a.dummy else ''}, {len(a.runs)} runs, {time.perf_counter() - t0:.1f} s"
    )
    for note in a.notes:
        print(f"note: {note}")
    for x in a.metrics:
        n = len(a.warnings.get(x, []))
        more = f" [{n} convergence warning{'s' if n > 1 else ''} in summary.md]" if n else ""
        print(f"- {metric_sentence(a, x).replace('**', '').replace('`', '')}{more}")
    path = out.resolve()
    try:
        shown = str(path.relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    print(f"archive: {shown}")
    return 0
