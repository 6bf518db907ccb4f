"""Run archives: write, verify, list and show self-describing result folders (design §5).

An archive is a folder holding ``config.toml`` (the resolved config, re-runnable as is),
``model.parquet``, ``cities.parquet``, ``flows.parquet``, ``plots/*.png``, ``summary.md`` and, last,
``manifest.json`` (versions, hashes of every other file). It is written into a hidden sibling
folder and renamed into place at the end, so a killed run leaves no half archive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.config import load_config, to_toml
from simulation.runner import RunResult, run_config

SCHEMA_VERSION = 1
REPO_ROOT = Path(__file__).resolve().parents[1]
MANIFEST = "manifest.json"
TABLES = ("model", "cities", "flows")
PACKAGES = ("mesa", "numpy", "pandas", "networkx", "pyarrow", "pydantic", "matplotlib")
STALE_PARTIAL_S = 24 * 3600


class ArchiveError(ValueError):
    """Not an archive, or an archive path that cannot be used; one line 'file: field: message'."""

    def __init__(self, file: str | Path, field: str, message: str) -> None:
        self.file, self.field, self.message = str(file), field, message
        super().__init__(f"{self.file}: {self.field}: {message}")


# ---------------------------------------------------------------------------- bytes and hashes
def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """A table as Parquet bytes, deterministic: the same frame gives the same bytes (fixed
    compression and page settings, single-threaded conversion, no timestamps in the file)."""
    table = pa.Table.from_pandas(df, preserve_index=False, nthreads=1)
    buf = io.BytesIO()
    pq.write_table(
        table, buf, compression="zstd", compression_level=3, use_dictionary=True,
        write_statistics=True, version="2.6", data_page_version="1.0",
        row_group_size=1 << 20, store_schema=True,
    )  # fmt: skip
    return buf.getvalue()


def _files_under(folder: Path) -> list[str]:
    """Relative POSIX paths of all files below ``folder``, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------- provenance
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


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def run_id(config_toml: str, seed: int) -> str:
    """First 16 hex digits of sha256(config TOML + seed): the same run gets the same id."""
    return sha256_bytes(f"{config_toml}{seed}".encode())[:16]


def build_manifest(
    folder: Path, *, config: dict[str, Any], seed: int, config_toml: str, wall_time_s: float,
    command: list[str], extra: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The manifest of a finished archive folder: provenance and sha256 of every file in it."""
    lock = REPO_ROOT / "uv.lock"
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id(config_toml, seed),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command,
        "config": config,
        "seed": seed,
        "code": code_version(),
        "lock_sha256": sha256_file(lock) if lock.is_file() else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "wall_time_s": round(wall_time_s, 3),
    }
    manifest.update(extra or {})
    manifest["files"] = {rel: sha256_file(folder / rel) for rel in _files_under(folder) if rel != MANIFEST}
    return manifest


# ---------------------------------------------------------------------------- atomic folders
NAME_MAX = 255  # bytes in one path component (Linux, macOS, Windows)


def check_out(out: Path, archive_ok: bool = False) -> None:
    """Raise ArchiveError unless ``out`` can hold archives: a folder, or a path not yet taken, whose
    names fit the file system, under no file and no existing archive, in a writable folder. Called
    before any work starts, so that bad output paths fail at once rather than after the run.
    ``archive_ok``: ``out`` itself may be an archive (a sweep resumes into its own archive)."""
    out = Path(out)
    long = next((p for p in out.parts if len(os.fsencode(p)) > NAME_MAX), None)
    if long is not None:
        raise ArchiveError(f"{str(out)[:60]}...", "--out",
                           f"a folder name is {len(os.fsencode(long))} bytes (allowed: at most {NAME_MAX})")
    if out.exists() and not out.is_dir():
        raise ArchiveError(out, "--out", "is a file (allowed: a folder to hold the archive)")
    for i, folder in enumerate([out, *out.parents]):
        if folder.exists() and not folder.is_dir():
            raise ArchiveError(out, "--out", f"{folder} is a file, not a folder (allowed: a folder path)")
        if (folder / MANIFEST).is_file() and not (archive_ok and i == 0):
            raise ArchiveError(out, "--out", f"{folder} is an archive; writing into it would damage it "
                               "(allowed: a new folder, or a folder that holds archives)")
    existing = next(p for p in [out, *out.parents] if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ArchiveError(out, "--out", f"{existing} is not writable (allowed: a folder you can write to)")


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


def default_path(results_dir: Path, stem: str, seed: int) -> Path:
    """``results_dir/<UTC yyyymmdd-HHMMSS>-<stem>-s<seed>``, with -2, -3, ... if taken."""
    return stamped_path(results_dir, f"{stem}-s{seed}")


def open_for_verify(path: Path, kind: str, required: list[str]) -> tuple[dict, VerifyReport]:
    """Read an archive's manifest for ``verify``, check it is of ``kind`` and holds the files needed
    to re-run it, and start the report with the file-hash check."""
    path = Path(path)
    manifest = read_manifest(path)
    if manifest.get("kind") != kind:
        raise ArchiveError(
            path / MANIFEST, "kind", f"{manifest.get('kind')!r} is not {kind!r} (allowed: {kind!r})"
        )
    report = VerifyReport(path=path, file_problems=check_files(path, manifest))
    for name in required:
        if not (path / name).is_file():
            raise ArchiveError(path, name, "missing: cannot re-run")
    return manifest, report


def _clean_stale(parent: Path) -> None:
    now = time.time()
    for p in parent.glob(".*.partial-*"):
        try:
            if p.is_dir() and now - p.stat().st_mtime > STALE_PARTIAL_S:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            pass


@contextmanager
def staging(final: Path) -> Iterator[Path]:
    """Yield a hidden temp folder beside ``final``; rename it to ``final`` when the block ends
    normally, remove it on any exception (a SIGKILL leaves only the hidden ``.partial`` folder)."""
    final = Path(final)
    check_final(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(final.parent)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        check_final(final)
        os.replace(tmp, final)  # also replaces an empty folder at ``final``
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ---------------------------------------------------------------------------- write
def write_archive(
    result: RunResult,
    out: Path | None,
    *,
    config_source: str | None,
    results_dir: Path = Path("results"),
    command: list[str] | None = None,
) -> Path:
    """Write the archive of ``result`` and return its path.

    Args:
        result: a finished run.
        out: the archive folder if new or empty, else a folder to hold a new archive; None = a new
            folder under
            ``results_dir`` named ``<UTC time>-<config stem>-s<seed>``.
        config_source: the config file the run came from (for names and the summary).
        results_dir: where default-named archives go.
        command: the command line recorded in the manifest (default ``sys.argv``).

    Raises:
        ArchiveError: ``out`` exists and is not an empty folder.
    """
    from simulation import plots
    from simulation.summary import PLOTS, summary_markdown

    stem = Path(config_source).stem if config_source else "defaults"
    final = resolve_out(out, results_dir, lambda folder: default_path(folder, stem, result.seed))
    config_toml = to_toml(result.config)
    with staging(final) as tmp:
        (tmp / "config.toml").write_text(config_toml, encoding="utf-8")
        for name in TABLES:
            (tmp / f"{name}.parquet").write_bytes(parquet_bytes(result.tables[name]))
        paths = list(PLOTS.values())
        plots.plot_timeseries(result.tables["model"], tmp / paths[0])
        cities = result.tables["cities"]
        last = int(cities["year"].max())
        plots.plot_map(
            cities[cities["year"] == last], result.region, result.edges, tmp / paths[1],
            f"{result.region.name.replace('_', ' ').title()}: {last} "
            "(node area = GDP, colour = PM2.5)",
        )  # fmt: skip
        (tmp / "summary.md").write_text(summary_markdown(result, final.name, config_source), encoding="utf-8")
        region_files = {n: sha256_file(p) for n, p in sorted(result.region.files().items())}
        manifest = build_manifest(
            tmp, config=result.config.model_dump(mode="json"), seed=result.seed,
            config_toml=config_toml, wall_time_s=result.wall_time_s,
            command=list(sys.argv if command is None else command),
            extra={"config_source": config_source, "region": {"spec": result.config.run.region,
                   "name": result.region.name, "files_sha256": region_files}},
        )  # fmt: skip
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return final


# ---------------------------------------------------------------------------- read
def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of the archive at ``path``; ArchiveError if there is none or it is unreadable."""
    path = Path(path)
    if not path.is_dir():
        raise ArchiveError(path, "archive", "no such folder")
    mpath = path / MANIFEST
    if not mpath.is_file():
        raise ArchiveError(path, MANIFEST, "missing: not an archive")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ArchiveError(mpath, "json", f"unreadable: {err}") from None
    for key in ("schema_version", "seed", "files"):
        if not isinstance(manifest, dict) or key not in manifest:
            raise ArchiveError(mpath, key, "missing: not an archive manifest")
    if manifest["schema_version"] != SCHEMA_VERSION:
        raise ArchiveError(
            mpath, "schema_version",
            f"{manifest['schema_version']!r} is not supported (allowed: {SCHEMA_VERSION})",
        )  # fmt: skip
    return manifest


@dataclass
class VerifyReport:
    """Outcome of :func:`verify_archive`.

    ``file_problems`` names files whose hash differs from the manifest, or that are missing or
    not listed; ``rerun_differs`` names the tables whose re-run bytes differ from the stored ones.
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


def check_files(path: Path, manifest: dict[str, Any]) -> list[str]:
    """Files that are missing, changed or not listed in the manifest ('name: reason')."""
    listed: dict[str, str] = manifest["files"]
    problems = []
    for rel, digest in sorted(listed.items()):
        f = path / rel
        if not f.is_file():
            problems.append(f"{rel}: missing")
        elif sha256_file(f) != digest:
            problems.append(f"{rel}: sha256 differs from the manifest")
    for rel in _files_under(path):
        if rel != MANIFEST and rel not in listed:
            problems.append(f"{rel}: not listed in the manifest")
    return problems


def verify_archive(path: Path, progress: bool = False) -> VerifyReport:
    """Check the archive's file hashes, then re-run its config with its seed and compare the
    three tables bit for bit with the stored Parquet files.

    Raises:
        ArchiveError: not an archive (no or unreadable manifest).
        ConfigError, RegionError: the stored config or its region no longer loads.
    """
    path = Path(path)
    manifest = read_manifest(path)
    report = VerifyReport(path=path, file_problems=check_files(path, manifest))
    cfg_path = path / "config.toml"
    if not cfg_path.is_file():
        raise ArchiveError(path, "config.toml", "missing: cannot re-run")
    cfg = load_config(cfg_path)
    code = manifest.get("code") or {}
    now = code_version()
    if code.get("git_commit") != now["git_commit"]:
        report.notes.append(f"code differs: archive {code.get('git_commit')}, now {now['git_commit']}")
    if manifest.get("packages") and manifest["packages"] != package_versions():
        report.notes.append("package versions differ from the archive's")
    result = run_config(cfg, seed=int(manifest["seed"]), progress=progress)
    report.wall_time_s = result.wall_time_s
    for name in TABLES:
        stored = path / f"{name}.parquet"
        fresh = sha256_bytes(parquet_bytes(result.tables[name]))
        if not stored.is_file() or sha256_file(stored) != fresh:
            report.rerun_differs.append(f"{name}.parquet")
    return report


def _final_gdp(path: Path) -> float | None:
    try:
        m = pd.read_parquet(path / "model.parquet", columns=["year", "gdp"])
    except (OSError, ValueError, pa.ArrowException):
        return None
    return float(m.sort_values("year")["gdp"].iloc[-1]) if len(m) else None


def list_archives(results_dir: Path) -> pd.DataFrame:
    """One row per archive below ``results_dir`` (hidden and partial folders skipped): name,
    created, config, seed, years, gdp_final (100m yuan, final year)."""
    columns = ["name", "created", "config", "seed", "years", "gdp_final"]
    rows = []
    results_dir = Path(results_dir)
    if results_dir.is_dir():
        for p in sorted(results_dir.iterdir()):
            if p.name.startswith(".") or ".partial" in p.name or not (p / MANIFEST).is_file():
                continue
            try:
                m = read_manifest(p)
            except ArchiveError:
                continue
            run = (m.get("config") or {}).get("run", {})
            rows.append({
                "name": p.name,
                "created": m.get("created"),
                "config": m.get("config_source") or "<defaults>",
                "seed": m.get("seed"),
                "years": f"{run.get('start_year')}-{run.get('end_year')}",
                "gdp_final": _final_gdp(p),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def show_archive(path: Path) -> str:
    """A manifest summary of the archive followed by its summary.md."""
    path = Path(path)
    m = read_manifest(path)
    code = m.get("code") or {}
    pk = m.get("packages") or {}
    lines = [
        f"archive:   {path}",
        f"run id:    {m.get('run_id')}",
        f"created:   {m.get('created')}",
        f"config:    {m.get('config_source') or '<defaults>'}   seed: {m.get('seed')}",
        f"command:   {' '.join(m.get('command') or [])}",
        f"code:      {code.get('git_commit')}{' (dirty)' if code.get('git_dirty') else ''}",
        f"python:    {m.get('python')} on {m.get('platform')}",
        f"packages:  {', '.join(f'{k} {v}' for k, v in pk.items())}",
        f"wall time: {m.get('wall_time_s')} s",
        f"files:     {len(m['files'])} (+ {MANIFEST})",
        "",
    ]
    summary = path / "summary.md"
    text = summary.read_text(encoding="utf-8") if summary.is_file() else "(no summary.md)\n"
    return "\n".join(lines) + "\n" + text
