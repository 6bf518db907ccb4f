"""The comparison archive's storage through :mod:`simulation.archive`, and its ``verify``.

The folder ``results/<UTC time>-compare-<scenario stem>-n<replicates>/`` (staged hidden, renamed
into place) holds ``base.toml`` and ``scenario.toml`` (the resolved configs; ``run.seed`` = the root
seed), the tables of :data:`TABLES` (and ``decomposition.parquet`` for a talent alliance) as
deterministic Parquet, the figures of :data:`PLOTS`, ``summary.md`` and ``manifest.json`` (kind
"compare"). The words and figures come from :mod:`simulation.report`; the whole folder is written
by :func:`simulation.report.compare_archive.write_compare_archive`. ``verify`` runs the comparison
again from the stored configs, root seed and replicate count and compares every table bit for bit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulation.archive import atomic, paths, provenance, schema
from simulation.archive.files import config_toml, parquet_bytes, sha256_bytes
from simulation.archive.manifest import file_hashes, now, write_manifest
from simulation.archive.verify import VerifyReport, differing, open_for_verify
from simulation.config import load_config
from simulation.experiments.compare import CompareResult, compare

KIND = "compare"
TABLES = ("paired", "effects", "city_effects", "yearly_effects", "runs_model", "runs_cities")
CONFIGS = ("base.toml", "scenario.toml")
PLOTS: dict[str, str] = {  # caption -> file, in the order of the summary
    "Effects on the cluster (% difference, 95% CI)": "plots/effects.png",
    "Base vs scenario over time": "plots/timeseries.png",
    "Change by city": "plots/map_change.png",
}


def default_compare_path(results_dir: Path, scenario_stem: str, replicates: int) -> Path:
    """``results_dir/<UTC yyyymmdd-HHMMSS>-compare-<scenario stem>-n<N>``, with -2, -3 ... if taken."""
    return paths.stamped_path(results_dir, f"compare-{scenario_stem}-n{replicates}")


def archive_path(out: Path | None, results_dir: Path, scen_path: str | Path | None, replicates: int) -> Path:
    """Where the archive goes (:func:`simulation.archive.paths.resolve_out`): ``out`` if new or
    empty, else a new folder in it, or under ``results_dir`` when None."""
    stem = Path(scen_path).stem if scen_path else "scenario"
    return paths.resolve_out(out, results_dir, lambda folder: default_compare_path(folder, stem, replicates))


def table_bytes(result: CompareResult) -> dict[str, bytes]:
    """File name -> deterministic Parquet bytes of every table the archive holds."""
    tables = {name: getattr(result, name) for name in TABLES}
    if result.decomposition is not None:
        tables["decomposition"] = result.decomposition
    return {f"{name}.parquet": parquet_bytes(df) for name, df in tables.items()}


def build_compare_manifest(
    result: CompareResult, folder: Path, base_path: str | Path | None, scen_path: str | Path | None,
    tomls: tuple[str, str], command: list[str],
) -> dict[str, Any]:  # fmt: skip
    """The manifest of the finished folder: sources, both configs and what differs, the seeds,
    provenance and the sha256 of every file."""
    base_toml, scen_toml = tomls
    manifest: dict[str, Any] = {
        "schema_version": schema.SCHEMA_VERSION,
        "kind": KIND,
        "run_id": sha256_bytes(f"{base_toml}\n{scen_toml}\n{result.seeds}".encode())[:16],
        "created": now(),
        "command": command,
        "config_source": f"{base_path} vs {scen_path}",
        "base_source": None if base_path is None else str(base_path),
        "scenario_source": None if scen_path is None else str(scen_path),
        # ``config`` is the base (the horizon and region both sides share), for tools that list
        # archives by one config; ``configs`` holds both sides.
        "config": result.base_config.model_dump(mode="json"),
        "configs": {
            "base": result.base_config.model_dump(mode="json"),
            "scenario": result.scenario_config.model_dump(mode="json"),
        },
        "config_diff": [[k, a, v] for k, a, v in result.config_diff],
        "seed": result.root_seed,
        "seeds": result.seeds,
        "replicates": result.replicates,
        "workers": result.workers,
        **provenance.record(("scipy",)),
        "wall_time_s": round(result.wall_time_s, 3),
    }
    manifest["files"] = file_hashes(folder)
    return manifest


def write(
    result: CompareResult, final: Path, base_path: str | Path | None, scen_path: str | Path | None, *,
    summary: str, figures: Callable[[Path], None], command: list[str] | None = None,
) -> Path:  # fmt: skip
    """Write the archive at ``final`` (new or empty) whole or not at all and return it.

    Args:
        summary: the text of ``summary.md``.
        figures: draws :data:`PLOTS` into the staging folder.
        command: the command line for the manifest (default ``sys.argv``).
    """
    tomls = config_toml(result.base_config), config_toml(result.scenario_config)
    with atomic.staging(final) as tmp:
        for name, text in zip(CONFIGS, tomls, strict=True):
            (tmp / name).write_text(text, encoding="utf-8")
        for name, data in table_bytes(result).items():
            (tmp / name).write_bytes(data)
        figures(tmp)
        (tmp / "summary.md").write_text(summary, encoding="utf-8")
        cmd = list(sys.argv if command is None else command)
        write_manifest(tmp, build_compare_manifest(result, tmp, base_path, scen_path, tomls, cmd))
    return final


def verify_compare_archive(path: Path, progress: bool = False, workers: int = 1) -> VerifyReport:
    """Check a comparison archive's file hashes, re-run the comparison from its ``base.toml``,
    ``scenario.toml``, root seed and replicate count, and compare every table bit for bit.

    Raises:
        ArchiveError: not an archive, not a comparison archive, or a config file is missing.
        ConfigError, RegionError: the stored configs or their region no longer load.
    """
    path = Path(path)
    manifest, report = open_for_verify(path, KIND, list(CONFIGS))
    report.notes.extend(provenance.code_notes(manifest))
    base, scen = load_config(path / CONFIGS[0]), load_config(path / CONFIGS[1])
    result = compare(base, scen, int(manifest["replicates"]), int(manifest["seed"]), progress, workers)
    report.wall_time_s = result.wall_time_s
    if list(manifest.get("seeds") or []) != result.seeds:
        report.rerun_differs.append("seeds")
    report.rerun_differs.extend(differing(path, table_bytes(result)))
    return report
