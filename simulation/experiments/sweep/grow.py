"""Growing sweeps: extending an archive, runs shared across archives, writing runs into an archive.

- :func:`extended_points`: ``sweep SPEC --extend ARCHIVE``: the archive's points keep their numbers
  (so their seeds and run ids), the new points follow. Replicates may grow with any design; points
  may be added to a grid (matched by their values), or to a random or Sobol design whose first
  points are the archive's (their sequences are nested); an LHS or Morris design redraws every point
  when its size changes, so only replicates can be added there. :func:`extend_archive` writes the grown
  design into the archive.
- :func:`shared_runs`: a run missing here that another sweep archive (under ``results/``, or in a
  folder given with ``--reuse DIR``) already holds under the same content key — run id (config +
  seed), model source hash and installed distributions — is copied from there (its bytes checked
  against that archive's manifest) instead of being run again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import archive as arc
from simulation.archive import provenance as schema
from simulation.config import flatten, to_toml
from simulation.experiments.sweep import store as st
from simulation.experiments.sweep.design import py_value
from simulation.experiments.sweep.exec import Task, source_sha256
from simulation.experiments.sweep.folder import design_bytes, now
from simulation.experiments.sweep.spec import Sweep, with_points
from simulation.params import ConfigError


# ---------------------------------------------------------------------------- extend
def _first_difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    a, b = flatten(old), flatten(new)
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            return f"{key}: archive {a.get(key)!r}, now {b.get(key)!r}"
    return "(no difference)"


def check_extendable(sweep: Sweep, path: Path, manifest: dict[str, Any]) -> None:
    """ConfigError naming the sweep file's field when ``sweep`` cannot grow the archive at ``path``:
    another design kind, other parameters, seed, crn, Sobol order or Morris levels, another base
    config (base file + [set] + --set), flows kept or not, or fewer replicates."""
    file = str(sweep.file)
    d = manifest["design"]
    same = [
        ("sweep.design", d.get("kind"), sweep.design),
        ("parameters", [p["path"] for p in d["parameters"]], sweep.paths),
        ("sweep.seed", manifest.get("seed"), sweep.seed),
        ("sweep.crn", bool(d.get("crn")), sweep.crn),
        ("sweep.flows", bool(d.get("flows")), sweep.flows),
    ]
    if sweep.design == "sobol":
        same.append(("sweep.second_order", bool(d.get("second_order")), sweep.second_order))
    if sweep.design == "morris":
        same.append(("sweep.levels", d.get("levels"), sweep.levels))
    for fld, old, new in same:
        if old != new:
            raise ConfigError(
                file,
                fld,
                f"{new!r}, but the archive {path} has {old!r} (allowed: the archive's, to extend it)",
            )
    old_base = (path / st.BASE_TOML).read_text(encoding="utf-8")
    if old_base != to_toml(sweep.base_config):
        import tomllib

        diff = _first_difference(tomllib.loads(old_base), sweep.base_config.model_dump(mode="json"))
        raise ConfigError(
            file,
            "set",
            f"the base config differs from the archive's base.toml at {diff} (allowed: the archive's "
            "base file, [set] and --set values; a changed base needs a new archive)",
        )
    if sweep.replicates < int(d.get("replicates") or 1):
        raise ConfigError(
            file,
            "sweep.replicates",
            f"{sweep.replicates}, but the archive has {d.get('replicates')} (allowed: as many or more: an "
            "extension never drops runs)",
        )


def _keys(df: pd.DataFrame, cols: list[str]) -> list[tuple[Any, ...]]:
    return [tuple(py_value(v) for v in row) for row in df[cols].itertuples(index=False, name=None)]


def extended_points(sweep: Sweep, path: Path) -> pd.DataFrame:
    """The points of the extended design: the archive's first, with their numbers, then the new ones.

    Raises:
        ConfigError: the new design leaves out a point of the archive, or (random, Sobol) its
            first points differ from the archive's, or (LHS, Morris) its size changed.
    """
    file = str(sweep.file)
    design = pd.read_parquet(path / st.DESIGN)
    old = design.drop_duplicates("point").sort_values("point").reset_index(drop=True)
    new = sweep.points
    cols = sweep.paths
    if sweep.design == "grid":
        where = {k: i for i, k in reversed(list(enumerate(_keys(new, cols))))}
        order = []
        for point, key in zip(old["point"], _keys(old, cols), strict=True):
            if key not in where:
                values = dict(zip(cols, key, strict=True))
                raise ConfigError(
                    file,
                    "parameters",
                    f"the new grid leaves out point {point} of the archive ({values}) (allowed: every value "
                    "of the archive's grid, plus new ones)",
                )
            order.append(where[key])
        rest = [i for i in range(len(new)) if i not in set(order)]
        out = new.iloc[order + rest].reset_index(drop=True)
        out["point"] = np.arange(len(out), dtype=np.int64)
        return out
    ucols = [c for c in new.columns if c.startswith("u:")]
    if sweep.design in ("lhs", "morris") and len(new) != len(old):
        raise ConfigError(
            file,
            "sweep.samples",
            f"{sweep.samples}: a {sweep.design} design is not nested, so another size redraws every point "
            f"(allowed: the archive's {len(old)} points, i.e. its samples, with more replicates; or a "
            "random or sobol design, which grow by appending points)",
        )
    head = new.iloc[: len(old)]
    same = len(new) >= len(old) and _keys(head, cols + ucols) == _keys(old, cols + ucols)
    if not same:
        raise ConfigError(
            file,
            "sweep.samples",
            f"{sweep.samples}: the first {len(old)} points of this design differ from the archive's "
            "(allowed: "
            "the archive's samples or more, with the same parameters and ranges)",
        )
    return new.reset_index(drop=True)


def extend_archive(
    sweep: Sweep, path: Path, manifest: dict[str, Any], command: list[str]
) -> tuple[Sweep, int]:
    """The archive's design grown by ``sweep`` (its points keep their numbers); the new design,
    sweep file and manifest written when anything was added. Returns the sweep and the runs added."""
    check_extendable(sweep, path, manifest)
    grown = with_points(sweep, extended_points(sweep, path))
    old = pd.read_parquet(path / st.DESIGN, columns=["point", "replicate", "run_id"])
    mine = grown.runs[["point", "replicate", "run_id"]]
    kept = old.merge(mine, on=["point", "replicate", "run_id"], how="inner")
    if len(kept) != len(old):  # cannot happen for a design that passed the checks above
        raise ConfigError(
            str(sweep.file), "parameters", "the extension would change runs already in the archive"
        )
    if grown.sweep_hash == manifest.get("sweep_hash"):
        return grown, 0
    st.atomic_write(path / st.SWEEP_TOML, sweep.text.encode("utf-8"))
    st.atomic_write(path / st.DESIGN, design_bytes(grown))
    manifest.setdefault("extensions", []).append({
        "at": now(), "sweep_file": str(sweep.file), "command": command,
        "sweep_hash_before": manifest.get("sweep_hash"), "points_before": int(old["point"].nunique()),
        "points_after": len(grown.points), "runs_before": len(old), "runs_after": len(grown.runs),
    })  # fmt: skip
    manifest.update(sweep_hash=grown.sweep_hash, design=grown.design_info(), sweep_file=str(sweep.file),
                    name=grown.name, description=grown.description)  # fmt: skip
    for rel in (st.SWEEP_TOML, st.DESIGN):
        manifest["files"][rel] = arc.sha256_file(path / rel)
    arc.write_manifest(path, manifest)
    return grown, len(grown.runs) - len(old)


# ---------------------------------------------------------------------------- shared runs
def _trusted(manifest: dict[str, Any], code: str, env: str | None) -> bool:
    """A sweep archive whose every session ran this model source in this environment."""
    if manifest.get("layout") != st.LAYOUT or manifest.get("code_sha256") != code:
        return False
    if env is None or manifest.get("distributions_sha256") != env:
        return False
    return all(s.get("code_sha256") == code for s in manifest.get("sessions") or [])


def _sweep_archives(folders: list[Path], exclude: Path) -> list[Path]:
    out = []
    seen = {Path(exclude).resolve()}
    for folder in folders:
        if not Path(folder).is_dir():
            continue
        for p in sorted(Path(folder).iterdir()):
            if p.name.startswith(".") or not p.is_dir() or p.resolve() in seen:
                continue
            seen.add(p.resolve())
            if (p / arc.MANIFEST).is_file():
                out.append(p)
    return out


def shared_runs(
    needed: set[str], folders: list[Path], exclude: Path, code: str, env: str | None
) -> dict[str, tuple[Path, str]]:
    """Run id -> (a file in another sweep archive holding that run, its sha256 in that archive's
    manifest), for the ``needed`` ids found in the sweep archives directly inside ``folders``
    (``exclude``: this archive) that ran this code in this environment."""
    found: dict[str, tuple[Path, str]] = {}
    for other in _sweep_archives(folders, exclude):
        if not needed - set(found):
            break
        try:
            m = arc.read_manifest(other, "sweep")
        except arc.ArchiveError:
            continue
        if not _trusted(m, code, env) or st.INDEX not in m["files"]:
            continue
        files: dict[str, str] = m["files"]
        index = pd.read_parquet(other / st.INDEX, columns=["point", "replicate", "run_id", "status"])
        for rid, p, r in index.loc[index["status"] == "ok", ["run_id", "point", "replicate"]].itertuples(
            index=False, name=None
        ):
            rel = st.cell_rel(p, r)
            if rid in needed and rid not in found and rel in files:
                found[rid] = (other / rel, files[rel])
        for rid in needed - set(found):
            rel = st.baseline_rel(rid)
            if rel in files:
                found[rid] = (other / rel, files[rel])
    return found


# ---------------------------------------------------------------------------- writing runs
class RunStore:
    """Writes the runs of one sweep into its archive: each run's design cells (tidy run files),
    its baseline file, and copies of runs held elsewhere."""

    def __init__(self, sweep: Sweep, path: Path) -> None:
        self.sweep, self.path = sweep, path
        self.rows: dict[str, list[dict[str, Any]]] = {}
        for row in sweep.runs.to_dict("records"):
            self.rows.setdefault(row["run_id"], []).append(row)
        self.base_only = {k: t for k, t in sweep.baselines.items() if k not in sweep.tasks}

    def missing(self) -> dict[str, list[dict[str, Any]]]:
        """Run id -> its cells without a run file (or, keeping flows, without a flows file)."""
        present = st.done_cells(self.path, self.sweep.runs)
        if self.sweep.flows:
            present &= st.done_cells(self.path, self.sweep.runs, st.FLOWS)
        out = {}
        for rid, rows in self.rows.items():
            miss = [r for r in rows if (r["point"], r["replicate"]) not in present]
            if miss:
                out[rid] = miss
        return out

    def write(self, rid: str, raw: Any, rows: list[dict[str, Any]] | None = None, flows: Any = None) -> None:
        """Write run ``rid`` (its rows as an Arrow table; ``flows`` its flows) into ``rows``
        (default: all its cells) and, for a lever-off baseline, into ``baselines/``."""
        for row in self.rows.get(rid, []) if rows is None else rows:
            front = st.cell_front(row, self.sweep.paths)
            p, r = row["point"], row["replicate"]
            if flows is not None:  # first, so that a run file always has its flows beside it
                st.atomic_write(self.path / st.cell_rel(p, r, st.FLOWS), st.tidy_bytes(flows, front))
            st.atomic_write(self.path / st.cell_rel(p, r), st.tidy_bytes(raw, front))
        if rid in self.base_only:
            front = {"run_id": rid, "seed": self.base_only[rid].seed}
            st.atomic_write(self.path / st.baseline_rel(rid), st.tidy_bytes(raw, front))


def fill_without_running(store: RunStore, reuse: list[Path]) -> tuple[list[Task], int, int]:
    """Fill what the archive can without running: cells of a run that another cell here already
    holds, and runs that another sweep archive in a folder of ``reuse`` holds under the same content
    key. Returns the tasks left to run, the runs already complete, and the runs copied."""
    sweep, path = store.sweep, store.path
    missing = store.missing()
    skipped, copied = len(store.rows) - len(missing), 0
    need: dict[str, Task] = {}
    for rid, rows in missing.items():
        if len(rows) < len(store.rows[rid]):  # another cell of this run id is here: copy it
            have = next(r for r in store.rows[rid] if r not in rows)
            p, r = have["point"], have["replicate"]
            n = len(st.cell_front(have, sweep.paths))
            flows = st.strip(path / st.cell_rel(p, r, st.FLOWS), n) if sweep.flows else None
            store.write(rid, st.strip(path / st.cell_rel(p, r)), rows, flows)
        else:
            need[rid] = sweep.tasks[rid]
    for rid, task in store.base_only.items():
        if not (path / st.baseline_rel(rid)).is_file():
            need[rid] = task
    if reuse and need and not sweep.flows:
        env = schema.distributions_sha256(schema.installed_distributions())
        for rid, (src, digest) in shared_runs(set(need), reuse, path, source_sha256(), env).items():
            data = src.read_bytes()
            if arc.sha256_bytes(data) != digest:
                continue  # changed since its manifest was written: not trusted
            store.write(rid, st.strip(data))
            need.pop(rid)
            copied += 1
    return list(need.values()), skipped, copied
