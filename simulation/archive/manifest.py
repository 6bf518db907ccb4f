"""An archive's ``manifest.json``: built (provenance and the sha256 of every file), written whole
with its digest, read back checked against its schema (:mod:`simulation.archive.schema`), and the
files of the archive held against it.

Readers call :func:`read_manifest` (schema, paths, digest) and :func:`check_files` (no symlinks,
every listed file with its hash, nothing unlisted), or both at once with :func:`checked_manifest`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from simulation.archive import provenance, schema
from simulation.archive.atomic import atomic_write
from simulation.archive.errors import ArchiveError
from simulation.archive.files import MANIFEST, archive_entries, sha256_bytes, sha256_file


# ---------------------------------------------------------------------------- build and write
def run_id(config_toml: str, seed: int) -> str:
    """First 16 hex digits of sha256(config TOML + seed): the same run gets the same id."""
    return sha256_bytes(f"{config_toml}{seed}".encode())[:16]


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` but the manifest, by relative path (sorted)."""
    return {rel: sha256_file(Path(folder) / rel) for rel in archive_entries(folder) if rel != MANIFEST}


def build_manifest(
    folder: Path, *, config: dict[str, Any], seed: int, config_toml: str, wall_time_s: float,
    command: list[str], extra: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The manifest of a finished archive folder: provenance and sha256 of every file in it."""
    manifest: dict[str, Any] = {
        "schema_version": schema.SCHEMA_VERSION,
        "run_id": run_id(config_toml, seed),
        "created": now(),
        "command": command,
        "config": config,
        "seed": seed,
        **provenance.record(),
        "wall_time_s": round(wall_time_s, 3),
    }
    manifest.update(extra or {})
    manifest["files"] = file_hashes(folder)
    return manifest


def now() -> str:
    """The manifest's ``created`` time: UTC, to the second, ISO 8601."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def write_manifest(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Write ``folder/manifest.json`` with its digest (``manifest_sha256``, see
    :mod:`simulation.archive.schema`), whole or not at all; return what was written. A manifest
    without ``distributions`` gets the installed environment (:func:`provenance.environment`)."""
    if "distributions" not in manifest:  # every kind records the installed environment
        manifest = {**manifest, **provenance.environment()}
    sealed = schema.sealed(manifest)
    atomic_write(Path(folder) / MANIFEST, (json.dumps(sealed, indent=2, ensure_ascii=False) + "\n").encode())
    return sealed


def kind_of(manifest: dict[str, Any]) -> str:
    return manifest.get("kind") or "run"


# ---------------------------------------------------------------------------- read
def read_manifest(path: Path, kind: str | None = None) -> dict[str, Any]:
    """The manifest of the archive at ``path``, checked against its schema and its digest.

    Args:
        kind: the archive kind wanted ("run", "compare", "validate", "sweep", ...); None = any.

    Raises:
        ArchiveError: no folder, no manifest, unreadable JSON, a field of the wrong type or
            missing, a path outside the archive, a digest that does not match, another kind.
    """
    path = Path(path)
    if not path.is_dir():
        raise ArchiveError(path, "archive", "no such folder")
    mpath = path / MANIFEST
    if mpath.is_symlink():
        raise ArchiveError(mpath, "symlink", "the manifest is a symlink (allowed: a regular file)")
    if not mpath.is_file():
        raise ArchiveError(path, MANIFEST, "missing: not an archive")
    try:
        manifest = json.loads(mpath.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ArchiveError(mpath, "json", f"unreadable: {err} (expected: a JSON object)") from None
    try:
        schema.check(manifest)
    except schema.ManifestInvalid as err:
        raise ArchiveError(mpath, err.field, err.message) from None
    if kind is not None and kind_of(manifest) != kind:
        raise ArchiveError(
            mpath, "kind", f"a {kind_of(manifest)} archive, not a {kind} archive (allowed: a {kind} archive)"
        )
    return manifest


# Files a kind's archive holds beside those its manifest lists: a sweep's lock, the analysis folder
# (with its own manifest) and the hidden folders of an analysis being written, temporary run files.
_SWEEP_OUTSIDE = re.compile(
    r"^(?:\.lock|analysis/.+|\.analysis\.(?:partial|old)-\d+/.+|(?:[^/.][^/]*/)*[^/]+\.tmp-\d+)$"
)
OUTSIDE_MANIFEST: dict[str, re.Pattern[str]] = {"sweep": _SWEEP_OUTSIDE}


def check_files(path: Path, manifest: dict[str, Any]) -> list[str]:
    """Files that are missing, changed or not listed in the manifest ('name: reason'). The
    manifest must have passed :func:`read_manifest` (its paths stay inside the archive).

    Raises:
        ArchiveError: a symlink or special file in the archive (see :func:`archive_entries`).
    """
    path = Path(path)
    present = set(archive_entries(path))
    listed: dict[str, str] = manifest["files"]
    outside = OUTSIDE_MANIFEST.get(kind_of(manifest))
    problems = []
    for rel, digest in sorted(listed.items()):
        if rel not in present:
            problems.append(f"{rel}: missing")
        else:
            try:
                same = sha256_file(path / rel) == digest
            except OSError as err:
                problems.append(f"{rel}: unreadable: {err.strerror}")
                continue
            if not same:
                problems.append(f"{rel}: sha256 differs from the manifest")
    for rel in sorted(present):
        if rel != MANIFEST and rel not in listed and not (outside and outside.match(rel)):
            problems.append(f"{rel}: not listed in the manifest")
    return problems


def _under(rel: str, prefixes: tuple[str, ...]) -> bool:
    return any(rel == p or rel.startswith(f"{p}/") for p in prefixes)


def resume_problems(
    path: Path, manifest: dict[str, Any], *, rewritten: tuple[str, ...], growing: tuple[str, ...]
) -> list[str]:
    """What stops a writer from continuing the archive at ``path`` (a sweep resuming): a listed
    file it will not rewrite that changed or went missing, or an unlisted file where it adds none.
    Its next manifest hashes what is there, so going on would seal such an edit in.

    Args:
        rewritten: files and folders the writer writes anew (their listed hashes are stale).
        growing: folders it adds files to (unlisted files there are its own; a missing one is
            written again).
    """
    present = set(archive_entries(path))
    outside = OUTSIDE_MANIFEST.get(kind_of(manifest))
    listed: dict[str, str] = manifest["files"]
    problems = []
    for rel, digest in sorted(listed.items()):
        if _under(rel, rewritten) or (rel not in present and _under(rel, growing)):
            continue
        if rel not in present:
            problems.append(f"{rel}: missing")
        elif sha256_file(Path(path) / rel) != digest:
            problems.append(f"{rel}: sha256 differs from the manifest")
    for rel in sorted(present - set(listed)):
        if rel != MANIFEST and not (outside and outside.match(rel)) and not _under(rel, rewritten + growing):
            problems.append(f"{rel}: not listed in the manifest")
    return problems


def checked_manifest(path: Path, kind: str | None = None) -> dict[str, Any]:
    """The manifest of an archive whose files all match it: what every reader of an archive calls
    before reading anything else.

    Raises:
        ArchiveError: see :func:`read_manifest`; a symlink; a file missing, changed or not listed
            (the first few named; ``verify`` lists them all).
    """
    manifest = read_manifest(path, kind)
    problems = check_files(path, manifest)
    if problems:
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise ArchiveError(
            path, "files",
            f"{len(problems)} file(s) do not match the manifest: {'; '.join(problems[:3])}{more} "
            "(allowed: an archive whose files match its manifest; verify lists every difference)",
        )  # fmt: skip
    return manifest
