"""``run.py optimise``: the optimisation archive, its summary, ``verify`` and the command line.

The archive (``results/<UTC time>-optimise-<spec name>/``)::

    manifest.json          kind "optimise"; the spec as data (levers, objectives, uncertainties,
                           budget, seed rule), root seed, resolved base config, runs made, provenance
    spec.toml              the spec file as given
    base.toml              the resolved base config (base + [set], run.seed = root seed)
    candidates.parquet     one row per candidate: candidate, generation, each lever's value and
                           unit coordinate (u:<path>), each objective, feasible, duplicate_of, on_front
    front.parquet          the Pareto front: the distinct feasible candidates no other dominates
    evaluations.parquet    one row per run: generation, candidate, scenario, replicate, seed, run_id,
                           status, error, each objective's metric in that run
    generations.parquet    one row per generation: candidates, feasible, front size so far, best
                           value of each objective so far
    scenarios.parquet      the uncertainty sample (robust specs; one empty scenario otherwise)
    plots/front.png, plots/progress.png, summary.md

``verify`` loads ``spec.toml`` with ``base.toml`` as its base, optimises again with the same seed and
compares every table bit for bit. Any one run can be re-made with ``run.py run base.toml --set ...``
from its row (levers from candidates.parquet, the scenario's values, ``--seed`` its seed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from simulation.archive.paths import check_out, display, resolve_out, stamped_path
from simulation.archive.provenance import code_notes
from simulation.archive.verify import VerifyReport, open_for_verify
from simulation.config import to_toml
from simulation.experiments import store
from simulation.experiments.optimise import Result, optimise
from simulation.experiments.optimise_spec import Spec, load_spec, probe_config
from simulation.experiments.sweep.cli import add_executor_arguments, executor_choice
from simulation.limits import check_memory, check_scheduler

OPTIMISE_HELP = "multi-objective search over levers (NSGA-II), optionally robust over uncertainties"
RESULTS_DIR = Path(__file__).resolve().parents[2] / "results"
SPEC_TOML, BASE_TOML = "spec.toml", "base.toml"
SERIAL_BELOW = 16  # verify re-runs this many runs or fewer in-process (results do not depend on it)


def _tables(r: Result) -> dict:
    return {"candidates": r.candidates, "front": r.front, "evaluations": r.evaluations,
            "generations": r.generations, "scenarios": r.scenarios}  # fmt: skip


def _fmt(x: object) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def summary_markdown(spec: Spec, r: Result, ran: int) -> str:
    lev = [p.path for p in spec.levers]
    front = r.front.head(30)
    lines = [
        f"# Optimisation {spec.name}",
        "",
        *([spec.description, ""] if spec.description else []),
        f"- {spec.plan()}",
        f"- base: `{spec.base_file or '<defaults>'}` with [set] {spec.sets or '{}'} "
        f"(resolved: `{BASE_TOML}`)",
        f"- {len(r.candidates)} candidates evaluated with {ran} model runs; "
        f"**{len(r.front)}** on the Pareto front",
        *[f"- note: {n}" for n in r.notes],
        "",
        "| lever | range |",
        "|---|---|",
        *[f"| `{p.path}` | {p.describe()} |" for p in spec.levers],
        "",
        "| objective | sense | " + ("statistic over the scenarios |" if spec.robust else "|"),
        "|---|---|" + ("---|" if spec.robust else ""),
        *[
            f"| `{o.metric}` | {o.sense} |" + (f" {o.statistic} |" if spec.robust else "")
            for o in spec.objectives
        ],
        "",
    ]
    if spec.robust:
        lines += [f"Robust: every candidate ran the same {spec.scenarios} scenarios (Latin hypercube of "
                  + ", ".join(f"`{p.path}` ({p.describe()})" for p in spec.uncertainties)
                  + f"; `scenarios.parquet`) x {spec.replicates} replicate(s).", ""]  # fmt: skip
    lines += [
        "## Pareto front" + (f" (first {len(front)} of {len(r.front)})" if len(r.front) > len(front) else ""),
        "",
        "| candidate | " + " | ".join(f"`{c}`" for c in [*lev, *spec.metrics]) + " |",
        "|---" * (1 + len(lev) + len(spec.metrics)) + "|",
        *[
            "| " + " | ".join(_fmt(row[c]) for c in ["candidate", *lev, *spec.metrics]) + " |"
            for _, row in front.iterrows()
        ],  # fmt: skip
        "",
        "![front](plots/front.png)",
        "",
        f"Check: `uv run run.py verify ARCHIVE` (re-runs all {ran} runs).",
        "",
    ]
    return "\n".join(lines)


def _figures(spec: Spec, r: Result):
    from simulation.experiments import plots

    def draw(tmp: Path) -> None:
        labels = [(o.metric, f"{o.metric} ({o.sense})") for o in spec.objectives]
        plots.plot_front(r.candidates, labels, tmp / "plots" / "front.png", f"{spec.name}: Pareto front")
        plots.plot_progress(r.generations, tmp / "plots" / "progress.png")

    return draw


def write_optimise_archive(
    spec: Spec, r: Result, ran: int, final: Path, command: list[str], wall: float
) -> Path:
    base_toml = to_toml(spec.base_config)
    return store.write(
        final, kind="optimise", tables=_tables(r),
        texts={SPEC_TOML: spec.text, BASE_TOML: base_toml, "summary.md": summary_markdown(spec, r, ran)},
        figures=_figures(spec, r), config=spec.base_config.model_dump(mode="json"), seed=spec.seed,
        identity=f"optimise\n{spec.text}\n{base_toml}", wall_time_s=wall, command=command,
        fields={"spec": spec.info(), "runs": ran, "front_size": len(r.front), "config_source":
                str(spec.base_file) if spec.base_file else None},
    )  # fmt: skip


def verify_optimise_archive(path: Path, progress: bool = False) -> VerifyReport:
    """Optimise again from the archive's spec and base with its seed; compare every table."""
    path = Path(path)
    m, report = open_for_verify(path, "optimise", [SPEC_TOML, BASE_TOML])
    report.notes += code_notes(m)
    spec = load_spec(path / SPEC_TOML, base_override=path / BASE_TOML)
    runs = int(m.get("runs") or spec.budget)
    executor, workers = ("serial", 1) if runs <= SERIAL_BELOW else ("process", os.cpu_count() or 1)
    t0 = time.perf_counter()
    result, ran = optimise(spec, executor=executor, workers=workers, progress=progress)
    report.wall_time_s = time.perf_counter() - t0
    report.rerun_differs += store.differences(path, _tables(result), {})
    if ran != runs:
        report.rerun_differs.append(f"runs: {ran} made now, {runs} in the archive")
    return report


# ---------------------------------------------------------------------------- command line
def add_optimise_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", metavar="SPEC", help="optimisation spec (TOML), e.g. configs/optimise/smoke.toml")
    add_executor_arguments(p)
    p.add_argument("--out", type=Path, default=None, help="archive folder (new or empty; default: results/)")
    p.add_argument("--dry-run", action="store_true", help="check the spec, print the plan, run nothing")


def cmd_optimise(args: argparse.Namespace) -> int:
    """Optimise, write the archive, print the front's size and extremes and ``archive: PATH``."""
    executor, workers = executor_choice(args)
    spec = load_spec(args.spec)
    if args.out is not None:
        check_out(Path(args.out))
    if args.scheduler:
        check_scheduler(args.scheduler)
    else:
        probe = probe_config(spec.base_config.model_dump(mode="json"), list(spec.levers), spec.file)
        check_memory(probe, str(spec.file), 1 if executor == "serial" else workers)
    if args.dry_run:
        print(spec.plan())
        for p in spec.levers:
            print(f"  lever {p.path}: {p.describe()}")
        for p in spec.uncertainties:
            print(f"  uncertainty {p.path}: {p.describe()}")
        for o in spec.objectives:
            print(
                f"  objective {o.sense} {o.metric}"
                + (f" ({o.statistic} over scenarios)" if spec.robust else "")
            )
        return 0
    print(
        f"{spec.plan()}; {executor}" + ("" if executor == "serial" else f", {workers} worker(s)"), flush=True
    )
    t0 = time.perf_counter()
    result, ran = optimise(spec, executor=executor, workers=workers, scheduler=args.scheduler,
                           progress=sys.stderr.isatty())  # fmt: skip
    final = resolve_out(args.out, RESULTS_DIR, lambda f: stamped_path(f, f"optimise-{spec.name}"))
    command = list(getattr(args, "argv", None) or sys.argv)
    path = write_optimise_archive(spec, result, ran, final, command, time.perf_counter() - t0)
    print(f"{len(result.candidates)} candidates, {ran} runs, {time.perf_counter() - t0:.1f} s; "
          f"Pareto front: {len(result.front)} candidates")  # fmt: skip
    for note in result.notes:
        print(f"note: {note}")
    for o in spec.objectives:
        col = result.front[o.metric]
        if len(col):
            print(f"- {o.metric} ({o.sense}) on the front: {col.min():.6g} to {col.max():.6g}")
    print(f"archive: {display(path)}")
    return 0


def cmd_verify_optimise(args: argparse.Namespace) -> int:
    report = verify_optimise_archive(Path(args.archive), progress=sys.stderr.isatty())
    for note in report.notes:
        print(f"note: {note}")
    if report.ok:
        print(f"verified: {display(args.archive)} (files match the manifest; the optimisation re-ran "
              f"bit-identical in {report.wall_time_s:.1f} s)")  # fmt: skip
        return 0
    for line in report.lines():
        print(line)
    print(f"NOT verified: {display(args.archive)}")
    return 1
