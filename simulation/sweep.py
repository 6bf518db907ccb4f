"""Parameter sweeps: sweep files, designs, seeds, resumable sweep archives (design brief §6, §7).

A sweep file (``configs/sweeps/*.toml``, documented in ``docs/sweeps.md``) names parameters by their
dotted path into the config, each with ``values`` or a range (``low``, ``high``; ``num`` for a grid;
``log``), a design (``grid``, ``random``, ``lhs``, ``sobol`` (Saltelli's scheme, SALib), ``morris``),
replicates per point, a root seed, an optional ``base`` config and fixed ``[set]`` overrides.
:func:`load_sweep` checks all of it up front, validating every point's config, and raises
:class:`~simulation.params.ConfigError` naming the sweep file and the field.

Seeds: run (point p, replicate r) uses ``SeedSequence(root_seed, spawn_key=(p, r))`` (with
``crn = true``: ``spawn_key=(0, r)``, common random numbers across points); never the order in
which runs are scheduled. A run's id is ``sha256(resolved config TOML + seed)[:16]``
(:func:`simulation.archive.run_id`): the same run has the same id in every sweep.

A sweep archive is a folder (see ``docs/sweeps.md``)::

    manifest.json    kind "sweep", the sweep and its design, root seed, counts, status, code and
                     environment versions, sessions (executor, workers, times), sha256 of the files
    sweep.toml       the sweep file as given
    base.toml        the resolved base config (base file + [set], run.seed = root seed)
    design.parquet   one row per run: point, replicate, seed, run_id, each parameter's value and,
                     for sampled designs, its unit-cube coordinate (u:<path>)
    runs/<id>.parquet   one file per run: the model table (table == "model") and the cities table
    failed/<id>.txt     the traceback of each failed run
    runs.parquet     the index: design columns + status (ok | failed | pending), error, metrics
    summary.md       what ran, the counts, the failures

Each run file is written under a temporary name (``<id>.parquet.tmp-<pid>``) and renamed, so a run
file exists whole or not at all; the archive itself is resumable: running the same sweep again
finds it (``--out``, or the most recent unfinished archive of the same sweep under ``results/``)
and runs only what is missing or failed. ``runs.parquet`` is rebuilt from the run files at the end
of every session, so it is the same bytes whatever the executor, worker count or interruptions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import fcntl
import hashlib
import itertools
import json
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import archive as arc
from simulation.config import Config, apply_overrides, flatten, load_config, read_toml, to_toml, validate
from simulation.limits import (
    MAX_RUNS,
    check_memory,
    check_region_and_levers,
    check_scheduler,
    check_workers,
    model_columns,
)
from simulation.params import ConfigError
from simulation.sweep_exec import EXECUTORS, Outcome, Task, execute, source_sha256

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "results"
DESIGNS = ("grid", "random", "lhs", "sobol", "morris")
SAMPLED = ("random", "lhs", "sobol", "morris")
SECTIONS = ("sweep", "set", "parameters")
SWEEP_KEYS = (
    "name",
    "description",
    "design",
    "samples",
    "replicates",
    "seed",
    "base",
    "second_order",
    "levels",
    "metrics",
    "crn",
)
SPEC_KEYS = ("values", "low", "high", "num", "log", "integer")
AGGS = ("final", "cum", "mean", "total", "max", "min")
RUNS, FAILED = "runs", "failed"
INDEX, DESIGN, BASE_TOML, SWEEP_TOML, SUMMARY, LOCK = (
    "runs.parquet",
    "design.parquet",
    "base.toml",
    "sweep.toml",
    "summary.md",
    ".lock",
)
ANALYSIS = "analysis"
STATUSES = ("ok", "failed", "pending")


def default_metrics() -> tuple[str, ...]:
    """The cluster headline metrics of ``compare`` (``gdp_final``, ``emissions_air_cum``, ...)."""
    from simulation.compare import METRICS

    return tuple(m.name for m in METRICS)


# ---------------------------------------------------------------------------- the sweep file
@dataclass(frozen=True)
class SweepParam:
    """One swept parameter: ``values`` (a list), or a range ``low``..``high`` (``num`` points in a
    grid; uniform, or log-uniform with ``log``). ``integer`` rounds sampled values (set
    automatically for integer config fields)."""

    path: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    num: int | None = None
    log: bool = False
    integer: bool = False

    def grid(self) -> list[Any]:
        """The grid values: ``values``, or ``num`` points from ``low`` to ``high``."""
        if self.values is not None:
            return list(self.values)
        assert self.low is not None and self.high is not None and self.num is not None
        x = (np.geomspace if self.log else np.linspace)(self.low, self.high, self.num)
        if self.integer:
            return list(dict.fromkeys(int(v) for v in np.rint(x)))
        return [float(v) for v in x]

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Values for unit-cube coordinates ``u`` in [0, 1]: the range mapped linearly (or in
        logs), or the k listed values as k equal bins."""
        if self.values is not None:
            k = len(self.values)
            idx = np.minimum((np.asarray(u) * k).astype(int), k - 1)
            return [self.values[i] for i in idx]
        assert self.low is not None and self.high is not None
        if self.log:
            lo, hi = np.log(self.low), np.log(self.high)
            x = np.exp(lo + np.asarray(u) * (hi - lo))
        else:
            x = self.low + np.asarray(u) * (self.high - self.low)
        x = np.clip(x, self.low, self.high)  # exp(log(low)) may round below low
        if self.integer:
            return [int(v) for v in np.rint(x)]
        return [float(v) for v in x]

    def spec(self) -> dict[str, Any]:
        """The specification as plain data (manifest, summary)."""
        out: dict[str, Any] = {"path": self.path}
        if self.values is not None:
            out["values"] = list(self.values)
        else:
            out.update(low=self.low, high=self.high)
            if self.num is not None:
                out["num"] = self.num
            if self.log:
                out["log"] = True
        if self.integer:
            out["integer"] = True
        return out

    def describe(self) -> str:
        if self.values is not None:
            return "values " + ", ".join(repr(v) for v in self.values)
        text = f"{self.low:g} to {self.high:g}" + (" (log)" if self.log else "")
        return text + (f", {self.num} points" if self.num else "") + (", integer" if self.integer else "")


@dataclass
class Sweep:
    """A loaded, checked sweep: its settings, every point and every run.

    Attributes:
        file: the sweep file.
        text: its text (copied into the archive).
        name, description: from ``[sweep]`` (name defaults to the file stem).
        design: grid | random | lhs | sobol | morris.
        samples: random/lhs points; Sobol base samples N (points N(D+2), or N(2D+2) with
            second_order); Morris trajectories (points N(D+1)); None for a grid.
        replicates: runs per point.
        seed: the root seed.
        crn: common random numbers: all points share the seeds of replicate r.
        second_order: Sobol second-order indices (more points).
        levels: Morris grid levels.
        metrics: the summary metrics of ``runs.parquet`` (``<model column>_<agg>``).
        base_file: the base config file (None: the defaults).
        sets: fixed overrides (dotted path -> value) applied to the base.
        parameters: the swept parameters, in order.
        base_config: base file + sets, validated, ``run.seed`` = root seed.
        points: one row per point: point, each parameter's value, ``u:<path>`` (sampled designs).
        runs: one row per run: point, replicate, seed, run_id, each parameter's value.
        tasks: the distinct runs by id (a run id repeats only if two points and seeds coincide).
    """

    file: Path
    text: str
    name: str
    description: str
    design: str
    samples: int | None
    replicates: int
    seed: int
    crn: bool
    second_order: bool
    levels: int
    metrics: tuple[str, ...]
    base_file: Path | None
    sets: dict[str, Any]
    parameters: tuple[SweepParam, ...]
    base_config: Config
    points: pd.DataFrame = field(repr=False)
    runs: pd.DataFrame = field(repr=False)
    tasks: dict[str, Task] = field(repr=False)

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.parameters]

    @property
    def sweep_hash(self) -> str:
        """sha256 of what decides the archive's content: every run (point, replicate, run id), the
        parameter paths and the metrics. Equal hashes = the same sweep (resumable)."""
        body = {
            "parameters": self.paths,
            "metrics": list(self.metrics),
            "runs": self.runs[["point", "replicate", "run_id"]].to_numpy().tolist(),
        }
        return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()

    def design_info(self) -> dict[str, Any]:
        """The design as plain data (manifest)."""
        return {
            "kind": self.design,
            "samples": self.samples,
            "replicates": self.replicates,
            "second_order": self.second_order if self.design == "sobol" else None,
            "levels": self.levels if self.design == "morris" else None,
            "crn": self.crn,
            "points": len(self.points),
            "runs": len(self.runs),
            "distinct_runs": len(self.tasks),
            "parameters": [p.spec() for p in self.parameters],
            "metrics": list(self.metrics),
            "seed_rule": "SeedSequence(root_seed, spawn_key=(point, replicate)).generate_state(1)[0]"
            + (" with point = 0 (crn)" if self.crn else ""),
        }

    def plan(self) -> str:
        """One line: design, points, replicates, runs."""
        extra = f", {self.samples} samples" if self.samples else ""
        return (
            f"sweep {self.name} ({self.design}{extra}: {len(self.points)} points x {self.replicates} "
            f"replicates = {len(self.runs)} runs, root seed {self.seed})"
        )


def run_seed(root_seed: int, point: int, replicate: int, crn: bool = False) -> int:
    """The seed of run (point, replicate): a function of the root seed, the point index and the
    replicate only (with ``crn``, of the root seed and the replicate)."""
    key = (0 if crn else int(point), int(replicate))
    return int(np.random.SeedSequence(int(root_seed), spawn_key=key).generate_state(1)[0])


def _err(file: Path | str, fld: str, message: str) -> ConfigError:
    return ConfigError(str(file), fld, message)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _int(file: Path, fld: str, value: Any, low: int, what: str = "integer") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _err(file, fld, f"{value!r} (allowed: {what} >= {low})")
    return value


def _bool(file: Path, fld: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _err(file, fld, f"{value!r} (allowed: true or false)")
    return value


def _resolve_base(file: Path, value: Any) -> Path:
    if not isinstance(value, str) or not value:
        raise _err(file, "sweep.base", f"{value!r} (allowed: a config file path, e.g. configs/baseline.toml)")
    p = Path(value)
    for cand in [p] if p.is_absolute() else [file.parent / p, ROOT / p, Path.cwd() / p]:
        if cand.is_file():
            return cand
    raise _err(
        file, "sweep.base", f"no such config file {value!r} (looked beside the sweep file and in {ROOT})"
    )


def _param_specs(file: Path, raw: Any) -> list[tuple[str, dict[str, Any]]]:
    """(path, spec) pairs from ``[parameters]`` (a table by dotted path, or an array of tables with
    ``path``); a bare list is shorthand for ``values``."""
    out: list[tuple[str, dict[str, Any]]] = []

    def leaf(path: str, v: Any) -> None:
        if isinstance(v, list):
            out.append((path, {"values": v}))
        elif isinstance(v, dict) and any(k in SPEC_KEYS for k in v):
            out.append((path, v))
        elif isinstance(v, dict):
            if not v:
                raise _err(file, f"parameters.{path}", "empty table (allowed: values = [...] or low/high)")
            for k, sub in v.items():
                leaf(f"{path}.{k}", sub)
        else:
            raise _err(
                file,
                f"parameters.{path}",
                f"{v!r} is a single value, not a sweep (allowed: "
                "values = [...] or low = .., high = ..; fixed values go in [set])",
            )

    if isinstance(raw, list):
        for i, item in enumerate(raw):
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                raise _err(file, f"parameters[{i}].path", "missing (allowed: a dotted config path)")
            spec = {k: v for k, v in item.items() if k != "path"}
            out.append((item["path"], spec))
    elif isinstance(raw, dict):
        for k, v in raw.items():
            leaf(k, v)
    else:
        raise _err(file, "parameters", "missing (allowed: a table of dotted config paths)")
    if not out:
        raise _err(
            file,
            "parameters",
            'no parameters (allowed: at least one, e.g. "talent.border_cost" = { low = 0.5, high = 1.5 })',
        )
    return out


def _check_path(file: Path, path: str, leaves: dict[str, Any]) -> Any:
    """The base value at ``path``; ConfigError naming ``parameters.<path>`` if it is not a value."""
    fld = f"parameters.{path}"
    if path in leaves:
        value = leaves[path]
        if isinstance(value, list):
            raise _err(
                file,
                fld,
                "is a list, not a single value (allowed: a dotted path to a number, true/false or text)",
            )
        return value
    if any(k.startswith(path + ".") for k in leaves):
        raise _err(file, fld, "is a section, not a value (allowed: a dotted path to one value)")
    close = difflib.get_close_matches(path, list(leaves), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    message = (
        f"unknown parameter path{hint} (allowed: a dotted path into the config, e.g. talent.border_cost; "
        "see docs/parameters.md)"
    )
    raise _err(file, fld, message)


def _param(file: Path, path: str, spec: dict[str, Any], base_value: Any, design: str) -> SweepParam:
    fld = f"parameters.{path}"
    unknown = [k for k in spec if k not in SPEC_KEYS]
    if unknown:
        raise _err(file, f"{fld}.{unknown[0]}", f"unknown key (allowed: {', '.join(SPEC_KEYS)})")
    is_int = isinstance(base_value, int) and not isinstance(base_value, bool)
    integer = _bool(file, f"{fld}.integer", spec.get("integer", is_int))
    log = _bool(file, f"{fld}.log", spec.get("log", False))
    if "values" in spec:
        if any(k in spec for k in ("low", "high", "num", "log")):
            raise _err(file, fld, "give values or a range (low, high), not both")
        values = spec["values"]
        if not isinstance(values, list) or not values:
            raise _err(file, f"{fld}.values", f"{values!r}: empty (allowed: a non-empty list of values)")
        kinds = {"number" if _is_number(v) else type(v).__name__ for v in values}
        if len(kinds) > 1 or kinds & {"dict", "list"}:
            raise _err(
                file,
                f"{fld}.values",
                f"{values!r} (allowed: values of one kind: numbers, true/false or text)",
            )
        return SweepParam(path, values=tuple(values), integer=integer and kinds == {"number"})
    for key in ("low", "high"):
        if key not in spec:
            raise _err(file, f"{fld}.{key}", "missing (allowed: give values = [...], or low and high)")
        if not _is_number(spec[key]) or not np.isfinite(spec[key]):
            raise _err(file, f"{fld}.{key}", f"{spec[key]!r} (allowed: a finite number)")
    low, high = float(spec["low"]), float(spec["high"])
    if low > high:
        raise _err(file, f"{fld}.low", f"lower > upper: {low:g} > high {high:g} (allowed: low < high)")
    if low == high:
        raise _err(
            file,
            f"{fld}.high",
            f"empty range: low = high = {low:g} (allowed: low < high; a fixed value goes in [set])",
        )
    if log and low <= 0:
        raise _err(file, f"{fld}.low", f"{low:g} with log = true (allowed: low > 0)")
    num = spec.get("num")
    if design == "grid":
        if num is None:
            raise _err(
                file,
                f"{fld}.num",
                "missing: a grid over a range needs the number of points "
                "(allowed: integer >= 2, or give values = [...])",
            )
        num = _int(file, f"{fld}.num", num, 2)
        if num > MAX_RUNS:  # before any array is built
            raise _err(
                file,
                f"{fld}.num",
                f"{num:,} points (allowed: integer 2 to {MAX_RUNS:,}; runs per design <= {MAX_RUNS:,})",
            )
    elif num is not None:
        raise _err(file, f"{fld}.num", f"not used by a {design} design (allowed: only with design = 'grid')")
    return SweepParam(path, low=low, high=high, num=num, log=log, integer=integer)


def _check_endpoints(file: Path, p: SweepParam, base: dict[str, Any]) -> None:
    """Validate each listed value / both ends of the range on the base config, naming the field."""
    cases = [("values", v) for v in p.values] if p.values is not None else [("low", p.low), ("high", p.high)]
    for key, value in cases:
        if p.integer and _is_number(value):
            value = int(np.rint(value))
        try:
            validate(apply_overrides(base, {p.path: value}), str(file))
        except ConfigError as err:
            raise _err(file, f"parameters.{p.path}.{key}", f"{value!r}: {err.message}") from None


def _unit_sample(
    file: Path,
    design: str,
    params: list[SweepParam],
    samples: int,
    seed: int,
    second_order: bool,
    levels: int,
) -> np.ndarray:
    """Points of a sampled design in the unit cube [0, 1]^D."""
    d = len(params)
    problem = {"num_vars": d, "names": [p.path for p in params], "bounds": [[0.0, 1.0]] * d}
    if design == "random":
        return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x5EED,))).random((samples, d))
    if design == "lhs":
        from scipy.stats import qmc

        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x1A5,)))
        return qmc.LatinHypercube(d=d, rng=rng).random(samples)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SALib warns where the design is unsound: reject it
        try:
            if design == "sobol":
                from SALib.sample import sobol

                return sobol.sample(problem, samples, calc_second_order=second_order, seed=seed)
            from SALib.sample import morris

            return morris.sample(problem, samples, num_levels=levels, seed=seed)
        except (ValueError, UserWarning, RuntimeWarning) as err:
            fld = "sweep.levels" if design == "morris" and "level" in str(err) else "sweep.samples"
            value = levels if fld == "sweep.levels" else samples
            allowed = (
                "a power of 2, e.g. 64 or 128"
                if design == "sobol" and fld == "sweep.samples"
                else "an even number of levels, e.g. 4"
                if fld == "sweep.levels"
                else "integer >= 2"
            )
            raise _err(
                file, fld, f"{value} rejected by SALib ({design}): {err} (allowed: {allowed})"
            ) from None


def design_size(design: str, params: list[SweepParam], samples: int | None, second_order: bool) -> int:
    """Points of a design, computed from its specification alone (no array is built): a grid the
    product of its axes (an integer range counts at most its integers), random/lhs ``samples``,
    Sobol N(D+2) or N(2D+2), Morris N(D+1)."""
    if design == "grid":
        n = 1
        for p in params:
            if p.values is not None:
                k = len(p.values)
            else:
                assert p.low is not None and p.high is not None and p.num is not None
                k = min(p.num, int(p.high) - int(p.low) + 2) if p.integer else p.num
            n *= max(k, 1)
            if n > MAX_RUNS:  # enough to refuse; the exact product may be astronomically large
                return n
        return n
    d, n = len(params), int(samples or 0)
    if design == "sobol":
        return n * (2 * d + 2 if second_order else d + 2)
    if design == "morris":
        return n * (d + 1)
    return n


def _check_metric_columns(file: Path, metrics: list[str], cfg: Config) -> None:
    """Every metric's column exists in the model table (a one-year probe run of the base config when
    a metric is not one of compare's headline columns)."""
    known = {m.rpartition("_")[0] for m in default_metrics()}
    cols = [m.rpartition("_")[0] for m in metrics]
    if all(c in known for c in cols):
        return
    columns = model_columns(cfg) - {"year"}
    for m, c in zip(metrics, cols, strict=True):
        if c not in columns:
            near = difflib.get_close_matches(c, sorted(columns), n=3)
            hint = f"did you mean {', '.join(near)}? " if near else ""
            raise _err(
                file,
                "sweep.metrics",
                f"{m!r}: the model table has no column {c!r} ({hint}allowed: <column>_<{'|'.join(AGGS)}> "
                f"with a column of: {', '.join(sorted(columns))})",
            )


def _short_values(values: dict[str, Any]) -> str:
    from simulation.params import short

    return "{" + ", ".join(f"{k!r}: {short(v, 60)}" for k, v in values.items()) + "}"


def _py(value: Any) -> Any:
    """A numpy scalar as the Python value (for overrides and TOML)."""
    return value.item() if isinstance(value, np.generic) else value


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file, build its design and resolve the config of every run.

    Raises:
        ConfigError: one line 'FILE: FIELD: message (allowed: ...)' for anything wrong: unknown
            section or key, unknown parameter path, empty or inverted range, a value out of the
            config's bounds, a sample count SALib rejects, a point whose config is invalid.
    """
    file = Path(path)
    data = read_toml(file)
    text = file.read_text(encoding="utf-8")
    for key in data:
        if key not in SECTIONS:
            raise _err(file, key, f"unknown section (allowed: {', '.join(SECTIONS)})")
    sw = data.get("sweep", {})
    if not isinstance(sw, dict):
        raise _err(file, "sweep", "must be a table [sweep]")
    for key in sw:
        if key not in SWEEP_KEYS:
            raise _err(file, f"sweep.{key}", f"unknown key (allowed: {', '.join(SWEEP_KEYS)})")
    design = sw.get("design", "grid")
    if design not in DESIGNS:
        raise _err(file, "sweep.design", f"{design!r} (allowed: {', '.join(DESIGNS)})")
    replicates = _int(file, "sweep.replicates", sw.get("replicates", 1), 1)
    if replicates > MAX_RUNS:  # before the parameters are read
        raise _err(file, "sweep.replicates", f"{replicates:,} (allowed: integer 1 to {MAX_RUNS:,})")
    samples: int | None = None
    if design in SAMPLED:
        if "samples" not in sw:
            raise _err(
                file,
                "sweep.samples",
                f"missing: a {design} design needs a sample count (allowed: "
                "integer >= 2" + (", a power of 2 for sobol" if design == "sobol" else "") + ")",
            )
        samples = _int(file, "sweep.samples", sw["samples"], 2)
        if samples > MAX_RUNS:
            raise _err(
                file,
                "sweep.samples",
                f"{samples:,} (allowed: integer 2 to {MAX_RUNS:,}; runs per design <= {MAX_RUNS:,})",
            )
    elif "samples" in sw:
        raise _err(
            file,
            "sweep.samples",
            "not used by a grid (allowed: only with design = random, lhs, sobol or morris)",
        )
    second_order = _bool(file, "sweep.second_order", sw.get("second_order", False))
    levels = _int(file, "sweep.levels", sw.get("levels", 4), 2)
    crn = _bool(file, "sweep.crn", sw.get("crn", False))
    name = sw.get("name", file.stem)
    description = sw.get("description", "")
    if not isinstance(name, str) or not name.strip() or not isinstance(description, str):
        raise _err(file, "sweep.name", f"{name!r} (allowed: non-empty text)")
    metrics = sw.get("metrics", list(default_metrics()))
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise _err(file, "sweep.metrics", f"{metrics!r} (allowed: a non-empty list of names like gdp_final)")
    for m in metrics:
        col, _, agg = m.rpartition("_")
        if not col or agg not in AGGS:
            raise _err(file, "sweep.metrics", f"{m!r} (allowed: <model table column>_<{'|'.join(AGGS)}>)")

    base_file = _resolve_base(file, sw["base"]) if "base" in sw else None
    base_raw = read_toml(base_file) if base_file is not None else {}
    load_config(base_file)  # the base on its own: errors name the base file
    sets_raw = data.get("set", {})
    if not isinstance(sets_raw, dict):
        raise _err(file, "set", "must be a table [set] of dotted paths")
    sets = flatten(sets_raw)
    try:
        base_cfg = validate(apply_overrides(base_raw, sets), str(file))
    except ConfigError as err:
        raise _err(file, f"set.{err.field}", err.message) from None
    root_seed = _int(file, "sweep.seed", sw.get("seed", base_cfg.run.seed), 0)
    base = base_cfg.model_dump(mode="json")
    base["run"]["seed"] = root_seed
    base_cfg = validate(base, str(file))
    leaves = flatten(base)

    params: list[SweepParam] = []
    for path, spec in _param_specs(file, data.get("parameters")):
        if path in sets:
            raise _err(file, f"parameters.{path}", "also fixed in [set] (allowed: one or the other)")
        if path in ("run.seed",):
            raise _err(
                file,
                f"parameters.{path}",
                "seeds come from sweep.seed and the replicates (allowed: any other parameter)",
            )
        if path in [p.path for p in params]:
            raise _err(file, f"parameters.{path}", "given twice")
        base_value = _check_path(file, path, leaves)
        p = _param(file, path, spec, base_value, design)
        if design in SAMPLED and p.values is not None and not p.values:
            raise _err(file, f"parameters.{path}.values", "empty")
        _check_endpoints(file, p, base)
        params.append(p)

    # the design: points as parameter values (and unit-cube coordinates for sampled designs)
    n_runs = design_size(design, params, samples, second_order) * replicates  # arithmetic, no arrays
    if n_runs > MAX_RUNS:
        fld = "parameters" if design == "grid" else "sweep.samples"
        raise _err(
            file,
            fld,
            f"the {design} design has {n_runs:,} runs (allowed: at most {MAX_RUNS:,} runs per design)",
        )
    if design == "grid":
        grids = [p.grid() for p in params]
        n_points = int(np.prod([len(g) for g in grids], dtype=float))
        if n_points * replicates > MAX_RUNS:
            raise _err(
                file,
                "parameters",
                f"the grid has {n_points:,} points x {replicates} replicates "
                f"(allowed: at most {MAX_RUNS:,} runs)",
            )
        rows = list(itertools.product(*grids))
        points = pd.DataFrame({"point": np.arange(len(rows), dtype=np.int64)})
        for j, p in enumerate(params):
            points[p.path] = pd.Series([r[j] for r in rows])
    else:
        assert samples is not None
        unit = _unit_sample(file, design, params, samples, root_seed, second_order, levels)
        if len(unit) * replicates > MAX_RUNS:
            raise _err(
                file,
                "sweep.samples",
                f"{samples} gives {len(unit) * replicates:,} runs (allowed: at most {MAX_RUNS:,})",
            )
        points = pd.DataFrame({"point": np.arange(len(unit), dtype=np.int64)})
        for j, p in enumerate(params):
            points[p.path] = pd.Series(p.from_unit(unit[:, j]))
        for j, p in enumerate(params):
            points[f"u:{p.path}"] = unit[:, j].astype(float)

    # every run: its seed, resolved config and id
    run_rows: list[dict[str, Any]] = []
    tasks: dict[str, Task] = {}
    regions: dict[str, Any] = {}  # region spec -> Region, each loaded once
    paths = [p.path for p in params]
    for i, row in enumerate(points[paths].itertuples(index=False, name=None)):
        values = {k: _py(v) for k, v in zip(paths, row, strict=True)}
        try:
            cfg = validate(apply_overrides(base, values), str(file))
        except ConfigError as err:
            fld = f"parameters.{err.field}" if err.field in paths else err.field
            if fld == "(top level)":
                fld = "parameters"
            message = err.message.split("; got {")[0]  # not the whole config again
            raise _err(file, fld, f"{message} (at point {i}: {_short_values(values)})") from None
        try:  # the region and the levers' cities, before any archive exists
            check_region_and_levers(cfg, str(file), None, regions)
        except ConfigError as err:
            at = f"{err.message} (at point {i}: {_short_values(values)})"
            swept = [p for p in paths if err.field == p or err.field.startswith((p + ".", p + "["))]
            if swept:
                raise _err(file, f"parameters.{swept[0]}", at) from None
            if any(err.field == k or err.field.startswith((k + ".", k + "[")) for k in sets):
                raise _err(file, f"set.{err.field}", at) from None
            raise _err(base_file or file, err.field, at) from None
        point_data = cfg.model_dump(mode="json")
        for r in range(replicates):
            seed = run_seed(root_seed, i, r, crn)
            point_data["run"]["seed"] = seed
            toml = to_toml(validate(point_data, str(file)))
            rid = arc.run_id(toml, seed)
            tasks.setdefault(rid, Task(rid, toml, seed))
            run_rows.append({"point": i, "replicate": r, "seed": seed, "run_id": rid})
    runs = pd.DataFrame(run_rows).astype({"point": "int64", "replicate": "int64", "seed": "int64"})
    _check_metric_columns(file, metrics, base_cfg)
    runs = runs.merge(points[["point", *paths]], on="point", how="left", sort=False)
    return Sweep(
        file=file,
        text=text,
        name=name.strip(),
        description=description,
        design=design,
        samples=samples,
        replicates=replicates,
        seed=root_seed,
        crn=crn,
        second_order=second_order,
        levels=levels,
        metrics=tuple(metrics),
        base_file=base_file,
        sets=sets,
        parameters=tuple(params),
        base_config=base_cfg,
        points=points,
        runs=runs,
        tasks=tasks,
    )


# ---------------------------------------------------------------------------- metrics and index
def metric_values(model: pd.DataFrame, names: tuple[str, ...] | list[str]) -> dict[str, float]:
    """Summary metrics of one run's model table: ``<column>_<agg>``; "final" is the last year,
    "cum"/"total" a sum, "mean", "max", "min" over the simulated years (after the base year), as in
    ``compare``. A column the table lacks gives NaN."""
    df = model.sort_values("year", kind="stable")
    start = df["year"].min()
    horizon = df[df["year"] > start]
    if horizon.empty:
        horizon = df
    out: dict[str, float] = {}
    for name in names:
        col, _, agg = name.rpartition("_")
        if col not in df.columns or len(df) == 0:
            out[name] = float("nan")
            continue
        if agg == "final":
            out[name] = float(df[col].to_numpy(dtype=float)[-1])
            continue
        v = horizon[col].to_numpy(dtype=float)
        out[name] = float({"cum": v.sum, "total": v.sum, "mean": v.mean, "max": v.max, "min": v.min}[agg]())
    return out


def read_run_tables(
    path: Path, table: str = "model", columns: list[str] | None = None, run_ids: list[str] | None = None
) -> pd.DataFrame:
    """One table ("model" or "cities") of many runs of a sweep archive at once (pyarrow dataset
    over ``runs/*.parquet``), with a ``run_id`` column in front. ``columns``: only these (plus
    year, city); ``run_ids``: only these runs (default: every run file)."""
    import pyarrow.dataset as ds

    folder = Path(path) / RUNS
    files = (
        sorted(folder.glob("*.parquet")) if run_ids is None else [folder / f"{r}.parquet" for r in run_ids]
    )
    files = [f for f in files if f.is_file()]
    if not files:
        return pd.DataFrame({"run_id": pd.Series(dtype="string")})
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    names = dataset.schema.names
    keep = [c for c in (columns if columns is not None else names) if c in names and c != "table"]
    front = ["year"] + (["city"] if table == "cities" else [])
    cols = list(dict.fromkeys([*front, *keep]))
    if table == "model":
        cols = [c for c in cols if c != "city"]
    tab = dataset.to_table(columns=[*cols, "__filename"], filter=ds.field("table") == table)
    df = tab.to_pandas()
    df.insert(0, "run_id", df.pop("__filename").map(lambda f: Path(f).stem).astype("string"))
    sort = ["run_id", "year"] + (["city"] if table == "cities" else [])
    return df.sort_values(sort, kind="stable").reset_index(drop=True)


def _error_line(path: Path) -> str:
    try:
        first = path.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return "failed"
    return first.removeprefix("error: ")


def build_index(path: Path, runs: pd.DataFrame, metrics: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """``runs.parquet``: the design's run rows with status (ok | failed | pending), error (one line,
    failed runs) and every metric (ok runs), in design order; computed from the run files alone."""
    path = Path(path)
    ids = list(dict.fromkeys(runs["run_id"]))
    ok = [r for r in ids if (path / RUNS / f"{r}.parquet").is_file()]
    cols = sorted({m.rpartition("_")[0] for m in metrics})
    model = read_run_tables(path, "model", cols, ok)
    values: dict[str, dict[str, float]] = {}
    for rid, grp in model.groupby("run_id", sort=True):
        values[str(rid)] = metric_values(grp, metrics)
    ok_set = set(ok)
    status, error = {}, {}
    for r in ids:
        if r in ok_set:
            status[r], error[r] = "ok", None
        elif (path / FAILED / f"{r}.txt").is_file():
            status[r], error[r] = "failed", _error_line(path / FAILED / f"{r}.txt")
        else:
            status[r], error[r] = "pending", None
    out = runs.copy()
    out.insert(4, "status", pd.Series([status[r] for r in out["run_id"]], dtype="string"))
    out.insert(5, "error", pd.Series([error[r] for r in out["run_id"]], dtype="string"))
    out["run_id"] = out["run_id"].astype("string")
    nan = float("nan")
    for m in metrics:
        out[m] = np.array([values.get(r, {}).get(m, nan) for r in out["run_id"]], dtype=float)
    return out.reset_index(drop=True)


def read_index(path: Path) -> pd.DataFrame:
    """``runs.parquet`` of a sweep archive (ArchiveError if missing)."""
    f = Path(path) / INDEX
    if not f.is_file():
        raise arc.ArchiveError(path, INDEX, "missing: not a finished sweep session (re-run the sweep)")
    return pd.read_parquet(f)


# ---------------------------------------------------------------------------- archive files
def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a temporary ``<name>.tmp-<pid>`` (not ending in the
    file's suffix), flushed to disk, then renamed."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _write_json(path: Path, obj: dict[str, Any]) -> None:
    _atomic_write(path, (json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n").encode())


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


def _clean_tmp(path: Path) -> None:
    for folder in (path, path / RUNS, path / FAILED):
        for p in folder.glob("*.tmp-*"):
            try:
                p.unlink()
            except OSError:
                pass


def _version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _archive_files(path: Path) -> list[str]:
    """Files the manifest lists: all but the manifest, hidden files and the analysis folder."""
    out = []
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path)
        if not p.is_file() or rel.as_posix() == arc.MANIFEST or rel.parts[0] == ANALYSIS:
            continue
        if any(part.startswith(".") for part in rel.parts) or ".tmp-" in p.name:
            continue
        out.append(rel.as_posix())
    return out


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_manifest(sweep: Sweep, command: list[str]) -> dict[str, Any]:
    """The manifest of a new sweep archive (status "running", no sessions yet)."""
    lock = arc.REPO_ROOT / "uv.lock"
    return {
        "schema_version": arc.SCHEMA_VERSION,
        "kind": "sweep",
        "run_id": sweep.sweep_hash[:16],
        "sweep_hash": sweep.sweep_hash,
        "name": sweep.name,
        "description": sweep.description,
        "created": _now(),
        "updated": _now(),
        "status": "running",
        "command": command,
        "sweep_file": str(sweep.file),
        "config_source": str(sweep.base_file) if sweep.base_file else None,
        "sets": sweep.sets,
        "config": sweep.base_config.model_dump(mode="json"),
        "seed": sweep.seed,
        "design": sweep.design_info(),
        "counts": {s: 0 for s in STATUSES} | {"pending": len(sweep.tasks)},
        "code": arc.code_version(),
        "code_sha256": source_sha256(),
        "lock_sha256": arc.sha256_file(lock) if lock.is_file() else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {
            **arc.package_versions(),
            **{n: _version(n) for n in ("scipy", "SALib", "dask", "distributed")},
        },
        "sessions": [],
        "files": {},
    }


def default_sweep_path(results_dir: Path, stem: str) -> Path:
    """``results_dir/<UTC yyyymmdd-HHMMSS>-sweep-<stem>``, with -2, -3 ... if taken."""
    from simulation.archive import stamped_path

    return stamped_path(results_dir, f"sweep-{stem}")


def find_unfinished(parent: Path, sweep_hash: str) -> Path | None:
    """The most recently created sweep archive in ``parent`` of this sweep that is not complete."""
    found = []
    if Path(parent).is_dir():
        for p in Path(parent).iterdir():
            if p.name.startswith(".") or not p.is_dir():
                continue
            m = _read_json(p / arc.MANIFEST)
            if m and m.get("kind") == "sweep" and m.get("sweep_hash") == sweep_hash:
                if m.get("status") != "complete":
                    found.append((str(m.get("created") or ""), p.name, p))
    return max(found)[2] if found else None


def locate(sweep: Sweep, out: Path | None, results_dir: Path = RESULTS_DIR) -> tuple[Path, bool]:
    """Where the sweep's archive is, and whether it resumes an existing one.

    ``out`` holding a sweep archive: resume it if it is this sweep (else ArchiveError). ``out`` new
    or empty: a new archive there. ``out`` a folder of other things, or no ``out`` (then
    ``results_dir``): the most recent unfinished archive of this sweep in it, else a new one
    named ``<UTC time>-sweep-<file stem>``.
    """
    if out is not None:
        out = Path(out)
        arc.check_out(out, archive_ok=True)
        if (out / arc.MANIFEST).is_file():
            m = _read_json(out / arc.MANIFEST) or {}
            if m.get("kind") != "sweep":
                raise arc.ArchiveError(
                    out,
                    "--out",
                    f"holds a {m.get('kind') or 'run'} archive, not a sweep "
                    "(allowed: a sweep archive of the same sweep, or a new or empty folder)",
                )
            if m.get("sweep_hash") != sweep.sweep_hash:
                raise arc.ArchiveError(
                    out,
                    "--out",
                    f"holds a different sweep ({m.get('name')!r}, from "
                    f"{m.get('sweep_file')}) (allowed: the same sweep to resume it, or a "
                    "new or empty folder)",
                )
            return out, True
        if not out.exists() or not any(out.iterdir()):
            return out, False
        parent = out
    else:
        parent = Path(results_dir)
    found = find_unfinished(parent, sweep.sweep_hash)
    if found is not None:
        return found, True
    return default_sweep_path(parent, Path(sweep.file).stem), False


def create_archive(sweep: Sweep, path: Path, command: list[str]) -> Path:
    """Create the archive folder with its fixed files, atomically (a hidden folder renamed into
    place), so that an archive with a manifest always has its design."""
    with arc.staging(path) as tmp:
        (tmp / RUNS).mkdir()
        (tmp / FAILED).mkdir()
        (tmp / SWEEP_TOML).write_text(sweep.text, encoding="utf-8")
        (tmp / BASE_TOML).write_text(to_toml(sweep.base_config), encoding="utf-8")
        design = sweep.runs.merge(sweep.points.drop(columns=sweep.paths), on="point", how="left")
        (tmp / DESIGN).write_bytes(arc.parquet_bytes(design))
        manifest = new_manifest(sweep, command)
        manifest["files"] = {rel: arc.sha256_file(tmp / rel) for rel in _archive_files(tmp)}
        arc.write_manifest(tmp, manifest)
    return path


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the archive's lock (``.lock``, flock) for the block: one sweep process per archive. The
    lock goes with the process, however it ends."""
    fd = os.open(Path(path) / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise arc.ArchiveError(
            path,
            "archive",
            "another sweep process is running it (allowed: wait for it to finish, or another --out)",
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- running
@dataclass
class SweepReport:
    """Outcome of :func:`run_sweep`.

    Attributes:
        path: the archive.
        resumed: an existing archive was continued.
        counts: runs (rows of runs.parquet) by status: ok, failed, pending.
        ran: runs finished in this session (ok or failed).
        failed_now: runs that failed in this session.
        skipped: distinct runs already complete before this session.
        wall_time_s: seconds of this session.
        executor, workers: how this session ran.
        notes: news worth a line (code changed since the archive began, restarted workers, ...).
        interrupted: the session was stopped by Ctrl-C (the archive is resumable).
    """

    path: Path
    resumed: bool
    counts: dict[str, int]
    ran: int = 0
    failed_now: int = 0
    skipped: int = 0
    wall_time_s: float = 0.0
    executor: str = "process"
    workers: int = 1
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        return self.counts.get("failed", 0) == 0 and self.counts.get("pending", 0) == 0


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: the archive at ``path`` was closed cleanly and is resumable."""

    def __init__(self, report: SweepReport) -> None:
        super().__init__(str(report.path))
        self.report = report


def summary_markdown(sweep: Sweep, path: Path, index: pd.DataFrame, manifest: dict[str, Any]) -> str:
    """What ran, the counts, the failures, and how to go on."""
    counts = index["status"].value_counts().to_dict()
    lines = [
        f"# Sweep {sweep.name}",
        "",
        *([sweep.description, ""] if sweep.description else []),
        "## What ran",
        "",
        f"- sweep file: `{sweep.file}` (copy: `{SWEEP_TOML}`); base config: "
        f"`{sweep.base_file or '<defaults>'}` with [set] {sweep.sets or '{}'} (resolved: `{BASE_TOML}`)",
        f"- design: **{sweep.design}**"
        + (f", {sweep.samples} samples" if sweep.samples else "")
        + (", second order" if sweep.design == "sobol" and sweep.second_order else "")
        + (f", {sweep.levels} levels" if sweep.design == "morris" else "")
        + f"; {len(sweep.points)} points x {sweep.replicates} replicates = {len(sweep.runs)} runs "
        f"({len(sweep.tasks)} distinct); root seed {sweep.seed}"
        + (" (common random numbers across points)" if sweep.crn else ""),
        f"- horizon {sweep.base_config.run.start_year}-{sweep.base_config.run.end_year}, "
        f"{sweep.base_config.scale.talent_agents:,} talent and {sweep.base_config.scale.firm_agents:,} "
        "firm agents at the base",
        "",
        "| parameter | swept over |",
        "|---|---|",
        *[f"| `{p.path}` | {p.describe()} |" for p in sweep.parameters],
        "",
        "## Status",
        "",
        f"- {counts.get('ok', 0)} ok, {counts.get('failed', 0)} failed, {counts.get('pending', 0)} pending "
        f"(status: **{manifest.get('status')}**)",
    ]
    for s in manifest.get("sessions", []):
        lines.append(
            f"- session {s.get('started')}: {s.get('executor')} x {s.get('workers')}, ran {s.get('ran')} "
            f"({s.get('failed')} failed), skipped {s.get('skipped')}, {s.get('wall_time_s')} s"
        )
    failed = index[index["status"] == "failed"].drop_duplicates("run_id")
    if len(failed):
        lines += [
            "",
            "## Failed runs",
            "",
            "Tracebacks in `failed/<run_id>.txt`; running the same sweep command again retries them.",
            "",
        ]
        for _, r in failed.head(20).iterrows():
            lines.append(f"- `{r['run_id']}` (point {r['point']}, replicate {r['replicate']}): {r['error']}")
        if len(failed) > 20:
            lines.append(f"- ... and {len(failed) - 20} more")
    lines += [
        "",
        "## Files",
        "",
        f"`{INDEX}`: one row per run (point, replicate, seed, run_id, status, error, parameters, metrics "
        f"{', '.join(sweep.metrics[:4])}, ...). `runs/<run_id>.parquet`: each run's model table "
        "(`table == 'model'`) and cities table (`table == 'cities'`). `design.parquet`: the design, with "
        "unit-cube coordinates `u:<path>` for sampled designs.",
        "",
        f"Analyse: `uv run run.py analyze {path}`; check: `uv run run.py verify {path} --sample 5`.",
        "",
    ]
    return "\n".join(lines)


def _status(counts: dict[str, int]) -> str:
    if counts.get("pending", 0):
        return "incomplete"
    return "complete" if counts.get("failed", 0) == 0 else "failed-runs"


def run_sweep(
    sweep: Sweep,
    out: Path | None = None,
    *,
    results_dir: Path = RESULTS_DIR,
    executor: str = "process",
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = False,
    command: list[str] | None = None,
    on_note: Callable[[str], None] | None = None,
    checked: bool = False,
) -> SweepReport:
    """Run (or resume) a sweep into its archive and return the report.

    Runs already in the archive (their run file exists) are skipped; failed runs are tried again.
    Each finished run is written at once (atomically), each failure with its traceback; at the end
    (also after Ctrl-C, then raising :class:`SweepInterrupted`) ``runs.parquet``, ``summary.md`` and
    the manifest are rewritten.

    Args:
        sweep: from :func:`load_sweep`.
        out: see :func:`locate`.
        results_dir: where default archives go.
        executor: "process" (default), "dask" or "serial".
        workers: worker processes (process pool, Dask LocalCluster).
        scheduler: a running Dask scheduler's address (executor "dask").
        progress: a tqdm bar on stderr (runs done, failed, time left).
        command: recorded in the manifest (default ``sys.argv``).
        on_note: called with lines of news (default: printed to stderr).
        checked: :func:`preflight` was already called (scheduler, memory).

    Raises:
        ArchiveError: ``out`` holds another sweep or another kind of archive; another process is
            running this archive.
        ConfigError: the Dask scheduler cannot be reached; the runs held at once would not fit in
            memory.
    """
    from tqdm import tqdm

    if executor not in EXECUTORS:
        raise ConfigError("command line", "--executor", f"{executor!r} (allowed: {', '.join(EXECUTORS)})")
    command = list(sys.argv if command is None else command)
    if not checked:
        preflight(sweep, executor, workers, scheduler)  # before the archive folder exists
    path, resumed = locate(sweep, out, results_dir)
    if not resumed:
        create_archive(sweep, path, command)
    started, t0 = _now(), time.perf_counter()
    report = SweepReport(path=path, resumed=resumed, counts={}, executor=executor, workers=workers)
    emit = on_note or (lambda line: print(line, file=sys.stderr))

    with locked(path):
        _clean_tmp(path)
        manifest = arc.read_manifest(path, "sweep")  # schema and digest: an edited manifest is refused
        problems = arc.resume_problems(path, manifest, rewritten=(INDEX, SUMMARY, FAILED), growing=(RUNS,))
        if problems:  # resuming would seal the edits into a new manifest
            raise arc.ArchiveError(
                path, "files", f"cannot resume: {'; '.join(problems[:3])} (allowed: an archive whose "
                "files match its manifest; verify lists every difference; or a new --out)",
            )  # fmt: skip
        if manifest.get("code_sha256") != source_sha256():
            report.notes.append(
                "the model code changed since this archive began: runs already in it were "
                "made by the earlier code (see manifest.sessions)"
            )
        (path / RUNS).mkdir(exist_ok=True)
        (path / FAILED).mkdir(exist_ok=True)
        done = {p.stem for p in (path / RUNS).glob("*.parquet")}
        todo = [t for rid, t in sweep.tasks.items() if rid not in done]
        report.skipped = len(sweep.tasks) - len(todo)
        manifest["status"] = "running"
        manifest["updated"] = _now()
        arc.write_manifest(path, manifest)
        local_code = source_sha256()
        bar = tqdm(
            total=len(todo),
            desc="sweep",
            unit="run",
            file=sys.stderr,
            disable=not progress,
            dynamic_ncols=True,
        )
        bar.set_postfix_str("failed 0")

        def note(line: str) -> None:
            report.notes.append(line)
            if progress:
                bar.write(line, file=sys.stderr)
            else:
                emit(line)

        def on_outcome(o: Outcome) -> None:
            # workers of a running cluster may hold other code: refuse their results (local workers
            # import this very tree, so there the check would only catch edits made mid-sweep)
            if scheduler and o.ok and o.code_sha256 not in (None, local_code):
                error = (
                    f"CodeMismatch: the worker's model code (sha256 {str(o.code_sha256)[:12]}) "
                    f"differs from this sweep's ({local_code[:12]})"
                )
                o = Outcome(o.run_id, False, error=error, traceback=error + "\n", code_sha256=o.code_sha256)
            fail_file = path / FAILED / f"{o.run_id}.txt"
            if o.ok and o.data is not None:
                _atomic_write(path / RUNS / f"{o.run_id}.parquet", o.data)
                fail_file.unlink(missing_ok=True)
            else:
                report.failed_now += 1
                text = f"error: {o.error}\nrun_id: {o.run_id}\n\n{o.traceback or ''}"
                _atomic_write(fail_file, text.encode())
            report.ran += 1
            bar.update(1)
            bar.set_postfix_str(f"failed {report.failed_now}")

        try:
            execute(
                todo,
                executor=executor,
                workers=workers,
                scheduler=scheduler,
                on_outcome=on_outcome,
                on_note=note,
            )
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            bar.close()
            report.wall_time_s = time.perf_counter() - t0
            index = build_index(path, sweep.runs, sweep.metrics)
            _atomic_write(path / INDEX, arc.parquet_bytes(index))
            counts = {s: int((index["status"] == s).sum()) for s in STATUSES}
            report.counts = counts
            manifest["status"] = _status(counts)
            manifest["counts"] = counts
            manifest["updated"] = _now()
            manifest.setdefault("sessions", []).append(
                {
                    "started": started,
                    "finished": _now(),
                    "executor": executor,
                    "workers": None if scheduler else workers,
                    "scheduler": scheduler,
                    "ran": report.ran,
                    "failed": report.failed_now,
                    "skipped": report.skipped,
                    "wall_time_s": round(report.wall_time_s, 3),
                    "interrupted": report.interrupted,
                    "code": arc.code_version(),
                    "code_sha256": local_code,
                    "command": command,
                }
            )
            manifest["wall_time_s"] = round(sum(x.get("wall_time_s") or 0 for x in manifest["sessions"]), 3)
            (path / SUMMARY).write_text(summary_markdown(sweep, path, index, manifest), encoding="utf-8")
            manifest["files"] = {rel: arc.sha256_file(path / rel) for rel in _archive_files(path)}
            arc.write_manifest(path, manifest)
    if report.interrupted:
        raise SweepInterrupted(report)
    return report


# ---------------------------------------------------------------------------- verify
def read_sweep_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a sweep archive; ArchiveError if it is not one."""
    return arc.read_manifest(Path(path), "sweep")


def archive_tasks(path: Path, manifest: dict[str, Any] | None = None) -> tuple[pd.DataFrame, dict[str, Task]]:
    """The design of a sweep archive and each run's task, rebuilt from ``base.toml`` and
    ``design.parquet`` alone (the sweep file and the base config file may have changed since)."""
    path = Path(path)
    manifest = manifest or read_sweep_manifest(path)
    for name in (BASE_TOML, DESIGN):
        if not (path / name).is_file():
            raise arc.ArchiveError(path, name, "missing: cannot re-run")
    base = load_config(path / BASE_TOML).model_dump(mode="json")
    design = pd.read_parquet(path / DESIGN)
    paths = [p["path"] for p in manifest["design"]["parameters"]]
    tasks: dict[str, Task] = {}
    for row in design[["point", "seed", *paths]].itertuples(index=False, name=None):
        values = {k: _py(v) for k, v in zip(paths, row[2:], strict=True)}
        seed = int(row[1])
        cfg = validate(apply_overrides(base, {**values, "run.seed": seed}), str(path / DESIGN))
        toml = to_toml(cfg)
        rid = arc.run_id(toml, seed)
        tasks.setdefault(rid, Task(rid, toml, seed))
    return design, tasks


def verify_sweep_archive(
    path: Path,
    sample: int = 5,
    *,
    seed: int = 0,
    executor: str = "serial",
    workers: int = 1,
    progress: bool = False,
) -> arc.VerifyReport:
    """Check a sweep archive: file hashes against the manifest, every run id against its config
    (rebuilt from ``base.toml`` + ``design.parquet``), ``runs.parquet`` against the run files, and
    re-run ``sample`` completed runs (chosen with ``seed``) comparing their files bit for bit.

    Raises:
        ArchiveError: not a sweep archive, or ``sample`` < 0.
    """
    path = Path(path)
    if sample < 0:
        raise arc.ArchiveError(path, "--sample", f"{sample} (allowed: integer >= 0)")
    m = read_sweep_manifest(path)
    report = arc.VerifyReport(path=path, file_problems=arc.check_files(path, m))
    now = arc.code_version()
    if (m.get("code") or {}).get("git_commit") != now["git_commit"]:
        report.notes.append(
            f"code differs: archive {(m.get('code') or {}).get('git_commit')}, now {now['git_commit']}"
        )
    if m.get("code_sha256") != source_sha256():
        report.notes.append("model source differs from the archive's (code_sha256)")
    design, tasks = archive_tasks(path, m)
    stored_ids = list(dict.fromkeys(design["run_id"]))
    for rid in stored_ids:
        if rid not in tasks:
            report.rerun_differs.append(f"design.parquet: run {rid} no longer hashes to its id")
    metrics = tuple(m["design"].get("metrics") or default_metrics())
    runs_cols = [c for c in design.columns if not c.startswith("u:")]
    index = build_index(path, design[runs_cols], metrics)
    if not (path / INDEX).is_file() or arc.sha256_file(path / INDEX) != arc.sha256_bytes(
        arc.parquet_bytes(index)
    ):
        report.rerun_differs.append(f"{INDEX}: differs from the index rebuilt from the run files")
    ok = sorted(r for r in stored_ids if r in tasks and (path / RUNS / f"{r}.parquet").is_file())
    n = min(sample, len(ok))
    chosen = sorted(np.random.default_rng(seed).choice(len(ok), size=n, replace=False).tolist()) if n else []
    picked = [tasks[ok[i]] for i in chosen]
    report.notes.append(
        f"re-ran {n} of {len(ok)} completed runs: {', '.join(t.run_id for t in picked) or '-'}"
    )
    t0 = time.perf_counter()

    def check(o: Outcome) -> None:
        f = path / RUNS / f"{o.run_id}.parquet"
        if not o.ok or o.data is None:
            report.rerun_differs.append(f"runs/{o.run_id}.parquet: re-run failed: {o.error}")
        elif arc.sha256_bytes(o.data) != arc.sha256_file(f):
            report.rerun_differs.append(f"runs/{o.run_id}.parquet")

    execute(picked, executor=executor, workers=workers, on_outcome=check)
    report.wall_time_s = time.perf_counter() - t0
    return report


# ---------------------------------------------------------------------------- command line
SWEEP_HELP = "run a parameter sweep (grid, random, LHS, Sobol, Morris) into a resumable archive"
VERIFY_SAMPLE_DEFAULT = 5


def _display(path: Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``sweep``: FILE [--executor process|dask|serial] [--workers N] [--scheduler ADDR]
    [--out DIR] [--dry-run]."""
    p.add_argument("sweep", metavar="FILE", help="sweep file (TOML), e.g. configs/sweeps/smoke.toml")
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default=None,
        help="process pool (default), dask (a LocalCluster, or --scheduler) or serial",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"worker processes (default: the CPU count, {os.cpu_count()})",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDR",
        default=None,
        help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the archive: resumed if it holds this sweep; default: the latest unfinished "
        "archive of this sweep under results/, else a new one",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="check the sweep file, print the design, run nothing"
    )


def _executor(args: argparse.Namespace) -> tuple[str, int]:
    executor = args.executor or ("dask" if args.scheduler else "process")
    if args.scheduler and executor != "dask":
        raise ConfigError(
            "command line",
            "--scheduler",
            f"given with --executor {executor} (allowed: only with --executor dask)",
        )
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    return executor, check_workers(workers)


def preflight(sweep: Sweep, executor: str, workers: int, scheduler: str | None) -> None:
    """What the machine must offer before the archive folder is created: a reachable Dask
    scheduler (short timeout), and memory for the runs held at once (local executors only; a
    running cluster's workers have their own)."""
    if scheduler:
        check_scheduler(scheduler)
        return
    concurrent = 1 if executor == "serial" else max(1, min(workers, len(sweep.tasks)))
    cfg, swept = sweep.base_config, {}
    for path in ("scale.talent_agents", "scale.firm_agents"):
        if path in sweep.paths:  # the largest value of each: an upper bound
            swept[path] = int(pd.to_numeric(sweep.points[path]).max())
    if swept:
        cfg = validate(apply_overrides(cfg.model_dump(mode="json"), swept), str(sweep.file))
    fld = "parameters.scale.talent_agents" if swept else "scale.talent_agents"
    check_memory(cfg, str(sweep.file), concurrent, fld)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run or resume a sweep; print the counts and ``archive: PATH`` last. Exit 0 when every run is
    ok, 1 when some failed (the archive keeps their tracebacks; re-running retries them).

    Raises:
        ConfigError, ArchiveError, RegionError: bad input (the CLI: exit code 2).
    """
    executor, workers = _executor(args)
    sweep = load_sweep(args.sweep)
    if args.out is not None:
        arc.check_out(Path(args.out), archive_ok=True)
    preflight(sweep, executor, workers, args.scheduler)  # before anything is printed or created
    if args.dry_run:
        print(sweep.plan())
        for p in sweep.parameters:
            print(f"  {p.path}: {p.describe()}")
        show = sweep.runs.drop(columns=["run_id"]).head(10)
        print(show.to_string(index=False))
        if len(sweep.runs) > 10:
            print(f"  ... {len(sweep.runs) - 10} more runs")
        return 0
    where = (
        f"Dask scheduler {args.scheduler}"
        if args.scheduler
        else "serial"
        if executor == "serial"
        else f"{executor}, {workers} worker(s)"
    )
    print(f"{sweep.plan()}; {where}", flush=True)
    progress = sys.stderr.isatty()
    try:
        report = run_sweep(
            sweep,
            args.out,
            results_dir=RESULTS_DIR,
            executor=executor,
            workers=workers,
            scheduler=args.scheduler,
            progress=progress,
            command=getattr(args, "argv", None),
            checked=True,
        )
    except SweepInterrupted as stop:
        r = stop.report
        print(
            f"interrupted: {r.counts.get('ok', 0)} ok, {r.counts.get('failed', 0)} failed, "
            f"{r.counts.get('pending', 0)} pending; run the same command again to resume"
        )
        print(f"archive: {_display(r.path)}")
        return 130
    for line in report.notes:
        print(f"note: {line}")
    c = report.counts
    rate = report.ran / report.wall_time_s if report.wall_time_s > 0 else 0.0
    print(
        f"{'resumed' if report.resumed else 'new'} archive: {c['ok']} ok, {c['failed']} failed, "
        f"{c['pending']} pending of {len(sweep.runs)} runs; this session ran {report.ran} "
        f"({report.failed_now} failed), "
        f"skipped {report.skipped} complete, {report.wall_time_s:.1f} s ({rate:.2f} runs/s)"
    )
    if c["failed"]:
        print(f"failed runs: tracebacks in {_display(report.path / FAILED)}; run the same command to retry")
    print(f"archive: {_display(report.path)}")
    return 0 if report.complete else 1


def add_verify_sample_argument(p: argparse.ArgumentParser) -> None:
    """``--sample N`` for ``verify`` on a sweep archive."""
    p.add_argument(
        "--sample",
        type=int,
        default=VERIFY_SAMPLE_DEFAULT,
        help=f"sweep archives: re-run N random completed runs (default {VERIFY_SAMPLE_DEFAULT})",
    )


def cmd_verify_sweep(args: argparse.Namespace) -> int:
    """``verify`` for a sweep archive: print notes, problems and the verdict; exit 1 on any difference."""
    sample = getattr(args, "sample", None)
    report = verify_sweep_archive(
        Path(args.archive),
        VERIFY_SAMPLE_DEFAULT if sample is None else int(sample),
        progress=sys.stderr.isatty(),
    )
    for line in report.notes:
        print(f"note: {line}")
    if report.ok:
        print(
            f"verified: {_display(args.archive)} (files match the manifest; runs.parquet matches the run "
            f"files; sampled runs re-ran bit-identical in {report.wall_time_s:.1f} s)"
        )
        return 0
    for line in report.lines():
        print(line)
    print(f"NOT verified: {_display(args.archive)}")
    return 1
