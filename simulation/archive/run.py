"""The run archive: write, verify, list and show the folder of one model run (design §5).

An archive is a folder holding ``config.toml`` (the resolved config, re-runnable as is),
``model.parquet``, ``cities.parquet``, ``flows.parquet``, ``plots/*.png``, ``summary.md`` and, last,
``manifest.json`` (versions, hashes of every other file, and its own digest: see
:mod:`simulation.archive.manifest`), written whole or not at all (:func:`atomic.staging`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa

from simulation.archive import atomic, paths, provenance
from simulation.archive.errors import ArchiveError
from simulation.archive.files import MANIFEST, parquet_bytes, sha256_file
from simulation.archive.manifest import (
    build_manifest,
    check_files,
    checked_manifest,
    read_manifest,
    write_manifest,
)
from simulation.archive.verify import VerifyReport, differing
from simulation.config import load_config, to_toml
from simulation.runner import RunResult, run_config

TABLES = ("model", "cities", "flows")


def default_path(results_dir: Path, stem: str, seed: int) -> Path:
    """``results_dir/<UTC yyyymmdd-HHMMSS>-<stem>-s<seed>``, with -2, -3, ... if taken."""
    return paths.stamped_path(results_dir, f"{stem}-s{seed}")


def write_archive(
    result: RunResult,
    out: Path | None,
    *,
    config_source: str | None,
    results_dir: Path = Path("results"),
    command: list[str] | None = None,
) -> Path:
    """Write the archive of ``result`` and return its path.

    Args:
        result: a finished run.
        out: the archive folder if new or empty, else a folder to hold a new archive; None = a new
            folder under
            ``results_dir`` named ``<UTC time>-<config stem>-s<seed>``.
        config_source: the config file the run came from (for names and the summary).
        results_dir: where default-named archives go.
        command: the command line recorded in the manifest (default ``sys.argv``).

    Raises:
        ArchiveError: ``out`` exists and is not an empty folder.
    """
    from simulation import plots
    from simulation.summary import PLOTS, summary_markdown

    stem = Path(config_source).stem if config_source else "defaults"
    final = paths.resolve_out(out, results_dir, lambda folder: default_path(folder, stem, result.seed))
    config_toml = to_toml(result.config)
    with atomic.staging(final) as tmp:
        (tmp / "config.toml").write_text(config_toml, encoding="utf-8")
        for name in TABLES:
            (tmp / f"{name}.parquet").write_bytes(parquet_bytes(result.tables[name]))
        figures = list(PLOTS.values())
        plots.plot_timeseries(result.tables["model"], tmp / figures[0])
        cities = result.tables["cities"]
        last = int(cities["year"].max())
        plots.plot_map(
            cities[cities["year"] == last], result.region, result.edges, tmp / figures[1],
            f"{result.region.name.replace('_', ' ').title()}: {last} "
            "(node area = GDP, colour = PM2.5)",
        )  # fmt: skip
        (tmp / "summary.md").write_text(summary_markdown(result, final.name, config_source), encoding="utf-8")
        region_files = {n: sha256_file(p) for n, p in sorted(result.region.files().items())}
        manifest = build_manifest(
            tmp, config=result.config.model_dump(mode="json"), seed=result.seed,
            config_toml=config_toml, wall_time_s=result.wall_time_s,
            command=list(sys.argv if command is None else command),
            extra={"config_source": config_source, "region": {"spec": result.config.run.region,
                   "name": result.region.name, "files_sha256": region_files}},
        )  # fmt: skip
        write_manifest(tmp, manifest)
    return final


def verify_archive(path: Path, progress: bool = False) -> VerifyReport:
    """Check the archive's file hashes, then re-run its config with its seed and compare the
    three tables bit for bit with the stored Parquet files.

    Raises:
        ArchiveError: not an archive (no or unreadable manifest).
        ConfigError, RegionError: the stored config or its region no longer loads.
    """
    path = Path(path)
    manifest = read_manifest(path, "run")
    report = VerifyReport(path=path, file_problems=check_files(path, manifest))
    cfg_path = path / "config.toml"
    if not cfg_path.is_file():
        raise ArchiveError(path, "config.toml", "missing: cannot re-run")
    cfg = load_config(cfg_path)
    report.notes.extend(provenance.code_notes(manifest))
    report.notes.extend(provenance.environment_notes(manifest))
    result = run_config(cfg, seed=int(manifest["seed"]), progress=progress)
    report.wall_time_s = result.wall_time_s
    fresh = {f"{name}.parquet": parquet_bytes(result.tables[name]) for name in TABLES}
    report.rerun_differs.extend(differing(path, fresh))
    return report


def _final_gdp(path: Path) -> float | None:
    try:
        m = pd.read_parquet(path / "model.parquet", columns=["year", "gdp"])
    except (OSError, ValueError, pa.ArrowException):
        return None
    return float(m.sort_values("year")["gdp"].iloc[-1]) if len(m) else None


def list_archives(results_dir: Path) -> pd.DataFrame:
    """One row per archive below ``results_dir`` (hidden and partial folders skipped): name,
    created, config, seed, years, gdp_final (100m yuan, final year)."""
    columns = ["name", "created", "config", "seed", "years", "gdp_final"]
    rows = []
    results_dir = Path(results_dir)
    if results_dir.is_dir():
        for p in sorted(results_dir.iterdir()):
            if p.name.startswith(".") or ".partial" in p.name or not (p / MANIFEST).is_file():
                continue
            try:
                m = read_manifest(p)
            except ArchiveError:
                continue
            run = (m.get("config") or {}).get("run", {})
            rows.append({
                "name": p.name,
                "created": m.get("created"),
                "config": m.get("config_source") or "<defaults>",
                "seed": m.get("seed"),
                "years": f"{run.get('start_year')}-{run.get('end_year')}",
                "gdp_final": _final_gdp(p),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def show_archive(path: Path) -> str:
    """A manifest summary of the archive followed by its summary.md (an archive whose files do not
    match its manifest is refused: ArchiveError)."""
    path = Path(path)
    m = checked_manifest(path)
    code = m.get("code") or {}
    pk = m.get("packages") or {}
    lines = [
        f"archive:   {path}",
        f"run id:    {m.get('run_id')}",
        f"created:   {m.get('created')}",
        f"config:    {m.get('config_source') or '<defaults>'}   seed: {m.get('seed')}",
        f"command:   {' '.join(m.get('command') or [])}",
        f"code:      {code.get('git_commit')}{' (dirty)' if code.get('git_dirty') else ''}",
        f"python:    {m.get('python')} on {m.get('platform')}",
        f"packages:  {', '.join(f'{k} {v}' for k, v in pk.items())}",
        f"wall time: {m.get('wall_time_s')} s",
        f"files:     {len(m['files'])} (+ {MANIFEST})",
        "",
    ]
    summary = path / "summary.md"
    text = summary.read_text(encoding="utf-8") if summary.is_file() else "(no summary.md)\n"
    return "\n".join(lines) + "\n" + text
