"""The files of an archive: their bytes (deterministic Parquet, a config as TOML), their sha256,
and the list of regular files below an archive folder (nothing followed, nothing special)."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.archive.errors import ArchiveError
from simulation.config import Config, to_toml

MANIFEST = "manifest.json"  # the name of every archive's manifest (simulation.archive.manifest)


# ---------------------------------------------------------------------------- hashes
def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------- bytes
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


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def config_toml(cfg: Config) -> str:
    """``config.to_toml``; if that fails on unset optional values (TOML has no null, e.g. a city-circle
    corridor without ``factor``), the same dump without them, which loads back to an equal Config."""
    try:
        return to_toml(cfg)
    except TypeError:
        import tomli_w

        return tomli_w.dumps(_drop_none(cfg.model_dump(mode="json")))


# ---------------------------------------------------------------------------- listing
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
