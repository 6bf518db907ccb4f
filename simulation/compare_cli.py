"""``run.py compare``: its arguments, the checks made before any run, and the handler.

Parse -> :func:`simulation.experiments.compare.compare` -> write the archive
(:func:`simulation.report.compare_archive.write_compare_archive`) -> print the cluster effects and
``archive: PATH`` last. :func:`add_compare_arguments` (or :func:`add_compare_command` for a
subparsers object) and :func:`cmd_compare` are what the CLI registers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from simulation.archive.paths import check_out, display
from simulation.config import load_config
from simulation.experiments.compare import check_counts, check_pairable, compare
from simulation.report.compare import cluster_sentences
from simulation.report.compare_archive import write_compare_archive

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"


def add_compare_arguments(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``compare`` to a (sub)parser: BASE SCENARIO [--replicates N] [--seed S]
    [--set KEY=VALUE ...] [--workers N] [--out DIR]."""
    p.add_argument("base", metavar="BASE", help="base config (TOML), e.g. configs/baseline.toml")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario config (TOML)")
    p.add_argument("--replicates", type=int, default=10, help="paired replicates, >= 2 (default 10)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the base config's run.seed)")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a setting on both sides, e.g. scale.talent_agents=20000 (repeatable)",
    )  # fmt: skip
    p.add_argument("--workers", type=int, default=1, help="processes (results do not depend on it)")
    p.add_argument("--out", type=Path, default=None, help="archive folder (new or empty; default: results/)")


COMPARE_HELP = "paired what-if: SCENARIO vs BASE over replicates with common random numbers"


def add_compare_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``compare`` on an argparse subparsers object; the handler is ``args.func = cmd_compare``."""
    p = subparsers.add_parser(
        "compare",
        help=COMPARE_HELP,
        description=(
            "Run BASE and SCENARIO with the same seeds (common random numbers) for several replicates "
            "and report the mean difference with a 95%% confidence interval, per metric and per city. "
            "Prints 'archive: PATH' last."
        ),
    )
    add_compare_arguments(p)
    p.set_defaults(func=cmd_compare)
    return p


def cmd_compare(args: argparse.Namespace) -> int:
    """Run the comparison, write its archive, print the cluster effects and ``archive: PATH`` last.

    Raises:
        ConfigError, RegionError, ArchiveError (all ValueError): bad input (the CLI: exit code 2).
    """
    sets = list(getattr(args, "set", None) or [])
    check_counts(args.replicates, args.workers)
    if args.out is not None:
        check_out(Path(args.out))  # fail before hours of simulation, not after
    base_cfg = load_config(args.base, sets)
    scen_cfg = load_config(args.scenario, sets)
    check_pairable(base_cfg, scen_cfg, str(args.scenario))
    seed = base_cfg.run.seed if args.seed is None else int(args.seed)
    progress = sys.stderr.isatty()  # like the other commands: a bar only when a person watches
    result = compare(base_cfg, scen_cfg, args.replicates, seed, progress=progress, workers=args.workers)
    path = write_compare_archive(
        result, args.out, args.base, args.scenario, results_dir=RESULTS_DIR,
        command=getattr(args, "argv", None),
    )  # fmt: skip
    print(
        f"compared {args.scenario} with {args.base}: {result.replicates} replicates, root seed "
        f"{result.root_seed}, {result.wall_time_s:.1f} s"
    )
    for line in cluster_sentences(result):
        print(f"- {line}")
    print(f"archive: {display(path)}")
    return 0
