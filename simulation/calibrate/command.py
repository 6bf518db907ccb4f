"""``run.py calibrate``: its arguments, the checks made before any work, and the handler."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.calibrate import DEFAULT_BUDGET, DEFAULT_SEEDS, DEFAULT_TRAJECTORIES
from simulation.params import ConfigError

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "configs" / "baseline.toml"
RESULTS = ROOT / "results"
MAX_BUDGET = 10_000
MAX_SEEDS = 256
MAX_TRAJECTORIES = 100

CALIBRATE_HELP = (
    "fit the influential judgement parameters to 2019-2021 moments (Morris screening, then "
    "simulated method of moments)"
)


def add_calibrate_arguments(p: argparse.ArgumentParser) -> None:
    """[--config CONFIG] [--budget N] [--seeds R] [--trajectories T] [--workers N] [--seed S]
    [--set KEY=VALUE ...] [--out DIR]."""
    p.add_argument("--config", default=None, help="start config (default: configs/baseline.toml)")
    p.add_argument(
        "--budget",
        type=int,
        default=DEFAULT_BUDGET,
        help=f"model evaluations of the fit, each at R seeds (default {DEFAULT_BUDGET})",
    )
    p.add_argument(
        "--seeds",
        type=int,
        default=DEFAULT_SEEDS,
        help=f"seeds R averaged at every point, common to all points (default {DEFAULT_SEEDS})",
    )
    p.add_argument(
        "--trajectories",
        type=int,
        default=DEFAULT_TRAJECTORIES,
        help=f"Morris trajectories of the screening (default {DEFAULT_TRAJECTORIES})",
    )
    p.add_argument(
        "--parameters",
        default=None,
        metavar="NAMES",
        help="comma-separated candidates to screen and fit (default: all; see docs/calibration.md)",
    )
    p.add_argument("--workers", type=int, default=1, help="processes (results do not depend on it)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: run.seed of the config)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a start-config value, e.g. scale.talent_agents=20000 (repeatable)",
    )
    p.add_argument("--out", type=Path, default=None, help="archive folder (new or empty; default: results/)")
    # fmt: skip


def _count(value: int, low: int, high: int, field: str) -> None:
    if not low <= value <= high:
        raise ConfigError("command line", field, f"{value} (allowed: integer {low} to {high:,})")


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Check every input, run the calibration, write its archive, print the estimates and
    ``archive: PATH`` last.

    Raises:
        ConfigError, RegionError, ArchiveError: bad input (exit code 2, nothing written).
    """
    from simulation.archive.paths import check_out, display
    from simulation.calibrate.pipeline import chosen_candidates, run_calibration
    from simulation.calibrate.store import write_calibration_archive
    from simulation.calibrate.targets import Targets
    from simulation.config import load_config
    from simulation.limits import check_config, check_workers

    _count(args.budget, 1, MAX_BUDGET, "--budget")
    _count(args.seeds, 2, MAX_SEEDS, "--seeds")
    _count(args.trajectories, 1, MAX_TRAJECTORIES, "--trajectories")
    check_workers(args.workers)
    candidates = chosen_candidates(args.parameters)
    if args.seed is not None:
        _count(args.seed, 0, 2**63 - 1, "--seed")
    if args.out is not None:
        check_out(Path(args.out))
    source = args.config if args.config is not None else display(BASELINE)
    sets = list(args.set or [])
    if args.seed is not None:
        sets.append(f"run.seed={args.seed}")
    cfg = load_config(source, sets)
    check_config(cfg, str(source), args.set, concurrent=args.workers)
    Targets.load(cfg.run.region)  # a bad panel or targets file: refused before any run
    result = run_calibration(
        cfg, budget=args.budget, seeds=args.seeds, trajectories=args.trajectories,
        workers=args.workers, progress=sys.stderr.isatty(), candidates=candidates,
    )  # fmt: skip
    path = write_calibration_archive(result, args.out, results_dir=RESULTS, config_source=str(source),
                                     workers=args.workers, command=getattr(args, "argv", None))  # fmt: skip
    print_result(result)
    print(f"archive: {display(path)}")
    return 0


def print_result(result) -> None:
    s, c = result.stats, result.counts
    runs = sum(c.values())
    print(
        f"calibrated: {len(s['fitted'])} parameters on {int(result.tables['moments']['fitted'].sum())} "
        f"moments, {s['fit_evaluations']} of {result.budget} evaluations x {len(result.seeds)} seeds "
        f"({runs} runs, {result.wall_time_s:.0f} s); objective {s['objective_start']:.2f} -> "
        f"{s['objective_estimate']:.2f}"
    )
    for _, r in result.tables["parameters"].iterrows():
        if r["status"] == "fitted":
            print(f"- {r['parameter']}: {r['start']:.4g} -> {r['estimate']:.4g} (se {r['se']:.2g})")
    for _, r in result.tables["moments"].iterrows():
        if r["fitted"]:
            print(f"  {r['moment']}: target {r['target']:.2f}, model {r['model']:.2f} "
                  f"(se {r['model_se']:.2f})")  # fmt: skip
