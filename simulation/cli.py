"""The command line (design §6): ``uv run run.py [SUBCOMMAND] ...``.

A thin layer: parse -> call one library function -> print. Subcommands live in ``COMMANDS``
(name -> arguments + handler); add new ones there. Bad input of any kind prints exactly one line
``error: <file>: <field>: <message>`` on stderr and exits 2 before anything is written; unexpected
exceptions keep their traceback (exit 1). Every command that writes an archive prints
``archive: PATH`` as its last line on stdout.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from simulation.archive.errors import ArchiveError
from simulation.archive.manifest import check_files, read_manifest
from simulation.archive.paths import check_out, display
from simulation.archive.run import list_archives, show_archive, verify_archive, write_archive
from simulation.archive.verify import VerifyReport
from simulation.calibrate.command import CALIBRATE_HELP, add_calibrate_arguments, cmd_calibrate
from simulation.compare_cli import COMPARE_HELP, add_compare_arguments, cmd_compare
from simulation.config import Config, load_config
from simulation.dashboard import DASHBOARD_HELP, add_dashboard_arguments, cmd_dashboard
from simulation.experiments.compare_archive import verify_compare_archive
from simulation.experiments.discover_archive import (
    DISCOVER_HELP,
    add_discover_arguments,
    cmd_discover,
    cmd_verify_discover,
)
from simulation.experiments.optimise_archive import (
    OPTIMISE_HELP,
    add_optimise_arguments,
    cmd_optimise,
    cmd_verify_optimise,
)
from simulation.experiments.sweep.cli import (
    ANALYZE_HELP,
    SWEEP_HELP,
    add_analyze_arguments,
    add_sweep_arguments,
    add_verify_sample_argument,
    cmd_analyze,
    cmd_sweep,
    cmd_verify_sweep,
)
from simulation.experiments.validate.pipeline import BASELINE as VALIDATE_BASELINE
from simulation.experiments.validate.pipeline import (
    DEFAULT_REPLICATES,
    DEFAULT_SEEDS,
    load_scenarios,
    run_validation,
)
from simulation.experiments.validate.store import verify_validation_archive
from simulation.limits import cap_line, check_arguments, check_compare, check_config, config_source, relabel
from simulation.params import ConfigError
from simulation.region import RegionError
from simulation.report.validation_archive import write_validation_archive
from simulation.report.validation_text import estimate_text, literature_text
from simulation.runner import run_config

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "configs" / "baseline.toml"
RESULTS = ROOT / "results"
PROG = "run.py"


class UsageError(ValueError):
    """Bad command-line usage; one line 'file: field: message' like the other input errors."""

    def __init__(self, file: str, field: str, message: str) -> None:
        self.file, self.field, self.message = file, field, message
        super().__init__(f"{file}: {field}: {message}")


BAD_INPUT = (ConfigError, RegionError, ArchiveError, UsageError)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise UsageError (one line, exit 2) instead of printing usage."""

    def error(self, message: str) -> NoReturn:
        m = re.match(r"argument ([^:]+): (.*)", message)
        field, text = (m.group(1), m.group(2)) if m else ("arguments", message)
        raise UsageError("command line", field, f"{text} (see: {self.prog} --help)")


def one_line(err: Exception, limit: int = 300) -> str:
    """``file: field: message`` of a bad-input error, the file and the field cut to ``limit``
    characters each (a 100,000-character ``--set`` key still leaves room for the message)."""
    parts = [getattr(err, k, None) for k in ("file", "field", "message")]
    if not all(isinstance(x, str) for x in parts):
        return str(err)
    file, fld, message = (str(x) for x in parts)
    cut = [x if len(x) <= limit else f"{x[: limit - 1]}… ({len(x):,} characters)" for x in (file, fld)]
    return f"{cut[0]}: {cut[1]}: {message}"


def progress_wanted() -> bool:
    """Progress bars only when a person watches: stderr is a terminal."""
    return sys.stderr.isatty()


# ---------------------------------------------------------------------------- run
def add_run_options(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs a config: --seed, --years, --set."""
    p.add_argument("--seed", type=int, help="root random seed (default: run.seed of the config)")
    p.add_argument("--years", type=int, help="simulate N years: run.end_year = run.start_year + N")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a config value by dotted path, e.g. --set scale.talent_agents=100000 "
        "(TOML values; repeatable)",
    )  # fmt: skip


def resolve_config(path: str | Path | None, args: argparse.Namespace) -> Config:
    """Load ``path`` with the --set, --seed and --years options of ``args`` applied and validated."""
    sets = list(getattr(args, "set", None) or [])
    if getattr(args, "seed", None) is not None:
        sets.append(f"run.seed={args.seed}")
    cfg = load_config(path, sets)
    years = getattr(args, "years", None)
    if years is not None:
        if years < 1:
            raise UsageError("command line", "--years", f"must be at least 1, got {years}")
        cfg = load_config(path, [*sets, f"run.end_year={cfg.run.start_year + years}"])
    return cfg


def _args_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", metavar="CONFIG", help="config TOML file, e.g. configs/baseline.toml")
    add_run_options(p)
    p.add_argument("--out", type=Path, help="archive folder (new or empty; default: results/...)")


def cmd_run(args: argparse.Namespace) -> int:
    """Run one config and archive it."""
    cfg = resolve_config(args.config, args)
    check_config(cfg, str(args.config), args.set)  # region, lever cities, memory: before any work
    if args.out is not None:
        check_out(args.out)
    result = run_config(cfg, progress=progress_wanted())
    path = write_archive(result, args.out, config_source=args.config, results_dir=RESULTS, command=args.argv)
    m = result.tables["model"]
    g0, g1 = float(m["gdp"].iloc[0]) / 1e4, float(m["gdp"].iloc[-1]) / 1e4
    print(
        f"ran {args.config} seed {result.seed}: {cfg.run.start_year}-{cfg.run.end_year}, "
        f"GDP {g0:.2f} -> {g1:.2f} trillion yuan, {result.wall_time_s:.1f} s"
    )
    print(f"archive: {display(path)}")
    return 0


# ---------------------------------------------------------------------------- validate
VALIDATE_HELP = "stylized-facts report: the model against the literature over several seeds and what-ifs"


def add_validate_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``validate``: [--seeds N] [--replicates N] [--seed S] [--set KEY=VALUE ...]
    [--workers N] [--out DIR]."""
    p.add_argument(
        "--seeds", type=int, default=DEFAULT_SEEDS, help=f"baseline seeds, >= 2 (default {DEFAULT_SEEDS})"
    )
    p.add_argument(
        "--replicates",
        type=int,
        default=DEFAULT_REPLICATES,
        help="paired replicates per what-if (circles, transfer, integration, alliance), >= 2 "
        f"(default {DEFAULT_REPLICATES})",
    )
    p.add_argument("--seed", type=int, default=None, help="root seed (default: run.seed of the baseline)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting in the baseline and every what-if, e.g. scale.talent_agents=20000 "
        "(repeatable)",
    )
    p.add_argument(
        "--workers", type=int, default=1, help="processes for the what-ifs (results do not depend on it)"
    )
    p.add_argument("--out", type=Path, default=None, help="archive folder (new or empty; default: results/)")


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the validation, write its archive, print the facts and ``archive: PATH`` last.

    Raises:
        ConfigError, RegionError, ArchiveError (ValueErrors): bad input (the CLI: exit code 2).
    """
    if args.out is not None:
        check_out(Path(args.out))
    if args.seeds < 2:
        raise ConfigError("command line", "--seeds", f"{args.seeds} (allowed: integer >= 2)")
    if args.replicates < 2:
        raise ConfigError("command line", "--replicates", f"{args.replicates} (allowed: integer >= 2)")
    if args.workers < 1:
        raise ConfigError("command line", "--workers", f"{args.workers} (allowed: integer >= 1)")
    if args.seed is not None and args.seed < 0:
        raise ConfigError("command line", "--seed", f"{args.seed} (allowed: integer >= 0)")
    sets = list(getattr(args, "set", None) or [])
    base_cfg = load_config(VALIDATE_BASELINE, sets)
    scen_cfgs, sources = load_scenarios(sets)
    result = run_validation(
        base_cfg,
        scen_cfgs,
        args.seeds,
        args.replicates,
        args.seed,
        scenario_sources=sources,
        progress=progress_wanted(),
        workers=args.workers,
    )
    path = write_validation_archive(result, args.out, command=getattr(args, "argv", None))
    n_in = int(result.facts["in_range"].sum())
    print(
        f"validated: {len(result.seeds)} seeds, {result.replicates} replicates per what-if, "
        f"{result.wall_time_s:.0f} s; {n_in} of {len(result.facts)} facts in range"
    )
    for _, r in result.facts.iterrows():
        print(
            f"- {r['verdict']:>12}: {r['description']}: literature {literature_text(r)}, "
            f"model {estimate_text(r)} {r['unit']}"
        )
    print(f"archive: {display(path)}")
    return 0


# ---------------------------------------------------------------------------- verify, list, show
def _args_archive(p: argparse.ArgumentParser) -> None:
    p.add_argument("archive", metavar="ARCHIVE", type=Path, help="archive folder")


def _args_verify(p: argparse.ArgumentParser) -> None:
    _args_archive(p)
    add_verify_sample_argument(p)  # --sample N: runs of a sweep archive to re-run


def cmd_verify(args: argparse.Namespace) -> int:
    """Check the manifest (schema, digest) and the files, then re-run bit for bit; exit 1 naming
    each differing file (nothing is re-run when the files already differ), 2 for a manifest that
    cannot be trusted or a symlink in the archive."""
    if args.sample < 0:
        raise UsageError("command line", "--sample", f"{args.sample} (allowed: an integer >= 0)")
    manifest = read_manifest(args.archive)  # ArchiveError: schema, paths, digest
    kind = manifest.get("kind")
    problems = check_files(args.archive, manifest)  # ArchiveError: symlinks, special files
    if problems:
        for line in VerifyReport(args.archive, file_problems=problems).lines():
            print(line)
        print(f"NOT verified: {display(args.archive)} (files differ from the manifest: not re-run)")
        return 1
    if kind == "sweep":
        return cmd_verify_sweep(args)
    if kind in ("discover", "optimise"):
        return (cmd_verify_discover if kind == "discover" else cmd_verify_optimise)(args)
    if kind == "compare":
        report = verify_compare_archive(args.archive, progress=progress_wanted())
    elif kind == "validate":
        report = verify_validation_archive(args.archive, progress=progress_wanted())
    elif kind == "calibrate":
        from simulation.calibrate.store import verify_calibration_archive

        report = verify_calibration_archive(args.archive, progress=progress_wanted())
    else:
        report = verify_archive(args.archive, progress=progress_wanted())
    for note in report.notes:
        print(f"note: {note}")
    if report.ok:
        print(
            f"verified: {display(args.archive)} (files match the manifest; model, cities, flows "
            f"re-ran bit-identical in {report.wall_time_s:.1f} s)"
        )
        return 0
    for line in report.lines():
        print(line)
    print(f"NOT verified: {display(args.archive)}")
    return 1


def _args_list(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="DIR", nargs="?", type=Path, help="folder of archives (default: results/)")


def cmd_list(args: argparse.Namespace) -> int:
    """List the archives in a folder."""
    folder = args.dir if args.dir is not None else RESULTS
    if args.dir is not None and not folder.is_dir():
        raise ArchiveError(folder, "DIR", "no such folder")
    df = list_archives(folder)
    if df.empty:
        print(f"no archives in {display(folder)}")
        return 0
    df["gdp_final"] = df["gdp_final"].map(lambda x: "n/a" if x is None or x != x else f"{x:,.0f}")
    print(df.rename(columns={"gdp_final": "gdp_final_100m_yuan"}).to_string(index=False))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print an archive's manifest summary and summary.md."""
    print(show_archive(args.archive), end="")
    return 0


# ---------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, how it adds its arguments, and its handler (-> exit code)."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


# Add subcommands here (compare, sweep, analyze, dashboard, validate, ...). Handlers raise
# ConfigError / RegionError / ArchiveError / UsageError for bad input (exit 2) and return 0 or 1.
COMMANDS: dict[str, Command] = {
    "run": Command("run a config and write an archive", _args_run, cmd_run),
    "verify": Command("re-run an archive and compare bit for bit", _args_verify, cmd_verify),
    "list": Command("list archives", _args_list, cmd_list),
    "show": Command("show an archive's manifest and summary", _args_archive, cmd_show),
    "compare": Command(COMPARE_HELP, add_compare_arguments, cmd_compare),
    "dashboard": Command(DASHBOARD_HELP, add_dashboard_arguments, cmd_dashboard),
    "validate": Command(VALIDATE_HELP, add_validate_arguments, cmd_validate),
    "sweep": Command(SWEEP_HELP, add_sweep_arguments, cmd_sweep),
    "analyze": Command(ANALYZE_HELP, add_analyze_arguments, cmd_analyze),
    "discover": Command(DISCOVER_HELP, add_discover_arguments, cmd_discover),
    "optimise": Command(OPTIMISE_HELP, add_optimise_arguments, cmd_optimise),
    "calibrate": Command(CALIBRATE_HELP, add_calibrate_arguments, cmd_calibrate),
}


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Middle Yangtze city-cluster model. Without a subcommand: run "
        "configs/baseline.toml (options of 'run' apply).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, cmd in COMMANDS.items():
        cmd.add_arguments(sub.add_parser(name, help=cmd.help, description=cmd.help))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the subcommand, return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["run", display(BASELINE), *argv]  # no subcommand: the baseline
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("command line", "COMMAND", f"missing (allowed: {', '.join(COMMANDS)})")
        args.argv = [PROG, *argv]
        check_arguments(args)  # bounds on --workers, --replicates, --resamples
        if args.command == "compare":
            check_compare(args)
        return COMMANDS[args.command].handler(args)
    except BAD_INPUT as err:
        file, sets = config_source(locals().get("args"))
        err = relabel(err, file, sets) if file else err  # "<config>" from deep inside: name the file
        print(f"error: {cap_line(' '.join(one_line(err).split()))}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:  # an archive being written was removed on the way out
        print("error: interrupted: nothing written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
