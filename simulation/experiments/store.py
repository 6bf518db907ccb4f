"""Writing and re-checking the archives of discover and optimise through :mod:`simulation.archive`.

One layer for every archive kind: the folder is staged hidden and renamed into place
(:func:`simulation.archive.atomic.staging`), tables are deterministic Parquet
(:func:`simulation.archive.files.parquet_bytes`), and the manifest (provenance, sha256 of every
file, its own digest) comes from :func:`simulation.archive.manifest.build_manifest` and
:func:`simulation.archive.manifest.write_manifest`. ``verify`` rebuilds the same tables and texts
and compares their bytes with the stored files (:func:`differences`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.archive.atomic import staging
from simulation.archive.files import parquet_bytes
from simulation.archive.manifest import build_manifest, write_manifest
from simulation.archive.provenance import package_versions
from simulation.archive.verify import differing

LIBRARIES = ("ema_workbench", "scikit-learn", "pymoo", "scipy")


def table_bytes(tables: dict[str, pd.DataFrame], texts: dict[str, str]) -> dict[str, bytes]:
    """File name -> bytes: each table as ``<name>.parquet``, each text under its own name."""
    out = {f"{name}.parquet": parquet_bytes(df.reset_index(drop=True)) for name, df in tables.items()}
    out.update({name: text.encode("utf-8") for name, text in texts.items()})
    return out


def write(
    final: Path,
    *,
    kind: str,
    tables: dict[str, pd.DataFrame],
    texts: dict[str, str],
    figures: Callable[[Path], None] | None,
    config: dict[str, Any],
    seed: int,
    identity: str,
    wall_time_s: float,
    command: list[str],
    fields: dict[str, Any],
) -> Path:
    """Write an archive of ``kind`` at ``final`` (new or empty) whole or not at all.

    Args:
        tables, texts: the reproducible content (``verify`` compares these bytes).
        figures: draws the plots into the staging folder (hashed, not compared on verify).
        config: the resolved model config the archive rests on (the manifest's ``config``).
        identity: text that decides the content (the archive's ``run_id`` is its hash with seed).
        fields: the kind's own manifest fields.
    """
    with staging(final) as tmp:
        for name, data in table_bytes(tables, texts).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_bytes(data)
        if figures is not None:
            figures(tmp)
        manifest = build_manifest(
            tmp, config=config, seed=seed, config_toml=identity, wall_time_s=wall_time_s,
            command=command, extra={"kind": kind, "packages": package_versions(LIBRARIES), **fields},
        )  # fmt: skip
        write_manifest(tmp, manifest)
    return final


def differences(path: Path, tables: dict[str, pd.DataFrame], texts: dict[str, str]) -> list[str]:
    """The files of the archive at ``path`` whose bytes differ from ``tables`` and ``texts`` made
    again (or that are missing)."""
    return differing(path, table_bytes(tables, texts))
