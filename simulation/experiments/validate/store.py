"""The validation archive's storage through :mod:`simulation.archive`: the resolved configs, the
tables as deterministic Parquet, the manifest, and ``verify`` (re-run and compare bit for bit).

The archive (staged hidden, renamed into place) holds ``report.md`` (the whole report),
``summary.md`` (the facts table), ``facts.parquet`` (fact, literature_low, literature_high,
citation, estimate, ci_low, ci_high, in_range, ...), ``estimates.parquet`` (every per-seed or
per-replicate estimate), ``base_fit.parquet`` (per city), ``gravity.parquet`` (all gravity variants
per seed), ``scenario_cities.parquet`` (per-city effects of the what-ifs), ``backtest*.parquet``,
``plots/*.png``, the resolved configs (``base.toml``, ``scenario-*.toml``) and ``manifest.json``.
The words and figures come from :mod:`simulation.report`; the whole folder is written by
:func:`simulation.report.validation_archive.write_validation_archive`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from simulation import archive as arc
from simulation.archive.files import config_toml
from simulation.archive.paths import display
from simulation.config import Config, load_config
from simulation.experiments.validate.pipeline import (
    BASELINE,
    ROOT,
    SCENARIOS,
    ValidationResult,
    panel_path,
    run_validation,
)

RESULTS_DIR = ROOT / "results"
VALIDATION_TABLES = (
    "facts",
    "estimates",
    "base_fit",
    "gravity",
    "scenario_cities",
    "backtest",
    "backtest_summary",
    "backtest_cluster",
)


def default_validation_path(results_dir: Path, seeds: int) -> Path:
    """``results_dir/<UTC yyyymmdd-HHMMSS>-validate-n<seeds>``, with -2, -3 ... if taken."""
    return arc.stamped_path(results_dir, f"validate-n{seeds}")


def panel_sha(cfg: Config) -> str | None:
    """sha256 of the region's panel.csv (None without one): a changed panel changes the backtest."""
    path = panel_path(cfg)
    return None if path is None else arc.sha256_file(path)


def write_tables(result: ValidationResult, folder: Path) -> str:
    """Write the resolved configs (``base.toml``, ``scenario-<role>.toml``) and every table of
    :data:`VALIDATION_TABLES` into ``folder``; return the text of ``base.toml``."""
    base_toml = config_toml(result.base_config)
    (folder / "base.toml").write_text(base_toml, encoding="utf-8")
    for role, cfg in result.scenario_configs.items():
        (folder / f"scenario-{role}.toml").write_text(config_toml(cfg), encoding="utf-8")
    tables = {name: getattr(result, name) for name in VALIDATION_TABLES}
    for name, df in tables.items():
        (folder / f"{name}.parquet").write_bytes(arc.parquet_bytes(df))
    return base_toml


def write_manifest(
    result: ValidationResult, folder: Path, base_toml: str, command: list[str] | None = None
) -> None:
    """Write ``manifest.json`` (kind "validate": the seeds, replicates, scenario sources and configs,
    the panel's hash, the facts in range; sha256 of every file already in ``folder``)."""
    extra = {
        "kind": "validate",
        "config_source": display(BASELINE),
        "scenario_sources": result.scenario_sources,
        "configs": {r: c.model_dump(mode="json") for r, c in result.scenario_configs.items()},
        "seeds": result.seeds,
        "replicates": result.replicates,
        "replicate_seeds": result.replicate_seeds,
        "panel_sha256": panel_sha(result.base_config),
        "facts_in_range": int(result.facts["in_range"].sum()),
        "facts": len(result.facts),
    }
    manifest = arc.build_manifest(
        folder,
        config=result.base_config.model_dump(mode="json"),
        seed=result.root_seed,
        config_toml=base_toml,
        wall_time_s=result.wall_time_s,
        command=list(sys.argv if command is None else command),
        extra=extra,
    )
    arc.write_manifest(folder, manifest)


def verify_validation_archive(path: Path, progress: bool = False, workers: int = 1) -> arc.VerifyReport:
    """Check a validation archive's file hashes, re-run the validation from its stored configs,
    seeds and replicate count, and compare every table bit for bit.

    Returns a :class:`simulation.archive.verify.VerifyReport` (``ok`` when nothing differs).

    Raises:
        ArchiveError: not an archive, not a validation archive, or a config file is missing.
        ConfigError, RegionError: the stored configs or their region no longer load.
    """
    path = Path(path)
    names = ["base.toml", *[f"scenario-{role}.toml" for role in SCENARIOS]]
    manifest, report = arc.open_for_verify(path, "validate", names)
    code = manifest.get("code") or {}
    now = arc.code_version()
    if code.get("git_commit") != now["git_commit"]:
        report.notes.append(f"code differs: archive {code.get('git_commit')}, now {now['git_commit']}")
    base = load_config(path / "base.toml")
    if manifest.get("panel_sha256") != panel_sha(base):
        report.notes.append("panel.csv differs from the archive's: the backtest tables will differ")
    scen = {role: load_config(path / f"scenario-{role}.toml") for role in SCENARIOS}
    result = run_validation(
        base,
        scen,
        len(manifest.get("seeds") or []),
        int(manifest["replicates"]),
        int(manifest["seed"]),
        scenario_sources=manifest.get("scenario_sources"),
        progress=progress,
        workers=workers,
    )
    report.wall_time_s = result.wall_time_s
    if list(manifest.get("seeds") or []) != result.seeds:
        report.rerun_differs.append("seeds")
    for name in VALIDATION_TABLES:
        stored = path / f"{name}.parquet"
        fresh = arc.sha256_bytes(arc.parquet_bytes(getattr(result, name)))
        if not stored.is_file() or arc.sha256_file(stored) != fresh:
            report.rerun_differs.append(f"{name}.parquet")
    return report
