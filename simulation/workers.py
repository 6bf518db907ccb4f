"""What a worker process needs and keeps between runs (compare, sweeps, Dask workers).

- :func:`main_script_hidden`: start spawned workers without re-running the main script.
- The code identity a worker reports (:func:`code_identity`): the sha256 of the installed package
  sources and data (``simulation/``, ``agents/``, the region files) and of the ``uv.lock`` beside
  them. The sweep manifest records the same two values, so a worker whose identity equals the
  sweep's runs the code and the locked environment the archive says it does.
- Inputs that every run of a sweep shares and no run changes (the region tables), built once per
  worker process and keyed by everything they are built from (:func:`shared_region`). Each run gets
  its own copy, so no run can see what another did to its inputs.

Imports nothing heavy at module level: spawned workers and the Dask pre-flight import it first.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import functools
import hashlib
import importlib
import importlib.util
import os
import platform
import sys
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.region import Region

SOURCE_PACKAGES = ("simulation", "agents")
SKIPPED_SUFFIXES = (".pyc", ".png")
MAX_REGIONS = 8  # regions kept per worker (a sweep uses one; a few for sweeps over run.region)


@contextlib.contextmanager
def main_script_hidden() -> Iterator[None]:
    """While worker processes start, hide the main script from multiprocessing's spawn.

    Workers need nothing from ``__main__`` (tasks and their arguments live in ``simulation.*``), but a
    spawned child re-imports the main script, and a script without an ``if __name__ == "__main__"``
    guard would start the whole command again in every worker. Without ``__spec__`` and
    ``__file__`` the child imports no main script at all. Used by compare, sweeps and validation.
    """
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__spec__", "__file__") if main is not None and hasattr(main, k)}
    try:
        if main is not None:
            if "__spec__" in saved:
                main.__spec__ = None
            if "__file__" in saved:
                del main.__file__
        yield
    finally:
        for k, v in saved.items():
            setattr(main, k, v)


# ---------------------------------------------------------------------------- code identity
def package_dir(name: str) -> Path:
    """The folder the top-level package ``name`` is imported from (editable or installed)."""
    if name == "simulation":
        return Path(__file__).resolve().parent
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"package {name!r} is not importable")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


@functools.cache
def source_sha256() -> str:
    """sha256 over the model's source and data files (``simulation/``, ``agents/``, as imported):
    two processes with equal hashes run the same code on the same built-in data."""
    h = hashlib.sha256()
    for top in SOURCE_PACKAGES:
        base = package_dir(top)
        for p in sorted(base.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in SKIPPED_SUFFIXES:
                h.update(f"{top}/{p.relative_to(base).as_posix()}".encode() + b"\0")
                h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


def lock_file() -> Path | None:
    """The ``uv.lock`` of the project the packages are imported from (None for an installed wheel)."""
    lock = package_dir("simulation").parent / "uv.lock"
    return lock if lock.is_file() else None


@functools.cache
def lock_sha256() -> str | None:
    lock = lock_file()
    return hashlib.sha256(lock.read_bytes()).hexdigest() if lock else None


def code_identity() -> dict[str, str | None]:
    """``code_sha256`` (:func:`source_sha256`) and ``lock_sha256``, as the sweep manifest records them."""
    return {"code_sha256": source_sha256(), "lock_sha256": lock_sha256()}


def identity_text(identity: dict[str, Any]) -> str:
    """``code 1a2b3c4d5e6f, uv.lock 9f8e7d6c5b4a`` (first 12 hex digits; 'none' when absent)."""
    code, lock = identity.get("code_sha256"), identity.get("lock_sha256")
    return f"code {str(code)[:12] if code else 'none'}, uv.lock {str(lock)[:12] if lock else 'none'}"


def worker_report(modules: tuple[str, ...]) -> dict[str, Any]:
    """What a worker says in the Dask pre-flight: whether it imports ``modules`` (what a run needs,
    named by the executor that asks), and its code identity. Never raises: an import failure comes
    back as ``{"ok": False, "error": ...}``."""
    try:
        for name in modules:
            importlib.import_module(name)
    except Exception as err:  # noqa: BLE001 - reported, not raised
        return {"ok": False, "error": f"{type(err).__name__}: {' '.join(str(err).split())}"[:300]}
    return {
        "ok": True,
        **code_identity(),
        "python": platform.python_version(),
        "package": str(package_dir("simulation")),
        "pid": os.getpid(),
    }


# ---------------------------------------------------------------------------- memory allocator
M_MMAP_THRESHOLD = -3  # glibc mallopt parameter
MMAP_THRESHOLD_MAX = 32 * 2**20  # glibc's upper limit of its sliding mmap threshold (64-bit)


@functools.cache
def large_arrays_from_heap() -> bool:
    """Undo the cost of Dask's ``MALLOC_TRIM_THRESHOLD_`` for this process (once; True if done).

    A Dask nanny starts its worker with ``MALLOC_TRIM_THRESHOLD_=65536`` (to hand freed memory back
    to the OS). Setting any malloc threshold switches off glibc's sliding mmap threshold, so every
    array above 128 KiB — most of a run's arrays at 50k agents — is mmapped and page-faulted afresh
    each time: measured here, a default-scale run took 1.60 s instead of 1.07 s of CPU. Where that
    variable is set (and ``MALLOC_MMAP_THRESHOLD_`` is not) on glibc, set the mmap threshold to the
    sliding threshold's own upper limit. Results do not depend on it.
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        return bool(ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX))
    except (OSError, AttributeError):
        return False


# ---------------------------------------------------------------------------- shared inputs
_REGIONS: OrderedDict[tuple, Region] = OrderedDict()


def _folder_stamp(spec: str) -> tuple:
    """What a region read from ``spec`` depends on: each file's name, size and modification time
    (so that an edited region file is read again), or nothing for a synthetic region."""
    if spec.startswith("synthetic:"):
        return ()
    from simulation.region import BUILTIN_REGIONS_DIR

    builtin = BUILTIN_REGIONS_DIR / spec
    folder = builtin if "/" not in spec and "\\" not in spec and builtin.is_dir() else Path(spec)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
        return (str(folder.resolve()),) + tuple(
            (e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries if e.is_file()
        )
    except OSError:
        return ("unreadable",)  # load_region raises the right error


def shared_region(spec: str) -> Region:
    """The region ``spec`` (a built-in name, a folder or ``synthetic:N:SEED``), read once per
    process and keyed by its files' names, sizes and times; each call returns a private copy.

    Raises:
        ConfigError, RegionError: as ``simulation.model.resolve_region`` (failures are not cached).
    """
    from simulation.model import resolve_region

    key = (spec, _folder_stamp(spec))
    region = _REGIONS.get(key)
    if region is None:
        region = resolve_region(spec)
        _REGIONS[key] = region
        while len(_REGIONS) > MAX_REGIONS:
            _REGIONS.popitem(last=False)
    _REGIONS.move_to_end(key)
    return copy.deepcopy(region)
