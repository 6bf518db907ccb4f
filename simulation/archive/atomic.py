"""Atomic writes: a file or a whole archive folder appears complete or not at all.

A folder is written into a hidden sibling ``.NAME.partial-PID`` and renamed into place at the end
(:func:`staging`), so a killed writer leaves no half archive; the next writer in that folder removes
such leftovers once their process is gone (:func:`clean_stale`). A single file goes through a
temporary ``NAME.tmp-PID``, flushed to disk, then renamed (:func:`atomic_write`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simulation.archive.paths import check_final

PARTIAL = re.compile(r"^\..+\.(?:partial|old)-(\d+)$")  # a writer's hidden folder: .NAME.partial-PID


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a temporary ``<name>.tmp-<pid>`` (not ending in the
    file's suffix), flushed to disk, then renamed; parent folders are made as needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one owned by another user counts as alive)."""
    if pid <= 0:
        return True  # not a writer's PID: never treat it as dead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def clean_stale(parent: Path) -> list[Path]:
    """Remove the hidden folders (``.NAME.partial-PID``, ``.NAME.old-PID``) that writers killed
    before they could clean up left in ``parent``: only those whose PID no longer runs, never one
    whose process lives (it may be writing now). Returns the folders removed."""
    removed = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return removed
    for p in entries:
        m = PARTIAL.match(p.name)
        if m is None or int(m.group(1)) == os.getpid() or pid_alive(int(m.group(1))):
            continue
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
                removed.append(p)
        except OSError:
            pass
    return removed


@contextmanager
def staging(final: Path, replace: bool = False) -> Iterator[Path]:
    """Yield a hidden temp folder beside ``final``; rename it to ``final`` when the block ends
    normally, remove it on any exception (a SIGKILL leaves only the hidden ``.partial`` folder).

    ``final`` must be new or an empty folder, unless ``replace``: then a folder already there is
    replaced whole (moved aside to ``.NAME.old-PID``, the new one renamed in, the old removed).
    """
    final = Path(final)
    if not replace:
        check_final(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(final.parent)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        if replace:
            _swap_in(tmp, final)
        else:
            check_final(final)
            os.replace(tmp, final)  # also replaces an empty folder at ``final``
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp: Path, final: Path) -> None:
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
