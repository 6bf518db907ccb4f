"""Storage of a sweep archive: where each file lives, the tidy run files, the index (docs/sweeps.md).

Layout (``LAYOUT`` 2)::

    runs/point=P/replicate=R/part.parquet   one file per run of the design (a hive-partitioned
                                            dataset): run_id, point, replicate, seed, the swept
                                            parameters (SQL-safe names: ``talent.border_cost`` ->
                                            ``talent__border_cost``), then the run's model rows
                                            (``table`` == "model") and cities rows ("cities")
    baselines/<run_id>.parquet              lever-off baselines of delta metrics: run_id, seed, the rows
    flows/point=P/replicate=R/part.parquet  the run's flows (with ``flows = true``)
    failed/<run_id>.txt                     the traceback of a failed run
    runs.parquet, point_stats.parquet       the index and the per-point statistics (rebuilt)

A worker returns a run's rows as Parquet bytes (:func:`~simulation.experiments.sweep.exec.run_bytes`);
this module prefixes the columns that say which run of the design they are (:func:`tidy_bytes`). Two
cells of the design with the same run id (equal config and seed) hold the same rows. The prefix is
a pure function of the rows and the design row, so a run file has the same bytes whatever executor
made it, and a run copied from another archive (:func:`strip`, then :func:`tidy_bytes`) has the
bytes it would have had if it had run here.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation import archive as arc
from simulation.archive.atomic import atomic_write
from simulation.experiments.sweep import metrics as sm

LAYOUT = 2
RUNS, FAILED, BASELINES, FLOWS, PLOTS = "runs", "failed", "baselines", "flows", "plots"
INDEX, DESIGN, BASE_TOML, SWEEP_TOML, SUMMARY, LOCK, POINTS = (
    "runs.parquet",
    "design.parquet",
    "base.toml",
    "sweep.toml",
    "summary.md",
    ".lock",
    "point_stats.parquet",
)
ANALYSIS = "analysis"
PART = "part.parquet"
STATUSES = ("ok", "failed", "pending")
FRONT = ("run_id", "point", "replicate", "seed")
FIRST_RAW = "table"  # the first column of a worker's run frame


# ---------------------------------------------------------------------------- names and paths
def sql_name(path: str) -> str:
    """A parameter path as a column name that SQL takes unquoted: dots become ``__``, any other
    character outside [A-Za-z0-9_] ``_`` (``talent.border_cost`` -> ``talent__border_cost``)."""
    return re.sub(r"[^0-9A-Za-z_]", "_", path.replace(".", "__"))


def cell_rel(point: int, replicate: int, folder: str = RUNS) -> str:
    """``runs/point=P/replicate=R/part.parquet`` (hive partitions, no zero padding so that readers
    infer integers)."""
    return f"{folder}/point={int(point)}/replicate={int(replicate)}/{PART}"


def baseline_rel(run_id: str) -> str:
    return f"{BASELINES}/{run_id}.parquet"


def cell_files(path: Path, runs: pd.DataFrame, folder: str = RUNS) -> dict[tuple[int, int], Path]:
    """The file of every (point, replicate) of ``runs``."""
    path = Path(path)
    return {
        (int(p), int(r)): path / cell_rel(p, r, folder)
        for p, r in runs[["point", "replicate"]].itertuples(index=False, name=None)
    }


def done_cells(path: Path, runs: pd.DataFrame, folder: str = RUNS) -> set[tuple[int, int]]:
    return {k for k, f in cell_files(path, runs, folder).items() if f.is_file()}


# ---------------------------------------------------------------------------- tidy run files
def _arrow_value(value: Any, n: int) -> pa.Array:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return pa.array(np.full(n, value, dtype=bool), pa.bool_())
    if isinstance(value, int):
        return pa.array(np.full(n, value, dtype=np.int64), pa.int64())
    if isinstance(value, float):
        return pa.array(np.full(n, value, dtype=np.float64), pa.float64())
    return pa.array([str(value)] * n, pa.string())


def tidy_table(raw: pa.Table, front: dict[str, Any]) -> pa.Table:
    """``raw`` (a worker's run rows) with the columns ``front`` (name -> one value) in front,
    keeping ``raw``'s schema metadata (so that :func:`strip` gives ``raw`` back exactly)."""
    n = raw.num_rows
    arrays = [pa.array([str(front["run_id"])] * n, pa.string())]
    arrays += [_arrow_value(v, n) for k, v in front.items() if k != "run_id"]
    names = ["run_id", *[k for k in front if k != "run_id"]]
    table = pa.Table.from_arrays([*arrays, *raw.columns], names=[*names, *raw.column_names])
    return table.replace_schema_metadata(raw.schema.metadata)


def cell_front(row: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """The front columns of a design run: run_id, point, replicate, seed and each parameter."""
    front: dict[str, Any] = {k: row[k] for k in FRONT}
    front.update({sql_name(p): row[p] for p in paths})
    return front


def tidy_bytes(raw: pa.Table, front: dict[str, Any]) -> bytes:
    return arc.arrow_bytes(tidy_table(raw, front))


def read_raw(data: bytes) -> pa.Table:
    """A worker's run bytes as an Arrow table."""
    return pq.read_table(io.BytesIO(data))


def strip(source: Path | bytes, front: int | None = None) -> pa.Table:
    """A tidy run file (a path or its bytes) without its ``front`` columns (default: all before
    ``table``): the worker's rows, as they came."""
    table = pq.read_table(io.BytesIO(source) if isinstance(source, bytes) else source)
    names = table.column_names
    start = front if front is not None else names.index(FIRST_RAW) if FIRST_RAW in names else 0
    return table.select(names[start:]).replace_schema_metadata(table.schema.metadata)


# ---------------------------------------------------------------------------- small file helpers
def write_json(path: Path, obj: dict[str, Any]) -> None:
    atomic_write(path, (json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n").encode())


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


def clean_tmp(path: Path) -> None:
    """Remove temporary files of killed writers anywhere in the archive (not in analysis/)."""
    for p in Path(path).rglob("*.tmp-*"):
        if p.relative_to(path).parts[0] == ANALYSIS or not p.is_file():
            continue
        try:
            p.unlink()
        except OSError:
            pass


def archive_files(path: Path) -> list[str]:
    """Files the manifest lists: all but the manifest, hidden files and the analysis folder."""
    out = []
    for p in sorted(Path(path).rglob("*")):
        rel = p.relative_to(path)
        if not p.is_file() or rel.as_posix() == arc.MANIFEST or rel.parts[0] == ANALYSIS:
            continue
        if any(part.startswith(".") for part in rel.parts) or ".tmp-" in p.name:
            continue
        out.append(rel.as_posix())
    return out


# ---------------------------------------------------------------------------- reading many runs
def first_cells(runs: pd.DataFrame) -> pd.DataFrame:
    """One design row per run id (the first cell that holds it)."""
    return runs.drop_duplicates("run_id").reset_index(drop=True)


def _scan(files: list[Path], columns: list[str], table: str | None) -> pd.DataFrame:
    """The rows of ``files`` (tidy run or baseline files) as one frame, only ``columns``; a column
    missing from a file reads as null (a lever's column in a run without the lever)."""
    import pyarrow.dataset as ds

    if not files:
        return pd.DataFrame(columns=columns)
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    schema = dataset.schema
    extra = [c for c in columns if c not in schema.names]
    if extra:
        schema = pa.schema([*schema, *[pa.field(c, pa.float64()) for c in extra]])
        dataset = ds.dataset([str(f) for f in files], format="parquet", schema=schema)
    flt = ds.field(FIRST_RAW) == table if table else None
    return dataset.to_table(columns=columns, filter=flt).to_pandas()


def read_run_tables(
    path: Path,
    table: str = "model",
    columns: list[str] | None = None,
    run_ids: list[str] | None = None,
    runs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One table ("model" or "cities") of many runs of a sweep archive at once, one copy per run
    id, with ``run_id`` in front. ``columns``: only these (plus year, city); ``run_ids``: only
    these runs (default: every run with a file); ``runs``: the design (default: design.parquet)."""
    path = Path(path)
    if runs is None:
        runs = pd.read_parquet(path / DESIGN, columns=["point", "replicate", "run_id"])
    cells = first_cells(runs)
    if run_ids is not None:
        cells = cells[cells["run_id"].isin(set(run_ids))]
    files = [
        f
        for f in (path / cell_rel(p, r) for p, r in zip(cells["point"], cells["replicate"], strict=True))
        if f.is_file()
    ]
    if not files:
        return pd.DataFrame({"run_id": pd.Series(dtype="string")})
    names = pq.read_schema(files[0]).names
    raw = names[names.index(FIRST_RAW) :] if FIRST_RAW in names else names
    wanted = [c for c in (columns if columns is not None else raw) if c not in (FIRST_RAW, *FRONT)]
    front = ["year"] + (["city"] if table == "cities" else [])
    cols = [c for c in dict.fromkeys([*front, *wanted]) if not (table == "model" and c == "city")]
    df = _scan(files, ["run_id", *cols], table)
    df["run_id"] = df["run_id"].astype("string")
    sort = ["run_id", "year"] + (["city"] if table == "cities" else [])
    return df.sort_values(sort, kind="stable").reset_index(drop=True)


def plain_values(
    path: Path, runs: pd.DataFrame, metrics: tuple[sm.Metric, ...], baseline_ids: Iterable[str] = ()
) -> dict[str, dict[str, float]]:
    """Run id -> the plain value of every metric
    (:func:`~simulation.experiments.sweep.metrics.table_values`), for every run id with a run file
    and every baseline with a file."""
    path = Path(path)
    cells = first_cells(runs)
    files = [
        f
        for f in (path / cell_rel(p, r) for p, r in zip(cells["point"], cells["replicate"], strict=True))
        if f.is_file()
    ]
    files += [f for f in (path / baseline_rel(b) for b in sorted(set(baseline_ids))) if f.is_file()]
    cols = ["run_id", FIRST_RAW, "year", "city", *sm.needed_columns(metrics)]
    df = _scan(files, list(dict.fromkeys(cols)), None)
    out: dict[str, dict[str, float]] = {}
    for rid, grp in df.groupby("run_id", sort=True):
        model = grp[grp[FIRST_RAW] == "model"]
        cities = grp[grp[FIRST_RAW] == "cities"]
        out[str(rid)] = sm.table_values(model, cities, metrics)
    return out


# ---------------------------------------------------------------------------- the index
def error_line(path: Path) -> str:
    try:
        first = path.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return "failed"
    return first.removeprefix("error: ")


def _status_of(path: Path, rid: str, present: bool) -> tuple[str, str | None]:
    if present:
        return "ok", None
    fail = path / FAILED / f"{rid}.txt"
    return ("failed", error_line(fail)) if fail.is_file() else ("pending", None)


def build_index(path: Path, runs: pd.DataFrame, metrics: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """``runs.parquet``: the design's run rows with status (ok | failed | pending), error (one line)
    and every metric (ok runs), in design order; computed from the files alone. A run whose
    lever-off baseline (``baseline_id``) failed or is pending has that status too."""
    path = Path(path)
    specs = tuple(sm.parse_metric(m) for m in metrics)
    present = done_cells(path, runs)
    has_base = "baseline_id" in runs.columns
    design_ids = set(runs["run_id"])
    base_ids = sorted(set(runs["baseline_id"]) - design_ids) if has_base else []
    values = plain_values(path, runs, specs, base_ids)
    status, error = [], []
    for row in runs.itertuples(index=False):
        s, e = _status_of(path, row.run_id, (row.point, row.replicate) in present)
        if s == "ok" and has_base and row.baseline_id not in values:
            bs, be = _status_of(path, row.baseline_id, False)
            s, e = bs, (f"lever-off baseline {row.baseline_id}: {be}" if be else None)
        status.append(s)
        error.append(e)
    out = runs.copy()
    out.insert(4, "status", pd.Series(status, dtype="string"))
    out.insert(5, "error", pd.Series(error, dtype="string"))
    out["run_id"] = out["run_id"].astype("string")
    nan = float("nan")
    rows = []
    for row, s in zip(runs.itertuples(index=False), status, strict=True):
        own = values.get(row.run_id) if s == "ok" else None
        base = values.get(row.baseline_id) if has_base else None
        rows.append(sm.run_values(own, base, specs) if own is not None else {})
    for m in metrics:
        out[m] = np.array([r.get(m, nan) for r in rows], dtype=float)
    return out.reset_index(drop=True)


def read_index(path: Path) -> pd.DataFrame:
    """``runs.parquet`` of a sweep archive (ArchiveError if missing)."""
    f = Path(path) / INDEX
    if not f.is_file():
        raise arc.ArchiveError(path, INDEX, "missing: not a finished sweep session (re-run the sweep)")
    return pd.read_parquet(f)
