"""The sweep archive as a folder: its manifest, where it is, creating it, its lock and its layout.

The files inside are :mod:`simulation.experiments.sweep.store`'s. A new archive is created whole
(a hidden folder renamed into place) with its fixed files: ``sweep.toml`` (the sweep file as
given), ``base.toml`` (the resolved base config), ``design.parquet`` (one row per run) and the
manifest. Running the same sweep again finds its archive (``--out``, or the most recent unfinished
archive of the same sweep under ``results/``, :func:`locate`); a session holds the archive's lock
(``.lock``, flock, :func:`locked`) throughout.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from simulation import archive as arc
from simulation.config import to_toml
from simulation.experiments.sweep import store as st
from simulation.experiments.sweep.exec import source_sha256
from simulation.experiments.sweep.spec import Sweep
from simulation.experiments.sweep.store import BASE_TOML, DESIGN, FAILED, LOCK, RUNS, STATUSES, SWEEP_TOML

RESULTS_DIR = Path(__file__).resolve().parents[3] / "results"


def _version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_manifest(sweep: Sweep, command: list[str]) -> dict[str, Any]:
    """The manifest of a new sweep archive (status "running", no sessions yet)."""
    lock = arc.REPO_ROOT / "uv.lock"
    return {
        "schema_version": arc.SCHEMA_VERSION,
        "kind": "sweep",
        "layout": st.LAYOUT,
        "run_id": sweep.sweep_hash[:16],
        "sweep_hash": sweep.sweep_hash,
        "name": sweep.name,
        "description": sweep.description,
        "created": now(),
        "updated": now(),
        "status": "running",
        "command": command,
        "sweep_file": str(sweep.file),
        "config_source": str(sweep.base_file) if sweep.base_file else None,
        "sets": sweep.sets,
        "config": sweep.base_config.model_dump(mode="json"),
        "seed": sweep.seed,
        "design": sweep.design_info(),
        "counts": {s: 0 for s in STATUSES} | {"pending": len(sweep.tasks)},
        "code": arc.code_version(),
        "code_sha256": source_sha256(),
        "lock_sha256": arc.sha256_file(lock) if lock.is_file() else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {
            **arc.package_versions(),
            **{n: _version(n) for n in ("scipy", "SALib", "dask", "distributed")},
        },
        "sessions": [],
        "files": {},
    }


def default_sweep_path(results_dir: Path, stem: str) -> Path:
    """``results_dir/<UTC yyyymmdd-HHMMSS>-sweep-<stem>``, with -2, -3 ... if taken."""
    from simulation.archive.paths import stamped_path

    return stamped_path(results_dir, f"sweep-{stem}")


def find_unfinished(parent: Path, sweep_hash: str) -> Path | None:
    """The most recently created sweep archive in ``parent`` of this sweep that is not complete."""
    found = []
    if Path(parent).is_dir():
        for p in Path(parent).iterdir():
            if p.name.startswith(".") or not p.is_dir():
                continue
            m = st.read_json(p / arc.MANIFEST)
            if m and m.get("kind") == "sweep" and m.get("sweep_hash") == sweep_hash:
                if m.get("status") != "complete":
                    found.append((str(m.get("created") or ""), p.name, p))
    return max(found)[2] if found else None


def locate(sweep: Sweep, out: Path | None, results_dir: Path = RESULTS_DIR) -> tuple[Path, bool]:
    """Where the sweep's archive is, and whether it resumes an existing one.

    ``out`` holding a sweep archive: resume it if it is this sweep (else ArchiveError). ``out`` new
    or empty: a new archive there. ``out`` a folder of other things, or no ``out`` (then
    ``results_dir``): the most recent unfinished archive of this sweep in it, else a new one
    named ``<UTC time>-sweep-<file stem>``.
    """
    if out is not None:
        out = Path(out)
        arc.check_out(out, archive_ok=True)
        if (out / arc.MANIFEST).is_file():
            m = st.read_json(out / arc.MANIFEST) or {}
            if m.get("kind") != "sweep":
                raise arc.ArchiveError(
                    out,
                    "--out",
                    f"holds a {m.get('kind') or 'run'} archive, not a sweep "
                    "(allowed: a sweep archive of the same sweep, or a new or empty folder)",
                )
            if m.get("sweep_hash") != sweep.sweep_hash:
                raise arc.ArchiveError(
                    out,
                    "--out",
                    f"holds a different sweep ({m.get('name')!r}, from "
                    f"{m.get('sweep_file')}) (allowed: the same sweep to resume it, --extend "
                    "ARCHIVE to add replicates or points to it, or a new or empty folder)",
                )
            return out, True
        if not out.exists() or not any(out.iterdir()):
            return out, False
        parent = out
    else:
        parent = Path(results_dir)
    found = find_unfinished(parent, sweep.sweep_hash)
    if found is not None:
        return found, True
    return default_sweep_path(parent, Path(sweep.file).stem), False


def design_bytes(sweep: Sweep) -> bytes:
    """``design.parquet``: the run rows (point, replicate, seed, run_id, parameters, the baseline's
    id for delta metrics) with the points' unit-cube coordinates."""
    design = sweep.runs.merge(sweep.points.drop(columns=sweep.paths), on="point", how="left")
    return arc.parquet_bytes(design)


def create_archive(sweep: Sweep, path: Path, command: list[str]) -> Path:
    """Create the archive folder with its fixed files, atomically (a hidden folder renamed into
    place), so that an archive with a manifest always has its design."""
    with arc.staging(path) as tmp:
        (tmp / RUNS).mkdir()
        (tmp / FAILED).mkdir()
        (tmp / SWEEP_TOML).write_text(sweep.text, encoding="utf-8")
        (tmp / BASE_TOML).write_text(to_toml(sweep.base_config), encoding="utf-8")
        (tmp / DESIGN).write_bytes(design_bytes(sweep))
        manifest = new_manifest(sweep, command)
        manifest["files"] = {rel: arc.sha256_file(tmp / rel) for rel in st.archive_files(tmp)}
        arc.write_manifest(tmp, manifest)
    return path


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the archive's lock (``.lock``, flock) for the block: one sweep process per archive. The
    lock goes with the process, however it ends."""
    fd = os.open(Path(path) / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise arc.ArchiveError(
            path,
            "archive",
            "another sweep process is running it (allowed: wait for it to finish, or another --out)",
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def check_layout(path: Path, manifest: dict[str, Any]) -> None:
    if manifest.get("layout") != st.LAYOUT:
        raise arc.ArchiveError(
            path,
            "layout",
            f"{manifest.get('layout')!r}: written by an earlier version of the sweep storage (one file "
            f"per run id, runs/<id>.parquet) (allowed: layout {st.LAYOUT}; run the sweep into a new archive)",
        )
