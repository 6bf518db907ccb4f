"""Writing and re-checking the archives of discover and optimise through :mod:`simulation.archive`.

One layer for every archive kind: the folder is staged hidden and renamed into place
(:func:`simulation.archive.staging`), tables are deterministic Parquet
(:func:`simulation.archive.parquet_bytes`), and the manifest (provenance, sha256 of every file,
its own digest) comes from :func:`simulation.archive.build_manifest` and
:func:`simulation.archive.write_manifest`. ``verify`` rebuilds the same tables and texts and
compares their bytes with the stored files (:func:`differences`).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from simulation import archive as arc

LIBRARIES = ("ema_workbench", "scikit-learn", "pymoo", "scipy")


def library_versions() -> dict[str, str | None]:
    """The archive's package versions: the model's (:func:`simulation.archive.package_versions`)
    and the experiment libraries'."""
    out = dict(arc.package_versions())
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def table_bytes(tables: dict[str, pd.DataFrame], texts: dict[str, str]) -> dict[str, bytes]:
    """File name -> bytes: each table as ``<name>.parquet``, each text under its own name."""
    out = {f"{name}.parquet": arc.parquet_bytes(df.reset_index(drop=True)) for name, df in tables.items()}
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
    with arc.staging(final) as tmp:
        for name, data in table_bytes(tables, texts).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_bytes(data)
        if figures is not None:
            figures(tmp)
        manifest = arc.build_manifest(
            tmp, config=config, seed=seed, config_toml=identity, wall_time_s=wall_time_s,
            command=command, extra={"kind": kind, "packages": library_versions(), **fields},
        )  # fmt: skip
        arc.write_manifest(tmp, manifest)
    return final


def differences(path: Path, tables: dict[str, pd.DataFrame], texts: dict[str, str]) -> list[str]:
    """The files of the archive at ``path`` whose bytes differ from ``tables`` and ``texts`` made
    again (or that are missing)."""
    out = []
    for name, data in table_bytes(tables, texts).items():
        f = Path(path) / name
        if not f.is_file() or arc.sha256_file(f) != arc.sha256_bytes(data):
            out.append(name)
    return out


def code_notes(manifest: dict[str, Any]) -> list[str]:
    """A note for ``verify`` when the code's commit differs from the archive's (the installed
    environment is compared by :func:`simulation.archive.open_for_verify`)."""
    code, now = manifest.get("code") or {}, arc.code_version()
    if code.get("git_commit") != now["git_commit"]:
        return [f"code differs: archive {code.get('git_commit')}, now {now['git_commit']}"]
    return []


def display(path: Path) -> str:
    """``path`` relative to the working folder when inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
