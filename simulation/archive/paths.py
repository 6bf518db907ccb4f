"""Where an archive goes: output paths checked before any work starts, default names, and the
path as a command prints it."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from simulation.archive.errors import ArchiveError
from simulation.archive.files import MANIFEST

NAME_MAX = 255  # bytes in one path component (Linux, macOS, Windows)
PATH_MAX = 4096  # bytes in a whole path (Linux)


def check_out(out: Path, archive_ok: bool = False) -> None:
    """Raise ArchiveError unless ``out`` can hold archives: a folder, or a path not yet taken, whose
    names fit the file system, under no file and no existing archive, in a writable folder. Called
    before any work starts, so that bad output paths fail at once rather than after the run.
    ``archive_ok``: ``out`` itself may be an archive (a sweep resumes into its own archive)."""
    if "\x00" in str(out):
        raise ArchiveError(repr(str(out)[:60]), "--out", "holds a NUL byte (allowed: a folder path)")
    out = Path(out)
    if len(os.fsencode(str(out.absolute()))) > PATH_MAX:
        raise ArchiveError(
            f"{str(out)[:60]}...",
            "--out",
            f"the path is {len(os.fsencode(str(out.absolute()))):,} bytes (allowed: at most {PATH_MAX:,})",
        )
    long = next((p for p in out.parts if len(os.fsencode(p)) > NAME_MAX), None)
    if long is not None:
        raise ArchiveError(
            f"{str(out)[:60]}...",
            "--out",
            f"a folder name is {len(os.fsencode(long))} bytes (allowed: at most {NAME_MAX})",
        )
    if out.exists() and not out.is_dir():
        raise ArchiveError(out, "--out", "is a file (allowed: a folder to hold the archive)")
    for i, folder in enumerate([out, *out.parents]):
        if folder.exists() and not folder.is_dir():
            raise ArchiveError(out, "--out", f"{folder} is a file, not a folder (allowed: a folder path)")
        if (folder / MANIFEST).is_file() and not (archive_ok and i == 0):
            raise ArchiveError(
                out,
                "--out",
                f"{folder} is an archive; writing into it would damage it "
                "(allowed: a new folder, or a folder that holds archives)",
            )
    existing = next(p for p in [out, *out.parents] if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK) or not _can_create(existing):
        raise ArchiveError(out, "--out", f"{existing} is not writable (allowed: a folder you can write to)")


def _can_create(folder: Path) -> bool:
    """Whether a folder can be made in ``folder`` (a probe, removed at once): ``os.access`` says yes
    to root everywhere, also in /proc or on a file system that refuses new entries."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=f".probe-{os.getpid()}-", dir=folder))
    except OSError:
        return False
    return True


def resolve_out(out: Path | None, results_dir: Path, name_in: Callable[[Path], Path]) -> Path:
    """Where an archive goes: ``out`` itself when it is new or an empty folder; a new archive folder
    inside ``out`` when it is a folder with other things in it; under ``results_dir`` when None."""
    if out is None:
        return name_in(Path(results_dir))
    out = Path(out)
    check_out(out)
    if out.is_dir() and any(out.iterdir()):
        return name_in(out)
    return out


def check_final(final: Path) -> None:
    """The archive folder itself must not exist yet, or be empty."""
    if final.is_dir() and any(final.iterdir()):
        raise ArchiveError(
            final, "archive", "folder exists and is not empty (allowed: a new or empty folder)"
        )
    if final.exists() and not final.is_dir():
        raise ArchiveError(final, "archive", "is a file (allowed: a new or empty folder)")


def stamped_path(results_dir: Path, name: str) -> Path:
    """``results_dir/<UTC yyyymmdd-HHMMSS>-<name>``, with -2, -3, ... if taken."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    base = Path(results_dir) / f"{stamp}-{name}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def display(path: Path) -> str:
    """``path`` relative to the working folder when it lies inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
