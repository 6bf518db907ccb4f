"""A content-addressed store of the dashboard's simulation results, shared by every session.

A result is stored under the sha256 of what determines it: the kind of job (the runner function's
qualified name), the canonical JSON of the resolved config, the seeds, the scale and the code
version (``workers.source_sha256``: every source and data file under ``simulation/`` and
``agents/``, so any change of the model, a lever or the built-in region makes every old key
unreachable). A config whose ``run.region`` is a folder outside the package also hashes that
folder's files. Two sessions asking for the same scenario with the same seeds therefore meet at
the same key, whatever order they typed their settings in.

Values are kept as pickled bytes: each caller gets its own copy (a page that changes a table it was
handed cannot change what another session sees), the in-memory part is bounded in bytes (least
recently used first out), and the optional on-disk part is an SQLite file (one transaction per
write, so a crash never leaves half a row; WAL mode, so the server's threads and a second server
can read while one writes). Rows of another code version are deleted when the store opens. The
store only holds what this program pickled itself, under ``results/.cache``; it is not a format
for exchanging results.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.config import Config

DEFAULT_MEMORY_BYTES = 512 * 2**20
DEFAULT_DISK_BYTES = 2 * 2**30
CACHE_DIR = Path(__file__).resolve().parents[2] / "results" / ".cache"


def code_version() -> str:
    """sha256 of the model's source and data (imported late: it reads every source file once)."""
    from simulation.workers import source_sha256

    return source_sha256()


def canonical(obj: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _folder_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def region_digest(cfg: Config) -> str | None:
    """Digest of a region folder outside the package (None for a built-in or synthetic region,
    which the code version already covers)."""
    from simulation.region import BUILTIN_REGIONS_DIR

    spec = str(cfg.run.region)
    if spec.startswith("synthetic:") or ("/" not in spec and (BUILTIN_REGIONS_DIR / spec).is_dir()):
        return None
    folder = Path(spec)
    return _folder_digest(folder) if folder.is_dir() else None


def job_key(kind: str, cfg: Config, seeds: Sequence[int], scale: float, version: str) -> str:
    """The content address of one job: ``kind`` run on ``cfg`` with ``seeds`` at ``scale``."""
    doc = {
        "kind": kind,
        "config": cfg.model_dump(mode="json"),
        "region_files": region_digest(cfg),
        "seeds": [int(s) for s in seeds],
        "scale": repr(float(scale)),
        "code": version,
    }
    return hashlib.sha256(canonical(doc).encode()).hexdigest()


@dataclass
class CacheStats:
    hits_memory: int = 0
    hits_disk: int = 0
    misses: int = 0
    stored: int = 0

    @property
    def hit_rate(self) -> float:
        asked = self.hits_memory + self.hits_disk + self.misses
        return (self.hits_memory + self.hits_disk) / asked if asked else 0.0


class DiskStore:
    """Pickled results in one SQLite file; safe for several threads and processes."""

    def __init__(self, path: Path, version: str, max_bytes: int = DEFAULT_DISK_BYTES) -> None:
        self.path, self.version, self.max_bytes = Path(path), version, max_bytes
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, version TEXT NOT NULL, "
                "used REAL NOT NULL, size INTEGER NOT NULL, value BLOB NOT NULL)"
            )
            db.execute("DELETE FROM runs WHERE version != ?", (version,))

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:  # one connection per thread: sqlite3 connections are not shared
            db = sqlite3.connect(self.path, timeout=30.0)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def get(self, key: str) -> bytes | None:
        db = self._db()
        row = db.execute(
            "SELECT value FROM runs WHERE key = ? AND version = ?", (key, self.version)
        ).fetchone()
        if row is None:
            return None
        with db:
            db.execute("UPDATE runs SET used = ? WHERE key = ?", (time.time(), key))
        return bytes(row[0])

    def put(self, key: str, blob: bytes) -> None:
        db = self._db()
        with db:  # one transaction: the row is there whole or not at all
            db.execute(
                "INSERT OR REPLACE INTO runs (key, version, used, size, value) VALUES (?, ?, ?, ?, ?)",
                (key, self.version, time.time(), len(blob), blob),
            )
            total = db.execute("SELECT COALESCE(SUM(size), 0) FROM runs").fetchone()[0]
            while total > self.max_bytes:
                old = db.execute("SELECT key, size FROM runs ORDER BY used LIMIT 1").fetchone()
                if old is None or old[0] == key:
                    break
                db.execute("DELETE FROM runs WHERE key = ?", (old[0],))
                total -= old[1]

    def __len__(self) -> int:
        return int(self._db().execute("SELECT COUNT(*) FROM runs").fetchone()[0])


class ResultCache:
    """In-memory LRU of pickled results over an optional :class:`DiskStore`."""

    def __init__(self, max_bytes: int = DEFAULT_MEMORY_BYTES, disk: DiskStore | None = None) -> None:
        self.max_bytes, self.disk = max_bytes, disk
        self._mem: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def get_bytes(self, key: str) -> bytes | None:
        """The stored bytes of ``key`` (counted as a hit or a miss), or None."""
        with self._lock:
            blob = self._mem.get(key)
            if blob is not None:
                self._mem.move_to_end(key)
                self.stats.hits_memory += 1
                return blob
        blob = self.disk.get(key) if self.disk is not None else None
        with self._lock:
            if blob is None:
                self.stats.misses += 1
                return None
            self.stats.hits_disk += 1
        self._remember(key, blob)
        return blob

    def get(self, key: str) -> tuple[bool, Any]:
        """(True, a fresh copy of the value) on a hit, (False, None) on a miss."""
        blob = self.get_bytes(key)
        return (False, None) if blob is None else (True, pickle.loads(blob))

    def put_bytes(self, key: str, blob: bytes) -> None:
        self._remember(key, blob)
        with self._lock:
            self.stats.stored += 1
        if self.disk is not None:
            self.disk.put(key, blob)

    def put(self, key: str, value: Any) -> None:
        self.put_bytes(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def _remember(self, key: str, blob: bytes) -> None:
        with self._lock:
            old = self._mem.pop(key, None)
            self._bytes -= len(old) if old is not None else 0
            self._mem[key] = blob
            self._bytes += len(blob)
            while self._bytes > self.max_bytes and len(self._mem) > 1:
                _, dropped = self._mem.popitem(last=False)
                self._bytes -= len(dropped)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._mem
