"""Where an archive came from: the code (git commit, dirty flag), the lock file, Python and the
platform, the versions of the model's packages, and every installed distribution with the sha256
of that list, so that ``verify`` can name each one that changed since (:func:`environment_notes`).
"""

from __future__ import annotations

import functools
import hashlib
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from simulation.archive.files import sha256_file

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("mesa", "numpy", "pandas", "networkx", "pyarrow", "pydantic", "matplotlib")


# ---------------------------------------------------------------------------- code and packages
def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def code_version() -> dict[str, Any]:
    """Git commit of the project (None before the first commit / without git) and dirty flag."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain")
    return {
        "git_commit": commit.strip() if commit else None,
        "git_dirty": None if status is None else bool(status.strip()),
    }


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str | None]:
    """Version of each of :data:`PACKAGES`, then of each name in ``extra`` (None: not installed)."""
    out: dict[str, str | None] = {}
    for name in (*PACKAGES, *extra):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def lock_sha256() -> str | None:
    """sha256 of the project's ``uv.lock`` (None without one)."""
    lock = REPO_ROOT / "uv.lock"
    return sha256_file(lock) if lock.is_file() else None


def record(extra_packages: tuple[str, ...] = ()) -> dict[str, Any]:
    """The provenance fields of a manifest, in their order: ``code``, ``lock_sha256``, ``python``,
    ``platform``, ``packages`` (:data:`PACKAGES` and ``extra_packages``)."""
    return {
        "code": code_version(),
        "lock_sha256": lock_sha256(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(extra_packages),
    }


# ---------------------------------------------------------------------------- installed environment
def _canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


@functools.cache
def _scan() -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for dist in metadata.distributions():  # in sys.path order: the first of a name is what imports
        name = dist.metadata["Name"]
        if name:
            found.setdefault(_canonical_name(name), dist.version)
    return tuple(sorted(found.items()))


def installed_distributions() -> dict[str, str]:
    """Every distribution installed for this interpreter (``importlib.metadata``): canonical name
    (PEP 503: lower case, runs of ``-_.`` as ``-``) -> version. Scanned once per process."""
    return dict(_scan())


def distributions_sha256(dists: dict[str, str]) -> str:
    """sha256 of the sorted ``name==version`` lines, one per distribution (each line ending in a newline)."""
    text = "".join(f"{k}=={v}\n" for k, v in sorted(dists.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def environment() -> dict[str, Any]:
    """The manifest's record of the environment: ``distributions`` and ``distributions_sha256``."""
    dists = installed_distributions()
    return {"distributions": dists, "distributions_sha256": distributions_sha256(dists)}


def drift(recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    """Each difference between two distribution lists, by name: ``networkx 3.7 -> 3.6``,
    ``added foo 1.0``, ``removed bar 2.0`` (sorted by name)."""
    out = []
    for name in sorted(set(recorded) | set(now)):
        old, new = recorded.get(name), now.get(name)
        if old == new:
            continue
        if old is None:
            out.append(f"added {name} {new}")
        elif new is None:
            out.append(f"removed {name} {old}")
        else:
            out.append(f"{name} {old} -> {new}")
    return out


def environment_notes(manifest: dict[str, Any]) -> list[str]:
    """What ``verify`` says about the environment: nothing when the installed distributions equal
    the archive's, else one line naming every difference (or that the archive lists none)."""
    recorded = manifest.get("distributions")
    if recorded is None:
        return ["environment: the archive lists no installed distributions (written before they were kept)"]
    changes = drift(recorded, installed_distributions())
    if not changes:
        return []
    return [
        f"environment drift: {len(changes)} installed distribution(s) differ from the archive's: "
        + ", ".join(changes)
    ]


def code_notes(manifest: dict[str, Any]) -> list[str]:
    """A note for ``verify`` when the code's commit differs from the archive's."""
    code, now = manifest.get("code") or {}, code_version()
    if code.get("git_commit") != now["git_commit"]:
        return [f"code differs: archive {code.get('git_commit')}, now {now['git_commit']}"]
    return []
