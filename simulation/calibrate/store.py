"""The calibration archive: write it, and re-run it for ``run.py verify``.

Folder ``results/<UTC time>-calibrate-b<budget>-s<seed>/`` (atomic, through
``simulation.archive``): ``start.toml`` (the start config, re-runnable), ``calibrated.toml`` (the
start config with the fitted values), ``moments.parquet``, ``parameters.parquet``,
``screening.parquet``, ``jacobian.parquet``, ``evaluations.parquet``, ``summary.md`` and the
manifest (kind ``calibrate``: root seed, the fit seeds, budget, trajectories, run counts, the
objective and the fitted parameters). ``verify`` runs the calibration again from ``start.toml`` and
the manifest's counts and compares every table and ``calibrated.toml`` bit for bit (the summary
holds the wall time, so it is not compared).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from simulation.archive import atomic, paths, provenance
from simulation.archive.files import parquet_bytes
from simulation.archive.manifest import build_manifest, write_manifest
from simulation.archive.verify import VerifyReport, differing, open_for_verify
from simulation.calibrate.pipeline import chosen_candidates, run_calibration
from simulation.calibrate.report import summary_markdown
from simulation.calibrate.result import CalibrationResult
from simulation.config import load_config, to_toml

TABLES = ("moments", "parameters", "screening", "jacobian", "evaluations")
KIND = "calibrate"


def inputs_text(result: CalibrationResult) -> str:
    """What the archive's id is computed from: the start config and the calibration's counts."""
    names = ",".join(c.name for c in result.candidates)
    return (f"{to_toml(result.start_config)}\nbudget={result.budget} seeds={len(result.seeds)} "
            f"trajectories={result.trajectories} parameters={names}")  # fmt: skip


def write_calibration_archive(
    result: CalibrationResult, out: Path | None, *, results_dir: Path, config_source: str,
    workers: int = 1, command: list[str] | None = None,
) -> Path:  # fmt: skip
    """Write the archive of ``result`` atomically and return its path."""
    name = f"calibrate-b{result.budget}-s{result.root_seed}"
    final = paths.resolve_out(out, results_dir, lambda folder: paths.stamped_path(folder, name))
    with atomic.staging(final) as tmp:
        (tmp / "start.toml").write_text(to_toml(result.start_config), encoding="utf-8")
        (tmp / "calibrated.toml").write_text(to_toml(result.calibrated_config), encoding="utf-8")
        for t in TABLES:
            (tmp / f"{t}.parquet").write_bytes(parquet_bytes(result.tables[t]))
        (tmp / "summary.md").write_text(summary_markdown(result, final.name), encoding="utf-8")
        extra: dict[str, Any] = {
            "kind": KIND, "config_source": config_source, "seeds": result.seeds,
            "budget": result.budget, "trajectories": result.trajectories, "workers": workers,
            "counts": result.counts, "fit_status": result.fit_status, "stats": result.stats,
            "targets": result.panel_status, "parameters": [c.name for c in result.candidates],
        }  # fmt: skip
        manifest = build_manifest(
            tmp, config=result.start_config.model_dump(mode="json"), seed=result.root_seed,
            config_toml=inputs_text(result), wall_time_s=result.wall_time_s,
            command=list(sys.argv if command is None else command), extra=extra,
        )  # fmt: skip
        write_manifest(tmp, manifest)
    return final


def verify_calibration_archive(path: Path, progress: bool = False) -> VerifyReport:
    """Re-run the calibration stored at ``path`` and compare its tables and calibrated config.

    Raises:
        ArchiveError: not a calibrate archive, or start.toml missing.
        ConfigError, RegionError: the stored config or its region no longer loads.
    """
    path = Path(path)
    manifest, report = open_for_verify(path, KIND, ["start.toml"])
    report.notes.extend(provenance.code_notes(manifest))
    cfg = load_config(path / "start.toml")
    from simulation.limits import max_workers

    names = manifest.get("parameters")
    candidates = chosen_candidates(",".join(names) if isinstance(names, list) else None)
    result = run_calibration(
        cfg, budget=int(manifest["budget"]), seeds=len(manifest["seeds"]),
        trajectories=int(manifest["trajectories"]), root_seed=int(manifest["seed"]),
        workers=min(max(1, int(manifest.get("workers") or 1)), max_workers()), progress=progress,
        candidates=candidates,
    )  # fmt: skip
    report.wall_time_s = result.wall_time_s
    if list(manifest["seeds"]) != result.seeds:
        report.rerun_differs.append("seeds")
    fresh = {f"{t}.parquet": parquet_bytes(result.tables[t]) for t in TABLES}
    fresh["calibrated.toml"] = to_toml(result.calibrated_config).encode("utf-8")
    report.rerun_differs.extend(differing(path, fresh))
    return report
