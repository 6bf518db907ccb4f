"""``verify`` of a sweep archive: files against the manifest, run ids against their configs, the
rebuilt tables against the stored, the environment against the manifest's, and a sample of runs
re-run bit for bit."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import archive as arc
from simulation.archive import provenance as schema
from simulation.config import apply_overrides, load_config, to_toml, validate
from simulation.experiments.sweep import metrics as sm
from simulation.experiments.sweep import store as st
from simulation.experiments.sweep.design import py_value
from simulation.experiments.sweep.exec import Outcome, Task, execute, source_sha256
from simulation.experiments.sweep.folder import check_layout
from simulation.experiments.sweep.spec import baseline_tasks
from simulation.experiments.sweep.store import BASE_TOML, DESIGN, FLOWS, INDEX, POINTS


def read_sweep_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a sweep archive; ArchiveError if it is not one."""
    return arc.read_manifest(Path(path), "sweep")


def archive_tasks(path: Path, manifest: dict[str, Any] | None = None) -> tuple[pd.DataFrame, dict[str, Task]]:
    """The design of a sweep archive and the task of each run and each lever-off baseline, rebuilt
    from ``base.toml`` and ``design.parquet`` alone (the sweep file and the base config file may have
    changed since)."""
    path = Path(path)
    manifest = manifest or read_sweep_manifest(path)
    for name in (BASE_TOML, DESIGN):
        if not (path / name).is_file():
            raise arc.ArchiveError(path, name, "missing: cannot re-run")
    base = load_config(path / BASE_TOML).model_dump(mode="json")
    design = pd.read_parquet(path / DESIGN)
    paths = [p["path"] for p in manifest["design"]["parameters"]]
    flows = bool(manifest["design"].get("flows"))
    tasks: dict[str, Task] = {}
    for row in design[["point", "seed", *paths]].itertuples(index=False, name=None):
        values = {k: py_value(v) for k, v in zip(paths, row[2:], strict=True)}
        seed = int(row[1])
        cfg = validate(apply_overrides(base, {**values, "run.seed": seed}), str(path / DESIGN))
        toml = to_toml(cfg)
        rid = arc.run_id(toml, seed)
        tasks.setdefault(rid, Task(rid, toml, seed, flows=flows))
    if "baseline_id" in design.columns:
        _, baselines = baseline_tasks(design, paths, base, str(path / DESIGN))
        tasks.update({k: v for k, v in baselines.items() if k not in tasks})
    return design, tasks


def _rebuilt_tables(path: Path, m: dict[str, Any], design: pd.DataFrame, report: arc.VerifyReport) -> None:
    """``runs.parquet`` and ``point_stats.parquet`` rebuilt from the run files must equal the stored."""
    metrics = tuple(m["design"].get("metrics") or sm.default_metrics())
    runs_cols = [c for c in design.columns if not c.startswith("u:")]
    index = st.build_index(path, design[runs_cols], metrics)
    paths = [p["path"] for p in m["design"]["parameters"]]
    qs = tuple(m["design"].get("percentiles") or sm.DEFAULT_PERCENTILES)
    stats = sm.point_stats(index, paths, list(metrics), qs)
    for name, table in ((INDEX, index), (POINTS, stats)):
        if not (path / name).is_file() or arc.sha256_file(path / name) != arc.sha256_bytes(
            arc.parquet_bytes(table)
        ):
            report.rerun_differs.append(f"{name}: differs from the table rebuilt from the run files")


def verify_sweep_archive(
    path: Path,
    sample: int = 5,
    *,
    seed: int = 0,
    executor: str = "serial",
    workers: int = 1,
    progress: bool = False,
) -> arc.VerifyReport:
    """Check a sweep archive: file hashes against the manifest, every run id (and baseline id)
    against its config (rebuilt from ``base.toml`` + ``design.parquet``), ``runs.parquet`` and
    ``point_stats.parquet`` against the run files, the installed distributions against the
    manifest's (drift named in the notes), and re-run ``sample`` completed runs (chosen with
    ``seed``) comparing every file they fill bit for bit.

    Raises:
        ArchiveError: not a sweep archive, an earlier storage layout, or ``sample`` < 0.
    """
    path = Path(path)
    if sample < 0:
        raise arc.ArchiveError(path, "--sample", f"{sample} (allowed: integer >= 0)")
    m = read_sweep_manifest(path)
    check_layout(path, m)
    report = arc.VerifyReport(path=path, file_problems=arc.check_files(path, m))
    now = arc.code_version()
    if (m.get("code") or {}).get("git_commit") != now["git_commit"]:
        report.notes.append(
            f"code differs: archive {(m.get('code') or {}).get('git_commit')}, now {now['git_commit']}"
        )
    if m.get("code_sha256") != source_sha256():
        report.notes.append("model source differs from the archive's (code_sha256)")
    report.notes.extend(schema.environment_notes(m))
    design, tasks = archive_tasks(path, m)
    for col in ("run_id", "baseline_id"):
        for rid in dict.fromkeys(design[col]) if col in design.columns else ():
            if rid not in tasks:
                report.rerun_differs.append(f"design.parquet: {col} {rid} no longer hashes to its config")
    _rebuilt_tables(path, m, design, report)
    paths = [p["path"] for p in m["design"]["parameters"]]
    cells: dict[str, list[dict[str, Any]]] = {}
    for row in design.to_dict("records"):
        if (path / st.cell_rel(row["point"], row["replicate"])).is_file():
            cells.setdefault(row["run_id"], []).append(row)
    bases = sorted(r for r in set(design.get("baseline_id", ())) - set(design["run_id"])
                   if (path / st.baseline_rel(r)).is_file())  # fmt: skip
    ok = sorted(r for r in cells if r in tasks) + [b for b in bases if b in tasks]
    n = min(sample, len(ok))
    chosen = sorted(np.random.default_rng(seed).choice(len(ok), size=n, replace=False).tolist()) if n else []
    picked = [tasks[ok[i]] for i in chosen]
    report.notes.append(
        f"re-ran {n} of {len(ok)} completed runs: {', '.join(t.run_id for t in picked) or '-'}"
    )
    t0 = time.perf_counter()

    def check(o: Outcome) -> None:
        if not o.ok or o.data is None:
            report.rerun_differs.append(f"run {o.run_id}: re-run failed: {o.error}")
            return
        raw = st.read_raw(o.data)
        files = [
            (st.cell_rel(r["point"], r["replicate"]), st.cell_front(r, paths))
            for r in cells.get(o.run_id, [])
        ]
        if o.flows is not None:
            flows = st.read_raw(o.flows)
            for r in cells.get(o.run_id, []):
                rel = st.cell_rel(r["point"], r["replicate"], FLOWS)
                fresh = arc.sha256_bytes(st.tidy_bytes(flows, st.cell_front(r, paths)))
                if not (path / rel).is_file() or fresh != arc.sha256_file(path / rel):
                    report.rerun_differs.append(rel)
        if o.run_id in bases:
            files.append((st.baseline_rel(o.run_id), {"run_id": o.run_id, "seed": tasks[o.run_id].seed}))
        for rel, front in files:
            if not (path / rel).is_file() or arc.sha256_bytes(st.tidy_bytes(raw, front)) != arc.sha256_file(
                path / rel
            ):
                report.rerun_differs.append(rel)

    execute(picked, executor=executor, workers=workers, on_outcome=check)
    report.wall_time_s = time.perf_counter() - t0
    return report
