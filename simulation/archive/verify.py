"""``verify``: what every archive kind's check shares. The files are held against the manifest
first (:func:`open_for_verify`); each kind then re-runs what the archive stores and hands the fresh
bytes to :func:`differing`, which names every stored file whose bytes are not the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.archive.errors import ArchiveError
from simulation.archive.files import sha256_bytes, sha256_file
from simulation.archive.manifest import check_files, read_manifest
from simulation.archive.provenance import environment_notes


@dataclass
class VerifyReport:
    """Outcome of verifying an archive.

    ``file_problems`` names files whose hash differs from the manifest, or that are missing or
    not listed; ``rerun_differs`` names the files (or fields) whose re-run bytes differ from the
    stored ones.
    """

    path: Path
    file_problems: list[str] = field(default_factory=list)
    rerun_differs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wall_time_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.file_problems and not self.rerun_differs

    def lines(self) -> list[str]:
        """The problems, one line each (empty when ok)."""
        return [f"changed file: {p}" for p in self.file_problems] + [
            f"re-run differs: {name}" for name in self.rerun_differs
        ]


def open_for_verify(path: Path, kind: str, required: list[str]) -> tuple[dict[str, Any], VerifyReport]:
    """Read an archive's manifest for ``verify``, check it is of ``kind`` and holds the files needed
    to re-run it, and start the report with the file-hash check and the environment notes."""
    path = Path(path)
    manifest = read_manifest(path, kind)
    report = VerifyReport(path=path, file_problems=check_files(path, manifest))
    report.notes.extend(environment_notes(manifest))
    for name in required:
        if not (path / name).is_file():
            raise ArchiveError(path, name, "missing: cannot re-run")
    return manifest, report


def differing(path: Path, fresh: dict[str, bytes]) -> list[str]:
    """The names in ``fresh`` (file name -> the bytes a re-run made) whose file in the archive at
    ``path`` is missing or holds other bytes, in the order of ``fresh``."""
    out = []
    for name, data in fresh.items():
        stored = Path(path) / name
        if not stored.is_file() or sha256_file(stored) != sha256_bytes(data):
            out.append(name)
    return out
