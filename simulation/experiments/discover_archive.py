"""``run.py discover``: the discovery archive, its summary, ``verify`` and the command line.

The archive (``results/<UTC time>-discover-<sweep name>/``)::

    manifest.json            kind "discover"; the sweep (path, name, sweep hash, manifest digest,
                             runs.parquet sha256), the condition as given and as read, each
                             comparison's threshold, the options, the counts, provenance
    cases.parquet            one row per case: ids, the swept parameters, the condition's metrics,
                             of_interest
    prim_trajectory.parquet  one row per PRIM box and peeling step: coverage, density, mean, mass,
                             res_dim, n, k, chosen (the reported step)
    prim_limits.parquet      one row per box, step and parameter: low, high (numbers) or values
                             (categories, "|"-joined), restricted, qp_low, qp_high (quasi-p values)
    cart_leaves.parquet      one row per CART leaf: coverage, density, mass, res_dim, n, k,
                             predicts_interest, rule
    cart_limits.parquet      one row per leaf and parameter (low < x <= high)
    cart_tree.txt            the tree as text (scikit-learn export_text)
    plots/prim_tradeoff.png, plots/prim_box_<b>.png
    summary.md

``verify`` re-reads the cases from the sweep archive when it is still there unchanged (else from
``cases.parquet``, with a note), runs PRIM and CART again and compares every table and the tree text
bit for bit.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.archive.errors import ArchiveError
from simulation.archive.manifest import read_manifest
from simulation.archive.paths import check_out, display, resolve_out, stamped_path
from simulation.archive.provenance import code_notes
from simulation.archive.verify import VerifyReport, open_for_verify
from simulation.experiments import store
from simulation.experiments.discover import CASES, Cases, Discovery, Options, discover, load_cases
from simulation.experiments.where import ConditionError, parse
from simulation.params import ConfigError

DISCOVER_HELP = "scenario discovery on a sweep archive: PRIM boxes and a CART tree for a condition"
RESULTS_DIR = Path(__file__).resolve().parents[2] / "results"
COMPARED = ("cases", "prim_trajectory", "prim_limits", "cart_leaves", "cart_limits")
TREE = "cart_tree.txt"


def _tables(cases: Cases, d: Discovery) -> dict[str, pd.DataFrame]:
    return {"cases": cases.table, "prim_trajectory": d.trajectory, "prim_limits": d.limits,
            "cart_leaves": d.leaves, "cart_limits": d.leaf_limits}  # fmt: skip


# ---------------------------------------------------------------------------- summary
def _box_lines(d: Discovery) -> list[str]:
    lines = []
    for _, t in d.trajectory[d.trajectory["chosen"]].iterrows():
        b, s = int(t["box"]), int(t["step"])
        lim = d.limits[(d.limits["box"] == b) & (d.limits["step"] == s) & d.limits["restricted"]]
        lines += [
            f"### PRIM box {b} (step {s} of {int(d.trajectory[d.trajectory['box'] == b]['step'].max())})",
            "",
            f"coverage **{t['coverage']:.3f}**, density **{t['density']:.3f}**, mass {t['mass']:.3f} "
            f"({int(t['k'])} of {int(t['n'])} cases in the box are of interest), {int(t['res_dim'])} "
            "restricted dimension(s)",
            "",
            "| parameter | box | quasi-p (low, high) |",
            "|---|---|---|",
        ]
        for _, r in lim.iterrows():
            box = f"{{{r['values'].replace('|', ', ')}}}" if isinstance(r["values"], str) else (
                f"{r['low']:.6g} to {r['high']:.6g}")  # fmt: skip
            qp = ", ".join("-" if pd.isna(q) else f"{q:.2g}" for q in (r["qp_low"], r["qp_high"]))
            lines.append(f"| `{r['parameter']}` | {box} | {qp} |")
        lines.append("")
    return lines


def summary_markdown(cases: Cases, d: Discovery, opts: Options, where: str) -> str:
    n, k = len(cases.y), int(cases.y.sum())
    thresholds = "; ".join(f"{t} (threshold {v:.6g})" for t, v in cases.thresholds.items())
    good = d.leaves[d.leaves["predicts_interest"]]
    lines = [
        f"# Scenario discovery: `{where}`",
        "",
        f"- sweep: `{cases.source['path']}` ({cases.source['name']}, {cases.source['design']} design)",
        f"- cases: {n} {opts.cases}, of which **{k}** ({k / n:.1%}) meet the condition: {thresholds}",
        f"- inputs: {', '.join(f'`{p}`' for p in cases.inputs)}",
        f"- PRIM: peel alpha {opts.peel_alpha:g}, paste alpha {opts.paste_alpha:g}, mass min "
        f"{opts.mass_min:g}; reported step = the highest coverage with density >= {opts.min_density:g}",
        f"- CART: max depth {opts.max_depth}, leaves of at least {opts.mass_min:g} of the cases",
        *[f"- note: {x}" for x in d.notes],
        "",
        "Coverage: the share of all cases of interest that fall in the box. Density: the share of "
        "the box's cases that are of interest. A quasi-p value near 0 says the limit matters; above "
        "0.05 the limit could be dropped (Bryant & Lempert 2010).",
        "",
        "## PRIM",
        "",
        *_box_lines(d),
        "![trade-off](plots/prim_tradeoff.png)",
        "",
        "## CART",
        "",
        f"{len(d.leaves)} leaves; {len(good)} predict the condition:",
        "",
        "| leaf | coverage | density | mass | rule |",
        "|---|---|---|---|---|",
        *[
            f"| {r['leaf']} | {r['coverage']:.3f} | {r['density']:.3f} | {r['mass']:.3f} | `{r['rule']}` |"
            for _, r in good.iterrows()
        ],  # fmt: skip
        "",
        f"The whole tree: `{TREE}`. Every PRIM step's limits: `prim_limits.parquet`.",
        "",
    ]
    return "\n".join(lines)


def _figures(d: Discovery, cases: Cases, where: str):
    from simulation.experiments import plots

    def draw(tmp: Path) -> None:
        plots.plot_tradeoff(d.trajectory, tmp / "plots" / "prim_tradeoff.png", f"PRIM: {where}")
        x = cases.table
        full = pd.DataFrame(
            {"low": [pd.to_numeric(x[p], errors="coerce").min() for p in cases.inputs],
             "high": [pd.to_numeric(x[p], errors="coerce").max() for p in cases.inputs]},
            index=cases.inputs,
        )  # fmt: skip
        for _, t in d.trajectory[d.trajectory["chosen"]].iterrows():
            b, s = int(t["box"]), int(t["step"])
            lim = d.limits[(d.limits["box"] == b) & (d.limits["step"] == s)]
            title = f"PRIM box {b}: coverage {t['coverage']:.2f}, density {t['density']:.2f}"
            plots.plot_box(lim, full, tmp / "plots" / f"prim_box_{b}.png", title)

    return draw


# ---------------------------------------------------------------------------- archive and verify
def write_discover_archive(
    cases: Cases, d: Discovery, opts: Options, where: str, final: Path, command: list[str], wall: float
) -> Path:
    fields = {
        "source": cases.source,
        "where": where,
        "condition": parse(where).text(),
        "thresholds": cases.thresholds,
        "inputs": cases.inputs,
        "options": opts.as_dict(),
        "counts": {"cases": int(len(cases.y)), "of_interest": int(cases.y.sum())},
    }
    identity = f"discover\n{cases.source['sweep_hash']}\n{cases.source['runs_sha256']}\n{where}\n{opts}"
    return store.write(
        final, kind="discover", tables=_tables(cases, d),
        texts={TREE: d.tree_text, "summary.md": summary_markdown(cases, d, opts, where)},
        figures=_figures(d, cases, where), config=cases.config, seed=cases.seed, identity=identity,
        wall_time_s=wall, command=command, fields=fields,
    )  # fmt: skip


def _source_cases(path: Path, m: dict[str, Any], report: VerifyReport) -> Cases:
    """The cases again: from the sweep archive if it is there unchanged, else from cases.parquet."""
    src = m["source"]
    sweep = Path(src.get("resolved") or src["path"])
    try:
        sm = read_manifest(sweep, "sweep")
        if sm.get("manifest_sha256") == src.get("manifest_sha256"):
            cases = load_cases(sweep, parse(m["where"]), m["options"]["cases"])
            cases.source = src  # the path as recorded (it was resolved here)
            return cases
        report.notes.append(f"the sweep archive {sweep} changed since (its manifest differs)")
    except (ArchiveError, OSError) as err:
        report.notes.append(f"the sweep archive is not readable ({err})")
    report.notes.append("re-ran PRIM and CART on the stored cases.parquet")
    table = pd.read_parquet(path / "cases.parquet")
    y = table["of_interest"].to_numpy(bool)
    return Cases(table, list(m["inputs"]), y, dict(m["thresholds"]), src, int(m["seed"]), m["config"])


def verify_discover_archive(path: Path) -> VerifyReport:
    """Check the files, rebuild the cases, run PRIM and CART again, compare bit for bit."""
    path = Path(path)
    m, report = open_for_verify(path, "discover", ["cases.parquet"])
    report.notes += code_notes(m)
    t0 = time.perf_counter()
    cases = _source_cases(path, m, report)
    d = discover(cases, Options(**m["options"]))
    report.rerun_differs += store.differences(path, _tables(cases, d), {TREE: d.tree_text})
    report.wall_time_s = time.perf_counter() - t0
    return report


# ---------------------------------------------------------------------------- command line
def add_discover_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("archive", metavar="SWEEP_ARCHIVE", type=Path, help="a sweep archive folder")
    p.add_argument(
        "--where", required=True, metavar="CONDITION",
        help='the outcomes of interest, e.g. "pm25_final > 35" or "gdp_final < p25 and '
        'emissions_air_cum > p50" (metrics of runs.parquet or <column>_<agg>; pNN = percentile)',
    )  # fmt: skip
    p.add_argument(
        "--cases",
        choices=CASES,
        default="runs",
        help="runs (default: every completed run is a case) or points (replicates averaged)",
    )
    p.add_argument(
        "--min-density",
        type=float,
        default=0.8,
        help="report each PRIM box at the highest coverage with at least this density (0.8)",
    )
    p.add_argument("--boxes", type=int, default=1, help="PRIM boxes to find, 1 to 10 (default 1)")
    p.add_argument("--peel-alpha", type=float, default=0.05, help="PRIM peeling share (0.05)")
    p.add_argument("--paste-alpha", type=float, default=0.05, help="PRIM pasting share (0.05)")
    p.add_argument(
        "--mass-min",
        type=float,
        default=0.05,
        help="smallest PRIM box and CART leaf, as a share of the cases (0.05)",
    )
    p.add_argument("--max-depth", type=int, default=4, help="CART tree depth, 1 to 20 (default 4)")
    p.add_argument("--out", type=Path, default=None, help="archive folder (new or empty; default: results/)")


def _check(args: argparse.Namespace) -> Options:
    def bad(field: str, value: Any, allowed: str) -> ConfigError:
        return ConfigError("command line", field, f"{value!r} (allowed: {allowed})")

    for field, value in (("--peel-alpha", args.peel_alpha), ("--paste-alpha", args.paste_alpha),
                         ("--mass-min", args.mass_min)):  # fmt: skip
        if not 0 < value <= 0.5:
            raise bad(field, value, "a share above 0 and at most 0.5")
    if not 0 <= args.min_density <= 1:
        raise bad("--min-density", args.min_density, "a share from 0 to 1")
    if not 1 <= args.boxes <= 10:
        raise bad("--boxes", args.boxes, "an integer 1 to 10")
    if not 1 <= args.max_depth <= 20:
        raise bad("--max-depth", args.max_depth, "an integer 1 to 20")
    try:
        parse(args.where)
    except ConditionError as err:
        raise bad(
            "--where", args.where, f"comparisons like gdp_final > 1e5 joined by and / or; {err}"
        ) from None
    return Options(cases=args.cases, peel_alpha=args.peel_alpha, paste_alpha=args.paste_alpha,
                   mass_min=args.mass_min, min_density=args.min_density, boxes=args.boxes,
                   max_depth=args.max_depth)  # fmt: skip


def cmd_discover(args: argparse.Namespace) -> int:
    """Discover, write the archive, print the boxes and ``archive: PATH`` last."""
    opts = _check(args)
    if args.out is not None:
        check_out(Path(args.out))
    t0 = time.perf_counter()
    cases = load_cases(args.archive, parse(args.where), opts.cases)
    cases.source["resolved"] = str(Path(args.archive).resolve())
    d = discover(cases, opts)
    stem = str(cases.source.get("name") or Path(args.archive).name)
    final = resolve_out(args.out, RESULTS_DIR, lambda f: stamped_path(f, f"discover-{stem}"))
    command = list(getattr(args, "argv", None) or sys.argv)
    path = write_discover_archive(cases, d, opts, args.where, final, command, time.perf_counter() - t0)
    print(f"discovered {parse(args.where).text()!r} in {args.archive}: {int(cases.y.sum())} of "
          f"{len(cases.y)} {opts.cases} of interest")  # fmt: skip
    for note in d.notes:
        print(f"note: {note}")
    for _, t in d.trajectory[d.trajectory["chosen"]].iterrows():
        lim = d.limits[
            (d.limits["box"] == t["box"]) & (d.limits["step"] == t["step"]) & d.limits["restricted"]
        ]
        where = ", ".join(
            f"{r['parameter']} in {{{r['values']}}}" if isinstance(r["values"], str)
            else f"{r['low']:.4g} <= {r['parameter']} <= {r['high']:.4g}" for _, r in lim.iterrows()
        )  # fmt: skip
        print(f"- PRIM box {int(t['box'])}: coverage {t['coverage']:.2f}, density {t['density']:.2f}: "
              f"{where or '(no restriction)'}")  # fmt: skip
    good = d.leaves[d.leaves["predicts_interest"]]
    print(f"- CART: {len(d.leaves)} leaves, {len(good)} predict the condition")
    print(f"archive: {display(path)}")
    return 0


def cmd_verify_discover(args: argparse.Namespace) -> int:
    report = verify_discover_archive(Path(args.archive))
    for note in report.notes:
        print(f"note: {note}")
    if report.ok:
        print(f"verified: {display(args.archive)} (files match the manifest; cases, PRIM and CART "
              f"re-ran bit-identical in {report.wall_time_s:.1f} s)")  # fmt: skip
        return 0
    for line in report.lines():
        print(line)
    print(f"NOT verified: {display(args.archive)}")
    return 1
