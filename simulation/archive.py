"""Run archives: write, verify, list and show self-describing result folders (design §5).

An archive is a folder holding ``config.toml`` (the resolved config, re-runnable as is),
``model.parquet``, ``cities.parquet``, ``flows.parquet``, ``plots/*.png``, ``summary.md`` and, last,
``manifest.json`` (versions, hashes of every other file, and its own digest: see
:mod:`simulation.manifest`). It is written into a hidden sibling folder ``.NAME.partial-PID`` and
renamed into place at the end, so a killed run leaves no half archive; the next writer in that
folder removes such leftovers once their process is gone.

Readers call :func:`read_manifest` (schema, paths, digest) and :func:`check_files` (no symlinks,
every listed file with its hash, nothing unlisted), or both at once with :func:`checked_manifest`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation import manifest as schema
from simulation.config import load_config, to_toml
from simulation.runner import RunResult, run_config

SCHEMA_VERSION = schema.SCHEMA_VERSION
REPO_ROOT = Path(__file__).resolve().parents[1]
MANIFEST = "manifest.json"
TABLES = ("model", "cities", "flows")
PACKAGES = ("mesa", "numpy", "pandas", "networkx", "pyarrow", "pydantic", "matplotlib")
PARTIAL = re.compile(r"^\..+\.(?:partial|old)-(\d+)$")  # a writer's hidden folder: .NAME.partial-PID


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
    return arrow_bytes(pa.Table.from_pandas(df, preserve_index=False, nthreads=1))


def arrow_bytes(table: pa.Table) -> bytes:
    """An Arrow table as Parquet bytes with the settings of :func:`parquet_bytes` (deterministic)."""
    buf = io.BytesIO()
    pq.write_table(
        table, buf, compression="zstd", compression_level=3, use_dictionary=True,
        write_statistics=True, version="2.6", data_page_version="1.0",
        row_group_size=1 << 20, store_schema=True,
    )  # fmt: skip
    return buf.getvalue()


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
    manifest["files"] = {rel: sha256_file(folder / rel) for rel in archive_entries(folder) if rel != MANIFEST}
    return manifest


# ---------------------------------------------------------------------------- atomic folders
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
    import tempfile

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


def default_path(results_dir: Path, stem: str, seed: int) -> Path:
    """``results_dir/<UTC yyyymmdd-HHMMSS>-<stem>-s<seed>``, with -2, -3, ... if taken."""
    return stamped_path(results_dir, f"{stem}-s{seed}")


def open_for_verify(path: Path, kind: str, required: list[str]) -> tuple[dict, VerifyReport]:
    """Read an archive's manifest for ``verify``, check it is of ``kind`` and holds the files needed
    to re-run it, and start the report with the file-hash check."""
    path = Path(path)
    manifest = read_manifest(path, kind)
    report = VerifyReport(path=path, file_problems=check_files(path, manifest))
    report.notes.extend(schema.environment_notes(manifest))
    for name in required:
        if not (path / name).is_file():
            raise ArchiveError(path, name, "missing: cannot re-run")
    return manifest, report


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
def staging(final: Path) -> Iterator[Path]:
    """Yield a hidden temp folder beside ``final``; rename it to ``final`` when the block ends
    normally, remove it on any exception (a SIGKILL leaves only the hidden ``.partial`` folder)."""
    final = Path(final)
    check_final(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(final.parent)
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
        write_manifest(tmp, manifest)
    return final


# ---------------------------------------------------------------------------- manifest
def write_manifest(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Write ``folder/manifest.json`` with its digest (``manifest_sha256``, see
    :mod:`simulation.manifest`), whole or not at all; return what was written. A manifest without
    ``distributions`` gets the installed environment (:func:`simulation.manifest.environment`)."""
    if "distributions" not in manifest:  # every kind records the installed environment
        manifest = {**manifest, **schema.environment()}
    sealed = schema.sealed(manifest)
    data = (json.dumps(sealed, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    target = Path(folder) / MANIFEST
    tmp = target.with_name(f"{MANIFEST}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)
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


# Files a kind's archive holds beside those its manifest lists: a sweep's lock, the analysis folder
# (with its own manifest) and the hidden folders of an analysis being written, temporary run files.
_SWEEP_OUTSIDE = re.compile(
    r"^(?:\.lock|analysis/.+|\.analysis\.(?:partial|old)-\d+/.+|(?:[^/.][^/]*/)*[^/]+\.tmp-\d+)$"
)
OUTSIDE_MANIFEST: dict[str, re.Pattern[str]] = {"sweep": _SWEEP_OUTSIDE}


def archive_entries(path: Path) -> list[str]:
    """Relative POSIX paths of the regular files below the archive ``path``, sorted, without
    following anything.

    Raises:
        ArchiveError: a symlink anywhere in the archive (listed or not, to a file or a folder) or
            something that is neither a file nor a folder (a FIFO could hang a reader).
    """
    path = Path(path)
    files = []
    for root, dirs, names in os.walk(path, followlinks=False):
        for name in sorted(dirs + names):
            full = Path(root) / name
            rel = full.relative_to(path).as_posix()
            try:
                mode = os.lstat(full).st_mode
            except OSError as err:
                raise ArchiveError(path / rel, "file", f"unreadable: {err.strerror}") from None
            if stat.S_ISLNK(mode):
                raise ArchiveError(
                    path / rel, "symlink",
                    f"-> {os.readlink(full)!r}: an archive holds regular files only (allowed: no symlinks)",
                )  # fmt: skip
            if stat.S_ISREG(mode):
                files.append(rel)
            elif not stat.S_ISDIR(mode):
                raise ArchiveError(
                    path / rel, "file", "not a regular file (allowed: regular files and folders)"
                )
    return sorted(files)


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


def verify_archive(path: Path, progress: bool = False) -> VerifyReport:
    """Check the archive's file hashes, then re-run its config with its seed and compare the
    three tables bit for bit with the stored Parquet files.

    Raises:
        ArchiveError: not an archive (no or unreadable manifest).
        ConfigError, RegionError: the stored config or its region no longer loads.
    """
    path = Path(path)
    manifest = read_manifest(path, "run")
    report = VerifyReport(path=path, file_problems=check_files(path, manifest))
    cfg_path = path / "config.toml"
    if not cfg_path.is_file():
        raise ArchiveError(path, "config.toml", "missing: cannot re-run")
    cfg = load_config(cfg_path)
    code = manifest.get("code") or {}
    now = code_version()
    if code.get("git_commit") != now["git_commit"]:
        report.notes.append(f"code differs: archive {code.get('git_commit')}, now {now['git_commit']}")
    report.notes.extend(schema.environment_notes(manifest))
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
    """A manifest summary of the archive followed by its summary.md (an archive whose files do not
    match its manifest is refused: ArchiveError)."""
    path = Path(path)
    m = checked_manifest(path)
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
